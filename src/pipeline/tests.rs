use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::*;
use crate::lower::{ContextLocal, lower};

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Each plan's definition, or the error, as text that two drivers can be compared on.
fn outcome<I: Inputs>(inputs: &I, options: &BuildOptions) -> Result<Vec<String>, String>
where
    I::Error: std::fmt::Debug,
{
    match block_on(load_and_plan(inputs, options)) {
        Ok(planned) => Ok(planned
            .plans
            .iter()
            .map(|plan| {
                let bytes = lower(plan, &ContextLocal::default()).to_bytes();
                hex::encode(sha2::Sha256::digest(bytes))
            })
            .collect()),
        Err(LoadError::Plan(err)) => Err(err.to_string()),
        Err(LoadError::Read { context, error }) => panic!("{context}: {error:?}"),
    }
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every fixture with a Gofile: the examples, the e2e fixtures and the contexts `check`
/// refuses.
fn fixtures() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for parent in ["examples", "tests/fixtures", "tests/fixtures/bad"] {
        for entry in std::fs::read_dir(repo(parent)).unwrap() {
            let dir = entry.unwrap().path();
            if dir.join("Gofile").is_file() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs
}

fn local(dir: &Path) -> LocalInputs {
    LocalInputs::new(dir.join("Gofile"), dir.to_path_buf(), None, "13").unwrap()
}

fn memory(dir: &Path) -> MemoryInputs {
    let mut inputs = MemoryInputs::from_dir(dir).unwrap();
    // The local driver builds where it runs.
    inputs.build_platform = Platform::host();
    inputs.gofile_name = dir.join("Gofile").display().to_string();
    inputs
}

#[test]
fn the_command_line_and_the_frontend_plan_the_same_definitions() {
    let options = BuildOptions::default();
    let mut planned = 0;
    for dir in fixtures() {
        let from_disk = outcome(&local(&dir), &options);
        let through_gateway = outcome(&memory(&dir), &options);
        assert_eq!(from_disk, through_gateway, "{}", dir.display());
        planned += usize::from(from_disk.is_ok());
    }
    assert!(planned >= 8, "only {planned} fixtures planned");
}

#[test]
fn a_scan_failure_gives_both_drivers_whole_context_steps() {
    let fixture = repo("tests/fixtures/graph");
    let copy = std::env::temp_dir().join(format!("gofrontend-scan-failure-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let mut in_memory = memory(&fixture);
    for (path, data) in &in_memory.context.files {
        std::fs::create_dir_all(copy.join(path).parent().unwrap()).unwrap();
        std::fs::write(copy.join(path), data).unwrap();
    }
    // A name that is not UTF-8 cannot be read back by the name the listing gives.
    let unreadable = std::ffi::OsStr::from_bytes(b"cmd/api/gen\xff.go");
    std::fs::write(copy.join(unreadable), "package main\n").unwrap();
    in_memory.gofile_name = copy.join("Gofile").display().to_string();
    in_memory
        .context
        .files
        .insert("cmd/api/gen.go".into(), b"package main\n".to_vec());
    in_memory.context.unreadable.insert("cmd/api/gen.go".into());

    let options = BuildOptions::default();
    let from_disk = outcome(&local(&copy), &options);
    let through_gateway = outcome(&in_memory, &options);
    let planned = block_on(load_and_plan(&local(&copy), &options)).unwrap();
    std::fs::remove_dir_all(&copy).unwrap();

    assert_eq!(from_disk, through_gateway);
    let names: Vec<&str> = planned.plans[0]
        .services
        .iter()
        .map(|s| s.build.name.as_str())
        .collect();
    assert!(
        names
            .iter()
            .all(|name| name.ends_with("(whole context: the Go sources could not be read)")),
        "{names:?}"
    );
}
