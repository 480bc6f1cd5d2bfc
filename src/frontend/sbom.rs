//! `--sbom`: each platform's image scanned by the SBOM generator image, as BuildKit's scanner
//! protocol runs it, and returned as the result's SBOM attestation. BuildKit would run the
//! scanner itself for a frontend that returns none, on the worker's default network; the
//! frontend runs it with no network, and BuildKit then leaves the result as it is.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use super::error::{FrontendError, gateway};
use super::inputs::GatewayInputs;
use crate::llb::Definition;
use crate::lower::{self, SbomGenerator};
use crate::pipeline::{Inputs, Phases};
use crate::plan::Plan;
use crate::proto::gateway as pb;

const SPDX_PREDICATE: &str = "https://spdx.dev/Document";

/// One SBOM attestation per platform, keyed as the exporters look them up. Only BuildKit
/// v0.11 and later send `attest:sbom`, and all of them take attestations in a result.
pub async fn scan(
    inputs: &GatewayInputs<'_>,
    plans: &[Plan],
    generator: &str,
    phases: &Phases,
) -> Result<BTreeMap<String, pb::Attestations>, FrontendError> {
    let build_platform = inputs.build_platform();
    let config = phases
        .time(
            "sbom-generator",
            inputs.image_config(generator, &build_platform),
        )
        .await
        .map_err(gateway(format!("resolving the SBOM generator {generator}")))?;
    let generator = generator_from_config(generator, &config)?;
    let scans = plans.iter().map(|plan| {
        let image_fs = lower::lower_image(plan, &inputs.context_local);
        let scanned = lower::sbom_scan(
            &generator,
            &build_platform,
            &plan.target_platform,
            &image_fs,
        );
        async move {
            let solved = inputs
                .client
                .solve(Definition::marshal(&scanned).0)
                .await
                .map_err(gateway(format!(
                    "generating the SBOM of {}",
                    plan.target_platform
                )))?;
            Ok::<_, FrontendError>((
                plan.target_platform.to_string(),
                attestation(solved.into_ref()),
            ))
        }
    });
    let scanned = phases.time("sbom", try_join_all(scans)).await?;
    Ok(scanned
        .into_iter()
        .map(|(platform, attestation)| {
            (
                platform,
                pb::Attestations {
                    attestation: vec![attestation],
                },
            )
        })
        .collect())
}

/// The scan's output directory, each file in it one in-toto statement, marked as the
/// image's own SBOM as BuildKit marks the ones it makes.
fn attestation(scanned: pb::Ref) -> pb::Attestation {
    pb::Attestation {
        kind: pb::AttestationKind::Bundle as i32,
        metadata: [
            ("reason".to_string(), b"sbom".to_vec()),
            ("sbom-core".to_string(), b"sbom".to_vec()),
        ]
        .into_iter()
        .collect(),
        r#ref: Some(scanned),
        path: String::new(),
        in_toto_predicate_type: SPDX_PREDICATE.to_string(),
        in_toto_subjects: Vec::new(),
    }
}

/// How the generator's image config says to run it: entrypoint and command, environment and
/// working directory.
fn generator_from_config(image: &str, config: &[u8]) -> Result<SbomGenerator, FrontendError> {
    let unreadable = |why: &str| FrontendError::Input(format!("the SBOM generator {image} {why}"));
    let config: serde_json::Value =
        serde_json::from_slice(config).map_err(|_| unreadable("has an unreadable config"))?;
    let strings = |key: &str| -> Vec<String> {
        config["config"][key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let args: Vec<String> = strings("Entrypoint")
        .into_iter()
        .chain(strings("Cmd"))
        .collect();
    if args.is_empty() {
        return Err(unreadable("has no entrypoint or command to run"));
    }
    let cwd = config["config"]["WorkingDir"]
        .as_str()
        .filter(|dir| !dir.is_empty())
        .unwrap_or("/")
        .to_string();
    Ok(SbomGenerator {
        image: image.to_string(),
        args,
        env: strings("Env"),
        cwd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_runs_as_its_config_says() {
        let config = br#"{"config":{"Entrypoint":["/scanner"],"Cmd":["--quiet"],"Env":["A=1"],"WorkingDir":""}}"#;
        let generator = generator_from_config("scan:1", config).unwrap();
        assert_eq!(generator.args, ["/scanner", "--quiet"]);
        assert_eq!(generator.env, ["A=1"]);
        assert_eq!(generator.cwd, "/");
        assert!(generator_from_config("scan:1", br#"{"config":{}}"#).is_err());
    }
}
