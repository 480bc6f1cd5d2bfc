//! Compiles our BuildKit `.proto` files with a pure-Rust compiler (no protoc on the machine).
//! The LLB messages they import (`pb/ops.proto`) belong to the `llb` crate, which generates
//! them: here they are read for their types only and refer to `llb::pb`.

const PROTO_ROOT: &str = "proto";
const LLB_PROTO_ROOT: &str = "crates/llb/proto";
const PROTOS: &[&str] = &[
    "apicaps/caps.proto",
    "fsutil/stat.proto",
    "google/rpc/status.proto",
    "types/worker.proto",
    "gateway/gateway.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed={LLB_PROTO_ROOT}");
    let descriptors = protox::compile(PROTOS, [PROTO_ROOT, LLB_PROTO_ROOT])?;
    tonic_prost_build::configure()
        // Sorted maps make encoding deterministic: same input, same bytes, same cache keys.
        .btree_map(".")
        .extern_path(".pb", "::llb::pb")
        .build_server(false)
        .include_file("protos.rs")
        .compile_fds(descriptors)?;
    Ok(())
}
