//! CI-proof caching: a builder pruned empty, importing the registry cache an earlier build
//! exported with `mode=max`, rebuilds an edit in one service without fetching a module and
//! without compiling anything but the edited package: the compiled standard library, shared
//! packages and dependencies come from the cache's layers, since BuildKit does not export
//! cache mounts. One service gets its modules' layer when its build imports a cache. With
//! `GOFRONTEND_CACHE_LAYERS=false` the same rebuild compiles them again.
//! The test target's steps come back the same way: only the edited package's tests run.
//! It prunes the containerd-store engine's whole build cache, so it runs in a test binary of
//! its own (test binaries run one at a time).

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::path::Path;

use harness::{
    Engines, assert_ok, compiled, example_copy, fetched_since, git, private_copy, run_command,
    stderr, tests_run, unique, var, was_cached,
};

/// Both tests prune the engine's whole build cache: one at a time.
static PRUNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The microservices example with a module dependency in the worker, `go build -v` (which
/// names the packages it compiles, and only those), and code new to the daemon.
fn workload(test: &str, run: u128) -> std::path::PathBuf {
    let context = example_copy("microservices", test);
    harness::require_quote(&context, "example.com/microservices", run);
    std::fs::write(
        context.join("cmd/worker/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/microservices/internal/greeting\"\n\t\"example.com/quote\"\n)\n\n\
         func main() {\n\tfmt.Println(greeting.Line(\"worker\"), quote.Hello())\n}\n",
    )
    .unwrap();
    // An environment value of this run's own makes the precompile steps new to the daemon
    // too (their keys never include the cache mount ids): the go command ignores it.
    harness::replace(
        &context.join("Gofile"),
        "[build]\n",
        &format!("[build]\nflags = [\"-v\"]\nenv = {{ E2E_RUN = \"{run}\" }}\n"),
    );
    context
}

/// Build every service of `context` on the containerd-store engine, binaries to `out`.
fn build(engines: &Engines, context: &Path, out: &str, extra: &[&str]) -> String {
    let dest = format!("type=local,dest={}", context.join(out).display());
    let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
    let mut args = vec!["--output", &dest, "--build-arg", &proxy];
    args.extend(extra);
    let output = run_command(engines.buildx_command(&engines.docker26cs, context, &args));
    assert_ok(&output, &format!("the build into {out}"));
    stderr(&output)
}

/// Exports the cache, prunes the builder, edits `service`, rebuilds importing the cache;
/// returns the rebuild's progress after checking what every user of CI sees either way: no
/// module fetched, the precompile steps and the `restored` services' steps restored, the edit
/// in the binary.
fn fresh_builder_rebuild(test: &str, service: &str, restored: &[&str], extra: &[&str]) -> String {
    let engines = Engines::from_env();
    let run = unique();
    let context = workload(test, run);
    let cache = format!(
        "{}/gofrontend-e2e/cache:{test}-{run}",
        var("GOFRONTEND_REGISTRY")
    );
    // The exporting build runs on a warm builder: its standard library step, re-run for a new
    // import, finds every package in GOCACHE, and its layer must still hold what it used.
    build(&engines, &context, "warm", extra);
    let main = context.join(format!("cmd/{service}/main.go"));
    // A new import of a package both services' imports compile already (fmt's, net/http's).
    harness::replace(&main, "import (\n", "import (\n\t\"strconv\"\n");
    harness::append(&main, "\nvar _ = strconv.Itoa\n");
    // As CI builds its main branch: importing the cache it exported last time (none yet).
    let to = format!("type=registry,ref={cache},mode=max");
    let from = format!("type=registry,ref={cache}");
    let mut first = vec!["--cache-to", to.as_str(), "--cache-from", from.as_str()];
    first.extend(extra);
    let exporting = build(&engines, &context, "first", &first);
    assert!(
        !was_cached(&exporting, "[stdlib] go build")
            && compiled(&exporting, "[stdlib] go build").is_empty(),
        "the standard library step re-ran, all from GOCACHE:\n{exporting}"
    );

    let pruned = engines.docker_on(&engines.docker26cs, &["builder", "prune", "-af"]);
    assert_ok(&pruned, "pruning the builder");
    harness::replace(
        &main,
        &format!("greeting.Line(\"{service}\")"),
        &format!("greeting.Line(\"{service}-{run}\")"),
    );
    let log = var("GOFRONTEND_GOPROXY_LOG");
    let offset = std::fs::read_to_string(&log).unwrap().len();
    let mut again = vec!["--cache-from", from.as_str()];
    again.extend(extra);
    let progress = build(&engines, &context, "again", &again);

    assert_eq!(
        fetched_since(&log, offset),
        "",
        "no module is fetched on the fresh builder"
    );
    // Restored steps run nothing (a remote cache hit shows its layer's download, not CACHED).
    let precompiled = ["[stdlib] go build", "[shared] go build"];
    for step in precompiled.iter().chain(restored) {
        assert!(progress.contains(step), "a step {step}:\n{progress}");
        assert_eq!(
            compiled(&progress, step),
            Vec::<String>::new(),
            "{step} is restored:\n{progress}"
        );
    }
    let binary = std::process::Command::new(context.join(format!("again/usr/local/bin/{service}")))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&binary.stdout).contains(&format!("{service}-{run}")),
        "the edit reached the binary"
    );
    progress
}

#[test]
fn a_fresh_builder_compiles_only_the_edited_package_from_the_registry_cache() {
    let _one_at_a_time = PRUNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let progress = fresh_builder_rebuild("layers", "api", &["[worker] go build"], &[]);
    assert_eq!(
        compiled(&progress, "[api] go build"),
        ["example.com/microservices/cmd/api"],
        "the standard library and the shared package come from the cache's layers:\n{progress}"
    );

    // Without the layers the imported cache has no compiled packages: the api compiles the
    // standard library and the shared package again.
    let progress = fresh_builder_rebuild(
        "no-layers",
        "api",
        &["[worker] go build"],
        &["--build-arg", "GOFRONTEND_CACHE_LAYERS=false"],
    );
    let api = compiled(&progress, "[api] go build");
    for package in ["net/http", "example.com/microservices/internal/greeting"] {
        assert!(
            api.iter().any(|p| p == package),
            "{package} compiles again without layers: {api:?}"
        );
    }
}

/// One service over a module dependency (the worker's target): built importing no cache it has
/// no `[shared]` step (the service compiles the module's package in its own GOCACHE mount, as
/// a Dockerfile's `go build` does); a build importing a cache gives it a layer of its own, which
/// a fresh builder restores, compiling only the module's own packages.
#[test]
fn one_service_gets_its_modules_compiled_from_the_registry_cache() {
    let _one_at_a_time = PRUNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let target = ["--target", "worker"];
    let engines = Engines::from_env();
    let local = workload("one-service-local", unique());
    let progress = build(&engines, &local, "local", &target);
    assert!(
        !progress.contains("[shared]"),
        "no step in series before the service:\n{progress}"
    );
    let worker = std::process::Command::new(local.join("local/usr/local/bin/worker"))
        .output()
        .unwrap();
    assert!(worker.status.success(), "the worker runs: {worker:?}");

    // Its module's own packages are the service's, compiled in its step.
    let progress = fresh_builder_rebuild("one-service", "worker", &[], &target);
    assert_eq!(
        compiled(&progress, "[worker] go build"),
        [
            "example.com/microservices/internal/greeting",
            "example.com/microservices/cmd/worker"
        ],
        "the standard library and example.com/quote come from the cache's layers:\n{progress}"
    );
}

/// The test target in CI: a build exports its cache with `mode=max`, the builder is pruned,
/// a fresh clone (every mtime new) edits one package, and the rebuild importing the cache runs
/// only that package's tests; the others' results come from the cache, and no module is
/// fetched (greet's tests import a module of the proxy).
#[test]
fn a_fresh_builder_runs_only_the_affected_tests_from_the_registry_cache() {
    let _one_at_a_time = PRUNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let engines = Engines::from_env();
    let run = unique();
    let packages = ["calc", "greet", "store"];
    let origin = private_copy(Path::new("tests/fixtures/tested"), "tests-origin");
    harness::require_quote(&origin, "example.com/tested", run);
    harness::write_files(
        &origin,
        &[(
            "greet/quote_test.go",
            "package greet_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/quote\"\n)\n\n\
             func TestQuote(t *testing.T) {\n\tif quote.Hello() == \"\" {\n\t\tt.Fatal(\"no quote\")\n\t}\n}\n",
        )],
    );
    // Precompile steps read no file of the context: a value of this run's own makes them new.
    harness::append(
        &origin.join("Gofile"),
        &format!("env = {{ E2E_RUN = \"{run}\" }}\n"),
    );
    git(&origin, &["init", "-q"]);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "fixture"]);
    let cache = format!(
        "{}/gofrontend-e2e/cache:tests-{run}",
        var("GOFRONTEND_REGISTRY")
    );
    let to = format!("type=registry,ref={cache},mode=max");
    let first = build(
        &engines,
        &origin,
        "first",
        &["--target", "test", "--cache-to", &to],
    );
    assert_eq!(tests_run(&first, "example.com/tested", &packages), packages);

    let pruned = engines.docker_on(&engines.docker26cs, &["builder", "prune", "-af"]);
    assert_ok(&pruned, "pruning the builder");
    let clone = harness::scratch_dir("tests-clone");
    git(&origin, &["clone", "-q", ".", clone.to_str().unwrap()]);
    harness::replace(
        &clone.join("greet/greet.go"),
        "\"hello \"",
        "\"hello\" + \" \"",
    );
    let log = var("GOFRONTEND_GOPROXY_LOG");
    let offset = std::fs::read_to_string(&log).unwrap().len();
    let from = format!("type=registry,ref={cache}");
    let again = build(
        &engines,
        &clone,
        "again",
        &["--target", "test", "--cache-from", &from],
    );

    assert_eq!(
        fetched_since(&log, offset),
        "",
        "no module is fetched:\n{again}"
    );
    assert_eq!(
        tests_run(&again, "example.com/tested", &packages),
        ["greet"],
        "only the edited package's tests run:\n{again}"
    );
    let summary = std::fs::read_to_string(clone.join("again/summary.txt")).unwrap();
    assert_eq!(
        summary,
        harness::TESTED_SUMMARY,
        "the restored steps' reports are exported too"
    );
}
