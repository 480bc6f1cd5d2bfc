//! The `test` target: one `go test` step per package the `[test]` patterns match, each seeing
//! what its tests reach (the package with its test files and `testdata/`, the packages its
//! imports and test imports reach, the modules) and nothing else, so BuildKit's cache key of
//! the step is the test cache: an edit re-runs exactly the steps of the packages it can
//! affect. The steps compile as the services do and wait for the same kind of precompile
//! steps, whose layers a fresh builder imports from the registry cache.

use super::cache_ids::CacheIds;
use super::precompile::precompile_steps;
use super::*;
use crate::gosource::BuildContext;

/// The test target's steps: the precompile steps, a test step per package, and the step that
/// gathers their reports.
pub(super) struct TestPlan {
    pub precompile: Vec<PrecompileStep>,
    pub tests: Vec<TestStep>,
    pub gather: Command,
}

/// The test target's plan for `target_platform`, from the same inputs as a build of services
/// and that build's cache ids and vendor mode.
pub(super) fn plan_tests(
    inputs: &PlanInputs<'_>,
    target_platform: &Platform,
    cache_ids: &CacheIds,
    vendor: bool,
    label: &dyn Fn(&str) -> String,
) -> Result<TestPlan, PlanError> {
    let &PlanInputs {
        gofile,
        gofile_source,
        options,
        builder,
        ref build_platform,
        scan: tree,
        ..
    } = inputs;
    let test = &gofile.test;
    if target_platform != build_platform {
        return Err(gofile_error(
            gofile_source,
            Diagnostic::new(
                test.span.clone(),
                format!(
                    "the tests run on the worker's platform, {build_platform}, and --platform asks for {target_platform}"
                ),
            )
            .with_help("build the test target without --platform, or on a worker of that platform"),
        ));
    }
    let unmatched: Vec<Diagnostic> = test
        .packages
        .iter()
        .filter(|pattern| tree.unmatched_patterns.contains(&pattern.value))
        .map(|pattern| {
            Diagnostic::new(
                pattern.span.clone(),
                format!("`{}` matches no package of the module", pattern.value),
            )
            .with_help("name directories of the module holding .go files (`go list ./...` lists them), or drop the pattern")
        })
        .collect();
    if !unmatched.is_empty() {
        return Err(PlanError::Gofile(Diagnostics::new(
            gofile_source.clone(),
            unmatched,
        )));
    }
    let module_dir = &gofile.module.value;
    let settings = steps::compile_settings(
        &test.build,
        builder,
        target_platform,
        &tree.modules,
        vendor,
        options.goflags.as_deref(),
        options.cache_layers,
    );
    if let Some(reason) = &tree.unscanned {
        // One step for everything, with the patterns as go test reads them.
        let patterns: Vec<String> = test.packages.iter().map(|p| p.value.clone()).collect();
        let step_label = label(TEST_TARGET);
        return Ok(TestPlan {
            precompile: Vec::new(),
            tests: vec![TestStep {
                package: tree.modules.main.path.clone(),
                label: step_label.clone(),
                command: steps::test_command(
                    &step_label,
                    &settings,
                    test,
                    &patterns,
                    &tree.modules.main.path,
                    module_dir,
                    options,
                    Some(reason),
                ),
                files: StepFiles::Whole {
                    reason: reason.clone(),
                },
                after: None,
                build_cache_id: cache_ids.build_cache.clone(),
            }],
            gather: steps::gather_command(&step_label, 1, &[], builder),
        });
    }
    // A package without test files for this platform and these tags has nothing to run: go
    // test would print `[no test files]`, or fail where build constraints exclude every file.
    let context = BuildContext {
        goos: &target_platform.os,
        goarch: &target_platform.architecture,
        cgo: test.build.cgo,
        tags: &test.build.tags,
    };
    let has_tests =
        |dir: &String| matches!(tree.packages.get(dir), Some(Some(p)) if p.has_tests_for(&context));
    let reaches: Vec<(String, step_files::Reach)> = tree
        .tested
        .iter()
        .filter(|dir| has_tests(dir))
        .map(|dir| (dir.clone(), step_files::test_reach(tree, dir)))
        .collect();
    let all_settings = vec![settings.clone(); reaches.len()];
    // Never alone: a test build keeps its standard library step (see `builds_alone`).
    let precompiled = precompile_steps(
        label,
        tree,
        &all_settings,
        &reaches,
        options,
        cache_ids,
        vendor,
        false,
    );
    let tests = reaches
        .iter()
        .zip(precompiled.afters)
        .map(|((dir, reach), after)| {
            let package = tree.import_path(dir);
            let files =
                step_files::test_step_files(tree, dir, reach, vendor).for_engine(&options.engine);
            let step_label = label(&format!(
                "{TEST_TARGET} {}",
                relative_pattern(module_dir, dir)
            ));
            TestStep {
                command: steps::test_command(
                    &step_label,
                    &settings,
                    test,
                    std::slice::from_ref(&package),
                    &package,
                    module_dir,
                    options,
                    files.whole_reason(),
                ),
                package,
                label: step_label,
                files,
                after,
                build_cache_id: cache_ids.build_cache.clone(),
            }
        })
        .collect::<Vec<_>>();
    let without_tests: Vec<String> = tree
        .tested
        .iter()
        .filter(|dir| !has_tests(dir))
        .map(|dir| tree.import_path(dir))
        .collect();
    let gather = steps::gather_command(&label(TEST_TARGET), tests.len(), &without_tests, builder);
    Ok(TestPlan {
        precompile: precompiled.steps,
        tests,
        gather,
    })
}

/// `dir` (context-relative) as `go test` names it from the module: `.`, `./internal/store`.
fn relative_pattern(module_dir: &str, dir: &str) -> String {
    let inside = match module_dir {
        "." => Some(dir),
        _ => dir.strip_prefix(&format!("{module_dir}/")),
    };
    match inside {
        Some(".") | None => ".".to_string(),
        Some(path) => format!("./{path}"),
    }
}
