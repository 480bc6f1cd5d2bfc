//! SOURCE_DATE_EPOCH: two builds of the same sources from empty caches push the same image
//! manifest (the containerd-store engine pushes; provenance attestations, which carry the
//! build's own times, are turned off).

use std::process::Command;

use crate::harness::{Engines, assert_ok, example_copy, run_command, unique, var};

/// The registry's digest for `repository:tag`.
fn manifest_digest(repository: &str, tag: &str) -> String {
    let url = format!(
        "http://{}/v2/{repository}/manifests/{tag}",
        var("GOFRONTEND_REGISTRY")
    );
    let output = Command::new("curl")
        .args(["-fsSI", "-H"])
        .arg("Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json")
        .arg(&url)
        .output()
        .expect("curl runs");
    assert_ok(&output, &format!("HEAD {url}"));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("docker-content-digest")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no digest for {url}"))
}

#[test]
fn source_date_epoch_gives_the_same_manifest_from_empty_caches() {
    let engines = Engines::from_env();
    let context = example_copy("hello", "reproducible");
    let nonce = unique();
    let repository = "gofrontend-e2e/reproducible";
    let build = |run: &str| {
        let tag = format!("{run}-{nonce}");
        let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=reproducible-{run}-{nonce}");
        let output = format!(
            "type=image,name={}/{repository}:{tag},push=true",
            var("GOFRONTEND_REGISTRY")
        );
        let built = run_command(engines.buildx_command(
            &engines.docker26cs,
            &context,
            &[
                "--no-cache",
                "--provenance=false",
                "--build-arg",
                "SOURCE_DATE_EPOCH=1700000000",
                "--build-arg",
                &namespace,
                "--output",
                &output,
            ],
        ));
        assert_ok(&built, &format!("build {run}"));
        manifest_digest(repository, &tag)
    };
    assert_eq!(build("first"), build("second"));
}
