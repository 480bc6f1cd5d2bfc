//! The test target (`--target test`) on the real engines, on `tests/fixtures/tested`: calc
//! (tests reading testdata/), store (imports calc; its test serves HTTP on loopback) and greet
//! (an external test package reading golden/, which it names). Which test steps ran is read from go test's own result line in
//! each step's output, which only a step that ran prints.

use std::path::Path;

use crate::harness::{
    Project, TESTED_SUMMARY, append, assert_ok, assert_refused, replace, stderr, tests_run, var,
};

const PACKAGES: [&str; 3] = ["calc", "greet", "store"];

fn test_build(project: &Project, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--target", "test"];
    args.extend(extra);
    project.try_build(&args)
}

fn summary(out: &Path) -> String {
    std::fs::read_to_string(out.join("summary.txt")).unwrap_or_default()
}

#[test]
fn the_test_target_reruns_only_the_tests_an_edit_can_affect() {
    let project = Project::new("tests/fixtures/tested", "go.mod", "tests-edits");
    let build = |what: &str| {
        let output = test_build(&project, &[]);
        assert_ok(&output, what);
        stderr(&output)
    };
    let progress = build("the first test build");
    assert_eq!(
        tests_run(&progress, "example.com/tested", &PACKAGES),
        PACKAGES
    );
    assert_eq!(summary(&project.out), TESTED_SUMMARY);
    for package in PACKAGES {
        let dir = project.out.join("example.com/tested").join(package);
        let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
        assert!(
            report.lines().all(|line| line.starts_with("{\"Time\":"))
                && report.contains("\"Action\":\"pass\""),
            "{package}'s report is go test -json's stream:\n{report}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("status.txt")).unwrap(),
            "0\n"
        );
    }
    let report =
        std::fs::read_to_string(project.out.join("example.com/tested/store/report.json")).unwrap();
    assert!(
        report.contains("\"Test\":\"TestTotalOverHTTP\"")
            && !report.contains("\"Action\":\"fail\""),
        "the httptest server answered on loopback:\n{report}"
    );

    let after_editing = |what: &str, expected: &[&str]| {
        let progress = build(&format!("the test build after editing {what}"));
        assert_eq!(
            tests_run(&progress, "example.com/tested", &PACKAGES),
            expected,
            "after editing {what}:\n{progress}"
        );
    };
    after_editing("nothing", &[]);
    replace(
        &project.path("greet/greet.go"),
        "\"hello \"",
        "\"hello\" + \" \"",
    );
    after_editing("a leaf package", &["greet"]);
    append(&project.path("calc/calc.go"), "\nconst version = 2\n");
    after_editing("a package another imports", &["calc", "store"]);
    append(&project.path("greet/greet_test.go"), "\n// edited\n");
    after_editing("a _test.go file", &["greet"]);
    append(&project.path("calc/testdata/cases.txt"), "12 5 7\n");
    after_editing("a testdata file", &["calc"]);
    append(&project.path("greet/golden/hello.txt"), "\n");
    after_editing("a file in a directory a test names", &["greet"]);
    append(&project.path("go.mod"), "// edited\n");
    after_editing("go.mod", &PACKAGES);
}

#[test]
fn a_failing_test_fails_the_build_with_its_output_unless_failures_are_reported() {
    let project = Project::new("tests/fixtures/tested", "go.mod", "tests-failing");
    replace(
        &project.path("calc/calc_test.go"),
        "got != want",
        "got == want",
    );
    let failed = test_build(&project, &[]);
    for line in [
        "calc_test.go:28: Sum([1 2]) = 3, want 3",
        "--- FAIL: TestSumCases",
        "FAIL\texample.com/tested/calc",
        "gofrontend: [test ./calc] failed; go test's output is above",
    ] {
        assert_refused(&failed, line);
    }

    let reported = test_build(
        &project,
        &["--build-arg", "GOFRONTEND_TEST_FAILURES=report"],
    );
    assert_ok(&reported, "the test build recording failures");
    assert!(stderr(&reported).contains("gofrontend: [test ./calc] failed; recorded in its report"));
    assert_eq!(
        summary(&project.out),
        "FAIL example.com/tested/calc\nok example.com/tested/greet\nok example.com/tested/store\n? example.com/tested/cmd/api [no test files]\n? example.com/tested/e2e [no test files]\n"
    );
    let calc = project.out.join("example.com/tested/calc");
    assert_eq!(
        std::fs::read_to_string(calc.join("status.txt")).unwrap(),
        "1\n"
    );
    let report = std::fs::read_to_string(calc.join("report.json")).unwrap();
    assert!(
        report.contains("\"Test\":\"TestSumCases\"") && report.contains("\"Action\":\"fail\""),
        "{report}"
    );

    // A test file that does not compile reads like a service's compile error.
    replace(
        &project.path("calc/calc_test.go"),
        "got == want",
        "got != wnt",
    );
    let broken = test_build(&project, &[]);
    assert_refused(&broken, "calc/calc_test.go:27:36: undefined: wnt");
}

#[test]
fn a_test_hanging_past_the_timeout_fails_with_its_name_and_the_daemon_keeps_serving() {
    let project = Project::new("tests/fixtures/tested", "go.mod", "tests-timeout");
    append(&project.path("Gofile"), "timeout = \"3s\"\n");
    let hang = project.path("greet/hang_test.go");
    std::fs::write(
        &hang,
        "package greet_test\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestHang(t *testing.T) { time.Sleep(time.Hour) }\n",
    )
    .unwrap();
    let hung = test_build(&project, &[]);
    for line in [
        "panic: test timed out after 3s",
        "TestHang (3s)",
        "example.com/tested/greet_test.TestHang",
        "gofrontend: [test ./greet] failed",
    ] {
        assert_refused(&hung, line);
    }
    std::fs::remove_file(&hang).unwrap();
    assert_ok(
        &test_build(&project, &[]),
        "the test build after the hanging one",
    );
    assert_eq!(summary(&project.out).lines().count(), 5);
}

#[test]
fn docker_20_10_runs_the_test_target() {
    let project = Project::new("tests/fixtures/tested", "go.mod", "tests-docker20");
    let dest = format!("type=local,dest={}", project.out.display());
    let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
    let output = project.engines.build20(
        &project.dir,
        &["--target", "test", "--output", &dest, "--build-arg", &proxy],
    );
    assert_ok(&output, "the test build on Docker 20.10");
    assert_eq!(
        tests_run(&stderr(&output), "example.com/tested", &PACKAGES),
        PACKAGES
    );
    assert_eq!(summary(&project.out), TESTED_SUMMARY);
}
