//! gofrontend: a BuildKit frontend for Go services.
//!
//! The pipeline, one module per stage, data flowing one way:
//! Gofile text -> [`gofile`] (parse, validate) -> [`plan`](mod@plan) (what to build) -> [`lower`] and
//! [`llb`] (BuildKit ops) -> [`gateway`] (talking to BuildKit). [`pipeline`] runs the stages in
//! order for every driver, reading through its `Inputs` trait; the drivers are [`frontend`]
//! (inside BuildKit) and [`cli`] (`gofrontend llb`, `check`). Reading inputs and talking to
//! BuildKit is all the I/O there is: the stages themselves are pure.

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
pub mod pipeline;
pub mod plan;
pub mod platform;
pub mod proto;
pub mod subrequests;
