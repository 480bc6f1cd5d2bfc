//! docker compose (2.26, from Debian trixie) builds the example's services from its Gofile
//! and starts them: `compose.yaml` names the Gofile as each service's Dockerfile.

use crate::harness::{Engines, assert_ok, example_copy, run_command, stderr, stdout, unique};

#[test]
fn compose_builds_both_services_from_the_gofile_and_starts_them() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "compose");
    // What only this machine needs: the frontend under test, the local distroless stand-in,
    // and no network (containers never get a bridge here).
    let build_args = format!(
        "      args:\n        BUILDKIT_SYNTAX: {}\n        GOFRONTEND_BASE_IMAGE: {}\n",
        engines.frontend, engines.base_image
    );
    let overrides = format!(
        "services:\n  api:\n    network_mode: none\n    build:\n{build_args}  worker:\n    network_mode: none\n    build:\n{build_args}"
    );
    std::fs::write(context.join("compose.override.yaml"), overrides).unwrap();
    let project = format!("gofrontend-compose-{}", unique());
    let compose = |args: &[&str]| {
        let mut command = engines.docker_command(&engines.docker26, &["compose", "-p", &project]);
        command.current_dir(&context).args(args);
        run_command(command)
    };
    let up = compose(&["up", "--build"]);
    let logs = compose(&["logs", "--no-color"]);
    let down = compose(&["down", "--rmi", "local"]);
    assert_ok(&up, "docker compose up --build");
    assert_ok(&down, "docker compose down");
    let output = format!("{}{}", stdout(&logs), stderr(&up));
    assert!(output.contains("hello from api (version dev)"), "{output}");
    assert!(
        output.contains("hello from worker (version dev)"),
        "{output}"
    );
    assert!(
        stderr(&up).contains("gofrontend") || stdout(&up).contains("gofrontend"),
        "{}",
        stderr(&up)
    );
}
