//! The two kinds of Go step: the module download, shared by every service, and one `go build`
//! per service. Gofile values only ever reach these as argv elements or environment values.

use super::{BuilderConfig, Command, DownloadStep};
use crate::gofile::{Gofile, Service};
use crate::gomod::GoMod;
use crate::gosource::ModuleLayout;
use crate::options::{ARG_GOFLAGS, BuildOptions, MODULE_FETCH_ARGS, NetworkMode, NoCache};
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

/// Downloads into the persistent cache mount (so modules fetched by any earlier build are not
/// fetched again), then copies exactly what this go.sum needs from it into the step's own
/// output, so builds never depend on what a cache mount happens to hold. It works on a copy of
/// the module files: the go command adds lines go.sum lacks in place, and the compiles then
/// report them with Go's own message, while the context mount stays read-only (a writable one
/// loses its content-based cache key on BuildKit v0.8). The script is fixed; nothing from the
/// Gofile is pasted into it.
fn download_script() -> String {
    let copy = "/tmp/gofrontend-module-files";
    format!(
        "set -eu\n\
         mkdir -p {copy} && cp -a {SOURCE_DIR}/. {copy}/\n\
         cd \"{copy}${{PWD#{SOURCE_DIR}}}\"\n\
         [ \"$GOWORK\" = off ] || export GOWORK=\"{copy}${{GOWORK#{SOURCE_DIR}}}\"\n\
         GOMODCACHE={MODULE_CACHE_DIR} go mod download -x\n\
         GOPROXY=file://{MODULE_CACHE_DIR}/cache/download GOPRIVATE= GONOPROXY= GONOSUMDB= GOSUMDB=off go mod download\n"
    )
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
    for name in MODULE_FETCH_ARGS {
        if let Some(value) = options.build_args.get(*name) {
            env.set(name, value);
        }
    }
    env.set("GOTOOLCHAIN", "local");
    env.set("GOWORK", &gowork(modules));
    let goflags = match options.build_arg(ARG_GOFLAGS) {
        Some(flags) => format!("-modcacherw {flags}"),
        None => "-modcacherw".to_string(),
    };
    env.set("GOFLAGS", &goflags);
    env.set("GOMODCACHE", MODULES_DIR);
    env.set("GOCACHE", BUILD_CACHE_DIR);
    env.set("NETRC", NETRC_PATH);
    env.set("GIT_CONFIG_GLOBAL", GITCONFIG_PATH);
    env.set("SSH_AUTH_SOCK", SSH_AGENT_SOCKET);
    DownloadStep {
        command: Command {
            name: format!(
                "go mod download ({}: {} module{})",
                modules.main.path,
                modules.sum_modules,
                if modules.sum_modules == 1 { "" } else { "s" }
            ),
            args: with_hints(["/bin/sh", "-c", &download_script()]),
            env: env.into_list(),
            cwd: module_workdir(&modules.main.dir),
            network: if needs_no_modules(gomod, modules) {
                NetworkMode::None
            } else {
                options.network
            },
            ignore_cache: options.no_cache == NoCache::All,
        },
        inputs: modules.files.clone(),
        module_cache_id,
    }
}

/// A module that requires nothing, alone, downloads nothing: it needs no network, and builds
/// where the daemon offers none.
fn needs_no_modules(gomod: &GoMod, modules: &ModuleLayout) -> bool {
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
    service: &Service,
    builder: &BuilderConfig,
    target: &Platform,
    modules: &ModuleLayout,
    vendor: bool,
    goflags: Option<&str>,
    cache_layers: bool,
) -> CompileSettings {
    let settings = &service.build;
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

/// Runs the go command given as its arguments with its stderr streamed as it comes; after a
/// failure Go reports in terms of module files, it names the command that fixes them. Fixed
/// text, kept short since BuildKit prints it in a failed step's error: the go command's
/// arguments reach it only as `"$@"`.
fn go_with_hints_script() -> String {
    [
        "mkdir -p /tmp; exec 3>&1; { \"$@\" 2>&1 >&3 3>&-; echo $? >/tmp/go.status; } | tee /tmp/go.log >&2",
        "[ \"$(cat /tmp/go.status)\" = 0 ] && exit 0",
        "grep -qe 'missing go.sum entry' -e 'updates to go.mod needed' -e 'no required module provides' -e 'import lookup disabled by -mod=' /tmp/go.log \
         && echo 'gofrontend: run `go mod tidy` in the module and commit go.mod and go.sum' >&2",
        "grep -qe '401 Unauthorized' -e '403 Forbidden' -e 'terminal prompts disabled' /tmp/go.log \
         && echo 'gofrontend: a module source asked for credentials: pass a netrc file with --secret id=netrc,src=$HOME/.netrc' >&2",
        "grep -q 'Host key verification failed' /tmp/go.log \
         && echo 'gofrontend: pass the SSH hosts keys with --secret id=known_hosts,src=$HOME/.ssh/known_hosts' >&2",
        "grep -q 'Permission denied (publickey' /tmp/go.log \
         && echo 'gofrontend: forward an SSH agent holding the key with --ssh default' >&2",
        "exit 1",
    ]
    .map(|line| format!("{line}\n"))
    .concat()
}

/// The name the wrapper script runs under, `$0`.
const GO_WRAPPER_NAME: &str = "gofrontend-go";

/// `command` run under [`go_with_hints_script`].
fn with_hints<'a>(command: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    with_hints_after("", command)
}

/// `command` run under [`go_with_hints_script`], after the fixed `prelude`.
fn with_hints_after<'a>(prelude: &str, command: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    ["/bin/sh", "-c"]
        .into_iter()
        .map(str::to_string)
        .chain([
            format!("{prelude}{}", go_with_hints_script()),
            GO_WRAPPER_NAME.to_string(),
        ])
        .chain(command.into_iter().map(str::to_string))
        .collect()
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
    let mut args = if settings.cache_layers {
        with_hints_after(&seed_script(), go_build)
    } else {
        with_hints(go_build)
    };
    let ldflags = &service.build.ldflags;
    if !ldflags.is_empty() {
        args.push(format!("-ldflags={ldflags}"));
    }
    args.extend(settings.flags.iter().cloned());
    args.push("-o".into());
    args.push(format!("{OUTPUT_DIR}/{}", service.binary));
    args.push(service.package.value.clone());

    let ignore_cache = match &options.no_cache {
        NoCache::Off => false,
        NoCache::All => true,
        NoCache::Services(names) => names.contains(&service.name.value),
    };
    let mut name = format!("[{label}] go build {}", service.package.value);
    if let Some(reason) = whole_context_reason {
        name.push_str(&format!(" (whole context: {reason})"));
    }
    Command {
        name,
        args,
        env: settings.env.clone(),
        cwd: module_workdir(module_dir),
        network: NetworkMode::None,
        ignore_cache,
    }
}

/// Copies the GOCACHE entries of the layers under [`CACHE_SEED_DIR`] that GOCACHE lacks into
/// it (a warm builder copies nothing), with the copy's time as their time so Go's trim of
/// entries unused for five days never takes them. Outputs go first, from every layer, then the
/// action entries naming them: Go checks each output's size against its entry and compiles
/// again on a mismatch, so a step copying beside another only costs time. Go keys each entry
/// by everything that went into it, so a copied entry is used only for the inputs that
/// produced it. Plain POSIX tools and tar's `-T` and `-m`, which busybox has too.
fn seed_script() -> String {
    format!(
        "mkdir -p /tmp \"$GOCACHE\"\n\
         for kind in d a; do\n\
         for seed in {CACHE_SEED_DIR}/*/; do\n\
         [ -d \"$seed\" ] || continue\n\
         (cd \"$seed\" && find . -type f -name \"*-$kind\" | while read -r f; do [ -e \"$GOCACHE/$f\" ] || echo \"$f\"; done) > /tmp/gofrontend-missing\n\
         [ -s /tmp/gofrontend-missing ] || continue\n\
         tar -C \"$seed\" -cf - -T /tmp/gofrontend-missing | tar -C \"$GOCACHE\" -xmf - \\\n\
         || echo 'gofrontend: could not copy precompiled packages into GOCACHE; compiling them here' >&2\n\
         done\n\
         done\n\
         rm -f /tmp/gofrontend-missing\n"
    )
}

/// Compiles packages into GOCACHE ahead of the services. A package that fails to compile here
/// fails again, with its error, in the services that import it; so this step never fails the
/// build.
///
/// Without cache layers it writes a constant marker that the service steps mount: they wait
/// for it without their cache keys depending on its own. With them, its GOCACHE is a cache
/// mount of its own (locked, so no other step writes there meanwhile), and its output is the
/// entries this compile used or wrote, minus those its seeds hold. Go refreshes an entry's
/// time when it uses one older than an hour, so entries younger than that are first set two
/// hours back (under Go's five-day trim): the times after the start then name what was used.
fn precompile_script(cache_layers: bool) -> String {
    let compile = "\"$@\" || echo 'gofrontend: some packages did not compile here; the services that import them will report it' >&2\n";
    if !cache_layers {
        return format!("{compile}echo compiled > {PRECOMPILE_OUTPUT_DIR}/done\n");
    }
    format!(
        "{seed}\
         TZ=UTC0 find \"$GOCACHE\" -type f -name '*-[ad]' -mmin -65 -exec touch -t \"$(TZ=UTC+2 date +%Y%m%d%H%M.%S)\" {{}} +\n\
         touch /tmp/gofrontend-start\n\
         {compile}\
         (cd \"$GOCACHE\" && find . -type f -name '*-[ad]' -newer /tmp/gofrontend-start) > /tmp/gofrontend-used\n\
         while read -r f; do\n\
         for seed in {CACHE_SEED_DIR}/*/; do [ -e \"$seed/$f\" ] && continue 2; done\n\
         echo \"$f\"\n\
         done < /tmp/gofrontend-used > /tmp/gofrontend-kept\n\
         [ ! -s /tmp/gofrontend-kept ] || tar -C \"$GOCACHE\" -cf - -T /tmp/gofrontend-kept | tar -C {PRECOMPILE_OUTPUT_DIR} -xf - \\\n\
         || echo 'gofrontend: could not keep the compiled packages in a layer; a builder without GOCACHE compiles them again' >&2\n\
         rm -f /tmp/gofrontend-start /tmp/gofrontend-used /tmp/gofrontend-kept\n",
        seed = seed_script(),
    )
}

fn precompile_args(
    leading_flags: &[&str],
    settings: &CompileSettings,
    packages: &[String],
) -> Vec<String> {
    let script = precompile_script(settings.cache_layers);
    let mut args: Vec<String> = [
        "/bin/sh",
        "-c",
        &script,
        "gofrontend-precompile",
        "go",
        "build",
    ]
    .iter()
    .chain(leading_flags)
    .map(|arg| arg.to_string())
    .collect();
    args.extend(settings.flags.iter().cloned());
    args.extend(packages.iter().cloned());
    args
}

/// The standard library packages a group imports, compiled outside any module: it needs
/// neither the sources nor the modules, so it runs while the modules download. Of the common
/// flags only `-trimpath` changes how a package compiles.
pub fn standard_library_command(
    label: &str,
    settings: &CompileSettings,
    packages: &[String],
    options: &BuildOptions,
) -> Command {
    // Outside any module: a workspace file in the context is not mounted here.
    let mut env = Env::from_entries(&settings.env);
    env.set("GOWORK", "off");
    Command {
        name: format!(
            "[{label}] go build {} standard library packages",
            packages.len()
        ),
        args: precompile_args(&["-trimpath"], settings, packages),
        env: env.into_list(),
        cwd: "/".to_string(),
        network: NetworkMode::None,
        ignore_cache: options.no_cache == NoCache::All,
    }
}

/// What several services of a group share: the module's packages two or more reach, and
/// other modules' packages.
pub fn shared_command(
    label: &str,
    settings: &CompileSettings,
    packages: &[String],
    services: usize,
    module_dir: &str,
    options: &BuildOptions,
) -> Command {
    Command {
        name: format!(
            "[{label}] go build {} shared packages of {services} services",
            packages.len()
        ),
        args: precompile_args(
            &[&[settings.module_flag], COMMON_FLAGS, &[NO_VCS_STAMP]].concat(),
            settings,
            packages,
        ),
        env: settings.env.clone(),
        cwd: module_workdir(module_dir),
        network: NetworkMode::None,
        ignore_cache: options.no_cache == NoCache::All,
    }
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
