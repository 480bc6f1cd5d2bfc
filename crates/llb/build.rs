//! Compiles the LLB messages (`proto/pb/ops.proto`) with a pure-Rust compiler (no protoc on
//! the machine). Crates that speak protocols carrying LLB (the gateway) import this file and
//! map `.pb` to this crate's `pb` module instead of generating the messages again.

const PROTO_ROOT: &str = "proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(["pb/ops.proto"], [PROTO_ROOT])?;
    prost_build::Config::new()
        // Sorted maps make encoding deterministic: same input, same bytes, same cache keys.
        .btree_map(["."])
        .type_attribute(".pb", "#[derive(serde::Serialize)]")
        // Files written by the definition (the step scripts) read as text in a dump.
        .field_attribute(
            ".pb.FileActionMkFile.data",
            "#[serde(serialize_with = \"crate::serialize_as_text\")]",
        )
        .compile_fds(descriptors)?;
    Ok(())
}
