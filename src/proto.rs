//! Rust types generated from `proto/` at build time.

/// BuildKit's LLB (`solver/pb/ops.proto`).
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pb.rs"));
}
