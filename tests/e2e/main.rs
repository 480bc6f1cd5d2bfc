//! End-to-end: the examples built into images by real BuildKit engines through the frontend
//! image, asserting on what users see: the image runs, its config and size, what was cached,
//! what ran in parallel, and the errors.

// The harness serves several test crates; this one uses part of it.
#[allow(dead_code)]
mod harness;

mod annotations;
mod attestations;
mod bake;
mod binaries;
mod cgo;
mod compose;
mod files;
mod graph;
mod health;
mod init;
mod large;
mod lone;
mod modules;
mod platforms;
mod private;
mod refusals;
mod reproducible;
mod stamps;
mod subrequests;
mod tests_target;

use std::path::Path;

use harness::{
    Engines, assert_ok, example_copy, fetched_since, inspect, run_image, run_image20, stderr,
    unique, vertex_lines, was_cached,
};

#[test]
fn microservices_build_into_images_that_run_with_their_config() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "images");
    for service in ["api", "worker"] {
        let tag = format!("gofrontend-e2e/{service}:images");
        let out = engines.buildx(
            &context,
            &[
                "--target",
                service,
                "-t",
                &tag,
                "--build-arg",
                "VERSION=1.2.3",
            ],
        );
        assert_ok(&out, &format!("building {service}"));
        assert_eq!(
            run_image(&engines, &tag),
            format!("hello from {service} (version 1.2.3)\n")
        );
        let config = &inspect(&engines, &tag)["Config"];
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!([format!("/usr/local/bin/{service}")])
        );
        assert_eq!(config["User"], "65532", "runs as distroless nonroot");
        assert!(
            config["Env"]
                .as_array()
                .unwrap()
                .contains(&"GREETING_STYLE=plain".into())
        );
        let labels = &config["Labels"];
        assert_eq!(labels["org.opencontainers.image.title"], service);
        assert_eq!(labels["org.opencontainers.image.version"], "1.2.3");
        assert_eq!(
            labels["org.opencontainers.image.source"],
            "https://github.com/org/gofrontend"
        );
    }
    let api = &inspect(&engines, "gofrontend-e2e/api:images")["Config"];
    assert_eq!(api["Cmd"], serde_json::json!(["--listen", ":8080"]));
    assert!(api["ExposedPorts"].get("8080/tcp").is_some());
    assert_eq!(
        api["Labels"]["org.opencontainers.image.description"],
        "The HTTP API"
    );
}

#[test]
fn the_image_is_the_binary_on_the_base_and_nothing_else() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "size");
    let tag = "gofrontend-e2e/hello:size";
    assert_ok(&engines.buildx(&context, &["-t", tag]), "building hello");
    assert_eq!(run_image(&engines, tag), "hello from gofrontend\n");

    let out_dir = context.join("out");
    assert_ok(
        &engines.buildx(
            &context,
            &[
                "--output",
                &format!("type=local,dest={}", out_dir.display()),
            ],
        ),
        "exporting hello",
    );
    let binary = std::fs::metadata(out_dir.join("usr/local/bin/hello"))
        .unwrap()
        .len() as f64;
    let base = inspect(&engines, &engines.base_image)["Size"]
        .as_f64()
        .unwrap();
    let image = inspect(&engines, tag)["Size"].as_f64().unwrap();
    let expected = binary + base;
    assert!(
        (image - expected).abs() <= expected * 0.05,
        "image {image} bytes, binary {binary} + base {base} = {expected}"
    );
    let history = inspect(&engines, tag)["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .len();
    let base_layers = inspect(&engines, &engines.base_image)["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(history, base_layers + 1, "one layer on top of the base");
}

#[test]
fn rebuilds_are_cached_and_an_edit_reuses_the_download_and_the_build_cache() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "cache");
    // `go build -v` names the packages it compiles, and only those: build cache hits are silent.
    let gofile = context.join("Gofile");
    let text = std::fs::read_to_string(&gofile).unwrap();
    std::fs::write(&gofile, format!("{text}flags = [\"-v\"]\n")).unwrap();
    // BuildKit caches by content, across runs too: every version of the code must be new to
    // this daemon, and the build cache mount fresh.
    let run = unique();
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=cache-{run}");
    let main = context.join("cmd/worker/main.go");
    let original = std::fs::read_to_string(&main).unwrap();
    let name_as = |name: &str| {
        let edited = original.replace(
            "greeting.Line(\"worker\")",
            &format!("greeting.Line({name:?})"),
        );
        std::fs::write(&main, edited).unwrap();
    };
    let build = || {
        engines.buildx(
            &context,
            &[
                "--target",
                "worker",
                "-t",
                "gofrontend-e2e/worker:cache",
                "--build-arg",
                &namespace,
            ],
        )
    };
    let compiled = |progress: &str, package: &str| {
        vertex_lines(progress, "[worker] go build")
            .iter()
            .any(|line| line.ends_with(package))
    };
    let shared = "example.com/microservices/internal/greeting";

    name_as(&format!("worker-{run}-a"));
    let first = build();
    assert_ok(&first, "first build");
    assert!(compiled(&stderr(&first), shared), "{}", stderr(&first));

    let again = build();
    assert_ok(&again, "unchanged rebuild");
    let progress = stderr(&again);
    assert!(was_cached(&progress, "go mod download"), "{progress}");
    assert!(was_cached(&progress, "[worker] go build"), "{progress}");
    assert!(was_cached(&progress, "[worker] copy"), "{progress}");

    let name = format!("worker-{run}-b");
    name_as(&name);
    let after_edit = build();
    assert_ok(&after_edit, "rebuild after an edit");
    let progress = stderr(&after_edit);
    assert!(
        was_cached(&progress, "go mod download"),
        "the download depends on go.mod/go.sum only:\n{progress}"
    );
    assert!(!was_cached(&progress, "[worker] go build"), "{progress}");
    assert!(
        compiled(&progress, "example.com/microservices/cmd/worker"),
        "{progress}"
    );
    assert!(
        !compiled(&progress, shared),
        "the untouched package comes from GOCACHE:\n{progress}"
    );
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/worker:cache"),
        format!("hello from {name} (version dev)\n")
    );
}

/// `2026-11-28T19:01:02.5Z` as `2026-11-28T19:01:02.500000000Z`: comparable as text.
fn instant(timestamp: &str) -> String {
    let utc = timestamp
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("BuildKit reports UTC times, not {timestamp}"));
    let (seconds, fraction) = utc.split_once('.').unwrap_or((utc, ""));
    format!("{seconds}.{fraction:0<9}Z")
}

/// When BuildKit started and completed the vertex named like `needle`, from rawjson progress.
fn vertex_interval(progress: &str, needle: &str) -> (String, String) {
    let (mut started, mut completed) = (None, None);
    let statuses = serde_json::Deserializer::from_str(progress).into_iter::<serde_json::Value>();
    for status in statuses.map_while(Result::ok) {
        for vertex in status["vertexes"].as_array().into_iter().flatten() {
            if !vertex["name"].as_str().is_some_and(|n| n.contains(needle)) {
                continue;
            }
            if let Some(at) = vertex["started"].as_str() {
                started.get_or_insert(instant(at));
            }
            if let Some(at) = vertex["completed"].as_str() {
                completed = Some(instant(at));
            }
        }
    }
    match (started, completed) {
        (Some(started), Some(completed)) => (started, completed),
        _ => panic!("no start and end for {needle} in:\n{progress}"),
    }
}

#[test]
fn services_build_in_parallel() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "parallel");
    // Fresh caches for this build's compile steps, so both really compile.
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=parallel-{}", unique());
    let out = engines.buildx(
        &context,
        &[
            "--progress=rawjson",
            "--no-cache",
            "--build-arg",
            &namespace,
            "--output",
            "type=cacheonly",
        ],
    );
    assert_ok(&out, "building every service");
    let progress = stderr(&out);
    let (api_start, api_end) = vertex_interval(&progress, "[api] go build");
    let (worker_start, worker_end) = vertex_interval(&progress, "[worker] go build");
    assert!(
        api_start < worker_end && worker_start < api_end,
        "the two compiles did not overlap: api {api_start} to {api_end}, worker {worker_start} to {worker_end}"
    );
}

#[test]
fn local_output_holds_every_binary() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "local");
    let dest = context.join("bin-out");
    let out = engines.buildx(
        &context,
        &["--output", &format!("type=local,dest={}", dest.display())],
    );
    assert_ok(&out, "exporting all binaries");
    for binary in ["api", "worker"] {
        let path = dest.join("usr/local/bin").join(binary);
        let bytes = std::fs::read(&path).unwrap_or_else(|_| panic!("{} missing", path.display()));
        assert_eq!(&bytes[..4], b"\x7fELF");
    }
}

#[test]
fn bad_input_fails_with_the_gofile_position_and_the_daemon_keeps_serving() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "errors");
    let gofile = context.join("Gofile");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "[services.hello\npackage = \".\"\n",
            &[],
            "Gofile:1:16: invalid TOML",
        ),
        (
            "[services.hello]\npackage = \".\"\nport = 8080\n",
            &[],
            "Gofile:3:1: unknown key `port` in [services.hello]",
        ),
        (
            "[services.hello]\npackage = \".\"\n",
            &["--target", "helo"],
            "unknown target `helo` (from --target)",
        ),
        (
            "[services.hello]\npackage = \"./cmd/missing\"\n",
            &[],
            "cmd/missing",
        ),
        (
            "[services.hello]\npackage = \"./../etc\"\n",
            &[],
            "Gofile:2:11: package path `../etc` uses `..`",
        ),
    ];
    for (text, extra, expected) in cases {
        std::fs::write(&gofile, text).unwrap();
        let out = engines.buildx(&context, extra);
        assert!(!out.status.success(), "{text} built");
        assert!(
            stderr(&out).contains(expected),
            "expected `{expected}` for {text:?} in:\n{}",
            stderr(&out)
        );
    }
    // The error carries its source, so buildx prints the Gofile line at fault.
    std::fs::write(&gofile, cases[1].0).unwrap();
    let out = engines.buildx(&context, &[]);
    assert!(stderr(&out).contains(">>> port = 8080"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ERROR: failed to solve: Gofile:3:1: unknown key"),
        "{}",
        stderr(&out)
    );

    std::fs::write(&gofile, "[services.hello]\npackage = \".\"\n").unwrap();
    assert_ok(
        &engines.buildx(&context, &["-t", "gofrontend-e2e/hello:errors"]),
        "a good build after bad ones",
    );
}

#[test]
fn docker_20_10_builds_the_examples() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "docker20");
    let out = engines.build20(
        &context,
        &["--target", "api", "-t", "gofrontend-e2e/api:docker20"],
    );
    assert_ok(&out, "docker build on Docker 20.10");
    assert_eq!(
        run_image20(&engines, "gofrontend-e2e/api:docker20"),
        "hello from api (version dev)\n"
    );
}

#[test]
fn a_remote_daemon_builds_from_another_directory() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "remote");
    // The client runs elsewhere and reaches BuildKit only over TCP, as a CI runner does.
    let elsewhere = std::env::temp_dir();
    assert!(
        engines.docker26.starts_with("tcp://"),
        "the 26.1 engine is reached over TCP"
    );
    let out = std::process::Command::new(&engines.client26)
        .current_dir(&elsewhere)
        .env("DOCKER_HOST", &engines.docker26)
        .args(["buildx", "build", "--progress=plain", "--network=host"])
        .args([
            "--build-arg",
            &format!("BUILDKIT_SYNTAX={}", engines.frontend),
        ])
        .args([
            "--build-arg",
            &format!("GOFRONTEND_BASE_IMAGE={}", engines.base_image),
        ])
        .args([
            "-f",
            &context.join("Gofile").display().to_string(),
            "-t",
            "gofrontend-e2e/hello:remote",
        ])
        .arg(Path::new(&context))
        .output()
        .unwrap();
    assert_ok(&out, "remote build");
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/hello:remote"),
        "hello from gofrontend\n"
    );
}

#[test]
fn adding_a_dependency_fetches_only_the_new_module() {
    let engines = Engines::from_env();
    let proxy = harness::var("GOFRONTEND_GOPROXY");
    let log = harness::var("GOFRONTEND_GOPROXY_LOG");
    let context = example_copy("microservices", "deps");
    let worker = context.join("cmd/worker/main.go");
    let tag = "gofrontend-e2e/worker:deps";
    // A fresh module cache mount, so the first download really fetches. Cache mount ids are
    // not part of BuildKit's cache keys, so a module-fetch setting new to this daemon
    // (GONOSUMDB reaches only the download step) keeps an earlier run's result from being reused.
    let run = unique();
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=deps-{run}");
    let fresh = format!("GONOSUMDB=run-{run}.invalid");
    let proxy_arg = format!("GOPROXY={proxy}");
    let build = || {
        engines.buildx(
            &context,
            &[
                "--target",
                "worker",
                "-t",
                tag,
                "--build-arg",
                &proxy_arg,
                "--build-arg",
                &namespace,
                "--build-arg",
                &fresh,
            ],
        )
    };
    let program = |import: &str, call: &str| {
        format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"{import}\"\n)\n\nfunc main() {{\n\tfmt.Println({call}())\n}}\n"
        )
    };

    std::fs::write(
        context.join("go.mod"),
        "module example.com/microservices\n\ngo 1.24\n\nrequire example.com/quote v1.1.0\n",
    )
    .unwrap();
    std::fs::write(
        context.join("go.sum"),
        harness::fixture_go_sum(&["example.com/quote"]),
    )
    .unwrap();
    std::fs::write(&worker, program("example.com/quote", "quote.Hello")).unwrap();
    let offset = std::fs::read_to_string(&log).unwrap().len();
    assert_ok(&build(), "build with one dependency");
    assert!(fetched_since(&log, offset).contains("/example.com/quote/@v/v1.1.0.zip"));
    assert_eq!(run_image(&engines, tag), "Hello, world! (quote v1.1.0)\n");

    std::fs::write(
        context.join("go.mod"),
        "module example.com/microservices\n\ngo 1.24\n\nrequire (\n\texample.com/quote v1.1.0\n\texample.com/shout v1.0.0\n)\n",
    )
    .unwrap();
    std::fs::write(
        context.join("go.sum"),
        harness::fixture_go_sum(&["example.com/quote", "example.com/shout"]),
    )
    .unwrap();
    std::fs::write(&worker, program("example.com/shout", "shout.Hello")).unwrap();
    let offset = std::fs::read_to_string(&log).unwrap().len();
    let out = build();
    assert_ok(&out, "build after adding a dependency");
    assert!(
        !was_cached(&stderr(&out), "go mod download"),
        "go.mod changed: the download re-runs"
    );
    let fetched = fetched_since(&log, offset);
    assert!(
        fetched.contains("/example.com/shout/@v/v1.0.0.zip"),
        "{fetched}"
    );
    assert!(
        !fetched.contains("/example.com/quote/"),
        "quote is already in the module cache mount:
{fetched}"
    );
    assert_eq!(run_image(&engines, tag), "HELLO, WORLD! (QUOTE V1.1.0)\n");
}

#[test]
fn build_contexts_name_the_builder_and_base_images() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "contexts");
    let base = format!("base=docker-image://{}", engines.base_image);
    let out = engines.buildx(
        &context,
        &[
            "--build-context",
            "golang=docker-image://localhost:5000/library/golang:1.24",
            "--build-context",
            &base,
            // The named context wins over the build arg, which names an image that does not exist.
            "--build-arg",
            "GOFRONTEND_BASE_IMAGE=localhost:5000/no/such-image:1",
            "-t",
            "gofrontend-e2e/hello:contexts",
        ],
    );
    assert_ok(&out, "build with named contexts");
    let progress = stderr(&out);
    assert!(
        progress.contains("[builder] localhost:5000/library/golang:1.24"),
        "{progress}"
    );
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/hello:contexts"),
        "hello from gofrontend\n"
    );
}

#[test]
fn vendored_modules_build_without_a_download_or_a_proxy() {
    let engines = Engines::from_env();
    let context = harness::private_copy(Path::new("tests/fixtures/vendored"), "vendored");
    let tag = "gofrontend-e2e/vendored:latest";
    // No GOPROXY: nothing may be fetched.
    let out = engines.buildx(&context, &["-t", tag]);
    assert_ok(&out, "building the vendored module");
    let progress = stderr(&out);
    assert!(
        vertex_lines(&progress, "go mod download").is_empty(),
        "a vendored module needs no download:\n{progress}"
    );
    assert!(
        !vertex_lines(&progress, "[api] go build").is_empty(),
        "{progress}"
    );
    assert_eq!(
        run_image(&engines, tag),
        "Hello, world! (quote v1.1.0) (vendored)\n"
    );

    let out20 = engines.build20(&context, &["-t", tag]);
    assert_ok(&out20, "building the vendored module on Docker 20.10");
}
