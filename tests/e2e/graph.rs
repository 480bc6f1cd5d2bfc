//! The build graph through the real daemons: after each kind of edit, exactly the steps that
//! depend on the edited files run again, and the binaries carry the edit.

use crate::harness::{Project, append, assert_ok, ran, replace, stderr, var, was_cached};

const SERVICES: [&str; 3] = ["api", "worker", "tool"];
const SHARED: &str = "[shared] go build";
const STDLIB: &str = "[stdlib] go build";

/// Asserts which of the service steps and precompile steps ran, and that the rest were cached.
fn assert_ran(progress: &str, edit: &str, expected: &[&str]) {
    let steps = SERVICES
        .iter()
        .map(|s| format!("[{s}] go build"))
        .chain([SHARED.to_string(), STDLIB.to_string()]);
    for step in steps {
        let expected_to_run = expected.contains(&step.as_str());
        assert_eq!(
            ran(progress, &step),
            expected_to_run,
            "after {edit}, `{step}` should have {}:\n{progress}",
            if expected_to_run {
                "run"
            } else {
                "been cached"
            }
        );
    }
}

#[test]
fn each_edit_reruns_exactly_the_steps_that_depend_on_it() {
    let project = Project::new("tests/fixtures/graph", "go.mod", "graph");
    let nonce = project.nonce;
    let first = project.build("the first build");
    assert!(
        !was_cached(&first, "go mod download"),
        "a new go.mod downloads:\n{first}"
    );
    assert_eq!(project.run("api"), "api: shared apionly\n");
    assert_eq!(project.run("worker"), "worker: shared linux hello\n");
    assert_eq!(project.run("tool"), "tool: standalone\n");

    append(&project.path("README.md"), &format!("edited {nonce}\n"));
    let progress = project.build("a build after editing README.md");
    assert_ran(&progress, "editing README.md", &[]);

    append(&project.path("cmd/api/main.go"), &format!("// {nonce}\n"));
    let progress = project.build("a build after editing api's main");
    assert_ran(&progress, "editing cmd/api/main.go", &["[api] go build"]);

    replace(
        &project.path("internal/apionly/apionly.go"),
        "\"apionly\"",
        &format!("\"apionly-{nonce}\""),
    );
    let progress = project.build("a build after editing a package only api uses");
    assert_ran(&progress, "editing internal/apionly", &["[api] go build"]);
    assert_eq!(project.run("api"), format!("api: shared apionly-{nonce}\n"));

    replace(
        &project.path("internal/shared/shared.go"),
        "\"shared\"",
        &format!("\"shared-{nonce}\""),
    );
    let progress = project.build("a build after editing the shared package");
    assert_ran(
        &progress,
        "editing internal/shared",
        &[SHARED, "[api] go build", "[worker] go build"],
    );
    assert!(
        project
            .run("api")
            .starts_with(&format!("api: shared-{nonce} "))
    );
    assert!(
        project
            .run("worker")
            .starts_with(&format!("worker: shared-{nonce} "))
    );

    replace(
        &project.path("cmd/worker/platform_linux.go"),
        "\"linux\"",
        &format!("\"linux-{nonce}\""),
    );
    let progress = project.build("a build after editing a file under a build tag");
    assert_ran(
        &progress,
        "editing cmd/worker/platform_linux.go",
        &["[worker] go build"],
    );

    std::fs::write(
        project.path("cmd/worker/assets/motd.txt"),
        format!("motd {nonce}\n"),
    )
    .unwrap();
    let progress = project.build("a build after editing an embedded file");
    assert_ran(
        &progress,
        "editing cmd/worker/assets/motd.txt",
        &["[worker] go build"],
    );
    assert_eq!(
        project.run("worker"),
        format!("worker: shared-{nonce} linux-{nonce} motd {nonce}\n")
    );

    append(&project.path("go.mod"), "// a go.mod edit\n");
    let progress = project.build("a build after editing go.mod");
    assert!(!was_cached(&progress, "go mod download"), "{progress}");
    // The standard library step depends on neither go.mod nor the sources.
    assert_ran(
        &progress,
        "editing go.mod",
        &[
            SHARED,
            "[api] go build",
            "[worker] go build",
            "[tool] go build",
        ],
    );
    assert_eq!(project.run("tool"), "tool: standalone\n");

    // Other fetch settings: the download runs again and writes the same modules, which keeps
    // `[shared]` cached, and the services, keyed on `[shared]`'s step, with it.
    let proxy = format!("GOPROXY={},off", var("GOFRONTEND_GOPROXY"));
    let output = project.try_build(&["--build-arg", &proxy]);
    assert_ok(&output, "a build with another GOPROXY");
    let progress = stderr(&output);
    assert!(!was_cached(&progress, "go mod download"), "{progress}");
    assert_ran(&progress, "changing GOPROXY", &[]);
}

#[test]
fn buildkit_v0_8_reruns_only_the_edited_service() {
    let project = Project::new("tests/fixtures/graph", "go.mod", "graph20");
    project.build20("the first build on Docker 20.10");
    append(
        &project.path("cmd/tool/main.go"),
        &format!("// {}\n", project.nonce),
    );
    let progress = project.build20("a build on Docker 20.10 after editing tool's main");
    assert_ran(&progress, "editing cmd/tool/main.go", &["[tool] go build"]);
    assert_eq!(project.run("tool"), "tool: standalone\n");
}
