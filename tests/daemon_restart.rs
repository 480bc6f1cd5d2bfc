//! The daemon killed in the middle of a build: the client reports an error, and after a
//! restart the same build succeeds and reuses what the daemon had cached before it died.
//! It kills the containerd-store engine that `scripts/local-buildkit up` started (the other
//! test binaries do not use it) and brings it back with `scripts/local-buildkit up`.

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use harness::{Engines, assert_ok, example_copy, stderr, stdout, unique, var, was_cached};

fn engine_pid() -> i32 {
    let file = format!("{}/run/docker26cs.pid", var("GOFRONTEND_STATE"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("{file}: {err}: is the engine from scripts/local-buildkit?"));
    text.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_build_survives_the_daemon_being_killed_and_restarted() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "restart");
    let main_go = context.join("cmd/api/main.go");
    let code = std::fs::read_to_string(&main_go).unwrap();
    std::fs::write(&main_go, format!("{code}\n// build {}\n", unique())).unwrap();
    let tag = "gofrontend-restart/api:latest";
    let args = ["--target", "api", "-t", tag];

    let mut build = engines
        .buildx_command(&engines.docker26cs, &context, &args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let progress = BufReader::new(build.stderr.take().unwrap());
    let mut seen = String::new();
    let mut killed = false;
    for line in progress.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        // The compile has started, so the module download before it is done and cached.
        if !killed && line.contains("[api] go build ./cmd/api") {
            let pid = engine_pid();
            let status = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            assert!(status.unwrap().success(), "kill -KILL {pid}");
            killed = true;
        }
    }
    let status = build.wait().unwrap();
    assert!(killed, "the compile never started:\n{seen}");
    assert!(
        !status.success(),
        "the build succeeded with its daemon killed:\n{seen}"
    );
    assert!(seen.contains("ERROR"), "no error reported:\n{seen}");

    let root = env!("CARGO_MANIFEST_DIR");
    let up = Command::new(format!("{root}/scripts/local-buildkit"))
        .arg("up")
        .output()
        .unwrap();
    assert_ok(&up, "scripts/local-buildkit up after the kill");

    let rebuild = engines
        .buildx_command(&engines.docker26cs, &context, &args)
        .output()
        .unwrap();
    assert_ok(&rebuild, "the same build after the restart");
    let progress = stderr(&rebuild);
    assert!(
        was_cached(&progress, "go mod download"),
        "the download finished before the kill and is reused:\n{progress}"
    );
    assert!(!was_cached(&progress, "[api] go build"), "{progress}");

    let run = engines
        .docker_command(&engines.docker26cs, &["run", "--rm", "--network=none", tag])
        .output()
        .unwrap();
    assert_ok(&run, "running the rebuilt image");
    assert!(
        stdout(&run).starts_with("hello from api"),
        "{}",
        stdout(&run)
    );
}
