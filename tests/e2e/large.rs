//! A package too large to read file by file through the gateway: the frontend scans it in a
//! build step of its own image, which BuildKit caches on the context's content.

use std::path::Path;

use crate::harness::{
    Engines, assert_ok, example_copy, ran, run_image, stderr, stdout, unique, was_cached,
    write_files,
};

const SCAN_STEP: &str = "[internal] scan the Go sources";

/// More Go files than the frontend reads through the gateway (`SCAN_STEP_FILES`), in the
/// package every service of the example imports; `run` makes their content new to the daemon.
fn add_generated_files(context: &Path, run: u128) {
    let package = context.join("internal/greeting");
    for i in 0..700 {
        std::fs::write(
            package.join(format!("gen_{i}.go")),
            format!(
                "package greeting\n\n// Generated{i} is from run {run}.\nconst Generated{i} = {i}\n"
            ),
        )
        .unwrap();
    }
}

#[test]
fn a_large_package_is_scanned_in_a_step_cached_until_the_context_changes() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "large-package");
    add_generated_files(&context, unique());
    let build = || {
        engines.buildx(
            &context,
            &["--target", "api", "-t", "gofrontend-e2e/api:large"],
        )
    };

    let first = build();
    assert_ok(&first, "first build of a large package");
    assert!(ran(&stderr(&first), SCAN_STEP), "{}", stderr(&first));
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:large"),
        "hello from api (version dev)\n"
    );

    let again = build();
    assert_ok(&again, "unchanged rebuild");
    let progress = stderr(&again);
    assert!(was_cached(&progress, SCAN_STEP), "{progress}");
    assert!(was_cached(&progress, "[api] go build"), "{progress}");

    // The large package now imports one the scan has not seen: the build compiles only if the
    // step scanned the edited context, not an earlier one.
    write_files(
        &context,
        &[
            (
                "internal/extra/extra.go",
                "package extra\n\n// Loud is the style that shouts.\nconst Loud = \"loud\"\n",
            ),
            (
                "internal/greeting/gen_extra.go",
                "package greeting\n\nimport \"example.com/microservices/internal/extra\"\n\nconst style = extra.Loud\n",
            ),
        ],
    );
    let edited = build();
    assert_ok(&edited, "rebuild after a new import");
    let progress = stderr(&edited);
    assert!(ran(&progress, SCAN_STEP), "{progress}");
    assert!(ran(&progress, "[api] go build"), "{progress}");
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:large"),
        "hello from api (version dev)\n"
    );
}

#[test]
fn docker_20_10_scans_a_large_package_in_a_step() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "large-package-docker20");
    add_generated_files(&context, unique());
    let out = engines.build20(
        &context,
        &["--target", "worker", "-t", "gofrontend-e2e/worker:large"],
    );
    assert_ok(&out, "docker build of a large package on Docker 20.10");
    assert!(ran(&stderr(&out), SCAN_STEP), "{}", stderr(&out));
    let run = engines.docker20(&[
        "run",
        "--rm",
        "--network=none",
        "gofrontend-e2e/worker:large",
    ]);
    assert_ok(&run, "docker run on Docker 20.10");
    assert_eq!(stdout(&run), "hello from worker (version dev)\n");
}
