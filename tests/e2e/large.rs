//! Large contexts: a package too large to read file by file through the gateway, which the
//! frontend scans in a build step of its own image (cached on the context's content), and a
//! service selecting so many files that its step mounts them in parts.

use std::path::Path;

use crate::harness::{
    Engines, assert_ok, example_copy, ran, run_image, run_image20, stderr, unique, was_cached,
    write_files,
};

const SCAN_STEP: &str = "[internal] scan the Go sources";

/// More Go files than the frontend reads through the gateway (`SCAN_STEP_FILES`), in the
/// package every service of the example imports; `run` makes their content new to the daemon.
fn add_generated_files(context: &Path, run: u128) {
    let package = context.join("internal/greeting");
    for i in 0..700 {
        std::fs::write(
            package.join(format!("gen_{i}.go")),
            format!(
                "package greeting\n\n// Generated{i} is from run {run}.\nconst Generated{i} = {i}\n"
            ),
        )
        .unwrap();
    }
}

#[test]
fn a_large_package_is_scanned_in_a_step_cached_until_the_context_changes() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "large-package");
    add_generated_files(&context, unique());
    let build = || {
        engines.buildx(
            &context,
            &["--target", "api", "-t", "gofrontend-e2e/api:large"],
        )
    };

    let first = build();
    assert_ok(&first, "first build of a large package");
    assert!(ran(&stderr(&first), SCAN_STEP), "{}", stderr(&first));
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:large"),
        "hello from api (version dev)\n"
    );

    let again = build();
    assert_ok(&again, "unchanged rebuild");
    let progress = stderr(&again);
    assert!(was_cached(&progress, SCAN_STEP), "{progress}");
    assert!(was_cached(&progress, "[api] go build"), "{progress}");

    // The large package now imports one the scan has not seen: the build compiles only if the
    // step scanned the edited context, not an earlier one.
    write_files(
        &context,
        &[
            (
                "internal/extra/extra.go",
                "package extra\n\n// Loud is the style that shouts.\nconst Loud = \"loud\"\n",
            ),
            (
                "internal/greeting/gen_extra.go",
                "package greeting\n\nimport \"example.com/microservices/internal/extra\"\n\nconst style = extra.Loud\n",
            ),
        ],
    );
    let edited = build();
    assert_ok(&edited, "rebuild after a new import");
    let progress = stderr(&edited);
    assert!(ran(&progress, SCAN_STEP), "{progress}");
    assert!(ran(&progress, "[api] go build"), "{progress}");
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:large"),
        "hello from api (version dev)\n"
    );
}

#[test]
fn docker_20_10_scans_a_large_package_in_a_step() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "large-package-docker20");
    add_generated_files(&context, unique());
    let out = engines.build20(
        &context,
        &["--target", "worker", "-t", "gofrontend-e2e/worker:large"],
    );
    assert_ok(&out, "docker build of a large package on Docker 20.10");
    assert!(ran(&stderr(&out), SCAN_STEP), "{}", stderr(&out));
    assert_eq!(
        run_image20(&engines, "gofrontend-e2e/worker:large"),
        "hello from worker (version dev)\n"
    );
}

/// Two trees of 10 packages of 60 files under internal/gen/, every one imported (blank) by the
/// package every service of the example imports: each service selects about 1,200 files, which
/// its step mounts in parts. Each package's `all.go` uses every file's constant, so a file
/// missing from the step fails the build. `run` makes the files new to the daemon.
fn add_generated_packages(context: &Path, run: u128) {
    let mut imports = String::new();
    for tree in ["a", "b"] {
        for p in 0..10 {
            let dir = format!("internal/gen/{tree}/p{p}");
            std::fs::create_dir_all(context.join(&dir)).unwrap();
            for f in 0..60 {
                std::fs::write(
                    context.join(format!("{dir}/f{f}.go")),
                    format!("package p{p}\n\n// C{f} is from run {run}.\nconst C{f} = {f}\n"),
                )
                .unwrap();
            }
            let all: Vec<String> = (0..60).map(|f| format!("C{f}")).collect();
            std::fs::write(
                context.join(format!("{dir}/all.go")),
                format!(
                    "package p{p}\n\n// All is every file's constant.\nvar All = []int{{{}}}\n",
                    all.join(", ")
                ),
            )
            .unwrap();
            imports.push_str(&format!("\t_ \"example.com/microservices/{dir}\"\n"));
        }
    }
    std::fs::write(
        context.join("internal/greeting/generated.go"),
        format!("package greeting\n\nimport (\n{imports})\n"),
    )
    .unwrap();
}

const GEN_A_PART: &str = "[api] select 610 files in internal/gen/a/ (part";
const ROOT_PART: &str = "[api] select 614 files in ./ (part";

#[test]
fn a_large_selection_is_mounted_in_parts_and_an_edit_copies_its_part_only() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "selection-parts");
    add_generated_packages(&context, unique());
    let build = || {
        engines.buildx(
            &context,
            &["--target", "api", "-t", "gofrontend-e2e/api:parts"],
        )
    };
    let first = build();
    assert_ok(&first, "first build of 1,200 selected files");
    let progress = stderr(&first);
    assert!(ran(&progress, GEN_A_PART), "{progress}");
    assert!(ran(&progress, ROOT_PART), "{progress}");
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:parts"),
        "hello from api (version dev)\n"
    );

    // An edit under internal/gen/a copies that part again; the root part (the service's code
    // and internal/gen/b) comes from the cache, the step runs over both.
    write_files(
        &context,
        &[(
            "internal/gen/a/p3/f7.go",
            "package p3\n\n// C7 was edited.\nconst C7 = 700\n",
        )],
    );
    let edited = build();
    assert_ok(&edited, "rebuild after an edit in one part");
    let progress = stderr(&edited);
    assert!(ran(&progress, GEN_A_PART), "{progress}");
    assert!(was_cached(&progress, ROOT_PART), "{progress}");
    assert!(ran(&progress, "[api] go build"), "{progress}");

    // And an edit of the service's own code (a file more) copies only the root part.
    write_files(
        &context,
        &[(
            "cmd/api/extra.go",
            "package main\n\n// edited marks an edit of the service's code.\nconst edited = true\n",
        )],
    );
    let code = build();
    assert_ok(&code, "rebuild after an edit of the service");
    let progress = stderr(&code);
    assert!(was_cached(&progress, GEN_A_PART), "{progress}");
    assert!(
        ran(&progress, "[api] select 615 files in ./ (part"),
        "{progress}"
    );
    assert_eq!(
        run_image(&engines, "gofrontend-e2e/api:parts"),
        "hello from api (version dev)\n"
    );
}

/// BuildKit v0.8 fails to key the copies of so many files one by one (it has no copy by
/// pattern): there the step mounts the whole context, and builds.
#[test]
fn docker_20_10_builds_a_large_selection_from_the_whole_context() {
    let engines = Engines::from_env();
    let context = example_copy("microservices", "selection-parts-docker20");
    add_generated_packages(&context, unique());
    let out = engines.build20(
        &context,
        &["--target", "worker", "-t", "gofrontend-e2e/worker:parts"],
    );
    assert_ok(&out, "docker build of 1,200 selected files on Docker 20.10");
    let progress = stderr(&out);
    assert!(
        ran(
            &progress,
            "[worker] go build ./cmd/worker (whole context: BuildKit v0.8 copies files one at a time and cannot key"
        ),
        "{progress}"
    );
    assert!(!progress.contains("[worker] select"), "{progress}");
    assert_eq!(
        run_image20(&engines, "gofrontend-e2e/worker:parts"),
        "hello from worker (version dev)\n"
    );
}
