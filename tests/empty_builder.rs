//! A builder whose cache mounts are empty while the module download's result is cached (pruned
//! or garbage-collected mounts, a fresh CI runner importing a registry cache) still compiles,
//! offline, from the module layer. It prunes the containerd-store engine's cache mounts, so it
//! runs in a test binary of its own (test binaries run one at a time).

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use harness::{Engines, assert_ok, example_copy, stderr, stdout, unique, var, was_cached};

#[test]
fn a_builder_with_empty_cache_mounts_compiles_from_the_module_layer_offline() {
    let engines = Engines::from_env();
    let log = var("GOFRONTEND_GOPROXY_LOG");
    let context = example_copy("microservices", "empty-builder");
    let run = unique();
    harness::require_quote(&context, "example.com/microservices", run);
    let worker = context.join("cmd/worker/main.go");
    let program = |nonce: &str| {
        format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/quote\"\n)\n\nfunc main() {{\n\tfmt.Println(quote.Hello(), {nonce:?})\n}}\n"
        )
    };
    let tag = "gofrontend-empty/worker:latest";
    let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
    let build = || {
        harness::run_command(engines.buildx_command(
            &engines.docker26cs,
            &context,
            &["--target", "worker", "-t", tag, "--build-arg", &proxy],
        ))
    };

    std::fs::write(&worker, program("first")).unwrap();
    assert_ok(&build(), "the first build");

    let pruned = engines.docker_on(
        &engines.docker26cs,
        &["builder", "prune", "-f", "--filter", "type=exec.cachemount"],
    );
    assert_ok(&pruned, "pruning the cache mounts");

    std::fs::write(&worker, program("after the prune")).unwrap();
    let offset = std::fs::read_to_string(&log).unwrap().len();
    let out = build();
    assert_ok(&out, "the build after the cache mounts were pruned");
    let progress = stderr(&out);
    assert!(
        was_cached(&progress, "go mod download"),
        "the download's result is a layer, kept by the prune:\n{progress}"
    );
    assert!(!was_cached(&progress, "[worker] go build"), "{progress}");
    let fetched = &std::fs::read_to_string(&log).unwrap()[offset..];
    assert!(fetched.is_empty(), "nothing is fetched:\n{fetched}");
    let ran = engines.docker_on(&engines.docker26cs, &["run", "--rm", "--network=none", tag]);
    assert_ok(&ran, "running the image");
    assert_eq!(
        stdout(&ran),
        "Hello, world! (quote v1.1.0) after the prune\n"
    );
}
