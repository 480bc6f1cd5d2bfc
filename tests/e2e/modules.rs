//! Repositories with more than one module: a local `replace` and a `go.work` workspace build
//! through the real daemons, and the download step sees only the modules' go.mod and go.sum.

use crate::harness::{Project, append, replace, stderr, was_cached};

const DOWNLOAD: &str = "go mod download";
const API: &str = "[api] go build";

/// Edits the other module's code, a file beside it no package reads, and its go.mod; each
/// time only what depends on the edit runs again.
fn edits_in_the_other_module(project: &Project, other: &str, code: &str, word: &str) {
    let nonce = project.nonce;
    replace(
        &project.path(&format!("{other}/{code}")),
        &format!("\"{word} \""),
        &format!("\"{word}-{nonce} \""),
    );
    let progress = project.build("a build after editing the other module's code");
    assert!(was_cached(&progress, DOWNLOAD), "{progress}");
    assert!(!was_cached(&progress, API), "{progress}");
    assert!(
        project
            .run("api")
            .starts_with(&format!("api: {word}-{nonce} ")),
        "the edit reached the binary"
    );

    append(
        &project.path(&format!("{other}/docs/notes.md")),
        &format!("{nonce}\n"),
    );
    let progress = project.build("a build after editing a note beside the other module");
    assert!(was_cached(&progress, DOWNLOAD), "{progress}");
    assert!(was_cached(&progress, API), "{progress}");

    append(
        &project.path(&format!("{other}/go.mod")),
        "// a go.mod edit\n",
    );
    let progress = project.build("a build after editing the other module's go.mod");
    assert!(
        !was_cached(&progress, DOWNLOAD),
        "the download reads every local module's go.mod:\n{progress}"
    );
}

#[test]
fn a_local_replace_builds_and_keeps_the_download_cached_on_code_edits() {
    let project = Project::new("tests/fixtures/replace", "app/go.mod", "replace");
    let first = project.build("the first build");
    assert!(
        first.contains("[context] app/go.mod, app/go.sum, greeting/go.mod, greeting/go.sum"),
        "the download sees exactly both modules' go.mod and go.sum:\n{first}"
    );
    assert!(
        first.contains("go mod download (example.com/app: 1 module)"),
        "the step names the module versions go.sum holds:\n{first}"
    );
    assert_eq!(project.run("api"), "api: greeting Hello, world.\n");
    edits_in_the_other_module(&project, "greeting", "greeting.go", "greeting");
}

#[test]
fn a_go_work_workspace_builds_on_both_engines() {
    let project = Project::new("tests/fixtures/workspace", "api/go.mod", "workspace");
    let first = project.build("the first build");
    assert!(
        first.contains("[context] api/go.mod, go.work, lib/go.mod, lib/go.sum"),
        "the download sees go.work and the modules' go.mod and go.sum:\n{first}"
    );
    assert_eq!(
        project.run("api"),
        "api: lib Hello, world! (quote v1.1.0)\n"
    );
    edits_in_the_other_module(&project, "lib", "lib.go", "lib");

    let progress = project.build20("a build on Docker 20.10");
    assert!(!was_cached(&progress, API), "{progress}");
    assert!(
        project
            .run("api")
            .starts_with(&format!("api: lib-{} ", project.nonce))
    );
}

#[test]
fn a_missing_go_sum_entry_fails_the_offline_compile_with_go_s_message_and_a_hint() {
    let project = Project::new("tests/fixtures/replace", "app/go.mod", "missing-sum");
    for go_sum in ["app/go.sum", "greeting/go.sum"] {
        std::fs::write(project.path(go_sum), "").unwrap();
    }
    // As for a private module: no checksum database vouches for it, so only go.sum could.
    let output = project.try_build(&["--build-arg", "GONOSUMDB=example.com"]);
    let progress = stderr(&output);
    assert!(!output.status.success(), "{progress}");
    assert!(
        !was_cached(&progress, DOWNLOAD)
            && !progress.contains("ERROR: process \"/bin/sh -c set -eu"),
        "the download itself succeeds:\n{progress}"
    );
    assert!(
        progress.contains("missing go.sum entry for module providing package example.com/quote"),
        "Go's own message:\n{progress}"
    );
    assert!(
        progress
            .contains("gofrontend: run `go mod tidy` in the module and commit go.mod and go.sum"),
        "the hint:\n{progress}"
    );
}
