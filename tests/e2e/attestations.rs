//! `--sbom=true --provenance=mode=max` on a gofrontend build: the frontend scans the image with
//! the SBOM generator (the local stand-in for docker/buildkit-syft-scanner), and BuildKit
//! records the build's frontend, args, secrets and materials; both attestations are pushed
//! beside the image, and no secret's value is in either.

use crate::harness::{
    Engines, assert_ok, example_copy, registry_get, require_quote, run_command, unique, var,
};

#[test]
fn the_sbom_names_every_module_and_the_provenance_no_secret() {
    let engines = Engines::from_env();
    let run = unique();
    let context = example_copy("hello", "provenance");
    require_quote(&context, "example.com/hello", run);
    std::fs::write(
        context.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/quote\"\n)\n\nfunc main() { fmt.Println(quote.Hello()) }\n",
    )
    .unwrap();
    let token = format!("token-{run}");
    let netrc = context.join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login ci password {token}\n"),
    )
    .unwrap();
    std::fs::write(context.join(".dockerignore"), "netrc\n").unwrap();
    let repository = "gofrontend-e2e/provenance";
    let tag = format!("{}/{repository}:{run}", var("GOFRONTEND_REGISTRY"));
    let secret = format!("id=netrc,src={}", netrc.display());
    let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
    let out = run_command(engines.buildx_command(
        &engines.docker26cs,
        &context,
        &[
            "--sbom=true",
            "--provenance=mode=max",
            "--secret",
            &secret,
            "--build-arg",
            &proxy,
            "-t",
            &tag,
            "--push",
        ],
    ));
    assert_ok(
        &out,
        "docker buildx build --sbom=true --provenance=mode=max --push",
    );

    let index = registry_get(&format!("{repository}/manifests/{run}"));
    let attestation = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .unwrap_or_else(|| panic!("no attestation manifest in {index}"));
    let manifest = registry_get(&format!(
        "{repository}/manifests/{}",
        attestation["digest"].as_str().unwrap()
    ));
    let statement = |predicate: &str| {
        let layer = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["annotations"]["in-toto.io/predicate-type"] == predicate)
            .unwrap_or_else(|| panic!("no {predicate} in {manifest}"));
        registry_get(&format!(
            "{repository}/blobs/{}",
            layer["digest"].as_str().unwrap()
        ))
    };
    let sbom = statement("https://spdx.dev/Document");
    let modules: Vec<(&str, &str)> = sbom["predicate"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["name"].as_str()?, p["versionInfo"].as_str()?)))
        .collect();
    assert_eq!(
        modules,
        [
            ("example.com/hello", "(devel)"),
            ("example.com/quote", "v1.1.0")
        ],
        "{sbom}"
    );
    assert!(
        sbom["subject"][0]["name"]
            .as_str()
            .unwrap_or_default()
            .contains(repository),
        "the SBOM is about the image: {}",
        sbom["subject"]
    );
    assert!(!sbom.to_string().contains(&token));
    let provenance = statement("https://slsa.dev/provenance/v0.2");
    let text = provenance.to_string();
    assert!(
        !text.contains(&token),
        "the netrc's password is in the provenance"
    );
    let invocation = &provenance["predicate"]["invocation"]["parameters"];
    assert_eq!(invocation["frontend"], "gateway.v0");
    assert_eq!(invocation["args"]["source"], engines.frontend.as_str());
    let secrets: Vec<&str> = invocation["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(secrets.contains(&"netrc"), "{invocation}");
    let materials = provenance["predicate"]["materials"].to_string();
    assert!(
        materials.contains("gofrontend"),
        "the frontend image is a material: {materials}"
    );
}
