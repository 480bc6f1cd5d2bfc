//! What to build: a pure function from the Gofile, go.mod, the build options and the builder
//! image's config to the steps BuildKit will run. Serializable, so tests can pin it.

mod builder;
mod checks;
mod scripts;
mod sources;
mod steps;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

pub use builder::BuilderConfig;
pub use scripts::{SCRIPTS, SCRIPTS_DIR};
pub use sources::StepSources;
pub use steps::{
    BUILD_CACHE_DIR, CACHE_SEED_DIR, DOWNLOAD_SECRETS, MODULE_CACHE_DIR, MODULES_DIR, OUTPUT_DIR,
    PRECOMPILE_OUTPUT_DIR, SOURCE_DIR, SSH_AGENT_ID, SSH_AGENT_SOCKET, WAIT_MARKER_DIR,
};

use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::gofile::{Gofile, Service};
use crate::gomod::GoMod;
use crate::gosource::{SourceTree, join};
use crate::image_ref;
use crate::options::{
    ARG_BASE_IMAGE, ARG_BUILDER_IMAGE, BuildOptions, CONTEXT_BASE, CONTEXT_BUILDER, NetworkMode,
    OptionError, PREFIX_BUILD_ARG, ResolveMode,
};
use crate::platform::Platform;

pub const DEFAULT_STATIC_BASE: &str = "gcr.io/distroless/static-debian12:nonroot";
/// Where binaries land in the final image.
pub const BINARY_DIR: &str = "/usr/local/bin";

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Gofile(Diagnostics),
    #[error(transparent)]
    Option(#[from] OptionError),
    /// A mistake in the build context outside the Gofile, such as `.dockerignore`.
    #[error("{0}")]
    Input(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub builder_image: String,
    /// Where the builder runs; it cross-compiles for `target_platform`.
    pub build_platform: Platform,
    pub target_platform: Platform,
    /// Whether the build makes images for several platforms: step names then say which.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub several_platforms: bool,
    /// Whether precompile steps output their GOCACHE entries as layers for the steps after
    /// them, instead of a marker.
    pub cache_layers: bool,
    pub image_resolve_mode: ResolveMode,
    pub context: ContextPlan,
    /// `None` when building from `vendor/`.
    pub download: Option<DownloadStep>,
    /// Steps filling GOCACHE before the services compile, each after the one it names.
    pub precompile: Vec<PrecompileStep>,
    pub services: Vec<ServicePlan>,
    pub result: ResultPlan,
    pub source_date_epoch: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContextPlan {
    /// The module directory inside the context (`.` for the root).
    pub module_dir: String,
    /// `.dockerignore` patterns.
    pub excludes: Vec<String>,
}

/// One process run in the builder image.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// The progress name users see.
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub network: NetworkMode,
    pub ignore_cache: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadStep {
    pub command: Command,
    /// The only context files the step sees.
    pub inputs: Vec<String>,
    pub module_cache_id: String,
}

/// Compiles packages into GOCACHE before the services that import them compile: the standard
/// library packages a group of services imports (needing neither sources nor modules, so it
/// runs while the modules download), and what two or more services of a group share.
#[derive(Debug, Clone, Serialize)]
pub struct PrecompileStep {
    /// `stdlib`, `shared`, with a group number when there are several groups; the command's
    /// name also names the platform when the build makes several.
    pub label: String,
    pub command: Command,
    /// The context files it sees; `None` for the standard library, which needs none and does
    /// not wait for the module download.
    pub sources: Option<StepSources>,
    /// The precompile step this one waits for.
    pub after: Option<usize>,
    pub build_cache_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub name: String,
    pub binary: String,
    pub build: Command,
    pub sources: StepSources,
    /// The precompile step this service waits for.
    pub after: Option<usize>,
    pub build_cache_id: String,
    pub base: Base,
    pub image: ImageConfigPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Base {
    Scratch,
    Image(String),
}

/// The image config the service adds on top of its base image's config.
#[derive(Debug, Clone, Serialize)]
pub struct ImageConfigPlan {
    pub entrypoint: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub exposed_ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
}

/// What the build returns.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultPlan {
    /// The service's own image: its base plus its binary, with its image config.
    Service(String),
    /// No target and several services: every binary on one base, no entrypoint.
    AllBinaries { base: Base },
}

/// What a step's name says it is for: `api`, or `linux/arm64 api` when the build makes images
/// for several platforms (their steps would otherwise read the same).
pub fn step_label(platform: Option<&Platform>, name: &str) -> String {
    match platform {
        Some(platform) => format!("{platform} {name}"),
        None => name.to_string(),
    }
}

impl Plan {
    pub fn step_label(&self, name: &str) -> String {
        step_label(self.named_platform(), name)
    }

    /// The platform step names carry, when there are several.
    pub fn named_platform(&self) -> Option<&Platform> {
        self.several_platforms.then_some(&self.target_platform)
    }
}

/// The builder image the plan will need, so its config can be resolved before planning.
pub fn builder_image(
    gofile: &Gofile,
    gomod: &GoMod,
    options: &BuildOptions,
    gofile_source: &SourceFile,
) -> Result<String, PlanError> {
    if let Some(image) = options.image_contexts.get(CONTEXT_BUILDER) {
        return Ok(image.clone());
    }
    builder_reference(gofile, gomod, options, gofile_source)
        .map(|reference| named_context(options, reference))
}

/// Where the builder or a base image was chosen, so a failure to resolve it can point there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageOrigin {
    /// gofrontend's default.
    Default,
    /// `--build-context golang=` or the `GOFRONTEND_BUILDER_IMAGE` build arg: the option key.
    Option(String),
    /// The Gofile's `builder`, `go` or `base`.
    Gofile(Range<usize>),
    /// go.mod's `toolchain` or `go` line.
    GoMod(Range<usize>),
}

pub fn builder_origin(gofile: &Gofile, gomod: &GoMod, options: &BuildOptions) -> ImageOrigin {
    if options.image_contexts.contains_key(CONTEXT_BUILDER) {
        return ImageOrigin::Option(format!("context:{CONTEXT_BUILDER}"));
    }
    if options.builder_image_arg.is_some() {
        return ImageOrigin::Option(format!("{PREFIX_BUILD_ARG}{ARG_BUILDER_IMAGE}"));
    }
    match (&gofile.builder, &gofile.go) {
        (Some(builder), _) => ImageOrigin::Gofile(builder.span.clone()),
        (None, Some(go)) => ImageOrigin::Gofile(go.span.clone()),
        (None, None) => ImageOrigin::GoMod(gomod.version_span.clone().unwrap_or(0..0)),
    }
}

/// Where a service's base (or, without a service, the shared base) was chosen: the Gofile's
/// `base`, an option, or the default.
pub fn base_origin(
    gofile: &Gofile,
    service: Option<&Service>,
    options: &BuildOptions,
) -> ImageOrigin {
    if options.image_contexts.contains_key(CONTEXT_BASE) {
        return ImageOrigin::Option(format!("context:{CONTEXT_BASE}"));
    }
    if options.base_image_arg.is_some() {
        return ImageOrigin::Option(format!("{PREFIX_BUILD_ARG}{ARG_BASE_IMAGE}"));
    }
    match service
        .and_then(|s| s.base.as_ref())
        .or(gofile.base.as_ref())
    {
        Some(base) => ImageOrigin::Gofile(base.span.clone()),
        None => ImageOrigin::Default,
    }
}

/// The builder image's reference before a named context replaces it.
fn builder_reference(
    gofile: &Gofile,
    gomod: &GoMod,
    options: &BuildOptions,
    gofile_source: &SourceFile,
) -> Result<String, PlanError> {
    if let Some(image) = &options.builder_image_arg {
        return Ok(image.clone());
    }
    if let Some(builder) = &gofile.builder {
        return image_ref::normalize(&builder.value).map_err(|message| {
            gofile_error(
                gofile_source,
                Diagnostic::new(builder.span.clone(), message),
            )
        });
    }
    let version = match (&gofile.go, gomod.go_release()) {
        (Some(go), _) => go.value.clone(),
        (None, Some(release)) => release,
        (None, None) => {
            return Err(gofile_error(
                gofile_source,
                Diagnostic::new(
                    0..0,
                    "no Go version: go.mod has no `go` line and the Gofile sets no `go`",
                )
                .with_help("add `go = \"1.24\"` to the Gofile, or a `go` directive to go.mod"),
            ));
        }
    };
    image_ref::normalize(&format!("golang:{version}"))
        .map_err(|message| gofile_error(gofile_source, Diagnostic::new(0..0, message)))
}

/// Everything the plan is computed from.
pub struct PlanInputs<'a> {
    pub gofile: &'a Gofile,
    pub gofile_source: &'a SourceFile,
    pub gomod: &'a GoMod,
    pub options: &'a BuildOptions,
    /// The builder image, from [`builder_image`], and its config.
    pub builder_image: &'a str,
    pub builder: &'a BuilderConfig,
    /// The platform of the BuildKit worker, where the builder runs.
    pub build_platform: Platform,
    pub excludes: Vec<String>,
    /// The packages the selected services reach, from [`scan_roots`].
    pub sources: &'a SourceTree,
}

/// The context-relative package directories of the services a build selects (all of them when
/// the target names none): where the source scan starts.
pub fn scan_roots(gofile: &Gofile, options: &BuildOptions) -> Vec<String> {
    let module_dir = &gofile.module.value;
    let selected: Vec<&Service> = match options.target.as_deref().and_then(|t| gofile.service(t)) {
        Some(service) => vec![service],
        None => gofile.services.iter().collect(),
    };
    selected
        .iter()
        .map(|service| package_dir(module_dir, service))
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
        sources: tree,
    } = inputs;
    let several_platforms = options.target_platforms(build_platform).len() > 1;
    let named_platform = several_platforms.then_some(&target_platform);
    let label = |name: &str| step_label(named_platform, name);
    let cache_layers = options.cache_layers;
    let selected = select_services(gofile, gofile_source, options)?;
    let cache_ids = CacheIds::new(gofile, gomod, options);
    let module_dir = gofile.module.value.clone();
    let vendor = vendor_mode(gofile, gofile_source, tree)?;
    require_workspace(gofile, gofile_source, tree)?;
    let excluded = crate::dockerignore::Matcher::new(excludes).map_err(PlanError::Input)?;
    let module_gomod = if vendor { None } else { Some(gomod) };
    checks::module_files_are_sent(&module_dir, module_gomod, &excluded)?;
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
        let root = package_dir(&module_dir, service);
        let reach = sources::reach(tree, &root);
        let service_settings = steps::compile_settings(
            service,
            builder,
            &target_platform,
            &tree.modules,
            vendor,
            options.goflags.as_deref(),
            cache_layers,
        );
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
        let step_sources = sources::step_sources(
            tree,
            &reach.dirs,
            reach.unsure.as_deref(),
            vendor,
            service.build.stamps_vcs(),
        );
        let whole_reason = match &step_sources {
            StepSources::Whole { reason } => Some(reason.as_str()),
            StepSources::Selected { .. } => None,
        };
        services.push(ServicePlan {
            name: service.name.value.clone(),
            binary: service.binary.clone(),
            build: steps::build_command(
                service,
                &label(&service.name.value),
                &service_settings,
                &module_dir,
                options,
                whole_reason,
            ),
            sources: step_sources,
            after: None,
            build_cache_id: cache_ids.build_cache.clone(),
            base: {
                let (base, reference) =
                    service_base(gofile, gofile_source, service, options, builder)?;
                references.extend(reference);
                checks::user_resolves_on_base(gofile_source, service, &base)?;
                base
            },
            image: image_config(gofile, service, options),
        });
        settings.push(service_settings);
        reaches.push((root, reach));
    }
    let several_binaries = options.target.is_none() && selected.len() > 1;
    checks::services(
        gofile_source,
        &selected,
        &reaches,
        tree,
        gomod,
        &excluded,
        several_binaries,
    )?;
    let precompile = precompile_steps(
        &label,
        tree,
        &settings,
        &reaches,
        &mut services,
        options,
        &cache_ids,
        vendor,
    );
    let result = match (options.target.as_deref(), selected.as_slice()) {
        (None, [_, _, ..]) => {
            let (base, reference) = shared_base(gofile, gofile_source, options, builder)?;
            references.extend(reference);
            ResultPlan::AllBinaries { base }
        }
        _ => ResultPlan::Service(services[0].name.clone()),
    };
    checks::named_contexts_are_used(options, &references)?;
    if let ResultPlan::Service(name) = &result
        && let Some(service) = services.iter().find(|s| &s.name == name)
    {
        let platforms = options.target_platforms(build_platform).len();
        checks::image_config_fits(gofile_source, gofile, service, platforms, options)?;
    }
    Ok(Plan {
        builder_image: builder_image.to_string(),
        build_platform: build_platform.clone(),
        several_platforms,
        target_platform,
        cache_layers,
        image_resolve_mode: options.image_resolve_mode,
        download: (!vendor).then(|| {
            steps::download_step(
                gofile,
                gomod,
                &tree.modules,
                builder,
                options,
                cache_ids.module_cache,
            )
        }),
        precompile,
        context: ContextPlan {
            module_dir,
            excludes: excludes.clone(),
        },
        services,
        result,
        source_date_epoch: options.source_date_epoch,
    })
}

fn select_services<'g>(
    gofile: &'g Gofile,
    source: &SourceFile,
    options: &BuildOptions,
) -> Result<Vec<&'g Service>, PlanError> {
    let Some(target) = options.target.as_deref() else {
        return Ok(gofile.services.iter().collect());
    };
    if let Some(service) = gofile.service(target) {
        return Ok(vec![service]);
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

/// Cache mount ids, namespaced per module so projects sharing a daemon never share entries
/// unless the Gofile asks for it.
struct CacheIds {
    module_cache: String,
    build_cache: String,
}

impl CacheIds {
    /// A precompile step's GOCACHE with cache layers: a mount of its own, since its output is
    /// what its compile used and only a GOCACHE no other step writes to tells that exactly.
    /// Keyed by the kind of step and the compile settings, not the package list, so a step
    /// compiling a new import finds the packages of its earlier runs.
    fn precompile(&self, kind: &str, settings: &steps::CompileSettings) -> String {
        let mut hasher = Sha256::new();
        let settings_parts = settings
            .env
            .iter()
            .chain(&settings.flags)
            .map(String::as_str);
        for part in settings_parts.chain([settings.module_flag, settings.vcs_flag]) {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest = hex::encode(hasher.finalize());
        format!("{}:{kind}:{}", self.build_cache, &digest[..16])
    }

    fn precompile_or_shared(&self, kind: &str, settings: &steps::CompileSettings) -> String {
        if settings.cache_layers {
            self.precompile(kind, settings)
        } else {
            self.build_cache.clone()
        }
    }

    fn new(gofile: &Gofile, gomod: &GoMod, options: &BuildOptions) -> Self {
        let namespace = options
            .cache_namespace
            .as_ref()
            .map(|ns| format!("{ns}/"))
            .unwrap_or_default();
        let scope = if gofile.shared_cache {
            String::new()
        } else {
            format!(":{}", gomod.module_path)
        };
        Self {
            module_cache: format!("{namespace}gofrontend:gomodcache{scope}"),
            build_cache: format!("{namespace}gofrontend:gocache{scope}"),
        }
    }
}

/// Groups the services by compile settings; gives each group a step compiling the standard
/// library packages it imports and, for two or more services, a step compiling what they
/// share. Each group's services wait for the shared step when they use what it compiles, else
/// for the standard library step.
#[allow(clippy::too_many_arguments)]
fn precompile_steps(
    step_label: &dyn Fn(&str) -> String,
    tree: &SourceTree,
    settings: &[steps::CompileSettings],
    reaches: &[(String, sources::Reach)],
    services: &mut [ServicePlan],
    options: &BuildOptions,
    cache_ids: &CacheIds,
    vendor: bool,
) -> Vec<PrecompileStep> {
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
    for (number, group) in groups.iter().enumerate() {
        let label = |kind: &str| {
            if several_groups {
                format!("{kind} {}", number + 1)
            } else {
                kind.to_string()
            }
        };
        let group_settings = &settings[group[0]];
        let members: Vec<(&str, &sources::Reach)> = group
            .iter()
            .map(|&i| (reaches[i].0.as_str(), &reaches[i].1))
            .collect();
        let packages = sources::precompiled_packages(tree, &members);
        let mut last = None;
        let mut shared_step = None;
        if !packages.standard.is_empty() {
            let label = label("stdlib");
            steps.push(PrecompileStep {
                command: steps::standard_library_command(
                    &step_label(&label),
                    group_settings,
                    &packages.standard,
                    options,
                ),
                label,
                sources: None,
                after: None,
                build_cache_id: cache_ids.precompile_or_shared("stdlib", group_settings),
            });
            last = Some(steps.len() - 1);
        }
        if group.len() >= 2 && !packages.shared.is_empty() {
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
                sources: Some(sources::step_sources(
                    tree,
                    &packages.local_dirs,
                    None,
                    vendor,
                    false,
                )),
                label,
                after: last,
                build_cache_id: cache_ids.precompile_or_shared("shared", group_settings),
            });
            shared_step = Some(steps.len() - 1);
        }
        // A service none of whose packages are compiled in the shared step neither waits for
        // it nor takes its layer: editing a shared package leaves that service cached.
        for &i in group {
            services[i].after = match shared_step {
                Some(step) if sources::uses_any(tree, &reaches[i].1, &packages) => Some(step),
                _ => last,
            };
        }
    }
    steps
}

/// Whether to build from `vendor/`: as the Gofile says, else when `vendor/modules.txt` exists.
fn vendor_mode(
    gofile: &Gofile,
    gofile_source: &SourceFile,
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
    gofile_source: &SourceFile,
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

fn service_base(
    gofile: &Gofile,
    gofile_source: &SourceFile,
    service: &Service,
    options: &BuildOptions,
    builder: &BuilderConfig,
) -> Result<(Base, Option<String>), PlanError> {
    let chosen = service
        .base
        .as_ref()
        .or(gofile.base.as_ref())
        .map(|b| b.value.as_str());
    let default = default_base(service.build.cgo, builder).ok_or_else(|| {
        no_cgo_base(
            gofile_source,
            service.name.span.clone(),
            &service.name.value,
        )
    });
    base_image(options, chosen, default)
}

fn shared_base(
    gofile: &Gofile,
    gofile_source: &SourceFile,
    options: &BuildOptions,
    builder: &BuilderConfig,
) -> Result<(Base, Option<String>), PlanError> {
    let cgo_service = gofile.services.iter().find(|s| s.build.cgo);
    let default = default_base(cgo_service.is_some(), builder).ok_or_else(|| {
        let name = cgo_service.map_or(&gofile.services[0].name, |s| &s.name);
        no_cgo_base(gofile_source, name.span.clone(), &name.value)
    });
    base_image(
        options,
        gofile.base.as_ref().map(|b| b.value.as_str()),
        default,
    )
}

/// Distroless `static` for pure Go; for cgo, distroless `base` of the builder's Debian
/// release: the binary links against the builder's glibc, and a binary linked against a newer
/// glibc fails on an older base.
fn default_base(cgo: bool, builder: &BuilderConfig) -> Option<String> {
    if !cgo {
        return Some(DEFAULT_STATIC_BASE.to_string());
    }
    let release = builder.debian_release.as_ref()?;
    Some(format!("gcr.io/distroless/base-debian{release}:nonroot"))
}

fn no_cgo_base(gofile_source: &SourceFile, span: Range<usize>, service: &str) -> PlanError {
    gofile_error(
        gofile_source,
        Diagnostic::new(
            span,
            format!(
                "service `{service}` uses cgo, and the builder image is not Debian, so no distroless base has its C library"
            ),
        )
        .with_help("set `base` to an image with the builder's C library, or build with a Debian golang image"),
    )
}

/// The base, with the reference it was chosen by when a named context may replace it.
fn base_image(
    options: &BuildOptions,
    chosen: Option<&str>,
    default: Result<String, PlanError>,
) -> Result<(Base, Option<String>), PlanError> {
    if let Some(image) = options.image_contexts.get(CONTEXT_BASE) {
        return Ok((Base::Image(image.clone()), None));
    }
    Ok(match base_reference(options, chosen, default)? {
        None => (Base::Scratch, None),
        Some(reference) => (
            Base::Image(named_context(options, reference.clone())),
            Some(reference),
        ),
    })
}

/// The base image's reference before a named context replaces it; `None` for scratch.
fn base_reference(
    options: &BuildOptions,
    chosen: Option<&str>,
    default: Result<String, PlanError>,
) -> Result<Option<String>, PlanError> {
    let reference = match (&options.base_image_arg, chosen) {
        (Some(image), _) => image.clone(),
        (None, Some(chosen)) => chosen.to_string(),
        (None, None) => default?,
    };
    if reference == "scratch" {
        return Ok(None);
    }
    // A Gofile value was checked when the Gofile was read, the build arg with the options.
    image_ref::normalize(&reference)
        .map(Some)
        .map_err(|message| {
            OptionError {
                key: "base".into(),
                message,
            }
            .into()
        })
}

/// The image a `--build-context <reference>=docker-image://...` puts in place of `reference`.
fn named_context(options: &BuildOptions, reference: String) -> String {
    options
        .image_contexts
        .get(&reference)
        .cloned()
        .unwrap_or(reference)
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
        ("source", gofile.source.as_deref()),
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
    ImageConfigPlan {
        entrypoint: vec![binary_path(&service.binary)],
        cmd: settings.args.clone(),
        env: settings.env.clone(),
        user: settings.user.clone(),
        workdir: settings.workdir.clone(),
        exposed_ports: settings.ports.clone(),
        labels,
        stop_signal: settings.stop_signal.clone(),
    }
}

pub fn binary_path(binary: &str) -> String {
    format!("{BINARY_DIR}/{binary}")
}

fn gofile_error(source: &SourceFile, diagnostic: Diagnostic) -> PlanError {
    PlanError::Gofile(Diagnostics::single(source.clone(), diagnostic))
}

#[cfg(test)]
mod tests;
