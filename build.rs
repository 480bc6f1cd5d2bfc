//! Compiles our BuildKit `.proto` files with a pure-Rust compiler (no protoc on the machine).

const PROTO_ROOT: &str = "proto";
const PROTOS: &[&str] = &[
    "pb/ops.proto",
    "apicaps/caps.proto",
    "fsutil/stat.proto",
    "google/rpc/status.proto",
    "types/worker.proto",
    "gateway/gateway.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(PROTOS, [PROTO_ROOT])?;
    tonic_prost_build::configure()
        // Sorted maps make encoding deterministic: same input, same bytes, same cache keys.
        .btree_map(".")
        .type_attribute(".pb", "#[derive(serde::Serialize)]")
        // Files written by the definition (the step scripts) read as text in `llb --json`.
        .field_attribute(
            ".pb.FileActionMkFile.data",
            "#[serde(serialize_with = \"crate::llb::serialize_as_text\")]",
        )
        .build_server(false)
        .include_file("protos.rs")
        .compile_fds(descriptors)?;
    Ok(())
}
