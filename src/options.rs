//! Build options, as BuildKit hands them to a frontend (`key=value` pairs, the same keys the
//! Dockerfile frontend reads). The CLI turns its flags into the same pairs, so both paths share
//! one parser. Every key has a constant and a small parse function whose errors name the key.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::gateway::CacheImport;
use crate::llb::{NetworkMode, ResolveMode};
use crate::platform::Platform;

pub const KEY_TARGET: &str = "target";
/// A subrequest instead of a build (`--print=targets`): `frontend.targets`, ...
pub const KEY_REQUEST_ID: &str = "requestid";
pub const KEY_PLATFORM: &str = "platform";
/// Whether to return one image per platform (an index) even for one platform.
pub const KEY_MULTI_PLATFORM: &str = "multi-platform";
pub const KEY_NETWORK: &str = "force-network-mode";
pub const KEY_NO_CACHE: &str = "no-cache";
pub const KEY_IMAGE_RESOLVE_MODE: &str = "image-resolve-mode";
/// `--sbom`: scan each image with an SBOM generator image (`generator=<image>`).
pub const KEY_ATTEST_SBOM: &str = "attest:sbom";
/// The generator `--sbom=true` runs, as BuildKit's own default.
pub const DEFAULT_SBOM_GENERATOR: &str = "docker.io/docker/buildkit-syft-scanner:stable-1";
/// Caches to import (`--cache-from`), as JSON `[{"Type":"registry","Attrs":{"ref":...}}]`.
pub const KEY_CACHE_IMPORTS: &str = "cache-imports";
/// Older clients' form of the same: comma-separated registry references.
pub const KEY_CACHE_FROM: &str = "cache-from";
pub const PREFIX_BUILD_ARG: &str = "build-arg:";
pub const PREFIX_LABEL: &str = "label:";
pub const KEY_FILENAME: &str = "filename";
pub const KEY_GOFILE_LOCAL: &str = "dockerfilekey";
pub const KEY_CONTEXT_LOCAL: &str = "contextkey";
/// The frontend's own image, as the client named it (`# syntax=`, `BUILDKIT_SYNTAX`).
pub const KEY_FRONTEND_SOURCE: &str = "source";
pub const PREFIX_LOCAL_SESSION: &str = "local-sessionid:";
pub const PREFIX_NAMED_CONTEXT: &str = "context:";
/// The named contexts gofrontend reads: the builder image and the base image.
pub const CONTEXT_BUILDER: &str = "golang";
pub const CONTEXT_BASE: &str = "base";

/// Build args with a meaning to gofrontend itself.
pub const ARG_BUILDER_IMAGE: &str = "GOFRONTEND_BUILDER_IMAGE";
pub const ARG_BASE_IMAGE: &str = "GOFRONTEND_BASE_IMAGE";
pub const ARG_CACHE_MOUNT_NS: &str = "BUILDKIT_CACHE_MOUNT_NS";
pub const ARG_SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// `false` keeps GOCACHE out of layers (see `CACHE_SEED_DIR`), for builds that export no cache.
pub const ARG_CACHE_LAYERS: &str = "GOFRONTEND_CACHE_LAYERS";
/// `report` makes the test target record failing tests in its reports and succeed, so CI can
/// export every report and then fail on `summary.txt`; `fail` (the default) fails the build.
pub const ARG_TEST_FAILURES: &str = "GOFRONTEND_TEST_FAILURES";
/// `KEY_MULTI_PLATFORM` as a build arg, for clients that cannot send frontend options.
pub const ARG_MULTI_PLATFORM: &str = "BUILDKIT_MULTI_PLATFORM";
/// Flags for every go command: the download's and the compiles' (they change compilation).
pub const ARG_GOFLAGS: &str = "GOFLAGS";
/// The version and VCS revision being built, for the images' labels.
pub const ARG_VERSION: &str = "VERSION";
pub const ARG_REVISION: &str = "REVISION";

/// Go's module-fetching settings: passed as build args, they reach only the module download,
/// so changing a proxy never invalidates compiled services.
pub const MODULE_FETCH_ARGS: &[&str] = &[
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOINSECURE",
    "GOVCS",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("option `{key}`: {message}")]
pub struct OptionError {
    pub key: String,
    pub message: String,
}

/// Which steps must run even when BuildKit has them cached.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub enum NoCache {
    #[default]
    Off,
    All,
    Services(Vec<String>),
}

impl NoCache {
    /// Whether the steps every service shares (the download, the shared packages) run again.
    pub fn covers_shared_steps(&self) -> bool {
        *self == Self::All
    }

    pub fn covers_service(&self, name: &str) -> bool {
        match self {
            Self::Off => false,
            Self::All => true,
            Self::Services(names) => names.iter().any(|n| n == name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    pub target: Option<String>,
    /// The target platforms, in the order given, each once; empty means the worker's.
    pub platforms: Vec<Platform>,
    /// `multi-platform` as given; without it, several platforms mean a multi-platform result.
    pub multi_platform: Option<bool>,
    pub network: NetworkMode,
    pub no_cache: NoCache,
    pub image_resolve_mode: ResolveMode,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Images given with `--build-context golang=docker-image://...` (or `base=`), or in
    /// place of an image the build uses, keyed by its normalized reference
    /// (`--build-context gcr.io/distroless/static-debian12:nonroot=docker-image://...`).
    pub image_contexts: BTreeMap<String, String>,
    /// Each key of `image_contexts` as the client named it (`golang:1.24` for
    /// `docker.io/library/golang:1.24`), for errors.
    pub image_context_names: BTreeMap<String, String>,
    /// A subrequest to answer instead of building.
    pub request: Option<String>,
    /// Caches every solve imports: a frontend's solves import only what it passes on.
    pub cache_imports: Vec<CacheImport>,
    /// The build args with a meaning to gofrontend, read once; an empty value is unset.
    /// `GOFRONTEND_BUILDER_IMAGE` and `GOFRONTEND_BASE_IMAGE` (`scratch` stays as is),
    /// normalized.
    pub builder_image_arg: Option<String>,
    pub base_image_arg: Option<String>,
    /// `BUILDKIT_CACHE_MOUNT_NS`: a prefix for every cache mount id.
    pub cache_namespace: Option<String>,
    /// Whether compiled packages travel in layers (on unless `GOFRONTEND_CACHE_LAYERS=false`).
    pub cache_layers: bool,
    /// `SOURCE_DATE_EPOCH`, which pins timestamps for reproducible images.
    pub source_date_epoch: Option<i64>,
    /// `GOFLAGS`, for every go command.
    pub goflags: Option<String>,
    /// `VERSION` and `REVISION`, for the images' labels.
    pub version: Option<String>,
    pub revision: Option<String>,
    /// The [`MODULE_FETCH_ARGS`] given (empty values too: `GOPROXY=` is a setting).
    pub module_fetch_env: Vec<(String, String)>,
    /// The SBOM generator image to scan each image with (`--sbom`), normalized.
    pub sbom_generator: Option<String>,
    /// `GOFRONTEND_TEST_FAILURES=report`: failing tests are recorded, not a failed build.
    pub report_test_failures: bool,
    /// What the engine's LLB can express. Not a user option: the frontend asks the engine;
    /// the command line assumes a current one.
    pub engine: Engine,
}

/// The LLB features gofrontend uses where the engine has them, with a fallback elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Engine {
    /// Merge ops (BuildKit 0.10+ with a snapshotter that merges; not Docker's classic store).
    pub merge_op: bool,
    /// Copies that select a directory's entries by pattern (not BuildKit v0.8).
    pub copy_patterns: bool,
    /// Read-only mounts keyed on the op behind them, not on a checksum of their content
    /// (BuildKit 0.13+).
    pub op_keyed_mounts: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            merge_op: true,
            copy_patterns: true,
            op_keyed_mounts: true,
        }
    }
}

impl Engine {
    /// From the LLB caps the engine's Ping reports enabled.
    pub fn from_llb_caps(has: impl Fn(&str) -> bool) -> Self {
        Self {
            merge_op: has(crate::llb::CAP_MERGE_OP),
            copy_patterns: has(crate::llb::CAP_COPY_PATTERNS),
            op_keyed_mounts: has(crate::llb::CAP_MOUNT_CONTENT_CACHE),
        }
    }
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            target: None,
            platforms: Vec::new(),
            multi_platform: None,
            network: NetworkMode::default(),
            no_cache: NoCache::default(),
            image_resolve_mode: ResolveMode::default(),
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            image_contexts: BTreeMap::new(),
            image_context_names: BTreeMap::new(),
            request: None,
            cache_imports: Vec::new(),
            builder_image_arg: None,
            base_image_arg: None,
            cache_namespace: None,
            cache_layers: true,
            source_date_epoch: None,
            goflags: None,
            version: None,
            revision: None,
            module_fetch_env: Vec::new(),
            sbom_generator: None,
            report_test_failures: false,
            engine: Engine::default(),
        }
    }
}

impl BuildOptions {
    /// Reads options from `key=value` pairs. Keys that are not build options (session ids,
    /// exporter settings, ...) are left to whoever needs them.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, OptionError> {
        let mut options = Self::default();
        for (key, value) in pairs {
            if let Some(name) = key.strip_prefix(PREFIX_BUILD_ARG) {
                options
                    .build_args
                    .insert(name.to_string(), value.to_string());
            } else if let Some(name) = key.strip_prefix(PREFIX_LABEL) {
                options.labels.insert(name.to_string(), value.to_string());
            } else if let Some(name) = key.strip_prefix(PREFIX_NAMED_CONTEXT) {
                let (reference, image) = parse_image_context(name, value).map_err(error(key))?;
                options
                    .image_context_names
                    .insert(reference.clone(), name.to_string());
                options.image_contexts.insert(reference, image);
            } else {
                match key {
                    KEY_TARGET => options.target = non_empty(value),
                    KEY_REQUEST_ID => options.request = non_empty(value),
                    KEY_PLATFORM => {
                        options.platforms = parse_platforms(value).map_err(error(key))?
                    }
                    KEY_CACHE_IMPORTS => options
                        .cache_imports
                        .extend(parse_cache_imports(value).map_err(error(key))?),
                    KEY_CACHE_FROM => options.cache_imports.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|r| !r.is_empty())
                            .map(|reference| CacheImport {
                                kind: "registry".to_string(),
                                attrs: BTreeMap::from([("ref".to_string(), reference.to_string())]),
                            }),
                    ),
                    KEY_MULTI_PLATFORM => {
                        options.multi_platform = parse_bool(value).map_err(error(key))?
                    }
                    KEY_NETWORK => options.network = parse_network(value).map_err(error(key))?,
                    KEY_NO_CACHE => options.no_cache = parse_no_cache(value),
                    KEY_ATTEST_SBOM => {
                        options.sbom_generator = parse_sbom(value).map_err(error(key))?
                    }
                    KEY_IMAGE_RESOLVE_MODE => {
                        options.image_resolve_mode =
                            parse_resolve_mode(value).map_err(error(key))?
                    }
                    _ => {}
                }
            }
        }
        options.read_build_args()?;
        if options.multi_platform == Some(false) && options.platforms.len() > 1 {
            return Err(OptionError {
                key: KEY_MULTI_PLATFORM.to_string(),
                message: format!(
                    "`false` asks for one image, but `{KEY_PLATFORM}` names {} platforms; drop one of them",
                    options.platforms.len()
                ),
            });
        }
        Ok(options)
    }

    /// The build args with a meaning, into their fields.
    fn read_build_args(&mut self) -> Result<(), OptionError> {
        let arg = |name: &str| self.build_args.get(name).filter(|v| !v.is_empty()).cloned();
        let key = |name: &str| format!("{PREFIX_BUILD_ARG}{name}");
        // The Dockerfile frontend lets the build arg win over the option.
        if let Some(value) = arg(ARG_MULTI_PLATFORM) {
            self.multi_platform = parse_bool(&value).map_err(error(&key(ARG_MULTI_PLATFORM)))?;
        }
        let image = |name: &str, scratch_allowed: bool| {
            arg(name)
                .map(|image| match image.as_str() {
                    "scratch" if scratch_allowed => Ok(image),
                    _ => crate::image_ref::normalize(&image),
                })
                .transpose()
                .map_err(error(&key(name)))
        };
        self.builder_image_arg = image(ARG_BUILDER_IMAGE, false)?;
        self.base_image_arg = image(ARG_BASE_IMAGE, true)?;
        self.cache_namespace = arg(ARG_CACHE_MOUNT_NS);
        self.cache_layers = parse_bool(&arg(ARG_CACHE_LAYERS).unwrap_or_default())
            .map_err(error(&key(ARG_CACHE_LAYERS)))?
            .unwrap_or(true);
        self.report_test_failures = match arg(ARG_TEST_FAILURES).as_deref() {
            None | Some("fail") => false,
            Some("report") => true,
            Some(other) => {
                return Err(OptionError {
                    key: key(ARG_TEST_FAILURES),
                    message: format!(
                        "`{other}` is not `fail` (failing tests fail the build) or `report` (they are recorded in the reports)"
                    ),
                });
            }
        };
        self.source_date_epoch = arg(ARG_SOURCE_DATE_EPOCH)
            .map(|value| {
                value.parse::<i64>().map_err(|_| OptionError {
                    key: key(ARG_SOURCE_DATE_EPOCH),
                    message: format!("`{value}` is not a number of seconds since 1970"),
                })
            })
            .transpose()?;
        self.goflags = arg(ARG_GOFLAGS);
        self.version = arg(ARG_VERSION);
        self.revision = arg(ARG_REVISION);
        self.module_fetch_env = MODULE_FETCH_ARGS
            .iter()
            .filter_map(|name| Some((name.to_string(), self.build_args.get(*name)?.clone())))
            .collect();
        Ok(())
    }

    /// The platforms to build for: those asked for, or the worker's own.
    pub fn target_platforms(&self, build_platform: &Platform) -> Vec<Platform> {
        if self.platforms.is_empty() {
            vec![build_platform.clone()]
        } else {
            self.platforms.clone()
        }
    }

    /// Whether the result is a multi-platform image (one image per platform), not one image.
    pub fn returns_platform_map(&self) -> bool {
        self.multi_platform.unwrap_or(self.platforms.len() > 1)
    }
}

/// Where the frontend reads its inputs from: the locals the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLocals {
    /// The Gofile's name inside the `gofile_local` directory.
    pub filename: String,
    pub gofile_local: String,
    pub context_local: String,
    /// Session ids per local name (bake sends one per target).
    pub local_sessions: BTreeMap<String, String>,
    /// The image this frontend runs from, normalized, when BuildKit names it.
    pub frontend_image: Option<String>,
}

impl InputLocals {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut options = Self {
            filename: "Gofile".to_string(),
            gofile_local: "dockerfile".to_string(),
            context_local: "context".to_string(),
            local_sessions: BTreeMap::new(),
            frontend_image: None,
        };
        for (key, value) in pairs {
            if let Some(name) = key.strip_prefix(PREFIX_LOCAL_SESSION) {
                options
                    .local_sessions
                    .insert(name.to_string(), value.to_string());
                continue;
            }
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                KEY_FILENAME => options.filename = value.to_string(),
                KEY_GOFILE_LOCAL => options.gofile_local = value.to_string(),
                KEY_CONTEXT_LOCAL => options.context_local = value.to_string(),
                // Not a reference (`gateway.v0` run by name): nothing to run steps from.
                KEY_FRONTEND_SOURCE => {
                    options.frontend_image = crate::image_ref::normalize(value).ok()
                }
                _ => {}
            }
        }
        options
    }
}

/// `attest:sbom`'s comma-separated parameters: `generator=<image>` picks the scanner,
/// `disabled=true` asks for none; others are the scanner's own and pass it by.
fn parse_sbom(value: &str) -> Result<Option<String>, String> {
    let mut generator = DEFAULT_SBOM_GENERATOR.to_string();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("generator", image)) => {
                generator = crate::image_ref::normalize(image.trim())
                    .map_err(|err| format!("the SBOM generator: {err}"))?;
            }
            Some(("disabled", flag)) if flag.trim() == "true" => return Ok(None),
            _ => {}
        }
    }
    Ok(Some(generator))
}

fn error(key: &str) -> impl Fn(String) -> OptionError + '_ {
    move |message| OptionError {
        key: key.to_string(),
        message,
    }
}

fn parse_image_context(name: &str, value: &str) -> Result<(String, String), String> {
    let key = if [CONTEXT_BUILDER, CONTEXT_BASE].contains(&name) {
        name.to_string()
    } else {
        crate::image_ref::normalize(name).map_err(|_| {
            format!(
                "a Gofile build reads the named contexts `{CONTEXT_BUILDER}` (the builder image), `{CONTEXT_BASE}` (the base image) and image references the build uses, not `{name}`"
            )
        })?
    };
    let image = value.strip_prefix("docker-image://").ok_or_else(|| {
        format!(
            "`{value}`: the `{name}` context must be an image, given as docker-image://<reference>"
        )
    })?;
    Ok((key, crate::image_ref::normalize(image)?))
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

fn parse_platforms(value: &str) -> Result<Vec<Platform>, String> {
    let mut platforms: Vec<Platform> = Vec::new();
    for text in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let platform = Platform::parse(text)?;
        if !platforms.contains(&platform) {
            platforms.push(platform);
        }
    }
    Ok(platforms)
}

fn parse_cache_imports(value: &str) -> Result<Vec<CacheImport>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(value).map_err(|err| {
        format!("`{value}` is not a list of caches like [{{\"Type\":\"registry\",\"Attrs\":{{\"ref\":\"...\"}}}}]: {err}")
    })
}

fn parse_bool(value: &str) -> Result<Option<bool>, String> {
    match value.trim() {
        "" => Ok(None),
        // Go's strconv.ParseBool, as BuildKit's frontends read these.
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
        other => Err(format!("`{other}` is not a boolean; use true or false")),
    }
}

fn parse_network(value: &str) -> Result<NetworkMode, String> {
    match value {
        "" | "sandbox" | "default" => Ok(NetworkMode::Sandbox),
        "host" => Ok(NetworkMode::Host),
        "none" => Ok(NetworkMode::None),
        other => Err(format!(
            "`{other}` is not a network mode; use sandbox, host or none"
        )),
    }
}

fn parse_no_cache(value: &str) -> NoCache {
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    match value.trim() {
        "" | "true" | "1" => NoCache::All,
        "false" | "0" => NoCache::Off,
        _ => NoCache::Services(names),
    }
}

fn parse_resolve_mode(value: &str) -> Result<ResolveMode, String> {
    match value {
        "" | "default" => Ok(ResolveMode::Default),
        "pull" => Ok(ResolveMode::Pull),
        "local" | "preferlocal" => Ok(ResolveMode::Local),
        other => Err(format!(
            "`{other}` is not a resolve mode; use default, pull or local"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_dockerfile_frontend_keys() {
        let options = BuildOptions::from_pairs([
            ("target", "api"),
            ("platform", "linux/arm64"),
            ("force-network-mode", "host"),
            ("image-resolve-mode", "local"),
            ("build-arg:VERSION", "1.2.3"),
            ("label:team", "core"),
            ("cmdline", "org/gofrontend"),
        ])
        .unwrap();
        assert_eq!(options.target.as_deref(), Some("api"));
        assert_eq!(options.platforms, [Platform::linux("arm64")]);
        assert!(!options.returns_platform_map());
        assert_eq!(options.network, NetworkMode::Host);
        assert_eq!(options.image_resolve_mode, ResolveMode::Local);
        assert_eq!(options.version.as_deref(), Some("1.2.3"));
        assert_eq!(options.labels["team"], "core");
        assert_eq!(options.no_cache, NoCache::Off);
    }

    #[test]
    fn empty_values_mean_the_default() {
        let options = BuildOptions::from_pairs([
            ("target", ""),
            ("platform", ""),
            ("force-network-mode", ""),
            ("image-resolve-mode", "default"),
            ("no-cache", ""),
        ])
        .unwrap();
        assert_eq!(options.target, None);
        assert!(options.platforms.is_empty());
        assert_eq!(options.network, NetworkMode::Sandbox);
        assert_eq!(options.no_cache, NoCache::All);
        let named = BuildOptions::from_pairs([("no-cache", "api,worker")]).unwrap();
        assert_eq!(
            named.no_cache,
            NoCache::Services(vec!["api".into(), "worker".into()])
        );
    }

    #[test]
    fn cache_imports_come_as_json_or_as_registry_references() {
        let options = BuildOptions::from_pairs([
            (
                "cache-imports",
                r#"[{"Type":"registry","Attrs":{"ref":"localhost:5000/cache:main","mode":"max"}},{"type":"gha"}]"#,
            ),
            ("cache-from", "localhost:5000/old:1, localhost:5000/old:2"),
        ])
        .unwrap();
        let described: Vec<(&str, Option<&str>)> = options
            .cache_imports
            .iter()
            .map(|c| (c.kind.as_str(), c.attrs.get("ref").map(String::as_str)))
            .collect();
        assert_eq!(
            described,
            [
                ("registry", Some("localhost:5000/cache:main")),
                ("gha", None),
                ("registry", Some("localhost:5000/old:1")),
                ("registry", Some("localhost:5000/old:2")),
            ]
        );
        let err = BuildOptions::from_pairs([("cache-imports", "registry")]).unwrap_err();
        assert_eq!(err.key, "cache-imports");
    }

    #[test]
    fn build_args_with_a_meaning_are_read_once() {
        let options = BuildOptions::from_pairs([
            ("build-arg:GOFRONTEND_BUILDER_IMAGE", "golang:1.24"),
            ("build-arg:GOFRONTEND_BASE_IMAGE", "scratch"),
            ("build-arg:BUILDKIT_CACHE_MOUNT_NS", "ci"),
            ("build-arg:SOURCE_DATE_EPOCH", "1700000000"),
            ("build-arg:GOFLAGS", "-tags=netgo"),
            ("build-arg:GOPROXY", ""),
            ("build-arg:REVISION", ""),
        ])
        .unwrap();
        assert_eq!(
            options.builder_image_arg.as_deref(),
            Some("docker.io/library/golang:1.24")
        );
        assert_eq!(options.base_image_arg.as_deref(), Some("scratch"));
        assert_eq!(options.cache_namespace.as_deref(), Some("ci"));
        assert_eq!(options.source_date_epoch, Some(1_700_000_000));
        assert_eq!(options.goflags.as_deref(), Some("-tags=netgo"));
        assert_eq!(options.revision, None);
        assert_eq!(
            options.module_fetch_env,
            [("GOPROXY".to_string(), String::new())]
        );
        let err = BuildOptions::from_pairs([("build-arg:SOURCE_DATE_EPOCH", "yesterday")]);
        assert_eq!(
            err.unwrap_err().to_string(),
            "option `build-arg:SOURCE_DATE_EPOCH`: `yesterday` is not a number of seconds since 1970"
        );
        for name in ["GOFRONTEND_BUILDER_IMAGE", "GOFRONTEND_BASE_IMAGE"] {
            let key = format!("build-arg:{name}");
            let err = BuildOptions::from_pairs([(key.as_str(), "Not An Image")]);
            assert_eq!(err.unwrap_err().key, key);
        }
    }

    #[test]
    fn cache_layers_are_on_unless_turned_off() {
        assert!(BuildOptions::default().cache_layers);
        assert!(BuildOptions::from_pairs([]).unwrap().cache_layers);
        let off = BuildOptions::from_pairs([("build-arg:GOFRONTEND_CACHE_LAYERS", "false")]);
        assert!(!off.unwrap().cache_layers);
        let bad = BuildOptions::from_pairs([("build-arg:GOFRONTEND_CACHE_LAYERS", "off")]);
        assert_eq!(
            bad.unwrap_err().to_string(),
            "option `build-arg:GOFRONTEND_CACHE_LAYERS`: `off` is not a boolean; use true or false"
        );
    }

    #[test]
    fn several_platforms_make_a_platform_map() {
        let options = BuildOptions::from_pairs([(
            "platform",
            "linux/amd64, linux/arm64,linux/arm/v7,linux/amd64",
        )])
        .unwrap();
        let names: Vec<String> = options.platforms.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);
        assert!(options.returns_platform_map());
        let one = BuildOptions::from_pairs([
            ("platform", "linux/arm64"),
            ("build-arg:BUILDKIT_MULTI_PLATFORM", "1"),
        ])
        .unwrap();
        assert!(one.returns_platform_map());
        let host = Platform::linux("amd64");
        assert_eq!(one.target_platforms(&host), [Platform::linux("arm64")]);
        assert_eq!(BuildOptions::default().target_platforms(&host), [host]);
    }

    #[test]
    fn image_contexts_name_the_builder_and_the_base() {
        let options = BuildOptions::from_pairs([
            (
                "context:golang",
                "docker-image://localhost:5000/library/golang:1.24",
            ),
            (
                "context:base",
                "docker-image://gcr.io/distroless/static-debian12",
            ),
        ])
        .unwrap();
        assert_eq!(
            options.image_contexts["golang"],
            "localhost:5000/library/golang:1.24"
        );
        assert_eq!(
            options.image_contexts["base"],
            "gcr.io/distroless/static-debian12:latest"
        );
        let err = BuildOptions::from_pairs([("context:base", "local:base")]).unwrap_err();
        assert_eq!(err.key, "context:base");
        assert!(err.message.contains("docker-image://"));
        assert!(BuildOptions::from_pairs([("context:src dir", "docker-image://x")]).is_err());
        let by_reference = BuildOptions::from_pairs([(
            "context:golang:1.24",
            "docker-image://localhost:5000/library/golang:1.24",
        )])
        .unwrap();
        assert_eq!(
            by_reference.image_contexts["docker.io/library/golang:1.24"],
            "localhost:5000/library/golang:1.24"
        );
    }

    #[test]
    fn source_options_name_the_locals() {
        let defaults = InputLocals::from_pairs([("filename", "")]);
        assert_eq!(defaults.filename, "Gofile");
        assert_eq!(
            (
                defaults.gofile_local.as_str(),
                defaults.context_local.as_str()
            ),
            ("dockerfile", "context")
        );
        let custom = InputLocals::from_pairs([
            ("filename", "deploy.toml"),
            ("contextkey", "src"),
            ("local-sessionid:src", "s1"),
        ]);
        assert_eq!(custom.filename, "deploy.toml");
        assert_eq!(custom.context_local, "src");
        assert_eq!(custom.local_sessions["src"], "s1");
        assert_eq!(defaults.frontend_image, None);
        let named = InputLocals::from_pairs([("source", "org/gofrontend")]);
        assert_eq!(
            named.frontend_image.as_deref(),
            Some("docker.io/org/gofrontend:latest")
        );
    }

    #[test]
    fn sbom_asks_for_a_generator_or_the_default() {
        let default = BuildOptions::from_pairs([("attest:sbom", "")]).unwrap();
        assert_eq!(
            default.sbom_generator.as_deref(),
            Some(DEFAULT_SBOM_GENERATOR)
        );
        let picked =
            BuildOptions::from_pairs([("attest:sbom", "generator=example.com/scan:1,mode=x")])
                .unwrap();
        assert_eq!(picked.sbom_generator.as_deref(), Some("example.com/scan:1"));
        let disabled = BuildOptions::from_pairs([("attest:sbom", "disabled=true")]).unwrap();
        assert_eq!(disabled.sbom_generator, None);
        assert_eq!(BuildOptions::default().sbom_generator, None);
        assert!(BuildOptions::from_pairs([("attest:sbom", "generator=bad image")]).is_err());
    }

    #[test]
    fn errors_name_the_option() {
        let err = BuildOptions::from_pairs([("force-network-mode", "bridge")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "option `force-network-mode`: `bridge` is not a network mode; use sandbox, host or none"
        );
        let err = BuildOptions::from_pairs([("platform", "linux/amd64,linux/sparc")]).unwrap_err();
        assert_eq!(err.key, "platform");
        let err = BuildOptions::from_pairs([
            ("platform", "linux/amd64,linux/arm64"),
            ("multi-platform", "false"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "multi-platform");
        let err =
            BuildOptions::from_pairs([("build-arg:BUILDKIT_MULTI_PLATFORM", "yes")]).unwrap_err();
        assert_eq!(err.key, "build-arg:BUILDKIT_MULTI_PLATFORM");
    }
}
