//! Drives the real Docker clients against the real engines that `scripts/local-buildkit up`
//! starts (or any engines named by the same variables). Nothing here fakes a daemon.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Engines {
    pub docker26: String,
    pub client26: String,
    pub docker20: String,
    pub client20: String,
    /// The frontend image under test, as `# syntax=` would name it.
    pub frontend: String,
    pub base_image: String,
}

pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the end-to-end tests need real BuildKit engines and the frontend image. \
             Run `scripts/test`, which starts them, or `eval \"$(scripts/local-buildkit env)\"` after \
             `scripts/local-buildkit up` and `export GOFRONTEND_IMAGE=$(scripts/frontend-image)`."
        )
    })
}

impl Engines {
    pub fn from_env() -> Self {
        Self {
            docker26: var("GOFRONTEND_DOCKER26"),
            client26: var("GOFRONTEND_DOCKER26_CLIENT"),
            docker20: var("GOFRONTEND_DOCKER20"),
            client20: var("GOFRONTEND_DOCKER20_CLIENT"),
            frontend: var("GOFRONTEND_IMAGE"),
            base_image: var("GOFRONTEND_DISTROLESS_IMAGE"),
        }
    }

    /// `docker` against the Docker 26.1 engine.
    pub fn docker(&self, args: &[&str]) -> Output {
        run(Command::new(&self.client26)
            .env("DOCKER_HOST", &self.docker26)
            .args(args))
    }

    /// `docker buildx build` of a Gofile on the Docker 26.1 engine, with the frontend under test.
    pub fn buildx(&self, context: &Path, extra: &[&str]) -> Output {
        let gofile = context.join("Gofile");
        let mut args: Vec<String> = ["buildx", "build", "--progress=plain", "--network=host"]
            .map(String::from)
            .into();
        args.extend(self.frontend_args());
        args.extend(["-f".into(), gofile.display().to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(context.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.docker(&args)
    }

    /// `DOCKER_BUILDKIT=1 docker build` of a Gofile on the Docker 20.10 engine (BuildKit v0.8).
    pub fn build20(&self, context: &Path, extra: &[&str]) -> Output {
        let gofile = context.join("Gofile");
        let mut command = Command::new(&self.client20);
        command
            .env("DOCKER_HOST", &self.docker20)
            .env("DOCKER_BUILDKIT", "1")
            .args(["build", "--progress=plain", "--network=host"])
            .args(self.frontend_args())
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
            "--build-arg".into(),
            format!("GOFRONTEND_BASE_IMAGE={}", self.base_image),
        ]
    }
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

/// A private copy of an example, so a test may edit it.
pub fn example_copy(name: &str, test: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let to = std::env::temp_dir().join(format!("gofrontend-e2e-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    copy_dir(&from, &to);
    to
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

/// Whether the vertex named like `needle` was reported CACHED.
pub fn was_cached(progress: &str, needle: &str) -> bool {
    let lines = vertex_lines(progress, needle);
    assert!(
        !lines.is_empty(),
        "no vertex named {needle} in:\n{progress}"
    );
    lines.iter().any(|l| l.ends_with("CACHED"))
}
