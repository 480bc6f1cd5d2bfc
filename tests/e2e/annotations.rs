//! Annotations on the pushed manifests: the base's name and digest (the OCI image spec's
//! `org.opencontainers.image.base.*` keys) and the Gofile's own, on the containerd-store
//! engine, whose image exporter writes the frontend's `annotation-*` metadata.

use crate::harness::{
    Engines, assert_ok, example_copy, registry_get, replace, run_command, unique, var,
};

#[test]
fn manifests_carry_the_base_and_the_gofiles_annotations() {
    let engines = Engines::from_env();
    let run = unique();
    let context = example_copy("hello", "annotations");
    replace(
        &context.join("Gofile"),
        "package = \".\"\n",
        "package = \".\"\nannotations = { \"com.example.team\" = \"core\" }\n",
    );
    let repository = "gofrontend-e2e/annotations";
    let tag = format!("{}/{repository}:{run}", var("GOFRONTEND_REGISTRY"));
    let out = run_command(engines.buildx_command(
        &engines.docker26cs,
        &context,
        &[
            "--platform",
            "linux/amd64,linux/arm64",
            "--provenance=false",
            "-t",
            &tag,
            "--push",
        ],
    ));
    assert_ok(&out, "a two-platform build pushed with annotations");

    let index = registry_get(&format!("{repository}/manifests/{run}"));
    assert_eq!(index["annotations"]["com.example.team"], "core", "{index}");
    let base_digest = digest_of(&engines.base_image);
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 2, "{index}");
    for entry in manifests {
        let manifest = registry_get(&format!(
            "{repository}/manifests/{}",
            entry["digest"].as_str().unwrap()
        ));
        let annotations = &manifest["annotations"];
        assert_eq!(annotations["com.example.team"], "core", "{manifest}");
        assert_eq!(
            annotations["org.opencontainers.image.base.name"],
            engines.base_image.as_str()
        );
        // The digest the base's reference resolves to: its index, for a base of several
        // platforms, as pulling `name@digest` needs.
        assert_eq!(
            annotations["org.opencontainers.image.base.digest"],
            base_digest.as_str()
        );
    }
}

/// The digest the local registry serves `image` (`localhost:5000/<repository>:<tag>`) under.
fn digest_of(image: &str) -> String {
    let (repository, tag) = image
        .split_once('/')
        .and_then(|(_, rest)| rest.rsplit_once(':'))
        .unwrap_or_else(|| panic!("not a local image: {image}"));
    let mut head = std::process::Command::new("curl");
    head.args([
        "-fsSI",
        "-H",
        "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
    ])
    .arg(format!("http://{}/v2/{repository}/manifests/{tag}", var("GOFRONTEND_REGISTRY")));
    let out = run_command(head);
    assert_ok(&out, "HEAD the base's manifest");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("docker-content-digest")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no digest for {image}"))
}
