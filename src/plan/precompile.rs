//! Precompile grouping: the standard library and shared packages compiled once, before the
//! services that import them.

use super::cache_ids::CacheIds;
use super::*;

/// The precompile steps of a build's services (or test steps), and what each waits for.
pub(super) struct Precompiled {
    pub(super) steps: Vec<PrecompileStep>,
    /// Per service, the precompile step it waits for.
    pub(super) afters: Vec<Option<usize>>,
}

/// Groups the services by compile settings; gives each group a step compiling the standard
/// library packages it imports and a step compiling what is not the services' own: other
/// modules' packages, and the module's packages two or more of them reach. For one service
/// the second only buys a layer for builders that import a cache (see
/// [`imports_cache_layers`]), and building `alone` the first runs during the module download
/// instead, if there is one (see [`builds_alone`]). Each group's services wait for the shared
/// step when they use what it compiles, else for the standard library step.
#[allow(clippy::too_many_arguments)]
pub(super) fn precompile_steps(
    step_label: &dyn Fn(&str) -> String,
    tree: &SourceTree,
    settings: &[steps::CompileSettings],
    reaches: &[(String, step_files::Reach)],
    options: &BuildOptions,
    cache_ids: &CacheIds,
    vendor: bool,
    alone: bool,
) -> Precompiled {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, service_settings) in settings.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|group| settings[group[0]] == *service_settings)
        {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    let several_groups = groups.len() > 1;
    let mut steps = Vec::new();
    let mut afters = vec![None; settings.len()];
    for (number, group) in groups.iter().enumerate() {
        let label = |kind: &str| {
            if several_groups {
                format!("{kind} {}", number + 1)
            } else {
                kind.to_string()
            }
        };
        let group_settings = &settings[group[0]];
        let members: Vec<(&str, &step_files::Reach)> = group
            .iter()
            .map(|&i| (reaches[i].0.as_str(), &reaches[i].1))
            .collect();
        let packages = step_files::precompiled_packages(tree, &members);
        let mut last = None;
        let mut shared_step = None;
        if !alone && !packages.standard.is_empty() {
            let label = label("stdlib");
            steps.push(PrecompileStep {
                command: steps::standard_library_command(
                    &step_label(&label),
                    group_settings,
                    &packages.standard,
                    options,
                ),
                label,
                files: None,
                after: None,
                build_cache_id: cache_ids.precompile_or_shared("stdlib", group_settings),
            });
            last = Some(steps.len() - 1);
        }
        if !packages.shared.is_empty() && (group.len() > 1 || imports_cache_layers(options)) {
            let label = label("shared");
            steps.push(PrecompileStep {
                command: steps::shared_command(
                    &step_label(&label),
                    group_settings,
                    &packages.shared,
                    group.len(),
                    &tree.modules.main.dir,
                    options,
                ),
                files: Some(
                    step_files::step_files(tree, &packages.local_dirs, None, vendor, false)
                        .for_engine(&options.engine),
                ),
                label,
                after: last,
                build_cache_id: cache_ids.precompile_or_shared("shared", group_settings),
            });
            shared_step = Some(steps.len() - 1);
        }
        // A service none of whose packages are compiled in the shared step neither waits for
        // it nor takes its layer: editing a shared package leaves that service cached.
        for &i in group {
            afters[i] = match shared_step {
                Some(step) if step_files::uses_any(tree, &reaches[i].1, &packages) => Some(step),
                _ => last,
            };
        }
    }
    Precompiled { steps, afters }
}

/// The compile of the standard library packages a Gofile's one service imports that the
/// download step runs meanwhile, where the Gofile's builds download compiling (see
/// [`downloads_compiling`]); none where the service imports none.
pub(super) fn compile_during_download(
    tree: &SourceTree,
    settings: &steps::CompileSettings,
    root: &str,
    reach: &step_files::Reach,
) -> Option<Vec<String>> {
    let packages = step_files::precompiled_packages(tree, &[(root, reach)]);
    (!packages.standard.is_empty())
        .then(|| steps::standard_library_during_download(settings, &packages.standard))
}

/// Whether the builds of a Gofile download its modules with its service's standard library
/// packages compiling meanwhile: a Gofile of one service, built for one platform. Every build
/// of it then runs that one download step, whichever its target and whether it imports a
/// cache or not: its image and its tests (a test build, then the image, as CI runs them), and
/// a build exporting the registry cache and one importing it (the latter finds the step
/// there). The targets of a Gofile of several services (`docker buildx bake` builds each
/// alone) and builds for several platforms share a plain download step.
pub(super) fn downloads_compiling(gofile: &Gofile, several_platforms: bool) -> bool {
    gofile.services.len() == 1 && !several_platforms
}

/// Whether the build is of the one service its Gofile declares, on one platform, importing no
/// cache layers. A standard library step then buys only the overlap with the module download,
/// and as a step of its own it is a barrier: its last packages (`crypto/tls`, then `net/http`)
/// compile on one core while the service's other packages wait for the step's end, where one
/// `go build` compiles them beside it. So the download step compiles those packages while the
/// modules download and stops when they are in place; the service's `go build` compiles the
/// rest (docs/benchmarks.md, stop 29). A build importing a cache keeps the step for its
/// layer, and so does the test target, whose tests compile with settings of their own.
pub(super) fn builds_alone(
    gofile: &Gofile,
    several_platforms: bool,
    options: &BuildOptions,
) -> bool {
    downloads_compiling(gofile, several_platforms) && !imports_cache_layers(options)
}

/// Whether a step of one service's other modules' packages pays off: only as a layer a
/// builder imports from a cache (`--cache-from`, where CI's fresh builders find it compiled).
/// A builder importing none keeps those packages in its GOCACHE mount, where the service's own
/// step finds them, as a Dockerfile's `go build` does; there the step would only run in series
/// before the service on every go.mod change (docs/benchmarks.md, stop 27).
fn imports_cache_layers(options: &BuildOptions) -> bool {
    options.cache_layers && !options.cache_imports.is_empty()
}
