//! `gofrontend bake` writes a bake file; `docker buildx bake` builds every service image from
//! it in one command, and the module download runs once for all of them. (buildx 0.13's bake
//! has no `network` key: the example requires no module, so its download needs no network.)

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::{
    Engines, TESTED_SUMMARY, append, assert_ok, example_copy, run_command, run_image, stderr,
    unique, var, vertex_lines,
};

/// `gofrontend bake ARGS` in `dir`, its output written to `dir/docker-bake.json`.
fn write_bake_file(dir: &Path, args: &[&str]) {
    let written = Command::new(env!("CARGO_BIN_EXE_gofrontend"))
        .arg("bake")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert_ok(&written, "gofrontend bake");
    std::fs::write(dir.join("docker-bake.json"), &written.stdout).unwrap();
}

/// `docker buildx bake` of `dir/docker-bake.json` on Docker 26.1 through the frontend under
/// test, with `extra` arguments (more `--set`s, the targets).
fn buildx_bake(engines: &Engines, dir: &Path, extra: &[&str]) -> Output {
    let syntax = format!("*.args.BUILDKIT_SYNTAX={}", engines.frontend);
    let mut bake = engines.docker_command(
        &engines.docker26,
        &[
            "buildx",
            "bake",
            "-f",
            "docker-bake.json",
            "--progress=plain",
            "--set",
            &syntax,
        ],
    );
    bake.args(extra).current_dir(dir);
    run_command(bake)
}

#[test]
fn buildx_bake_builds_every_service_and_downloads_once() {
    let engines = Engines::from_env();
    let dir = example_copy("microservices", "bake");
    append(&dir.join("go.mod"), &format!("// run {}\n", unique()));
    write_bake_file(&dir, &["--tag-prefix", "gofrontend-e2e/bake-"]);
    let base = format!(
        "*.args.GOFRONTEND_BASE_IMAGE={}",
        var("GOFRONTEND_DISTROLESS_IMAGE")
    );
    let output = buildx_bake(
        &engines,
        &dir,
        &["--set", &base, "--set", "*.args.VERSION=2.0.0"],
    );
    assert_ok(&output, "docker buildx bake");
    for service in ["api", "worker"] {
        assert_eq!(
            run_image(&engines, &format!("gofrontend-e2e/bake-{service}")),
            format!("hello from {service} (version 2.0.0)\n")
        );
    }
    let progress = stderr(&output);
    let lines = vertex_lines(&progress, "go mod download");
    let ran: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter(|line| line.ends_with(" DONE") || line.contains(" DONE "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        ran.len(),
        1,
        "the download ran once for both targets:\n{progress}"
    );
}

#[test]
fn buildx_bake_test_runs_the_tests_into_test_reports() {
    let engines = Engines::from_env();
    let dir = crate::harness::private_copy(Path::new("tests/fixtures/tested"), "bake-test");
    append(&dir.join("go.mod"), &format!("// run {}\n", unique()));
    write_bake_file(&dir, &[]);
    let output = buildx_bake(&engines, &dir, &["test"]);
    assert_ok(&output, "docker buildx bake test");
    assert_eq!(
        std::fs::read_to_string(dir.join("test-reports/summary.txt")).unwrap(),
        TESTED_SUMMARY
    );
}
