//! cgo: compiled with the builder's gcc, run on distroless `base` of the builder's Debian
//! release (the frontend reads it from the builder image), and never cross-compiled.

use crate::harness::{Engines, assert_ok, inspect, private_copy, run_image, stderr, unique, var};

#[test]
fn a_cgo_service_runs_on_the_glibc_base_of_the_builder_s_release() {
    let engines = Engines::from_env();
    let context = private_copy(std::path::Path::new("tests/fixtures/cgo"), "cgo");
    std::fs::write(
        context.join("go.mod"),
        format!(
            "module example.com/native\n\ngo 1.24\n// run {}\n",
            unique()
        ),
    )
    .unwrap();
    // The builder stand-in is Debian 13: the frontend must pick base-debian13, which only
    // resolves through this named context (gcr.io is out of reach here).
    let base = format!(
        "gcr.io/distroless/base-debian13:nonroot=docker-image://{}",
        var("GOFRONTEND_DISTROLESS_BASE_IMAGE")
    );
    let tag = "gofrontend-e2e/native:cgo";
    let output = engines.buildx_own_base(&context, &["--build-context", &base, "-t", tag]);
    assert_ok(&output, "building the cgo service");
    let progress = stderr(&output);
    assert!(
        progress.contains("(whole context: . uses cgo)"),
        "a cgo package's step sees the whole context:\n{progress}"
    );
    assert!(
        run_image(&engines, tag).starts_with("cgo: glibc 2."),
        "the binary runs against the base's glibc"
    );
    assert_eq!(inspect(&engines, tag)["Config"]["User"], "65532");

    let cross = engines.buildx_own_base(
        &context,
        &[
            "--build-context",
            &base,
            "--platform",
            "linux/arm64",
            "-t",
            tag,
        ],
    );
    assert!(!cross.status.success());
    assert!(
        stderr(&cross).contains(
            "service `native` uses cgo, which cannot cross-compile from linux/amd64 to linux/arm64"
        ),
        "{}",
        stderr(&cross)
    );
}
