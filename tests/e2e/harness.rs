//! Drives the real Docker clients against the real engines that `scripts/local-buildkit up`
//! starts (or any engines named by the same variables). Nothing here fakes a daemon.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Engines {
    pub docker26: String,
    /// The same engine with the containerd image store, on its own daemon.
    pub docker26cs: String,
    pub client26: String,
    pub docker20: String,
    pub client20: String,
    /// The frontend image under test, as `# syntax=` would name it.
    pub frontend: String,
    pub base_image: String,
}

/// An environment variable the end-to-end tests need: the engines' addresses and clients
/// (`GOFRONTEND_DOCKER26`, `GOFRONTEND_DOCKER26_CS`, `GOFRONTEND_DOCKER26_CLIENT`,
/// `GOFRONTEND_DOCKER20`, `GOFRONTEND_DOCKER20_CLIENT`), what they serve
/// (`GOFRONTEND_STATE`, `GOFRONTEND_REGISTRY`, `GOFRONTEND_DISTROLESS_IMAGE`,
/// `GOFRONTEND_DISTROLESS_BASE_IMAGE`, `GOFRONTEND_GOPROXY` and its `_LOG`, `_SUMS`, `_ROOT`,
/// `GOFRONTEND_TLS_DIR`), all from `scripts/local-buildkit env`, and `GOFRONTEND_IMAGE`, the
/// frontend under test. Without one the test binary stops: see [`exit_unconfigured`].
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        exit_unconfigured(&format!(
            "{name} is not set: the end-to-end tests need real BuildKit engines and the frontend image; \
             run `scripts/test`, which starts them, or `scripts/local-buildkit up`, \
             `eval \"$(scripts/local-buildkit env)\"` and `export GOFRONTEND_IMAGE=$(scripts/frontend-image)`"
        ))
    })
}

/// Ends the test binary with `message` as one line on stderr and exit status 2, so that
/// `cargo test` without the engines reports the binary as failed in one line, not with one
/// panic and backtrace per test. The line goes to the process's stderr itself (libtest
/// captures a test's `eprintln!`, and the exit would lose it); only the first test to get
/// here prints, the others wait for the exit.
pub fn exit_unconfigured(message: &str) -> ! {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(std::io::stderr().lock(), "error: {message}");
        std::process::exit(2);
    });
    unreachable!("the first caller exits the process")
}

impl Engines {
    pub fn from_env() -> Self {
        Self {
            docker26: var("GOFRONTEND_DOCKER26"),
            docker26cs: var("GOFRONTEND_DOCKER26_CS"),
            client26: var("GOFRONTEND_DOCKER26_CLIENT"),
            docker20: var("GOFRONTEND_DOCKER20"),
            client20: var("GOFRONTEND_DOCKER20_CLIENT"),
            frontend: var("GOFRONTEND_IMAGE"),
            base_image: var("GOFRONTEND_DISTROLESS_IMAGE"),
        }
    }

    /// `docker` against the Docker 26.1 engine.
    pub fn docker(&self, args: &[&str]) -> Output {
        run(&mut self.docker_command(&self.docker26, args))
    }

    /// `docker` against the engine at `host`.
    pub fn docker_on(&self, host: &str, args: &[&str]) -> Output {
        run(&mut self.docker_command(host, args))
    }

    /// `docker` against the engine at `host`, not yet run.
    pub fn docker_command(&self, host: &str, args: &[&str]) -> Command {
        let mut command = Command::new(&self.client26);
        command.env("DOCKER_HOST", host).args(args);
        command
    }

    /// `docker buildx build` of a Gofile on the Docker 26.1 engine, with the frontend under test.
    pub fn buildx(&self, context: &Path, extra: &[&str]) -> Output {
        run(&mut self.buildx_command(&self.docker26, context, extra))
    }

    /// `docker buildx build` of a Gofile on the 26.1 engine at `host`, not yet run.
    pub fn buildx_command(&self, host: &str, context: &Path, extra: &[&str]) -> Command {
        self.buildx_command_with(host, context, extra, true)
    }

    /// `docker buildx build` on the 26.1 engine, the base image left to the Gofile and the
    /// frontend's defaults (which name registries this machine cannot reach).
    pub fn buildx_own_base(&self, context: &Path, extra: &[&str]) -> Output {
        run(&mut self.buildx_command_with(&self.docker26, context, extra, false))
    }

    fn buildx_command_with(
        &self,
        host: &str,
        context: &Path,
        extra: &[&str],
        stand_in_base: bool,
    ) -> Command {
        let gofile = context.join("Gofile");
        let mut command = self.docker_command(
            host,
            &["buildx", "build", "--progress=plain", "--network=host"],
        );
        command.args(self.frontend_args());
        if stand_in_base {
            command.args(self.base_args());
        }
        command.arg("-f").arg(&gofile).args(extra).arg(context);
        command
    }

    /// `DOCKER_BUILDKIT=1 docker build` of a Gofile on the Docker 20.10 engine (BuildKit v0.8).
    pub fn build20(&self, context: &Path, extra: &[&str]) -> Output {
        self.warm_builder20();
        self.build20_now(context, extra)
    }

    /// Before this process's first Gofile build on Docker 20.10, one build of examples/hello,
    /// while the other threads' builds there wait. BuildKit v0.8 runs an image step that has
    /// no cache record yet without giving it a cache key, and a build that starts while the
    /// running one still holds the step shares it as it is: none of the later build's cached
    /// steps above the image match, and all run again (see the README's "Docker 20.10" notes).
    /// After this build the builder image's step has its record, and so its key, in every build.
    fn warm_builder20(&self) {
        static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
        WARM.get_or_init(|| {
            let context = example_copy("hello", "warm-builder20");
            let output = self.build20_now(&context, &[]);
            assert_ok(&output, "the first Gofile build on Docker 20.10");
        });
    }

    fn build20_now(&self, context: &Path, extra: &[&str]) -> Output {
        let gofile = context.join("Gofile");
        let mut command = Command::new(&self.client20);
        command
            .env("DOCKER_HOST", &self.docker20)
            .env("DOCKER_BUILDKIT", "1")
            .args(["build", "--progress=plain", "--network=host"])
            .args(self.frontend_args())
            .args(self.base_args())
            .arg("-f")
            .arg(&gofile)
            .args(extra)
            .arg(context);
        run(&mut command)
    }

    pub fn docker20(&self, args: &[&str]) -> Output {
        run(Command::new(&self.client20)
            .env("DOCKER_HOST", &self.docker20)
            .args(args))
    }

    fn frontend_args(&self) -> Vec<String> {
        vec![
            "--build-arg".into(),
            format!("BUILDKIT_SYNTAX={}", self.frontend),
        ]
    }

    /// The local distroless stand-in in place of every base: gcr.io is out of reach here.
    fn base_args(&self) -> Vec<String> {
        vec![
            "--build-arg".into(),
            format!("GOFRONTEND_BASE_IMAGE={}", self.base_image),
        ]
    }
}

/// Runs a command built by the harness, waiting for its output.
pub fn run_command(mut command: Command) -> Output {
    run(&mut command)
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// The build failed, and its output says `message` (a Gofile position and what is wrong).
#[track_caller]
pub fn assert_refused(output: &Output, message: &str) {
    let progress = stderr(output);
    assert!(
        !output.status.success() && progress.contains(message),
        "expected a refusal saying {message:?}:\n{progress}"
    );
}

/// A document of the local registry as JSON (`/v2/<path>`), asking for the media types buildx pushes.
pub fn registry_get(path: &str) -> serde_json::Value {
    let mut curl = Command::new("curl");
    curl.args([
        "-fsS",
        "-H",
        "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
    ])
    .arg(format!("http://{}/v2/{path}", var("GOFRONTEND_REGISTRY")));
    let out = run_command(curl);
    assert_ok(&out, &format!("GET /v2/{path}"));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// `docker image inspect` on the 26.1 engine.
pub fn inspect(engines: &Engines, image: &str) -> serde_json::Value {
    let out = engines.docker(&["image", "inspect", image]);
    assert_ok(&out, "docker image inspect");
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    all[0].clone()
}

/// Runs an image on the 26.1 engine, without network, and returns what it printed. The
/// output comes from the container's log, not from attaching: under load, an attached
/// `docker run` of a container that exits at once sometimes prints nothing.
pub fn run_image(engines: &Engines, image: &str) -> String {
    let name = format!("gofrontend-run-{}", unique());
    let run = engines.docker(&["run", "--name", &name, "--network=none", image]);
    let logs = engines.docker(&["logs", &name]);
    let _ = engines.docker(&["rm", &name]);
    assert_ok(&run, &format!("docker run {image}"));
    assert_ok(&logs, &format!("docker logs {name}"));
    stdout(&logs)
}

/// What `image` prints when run with no network on Docker 20.10.
pub fn run_image20(engines: &Engines, image: &str) -> String {
    let run = engines.docker20(&["run", "--rm", "--network=none", image]);
    assert_ok(&run, &format!("docker run {image} on Docker 20.10"));
    stdout(&run)
}

/// A private copy of an example, so a test may edit it.
pub fn example_copy(name: &str, test: &str) -> PathBuf {
    private_copy(&Path::new("examples").join(name), test)
}

/// A private copy of a directory of the repository, so a test may edit it.
pub fn private_copy(from: &Path, test: &str) -> PathBuf {
    let to = scratch_dir(test);
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(from), &to);
    to
}

/// An empty directory of the test's own.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gofrontend-e2e-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `files` (path, contents) under `root`, creating directories.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

/// Makes `context` the module `module` requiring the proxy's example.com/quote v1.1.0, its
/// go.mod new to the daemon (`run`).
pub fn require_quote(context: &Path, module: &str, run: u128) {
    std::fs::write(
        context.join("go.mod"),
        format!("module {module}\n\ngo 1.24\n\nrequire example.com/quote v1.1.0\n\n// run {run}\n"),
    )
    .unwrap();
    std::fs::write(
        context.join("go.sum"),
        fixture_go_sum(&["example.com/quote"]),
    )
    .unwrap();
}

/// The go.sum lines of the loopback proxy's fixture modules, for the modules named.
pub fn fixture_go_sum(modules: &[&str]) -> String {
    let sums = std::fs::read_to_string(var("GOFRONTEND_GOPROXY_SUMS")).unwrap();
    sums.lines()
        .filter(|line| modules.iter().any(|m| line.starts_with(&format!("{m} "))))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The proxy's access log, from `offset` on: what this build fetched.
pub fn fetched_since(log: &str, offset: usize) -> String {
    std::fs::read_to_string(log).unwrap()[offset..].to_string()
}

/// A value no earlier run used.
pub fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The progress lines BuildKit printed for a vertex whose name contains `needle`.
pub fn vertex_lines<'a>(progress: &'a str, needle: &str) -> Vec<&'a str> {
    let ids: Vec<&str> = progress
        .lines()
        .filter(|l| l.contains(needle) && l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    progress
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|id| ids.contains(&id))
        })
        .collect()
}

/// The packages the step named `step` compiled, from `go build -v` (nothing when BuildKit
/// restored the step from the cache instead of running it).
pub fn compiled(progress: &str, step: &str) -> Vec<String> {
    vertex_lines(progress, step)
        .iter()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().skip(1);
            let (time, package) = (fields.next()?, fields.next()?);
            (time.parse::<f64>().is_ok() && fields.next().is_none() && !package.contains(':'))
                .then(|| package.to_string())
        })
        .collect()
}

/// Whether the vertex named like `needle` was reported CACHED.
pub fn was_cached(progress: &str, needle: &str) -> bool {
    let lines = vertex_lines(progress, needle);
    assert!(
        !lines.is_empty(),
        "no vertex named {needle} in:\n{progress}"
    );
    lines.iter().any(|l| l.ends_with("CACHED"))
}

/// Whether the vertex named like `needle` ran: it reports DONE. A step not needed because
/// the steps after it were cached may show its name and no status at all (BuildKit v0.8 does
/// so), which is neither CACHED nor a run.
pub fn ran(progress: &str, needle: &str) -> bool {
    let lines = vertex_lines(progress, needle);
    assert!(
        !lines.is_empty(),
        "no vertex named {needle} in:\n{progress}"
    );
    lines
        .iter()
        .any(|l| l.split_whitespace().nth(1) == Some("DONE"))
}

/// `summary.txt` of a test-target build of `tests/fixtures/tested` where every test passes.
pub const TESTED_SUMMARY: &str = "ok example.com/tested/calc\nok example.com/tested/greet\nok example.com/tested/store\n? example.com/tested/cmd/api [no test files]\n? example.com/tested/e2e [no test files]\n";

/// Which of `packages` (directories of `module`) had their tests run in this build of the test
/// target: their step printed go test's `ok` line, which a step restored from a cache does not.
pub fn tests_run<'a>(progress: &str, module: &str, packages: &[&'a str]) -> Vec<&'a str> {
    packages
        .iter()
        .copied()
        .filter(|package| {
            let step = format!("[test ./{package}] go test");
            vertex_lines(progress, &step)
                .iter()
                .any(|line| line.contains(&format!("ok  \t{module}/{package}\t")))
        })
        .collect()
}

/// A fixture copied for one test, built with its binaries exported to `out`.
pub struct Project {
    pub engines: Engines,
    pub dir: PathBuf,
    pub out: PathBuf,
    pub nonce: u128,
}

impl Project {
    /// A private copy of `fixture`, with `gomod` (relative to it) made new for this run:
    /// BuildKit caches by content, across runs too.
    pub fn new(fixture: &str, gomod: &str, test: &str) -> Self {
        let dir = private_copy(Path::new(fixture), test);
        let nonce = unique();
        append(&dir.join(gomod), &format!("// run {nonce}\n"));
        let out = dir.join("out");
        Self {
            engines: Engines::from_env(),
            dir,
            out,
            nonce,
        }
    }

    /// Every service in one build, the binaries exported to `out`.
    pub fn build(&self, what: &str) -> String {
        let output = self.try_build(&[]);
        assert_ok(&output, what);
        stderr(&output)
    }

    /// Every service in one build with `extra` arguments, successful or not.
    pub fn try_build(&self, extra: &[&str]) -> Output {
        let dest = format!("type=local,dest={}", self.out.display());
        let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
        let mut args = vec!["--output", &dest, "--build-arg", &proxy];
        args.extend(extra);
        self.engines.buildx(&self.dir, &args)
    }

    pub fn build20(&self, what: &str) -> String {
        let dest = format!("type=local,dest={}", self.out.display());
        let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
        let output = self
            .engines
            .build20(&self.dir, &["--output", &dest, "--build-arg", &proxy]);
        assert_ok(&output, what);
        stderr(&output)
    }

    pub fn run(&self, service: &str) -> String {
        let binary = self.out.join("usr/local/bin").join(service);
        let output = std::process::Command::new(&binary)
            .output()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", binary.display()));
        assert_ok(&output, service);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
}

/// `git ARGS` in `dir` as a fixed test author, whoever owns the checkout; its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "safe.directory=*",
            "-c",
            "user.name=gofrontend",
            "-c",
            "user.email=tests@gofrontend.invalid",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert_ok(&output, &format!("git {args:?}"));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Appends `text` to the file, creating it if needed.
pub fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path).unwrap_or_default();
    content.push_str(text);
    std::fs::write(path, content).unwrap();
}

pub fn replace(path: &Path, from: &str, to: &str) {
    let content = std::fs::read_to_string(path).unwrap();
    assert!(content.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, content.replace(from, to)).unwrap();
}
