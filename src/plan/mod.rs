//! What to build: a pure function from the Gofile, go.mod, the build options, the source scan
//! and the builder image's config to the steps BuildKit will run (`model`). Here the order
//! of planning; the images, cache ids, precompile groups, steps and checks each in a module.

mod builder;
mod cache_ids;
mod checks;
pub mod image_files;
mod images;
mod model;
mod precompile;
mod scripts;
mod step_files;
mod steps;
mod test_steps;

use std::collections::BTreeMap;

pub use builder::BuilderConfig;
pub use images::{ImageOrigin, base_origin, builder_image, builder_origin};
pub use model::*;
pub use scripts::{SCRIPTS, SCRIPTS_DIR};
pub use step_files::StepFiles;
pub use steps::{
    BUILD_CACHE_DIR, CACHE_SEED_DIR, DOWNLOAD_SECRETS, MODULE_CACHE_DIR, MODULES_DIR, OUTPUT_DIR,
    PRECOMPILE_OUTPUT_DIR, SOURCE_DIR, SSH_AGENT_ID, SSH_AGENT_SOCKET, TEST_REPORT_DIR,
    TEST_REPORTS_DIR, WAIT_MARKER_DIR, counted, counted_as,
};

use cache_ids::CacheIds;
use images::{builder_reference, service_base, shared_base};
use precompile::precompile_steps;

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::gofile::{Gofile, Service, Spanned};
use crate::gomod::GoMod;
use crate::gosource::{ScanRoots, SourceTree, join};
use crate::options::{BuildOptions, CONTEXT_BUILDER};
use crate::platform::Platform;

/// Everything the plan is computed from.
pub struct PlanInputs<'a> {
    pub gofile: &'a Gofile,
    pub gofile_source: &'a TextFile,
    pub gomod: &'a GoMod,
    pub options: &'a BuildOptions,
    /// The builder image, from [`builder_image`], and its config.
    pub builder_image: &'a str,
    pub builder: &'a BuilderConfig,
    /// The platform of the BuildKit worker, where the builder runs.
    pub build_platform: Platform,
    pub excludes: Vec<String>,
    /// The packages the selected services reach, from [`scan_roots`].
    pub scan: &'a SourceTree,
    /// What the context holds at each of [`image_files::sources`].
    pub context_files: &'a BTreeMap<String, ContextEntry>,
}

/// The context-relative package directories of the services a build selects (all of them when
/// the target names none): where the source scan starts.
pub fn scan_roots(gofile: &Gofile, options: &BuildOptions) -> ScanRoots {
    if options.target.as_deref() == Some(TEST_TARGET) {
        let mut roots = ScanRoots::tests(
            gofile
                .test
                .packages
                .iter()
                .map(|p| p.value.clone())
                .collect(),
        );
        // The download step the tests share with the image build of a Gofile of one service
        // compiles what that service imports (see `during_download`), whatever they test.
        if let [service] = gofile.services.as_slice() {
            roots.dirs.push(package_dir(&gofile.module.value, service));
        }
        return roots;
    }
    let module_dir = &gofile.module.value;
    let selected: Vec<&Service> = match options.target.as_deref().and_then(|t| gofile.service(t)) {
        Some(service) => with_included(gofile, service),
        None => gofile.services.iter().collect(),
    };
    ScanRoots::packages(
        selected
            .iter()
            .map(|service| package_dir(module_dir, service))
            .collect(),
    )
}

/// The target and the services whose binaries its image holds, compiled in the same build.
fn with_included<'g>(gofile: &'g Gofile, service: &'g Service) -> Vec<&'g Service> {
    let included = service
        .include_binaries
        .iter()
        .filter_map(|name| gofile.service(&name.value));
    std::iter::once(service).chain(included).collect()
}

/// The binaries `service`'s image holds: its own, then those it includes.
fn image_binaries(gofile: &Gofile, service: &Service) -> Vec<String> {
    with_included(gofile, service)
        .iter()
        .map(|s| s.binary.clone())
        .collect()
}

fn package_dir(module_dir: &str, service: &Service) -> String {
    let package = service.package.value.as_str();
    let relative = package
        .strip_prefix("./")
        .unwrap_or(package)
        .trim_end_matches('/');
    join(module_dir, if relative == "." { "" } else { relative })
}

/// One plan per platform the options target (the worker's when they name none). The builder
/// and the module download are the same ops in each, so BuildKit runs them once; the compiles
/// differ in GOOS/GOARCH.
pub fn plan_platforms(inputs: &PlanInputs<'_>) -> Result<Vec<Plan>, PlanError> {
    inputs
        .options
        .target_platforms(&inputs.build_platform)
        .into_iter()
        .map(|target_platform| plan(inputs, target_platform))
        .collect()
}

/// The plan for the images of `target_platform`, one of [`BuildOptions::target_platforms`].
pub fn plan(inputs: &PlanInputs<'_>, target_platform: Platform) -> Result<Plan, PlanError> {
    let &PlanInputs {
        gofile,
        gofile_source,
        gomod,
        options,
        builder_image,
        builder,
        ref build_platform,
        ref excludes,
        scan: tree,
        context_files,
    } = inputs;
    let several_platforms = options.target_platforms(build_platform).len() > 1;
    let named_platform = several_platforms.then_some(&target_platform);
    let label = |name: &str| step_label(named_platform, name);
    let cache_layers = options.cache_layers;
    let cache_ids = CacheIds::new(gofile, gomod, options);
    let module_dir = gofile.module.value.clone();
    let vendor = vendor_mode(gofile, gofile_source, tree)?;
    require_workspace(gofile, gofile_source, tree)?;
    let excluded = crate::dockerignore::Matcher::new(excludes).map_err(PlanError::Input)?;
    let module_gomod = if vendor { None } else { Some(gomod) };
    checks::module_files_are_sent(&module_dir, module_gomod, &excluded)?;
    let planned = |precompile, services, tests, result| Plan {
        builder_image: builder_image.to_string(),
        build_platform: build_platform.clone(),
        several_platforms,
        target_platform: target_platform.clone(),
        cache_layers,
        engine: options.engine,
        image_resolve_mode: options.image_resolve_mode,
        download: (!vendor).then(|| {
            let download = steps::download_step(
                gofile,
                gomod,
                &tree.modules,
                builder,
                options,
                cache_ids.module_cache.clone(),
            );
            // A module requiring nothing, like a vendored one (no download step), downloads
            // nothing to overlap: its service compiles it all.
            match during_download(inputs, several_platforms, &target_platform, vendor) {
                Some(compile) if !steps::needs_no_modules(gomod, &tree.modules) => {
                    steps::download_compiling(download, compile, cache_ids.build_cache.clone())
                }
                _ => download,
            }
        }),
        precompile,
        context: ContextPlan {
            module_dir: module_dir.clone(),
            excludes: excludes.clone(),
        },
        services,
        tests,
        result,
        source_date_epoch: options.source_date_epoch,
    };
    if options.target.as_deref() == Some(TEST_TARGET) {
        if !options.image_contexts.contains_key(CONTEXT_BUILDER) {
            let reference = builder_reference(gofile, gomod, options, gofile_source)?;
            checks::named_contexts_are_used(options, &[reference])?;
        }
        let tested = test_steps::plan_tests(inputs, &target_platform, &cache_ids, vendor, &label)?;
        return Ok(planned(
            tested.precompile,
            Vec::new(),
            tested.tests,
            ResultPlan::Tests {
                gather: tested.gather,
            },
        ));
    }
    let selected = select_services(gofile, gofile_source, options)?;
    let mut services = Vec::with_capacity(selected.len());
    let mut settings = Vec::with_capacity(selected.len());
    let mut reaches = Vec::with_capacity(selected.len());
    // The images the build uses by reference, which named contexts may replace.
    let mut references = Vec::new();
    if !options.image_contexts.contains_key(CONTEXT_BUILDER) {
        references.push(builder_reference(gofile, gomod, options, gofile_source)?);
    }
    for service in &selected {
        if service.build.cgo && target_platform != *build_platform {
            return Err(gofile_error(
                gofile_source,
                Diagnostic::new(
                    service.name.span.clone(),
                    format!(
                        "service `{}` uses cgo, which cannot cross-compile from {build_platform} to {target_platform}",
                        service.name.value
                    ),
                )
                .with_help("build this service on a worker of the target platform, or set `cgo = false`"),
            ));
        }
        let (root, reach, service_settings) =
            how_it_compiles(inputs, service, &target_platform, vendor);
        if let Some(buildvcs) = service.build.buildvcs.as_ref().filter(|b| b.value)
            && tree.modules.git_dir.is_none()
        {
            return Err(gofile_error(
                gofile_source,
                Diagnostic::new(
                    buildvcs.span.clone(),
                    format!(
                        "`buildvcs = true`, but there is no .git directory in `{module_dir}` or above it in the build context"
                    ),
                )
                .with_help("check that .dockerignore keeps .git, or stamp the version with `-X` in `ldflags` from a build arg"),
            ));
        }
        let step_files = step_files::step_files(
            tree,
            &reach.dirs,
            reach.unsure.as_deref(),
            vendor,
            service.build.stamps_vcs(),
        )
        .for_engine(&options.engine);
        services.push(ServicePlan {
            name: service.name.value.clone(),
            binary: service.binary.clone(),
            build: steps::build_command(
                service,
                &label(&service.name.value),
                &service_settings,
                &module_dir,
                options,
                step_files.whole_reason(),
            ),
            files: step_files,
            after: None,
            build_cache_id: cache_ids.build_cache.clone(),
            base: {
                let (base, reference) =
                    service_base(gofile, gofile_source, service, options, builder)?;
                references.extend(reference);
                checks::user_resolves_on_base(gofile_source, service, &base)?;
                checks::programs_are_in_the_image(
                    gofile_source,
                    service,
                    &image_binaries(gofile, service),
                )?;
                base
            },
            image: image_config(gofile, service, options),
            annotations: service.image.annotations.clone(),
            image_files: Vec::new(),
            include_binaries: service
                .include_binaries
                .iter()
                .map(|name| name.value.clone())
                .collect(),
        });
        settings.push(service_settings);
        reaches.push((root, reach));
    }
    // Every selected binary lands in one image: the target's with those it includes, or all.
    let several_binaries = selected.len() > 1;
    checks::services(
        gofile_source,
        &selected,
        &reaches,
        tree,
        gomod,
        &excluded,
        several_binaries,
    )?;
    let precompiled = precompile_steps(
        &label,
        tree,
        &settings,
        &reaches,
        options,
        &cache_ids,
        vendor,
        precompile::builds_alone(gofile, several_platforms, options),
    );
    for (service, after) in services.iter_mut().zip(precompiled.afters) {
        service.after = after;
    }
    let result = match (options.target.as_deref(), selected.as_slice()) {
        (None, [_, _, ..]) => {
            let (base, reference) = shared_base(gofile, gofile_source, options, builder)?;
            references.extend(reference);
            ResultPlan::AllBinaries { base }
        }
        _ => ResultPlan::Service(services[0].name.clone()),
    };
    if let ResultPlan::Service(_) = &result
        && let Some(service) = gofile.service(&services[0].name)
    {
        services[0].image_files = image_files::plan(
            gofile_source,
            service,
            &image_binaries(gofile, service),
            &services[0].base,
            base_origin(gofile, Some(service), options) == ImageOrigin::Default,
            context_files,
        )?;
    }
    checks::named_contexts_are_used(options, &references)?;
    if let ResultPlan::Service(name) = &result
        && let Some(service) = services.iter().find(|s| &s.name == name)
    {
        let platforms = options.target_platforms(build_platform).len();
        checks::image_config_fits(gofile_source, gofile, service, platforms, options)?;
    }
    Ok(planned(precompiled.steps, services, Vec::new(), result))
}

/// The standard library compile the download step runs meanwhile: the same for every build of
/// a Gofile that downloads compiling (see [`precompile::downloads_compiling`]), so they share
/// the step.
fn during_download(
    inputs: &PlanInputs<'_>,
    several_platforms: bool,
    target_platform: &Platform,
    vendor: bool,
) -> Option<Vec<String>> {
    match inputs.gofile.services.as_slice() {
        [service] if precompile::downloads_compiling(inputs.gofile, several_platforms) => {
            let (root, reach, settings) = how_it_compiles(inputs, service, target_platform, vendor);
            precompile::compile_during_download(inputs.scan, &settings, &root, &reach)
        }
        _ => None,
    }
}

/// A service's package directory, what it reaches, and how it compiles for `target_platform`.
fn how_it_compiles(
    inputs: &PlanInputs<'_>,
    service: &Service,
    target_platform: &Platform,
    vendor: bool,
) -> (String, step_files::Reach, steps::CompileSettings) {
    let tree = inputs.scan;
    let root = package_dir(&inputs.gofile.module.value, service);
    let reach = step_files::reach(tree, &root);
    let settings = steps::compile_settings(
        &service.build,
        inputs.builder,
        target_platform,
        &tree.modules,
        vendor,
        inputs.options.goflags.as_deref(),
        inputs.options.cache_layers,
    );
    (root, reach, settings)
}

fn select_services<'g>(
    gofile: &'g Gofile,
    source: &TextFile,
    options: &BuildOptions,
) -> Result<Vec<&'g Service>, PlanError> {
    let Some(target) = options.target.as_deref() else {
        return Ok(gofile.services.iter().collect());
    };
    if let Some(service) = gofile.service(target) {
        return Ok(with_included(gofile, service));
    }
    let names: Vec<&str> = gofile
        .services
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    let closest = names
        .iter()
        .min_by_key(|name| strsim::damerau_levenshtein(target, name))
        .filter(|name| strsim::damerau_levenshtein(target, name) <= (name.len() / 3).max(1));
    let help = match closest {
        Some(name) => format!(
            "did you mean `{name}`? the services are: {}",
            names.join(", ")
        ),
        None => format!("the services are: {}", names.join(", ")),
    };
    Err(gofile_error(
        source,
        Diagnostic::new(
            gofile.services_span.clone(),
            format!("unknown target `{target}` (from --target): no such service"),
        )
        .with_help(help),
    ))
}

/// Whether to build from `vendor/`: as the Gofile says, else when `vendor/modules.txt` exists.
fn vendor_mode(
    gofile: &Gofile,
    gofile_source: &TextFile,
    tree: &SourceTree,
) -> Result<bool, PlanError> {
    match &gofile.vendor {
        Some(vendor) if vendor.value && !tree.vendored => Err(gofile_error(
            gofile_source,
            Diagnostic::new(
                vendor.span.clone(),
                format!(
                    "`vendor = true`, but there is no {} in the build context",
                    join(&gofile.module.value, "vendor/modules.txt")
                ),
            )
            .with_help(
                "run `go mod vendor` in the module, and check that .dockerignore keeps vendor/",
            ),
        )),
        Some(vendor) => Ok(vendor.value),
        None => Ok(tree.vendored),
    }
}

/// `workspace = true` promises a go.work; the build fails early rather than without it.
fn require_workspace(
    gofile: &Gofile,
    gofile_source: &TextFile,
    tree: &SourceTree,
) -> Result<(), PlanError> {
    match &gofile.workspace {
        Some(workspace) if workspace.value && tree.modules.workfile.is_none() => Err(gofile_error(
            gofile_source,
            Diagnostic::new(
                workspace.span.clone(),
                format!(
                    "`workspace = true`, but there is no go.work in `{}` or above it in the build context",
                    gofile.module.value
                ),
            )
            .with_help("run `go work init` and `go work use` there, and check that .dockerignore keeps go.work"),
        )),
        _ => Ok(()),
    }
}

/// The OCI annotation labels gofrontend fills in, under the Gofile's own `labels` and
/// `--label`: the service as title, its description, the `VERSION` and `REVISION` build args
/// (the ones `ldflags` stamps with, by convention) and the Gofile's `source`.
fn image_config(gofile: &Gofile, service: &Service, options: &BuildOptions) -> ImageConfigPlan {
    let settings = &service.image;
    let known = [
        ("title", Some(service.name.value.as_str())),
        ("description", settings.description.as_deref()),
        ("version", options.version.as_deref()),
        ("revision", options.revision.as_deref()),
        ("source", gofile.source_url.as_deref()),
    ];
    let mut labels: BTreeMap<String, String> = known
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                format!("org.opencontainers.image.{name}"),
                value?.to_string(),
            ))
        })
        .collect();
    labels.extend(settings.labels.clone());
    labels.extend(options.labels.clone());
    let binary = binary_path(&service.binary);
    // The program was checked to be one of the image's binaries, by name or path.
    let exec_form = |command: &[Spanned<String>]| -> Vec<String> {
        command
            .iter()
            .enumerate()
            .map(|(i, arg)| match i == 0 && !arg.value.starts_with('/') {
                true => binary_path(&arg.value),
                false => arg.value.clone(),
            })
            .collect()
    };
    ImageConfigPlan {
        entrypoint: settings
            .entrypoint
            .as_deref()
            .map_or_else(|| vec![binary.clone()], exec_form),
        healthcheck: settings
            .healthcheck
            .as_ref()
            .map(|check| HealthcheckConfig {
                command: exec_form(&check.command),
                interval_ns: check.interval,
                timeout_ns: check.timeout,
                start_period_ns: check.start_period,
                retries: check.retries,
            }),
        cmd: settings.args.clone(),
        env: settings.env.clone(),
        user: settings.user.clone(),
        workdir: settings.workdir.clone(),
        exposed_ports: settings.ports.clone(),
        volumes: settings.volumes.iter().map(|v| v.value.clone()).collect(),
        labels,
        stop_signal: settings.stop_signal.clone(),
    }
}

fn gofile_error(source: &TextFile, diagnostic: Diagnostic) -> PlanError {
    PlanError::Gofile(Diagnostics::single(source.clone(), diagnostic))
}

#[cfg(test)]
mod tests;
