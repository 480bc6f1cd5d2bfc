//! One platform's image: its base resolved before the solve (a base that cannot be resolved
//! fails at the Gofile line that chose it, not after every compile), the solve, and the image
//! config; then the result BuildKit exports, one image or one per platform.

use std::collections::BTreeMap;
use std::time::Instant;

use super::error::{FrontendError, gateway};
use super::inputs::GatewayInputs;
use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::gateway::SolvedRef;
use crate::gofile::Gofile;
use crate::image::image_config;
use crate::lower;
use crate::options::BuildOptions;
use crate::pipeline::{Inputs, Phases};
use crate::plan::{self, Base, ImageOrigin, Plan, ResultPlan, binary_path};

/// The Gofile a build was planned from, for errors found while solving.
pub struct LoadedGofile<'g> {
    pub gofile: &'g Gofile,
    pub source: &'g TextFile,
    pub options: &'g BuildOptions,
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

/// Metadata keys the image exporters read: the image config (one per platform, suffixed
/// with the platform, in a multi-platform result) and the list of platforms.
const EXPORTER_IMAGE_CONFIG: &str = "containerimage.config";
const EXPORTER_PLATFORMS: &str = "refs.platforms";

/// Solves one platform's plan and makes its image config.
pub async fn build_image(
    inputs: &GatewayInputs<'_>,
    plan: &plan::Plan,
    loaded: &LoadedGofile<'_>,
    started: Instant,
    phases: &Phases,
) -> Result<(SolvedRef, Vec<u8>), FrontendError> {
    let platform = plan.target_platform.to_string();
    let definition = lower::lower(plan, &inputs.context_local);
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
    let base_config = match base {
        Base::Scratch => None,
        Base::Image(reference) => Some(
            phases
                .time_with(
                    "resolve-base",
                    &platform,
                    inputs.image_config(reference, &plan.target_platform),
                )
                .await
                .map_err(|status| unresolved_base(reference, status, plan, service, loaded))?,
        ),
    };
    let solved = phases
        .time_with("solve", &platform, inputs.client.solve(definition.0))
        .await;
    let solved = solved.map_err(|source| {
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

/// The result BuildKit exports: one image, or one per platform with the list of platforms.
pub fn result(
    plans: &[Plan],
    mut images: Vec<(SolvedRef, Vec<u8>)>,
    options: &BuildOptions,
) -> (SolvedRef, BTreeMap<String, Vec<u8>>) {
    // Options never ask for one image of several platforms (they refuse `multi-platform=false`
    // with several).
    if !options.returns_platform_map()
        && images.len() == 1
        && let Some((solved, config)) = images.pop()
    {
        return (
            solved,
            BTreeMap::from([(EXPORTER_IMAGE_CONFIG.to_string(), config)]),
        );
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
    (SolvedRef::map(refs), metadata)
}
