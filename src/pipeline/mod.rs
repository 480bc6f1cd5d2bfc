//! The order of a build, for every driver: read the Gofile and the `.dockerignore` beside it,
//! then go.mod and the context's `.dockerignore`, then (at once) the Go source scan and the
//! builder image's config; then one plan per platform. Every fallback is decided here, once.
//!
//! Drivers differ only in how they read: [`Inputs`] is implemented by the frontend (over
//! BuildKit's gateway), the command line ([`LocalInputs`], a directory on disk) and
//! [`MemoryInputs`] (tests and fuzz targets).

mod image_files;
mod local;
mod memory;
mod phases;
pub mod scan_step;

use std::future::Future;

use futures_util::future::join3;

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::dockerignore;
use crate::gofile::{self, Gofile};
use crate::gomod::GoMod;
use crate::gosource::{self, LayoutError, ScanRoots, SourceFiles, SourceTree};
use crate::options::BuildOptions;
use crate::plan::{self, BuilderConfig, ImageOrigin, Plan, PlanError, PlanInputs};
use crate::platform::Platform;

pub use local::LocalInputs;
pub use memory::MemoryInputs;
pub use phases::Phases;
pub use scan_step::ScanRequest;

/// Where a build's inputs come from. Files that do not exist are `None`, not errors.
pub trait Inputs {
    type Error;
    /// The build context with the excludes applied, for the source scan.
    type Context: SourceFiles<Error = Self::Error>;

    /// The Gofile's name, as errors show it.
    fn gofile_name(&self) -> &str;
    /// The Gofile and `<Gofile>.dockerignore` beside it.
    fn gofile(&self) -> impl Future<Output = Result<[Option<Vec<u8>>; 2], Self::Error>>;
    /// Files of the context, read without sending the rest of it.
    fn context_files(
        &self,
        paths: [&str; 2],
    ) -> impl Future<Output = Result<[Option<Vec<u8>>; 2], Self::Error>>;
    fn context(
        &self,
        excludes: &[String],
    ) -> impl Future<Output = Result<Self::Context, Self::Error>>;
    /// The platform the build steps run on.
    fn build_platform(&self) -> Platform;
    /// An image's config, as BuildKit's ResolveImageConfig returns it.
    fn image_config(
        &self,
        image: &str,
        platform: &Platform,
    ) -> impl Future<Output = Result<Vec<u8>, Self::Error>>;
    /// The first of `paths` that exists in the image's filesystem.
    fn image_file(
        &self,
        image: &str,
        platform: &Platform,
        paths: &[&str],
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Self::Error>>;
    /// The scan run as a build step over the context with `excludes` applied: the step's
    /// reply (see [`scan_step`]), or `None` where the driver cannot run one.
    fn scan_step(
        &self,
        request: &ScanRequest,
        excludes: &[String],
    ) -> Option<impl Future<Output = Result<Vec<u8>, Self::Error>>>;
    /// What went wrong, in a few words, for a message that names the line at fault.
    fn reason(error: &Self::Error) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError<E> {
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The driver could not read something; `context` says what.
    #[error("{context}")]
    Read { context: String, error: E },
}

fn read_error<E>(context: impl Into<String>) -> impl FnOnce(E) -> LoadError<E> {
    let context = context.into();
    move |error| LoadError::Read { context, error }
}

/// The Gofile as read, before build args are applied.
pub struct GofileInput {
    pub source: TextFile,
    beside_ignore: Option<Vec<u8>>,
}

/// The Gofile a build planned from and the plans it made.
pub struct Planned {
    pub gofile: Gofile,
    /// One per target platform, in the options' order.
    pub plans: Vec<Plan>,
}

pub async fn read_gofile<I: Inputs>(
    inputs: &I,
    phases: &Phases,
) -> Result<GofileInput, LoadError<I::Error>> {
    let name = inputs.gofile_name().to_string();
    let [text, beside_ignore] = phases
        .time("read-gofile", inputs.gofile())
        .await
        .map_err(read_error(format!("reading {name}")))?;
    let text = text.ok_or_else(|| {
        PlanError::Input(format!("no {name} found: pass the Gofile with `-f Gofile`"))
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| PlanError::Input(format!("{name} is not UTF-8 text")))?;
    Ok(GofileInput {
        source: TextFile::new(name, text),
        beside_ignore,
    })
}

/// Reads the rest of the inputs and plans every platform the options target.
pub async fn plan<I: Inputs>(
    inputs: &I,
    gofile_input: &GofileInput,
    options: &BuildOptions,
    phases: &Phases,
) -> Result<Planned, LoadError<I::Error>> {
    let source = &gofile_input.source;
    let gofile = gofile::parse(source, &options.build_args).map_err(PlanError::Gofile)?;
    let context = read_context(inputs, gofile_input, &gofile, phases).await?;
    let build_platform = inputs.build_platform();
    let builder_image = plan::builder_image(&gofile, &context.gomod, options, source)?;
    let roots = plan::scan_roots(&gofile, options);
    // cgo binaries link against the builder's C library: its release picks their base.
    let uses_cgo = gofile.services.iter().any(|s| s.build.cgo);
    // Independent round trips to the daemon.
    let (tree, builder_config, os_release) = join3(
        scan(inputs, &context, &gofile, &roots, phases),
        phases.time(
            "builder-config",
            inputs.image_config(&builder_image, &build_platform),
        ),
        async {
            match uses_cgo {
                true => phases
                    .time(
                        "builder-os-release",
                        inputs.image_file(&builder_image, &build_platform, OS_RELEASE),
                    )
                    .await
                    .map_err(read_error(format!(
                        "loading the builder image {builder_image}"
                    ))),
                false => Ok(None),
            }
        },
    )
    .await;
    let tree = tree?;
    let file_sources = plan::image_files::sources(&gofile, options);
    let context_files = phases
        .time(
            "read-image-files",
            image_files::read(&context.files, &file_sources),
        )
        .await
        .map_err(read_error("reading the files the image holds"))?;
    let builder_config = builder_config.map_err(|error| {
        unresolved_builder::<I>(&builder_image, error, &gofile, source, &context, options)
    })?;
    let builder = BuilderConfig::from_image_config(&builder_config)
        .map_err(|err| {
            PlanError::Input(format!(
                "the builder image {builder_image} has an unreadable config: {err}"
            ))
        })?
        .with_os_release(&String::from_utf8_lossy(&os_release?.unwrap_or_default()));
    let planning = std::time::Instant::now();
    let plans = plan::plan_platforms(&PlanInputs {
        gofile: &gofile,
        gofile_source: source,
        gomod: &context.gomod,
        options,
        builder_image: &builder_image,
        builder: &builder,
        build_platform,
        excludes: context.excludes,
        scan: &tree,
        context_files: &context_files,
    })?;
    phases.record("plan", planning.elapsed());
    Ok(Planned { gofile, plans })
}

/// [`read_gofile`], then [`plan()`].
pub async fn load_and_plan<I: Inputs>(
    inputs: &I,
    options: &BuildOptions,
) -> Result<Planned, LoadError<I::Error>> {
    let phases = Phases::default();
    let gofile_input = read_gofile(inputs, &phases).await?;
    plan(inputs, &gofile_input, options, &phases).await
}

/// The packages `roots` reach, for a Gofile parsed without build args (lint).
pub async fn source_tree<I: Inputs>(
    inputs: &I,
    gofile_input: &GofileInput,
    gofile: &Gofile,
    roots: &ScanRoots,
    phases: &Phases,
) -> Result<SourceTree, LoadError<I::Error>> {
    let context = read_context(inputs, gofile_input, gofile, phases).await?;
    scan(inputs, &context, gofile, roots, phases).await
}

const SCAN_FAILED: &str = "the Go sources could not be read";

/// /etc/os-release is a link to /usr/lib/os-release on Debian.
const OS_RELEASE: &[&str] = &["/etc/os-release", "/usr/lib/os-release"];

struct Context<F> {
    gomod: GoMod,
    gomod_source: TextFile,
    excludes: Vec<String>,
    files: F,
}

/// go.mod and the `.dockerignore` patterns (the file beside the Gofile wins over the
/// context's), then the context with them applied.
async fn read_context<I: Inputs>(
    inputs: &I,
    gofile_input: &GofileInput,
    gofile: &Gofile,
    phases: &Phases,
) -> Result<Context<I::Context>, LoadError<I::Error>> {
    let gomod_path = gosource::join(&gofile.module.value, "go.mod");
    let [gomod, context_ignore] = phases
        .time(
            "read-go-mod",
            inputs.context_files([&gomod_path, ".dockerignore"]),
        )
        .await
        .map_err(read_error("loading go.mod and .dockerignore"))?;
    let gomod = gomod.ok_or_else(|| {
        PlanError::Input(format!(
            "no go.mod at `{gomod_path}` in the build context: the Gofile's `module` (\"{}\") must name the directory holding go.mod",
            gofile.module.value
        ))
    })?;
    let gomod_source = TextFile::new(gomod_path, String::from_utf8_lossy(&gomod));
    let gomod = GoMod::parse(&gomod_source).map_err(PlanError::Gofile)?;
    let ignore = gofile_input
        .beside_ignore
        .as_ref()
        .or(context_ignore.as_ref());
    let excludes = dockerignore::parse(&String::from_utf8_lossy(
        ignore.map(Vec::as_slice).unwrap_or_default(),
    ));
    let files = phases
        .time("load-context", inputs.context(&excludes))
        .await
        .map_err(read_error("loading the build context"))?;
    Ok(Context {
        gomod,
        gomod_source,
        excludes,
        files,
    })
}

/// The module layout and the packages `roots` reach. The scan only narrows what each step
/// sees: when it fails, every step sees the whole context instead, and says why.
async fn scan<I: Inputs>(
    inputs: &I,
    context: &Context<I::Context>,
    gofile: &Gofile,
    roots: &ScanRoots,
    phases: &Phases,
) -> Result<SourceTree, LoadError<I::Error>> {
    let use_workspace = gofile.workspace.as_ref().is_none_or(|w| w.value);
    let discovered = gosource::discover(
        &context.files,
        &context.gomod,
        &context.gomod_source,
        &gofile.module.value,
        use_workspace,
    );
    let modules = phases
        .time("discover-modules", discovered)
        .await
        .map_err(|err| match err {
            LayoutError::Read(error) => read_error("reading the module files")(error),
            LayoutError::Source(diagnostics) => PlanError::Gofile(diagnostics).into(),
        })?;
    let started = std::time::Instant::now();
    let request = ScanRequest::new(modules.clone(), roots);
    let through_gateway = || async {
        gosource::scan(&context.files, modules.clone(), roots)
            .await
            .map_err(|error| I::reason(&error))
    };
    let scanned = match inputs.scan_step(&request, &context.excludes) {
        None => through_gateway().await,
        Some(step) => {
            let within = gosource::scan_within(
                &context.files,
                modules.clone(),
                roots,
                scan_step::SCAN_STEP_FILES,
            );
            match within.await {
                Ok(Some(tree)) => Ok(tree),
                Err(error) => Err(I::reason(&error)),
                Ok(None) => {
                    let reply = phases.time("scan-step", step).await;
                    match reply
                        .map_err(|error| I::reason(&error))
                        .and_then(|reply| request.read_reply(&reply))
                    {
                        Ok(outcome) => outcome,
                        Err(unusable) => {
                            eprintln!(
                                "gofrontend: the scan step failed, scanning through the gateway instead: {unusable}"
                            );
                            through_gateway().await
                        }
                    }
                }
            }
        }
    };
    let tree = scanned.unwrap_or_else(|reason| {
        // The step names say what happened; the detail differs between drivers and
        // runs, and would change the definition's digest.
        eprintln!("gofrontend: {SCAN_FAILED}: {reason}");
        SourceTree::unscanned(modules, roots, SCAN_FAILED)
    });
    let (packages, files) = tree
        .packages
        .values()
        .flatten()
        .fold((0, 0), |(p, f), package| (p + 1, f + package.files.len()));
    phases.record_with(
        "scan",
        started.elapsed(),
        format!("{packages} packages, {files} files"),
    );
    Ok(tree)
}

/// A builder image that cannot be resolved, reported where it was chosen: go.mod's `go` or
/// `toolchain` line, the Gofile's `go` or `builder`, or the option.
fn unresolved_builder<I: Inputs>(
    image: &str,
    error: I::Error,
    gofile: &Gofile,
    gofile_source: &TextFile,
    context: &Context<I::Context>,
    options: &BuildOptions,
) -> LoadError<I::Error> {
    let at = |file: &TextFile, span, help: &str| {
        PlanError::Gofile(Diagnostics::single(
            file.clone(),
            Diagnostic::new(
                span,
                format!(
                    "this picks the builder image {image}, which BuildKit cannot resolve: {}",
                    I::reason(&error)
                ),
            )
            .with_help(help),
        ))
        .into()
    };
    match plan::builder_origin(gofile, &context.gomod, options) {
        ImageOrigin::Option(key) => {
            read_error(format!("resolving the builder image {image} (from {key})"))(error)
        }
        ImageOrigin::Gofile(span) => at(
            gofile_source,
            span,
            "name a Go version the golang images are published for, like `1.24`, or an image that exists",
        ),
        ImageOrigin::Default => read_error(format!("resolving the builder image {image}"))(error),
        ImageOrigin::GoMod(span) => at(
            &context.gomod_source,
            span,
            "name a released Go version in go.mod, or set `go = \"1.24\"` or `builder` in the Gofile",
        ),
    }
}

#[cfg(test)]
mod tests;
