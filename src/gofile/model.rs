//! The validated Gofile: every value has its final type, defaults are filled in, and each
//! service carries its build settings merged over `[build]`.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use crate::llb::Owner;

/// A value and the byte range in the Gofile it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Spanned<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Range<usize>,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Range<usize>) -> Self {
        Self { value, span }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Gofile {
    /// Go version (`1.24`); when absent the plan takes it from go.mod.
    pub go: Option<Spanned<String>>,
    pub builder: Option<Spanned<String>>,
    pub base: Option<Spanned<String>>,
    /// The directory holding go.mod, relative to the context, without `./` (`.` for the root).
    pub module: Spanned<String>,
    /// Share the module and build caches with every project on the daemon.
    pub shared_cache: bool,
    /// Build from `vendor/` (`-mod=vendor`, no download) or not; by default, when
    /// `vendor/modules.txt` is in the context.
    pub vendor: Option<Spanned<bool>>,
    /// Build in the `go.work` workspace the go command would find from the module (`true`
    /// requires one), or ignore it (`false`); by default, as the go command does.
    pub workspace: Option<Spanned<bool>>,
    /// Where the code lives (a repository URL): the images' `org.opencontainers.image.source`.
    pub source_url: Option<String>,
    /// What `gofrontend bake` puts before each service's name to tag its image
    /// (`registry.example.com/shop/`).
    pub tag_prefix: Option<String>,
    /// The `${NAME}` build args the Gofile uses, in order, each time it uses one.
    #[serde(skip)]
    pub build_args: Vec<super::ArgUse>,
    /// `[build]` as written: the defaults every service starts from.
    pub build: BuildSettings,
    pub services: Vec<Service>,
    /// Where the services are declared, for errors about targets.
    #[serde(skip)]
    pub services_span: Range<usize>,
    /// What the `test` target runs: `[test]`, or its defaults without one.
    pub test: TestSettings,
}

/// The `test` target's `go test`: which packages, and how, over `[build]`'s settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestSettings {
    /// Package patterns relative to the module: `./...`, `./internal/...`, `./cmd/api`.
    pub packages: Vec<Spanned<String>>,
    /// `[build]` with the table's `tags` in place of its own and its `env` added.
    pub build: BuildSettings,
    /// `go test` flags, each one checked (`-short`, `-run=...`).
    pub flags: Vec<Spanned<String>>,
    /// `-timeout` for each package, a Go duration as written.
    pub timeout: Option<Spanned<String>>,
    /// Where `[test]` is, or the Gofile's start without one: errors about the target point here.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Whether the Gofile has a `[test]` table (the target exists either way).
    #[serde(skip)]
    pub declared: bool,
}

impl Gofile {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.value == name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: Spanned<String>,
    /// A Go package path inside the module, always starting with `./` (or exactly `.`).
    pub package: Spanned<String>,
    pub binary: String,
    pub base: Option<Spanned<String>>,
    pub build: BuildSettings,
    pub image: ImageSettings,
    /// Other services whose binaries this service's image holds too (`include_binaries`):
    /// each names a service of the Gofile other than this one, once.
    pub include_binaries: Vec<Spanned<String>>,
}

/// How `go build` runs for one service (`[build]` merged with the service's overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSettings {
    pub cgo: bool,
    pub tags: Vec<String>,
    pub ldflags: String,
    /// Extra `go build` flags, each with where it was written (for errors that depend on
    /// other settings, like `-race` without cgo).
    pub flags: Vec<Spanned<String>>,
    /// Stamp the binary with the VCS revision (`-buildvcs=true`, the `.git` directory in the
    /// step's context); off by default, since every commit would then re-run the compile.
    pub buildvcs: Option<Spanned<bool>>,
    /// Environment for the go commands.
    pub env: BTreeMap<String, String>,
}

impl BuildSettings {
    pub fn stamps_vcs(&self) -> bool {
        self.buildvcs.as_ref().is_some_and(|b| b.value)
    }
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self {
            cgo: false,
            tags: Vec::new(),
            ldflags: "-s -w".to_string(),
            flags: Vec::new(),
            buildvcs: None,
            env: BTreeMap::new(),
        }
    }
}

/// What the service's image config says beyond its base image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageSettings {
    /// ENTRYPOINT in exec form, as written; the plan checks its program is in the image.
    pub entrypoint: Option<Vec<Spanned<String>>>,
    /// CMD: arguments after the entrypoint.
    pub args: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// Exposed ports as `PORT/PROTO`.
    pub ports: Vec<String>,
    /// `VOLUME`s: absolute paths, made in the image and owned by the image's user.
    pub volumes: Vec<Spanned<String>>,
    pub labels: BTreeMap<String, String>,
    /// OCI annotations on the image's manifest (and its index, for several platforms).
    pub annotations: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    pub description: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    /// Files and directories of the build context in the image, `[build].files` first, then
    /// the service's (which replace those with the same destination), sorted by destination.
    pub files: Vec<ImageFile>,
}

/// A file or directory of the build context copied into the image (`files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFile {
    /// The absolute path in the image, normalized (no trailing `/`).
    pub dest: Spanned<String>,
    /// The context-relative path, normalized (no `./`, no trailing `/`).
    pub source: Spanned<String>,
    /// The files' permission bits; without one, 0644, or 0755 for a file its owner may
    /// execute in the context. Directories are always 0755.
    pub mode: Option<u32>,
    /// Who owns every file and directory copied; root when unset.
    pub owner: Option<Spanned<Owner>>,
}

/// `HEALTHCHECK` in exec form (distroless has no shell); Docker's defaults for what is unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    pub command: Vec<Spanned<String>>,
    /// Durations in nanoseconds, as the image config holds them.
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub retries: Option<u32>,
}
