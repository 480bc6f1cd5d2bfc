//! Version stamps: build args through `-X` in ldflags, and VCS stamps only when the Gofile
//! asks, since a `.git` in every compile's context would re-run it on every commit.

use std::path::Path;
use std::process::Command;

use crate::harness::{Project, append, assert_ok, git, stderr, was_cached};

const BUILD: &str = "[stamped] go build";

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

#[test]
fn build_args_stamp_the_version_and_vcs_stamps_are_opt_in() {
    let project = Project::new("tests/fixtures/stamped", "go.mod", "stamped");
    let dir = &project.dir;
    git(dir, &["init", "-q"]);
    // The exported binaries land in the checkout: ignored, they leave it unmodified.
    std::fs::write(dir.join(".gitignore"), "out/\n").unwrap();
    let first = commit(dir, "first");
    // A checkout owned by another user than the build's, as on CI runners: stamps must not
    // depend on who owns the files.
    let chown = Command::new("chown")
        .args(["-R", "1000:1000"])
        .arg(dir)
        .output()
        .expect("chown runs");
    assert_ok(&chown, "chown");

    let version_args = |revision: &str| {
        vec![
            "--build-arg".to_string(),
            "VERSION=1.2.3".to_string(),
            "--build-arg".to_string(),
            format!("REVISION={revision}"),
        ]
    };
    let build = |what: &str, revision: &str| {
        let args = version_args(revision);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = project.try_build(&args);
        assert_ok(&output, what);
        stderr(&output)
    };

    build("the first build", &first);
    assert_eq!(
        project.run("stamped"),
        format!("version 1.2.3 revision {first} vcs none modified none\n")
    );

    append(
        &dir.join("docs/notes.md"),
        "a commit that changes no Go code\n",
    );
    let second = commit(dir, "second");
    let progress = build("a build after a commit, same build args", &first);
    assert!(
        was_cached(&progress, BUILD),
        "without buildvcs, .git is not in the compile's context:\n{progress}"
    );

    append(&dir.join("Gofile"), "buildvcs = true\n");
    let third = commit(dir, "stamp vcs");
    assert_ne!(second, third);
    build("a build with buildvcs = true", &third);
    assert_eq!(
        project.run("stamped"),
        format!("version 1.2.3 revision {third} vcs {third} modified false\n")
    );

    append(&dir.join("docs/notes.md"), "another commit\n");
    let fourth = commit(dir, "fourth");
    let progress = build("a build with buildvcs after a commit", &fourth);
    assert!(!was_cached(&progress, BUILD), "{progress}");
    assert_eq!(
        project.run("stamped"),
        format!("version 1.2.3 revision {fourth} vcs {fourth} modified false\n")
    );
}
