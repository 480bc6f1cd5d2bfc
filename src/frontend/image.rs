//! One platform's image: its base resolved before the solve (a base that cannot be resolved
//! fails at the Gofile line that chose it, not after every compile), the solve, and the image
//! config; then the result BuildKit exports, one image or one per platform.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::error::{FrontendError, gateway};
use super::inputs::GatewayInputs;
use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::gateway::SolvedRef;
use crate::gofile::Gofile;
use crate::image::image_config;
use crate::llb::Owner;
use crate::lower;
use crate::options::BuildOptions;
use crate::pipeline::Phases;
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
/// The OCI image spec's keys for the image an image is based on, as ko records them.
const ANNOTATION_BASE_NAME: &str = "org.opencontainers.image.base.name";
const ANNOTATION_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// One platform's image: the solved filesystem, its config and its manifest's annotations.
pub struct BuiltImage {
    pub solved: SolvedRef,
    pub config: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// Solves one platform's plan and makes its image config.
pub async fn build_image(
    inputs: &GatewayInputs<'_>,
    plan: &plan::Plan,
    loaded: &LoadedGofile<'_>,
    started: Instant,
    phases: &Phases,
) -> Result<BuiltImage, FrontendError> {
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
        ResultPlan::Tests { .. } => (&Base::Scratch, None),
    };
    let resolved_base = match base {
        Base::Scratch => None,
        Base::Image(reference) => Some(
            phases
                .time_with(
                    "resolve-base",
                    &platform,
                    inputs.resolve_image(reference, &plan.target_platform),
                )
                .await
                .map_err(|status| unresolved_base(reference, status, plan, service, loaded))?,
        ),
    };
    let mut annotations = service.map(|s| s.annotations.clone()).unwrap_or_default();
    if let (Base::Image(reference), Some(resolved)) = (base, &resolved_base) {
        annotations.insert(ANNOTATION_BASE_NAME.to_string(), reference.clone());
        if !resolved.digest.is_empty() {
            annotations.insert(ANNOTATION_BASE_DIGEST.to_string(), resolved.digest.clone());
        }
    }
    if let (Base::Image(reference), Some(service)) = (base, service) {
        owners_are_in_the_base(inputs, plan, service, reference, loaded, phases).await?;
    }
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

    let history = match &plan.result {
        ResultPlan::Tests { .. } => "go test reports (gofrontend)".to_string(),
        _ => {
            let copied: Vec<String> = plan
                .services
                .iter()
                .map(|s| binary_path(&s.binary))
                .collect();
            format!("COPY {} (gofrontend)", copied.join(" "))
        }
    };
    let config = image_config(
        resolved_base.as_ref().map(|r| r.config.as_slice()),
        service.map(|s| &s.image),
        &plan.target_platform,
        &history,
        plan.source_date_epoch,
    )
    .map_err(|err| {
        FrontendError::Input(format!("the base image has an unreadable config: {err}"))
    })?;
    Ok(BuiltImage {
        solved,
        config,
        annotations,
    })
}

/// BuildKit gives a file an owner name its base's /etc/passwd or /etc/group lacks to root,
/// silently: every name the image's files use must be there, or the build stops at its line.
async fn owners_are_in_the_base(
    inputs: &GatewayInputs<'_>,
    plan: &Plan,
    service: &plan::ServicePlan,
    reference: &str,
    loaded: &LoadedGofile<'_>,
    phases: &Phases,
) -> Result<(), FrontendError> {
    let mut wanted: BTreeSet<(&str, &str)> = BTreeSet::new();
    for copy in &service.image_files {
        if let Owner::Names { user, group } = &copy.owner {
            wanted.insert(("/etc/passwd", user));
            wanted.insert(("/etc/group", group));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let platform = &plan.target_platform;
    let op_name = format!("[{}] {reference}", plan.step_label("base"));
    let op_name = &op_name;
    let read = |path: &'static str| async move {
        inputs
            .read_image_file(reference, platform, &[path], op_name)
            .await
            .map(|data| String::from_utf8_lossy(&data.unwrap_or_default()).into_owned())
            .map_err(gateway(format!(
                "reading {path} of the base image {reference}"
            )))
    };
    let (passwd, group) = phases
        .time("read-base-users", async {
            (read("/etc/passwd").await, read("/etc/group").await)
        })
        .await;
    let (passwd, group) = (passwd?, group?);
    let names = |file: &str| -> Vec<String> {
        file.lines()
            .filter_map(|line| line.split(':').next())
            .map(str::to_string)
            .collect()
    };
    let (users, groups) = (names(&passwd), names(&group));
    let gofile_service = loaded.gofile.service(&service.name);
    let missing: Vec<Diagnostic> = wanted
        .iter()
        .filter(|(file, name)| {
            let known = if *file == "/etc/passwd" { &users } else { &groups };
            !known.iter().any(|k| k == name)
        })
        .map(|(file, name)| {
            // The `owner` that names it, else the service (its `user`, for its volumes).
            let span = gofile_service
                .and_then(|s| {
                    s.image.files.iter().find_map(|f| {
                        f.owner
                            .as_ref()
                            .filter(|o| match &o.value {
                                Owner::Names { user, group } => user == name || group == name,
                                Owner::Ids { .. } => false,
                            })
                            .map(|o| o.span.clone())
                    })
                })
                .or_else(|| gofile_service.map(|s| s.name.span.clone()))
                .unwrap_or(0..0);
            Diagnostic::new(
                span,
                format!("`{name}` is not in {file} of the base image {reference} ({platform}), so BuildKit would give its files to root"),
            )
            .with_help("name a user and group the base defines, or give numeric ids like `65532:65532`")
        })
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(FrontendError::Source(Diagnostics::new(
            loaded.source.clone(),
            missing,
        ))),
    }
}

/// The result BuildKit exports: one image, or one per platform with the list of platforms.
/// Annotations go in `annotation-manifest[<platform>].<key>` metadata, which BuildKit's image
/// and OCI exporters (v0.11 and later) write on each manifest; the service's own go on the
/// index too.
pub fn result(
    plans: &[Plan],
    mut images: Vec<BuiltImage>,
    options: &BuildOptions,
) -> (SolvedRef, BTreeMap<String, Vec<u8>>) {
    let mut metadata = BTreeMap::new();
    // Options never ask for one image of several platforms (they refuse `multi-platform=false`
    // with several).
    if !options.returns_platform_map()
        && images.len() == 1
        && let Some(image) = images.pop()
    {
        metadata.insert(EXPORTER_IMAGE_CONFIG.to_string(), image.config);
        for (key, value) in image.annotations {
            metadata.insert(format!("annotation.{key}"), value.into_bytes());
        }
        return (image.solved, metadata);
    }
    let mut refs = Vec::with_capacity(images.len());
    let mut listed = Vec::with_capacity(images.len());
    for (plan, image) in plans.iter().zip(images) {
        let id = plan.target_platform.to_string();
        metadata.insert(format!("{EXPORTER_IMAGE_CONFIG}/{id}"), image.config);
        for (key, value) in image.annotations {
            metadata.insert(
                format!("annotation-manifest[{id}].{key}"),
                value.into_bytes(),
            );
        }
        listed.push(serde_json::json!({"ID": id, "Platform": plan.target_platform}));
        refs.push((id, image.solved));
    }
    let service = plans.first().and_then(|plan| match &plan.result {
        ResultPlan::Service(name) => plan.services.iter().find(|s| &s.name == name),
        ResultPlan::AllBinaries { .. } | ResultPlan::Tests { .. } => None,
    });
    for (key, value) in service.iter().flat_map(|s| &s.annotations) {
        metadata.insert(
            format!("annotation-index.{key}"),
            value.clone().into_bytes(),
        );
    }
    metadata.insert(
        EXPORTER_PLATFORMS.to_string(),
        serde_json::json!({ "Platforms": listed })
            .to_string()
            .into_bytes(),
    );
    (SolvedRef::map(refs), metadata)
}
