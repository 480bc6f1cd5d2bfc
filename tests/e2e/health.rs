//! An entrypoint and a health check from the Gofile, as Docker reads them: `docker inspect`
//! shows them, and `docker run` reports the container healthy once the check passes.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{
    Engines, assert_ok, assert_refused, example_copy, inspect, replace, stdout, unique,
};

/// Runs `image` on Docker 20.10 until its health status is `wanted` (or a minute passes: a
/// wait bound, not a timing assertion) and returns Docker's `State.Health`. The check runs
/// through `docker exec`, which the chroot-run 26.1 engines here cannot do: runc resolves the
/// exec's paths in the daemon's chroot, not in the container.
fn run_until_health(engines: &Engines, image: &str, wanted: &str) -> serde_json::Value {
    let name = format!("gofrontend-health-{}", unique());
    let run = engines.docker20(&["run", "-d", "--name", &name, "--network=none", image]);
    assert_ok(&run, "docker run -d on Docker 20.10");
    let health = || {
        let out = engines.docker20(&["inspect", "-f", "{{json .State.Health}}", &name]);
        serde_json::from_str(stdout(&out).trim()).unwrap_or(serde_json::Value::Null)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = health();
    while last["Status"] != wanted && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        last = health();
    }
    let logs = engines.docker20(&["logs", &name]);
    let _ = engines.docker20(&["rm", "-f", &name]);
    assert_eq!(
        last["Status"],
        wanted,
        "health {last}\ncontainer logs:\n{}",
        stdout(&logs)
    );
    last
}

#[test]
fn a_health_check_reaches_healthy_in_docker_run() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "health");
    replace(
        &context.join("Gofile"),
        "ports = [8080]\n",
        "ports = [8080]\nentrypoint = [\"api\", \"--serve\"]\nhealthcheck = { command = [\"api\", \"--health\"], interval = \"1s\", timeout = \"2s\", retries = 5 }\n",
    );
    let tag = "gofrontend-e2e/api:health";
    let args = ["--target", "api", "-t", tag];
    assert_ok(
        &engines.buildx(&context, &args),
        "building a service with a health check",
    );
    let config = &inspect(&engines, tag)["Config"];
    assert_eq!(
        config["Entrypoint"],
        json!(["/usr/local/bin/api", "--serve"])
    );
    assert_eq!(config["Cmd"], json!(["--listen", ":8080"]));
    assert_eq!(
        config["Healthcheck"],
        json!({"Test": ["CMD", "/usr/local/bin/api", "--health"], "Interval": 1_000_000_000_i64,
               "Timeout": 2_000_000_000_i64, "Retries": 5})
    );

    assert_ok(
        &engines.build20(&context, &args),
        "the same build on Docker 20.10",
    );
    let health = run_until_health(&engines, tag, "healthy");
    let passed = health["Log"]
        .as_array()
        .is_some_and(|log| log.iter().any(|check| check["ExitCode"] == 0));
    assert!(passed, "{health}");
}

#[test]
fn a_health_check_on_a_server_that_does_not_answer_turns_unhealthy() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "unhealthy");
    // The server listens on 8080; the check asks 9090.
    replace(
        &context.join("Gofile"),
        "ports = [8080]\n",
        "ports = [8080]\nentrypoint = [\"api\", \"--serve\"]\nhealthcheck = { command = [\"api\", \"--health\", \"--listen\", \":9090\"], interval = \"1s\", retries = 1 }\n",
    );
    let tag = "gofrontend-e2e/api:unhealthy";
    let out = engines.build20(&context, &["--target", "api", "-t", tag]);
    assert_ok(&out, "building a service with a failing health check");
    let health = run_until_health(&engines, tag, "unhealthy");
    let refused = health["Log"].as_array().is_some_and(|log| {
        log.iter().any(|check| {
            let output = check["Output"].as_str().unwrap_or_default();
            output.contains("127.0.0.1:9090") && output.contains("connection refused")
        })
    });
    assert!(refused, "the check itself ran and failed: {health}");
}

#[test]
fn a_health_check_running_another_program_is_refused_with_its_line() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "health-curl");
    replace(
        &context.join("Gofile"),
        "ports = [8080]\n",
        "ports = [8080]\nhealthcheck = { command = [\"curl\", \"-f\", \"http://localhost:8080/\"] }\n",
    );
    let out = engines.buildx(
        &context,
        &["--target", "api", "-t", "gofrontend-e2e/api:curl"],
    );
    assert_refused(
        &out,
        "Gofile:14:28: `curl` in `healthcheck.command` of service `api` is not a program its image holds",
    );
}
