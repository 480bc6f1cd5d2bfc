//! The plan's data: what BuildKit will run, step by step, serializable so tests can pin it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::StepFiles;
use crate::diagnostic::Diagnostics;
use crate::llb::{NetworkMode, ResolveMode};
use crate::options::{Engine, OptionError};
use crate::platform::Platform;

pub const DEFAULT_STATIC_BASE: &str = "gcr.io/distroless/static-debian12:nonroot";
/// Where binaries land in the final image.
pub const BINARY_DIR: &str = "/usr/local/bin";

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Gofile(Diagnostics),
    #[error(transparent)]
    Option(#[from] OptionError),
    /// A mistake in the build context outside the Gofile, such as `.dockerignore`.
    #[error("{0}")]
    Input(String),
}

/// The build target that runs the tests (`[test]`) instead of building a service.
pub const TEST_TARGET: &str = "test";

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub builder_image: String,
    /// Where the builder runs; it cross-compiles for `target_platform`.
    pub build_platform: Platform,
    pub target_platform: Platform,
    /// Whether the build makes images for several platforms: step names then say which.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub several_platforms: bool,
    /// Whether precompile steps output their GOCACHE entries as layers for the steps after
    /// them, instead of a marker.
    pub cache_layers: bool,
    /// What the engine's LLB can express: with a merge op the binaries' layer goes on the
    /// files' layer so each stays the same when only the other changes (else it is copied onto
    /// it); with copies by pattern a step's files are selected a package directory at a time
    /// (else a file at a time).
    pub engine: Engine,
    pub image_resolve_mode: ResolveMode,
    pub context: ContextPlan,
    /// `None` when building from `vendor/`.
    pub download: Option<DownloadStep>,
    /// Steps filling GOCACHE before the services compile, each after the one it names.
    pub precompile: Vec<PrecompileStep>,
    pub services: Vec<ServicePlan>,
    /// The test target's steps, one per package; empty for a build of services.
    pub tests: Vec<TestStep>,
    pub result: ResultPlan,
    pub source_date_epoch: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContextPlan {
    /// The module directory inside the context (`.` for the root).
    pub module_dir: String,
    /// `.dockerignore` patterns.
    pub excludes: Vec<String>,
}

/// One process run in the builder image.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// The progress name users see.
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub network: NetworkMode,
    pub ignore_cache: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadStep {
    pub command: Command,
    /// The only context files the step sees.
    pub inputs: Vec<String>,
    pub module_cache_id: String,
    /// The GOCACHE mount of the standard library compile the step runs while the modules
    /// download, when it runs one (a lone service's: [`crate::plan::steps::download_compiling`]).
    pub build_cache_id: Option<String>,
}

/// Compiles packages into GOCACHE before the services that import them compile: the standard
/// library packages a group of services imports (needing neither sources nor modules, so it
/// runs while the modules download), and what two or more services of a group share.
#[derive(Debug, Clone, Serialize)]
pub struct PrecompileStep {
    /// `stdlib`, `shared`, with a group number when there are several groups; the command's
    /// name also names the platform when the build makes several.
    pub label: String,
    pub command: Command,
    /// The context files it sees; `None` for the standard library, which needs none and does
    /// not wait for the module download.
    pub files: Option<StepFiles>,
    /// The precompile step this one waits for.
    pub after: Option<usize>,
    pub build_cache_id: String,
}

/// One package's `go test`, writing its report to [`TEST_REPORT_DIR`].
#[derive(Debug, Clone, Serialize)]
pub struct TestStep {
    /// The package's import path.
    pub package: String,
    /// What its progress lines start with: `test ./internal/store`.
    pub label: String,
    pub command: Command,
    pub files: StepFiles,
    /// The precompile step it waits for.
    pub after: Option<usize>,
    pub build_cache_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub name: String,
    pub binary: String,
    pub build: Command,
    pub files: StepFiles,
    /// The precompile step this service waits for.
    pub after: Option<usize>,
    pub build_cache_id: String,
    pub base: Base,
    pub image: ImageConfigPlan,
    /// OCI annotations for its image's manifest.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// What of the build context goes in its image, beneath the binaries (`files`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_files: Vec<FileCopy>,
    /// The services whose binaries its own image holds besides its own (`include_binaries`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include_binaries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Base {
    Scratch,
    Image(String),
}

/// The image config the service adds on top of its base image's config.
#[derive(Debug, Clone, Serialize)]
pub struct ImageConfigPlan {
    pub entrypoint: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub exposed_ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthcheckConfig>,
}

/// The image config's `Healthcheck`, as Docker reads it; unset times take Docker's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthcheckConfig {
    /// The command in exec form, its program the binary's path.
    pub command: Vec<String>,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub start_period_ns: Option<i64>,
    pub retries: Option<u32>,
}

/// What the build returns.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultPlan {
    /// The service's own image: its base plus its binary, with its image config.
    Service(String),
    /// No target and several services: every binary on one base, no entrypoint.
    AllBinaries { base: Base },
    /// The test target: the tests' reports, gathered by one step from every test step's.
    Tests { gather: Command },
}

/// What a step's name says it is for: `api`, or `linux/arm64 api` when the build makes images
/// for several platforms (their steps would otherwise read the same).
pub fn step_label(platform: Option<&Platform>, name: &str) -> String {
    match platform {
        Some(platform) => format!("{platform} {name}"),
        None => name.to_string(),
    }
}

impl Plan {
    pub fn step_label(&self, name: &str) -> String {
        step_label(self.named_platform(), name)
    }

    /// The platform step names carry, when there are several.
    pub fn named_platform(&self) -> Option<&Platform> {
        self.several_platforms.then_some(&self.target_platform)
    }
}

pub fn binary_path(binary: &str) -> String {
    format!("{BINARY_DIR}/{binary}")
}

/// What the context holds at a `files` source, as read before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextEntry {
    /// Not in the context, or left out by `.dockerignore`.
    Missing,
    File {
        executable: bool,
    },
    /// Its files and directories, relative to it, parents before children.
    Dir(Vec<(String, ContextEntryKind)>),
    /// A symbolic link, or something that is neither a file nor a directory.
    Unsupported {
        path: String,
        what: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextEntryKind {
    Dir,
    File { executable: bool },
}

/// One file or directory an image gets from the context, with every mode and owner set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCopy {
    /// Context-relative, `None` for a directory made in the image.
    pub source: Option<String>,
    pub dest: String,
    pub mode: u32,
    pub owner: crate::llb::Owner,
}
