//! `gofrontend frontend`: the program BuildKit runs. It runs the pipeline over the gateway
//! (`inputs`), solves each platform's plan (`image`), and returns the image with its config,
//! or an error the user sees in their build output (`error`). Every path ends in exactly one
//! `Return`.

mod error;
mod image;
mod inputs;
mod sbom;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use futures_util::future::try_join_all;

use crate::gateway::{Client, SolvedRef, stdio_channel};
use crate::gofile;
use crate::options::{BuildOptions, Engine, InputLocals};
use crate::pipeline::{self, GofileInput, Phases};
use crate::proto::google::rpc::Status;
use crate::subrequests;
use error::{CODE_UNKNOWN, FrontendError};
use image::LoadedGofile;
use inputs::GatewayInputs;

const OPT_ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

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
        let phases = Phases::default();
        let outcome = build(&client, started, &phases).await;
        eprint!("{phases}");
        let (returned, failure) = match outcome {
            Ok(Outcome::Image(solved, metadata, attestations)) => (
                client
                    .return_result(Some(solved), metadata, attestations)
                    .await,
                None,
            ),
            Ok(Outcome::Answer(metadata)) => (
                client
                    .return_result(None, metadata, BTreeMap::new())
                    .await,
                None,
            ),
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

async fn build(
    client: &Client,
    started: Instant,
    phases: &Phases,
) -> Result<Outcome, FrontendError> {
    let pairs = options_from_env();
    let pairs = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let options = BuildOptions {
        engine: Engine::from_llb_caps(|cap| client.has_llb_cap(cap)),
        ..BuildOptions::from_pairs(pairs())?
    };
    let client = &client.importing(&options.cache_imports);
    let locals = InputLocals::from_pairs(pairs());
    let inputs = GatewayInputs::new(client, &locals, &options);
    let gofile_input = pipeline::read_gofile(&inputs, phases).await?;
    if let Some(request) = options.request.as_deref() {
        return answer(&inputs, request, &gofile_input, &options, phases)
            .await
            .map(Outcome::Answer);
    }
    let planned = pipeline::plan(&inputs, &gofile_input, &options, phases).await?;
    let loaded = LoadedGofile {
        gofile: &planned.gofile,
        source: &gofile_input.source,
        options: &options,
    };
    let images = try_join_all(
        planned
            .plans
            .iter()
            .map(|plan| image::build_image(&inputs, plan, &loaded, started, phases)),
    )
    .await?;
    let attestations = match &options.sbom_generator {
        Some(generator) => sbom::scan(&inputs, &planned.plans, generator, phases).await?,
        None => BTreeMap::new(),
    };
    let (solved, metadata) = image::result(&planned.plans, images, &options);
    Ok(Outcome::Image(solved, metadata, attestations))
}

/// What a run of the frontend returns: an image, or the answer to a subrequest.
enum Outcome {
    /// The image, its exporter metadata and its attestations by platform.
    Image(
        SolvedRef,
        BTreeMap<String, Vec<u8>>,
        BTreeMap<String, crate::proto::gateway::Attestations>,
    ),
    Answer(BTreeMap<String, Vec<u8>>),
}

/// Answers a subrequest from the Gofile as declared (build args without values are empty);
/// lint also reads the services' packages.
async fn answer(
    inputs: &GatewayInputs<'_>,
    request: &str,
    gofile_input: &GofileInput,
    options: &BuildOptions,
    phases: &Phases,
) -> Result<BTreeMap<String, Vec<u8>>, FrontendError> {
    let source = &gofile_input.source;
    let gofile =
        gofile::parse_declarations(source, &options.build_args).map_err(FrontendError::Source)?;
    let answer = match request {
        subrequests::DESCRIBE => subrequests::describe(),
        subrequests::TARGETS => subrequests::targets(&gofile, source),
        subrequests::OUTLINE => subrequests::outline(&gofile, source, options),
        subrequests::LINT => {
            let roots = subrequests::lint_roots(&gofile);
            let tree = pipeline::source_tree(inputs, gofile_input, &gofile, &roots, phases).await?;
            subrequests::lint(&gofile, source, &tree)
        }
        other => return Err(FrontendError::UnsupportedRequest(other.to_string())),
    };
    Ok(answer.metadata().into_iter().collect())
}
