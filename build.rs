//! Compiles our BuildKit `.proto` files with a pure-Rust compiler (no protoc on the machine).

const PROTO_ROOT: &str = "proto";
const PROTOS: &[&str] = &["pb/ops.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(PROTOS, [PROTO_ROOT])?;
    prost_build::Config::new()
        // Sorted maps make encoding deterministic: same input, same bytes, same cache keys.
        .btree_map(["."])
        .type_attribute(".pb", "#[derive(serde::Serialize)]")
        .compile_fds(descriptors)?;
    Ok(())
}
