//! Reliability through the real engines: ten builds of different projects at once, two sharing
//! their cache mounts, a Gofile with 1000 services and one past BuildKit v0.8's message limit,
//! and Gofile values a shell would act on. (The daemon killed mid-build is
//! `tests/daemon_restart.rs`, and the pruned cache mounts `tests/empty_builder.rs`: each needs
//! an engine to itself.)

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{
    Engines, assert_ok, inspect, private_copy, run_image, scratch_dir, stderr, stdout, unique,
    write_files,
};

#[test]
fn ten_concurrent_builds_of_different_projects_all_succeed() {
    let engines = Engines::from_env();
    let nonce = unique();
    let projects: Vec<PathBuf> = (0..10)
        .map(|i| {
            let dir = scratch_dir(&format!("concurrent-{i}"));
            write_files(
                &dir,
                &[
                    ("go.mod", &format!("module example.com/project{i}\n\ngo 1.24\n")),
                    (
                        "Gofile",
                        &format!("[services.project{i}]\npackage = \"./cmd/project{i}\"\n"),
                    ),
                    (
                        &format!("cmd/project{i}/main.go"),
                        &format!(
                            "package main\n\nimport \"fmt\"\n\nfunc main() {{ fmt.Println(\"project {i}, build {nonce}\") }}\n"
                        ),
                    ),
                ],
            );
            dir
        })
        .collect();
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let builds: Vec<_> = projects
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let engines = &engines;
                scope.spawn(move || {
                    let tag = format!("gofrontend-reliability/project{i}:concurrent");
                    engines.buildx(dir, &["-t", &tag])
                })
            })
            .collect();
        builds.into_iter().map(|b| b.join().unwrap()).collect()
    });
    for (i, out) in outputs.iter().enumerate() {
        assert_ok(out, &format!("concurrent build of project {i}"));
        assert_eq!(
            run_image(
                &engines,
                &format!("gofrontend-reliability/project{i}:concurrent")
            ),
            format!("project {i}, build {nonce}\n")
        );
    }
}

/// A module with `count` services; only the last one has code.
fn many_services(count: usize) -> PathBuf {
    let dir = scratch_dir(&format!("services-{count}"));
    let last = count - 1;
    // Every service but the last builds one shared command: a package must exist to build.
    let gofile: String = (0..count)
        .map(|i| {
            let package = if i == last { format!("svc{i}") } else { "common".to_string() };
            format!(
                "[services.svc{i}]\npackage = \"./cmd/{package}\"\nports = [8080]\nenv = {{ MODE = \"prod\" }}\n"
            )
        })
        .collect();
    write_files(
        &dir,
        &[
            (
                "go.mod",
                &format!("module example.com/many{count}\n\ngo 1.24\n"),
            ),
            ("Gofile", &gofile),
            ("cmd/common/main.go", "package main\n\nfunc main() {}\n"),
            (
                &format!("cmd/svc{last}/main.go"),
                &format!(
                    "package main\n\nimport \"fmt\"\n\nfunc main() {{ fmt.Println(\"service {last} of {count}\") }}\n"
                ),
            ),
        ],
    );
    dir
}

#[test]
fn a_gofile_with_1000_services_builds_any_of_them_on_buildkit_v0_8() {
    let engines = Engines::from_env();
    let dir = many_services(1000);
    let tag = "gofrontend-reliability/svc999:many";
    assert_ok(
        &engines.build20(&dir, &["--target", "svc999", "-t", tag]),
        "building one target of 1000 services",
    );
    let out = engines.docker20(&["run", "--rm", "--network=none", tag]);
    assert_ok(&out, "running svc999");
    assert_eq!(stdout(&out), "service 999 of 1000\n");
}

#[test]
fn a_definition_past_buildkit_v0_8_message_limit_fails_with_what_to_do() {
    let engines = Engines::from_env();
    // Every service at once: about 1.4 KiB of LLB each, so 4000 pass v0.8's 4 MiB.
    let dir = many_services(4000);
    let out = engines.build20(&dir, &[]);
    assert!(!out.status.success(), "4000 services in one message built");
    let err = stderr(&out);
    for expected in [
        "the build of 4000 services is a ",
        " MiB definition, more than this BuildKit accepts in one message",
        "build fewer services at once, each with --target",
    ] {
        assert!(err.contains(expected), "expected `{expected}` in:\n{err}");
    }
}

#[test]
fn gofile_values_reach_the_program_literally() {
    let engines = Engines::from_env();
    let dir = private_copy(Path::new("tests/fixtures/literal"), "literal");
    let tag = "gofrontend-reliability/literal:latest";
    assert_ok(
        &engines.buildx(&dir, &["-t", tag]),
        "building the literal fixture",
    );
    assert_eq!(
        run_image(&engines, tag),
        concat!(
            "version=\"$(touch /tmp/pwned); `id` && rm -rf / | cat > /x\"\n",
            "arg=\"$(id)\"\n",
            "arg=\"; rm -rf /\"\n",
            "arg=\"line one\\nline two\"\n",
            "arg=\"--\"\n",
            "arg=\"--help\"\n",
            "arg=\"*\"\n",
            "note=\"$HOME `id` ${NOTHING} \\\"quoted\\\"\\nsecond line\"\n",
        )
    );
    let config = &inspect(&engines, tag)["Config"];
    assert_eq!(
        config["Cmd"],
        serde_json::json!([
            "$(id)",
            "; rm -rf /",
            "line one\nline two",
            "--",
            "--help",
            "*"
        ])
    );
}

#[test]
fn two_projects_sharing_the_cache_mounts_build_at_the_same_time() {
    let engines = Engines::from_env();
    let go_sum = harness::fixture_go_sum(&["example.com/quote"]);
    let run = unique();
    let projects: Vec<PathBuf> = (0..2)
        .map(|i| {
            let dir = scratch_dir(&format!("shared-cache-{i}"));
            write_files(
                &dir,
                &[
                    (
                        "go.mod",
                        &format!("module example.com/sharer{i}\n\ngo 1.24\n\nrequire example.com/quote v1.1.0\n"),
                    ),
                    ("go.sum", &go_sum),
                    (
                        "Gofile",
                        &format!("shared_cache = true\n\n[services.sharer{i}]\npackage = \".\"\n"),
                    ),
                    (
                        "main.go",
                        &format!(
                            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/quote\"\n)\n\nfunc main() {{ fmt.Println(quote.Hello(), \"from sharer {i}, run {run}\") }}\n"
                        ),
                    ),
                ],
            );
            dir
        })
        .collect();
    // The same fresh cache mounts for both, empty when they start.
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=shared-{run}");
    let proxy = format!("GOPROXY={}", harness::var("GOFRONTEND_GOPROXY"));
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let builds: Vec<_> = projects
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let (engines, namespace, proxy) = (&engines, &namespace, &proxy);
                scope.spawn(move || {
                    let tag = format!("gofrontend-reliability/sharer{i}:latest");
                    engines.buildx(
                        dir,
                        &["-t", &tag, "--build-arg", namespace, "--build-arg", proxy],
                    )
                })
            })
            .collect();
        builds.into_iter().map(|b| b.join().unwrap()).collect()
    });
    for (i, out) in outputs.iter().enumerate() {
        assert_ok(out, &format!("the build of sharer {i}"));
        assert_eq!(
            run_image(
                &engines,
                &format!("gofrontend-reliability/sharer{i}:latest")
            ),
            format!("Hello, world! (quote v1.1.0) from sharer {i}, run {run}\n")
        );
    }
}
