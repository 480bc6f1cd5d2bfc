//! The Go steps: the module download, shared by every service, the precompile steps, and one
//! `go build` per service. They run the fixed scripts of `scripts/`; Gofile values only ever
//! reach them as argv elements or environment values.

use super::{BuilderConfig, Command, DownloadStep};
use crate::gofile::{BuildSettings, Gofile, Service, TestSettings};
use crate::gomod::GoMod;
use crate::gosource::ModuleLayout;
use crate::llb::NetworkMode;
use crate::options::{BuildOptions, MODULE_FETCH_ARGS};
use crate::platform::Platform;

/// Where the build context is mounted in every step.
pub const SOURCE_DIR: &str = "/src";
/// GOMODCACHE in every step: the download step's output, read-only in the build steps.
pub const MODULES_DIR: &str = "/go/pkg/mod";
/// BuildKit secrets the download step mounts when the client sends them (`--secret
/// id=netrc,src=$HOME/.netrc`), and where: a netrc file with the credentials of module proxies
/// and HTTPS hosts; for git over SSH, the hosts' keys and a git config whose `insteadOf` rules
/// send private hosts to SSH. Nothing else sees them.
pub const DOWNLOAD_SECRETS: &[(&str, &str)] = &[
    ("netrc", NETRC_PATH),
    ("known_hosts", "/root/.ssh/known_hosts"),
    ("gitconfig", GITCONFIG_PATH),
];
const NETRC_PATH: &str = "/root/.netrc";
const GITCONFIG_PATH: &str = "/root/.gitconfig";
/// The SSH agent the client forwards with `--ssh default`, in the download step only.
pub const SSH_AGENT_ID: &str = "default";
pub const SSH_AGENT_SOCKET: &str = "/run/buildkit/ssh_agent.0";
/// The persistent cache mount that the download step fetches into first.
pub const MODULE_CACHE_DIR: &str = "/var/cache/gofrontend/gomodcache";
/// GOCACHE, a persistent cache mount shared by the build steps.
pub const BUILD_CACHE_DIR: &str = "/root/.cache/go-build";
/// The build steps' output mount: it holds the binary and nothing else.
pub const OUTPUT_DIR: &str = "/out";
/// Where a precompile step writes its marker.
pub const PRECOMPILE_OUTPUT_DIR: &str = "/var/lib/gofrontend/precompiled";
/// Where a step mounts the marker of the precompile step it waits for.
pub const WAIT_MARKER_DIR: &str = "/var/lib/gofrontend/after";
/// Where a step mounts, read-only, the GOCACHE entries of the precompile steps before it
/// (`0`, `1`, ...), to copy into GOCACHE before it compiles. They are layers: `--cache-to
/// mode=max` exports them and a fresh builder imports them, which it cannot do for the GOCACHE
/// cache mount.
pub const CACHE_SEED_DIR: &str = "/var/lib/gofrontend/gocache-seeds";
/// A test step's output mount: its package's report, under the package's import path.
pub const TEST_REPORT_DIR: &str = "/var/lib/gofrontend/test-report";
/// Where the gathering step mounts the test steps' reports (`0`, `1`, ...).
pub const TEST_REPORTS_DIR: &str = "/var/lib/gofrontend/test-reports";

use super::scripts::{DOWNLOAD_SCRIPT, GATHER_SCRIPT, GO_SCRIPT, PRECOMPILE_SCRIPT, TEST_SCRIPT};

/// `command` run by `go.sh`, which streams its output and explains failures; `label` names
/// the step in BuildKit's one-line error, which shows these arguments.
fn with_hints<'a>(label: &'a str, command: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    ["/bin/sh", GO_SCRIPT, label]
        .into_iter()
        .chain(command)
        .map(str::to_string)
        .collect()
}

pub fn download_step(
    gofile: &Gofile,
    gomod: &GoMod,
    modules: &ModuleLayout,
    builder: &BuilderConfig,
    options: &BuildOptions,
    module_cache_id: String,
) -> DownloadStep {
    let mut env = Env::from_builder(builder);
    // Only `[build] env` applies: it is shared by every service, and the download is too.
    env.extend(gofile.build.env.clone());
    for (name, value) in &options.module_fetch_env {
        env.set(name, value);
    }
    env.set("GOTOOLCHAIN", "local");
    env.set("GOWORK", &gowork(modules));
    let goflags = match &options.goflags {
        Some(flags) => format!("-modcacherw {flags}"),
        None => "-modcacherw".to_string(),
    };
    env.set("GOFLAGS", &goflags);
    env.set("GOMODCACHE", MODULES_DIR);
    env.set("GOCACHE", BUILD_CACHE_DIR);
    env.set("NETRC", NETRC_PATH);
    env.set("GIT_CONFIG_GLOBAL", GITCONFIG_PATH);
    env.set("SSH_AUTH_SOCK", SSH_AGENT_SOCKET);
    env.set("GOFRONTEND_SOURCE_DIR", SOURCE_DIR);
    env.set("GOFRONTEND_MODULE_CACHE", MODULE_CACHE_DIR);
    DownloadStep {
        command: Command {
            name: format!(
                "go mod download ({}: {} module{})",
                modules.main.path,
                modules.sum_modules,
                if modules.sum_modules == 1 { "" } else { "s" }
            ),
            args: with_hints("go mod download", ["/bin/sh", DOWNLOAD_SCRIPT]),
            env: env.into_list(),
            cwd: module_workdir(&modules.main.dir),
            network: if needs_no_modules(gomod, modules) {
                NetworkMode::None
            } else {
                options.network
            },
            ignore_cache: options.no_cache.covers_shared_steps(),
        },
        inputs: modules.files.clone(),
        module_cache_id,
        build_cache_id: None,
    }
}

/// `download` compiling the standard library meanwhile: `download.sh` runs `compile` (from
/// [`standard_library_during_download`]) while the modules download, into the GOCACHE mount
/// `build_cache_id`, and stops it once they are in place.
pub fn download_compiling(
    mut download: DownloadStep,
    compile: Vec<String>,
    build_cache_id: String,
) -> DownloadStep {
    download.command.name = format!(
        "{}, the standard library compiling meanwhile",
        download.command.name
    );
    download.command.args.extend(compile);
    download.build_cache_id = Some(build_cache_id);
    download
}

/// A module that requires nothing, alone, downloads nothing: it needs no network, and builds
/// where the daemon offers none.
pub(super) fn needs_no_modules(gomod: &GoMod, modules: &ModuleLayout) -> bool {
    !gomod.requires
        && modules.sum_modules == 0
        && modules.others.is_empty()
        && modules.workfile.is_none()
}

/// Every `go build` runs without paths that would make its results differ between machines.
pub const COMMON_FLAGS: &[&str] = &["-trimpath"];
/// No VCS stamps unless asked for: a `.git` changes with every commit and would re-run every
/// compile that sees it.
const NO_VCS_STAMP: &str = "-buildvcs=false";

/// What decides how Go compiles a package: two services with equal settings share every
/// compiled package in GOCACHE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileSettings {
    pub env: Vec<String>,
    /// `-mod=readonly` (offline, against the module layer) or `-mod=vendor`.
    pub module_flag: &'static str,
    /// `-buildvcs=false`, or `-buildvcs=true` with `.git` in the step's context.
    pub vcs_flag: &'static str,
    /// `go build` flags besides [`COMMON_FLAGS`], `-ldflags`, `-o` and the package.
    pub flags: Vec<String>,
    /// Whether GOCACHE travels in layers: precompile steps output the entries they used, and
    /// the steps after them copy those into GOCACHE first (see [`CACHE_SEED_DIR`]).
    pub cache_layers: bool,
}

pub fn compile_settings(
    settings: &BuildSettings,
    builder: &BuilderConfig,
    target: &Platform,
    modules: &ModuleLayout,
    vendor: bool,
    goflags: Option<&str>,
    cache_layers: bool,
) -> CompileSettings {
    let mut env = Env::from_builder(builder);
    env.extend(
        settings
            .env
            .iter()
            .filter(|(name, _)| !MODULE_FETCH_ARGS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    for (name, value) in target.go_env() {
        env.set(name, &value);
    }
    env.set("CGO_ENABLED", if settings.cgo { "1" } else { "0" });
    env.set("GOTOOLCHAIN", "local");
    env.set("GOWORK", &gowork(modules));
    env.set("GOFLAGS", goflags.unwrap_or_default());
    env.set("GOPROXY", "off");
    env.set("GOMODCACHE", MODULES_DIR);
    env.set("GOCACHE", BUILD_CACHE_DIR);
    if settings.stamps_vcs() {
        // git refuses a repository another user owns unless told it is safe, and a context
        // can keep its files' owners (a named context from an image does).
        env.set("GIT_CONFIG_COUNT", "1");
        env.set("GIT_CONFIG_KEY_0", "safe.directory");
        env.set("GIT_CONFIG_VALUE_0", "*");
    }

    let mut flags = Vec::new();
    if !settings.tags.is_empty() {
        flags.push(format!("-tags={}", settings.tags.join(",")));
    }
    flags.extend(settings.flags.iter().map(|flag| flag.value.clone()));
    CompileSettings {
        env: env.into_list(),
        module_flag: if vendor {
            "-mod=vendor"
        } else {
            "-mod=readonly"
        },
        vcs_flag: if settings.stamps_vcs() {
            "-buildvcs=true"
        } else {
            NO_VCS_STAMP
        },
        flags,
        cache_layers,
    }
}

pub fn build_command(
    service: &Service,
    label: &str,
    settings: &CompileSettings,
    module_dir: &str,
    options: &BuildOptions,
    whole_context_reason: Option<&str>,
) -> Command {
    let go_build = ["go", "build", settings.module_flag]
        .into_iter()
        .chain(COMMON_FLAGS.iter().copied())
        .chain([settings.vcs_flag]);
    let mut args = with_hints(label, go_build);
    let ldflags = &service.build.ldflags;
    if !ldflags.is_empty() {
        args.push(format!("-ldflags={ldflags}"));
    }
    args.extend(settings.flags.iter().cloned());
    args.push("-o".into());
    args.push(format!("{OUTPUT_DIR}/{}", service.binary));
    args.push(service.package.value.clone());

    let ignore_cache = options.no_cache.covers_service(&service.name.value);
    let env = seeded(Env::from_entries(&settings.env), settings);
    Command {
        name: with_context_reason(
            format!("[{label}] go build {}", service.package.value),
            whole_context_reason,
        ),
        args,
        env: env.into_list(),
        cwd: module_workdir(module_dir),
        network: NetworkMode::None,
        ignore_cache,
    }
}

/// A step's name, saying why it sees the whole context when it does.
fn with_context_reason(name: String, whole_context_reason: Option<&str>) -> String {
    match whole_context_reason {
        Some(reason) => format!("{name} (whole context: {reason})"),
        None => name,
    }
}

/// A precompile step's `go build`: `leading_flags`, the settings' flags, then `packages`.
fn precompile_go_build(
    leading_flags: &[&str],
    settings: &CompileSettings,
    packages: &[String],
) -> Vec<String> {
    ["go", "build"]
        .iter()
        .chain(leading_flags)
        .map(|arg| arg.to_string())
        .chain(settings.flags.iter().cloned())
        .chain(packages.iter().cloned())
        .collect()
}

/// `go_build` run by `precompile.sh`.
fn precompile_args(go_build: Vec<String>) -> Vec<String> {
    ["/bin/sh", PRECOMPILE_SCRIPT]
        .map(str::to_string)
        .into_iter()
        .chain(go_build)
        .collect()
}

/// The standard library packages a group imports, compiled outside any module: it needs
/// neither the sources nor the modules, so it runs while the modules download.
pub fn standard_library_command(
    label: &str,
    settings: &CompileSettings,
    packages: &[String],
    options: &BuildOptions,
) -> Command {
    let (env, go_build) = standard_library_build(settings, packages);
    Command {
        name: format!(
            "[{label}] go build {} standard library packages",
            packages.len()
        ),
        args: precompile_args(go_build),
        env: precompile_env(env, settings).into_list(),
        cwd: "/".to_string(),
        network: NetworkMode::None,
        ignore_cache: options.no_cache.covers_shared_steps(),
    }
}

/// [`standard_library_command`]'s `go build` for the download step to run meanwhile, from `/`
/// as that step does: `env` sets its environment over the download's (whose GOFLAGS, GOWORK
/// and GOPROXY differ; the fetch settings left, like GOPRIVATE or NETRC, do not change how Go
/// compiles, and HOME and PATH stay as in every step).
pub fn standard_library_during_download(
    settings: &CompileSettings,
    packages: &[String],
) -> Vec<String> {
    let (env, go_build) = standard_library_build(settings, packages);
    std::iter::once("env".to_string())
        .chain(env.into_list())
        .chain(go_build)
        .collect()
}

/// The environment and argv of a `go build` of standard library packages, outside any module
/// (a workspace file in the context is not mounted there). Of the common flags only
/// `-trimpath` changes how a package compiles.
fn standard_library_build(settings: &CompileSettings, packages: &[String]) -> (Env, Vec<String>) {
    let mut env = Env::from_entries(&settings.env);
    env.set("GOWORK", "off");
    (env, precompile_go_build(&["-trimpath"], settings, packages))
}

/// What is not a group's services' own: other modules' packages, and the module's packages
/// two or more of them reach.
pub fn shared_command(
    label: &str,
    settings: &CompileSettings,
    packages: &[String],
    services: usize,
    module_dir: &str,
    options: &BuildOptions,
) -> Command {
    Command {
        name: match services {
            1 => format!(
                "[{label}] go build {} of other modules",
                counted(packages.len(), "package")
            ),
            _ => format!(
                "[{label}] go build {} of {services} services",
                counted(packages.len(), "shared package")
            ),
        },
        args: precompile_args(precompile_go_build(
            &[&[settings.module_flag], COMMON_FLAGS, &[NO_VCS_STAMP]].concat(),
            settings,
            packages,
        )),
        env: precompile_env(Env::from_entries(&settings.env), settings).into_list(),
        cwd: module_workdir(module_dir),
        network: NetworkMode::None,
        ignore_cache: options.no_cache.covers_shared_steps(),
    }
}

/// Tests of `packages` (one package's, or every pattern's when the scan failed), reported under
/// `report`: `go test -json -count=1` with the compile settings the services use (so
/// the precompiled packages serve it), run by `test.sh`, which writes the report. Tests run as
/// root with a writable HOME and TMPDIR, offline.
#[allow(clippy::too_many_arguments)]
pub fn test_command(
    label: &str,
    settings: &CompileSettings,
    test: &TestSettings,
    packages: &[String],
    report: &str,
    module_dir: &str,
    options: &BuildOptions,
    whole_context_reason: Option<&str>,
) -> Command {
    let mut args: Vec<String> = [
        "/bin/sh",
        TEST_SCRIPT,
        label,
        "go",
        "test",
        "-json",
        "-count=1",
    ]
    .into_iter()
    .chain([settings.module_flag])
    .chain(COMMON_FLAGS.iter().copied())
    .chain([NO_VCS_STAMP])
    .map(str::to_string)
    .collect();
    args.extend(settings.flags.iter().cloned());
    if let Some(timeout) = &test.timeout {
        args.push(format!("-timeout={}", timeout.value));
    }
    args.extend(test.flags.iter().map(|flag| flag.value.clone()));
    args.extend(packages.iter().cloned());
    let mut env = Env::from_entries(&settings.env);
    env.set("HOME", "/root");
    env.set("TMPDIR", "/tmp");
    env.set(
        "GOFRONTEND_REPORT_DIR",
        &format!("{TEST_REPORT_DIR}/{report}"),
    );
    if options.report_test_failures {
        env.set("GOFRONTEND_TEST_REPORT", "record");
    }
    let env = seeded(env, settings);
    Command {
        name: with_context_reason(
            format!("[{label}] go test {}", packages.join(" ")),
            whole_context_reason,
        ),
        args,
        env: env.into_list(),
        cwd: module_workdir(module_dir),
        network: NetworkMode::None,
        ignore_cache: options.no_cache.covers_service(super::TEST_TARGET),
    }
}

/// Gathers every test step's report into the test target's result, with `summary.txt`.
pub fn gather_command(
    label: &str,
    packages: usize,
    without_tests: &[String],
    builder: &BuilderConfig,
) -> Command {
    let mut env = Env::from_builder(builder);
    env.set("GOFRONTEND_REPORTS_DIR", TEST_REPORTS_DIR);
    env.set("GOFRONTEND_OUTPUT_DIR", OUTPUT_DIR);
    let untested = match without_tests.len() {
        0 => String::new(),
        n => format!(" ({} without test files)", counted(n, "package")),
    };
    Command {
        name: format!(
            "[{label}] gather the reports of {}{untested}",
            counted(packages, "package")
        ),
        args: ["/bin/sh", GATHER_SCRIPT]
            .into_iter()
            .map(String::from)
            .chain(without_tests.iter().cloned())
            .collect(),
        env: env.into_list(),
        cwd: "/".to_string(),
        network: NetworkMode::None,
        ignore_cache: false,
    }
}

/// `1 package`, `2 packages`.
pub fn counted(count: usize, noun: &str) -> String {
    counted_as(count, noun, &format!("{noun}s"))
}

/// `1 directory`, `2 directories`: the count with the singular or the plural given.
pub fn counted_as(count: usize, one: &str, many: &str) -> String {
    match count {
        1 => format!("1 {one}"),
        _ => format!("{count} {many}"),
    }
}

/// `env` with what `precompile.sh` needs: where its output goes and, with cache layers, its
/// seeds.
fn precompile_env(mut env: Env, settings: &CompileSettings) -> Env {
    env.set("GOFRONTEND_OUTPUT_DIR", PRECOMPILE_OUTPUT_DIR);
    seeded(env, settings)
}

/// `env` with, where the precompile steps output layers, where the step's scripts find them
/// to seed GOCACHE (last, so a step's digest stays as it was).
fn seeded(mut env: Env, settings: &CompileSettings) -> Env {
    if settings.cache_layers {
        env.set("GOFRONTEND_SEED_DIR", CACHE_SEED_DIR);
    }
    env
}

/// The workspace file by its path in the steps, so no other go.work can take its place.
fn gowork(modules: &ModuleLayout) -> String {
    match &modules.workfile {
        Some(path) => format!("{SOURCE_DIR}/{path}"),
        None => "off".to_string(),
    }
}

fn module_workdir(module_dir: &str) -> String {
    if module_dir == "." {
        SOURCE_DIR.to_string()
    } else {
        format!("{SOURCE_DIR}/{module_dir}")
    }
}

/// An environment that keeps the builder image's order and lets later settings replace
/// earlier ones.
struct Env(Vec<(String, String)>);

impl Env {
    fn from_builder(builder: &BuilderConfig) -> Self {
        Self::from_entries(&builder.env)
    }

    /// From `NAME=value` entries.
    fn from_entries(entries: &[String]) -> Self {
        let mut env = Self(Vec::new());
        for entry in entries {
            let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
            env.set(name, value);
        }
        env
    }

    fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }

    fn extend(&mut self, entries: impl IntoIterator<Item = (String, String)>) {
        for (name, value) in entries {
            self.set(&name, &value);
        }
    }

    fn into_list(self) -> Vec<String> {
        self.0
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }
}
