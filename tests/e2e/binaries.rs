//! An image holding another service's binary (`include_binaries`), compiled once in the same
//! build, runnable as the image's entrypoint or beside it.

use crate::harness::{
    Engines, assert_ok, example_copy, inspect, replace, run_image, stderr, stdout, vertex_lines,
};

#[test]
fn an_image_carries_the_binaries_it_includes() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "include-binaries");
    replace(
        &context.join("Gofile"),
        "ports = [8080]\n",
        "ports = [8080]\ninclude_binaries = [\"worker\"]\n",
    );
    let tag = "gofrontend-e2e/api:with-worker";
    let out = engines.buildx(&context, &["--target", "api", "-t", tag]);
    assert_ok(&out, "building api with the worker's binary");
    let progress = stderr(&out);
    let compiles: std::collections::BTreeSet<&str> = vertex_lines(&progress, "[worker] go build")
        .into_iter()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(compiles.len(), 1, "one worker compile:\n{progress}");
    assert!(progress.contains("copy api, worker onto"), "{progress}");

    assert_eq!(run_image(&engines, tag), "hello from api (version dev)\n");
    let worker = engines.docker(&[
        "run",
        "--rm",
        "--network=none",
        "--entrypoint",
        "/usr/local/bin/worker",
        tag,
    ]);
    assert_ok(&worker, "running the included worker");
    assert_eq!(stdout(&worker), "hello from worker (version dev)\n");
    assert_eq!(
        inspect(&engines, tag)["Config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/api"])
    );
}
