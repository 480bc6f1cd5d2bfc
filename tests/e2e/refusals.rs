//! Mistakes that used to build an image that cannot start, or fail with an unclear message,
//! refused by the frontend on the real engines with the line at fault and a fix.

use crate::harness::{Engines, assert_ok, example_copy, run_image, stderr, write_files};

/// buildx's closing `ERROR: failed to solve: ...` line, the one a user reads first (the
/// Gofile lines at fault may follow it).
fn last_line(output: &std::process::Output) -> String {
    stderr(output)
        .lines()
        .rfind(|line| line.starts_with("ERROR:"))
        .unwrap_or_default()
        .to_string()
}

fn refused(engines: &Engines, context: &std::path::Path, extra: &[&str], expected: &str) {
    let out = engines.buildx(context, extra);
    assert!(!out.status.success(), "built, expected `{expected}`");
    assert!(
        last_line(&out).contains(expected),
        "expected `{expected}` on the ERROR line of:\n{}",
        stderr(&out)
    );
}

#[test]
fn images_that_could_not_start_are_refused_with_the_gofile_line() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "refusals");
    let gofile = context.join("Gofile");
    write_files(
        &context,
        &[
            (
                "lib/lib.go",
                "package lib\n\nfunc Hello() string { return \"hi\" }\n",
            ),
            (
                "cgo/cgo.go",
                "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc main() { C.free(nil) }\n",
            ),
        ],
    );
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "[services.hello]\npackage = \"./lib\"\n",
            &[],
            "Gofile:2:11: service `hello` builds `./lib`, which is `package lib`, not a command",
        ),
        (
            "[services.hello]\npackage = \"./cmd/nope\"\n",
            &[],
            "Gofile:2:11: service `hello` builds `./cmd/nope`, and `cmd/nope` is not in the build context",
        ),
        (
            "[services.hello]\npackage = \"./main.go\"\n",
            &[],
            "Gofile:2:11: package `./main.go` names the file `main.go`",
        ),
        (
            "[services.hello]\npackage = \"./cgo\"\n",
            &[],
            "service `hello` builds without cgo, and every Go file of cgo imports \"C\"",
        ),
        (
            "[services.hello]\npackage = \".\"\nbinary = \"app\"\n[services.again]\npackage = \".\"\nbinary = \"app\"\n",
            &[],
            "services `hello` and `again` both build the binary `app`",
        ),
        (
            "[services.hello]\npackage = \".\"\nflags = [\"-race\"]\n",
            &[],
            "Gofile:3:10: `-race` needs cgo",
        ),
        (
            "[services.hello]\npackage = \".\"\n",
            &["--build-context", "golnag=docker-image://golang:1.24"],
            "no image of this build is `docker.io/library/golnag:latest`",
        ),
    ];
    for (text, extra, expected) in cases {
        std::fs::write(&gofile, text).unwrap();
        refused(&engines, &context, extra, expected);
    }

    // Docker 20.10 (BuildKit v0.8) gets the same refusal.
    std::fs::write(&gofile, cases[0].0).unwrap();
    let out = engines.build20(&context, &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(cases[0].2), "{}", stderr(&out));

    std::fs::write(&gofile, "[services.hello]\npackage = \".\"\n").unwrap();
    std::fs::write(context.join(".dockerignore"), "go.mod\nREADME.md\n").unwrap();
    refused(&engines, &context, &[], ".dockerignore excludes `go.mod`");
    std::fs::remove_file(context.join(".dockerignore")).unwrap();

    // A base no registry has fails before any compile, at its line.
    std::fs::write(
        &gofile,
        "base = \"localhost:5000/gofrontend-e2e/no-such-base:1\"\n[services.hello]\npackage = \".\"\n",
    )
    .unwrap();
    let out = engines.buildx_own_base(&context, &[]);
    assert!(!out.status.success());
    assert!(
        last_line(&out).contains(
            "Gofile:1:8: the base image localhost:5000/gofrontend-e2e/no-such-base:1 for linux/amd64 cannot be resolved"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("go build"), "{}", stderr(&out));

    // Thousands of labels: BuildKit would refuse the result with no reason given.
    let labels: String = (0..40_000)
        .map(|n| format!("\"example.com/label-{n}\" = \"{}\"\n", "x".repeat(80)))
        .collect();
    std::fs::write(
        &gofile,
        format!("[services.hello]\npackage = \".\"\n[services.hello.labels]\n{labels}"),
    )
    .unwrap();
    refused(
        &engines,
        &context,
        &[],
        "the image config of service `hello` is",
    );

    std::fs::write(&gofile, "[services.hello]\npackage = \".\"\n").unwrap();
    assert_ok(
        &engines.buildx(&context, &["-t", "gofrontend-e2e/hello:refusals"]),
        "a good build after the refused ones",
    );
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/hello:refusals"),
        "hello from gofrontend\n"
    );
}

#[test]
fn failures_end_with_a_short_line_that_names_the_step() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "short-errors");
    std::fs::write(
        context.join("main.go"),
        "package main\n\nfunc main() { undefined() }\n",
    )
    .unwrap();
    let out = engines.buildx(&context, &[]);
    assert!(!out.status.success());
    let all = stderr(&out);
    assert!(all.contains("undefined: undefined"), "{all}");
    assert!(
        all.contains("gofrontend: [hello] failed; the go command's output is above"),
        "{all}"
    );
    let last = last_line(&out);
    assert!(
        last.contains("process \"/bin/sh /gofrontend/go.sh hello go build") && last.len() < 300,
        "a short last line naming the service, got ({} bytes): {last}",
        last.len()
    );

    // A go.mod naming a Go release no golang image has is reported at its line.
    std::fs::write(context.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    std::fs::write(
        context.join("go.mod"),
        "module example.com/hello\n\ngo 1.99\n",
    )
    .unwrap();
    let out = engines.buildx(&context, &[]);
    assert!(!out.status.success());
    assert!(
        last_line(&out)
            .contains("go.mod:3:1: this picks the builder image docker.io/library/golang:1.99"),
        "{}",
        stderr(&out)
    );
}

/// Build args with spaces in `-X` values stay one linker flag.
#[test]
fn build_args_with_spaces_reach_the_binary_whole() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "ldflags-args");
    std::fs::write(
        context.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(\"version\", version) }\n",
    )
    .unwrap();
    std::fs::write(
        context.join("Gofile"),
        "[services.hello]\npackage = \".\"\nldflags = \"-s -w -X main.version=${VERSION}\"\n",
    )
    .unwrap();
    let out = engines.buildx(
        &context,
        &[
            "--build-arg",
            "VERSION=1.0 beta \"it's\"",
            "-t",
            "gofrontend-e2e/hello:ldflags",
        ],
    );
    assert!(!out.status.success(), "both quotes cannot be quoted for Go");
    assert!(
        last_line(&out).contains("holds both `'` and `\"`"),
        "{}",
        stderr(&out)
    );
    let out = engines.buildx(
        &context,
        &[
            "--build-arg",
            "VERSION=1.0 beta (it's)",
            "-t",
            "gofrontend-e2e/hello:ldflags",
        ],
    );
    assert_ok(&out, "a build arg with spaces and a quote");
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/hello:ldflags"),
        "version 1.0 beta (it's)\n"
    );
}
