//! gofrontend: a BuildKit frontend for Go services.
//!
//! The pipeline, one module per stage, data flowing one way:
//! Gofile text -> [`gofile`] (parse, validate) -> [`plan`] (what to build) -> [`llb`] (BuildKit ops)
//! -> gateway (talking to BuildKit). Everything but the gateway is pure.

pub mod bake;
pub mod cli;
pub mod diagnostic;
pub mod dockerignore;
pub mod frontend;
pub mod gateway;
pub mod gofile;
pub mod gomod;
pub mod gosource;
pub mod image;
pub mod image_ref;
pub mod init;
pub use llb;
pub mod lower;
pub mod options;
pub mod plan;
pub mod platform;
pub mod proto;
pub mod subrequests;
