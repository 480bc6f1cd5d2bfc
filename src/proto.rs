//! Rust types generated from `proto/` at build time, under BuildKit's package names. The LLB
//! messages (`pb`) are the `llb` crate's.

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/protos.rs"));

pub use llb::pb;
pub use moby::buildkit::v1::frontend as gateway;
