//! Proves `frontend.Dockerfile`, the recipe for the published frontend image, end to end on the
//! real Docker 26.1 engine: the tracked sources with vendored crates build into a small image
//! with `--network=none` (no crates.io, no Docker Hub), the image is pushed, and BuildKit then
//! runs it as the `# syntax=` frontend of `examples/hello`, whose image prints its greeting.
//!
//! Needs the engines of `scripts/local-buildkit` (or any named by the same variables) and a
//! Rust builder image for `RUST_IMAGE`, named by `GOFRONTEND_RUST_IMAGE`; see [`rust_image`].
//! Run with `--nocapture` to see how long each step took.

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use harness::{Engines, assert_ok, stderr, stdout};

/// Where the Dockerfile-built frontend is pushed, and the `BUILDKIT_SYNTAX` of the hello build.
const FRONTEND_IMAGE: &str = "localhost:5000/gofrontend:dockerfile";
const HELLO_IMAGE: &str = "gofrontend-e2e/hello:dockerfile";
/// The frontend image is a static binary on scratch; 8 MB leaves room for growth, not for a
/// stray toolchain layer or an unstripped binary.
const MAX_FRONTEND_SIZE: u64 = 8_000_000;

/// The image frontend.Dockerfile builds in (`RUST_IMAGE`). Its default, docker.io's rust image,
/// is unreachable from the local engines, so the test needs one in the local registry.
fn rust_image() -> String {
    std::env::var("GOFRONTEND_RUST_IMAGE").unwrap_or_else(|_| {
        harness::exit_unconfigured(
            "GOFRONTEND_RUST_IMAGE is not set: this test builds frontend.Dockerfile with a Rust \
             builder image from the local registry; run `scripts/test`, or build it from this \
             machine's toolchain with `export GOFRONTEND_RUST_IMAGE=$(scripts/rust-builder-image)` \
             (it pushes localhost:5000/gofrontend-rust:host)",
        )
    })
}

/// A temporary directory removed when dropped, failed test or not: it holds ~250 MB of crates.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The repository's tracked files, as they are in the working tree, copied into `to`: the
/// build context a release would use, without `target/` or anything untracked.
fn copy_tracked_files(to: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-files", "-z"])
        .output()
        .expect("cannot run git");
    assert_ok(&output, "git ls-files");
    let mut copied = 0;
    for name in output.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("a tracked path is not UTF-8");
        let from = repo.join(name);
        // Tracked but deleted in the working tree: not part of what is being built.
        if !from.is_file() {
            continue;
        }
        let target = to.join(name);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&from, &target).unwrap_or_else(|err| panic!("cannot copy {name}: {err}"));
        copied += 1;
    }
    assert!(
        to.join("frontend.Dockerfile").is_file() && to.join("Cargo.lock").is_file(),
        "git ls-files gave no frontend.Dockerfile or Cargo.lock ({copied} files copied)"
    );
}

/// `cargo vendor --locked vendor` in `dir`, and the source replacement it prints written to
/// `.cargo/config.toml`, which `COPY . .` takes into the build with the crates.
fn vendor(dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .current_dir(dir)
        .args(["vendor", "--locked", "vendor"])
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cargo} vendor: {err}"));
    assert_ok(&output, "cargo vendor");
    let config = stdout(&output);
    assert!(
        config.contains("[source.vendored-sources]") && config.contains("replace-with"),
        "cargo vendor printed no source replacement:\n{config}"
    );
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(dir.join(".cargo/config.toml"), config).unwrap();
}

fn timed<T>(what: &str, step: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = step();
    eprintln!("{what}: {:.1}s", start.elapsed().as_secs_f64());
    result
}

#[test]
fn frontend_dockerfile_builds_a_working_frontend_offline() {
    let rust_image = rust_image();
    // The frontend under test is the image this test builds.
    let engines = Engines {
        frontend: FRONTEND_IMAGE.into(),
        ..Engines::from_env()
    };

    let context =
        TempDir(std::env::temp_dir().join(format!("gofrontend-dockerfile-{}", std::process::id())));
    let _ = fs::remove_dir_all(&context.0);
    let dir = context.0.as_path();
    timed("copy tracked files", || copy_tracked_files(dir));
    timed("cargo vendor", || vendor(dir));

    // No network for any step: every crate comes from vendor/, the builder image from the
    // local registry (image pulls are the daemon's, not the build's).
    let dockerfile = dir.join("frontend.Dockerfile");
    let output = timed("frontend.Dockerfile build + push", || {
        engines.docker(&[
            "buildx",
            "build",
            "--progress=plain",
            "--network=none",
            "-f",
            dockerfile.to_str().unwrap(),
            "--build-arg",
            &format!("RUST_IMAGE={rust_image}"),
            "-t",
            FRONTEND_IMAGE,
            "--push",
            dir.to_str().unwrap(),
        ])
    });
    assert_ok(&output, "docker buildx build -f frontend.Dockerfile");
    let progress = stderr(&output);
    assert!(
        !progress.contains("Updating crates.io index") && !progress.contains("Downloading crates"),
        "the build went to crates.io instead of vendor/:\n{progress}"
    );

    let output = engines.docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Size}} {{index .Config.Labels \"moby.buildkit.frontend.network.none\"}} {{json .Config.Entrypoint}}",
        FRONTEND_IMAGE,
    ]);
    assert_ok(&output, "docker image inspect");
    let inspect = stdout(&output);
    let mut fields = inspect.split_whitespace();
    let size: u64 = fields.next().unwrap().parse().unwrap();
    eprintln!("{FRONTEND_IMAGE}: {size} bytes");
    assert!(
        size < MAX_FRONTEND_SIZE,
        "{FRONTEND_IMAGE} is {size} bytes, over {MAX_FRONTEND_SIZE}"
    );
    assert_eq!(
        fields.collect::<Vec<_>>(),
        ["true", r#"["/gofrontend","frontend"]"#],
        "{FRONTEND_IMAGE}'s network label and entrypoint"
    );

    // Drop the engine's copy so the hello build must resolve the frontend from the registry:
    // this proves the push, and that the pushed image is the one that works.
    assert_ok(
        &engines.docker(&["image", "rm", FRONTEND_IMAGE]),
        "docker image rm",
    );
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello");
    let output = timed("examples/hello build through the frontend", || {
        engines.buildx(&hello, &["--no-cache", "-t", HELLO_IMAGE])
    });
    assert_ok(
        &output,
        "the hello build with the Dockerfile-built frontend",
    );
    let progress = stderr(&output);
    assert!(
        progress.contains(&format!("docker-image://{FRONTEND_IMAGE}")),
        "the hello build did not run {FRONTEND_IMAGE}:\n{progress}"
    );

    let output = engines.docker(&["run", "--rm", "--network=none", HELLO_IMAGE]);
    assert_ok(&output, "docker run hello");
    assert_eq!(stdout(&output).trim(), "hello from gofrontend");
}
