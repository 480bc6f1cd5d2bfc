//! gofrontend: a BuildKit frontend for Go services.
//!
//! The pipeline, one module per stage, data flowing one way:
//! Gofile text -> [`gofile`] (parse, validate) -> [`plan`] (what to build) -> [`llb`] (BuildKit ops)
//! -> gateway (talking to BuildKit). Everything but the gateway is pure.

pub mod diagnostic;
pub mod gofile;
pub mod image_ref;
