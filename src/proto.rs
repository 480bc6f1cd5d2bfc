//! Rust types generated from `proto/` at build time, under BuildKit's package names.

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/protos.rs"));

pub use moby::buildkit::v1::frontend as gateway;
