//! The Go source scan as a build step, for trees too large to read file by file through the
//! gateway: the frontend's own image runs `gofrontend scan-step` over the context and writes
//! the [`SourceTree`] as JSON. BuildKit keys the step on the context's content, so a rebuild
//! that changed none of it reads one cached file instead of every Go file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::local::LocalFiles;
use crate::gosource::{self, ModuleLayout, ScanRoots, SourceTree};

/// Above this many Go files the gateway's round trips cost more than the step: measured
/// (docs/benchmarks.md), a read costs 0.3 ms on Docker 26.1 and 0.75 ms on 20.10, and the
/// step over 5,000 files about 0.1 s when it runs, nothing when cached.
pub const SCAN_STEP_FILES: usize = 500;

/// The step's argv after the binary: the context, the reply's path, then the request.
pub const SUBCOMMAND: &str = "scan-step";

/// What the step scans: the layout the frontend discovered and the packages to start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRequest {
    /// The frontend's version: a step run by another build of gofrontend answers in a form
    /// this one may not read, so the reply carries the version back.
    pub version: String,
    pub modules: ModuleLayout,
    pub roots: ScanRoots,
}

#[derive(Debug, Serialize, Deserialize)]
struct ScanReply {
    version: String,
    /// The scan, or why the step could not read the sources.
    outcome: Result<SourceTree, String>,
}

impl ScanRequest {
    pub fn new(modules: ModuleLayout, roots: &ScanRoots) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            modules,
            roots: roots.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a scan request is plain data")
    }

    /// The step's answer: the tree or why the sources could not be read, or (outer `Err`)
    /// why the reply itself is unusable.
    pub fn read_reply(&self, reply: &[u8]) -> Result<Result<SourceTree, String>, String> {
        let reply: ScanReply = serde_json::from_slice(reply)
            .map_err(|err| format!("the scan step's reply is not readable: {err}"))?;
        match reply.version == self.version {
            true => Ok(reply.outcome),
            false => Err(format!(
                "the scan step ran gofrontend {}, not {}",
                reply.version, self.version
            )),
        }
    }
}

/// The step itself: scans `context` (already filtered by the context's excludes) as
/// `request` asks, and writes the reply to `reply_path`.
pub fn run(context: &Path, reply_path: &Path, request: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;

    let request: ScanRequest =
        serde_json::from_str(request).context("the scan request is not readable")?;
    let files = LocalFiles::unfiltered(context.to_path_buf());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?;
    let scanned = runtime.block_on(gosource::scan(
        &files,
        request.modules.clone(),
        &request.roots,
    ));
    let reply = ScanReply {
        version: env!("CARGO_PKG_VERSION").to_string(),
        outcome: scanned.map_err(|err| format!("{err:#}")),
    };
    let json = serde_json::to_vec(&reply).context("cannot encode the scan")?;
    std::fs::write(reply_path, json)
        .with_context(|| format!("cannot write `{}`", reply_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gosource::{LocalModule, MemoryFiles};

    fn layout() -> ModuleLayout {
        ModuleLayout {
            main: LocalModule {
                path: "example.com/m".into(),
                dir: ".".into(),
            },
            ..ModuleLayout::default()
        }
    }

    const FILES: &[(&str, &str)] = &[
        ("go.mod", "module example.com/m\n\ngo 1.24\n"),
        (
            "cmd/api/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/m/internal/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
        ),
        (
            "internal/greet/greet.go",
            "package greet\n\n//go:embed hello.txt\nvar hello string\n\nfunc Hello() string { return hello }\n",
        ),
        ("internal/greet/hello.txt", "hello\n"),
        ("internal/greet/greet_test.go", "package greet\n"),
        ("unused/unused.go", "package unused\n"),
    ];

    /// `FILES` written to a fresh directory, and a path for the reply outside it.
    fn context(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let root = std::env::temp_dir().join(format!("gofrontend-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let context = root.join("context");
        for (path, text) in FILES {
            let path = context.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        (context, root.join("reply.json"))
    }

    fn run_step(context: &Path, reply: &Path, request: &ScanRequest) -> Result<SourceTree, String> {
        run(context, reply, &request.to_json()).unwrap();
        let outcome = request.read_reply(&std::fs::read(reply).unwrap()).unwrap();
        std::fs::remove_dir_all(reply.parent().unwrap()).unwrap();
        outcome
    }

    #[test]
    fn the_step_scans_as_the_frontend_would_over_the_gateway() {
        let (context, reply) = context("scan-step");
        let roots = ScanRoots::packages(vec!["cmd/api".to_string()]);
        let request = ScanRequest::new(layout(), &roots);
        let from_step = run_step(&context, &reply, &request).unwrap();

        let in_memory = MemoryFiles::new(FILES);
        let expected = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(gosource::scan(&in_memory, layout(), &roots));
        assert_eq!(from_step, expected.unwrap());
        assert!(from_step.packages.contains_key("internal/greet"));
        assert!(!from_step.packages.contains_key("unused"));
    }

    #[test]
    fn a_reply_from_another_version_is_refused() {
        let request = ScanRequest::new(layout(), &ScanRoots::packages(vec![".".to_string()]));
        let reply = ScanReply {
            version: "0.0.0-other".into(),
            outcome: Err("whatever".into()),
        };
        let error = request
            .read_reply(&serde_json::to_vec(&reply).unwrap())
            .unwrap_err();
        assert!(error.contains("0.0.0-other"), "{error}");
        assert!(request.read_reply(b"{not json").is_err());
    }

    #[test]
    fn a_step_that_cannot_read_the_sources_says_why() {
        use std::os::unix::ffi::OsStrExt as _;

        let (context, reply) = context("scan-step-failure");
        // A name that is not UTF-8 cannot be read back by the name the listing gives.
        let unreadable = std::ffi::OsStr::from_bytes(b"cmd/api/gen\xff.go");
        std::fs::write(context.join(unreadable), "package main\n").unwrap();
        let request = ScanRequest::new(layout(), &ScanRoots::packages(vec!["cmd/api".to_string()]));
        let error = run_step(&context, &reply, &request).unwrap_err();
        assert!(error.contains("gen"), "{error}");
    }
}
