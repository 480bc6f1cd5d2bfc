//! `gofrontend frontend`: the program BuildKit runs. It reads the Gofile and go.mod through the
//! gateway, plans, solves, and returns the image with its config, or an error the user sees
//! in their build output. Every path ends in exactly one `Return`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use futures_util::future::try_join_all;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::dockerignore;
use crate::gateway::{Client, ContextFiles, SolvedRef, stdio_channel};
use crate::gofile::{self, Gofile};
use crate::gomod::GoMod;
use crate::gosource::{self, LayoutError, SourceTree};
use crate::image::image_config;
use crate::llb::{self, Definition, Local};
use crate::lower::{self, ContextSource};
use crate::options::{BuildOptions, OptionError, SourceOptions};
use crate::plan::{
    self, Base, BuilderConfig, ImageOrigin, PlanError, PlanInputs, ResultPlan, binary_path,
};
use crate::platform::{Platform, pb_platform};
use crate::proto::google::rpc::Status;
use crate::subrequests;

const OPT_ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";
/// google.rpc.Code Unknown. User errors use it too: clients print any other code's name in
/// front of the message once per hop (`InvalidArgument: InvalidArgument: ...`).
const CODE_UNKNOWN: i32 = 2;

#[derive(Debug, thiserror::Error)]
enum FrontendError {
    #[error("{0}")]
    Source(Diagnostics),
    #[error(transparent)]
    Option(#[from] OptionError),
    #[error("{0}")]
    Input(String),
    #[error(
        "the build of {services} service{plural} is a {mib:.1} MiB definition, more than this BuildKit accepts \
         in one message ({status}); build fewer services at once, each with --target",
        plural = if *.services == 1 { "" } else { "s" },
        mib = *.bytes as f64 / (1024.0 * 1024.0),
        status = .source.message()
    )]
    DefinitionTooLarge {
        services: usize,
        bytes: usize,
        source: tonic::Status,
    },
    #[error("unsupported request {0}")]
    UnsupportedRequest(String),
    #[error("{context}: {status}", status = .source.message())]
    Gateway {
        context: String,
        source: tonic::Status,
    },
}

impl From<PlanError> for FrontendError {
    fn from(err: PlanError) -> Self {
        match err {
            PlanError::Gofile(diagnostics) => Self::Source(diagnostics),
            PlanError::Option(err) => Self::Option(err),
            PlanError::Input(message) => Self::Input(message),
        }
    }
}

impl FrontendError {
    fn status(&self) -> Status {
        let code = match self {
            Self::Gateway { source, .. } => source.code() as i32,
            Self::Source(_)
            | Self::Option(_)
            | Self::Input(_)
            | Self::UnsupportedRequest(_)
            | Self::DefinitionTooLarge { .. } => CODE_UNKNOWN,
        };
        let details = match self {
            Self::Source(diagnostics) => source_details(diagnostics),
            // How buildx recognizes it, and falls back to a frontend that answers it.
            Self::UnsupportedRequest(name) => vec![prost_types::Any {
                type_url: "github.com/moby/buildkit/errdefs.Subrequest+json".to_string(),
                value: serde_json::json!({ "name": name }).to_string().into_bytes(),
            }],
            _ => Vec::new(),
        };
        Status {
            code: if code == 0 { CODE_UNKNOWN } else { code },
            message: self.to_string(),
            details,
        }
    }
}

/// BuildKit's source errors: with them, buildx prints the Gofile lines at fault.
const SOURCE_ERROR_TYPE: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// Source errors carry the whole file: past this size they would push the error itself over
/// BuildKit's 4 MiB message limit, and the message alone (with its lines) is sent.
const SOURCE_DETAILS_LIMIT: usize = 1024 * 1024;

fn source_details(diagnostics: &Diagnostics) -> Vec<prost_types::Any> {
    let file = &diagnostics.file;
    if file.text().len() > SOURCE_DETAILS_LIMIT {
        return Vec::new();
    }
    let info = file.source_info();
    diagnostics
        .items
        .iter()
        .map(|diagnostic| {
            let position = |offset| {
                let at = file.position(offset);
                serde_json::json!({"line": at.line, "character": at.column - 1})
            };
            let source = serde_json::json!({
                "info": info,
                "ranges": [{"start": position(diagnostic.span.start), "end": position(diagnostic.span.end)}],
            });
            prost_types::Any {
                type_url: SOURCE_ERROR_TYPE.to_string(),
                value: source.to_string().into_bytes(),
            }
        })
        .collect()
}

fn gateway(context: impl Into<String>) -> impl FnOnce(tonic::Status) -> FrontendError {
    let context = context.into();
    move |source| FrontendError::Gateway { context, source }
}

/// Runs the frontend to its one `Return`. Exits non-zero only when BuildKit cannot be told.
pub fn serve() -> ExitCode {
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("gofrontend: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let client = match stdio_channel().await {
            Ok(channel) => Client::connect(channel).await,
            Err(err) => {
                eprintln!("gofrontend: cannot connect to BuildKit over stdio: {err}");
                return ExitCode::FAILURE;
            }
        };
        let client = match client {
            Ok(client) => client,
            Err(status) => {
                eprintln!(
                    "gofrontend: BuildKit did not answer Ping: {}",
                    status.message()
                );
                return ExitCode::FAILURE;
            }
        };
        let (returned, failure) = match build(&client, started).await {
            Ok(Outcome::Image(solved, metadata)) => {
                (client.return_result(Some(solved), metadata).await, None)
            }
            Ok(Outcome::Answer(metadata)) => (client.return_result(None, metadata).await, None),
            Err(err) => {
                eprintln!("gofrontend: build failed: {err}");
                (client.return_error(err.status()).await, Some(err.to_string()))
            }
        };
        // What BuildKit refuses as too large for its message limit still gets a reason: the
        // error's own message alone, or what made the result too large.
        let returned = match returned {
            Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                eprintln!("gofrontend: BuildKit refused the return: {}", status.message());
                let message = failure.unwrap_or_else(|| {
                    format!(
                        "BuildKit refused gofrontend's result as too large ({}); make the image config smaller (labels, env)",
                        status.message()
                    )
                });
                client
                    .return_error(Status {
                        code: CODE_UNKNOWN,
                        message,
                        details: Vec::new(),
                    })
                    .await
            }
            other => other,
        };
        match returned {
            Ok(()) => ExitCode::SUCCESS,
            Err(status) => {
                eprintln!(
                    "gofrontend: cannot return the result to BuildKit: {}",
                    status.message()
                );
                ExitCode::FAILURE
            }
        }
    })
}

/// The frontend options, from `BUILDKIT_FRONTEND_OPT_<n>=key=value`.
fn options_from_env() -> Vec<(String, String)> {
    let mut numbered: Vec<(usize, String, String)> = std::env::vars()
        .filter_map(|(name, value)| {
            let index = name.strip_prefix(OPT_ENV_PREFIX)?.parse().ok()?;
            let (key, value) = value.split_once('=').unwrap_or((&value, ""));
            Some((index, key.to_string(), value.to_string()))
        })
        .collect();
    // Later options win, as the daemon numbers them in the order they were given.
    numbered.sort_by_key(|(index, _, _)| *index);
    numbered
        .into_iter()
        .map(|(_, key, value)| (key, value))
        .collect()
}

async fn build(client: &Client, started: Instant) -> Result<Outcome, FrontendError> {
    let pairs = options_from_env();
    let pairs = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let options = BuildOptions::from_pairs(pairs())?;
    let importing = client.importing(&options.cache_imports);
    let client = &importing;
    let sources = SourceOptions::from_pairs(pairs());
    let session = |local: &str| {
        sources
            .local_sessions
            .get(local)
            .cloned()
            .or_else(|| std::env::var("BUILDKIT_SESSION_ID").ok())
            .filter(|id| !id.is_empty())
    };

    let (source, beside_ignore) =
        read_gofile(client, &sources, session(&sources.gofile_local)).await?;
    let context_session = session(&sources.context_local);
    if let Some(request) = options.request.as_deref() {
        let loaded = Loaded {
            sources: &sources,
            session: context_session,
            beside_ignore,
        };
        return answer(client, request, &source, &options, loaded)
            .await
            .map(Outcome::Answer);
    }
    let gofile = gofile::parse(&source, &options.build_args).map_err(FrontendError::Source)?;
    let (gomod, gomod_source, context_ignore) =
        read_context_files(client, &sources, context_session.clone(), &gofile).await?;
    let excludes = excludes(beside_ignore, context_ignore);

    let build_platform = client
        .worker_platform()
        .map(|p| Platform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: Some(p.variant.clone()).filter(|v| !v.is_empty()),
        })
        .unwrap_or_else(Platform::host);
    let builder_image = plan::builder_image(&gofile, &gomod, &options, &source)?;
    let context_source = ContextSource {
        name: sources.context_local.clone(),
        session_id: context_session,
    };
    let context_files = ContextFiles::new(
        client,
        solve_context(client, &context_source, &excludes).await?,
    );
    let roots = plan::scan_roots(&gofile, &options);
    let metadata_name = format!("[internal] load metadata for {builder_image}");
    // The scan and the builder's config are independent round trips to the daemon.
    let sources_read = read_tree(&context_files, &gofile, &gomod, &gomod_source, &roots);
    // cgo binaries link against the builder's C library: its release picks their base.
    let uses_cgo = gofile.services.iter().any(|s| s.build.cgo);
    let (tree, builder_config, os_release) = tokio::join!(
        sources_read,
        client.resolve_image_config(
            &builder_image,
            pb_platform(&build_platform),
            options.image_resolve_mode.as_str(),
            &metadata_name,
        ),
        async {
            match uses_cgo {
                true => read_os_release(client, &builder_image, &build_platform, &options).await,
                false => Ok(String::new()),
            }
        }
    );
    let tree = tree?;
    let builder_config = builder_config.map_err(|status| {
        unresolved_builder(
            &builder_image,
            status,
            &gofile,
            &source,
            &gomod,
            &gomod_source,
            &options,
        )
    })?;
    let builder = BuilderConfig::from_image_config(&builder_config)
        .map_err(|err| {
            FrontendError::Input(format!(
                "the builder image {builder_image} has an unreadable config: {err}"
            ))
        })?
        .with_os_release(&os_release?);

    let loaded_gofile = LoadedGofile {
        gofile: &gofile,
        source: &source,
        options: &options,
    };
    let plans = plan::plan_platforms(&PlanInputs {
        gofile: &gofile,
        gofile_source: &source,
        gomod: &gomod,
        options: &options,
        builder: &builder,
        build_platform,
        excludes,
        sources: &tree,
    })?;
    let mut images = try_join_all(plans.iter().map(|plan| {
        build_image(
            client,
            plan,
            &options,
            &context_source,
            &loaded_gofile,
            started,
        )
    }))
    .await?;
    // Options never ask for one image of several platforms (they refuse `multi-platform=false`
    // with several).
    if !options.returns_platform_map()
        && images.len() == 1
        && let Some((solved, config)) = images.pop()
    {
        let metadata = BTreeMap::from([(EXPORTER_IMAGE_CONFIG.to_string(), config)]);
        return Ok(Outcome::Image(solved, metadata));
    }
    let mut metadata = BTreeMap::new();
    let mut refs = Vec::with_capacity(images.len());
    let mut listed = Vec::with_capacity(images.len());
    for (plan, (solved, config)) in plans.iter().zip(images) {
        let id = plan.target_platform.to_string();
        metadata.insert(format!("{EXPORTER_IMAGE_CONFIG}/{id}"), config);
        listed.push(serde_json::json!({"ID": id, "Platform": plan.target_platform}));
        refs.push((id, solved));
    }
    metadata.insert(
        EXPORTER_PLATFORMS.to_string(),
        serde_json::json!({ "Platforms": listed })
            .to_string()
            .into_bytes(),
    );
    Ok(Outcome::Image(SolvedRef::map(refs), metadata))
}

/// The Gofile a build was planned from, for errors found while solving.
struct LoadedGofile<'g> {
    gofile: &'g Gofile,
    source: &'g SourceFile,
    options: &'g BuildOptions,
}

/// A base image that cannot be resolved, reported at the Gofile's `base` that chose it, or
/// the option.
fn unresolved_base(
    image: &str,
    status: tonic::Status,
    plan: &plan::Plan,
    service: Option<&plan::ServicePlan>,
    loaded: &LoadedGofile<'_>,
) -> FrontendError {
    let service = service.and_then(|s| loaded.gofile.service(&s.name));
    match plan::base_origin(loaded.gofile, service, loaded.options) {
        ImageOrigin::Gofile(span) => FrontendError::Source(Diagnostics::single(
            loaded.source.clone(),
            Diagnostic::new(
                span,
                format!(
                    "the base image {image} for {} cannot be resolved: {}",
                    plan.target_platform,
                    status.message()
                ),
            )
            .with_help("check the reference and that the registry has it for this platform"),
        )),
        ImageOrigin::Option(key) => gateway(format!(
            "resolving the base image {image} for {} (from {key})",
            plan.target_platform
        ))(status),
        ImageOrigin::Default | ImageOrigin::GoMod(_) => gateway(format!(
            "resolving the default base image {image} for {}; set `base` in the Gofile to use another",
            plan.target_platform
        ))(status),
    }
}

/// A builder image that cannot be resolved, reported where it was chosen: go.mod's `go` or
/// `toolchain` line, the Gofile's `go` or `builder`, or the option.
fn unresolved_builder(
    image: &str,
    status: tonic::Status,
    gofile: &Gofile,
    gofile_source: &SourceFile,
    gomod: &GoMod,
    gomod_source: &SourceFile,
    options: &BuildOptions,
) -> FrontendError {
    let reason = status.message();
    let at = |file: &SourceFile, span, help: &str| {
        FrontendError::Source(Diagnostics::single(
            file.clone(),
            Diagnostic::new(
                span,
                format!(
                    "this picks the builder image {image}, which BuildKit cannot resolve: {reason}"
                ),
            )
            .with_help(help),
        ))
    };
    match plan::builder_origin(gofile, gomod, options) {
        ImageOrigin::Option(key) => {
            gateway(format!("resolving the builder image {image} (from {key})"))(status)
        }
        ImageOrigin::Gofile(span) => at(
            gofile_source,
            span,
            "name a Go version the golang images are published for, like `1.24`, or an image that exists",
        ),
        ImageOrigin::Default => gateway(format!("resolving the builder image {image}"))(status),
        ImageOrigin::GoMod(span) => at(
            gomod_source,
            span,
            "name a released Go version in go.mod, or set `go = \"1.24\"` or `builder` in the Gofile",
        ),
    }
}

/// Metadata keys the image exporters read: the image config (one per platform, suffixed
/// with the platform, in a multi-platform result) and the list of platforms.
const EXPORTER_IMAGE_CONFIG: &str = "containerimage.config";
const EXPORTER_PLATFORMS: &str = "refs.platforms";

/// Solves one platform's plan and makes its image config.
async fn build_image(
    client: &Client,
    plan: &plan::Plan,
    options: &BuildOptions,
    context_source: &ContextSource,
    loaded: &LoadedGofile<'_>,
    started: Instant,
) -> Result<(SolvedRef, Vec<u8>), FrontendError> {
    let definition = lower::lower(plan, context_source);
    let definition_bytes = definition.encoded_len();
    // BuildKit sends a frontend's stderr to the daemon log: the benchmarks read this line there.
    eprintln!(
        "gofrontend: solve sent {} ms after start ({} services, {definition_bytes} bytes of LLB, {})",
        started.elapsed().as_millis(),
        plan.services.len(),
        plan.target_platform,
    );
    let (base, service) = match &plan.result {
        ResultPlan::Service(name) => {
            let service = plan.services.iter().find(|s| &s.name == name);
            (service.map_or(&Base::Scratch, |s| &s.base), service)
        }
        ResultPlan::AllBinaries { base } => (base, None),
    };
    // Before the solve: a base that cannot be resolved fails at its Gofile line, not after
    // every compile.
    let base_config = match base {
        Base::Scratch => None,
        Base::Image(reference) => Some(
            client
                .resolve_image_config(
                    reference,
                    pb_platform(&plan.target_platform),
                    options.image_resolve_mode.as_str(),
                    &format!("[internal] load metadata for {reference}"),
                )
                .await
                .map_err(|status| unresolved_base(reference, status, plan, service, loaded))?,
        ),
    };
    let solved = client.solve(definition.0).await.map_err(|source| {
        if source.code() == tonic::Code::ResourceExhausted {
            FrontendError::DefinitionTooLarge {
                services: plan.services.len(),
                bytes: definition_bytes,
                source,
            }
        } else {
            gateway("build failed")(source)
        }
    })?;

    let copied: Vec<String> = plan
        .services
        .iter()
        .map(|s| binary_path(&s.binary))
        .collect();
    let config = image_config(
        base_config.as_deref(),
        service.map(|s| &s.image),
        &plan.target_platform,
        &format!("COPY {} (gofrontend)", copied.join(" ")),
        plan.source_date_epoch,
    )
    .map_err(|err| {
        FrontendError::Input(format!("the base image has an unreadable config: {err}"))
    })?;
    Ok((solved, config))
}

/// What a run of the frontend returns: an image, or the answer to a subrequest.
enum Outcome {
    Image(SolvedRef, BTreeMap<String, Vec<u8>>),
    Answer(BTreeMap<String, Vec<u8>>),
}

/// What a subrequest needs to load the context, if it needs it.
struct Loaded<'s> {
    sources: &'s SourceOptions,
    session: Option<String>,
    beside_ignore: Option<Vec<u8>>,
}

/// Answers a subrequest from the Gofile as declared (build args without values are empty);
/// lint also reads the services' packages.
async fn answer(
    client: &Client,
    request: &str,
    source: &SourceFile,
    options: &BuildOptions,
    loaded: Loaded<'_>,
) -> Result<BTreeMap<String, Vec<u8>>, FrontendError> {
    let gofile =
        gofile::parse_declarations(source, &options.build_args).map_err(FrontendError::Source)?;
    let answer = match request {
        subrequests::DESCRIBE => subrequests::describe(),
        subrequests::TARGETS => subrequests::targets(&gofile, source),
        subrequests::OUTLINE => subrequests::outline(&gofile, source, options),
        subrequests::LINT => {
            let (gomod, gomod_source, context_ignore) =
                read_context_files(client, loaded.sources, loaded.session.clone(), &gofile).await?;
            let excludes = excludes(loaded.beside_ignore, context_ignore);
            let context_source = ContextSource {
                name: loaded.sources.context_local.clone(),
                session_id: loaded.session,
            };
            let files = ContextFiles::new(
                client,
                solve_context(client, &context_source, &excludes).await?,
            );
            let roots = subrequests::lint_roots(&gofile);
            let tree = read_tree(&files, &gofile, &gomod, &gomod_source, &roots).await?;
            subrequests::lint(&gofile, source, &tree)
        }
        other => return Err(FrontendError::UnsupportedRequest(other.to_string())),
    };
    Ok(answer.metadata().into_iter().collect())
}

/// The `.dockerignore` patterns: the file beside the Gofile wins over the context's.
fn excludes(beside_gofile: Option<Vec<u8>>, in_context: Option<Vec<u8>>) -> Vec<String> {
    dockerignore::parse(&String::from_utf8_lossy(
        beside_gofile.or(in_context).as_deref().unwrap_or_default(),
    ))
}

async fn solve_context(
    client: &Client,
    context_source: &ContextSource,
    excludes: &[String],
) -> Result<SolvedRef, FrontendError> {
    let context = Definition::marshal(&lower::context(context_source, excludes));
    client
        .solve(context.0)
        .await
        .map_err(gateway("loading the build context"))
}

/// The module layout and the packages `roots` reach. The scan only narrows what each step
/// sees: when it fails, every step sees the whole context instead.
async fn read_tree(
    files: &ContextFiles<'_>,
    gofile: &Gofile,
    gomod: &GoMod,
    gomod_source: &SourceFile,
    roots: &[String],
) -> Result<SourceTree, FrontendError> {
    let use_workspace = gofile.workspace.as_ref().is_none_or(|w| w.value);
    let modules = gosource::discover(
        files,
        gomod,
        gomod_source,
        &gofile.module.value,
        use_workspace,
    )
    .await
    .map_err(|err| match err {
        LayoutError::Read(status) => gateway("reading the module files")(status),
        LayoutError::Source(diagnostics) => FrontendError::Source(diagnostics),
    })?;
    Ok(gosource::scan(files, modules.clone(), roots)
        .await
        .unwrap_or_else(|status| {
            let reason = format!("the Go sources could not be read: {}", status.message());
            eprintln!("gofrontend: {reason}");
            SourceTree::unscanned(modules, roots, &reason)
        }))
}

/// The Gofile and the `.dockerignore` beside it, through the local BuildKit calls `dockerfile`.
async fn read_gofile(
    client: &Client,
    sources: &SourceOptions,
    session_id: Option<String>,
) -> Result<(SourceFile, Option<Vec<u8>>), FrontendError> {
    let filename = &sources.filename;
    let ignore_name = format!("{filename}.dockerignore");
    let local = Local {
        name: sources.gofile_local.clone(),
        session_id,
        follow_paths: vec![filename.clone(), ignore_name.clone()],
        shared_key_hint: Some(sources.gofile_local.clone()),
        ..Local::default()
    };
    let solved = solve_local(
        client,
        &local,
        &format!("[internal] load build definition from {filename}"),
    )
    .await?;
    let text = client
        .read_file(&solved, filename)
        .await
        .map_err(gateway(format!("reading {filename}")))?
        .ok_or_else(|| {
            FrontendError::Input(format!(
                "no {filename} found: pass the Gofile with `-f Gofile`"
            ))
        })?;
    let text = String::from_utf8(text)
        .map_err(|_| FrontendError::Input(format!("{filename} is not UTF-8 text")))?;
    let ignore = client
        .read_file(&solved, &ignore_name)
        .await
        .map_err(gateway(format!("reading {ignore_name}")))?;
    Ok((SourceFile::new(filename.clone(), text), ignore))
}

/// go.mod of the module and `.dockerignore` at the context root, without sending the rest.
async fn read_context_files(
    client: &Client,
    sources: &SourceOptions,
    session_id: Option<String>,
    gofile: &Gofile,
) -> Result<(GoMod, SourceFile, Option<Vec<u8>>), FrontendError> {
    let gomod_path = gosource::join(&gofile.module.value, "go.mod");
    let local = Local {
        name: sources.context_local.clone(),
        session_id,
        follow_paths: vec![gomod_path.clone(), ".dockerignore".to_string()],
        ..Local::default()
    };
    let solved = solve_local(client, &local, "[internal] load go.mod and .dockerignore").await?;
    let gomod = client
        .read_file(&solved, &gomod_path)
        .await
        .map_err(gateway(format!("reading {gomod_path}")))?
        .ok_or_else(|| {
            FrontendError::Input(format!(
                "no go.mod at `{gomod_path}` in the build context: the Gofile's `module` (\"{}\") must name the directory holding go.mod",
                gofile.module.value
            ))
        })?;
    let gomod_source = SourceFile::new(gomod_path, String::from_utf8_lossy(&gomod));
    let gomod = GoMod::parse(&gomod_source).map_err(FrontendError::Source)?;
    let ignore = client
        .read_file(&solved, ".dockerignore")
        .await
        .map_err(gateway("reading .dockerignore"))?;
    Ok((gomod, gomod_source, ignore))
}

/// The builder image's /etc/os-release, empty when it has none. The image op is the one the
/// build runs on, so BuildKit pulls it once for both.
async fn read_os_release(
    client: &Client,
    builder_image: &str,
    build_platform: &Platform,
    options: &BuildOptions,
) -> Result<String, FrontendError> {
    let builder = llb::image(
        builder_image,
        build_platform,
        options.image_resolve_mode,
        &format!("[builder] {builder_image}"),
    );
    let solved = client
        .solve(Definition::marshal(&builder).0)
        .await
        .map_err(gateway(format!(
            "loading the builder image {builder_image}"
        )))?;
    // /etc/os-release is a link to /usr/lib/os-release on Debian.
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        let text = client
            .read_file(&solved, path)
            .await
            .map_err(gateway(format!("reading {path} in {builder_image}")))?;
        if let Some(text) = text {
            return Ok(String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(String::new())
}

async fn solve_local(
    client: &Client,
    local: &Local,
    name: &str,
) -> Result<SolvedRef, FrontendError> {
    let definition = Definition::marshal(&local.output(name));
    client
        .solve(definition.0)
        .await
        .map_err(gateway(format!("loading files from `{}`", local.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;

    #[test]
    fn source_errors_carry_the_file_and_the_range() {
        let file = SourceFile::new("Gofile", "[services.api]\nport = 1\n");
        let diagnostics = Diagnostics::new(file, vec![Diagnostic::new(15..19, "unknown key")]);
        let status = FrontendError::Source(diagnostics).status();
        assert_eq!(status.code, CODE_UNKNOWN);
        assert!(status.message.starts_with("Gofile:2:1: unknown key"));
        let [detail] = status.details.as_slice() else {
            panic!("one detail per diagnostic")
        };
        assert_eq!(detail.type_url, SOURCE_ERROR_TYPE);
        let json: serde_json::Value = serde_json::from_slice(&detail.value).unwrap();
        assert_eq!(json["info"]["filename"], "Gofile");
        assert_eq!(json["info"]["data"], "W3NlcnZpY2VzLmFwaV0KcG9ydCA9IDEK");
        assert_eq!(
            json["ranges"][0]["start"],
            serde_json::json!({"line": 2, "character": 0})
        );
        assert_eq!(
            json["ranges"][0]["end"],
            serde_json::json!({"line": 2, "character": 4})
        );
    }
}
