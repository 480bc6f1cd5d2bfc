//! Multi-platform without emulation: one build on the amd64 worker cross-compiles linux/amd64,
//! linux/arm64 and linux/arm/v7, puts each binary on that platform's base from the distroless
//! stand-in's index, and downloads the modules once for all three.

use std::process::Command;

use crate::harness::{
    Engines, assert_ok, example_copy, require_quote, run_command, stderr, stdout, unique, var,
    vertex_lines,
};

const PLATFORMS: &str = "linux/amd64,linux/arm64,linux/arm/v7";

/// What each platform's result must be.
struct Target {
    platform: &'static str,
    /// Its directory in a local export.
    dir: &'static str,
    /// The ELF machine number of its binaries.
    machine: u16,
    /// How to run its binaries here: Debian's qemu-user-static for the arm ones.
    runner: Option<&'static str>,
    goarch: &'static str,
    /// Debian's name for it, in the base's dpkg record.
    debian_arch: &'static str,
}

const TARGETS: [Target; 3] = [
    Target {
        platform: "linux/amd64",
        dir: "linux_amd64",
        machine: 0x3e,
        runner: None,
        goarch: "amd64",
        debian_arch: "amd64",
    },
    Target {
        platform: "linux/arm64",
        dir: "linux_arm64",
        machine: 0xb7,
        runner: Some("qemu-aarch64-static"),
        goarch: "arm64",
        debian_arch: "arm64",
    },
    Target {
        platform: "linux/arm/v7",
        dir: "linux_arm_v7",
        machine: 0x28,
        runner: Some("qemu-arm-static"),
        goarch: "arm",
        debian_arch: "armhf",
    },
];

/// A copy of the hello example that needs a module from the proxy and prints its GOARCH.
fn context_with_a_dependency(test: &str) -> std::path::PathBuf {
    let context = example_copy("hello", test);
    require_quote(&context, "example.com/hello", unique());
    std::fs::write(
        context.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n\n\t\"example.com/quote\"\n)\n\n\
         func main() {\n\tfmt.Println(quote.Hello(), \"on\", runtime.GOARCH)\n}\n",
    )
    .unwrap();
    context
}

/// Build args giving the download a module cache of its own, so it really fetches.
fn fresh_download_args(run: u128) -> Vec<String> {
    vec![
        "--build-arg".into(),
        format!("GOPROXY={}", var("GOFRONTEND_GOPROXY")),
        "--build-arg".into(),
        format!("BUILDKIT_CACHE_MOUNT_NS=platforms-{run}"),
        "--build-arg".into(),
        format!("GONOSUMDB=run-{run}.invalid"),
    ]
}

#[test]
fn one_build_cross_compiles_every_platform_and_downloads_once() {
    let engines = Engines::from_env();
    let context = context_with_a_dependency("platforms-local");
    let out = context.join("out");
    let dest = format!("type=local,dest={}", out.display());
    let mut args: Vec<String> = vec!["--platform".into(), PLATFORMS.into()];
    args.extend(["--output".into(), dest]);
    args.extend(fresh_download_args(unique()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // buildx refuses several platforms on the docker driver without the containerd store.
    let output = run_command(engines.buildx_command(&engines.docker26cs, &context, &args));
    assert_ok(&output, "a three-platform build");
    let progress = stderr(&output);

    let downloads: std::collections::BTreeSet<&str> = vertex_lines(&progress, "go mod download")
        .into_iter()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        downloads.len(),
        1,
        "one download step for all platforms:\n{progress}"
    );
    // `go mod download -x` logs each fetch in the step's output (the proxy's own log also
    // holds other tests' fetches).
    assert_eq!(
        progress
            .matches("/example.com/quote/@v/v1.1.0.zip: 200 OK")
            .count(),
        1,
        "the module is fetched once:\n{progress}"
    );

    for Target {
        platform,
        dir,
        machine,
        runner,
        goarch,
        debian_arch,
    } in TARGETS
    {
        assert!(
            progress.contains(&format!("[{platform} hello] go build .")),
            "a compile named for {platform}:\n{progress}"
        );
        let root = out.join(dir);
        let binary = root.join("usr/local/bin/hello");
        let elf =
            std::fs::read(&binary).unwrap_or_else(|err| panic!("{}: {err}", binary.display()));
        assert_eq!(&elf[..4], b"\x7fELF", "{platform}");
        assert_eq!(
            u16::from_le_bytes([elf[18], elf[19]]),
            machine,
            "{platform}: the binary's ELF machine"
        );
        let run = match runner {
            Some(qemu) => {
                let mut command = Command::new(qemu);
                command.arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        let ran = run_command(run);
        assert_ok(&ran, &format!("running the {platform} binary"));
        assert_eq!(
            stdout(&ran),
            format!("Hello, world! (quote v1.1.0) on {goarch}\n")
        );
        let base_record =
            std::fs::read_to_string(root.join("var/lib/dpkg/status.d/base-files")).unwrap();
        assert!(
            base_record.contains(&format!("Architecture: {debian_arch}\n")),
            "{platform} is on its own platform's base: {base_record}"
        );
    }
}

/// A registry object (`manifests/<ref>` or `blobs/<digest>`) of `repository`, as JSON.
fn registry_json(repository: &str, object: &str) -> serde_json::Value {
    let url = format!(
        "http://{}/v2/{repository}/{object}",
        var("GOFRONTEND_REGISTRY")
    );
    let output = Command::new("curl")
        .args(["-fsS", "-H"])
        .arg(
            "Accept: application/vnd.oci.image.index.v1+json, \
             application/vnd.docker.distribution.manifest.list.v2+json, \
             application/vnd.oci.image.manifest.v1+json, \
             application/vnd.docker.distribution.manifest.v2+json",
        )
        .arg(&url)
        .output()
        .expect("curl runs");
    assert_ok(&output, &format!("GET {url}"));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{url}: {err}"))
}

#[test]
fn a_multi_platform_image_has_each_platform_s_config() {
    let engines = Engines::from_env();
    let context = context_with_a_dependency("platforms-image");
    let repository = "gofrontend-e2e/platforms";
    let tag = format!("run-{}", unique());
    let output = format!(
        "type=image,name={}/{repository}:{tag},push=true",
        var("GOFRONTEND_REGISTRY")
    );
    let mut args: Vec<String> = vec![
        "--platform".into(),
        PLATFORMS.into(),
        "--provenance=false".into(),
        "--output".into(),
        output,
    ];
    args.extend(fresh_download_args(unique()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The image exporter needs the containerd image store for several platforms.
    let built = run_command(engines.buildx_command(&engines.docker26cs, &context, &args));
    assert_ok(&built, "pushing a three-platform image");

    let index = registry_json(repository, &format!("manifests/{tag}"));
    let manifests = index["manifests"].as_array().expect("an index");
    let platforms: Vec<String> = manifests
        .iter()
        .map(|m| {
            let p = &m["platform"];
            match p["variant"].as_str() {
                Some(variant) => format!(
                    "{}/{}/{variant}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ),
                None => format!(
                    "{}/{}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ),
            }
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    for (
        manifest,
        Target {
            platform, goarch, ..
        },
    ) in manifests.iter().zip(TARGETS)
    {
        let digest = manifest["digest"].as_str().unwrap();
        let image = registry_json(repository, &format!("manifests/{digest}"));
        let config_digest = image["config"]["digest"].as_str().unwrap();
        let config = registry_json(repository, &format!("blobs/{config_digest}"));
        assert_eq!(config["architecture"], goarch, "{platform}");
        assert_eq!(config["os"], "linux");
        assert_eq!(
            config["variant"].as_str(),
            platform.strip_prefix("linux/arm/"),
            "{platform}"
        );
        assert_eq!(config["config"]["User"], "65532", "{platform}");
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/usr/local/bin/hello"]),
            "{platform}"
        );
        assert_eq!(
            image["layers"].as_array().map(Vec::len),
            Some(2),
            "{platform}: the base's layer and the binary's"
        );
    }
}
