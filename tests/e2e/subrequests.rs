//! `docker buildx build --print=...`: the subrequests answered by the frontend, printed by
//! buildx 0.13 (which needs BUILDX_EXPERIMENTAL=1 for `--print`).

use std::path::Path;

use crate::harness::{Engines, assert_ok, example_copy, run_command, stdout};

fn print(engines: &Engines, context: &Path, request: &str, extra: &[&str]) -> String {
    let flag = format!("--print={request}");
    let mut args = vec![flag.as_str()];
    args.extend(extra);
    let mut command = engines.buildx_command(&engines.docker26, context, &args);
    command.env("BUILDX_EXPERIMENTAL", "1");
    let output = run_command(command);
    assert_ok(&output, &format!("--print={request}"));
    stdout(&output)
}

fn has_row(text: &str, cells: &[&str]) -> bool {
    text.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        cells.iter().all(|cell| {
            let cell_words: Vec<&str> = cell.split_whitespace().collect();
            words
                .windows(cell_words.len())
                .any(|w| w == cell_words.as_slice())
        })
    })
}

#[test]
fn buildx_prints_targets_outline_lint_and_the_requests() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "print");

    let targets = print(&engines, &context, "targets", &[]);
    assert!(has_row(&targets, &["api", "The HTTP API"]), "{targets}");
    assert!(
        has_row(&targets, &["worker", "The background worker"]),
        "{targets}"
    );

    assert!(has_row(&targets, &["test", "go test ./..."]), "{targets}");
    let tests = print(&engines, &context, "outline", &["--target", "test"]);
    assert!(tests.contains("TARGET:      test"), "{tests}");
    let outline = print(&engines, &context, "outline", &["--target", "api"]);
    assert!(has_row(&outline, &["VERSION", "dev"]), "{outline}");
    assert!(has_row(&outline, &["GOPROXY"]), "{outline}");
    assert!(has_row(&outline, &["netrc"]), "{outline}");

    let requests = print(&engines, &context, "subrequests.describe", &[]);
    for name in ["outline", "targets", "lint"] {
        assert!(has_row(&requests, &[name]), "{requests}");
    }

    let clean = print(&engines, &context, "lint", &[]);
    assert!(clean.contains("no warnings found"), "{clean}");
    let gofile = context.join("Gofile");
    let text = std::fs::read_to_string(&gofile).unwrap();
    std::fs::write(&gofile, format!("base = \"debian:bookworm\"\n{text}")).unwrap();
    let warned = print(&engines, &context, "lint", &[]);
    assert!(warned.contains("WARNING: BaseNotMinimal"), "{warned}");
    assert!(warned.contains("debian:bookworm"), "{warned}");
}
