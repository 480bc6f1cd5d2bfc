use super::*;
use crate::gofile;
use crate::gosource::{MemoryFiles, ModuleLayout};
use crate::llb::NetworkMode;
use crate::options::Engine;
use crate::pipeline::{self, LoadError, MemoryInputs};
use std::collections::BTreeMap;

const TWO_SERVICES: &str =
    "[services.api]\npackage = \"./cmd/api\"\n[services.worker]\npackage = \"./cmd/worker\"\n";

struct Case {
    gofile: &'static str,
    gomod: &'static str,
    options: Vec<(&'static str, &'static str)>,
    /// The context's files; without any, go.sum and a one-file main package per service.
    /// `gomod` is always the module's go.mod.
    files: Vec<(&'static str, &'static str)>,
    /// `.dockerignore` patterns, applied to the files as BuildKit applies them.
    excludes: Vec<String>,
}

impl Case {
    fn new(gofile: &'static str) -> Self {
        Self {
            gofile,
            gomod: "module example.com/shop\n\ngo 1.24.2\n",
            options: Vec::new(),
            files: Vec::new(),
            excludes: vec!["bin".into()],
        }
    }

    fn excludes(mut self, patterns: &[&str]) -> Self {
        self.excludes = patterns.iter().map(|p| p.to_string()).collect();
        self
    }

    fn files(mut self, files: &[(&'static str, &'static str)]) -> Self {
        self.files = files.to_vec();
        self
    }

    fn opt(mut self, key: &'static str, value: &'static str) -> Self {
        self.options.push((key, value));
        self
    }

    fn plan(&self) -> Result<Plan, PlanError> {
        self.plans().map(|mut plans| plans.remove(0))
    }

    /// One plan per target platform, through the pipeline the frontend runs.
    fn plans(&self) -> Result<Vec<Plan>, PlanError> {
        let options = BuildOptions::from_pairs(self.options.iter().copied()).unwrap();
        let mut context = if self.files.is_empty() {
            let gofile =
                gofile::parse(&TextFile::new("Gofile", self.gofile), &options.build_args).unwrap();
            let mut files = MemoryFiles::new(&[]);
            files
                .files
                .insert(join(&gofile.module.value, "go.sum"), Vec::new());
            for root in scan_roots(&gofile, &options).dirs {
                files
                    .files
                    .insert(join(&root, "main.go"), b"package main\n".to_vec());
            }
            files
        } else {
            MemoryFiles::new(&self.files)
        };
        let module_dir = gofile::parse(&TextFile::new("Gofile", self.gofile), &options.build_args)
            .map(|g| g.module.value)
            .unwrap_or_default();
        context
            .files
            .insert(join(&module_dir, "go.mod"), self.gomod.as_bytes().to_vec());
        let mut inputs = MemoryInputs::new(self.gofile, context);
        inputs.gofile_ignore = Some(self.excludes.join("\n").into_bytes());
        let planned = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(pipeline::load_and_plan(&inputs, &options));
        match planned {
            Ok(planned) => Ok(planned.plans),
            Err(LoadError::Plan(err)) => Err(err),
            Err(LoadError::Read { context, error }) => panic!("{context}: {error}"),
        }
    }

    fn ok(&self) -> Plan {
        self.plan()
            .unwrap_or_else(|err| panic!("plan failed: {err}"))
    }

    fn gofile_error(&self) -> Diagnostics {
        match self.plan() {
            Err(PlanError::Gofile(diagnostics)) => diagnostics,
            other => panic!("expected a Gofile error, got {:?}", other.map(|p| p.result)),
        }
    }
}

fn env_value<'a>(command: &'a Command, name: &str) -> Option<&'a str> {
    command
        .env
        .iter()
        .find_map(|entry| entry.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn the_builder_follows_go_mod_then_the_gofile_then_the_build_arg() {
    assert_eq!(
        Case::new(TWO_SERVICES).ok().builder_image,
        "docker.io/library/golang:1.24"
    );
    let toolchain = Case {
        gomod: "module m\ngo 1.23\ntoolchain go1.24.1\n",
        ..Case::new(TWO_SERVICES)
    };
    assert_eq!(
        toolchain.ok().builder_image,
        "docker.io/library/golang:1.24"
    );
    let pinned = Case::new("go = \"1.23\"\n[services.api]\npackage = \".\"\n");
    assert_eq!(pinned.ok().builder_image, "docker.io/library/golang:1.23");
    let explicit =
        Case::new("builder = \"registry.example/go:1\"\n[services.api]\npackage = \".\"\n");
    assert_eq!(explicit.ok().builder_image, "registry.example/go:1");
    let overridden = Case::new(TWO_SERVICES).opt(
        "build-arg:GOFRONTEND_BUILDER_IMAGE",
        "localhost:5000/golang:1.24",
    );
    assert_eq!(overridden.ok().builder_image, "localhost:5000/golang:1.24");
}

#[test]
fn no_go_version_anywhere_is_an_error() {
    let case = Case {
        gomod: "module m\n",
        ..Case::new(TWO_SERVICES)
    };
    let err = case.gofile_error();
    assert_eq!(
        err.headlines(),
        ["Gofile:1:1: no Go version: go.mod has no `go` line and the Gofile sets no `go`"]
    );
}

#[test]
fn targets_pick_one_service_or_all_of_them() {
    let all = Case::new(TWO_SERVICES).ok();
    assert_eq!(all.services.len(), 2);
    assert!(
        matches!(&all.result, ResultPlan::AllBinaries { base: Base::Image(b) } if b == DEFAULT_STATIC_BASE)
    );
    let api = Case::new(TWO_SERVICES).opt("target", "api").ok();
    assert_eq!(api.services.len(), 1);
    assert!(matches!(&api.result, ResultPlan::Service(name) if name == "api"));
    let single = Case::new("[services.hello]\npackage = \".\"\n").ok();
    assert!(matches!(&single.result, ResultPlan::Service(name) if name == "hello"));
}

#[test]
fn an_unknown_target_points_at_the_services_with_a_suggestion() {
    let err = Case::new(TWO_SERVICES).opt("target", "apii").gofile_error();
    assert_eq!(
        err.headlines(),
        ["Gofile:1:2: unknown target `apii` (from --target): no such service"]
    );
    assert_eq!(
        err.items[0].help.as_deref(),
        Some("did you mean `api`? the services are: api, worker")
    );
}

#[test]
fn bases_default_by_cgo_and_can_be_overridden() {
    let text = "base = \"scratch\"\n[services.api]\npackage = \".\"\n[services.c]\npackage = \".\"\ncgo = true\nbase = \"gcr.io/distroless/base-debian12\"\n[services.d]\npackage = \".\"\n";
    let plan = Case::new(text).ok();
    assert_eq!(plan.services[0].base, Base::Scratch);
    assert_eq!(
        plan.services[1].base,
        Base::Image("gcr.io/distroless/base-debian12:latest".into())
    );
    let defaults =
        Case::new("[services.a]\npackage = \".\"\n[services.c]\npackage = \".\"\ncgo = true\n")
            .ok();
    assert_eq!(
        defaults.services[0].base,
        Base::Image(DEFAULT_STATIC_BASE.into())
    );
    assert_eq!(
        defaults.services[1].base,
        Base::Image("gcr.io/distroless/base-debian13:nonroot".into()),
        "the official golang image is Debian 13: its glibc is debian13's"
    );
    let forced = Case::new(text)
        .opt(
            "build-arg:GOFRONTEND_BASE_IMAGE",
            "localhost:5000/distroless/static-debian12:nonroot",
        )
        .ok();
    assert!(
        forced
            .services
            .iter()
            .all(|s| s.base
                == Base::Image("localhost:5000/distroless/static-debian12:nonroot".into()))
    );
}

#[test]
fn cache_ids_are_scoped_to_the_module_unless_shared() {
    let plan = Case::new(TWO_SERVICES).ok();
    assert_eq!(
        plan.download.as_ref().unwrap().module_cache_id,
        "gofrontend:gomodcache:example.com/shop"
    );
    assert_eq!(
        plan.services[0].build_cache_id,
        "gofrontend:gocache:example.com/shop"
    );
    let namespaced = Case::new(TWO_SERVICES)
        .opt("build-arg:BUILDKIT_CACHE_MOUNT_NS", "ci")
        .ok();
    assert_eq!(
        namespaced.services[1].build_cache_id,
        "ci/gofrontend:gocache:example.com/shop"
    );
    let shared = Case::new("shared_cache = true\n[services.api]\npackage = \".\"\n").ok();
    assert_eq!(
        shared.download.as_ref().unwrap().module_cache_id,
        "gofrontend:gomodcache"
    );
    assert_eq!(shared.services[0].build_cache_id, "gofrontend:gocache");
}

#[test]
fn build_commands_are_argv_with_every_setting() {
    let text = "[build]\ntags = [\"netgo\", \"osusergo\"]\nflags = [\"-a\"]\nenv = { GOPRIVATE = \"corp.example\", GOEXPERIMENT = \"x\" }\n[services.api]\npackage = \"./cmd/api\"\nbinary = \"api-server\"\nldflags = \"-X main.v=${V}\"\n";
    let plan = Case::new(text)
        .opt("build-arg:V", "1; rm -rf /")
        .opt("platform", "linux/arm/v7")
        .ok();
    let build = &plan.services[0].build;
    assert_eq!(
        build.args[3..],
        [
            "go",
            "build",
            "-mod=readonly",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags=-X 'main.v=1; rm -rf /'",
            "-tags=netgo,osusergo",
            "-a",
            "-o",
            "/out/api-server",
            "./cmd/api",
        ]
    );
    assert_eq!(build.name, "[api] go build ./cmd/api");
    assert_eq!(build.network, NetworkMode::None);
    assert_eq!(build.cwd, "/src");
    for (name, value) in [
        ("GOOS", "linux"),
        ("GOARCH", "arm"),
        ("GOARM", "7"),
        ("CGO_ENABLED", "0"),
        ("GOPROXY", "off"),
        ("GOTOOLCHAIN", "local"),
        ("GOMODCACHE", MODULES_DIR),
        ("GOCACHE", BUILD_CACHE_DIR),
        ("GOEXPERIMENT", "x"),
        ("GOPATH", "/go"),
    ] {
        assert_eq!(env_value(build, name), Some(value), "{name}");
    }
    assert_eq!(
        env_value(build, "GOPRIVATE"),
        None,
        "module fetching settings stay out of compiles"
    );
    assert_eq!(plan.target_platform.to_string(), "linux/arm/v7");
    assert_eq!(plan.build_platform.to_string(), "linux/amd64");
}

#[test]
fn several_platforms_share_the_download_and_name_their_compiles() {
    let plans = Case::new(TWO_SERVICES)
        .opt("platform", "linux/amd64,linux/arm64,linux/arm/v7")
        .plans()
        .unwrap();
    let download = |plan: &Plan| serde_json::to_string(&plan.download).unwrap();
    assert_eq!(plans.len(), 3);
    assert!(plans.iter().all(|p| download(p) == download(&plans[0])));
    let arm = &plans[2];
    assert_eq!(arm.target_platform.to_string(), "linux/arm/v7");
    assert_eq!(arm.build_platform.to_string(), "linux/amd64");
    let api = &arm.services[0].build;
    assert_eq!(api.name, "[linux/arm/v7 api] go build ./cmd/api");
    assert_eq!(env_value(api, "GOARCH"), Some("arm"));
    assert_eq!(env_value(api, "GOARM"), Some("7"));
    assert!(
        arm.precompile
            .iter()
            .all(|step| step.command.name.starts_with("[linux/arm/v7 ")),
        "{:?}",
        arm.precompile
            .iter()
            .map(|s| &s.command.name)
            .collect::<Vec<_>>()
    );
    assert_eq!(arm.step_label("api"), "linux/arm/v7 api");

    let one = Case::new(TWO_SERVICES).opt("platform", "linux/arm64").ok();
    assert_eq!(one.services[0].build.name, "[api] go build ./cmd/api");
    assert_eq!(one.step_label("api"), "api");
}

#[test]
fn the_download_sees_only_go_mod_and_go_sum_and_the_fetch_settings() {
    let text = "module = \"./backend\"\n[build]\nenv = { GOPRIVATE = \"corp.example\" }\n[services.api]\npackage = \".\"\n";
    let mut case = Case::new(text)
        .opt("build-arg:GOPROXY", "http://127.0.0.1:8081")
        .opt("force-network-mode", "host");
    case.gomod = "module example.com/shop\ngo 1.24\nrequire example.com/quote v1.0.0\n";
    let plan = case.ok();
    let download = plan.download.as_ref().unwrap();
    assert_eq!(download.inputs, ["backend/go.mod", "backend/go.sum"]);
    assert_eq!(download.command.cwd, "/src/backend");
    assert_eq!(download.command.network, NetworkMode::Host);
    assert_eq!(
        download.command.name,
        "go mod download (example.com/shop: 0 modules)"
    );
    assert_eq!(
        env_value(&download.command, "GOPROXY"),
        Some("http://127.0.0.1:8081")
    );
    assert_eq!(
        env_value(&download.command, "GOPRIVATE"),
        Some("corp.example")
    );
    assert_eq!(
        env_value(&download.command, "GOMODCACHE"),
        Some(MODULES_DIR)
    );
    assert_eq!(plan.services[0].build.cwd, "/src/backend");
    assert_eq!(plan.context.excludes, ["bin"]);
}

#[test]
fn changing_the_module_proxy_leaves_compiles_unchanged() {
    let plain = Case::new(TWO_SERVICES).ok();
    let proxied = Case::new(TWO_SERVICES)
        .opt("build-arg:GOPROXY", "http://127.0.0.1:8081")
        .ok();
    assert_eq!(plain.services[0].build.env, proxied.services[0].build.env);
    assert_ne!(
        plain.download.as_ref().unwrap().command.env,
        proxied.download.as_ref().unwrap().command.env
    );
}

#[test]
fn cgo_cannot_cross_compile() {
    let text = "[services.api]\npackage = \".\"\ncgo = true\n";
    assert_eq!(
        env_value(&Case::new(text).ok().services[0].build, "CGO_ENABLED"),
        Some("1")
    );
    let err = Case::new(text)
        .opt("platform", "linux/arm64")
        .gofile_error();
    assert_eq!(
        err.headlines(),
        [
            "Gofile:1:11: service `api` uses cgo, which cannot cross-compile from linux/amd64 to linux/arm64"
        ]
    );
}

#[test]
fn no_cache_reaches_the_steps_it_names() {
    let all = Case::new(TWO_SERVICES).opt("no-cache", "").ok();
    assert!(
        all.download.as_ref().unwrap().command.ignore_cache
            && all.services.iter().all(|s| s.build.ignore_cache)
    );
    let one = Case::new(TWO_SERVICES).opt("no-cache", "worker").ok();
    assert!(!one.download.as_ref().unwrap().command.ignore_cache);
    assert!(!one.services[0].build.ignore_cache && one.services[1].build.ignore_cache);
}

#[test]
fn the_image_config_carries_the_service_settings() {
    let text = "[services.api]\npackage = \".\"\nargs = [\"serve\"]\nenv = { PORT = \"8080\" }\nports = [8080]\nuser = \"65532\"\nworkdir = \"/data\"\nlabels = { team = \"core\" }\ndescription = \"The API\"\nstop_signal = \"SIGINT\"\n";
    let plan = Case::new(text)
        .opt("label:team", "platform")
        .opt("build-arg:SOURCE_DATE_EPOCH", "1700000000")
        .ok();
    let image = &plan.services[0].image;
    assert_eq!(image.entrypoint, ["/usr/local/bin/api"]);
    assert_eq!(image.cmd.as_deref(), Some(&["serve".to_string()][..]));
    assert_eq!(image.env["PORT"], "8080");
    assert_eq!(image.exposed_ports, ["8080/tcp"]);
    assert_eq!(image.user.as_deref(), Some("65532"));
    assert_eq!(image.workdir.as_deref(), Some("/data"));
    assert_eq!(
        image.labels["team"], "platform",
        "--label wins over the Gofile"
    );
    assert_eq!(
        image.labels["org.opencontainers.image.description"],
        "The API"
    );
    assert_eq!(image.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(plan.source_date_epoch, Some(1_700_000_000));
}

#[test]
fn named_image_contexts_replace_the_builder_and_the_base() {
    let plan = Case::new(TWO_SERVICES)
        .opt(
            "context:golang",
            "docker-image://localhost:5000/library/golang:1.24",
        )
        .opt(
            "context:base",
            "docker-image://localhost:5000/distroless/static-debian12:nonroot",
        )
        .opt("build-arg:GOFRONTEND_BASE_IMAGE", "elsewhere/base:1")
        .ok();
    assert_eq!(plan.builder_image, "localhost:5000/library/golang:1.24");
    assert!(
        matches!(&plan.result, ResultPlan::AllBinaries { base: Base::Image(b) } if b == "localhost:5000/distroless/static-debian12:nonroot")
    );
    assert_eq!(
        plan.services[0].base,
        Base::Image("localhost:5000/distroless/static-debian12:nonroot".into())
    );
}

// Injection: Gofile values and build args never pass through a shell. Each reaches go build
// or the image config as one literal argv element or environment value, or is refused.

#[test]
fn shell_metacharacters_reach_go_build_as_single_arguments() {
    let text = "[services.api]\npackage = \"./cmd/$(id)\"\nldflags = \"-X 'main.v=`id`; rm -rf / | cat > /x'\"\nflags = [\"-gcflags=all=-N -l && id\"]\ntags = [\"a\"]\n";
    let build = &Case::new(text).ok().services[0].build;
    assert_eq!(
        build.args[8..],
        [
            "-ldflags=-X 'main.v=`id`; rm -rf / | cat > /x'",
            "-tags=a",
            "-gcflags=all=-N -l && id",
            "-o",
            "/out/api",
            "./cmd/$(id)",
        ]
    );
    // A fixed script file; go build gets the values as its own arguments.
    assert_eq!(
        build.args[..5],
        ["/bin/sh", "/gofrontend/go.sh", "api", "go", "build"]
    );
}

#[test]
fn newlines_in_args_and_env_stay_inside_their_values() {
    let text = "[services.api]\npackage = \".\"\nargs = [\"one\\ntwo\", \"--\", \"--help\"]\nenv = { NOTE = \"a\\nB=injected\" }\nbuild_env = { GOEXPERIMENT = \"x\\nGOFLAGS=-mod=mod\" }\n";
    let service = &Case::new(text).ok().services[0];
    assert_eq!(
        service.image.cmd.as_deref(),
        Some(&["one\ntwo".to_string(), "--".into(), "--help".into()][..])
    );
    assert_eq!(service.image.env["NOTE"], "a\nB=injected");
    assert!(!service.image.env.contains_key("B"));
    assert_eq!(
        env_value(&service.build, "GOEXPERIMENT"),
        Some("x\nGOFLAGS=-mod=mod")
    );
    assert_eq!(
        env_value(&service.build, "GOFLAGS"),
        Some(""),
        "a value cannot set a second variable"
    );
}

#[test]
fn build_args_are_substituted_before_paths_are_checked() {
    let text = "[services.api]\npackage = \"${PKG}\"\n";
    for (pkg, message) in [
        (
            "./cmd/../../etc",
            "Gofile:2:11: package path `cmd/../../etc` uses `..`",
        ),
        (
            "./cmd/--exec",
            "Gofile:2:11: package path `cmd/--exec` has a directory starting with `-`",
        ),
        (
            "-toolexec=id",
            "Gofile:2:11: package `-toolexec=id` must start with `./`",
        ),
        (
            "./cmd/a\nb",
            "Gofile:2:11: package path `cmd/a\\nb` contains '\\n'",
        ),
    ] {
        let source = TextFile::new("Gofile", text);
        let args = BTreeMap::from([("PKG".to_string(), pkg.to_string())]);
        let err = gofile::parse(&source, &args).unwrap_err();
        assert_eq!(err.headlines(), [message], "PKG={pkg:?}");
    }
}

#[test]
fn a_double_dash_in_flags_is_refused() {
    for flag in ["--", "-"] {
        let text = format!("[services.api]\npackage = \".\"\nflags = [\"{flag}\"]\n");
        let source = TextFile::new("Gofile", text.as_str());
        let err = gofile::parse(&source, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            err.headlines(),
            [format!("Gofile:3:10: `{flag}` in `flags` is not a flag")]
        );
    }
}

#[test]
fn module_fetch_settings_are_environment_values_not_script_text() {
    let download = Case::new(TWO_SERVICES)
        .opt("build-arg:GOPROXY", "http://proxy; touch /pwned")
        .opt("build-arg:GOPRIVATE", "$(id)")
        .ok()
        .download
        .unwrap();
    assert_eq!(
        env_value(&download.command, "GOPROXY"),
        Some("http://proxy; touch /pwned")
    );
    assert_eq!(env_value(&download.command, "GOPRIVATE"), Some("$(id)"));
    assert!(
        download
            .command
            .args
            .iter()
            .all(|arg| !arg.contains("pwned") && !arg.contains("$(id)")),
        "{:?}",
        download.command.args
    );
}

// Per-service contexts and the shared compile step, from the scanned imports.

const SHOP: &[(&str, &str)] = &[
    ("go.mod", "module example.com/shop\n\ngo 1.24.2\n"),
    ("go.sum", ""),
    (
        "cmd/api/main.go",
        "package main\nimport (\n\t\"net/http\"\n\t\"example.com/shop/internal/greeting\"\n\t\"example.com/shop/internal/api\"\n)\n",
    ),
    ("cmd/api/main_test.go", "package main\nimport \"testing\"\n"),
    (
        "cmd/worker/main.go",
        "package main\nimport (\n\t\"fmt\"\n\t\"example.com/shop/internal/greeting\"\n)\n",
    ),
    (
        "cmd/worker/jobs.go",
        "package main\nimport _ \"embed\"\n//go:embed jobs/*.json\nvar jobs string\n",
    ),
    ("cmd/worker/jobs/daily.json", "{}"),
    (
        "internal/greeting/greeting.go",
        "package greeting\nimport \"github.com/acme/text\"\n",
    ),
    (
        "internal/greeting/greeting_windows.go",
        "package greeting\nimport \"golang.org/x/sys/windows\"\n",
    ),
    (
        "internal/api/api.go",
        "package api\nimport \"encoding/json\"\n",
    ),
    ("README.md", "docs"),
];

fn selected(sources: &StepFiles) -> (&[String], &[String]) {
    match sources {
        StepFiles::Selected { files, dirs, .. } => (files, dirs),
        StepFiles::Whole { reason } => {
            panic!("expected selected files, got the whole context: {reason}")
        }
    }
}

#[test]
fn each_service_sees_only_the_packages_it_reaches() {
    let plan = Case::new(TWO_SERVICES).files(SHOP).ok();
    let (api_files, api_dirs) = selected(&plan.services[0].files);
    assert_eq!(
        api_files,
        [
            "cmd/api/main.go",
            "go.mod",
            "go.sum",
            "internal/api/api.go",
            "internal/greeting/greeting.go",
            "internal/greeting/greeting_windows.go",
        ]
    );
    assert!(api_dirs.is_empty());
    let (worker_files, worker_dirs) = selected(&plan.services[1].files);
    assert_eq!(
        worker_files,
        [
            "cmd/worker/jobs.go",
            "cmd/worker/main.go",
            "go.mod",
            "go.sum",
            "internal/greeting/greeting.go",
            "internal/greeting/greeting_windows.go",
        ]
    );
    assert_eq!(worker_dirs, ["cmd/worker/jobs"], "the embedded directory");
}

#[test]
fn the_standard_library_and_shared_packages_compile_once_before_the_services() {
    let plan = Case::new(TWO_SERVICES).files(SHOP).ok();
    let [stdlib, shared] = plan.precompile.as_slice() else {
        panic!("two precompile steps, got {}", plan.precompile.len())
    };
    assert_eq!(
        stdlib.command.args,
        [
            "/bin/sh",
            "/gofrontend/precompile.sh",
            "go",
            "build",
            "-trimpath",
            // Only what builds on every platform, and nothing of the module or other modules.
            "embed",
            "encoding/json",
            "fmt",
            "net/http",
        ]
    );
    assert_eq!(
        stdlib.command.name,
        "[stdlib] go build 4 standard library packages"
    );
    assert_eq!(stdlib.files, None, "it runs while the modules download");
    assert_eq!(stdlib.after, None);
    assert_eq!(stdlib.command.cwd, "/");

    assert_eq!(
        shared.command.args[1..],
        [
            "/gofrontend/precompile.sh",
            "go",
            "build",
            "-mod=readonly",
            "-trimpath",
            "-buildvcs=false",
            // Not golang.org/x/sys/windows: only a file for another platform imports it.
            "example.com/shop/internal/greeting",
            "github.com/acme/text",
        ]
    );
    assert_eq!(
        shared.command.name,
        "[shared] go build 2 shared packages of 2 services"
    );
    assert_eq!(shared.after, Some(0));
    assert_eq!(env_value(&shared.command, "GOPROXY"), Some("off"));
    let (files, _) = selected(shared.files.as_ref().unwrap());
    assert_eq!(
        files,
        [
            "go.mod",
            "go.sum",
            "internal/greeting/greeting.go",
            "internal/greeting/greeting_windows.go",
        ],
        "a package one service uses is not shared: editing it leaves the shared step cached"
    );
    assert!(plan.services.iter().all(|s| s.after == Some(1)));
    // The scripts' own settings aside, which the go command does not read.
    let go_env = |command: &Command| -> Vec<String> {
        command
            .env
            .iter()
            .filter(|entry| !entry.starts_with("GOFRONTEND_"))
            .cloned()
            .collect()
    };
    for step in [stdlib, shared] {
        assert_eq!(
            go_env(&plan.services[0].build),
            go_env(&step.command),
            "the same environment, so GOCACHE entries match"
        );
    }
}

#[test]
fn one_service_gets_its_modules_compiled_in_a_layer_of_their_own_for_an_imported_cache() {
    let one = Case::new(TWO_SERVICES)
        .files(SHOP)
        .opt("target", "api")
        .opt("cache-from", "localhost:5000/cache:main")
        .ok();
    let [stdlib, shared] = one.precompile.as_slice() else {
        panic!("two precompile steps, got {}", one.precompile.len())
    };
    assert_eq!(stdlib.label, "stdlib");
    assert_eq!(
        shared.command.name,
        "[shared] go build 1 package of other modules"
    );
    assert_eq!(
        shared.command.args.last().map(String::as_str),
        Some("github.com/acme/text"),
        "the service's own packages are not in it: an edit of them never re-runs it"
    );
    assert_eq!(one.services[0].after, Some(1));

    // Importing no cache, or with the layers off, the service compiles them itself in its
    // GOCACHE mount, with no step in series before it.
    for case in [
        Case::new(TWO_SERVICES).files(SHOP).opt("target", "api"),
        Case::new(TWO_SERVICES)
            .files(SHOP)
            .opt("target", "api")
            .opt("cache-from", "localhost:5000/cache:main")
            .opt("build-arg:GOFRONTEND_CACHE_LAYERS", "false"),
    ] {
        let local = case.ok();
        let labels: Vec<&str> = local.precompile.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["stdlib"]);
        assert_eq!(local.services[0].after, Some(0));
    }
}

const ONE_SERVICE: &str = "[services.api]\npackage = \"./cmd/api\"\n";

#[test]
fn a_lone_service_compiles_the_standard_library_while_the_modules_download() {
    let gofile = "[services.api]\npackage = \"./cmd/api\"\ntags = [\"prod\"]\nflags = [\"-v\"]\n";
    let requiring = || Case {
        gomod: "module example.com/shop\n\ngo 1.24.2\n\nrequire example.com/quote v1.1.0\n",
        ..Case::new(gofile)
    };
    let plan = requiring()
        .files(SHOP)
        .opt("build-arg:GOPROXY", "http://127.0.0.1:8081")
        .ok();
    assert_eq!(plan.precompile.len(), 0, "no [stdlib] step in series");
    let download = plan.download.as_ref().unwrap();
    assert!(
        download
            .command
            .name
            .ends_with(" modules), the standard library compiling meanwhile"),
        "{}",
        download.command.name
    );
    let args = &download.command.args;
    let script = args
        .iter()
        .position(|a| a == scripts::DOWNLOAD_SCRIPT)
        .unwrap();
    let compile = &args[script + 1..];
    assert_eq!(compile[0], "env");
    let go = compile.iter().position(|a| a == "go").unwrap();
    // As the standard library step runs it (a build importing a cache keeps the step), so the
    // service's go build finds the entries.
    let with_step = requiring()
        .files(SHOP)
        .opt("build-arg:GOPROXY", "http://127.0.0.1:8081")
        .opt("cache-from", "localhost:5000/cache:main")
        .ok();
    let stdlib = &with_step.precompile[0].command;
    assert_eq!(stdlib.args[..2], ["/bin/sh", "/gofrontend/precompile.sh"]);
    assert_eq!(compile[go..], stdlib.args[2..]);
    assert_eq!(
        compile[go..],
        [
            "go",
            "build",
            "-trimpath",
            "-tags=prod",
            "-v",
            "encoding/json",
            "net/http"
        ]
    );
    let step_env: Vec<&String> = stdlib
        .env
        .iter()
        .filter(|entry| !entry.starts_with("GOFRONTEND_"))
        .collect();
    assert_eq!(compile[1..go].iter().collect::<Vec<_>>(), step_env);
    assert!(
        compile.iter().any(|a| a == "GOPROXY=off"),
        "over the download's own settings"
    );
    assert_eq!(
        download.build_cache_id.as_deref(),
        Some(plan.services[0].build_cache_id.as_str()),
        "into the service's GOCACHE"
    );

    // A module requiring nothing downloads nothing to overlap: its service compiles it all.
    let requiring_nothing = Case::new(ONE_SERVICE).files(SHOP).ok();
    assert_eq!(requiring_nothing.precompile.len(), 0);
    let download = requiring_nothing.download.as_ref().unwrap();
    assert_eq!(download.build_cache_id, None);
    assert_eq!(
        download.command.args.last().map(String::as_str),
        Some(scripts::DOWNLOAD_SCRIPT)
    );

    // Several platforms share one download step; a vendored module downloads nothing.
    let two = Case::new(ONE_SERVICE)
        .files(SHOP)
        .opt("platform", "linux/amd64,linux/arm64")
        .plans()
        .unwrap();
    for plan in &two {
        assert_eq!(plan.download.as_ref().unwrap().build_cache_id, None);
        assert_eq!(plan.precompile.len(), 1);
        assert_eq!(plan.services[0].after, Some(0));
    }
    let vendored = Case::new(ONE_SERVICE).files(VENDORED).ok();
    assert!(vendored.download.is_none());
    assert_eq!(vendored.precompile.len(), 0);
    assert_eq!(vendored.services[0].after, None);

    // With a cache to import, the standard library is a step of its own too, for its layer,
    // and the download step stays the one the Gofile's other builds run: a build exporting the
    // cache and one importing it share it.
    let same_download = |a: &Plan, b: &Plan| {
        assert_eq!(
            serde_json::to_value(a.download.as_ref().unwrap()).unwrap(),
            serde_json::to_value(b.download.as_ref().unwrap()).unwrap()
        );
    };
    same_download(&with_step, &plan);
    // Each target of a Gofile of several services keeps the step, and the targets (a `docker
    // buildx bake` of them) share one plain download step.
    let requiring_in = |gofile: &'static str| {
        Case {
            gomod: requiring().gomod,
            ..Case::new(gofile)
        }
        .files(SHOP)
    };
    let target = requiring_in(TWO_SERVICES).opt("target", "api").ok();
    assert_eq!(target.download.as_ref().unwrap().build_cache_id, None);
    assert_eq!(target.precompile[0].label, "stdlib");
    same_download(
        &requiring_in(TWO_SERVICES).opt("target", "test").ok(),
        &target,
    );

    // The test target of a Gofile of one service keeps its `[stdlib]` step and runs the image
    // build's download step, tests compiled with tags of their own or not: one step for both,
    // with a cache to import or without.
    let with_tests = "[services.api]\npackage = \"./cmd/api\"\ntags = [\"prod\"]\n[test]\ntags = [\"integration\"]\n";
    let image = requiring_in(with_tests).ok();
    let tests = requiring_in(with_tests).opt("target", "test").ok();
    let importing = requiring_in(with_tests)
        .opt("target", "test")
        .opt("cache-from", "localhost:5000/cache:main")
        .ok();
    // Tests of packages apart from the service's (`./internal/...`) too: the scan reaches
    // the service as well.
    let apart = requiring_in(
        "[services.api]\npackage = \"./cmd/api\"\ntags = [\"prod\"]\n[test]\npackages = [\"./internal/...\"]\n",
    )
    .opt("target", "test")
    .ok();
    assert!(image.download.as_ref().unwrap().build_cache_id.is_some());
    same_download(&tests, &image);
    same_download(&importing, &image);
    same_download(&apart, &image);
    assert_eq!(tests.precompile[0].label, "stdlib");
}

#[test]
fn services_compiled_differently_get_steps_of_their_own() {
    let tagged = Case::new(
        "[services.api]\npackage = \"./cmd/api\"\ntags = [\"prod\"]\n[services.worker]\npackage = \"./cmd/worker\"\n",
    )
    .files(SHOP)
    .opt("cache-from", "localhost:5000/cache:main")
    .ok();
    let labels: Vec<&str> = tagged.precompile.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        ["stdlib 1", "shared 1", "stdlib 2", "shared 2"],
        "each group compiles its modules ahead"
    );
    assert!(
        tagged.precompile[0]
            .command
            .args
            .contains(&"-tags=prod".to_string())
    );
    assert_eq!(tagged.services[0].after, Some(1));
    assert_eq!(tagged.services[1].after, Some(3));

    // Each group is one service: importing no cache, each waits for its own `[stdlib]` only.
    let local = Case::new(
        "[services.api]\npackage = \"./cmd/api\"\ntags = [\"prod\"]\n[services.worker]\npackage = \"./cmd/worker\"\n",
    )
    .files(SHOP)
    .ok();
    let labels: Vec<&str> = local.precompile.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["stdlib 1", "stdlib 2"]);
    assert_eq!(local.services[0].after, Some(0));
    assert_eq!(local.services[1].after, Some(1));
}

#[test]
fn unsure_analysis_falls_back_to_the_whole_context_and_says_why() {
    let mut files = SHOP.to_vec();
    files.push(("internal/api/cgo.go", "package api\nimport \"C\"\n"));
    files.push((
        "cmd/worker/gen.go",
        "package main\nimport \"example.com/shop/internal/generated\"\n",
    ));
    // A module the main module requires may provide the package (a nested module fetched
    // like any other): Go finds it there, the scan cannot.
    let plan = Case {
        gomod: "module example.com/shop\ngo 1.24\nrequire example.com/shop/internal/generated v1.0.0\n",
        ..Case::new(TWO_SERVICES)
    }
    .files(&files)
    .ok();
    assert_eq!(
        plan.services[0].files,
        StepFiles::Whole {
            reason: "internal/api uses cgo".into()
        }
    );
    assert_eq!(
        plan.services[0].build.name,
        "[api] go build ./cmd/api (whole context: internal/api uses cgo)"
    );
    assert_eq!(
        plan.services[1].files,
        StepFiles::Whole {
            reason: "`example.com/shop/internal/generated` is not in the build context".into()
        }
    );
    // The shared step still compiles what is certain, and leaves the cgo package out.
    let args = &plan.precompile[1].command.args;
    assert!(args.contains(&"example.com/shop/internal/greeting".to_string()));
    assert!(
        !args
            .iter()
            .any(|a| a == "example.com/shop/internal/api" || a == "C")
    );
}

#[test]
fn a_package_of_many_files_is_selected_as_its_directory() {
    // Case takes its files for the whole test run.
    let names: &'static [String] = (0..300)
        .map(|i| format!("internal/big/f{i}.go"))
        .collect::<Vec<_>>()
        .leak();
    let mut files: Vec<(&str, &str)> = names
        .iter()
        .map(|name| (name.as_str(), "package big\n"))
        .collect();
    files.push(("go.mod", "module example.com/shop\n"));
    files.push((
        "cmd/api/main.go",
        "package main\nimport \"example.com/shop/internal/big\"\n",
    ));
    let plan = Case::new("[services.api]\npackage = \"./cmd/api\"\n")
        .files(&files)
        .ok();
    let (files, dirs) = selected(&plan.services[0].files);
    assert_eq!(files, ["cmd/api/main.go", "go.mod"]);
    assert_eq!(dirs, ["internal/big"]);
}

#[test]
fn services_in_a_module_subdirectory_select_paths_from_the_context_root() {
    let plan = Case::new("module = \"svc\"\n[services.api]\npackage = \"./cmd/api\"\n")
        .files(&[
            ("svc/go.mod", "module example.com/shop\n"),
            (
                "svc/cmd/api/main.go",
                "package main\nimport \"example.com/shop/lib\"\n",
            ),
            ("svc/lib/lib.go", "package lib\n"),
        ])
        .ok();
    let (files, _) = selected(&plan.services[0].files);
    assert_eq!(
        files,
        ["svc/cmd/api/main.go", "svc/go.mod", "svc/lib/lib.go"]
    );
    assert_eq!(plan.services[0].build.cwd, "/src/svc");
}

// Vendored modules: no download, `-mod=vendor`, vendor/ in every step's context.

const VENDORED: &[(&str, &str)] = &[
    (
        "go.mod",
        "module example.com/shop\n\ngo 1.24\n\nrequire example.com/quote v1.1.0\n",
    ),
    (
        "cmd/api/main.go",
        "package main\nimport \"example.com/quote\"\n",
    ),
    (
        "cmd/worker/main.go",
        "package main\nimport \"example.com/quote\"\n",
    ),
    (
        "vendor/modules.txt",
        "# example.com/quote v1.1.0\n## explicit; go 1.21\nexample.com/quote\n",
    ),
    ("vendor/example.com/quote/quote.go", "package quote\n"),
];

#[test]
fn a_vendor_directory_replaces_the_download() {
    let plan = Case::new(TWO_SERVICES).files(VENDORED).ok();
    assert!(plan.download.is_none());
    let api = &plan.services[0];
    assert_eq!(api.build.args[5], "-mod=vendor");
    assert_eq!(selected(&api.files).1, ["vendor"]);
    let [shared] = plan.precompile.as_slice() else {
        panic!("only a shared step: no standard library imports")
    };
    assert_eq!(shared.command.args[4], "-mod=vendor");
    assert!(
        shared
            .command
            .args
            .contains(&"example.com/quote".to_string())
    );
    assert_eq!(selected(shared.files.as_ref().unwrap()).1, ["vendor"]);
}

#[test]
fn the_gofile_can_force_either_mode() {
    let modules = Case::new("vendor = false\n[services.api]\npackage = \"./cmd/api\"\n")
        .files(VENDORED)
        .ok();
    assert!(modules.download.is_some());
    assert_eq!(modules.services[0].build.args[5], "-mod=readonly");
    assert!(selected(&modules.services[0].files).1.is_empty());

    let mut without_vendor = VENDORED.to_vec();
    without_vendor.retain(|(path, _)| !path.starts_with("vendor/"));
    let case = Case::new("vendor = true\n[services.api]\npackage = \"./cmd/api\"\n")
        .files(&without_vendor);
    let diagnostics = case.gofile_error();
    assert_eq!(
        diagnostics.items[0].message,
        "`vendor = true`, but there is no vendor/modules.txt in the build context"
    );
    assert_eq!(
        diagnostics
            .file
            .position(diagnostics.items[0].span.start)
            .line,
        1
    );
}

#[test]
fn a_workspace_reaches_the_download_and_every_compile() {
    let files = [
        ("go.work", "go 1.24\nuse (\n\t./app\n\t./lib\n)\n"),
        ("go.work.sum", ""),
        ("app/go.mod", "module example.com/shop\ngo 1.24\n"),
        ("app/go.sum", ""),
        (
            "app/cmd/api/main.go",
            "package main\nimport \"example.com/lib\"\n",
        ),
        ("lib/go.mod", "module example.com/lib\n"),
        ("lib/lib.go", "package lib\n"),
        ("lib/README.md", "not Go"),
    ];
    let text = "module = \"./app\"\n[services.api]\npackage = \"./cmd/api\"\n";
    let plan = Case::new(text).files(&files).ok();
    let download = plan.download.as_ref().unwrap();
    assert_eq!(
        download.inputs,
        [
            "app/go.mod",
            "app/go.sum",
            "go.work",
            "go.work.sum",
            "lib/go.mod"
        ]
    );
    assert_eq!(env_value(&download.command, "GOWORK"), Some("/src/go.work"));
    let api = &plan.services[0];
    assert_eq!(env_value(&api.build, "GOWORK"), Some("/src/go.work"));
    let StepFiles::Selected {
        files: selected, ..
    } = &api.files
    else {
        panic!("{:?}", api.files)
    };
    assert_eq!(
        selected,
        &[
            "app/cmd/api/main.go",
            "app/go.mod",
            "app/go.sum",
            "go.work",
            "go.work.sum",
            "lib/README.md",
            "lib/go.mod",
            "lib/lib.go"
        ]
    );

    let ignored = Case::new(
        "workspace = false\nmodule = \"./app\"\n[services.api]\npackage = \"./cmd/api\"\n",
    )
    .files(&files)
    .ok();
    let download = ignored.download.as_ref().unwrap();
    assert_eq!(download.inputs, ["app/go.mod", "app/go.sum"]);
    assert_eq!(env_value(&download.command, "GOWORK"), Some("off"));
}

#[test]
fn workspace_true_requires_a_go_work() {
    let err = Case::new("workspace = true\n[services.api]\npackage = \".\"\n")
        .plan()
        .unwrap_err();
    assert_eq!(
        err.to_string().lines().next(),
        Some(
            "Gofile:1:13: `workspace = true`, but there is no go.work in `.` or above it in the build context"
        )
    );
}

#[test]
fn vcs_stamps_are_opt_in_and_bring_git_into_the_step() {
    let files = [
        ("go.mod", "module example.com/shop\ngo 1.24\n"),
        ("main.go", "package main\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
    ];
    let plain = Case::new("[services.api]\npackage = \".\"\n")
        .files(&files)
        .ok();
    let api = &plain.services[0];
    assert!(api.build.args.contains(&"-buildvcs=false".to_string()));
    let StepFiles::Selected { dirs, .. } = &api.files else {
        panic!("{:?}", api.files)
    };
    assert!(dirs.is_empty(), "no .git without buildvcs: {dirs:?}");

    let stamped = Case::new("[build]\nbuildvcs = true\n[services.api]\npackage = \".\"\n")
        .files(&files)
        .ok();
    let api = &stamped.services[0];
    assert!(api.build.args.contains(&"-buildvcs=true".to_string()));
    assert_eq!(env_value(&api.build, "GIT_CONFIG_VALUE_0"), Some("*"));
    assert_eq!(
        api.files,
        StepFiles::Whole {
            reason: "buildvcs stamps the whole checkout".into()
        }
    );

    let err = Case::new("[services.api]\npackage = \".\"\nbuildvcs = true\n")
        .plan()
        .unwrap_err();
    assert_eq!(
        err.to_string().lines().next(),
        Some(
            "Gofile:3:12: `buildvcs = true`, but there is no .git directory in `.` or above it in the build context"
        )
    );
}

#[test]
fn the_cgo_base_follows_the_builder_s_debian_release() {
    let text = "[services.c]\npackage = \".\"\ncgo = true\n";
    let source = TextFile::new("Gofile", text);
    let options = BuildOptions::default();
    let gofile = gofile::parse(&source, &options.build_args).unwrap();
    let gomod = GoMod::parse(&TextFile::new("go.mod", "module m\ngo 1.24\n")).unwrap();
    let tree = SourceTree::unscanned(
        ModuleLayout::single("m", "."),
        &crate::gosource::ScanRoots::packages(vec![".".into()]),
        "test",
    );
    let plan_with = |builder: &BuilderConfig, options: &BuildOptions| {
        let inputs = PlanInputs {
            gofile: &gofile,
            gofile_source: &source,
            gomod: &gomod,
            options,
            builder_image: "docker.io/library/golang:1.24",
            builder,
            build_platform: Platform::linux("amd64"),
            excludes: vec![],
            scan: &tree,
            context_files: &BTreeMap::new(),
        };
        plan(&inputs, Platform::linux("amd64"))
    };
    let bookworm =
        BuilderConfig::official_golang().with_os_release("ID=debian\nVERSION_ID=\"12\"\n");
    assert_eq!(
        plan_with(&bookworm, &options).unwrap().services[0].base,
        Base::Image("gcr.io/distroless/base-debian12:nonroot".into())
    );

    let alpine = BuilderConfig::official_golang().with_os_release("ID=alpine\nVERSION_ID=3.22.1\n");
    let err = plan_with(&alpine, &options).unwrap_err();
    assert_eq!(
        err.to_string().lines().next(),
        Some(
            "Gofile:1:11: service `c` uses cgo, and the builder image is not Debian, so no distroless base has its C library"
        )
    );

    let mirrored = BuildOptions::from_pairs([(
        "context:gcr.io/distroless/base-debian12:nonroot",
        "docker-image://localhost:5000/distroless/base-debian12:nonroot",
    )])
    .unwrap();
    assert_eq!(
        plan_with(&bookworm, &mirrored).unwrap().services[0].base,
        Base::Image("localhost:5000/distroless/base-debian12:nonroot".into()),
        "a named context takes the place of the image it names"
    );
}

#[test]
fn goflags_from_a_build_arg_reach_the_download_and_every_compile() {
    let text = "[services.a]\npackage = \"./a\"\n[services.b]\npackage = \"./b\"\n";
    let plan = Case::new(text)
        .opt("build-arg:GOFLAGS", "-tags=netgo -p=1")
        .ok();
    let download = plan.download.as_ref().unwrap();
    assert_eq!(
        env_value(&download.command, "GOFLAGS"),
        Some("-modcacherw -tags=netgo -p=1")
    );
    for service in &plan.services {
        assert_eq!(
            env_value(&service.build, "GOFLAGS"),
            Some("-tags=netgo -p=1")
        );
    }
    for step in &plan.precompile {
        assert_eq!(
            env_value(&step.command, "GOFLAGS"),
            Some("-tags=netgo -p=1")
        );
    }
    let plain = Case::new(text).ok();
    assert_eq!(env_value(&plain.services[0].build, "GOFLAGS"), Some(""));
}

#[test]
fn oci_labels_come_from_the_gofile_and_build_args_under_explicit_labels() {
    let text = "source = \"https://example.com/shop.git\"\n[services.api]\npackage = \".\"\ndescription = \"The API\"\nlabels = { \"org.opencontainers.image.version\" = \"from-gofile\" }\n[services.worker]\npackage = \".\"\n";
    let plan = Case::new(text)
        .opt("build-arg:VERSION", "1.2.3")
        .opt("build-arg:REVISION", "abc123")
        .opt("label:org.opencontainers.image.revision", "from-cli")
        .ok();
    let label = |service: usize, name: &str| {
        plan.services[service]
            .image
            .labels
            .get(&format!("org.opencontainers.image.{name}"))
            .cloned()
    };
    assert_eq!(label(0, "title").as_deref(), Some("api"));
    assert_eq!(label(1, "title").as_deref(), Some("worker"));
    assert_eq!(label(0, "description").as_deref(), Some("The API"));
    assert_eq!(label(1, "description"), None);
    assert_eq!(label(0, "version").as_deref(), Some("from-gofile"));
    assert_eq!(label(1, "version").as_deref(), Some("1.2.3"));
    assert_eq!(label(0, "revision").as_deref(), Some("from-cli"));
    assert_eq!(
        label(0, "source").as_deref(),
        Some("https://example.com/shop.git")
    );
}

#[test]
fn a_module_that_requires_nothing_downloads_offline() {
    let text = "[services.api]\npackage = \".\"\n";
    let plan = Case::new(text).opt("force-network-mode", "host").ok();
    assert_eq!(
        plan.download.as_ref().unwrap().command.network,
        NetworkMode::None
    );
}

#[test]
fn compiled_packages_travel_in_layers_unless_turned_off() {
    let seeds =
        |command: &Command| env_value(command, "GOFRONTEND_SEED_DIR") == Some(CACHE_SEED_DIR);
    let files: &[(&str, &str)] = &[
        ("go.mod", "module example.com/shop\n\ngo 1.24\n"),
        (
            "cmd/api/main.go",
            "package main\nimport (\n\"fmt\"\n\"example.com/shop/lib\"\n)\n",
        ),
        (
            "cmd/worker/main.go",
            "package main\nimport (\n\"os\"\n\"example.com/shop/lib\"\n)\n",
        ),
        ("lib/lib.go", "package lib\nimport \"strings\"\n"),
    ];
    let plan = Case::new(TWO_SERVICES).files(files).ok();
    assert!(plan.cache_layers);
    assert_eq!(plan.precompile.len(), 2, "stdlib and shared");
    assert!(plan.precompile.iter().all(|step| seeds(&step.command)));
    assert!(plan.services.iter().all(|s| seeds(&s.build)));
    // Each precompile step has a GOCACHE of its own, the services share one.
    let ids: std::collections::BTreeSet<&str> = plan
        .precompile
        .iter()
        .map(|s| s.build_cache_id.as_str())
        .chain(plan.services.iter().map(|s| s.build_cache_id.as_str()))
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(plan.precompile[0].build_cache_id.contains(":stdlib:"));

    let off = Case::new(TWO_SERVICES)
        .files(files)
        .opt("build-arg:GOFRONTEND_CACHE_LAYERS", "false")
        .ok();
    assert!(!off.cache_layers);
    assert!(
        off.precompile
            .iter()
            .all(|s| s.build_cache_id == off.services[0].build_cache_id)
    );
    assert!(off.precompile.iter().all(|s| !seeds(&s.command)
        && env_value(&s.command, "GOFRONTEND_OUTPUT_DIR") == Some(PRECOMPILE_OUTPUT_DIR)));
    assert!(off.services.iter().all(|s| !seeds(&s.build)));
}

#[test]
fn a_service_sharing_nothing_waits_only_for_the_standard_library() {
    let gofile = "[services.api]\npackage = \"./cmd/api\"\n[services.worker]\npackage = \"./cmd/worker\"\n[services.tool]\npackage = \"./cmd/tool\"\n";
    let plan = Case::new(gofile)
        .files(&[
            ("go.mod", "module example.com/shop\n\ngo 1.24\n"),
            (
                "cmd/api/main.go",
                "package main\nimport (\n\"fmt\"\n\"example.com/shop/lib\"\n)\n",
            ),
            (
                "cmd/worker/main.go",
                "package main\nimport \"example.com/shop/lib\"\n",
            ),
            ("cmd/tool/main.go", "package main\nimport \"os\"\n"),
            ("lib/lib.go", "package lib\nimport \"strings\"\n"),
        ])
        .ok();
    assert_eq!(plan.precompile.len(), 2, "stdlib and shared");
    let after: Vec<Option<usize>> = plan.services.iter().map(|s| s.after).collect();
    assert_eq!(after, [Some(1), Some(1), Some(0)]);
}

/// What the scan shows would build an image that cannot start, or a compile that can only
/// fail, is refused with the service's line.
mod refused {
    use super::*;

    fn headlines(case: Case) -> Vec<String> {
        case.gofile_error().headlines()
    }

    #[test]
    fn a_library_as_the_service_package() {
        let case = Case::new("[services.api]\npackage = \"./internal/api\"\n").files(SHOP);
        assert_eq!(
            headlines(case),
            [
                "Gofile:2:11: service `api` builds `./internal/api`, which is `package api`, not a command: its image would hold no program"
            ]
        );
    }

    #[test]
    fn a_package_directory_that_is_missing_or_ignored() {
        let missing = Case::new("[services.api]\npackage = \"./cmd/nope\"\n").files(SHOP);
        assert_eq!(
            headlines(missing),
            [
                "Gofile:2:11: service `api` builds `./cmd/nope`, and `cmd/nope` is not in the build context: there is no directory `cmd/nope`"
            ]
        );
        let ignored = Case::new(TWO_SERVICES)
            .files(SHOP)
            .excludes(&["cmd/worker"]);
        let diagnostics = ignored.gofile_error();
        assert_eq!(
            diagnostics.headlines(),
            [
                "Gofile:4:11: service `worker` builds `./cmd/worker`, and `cmd/worker` is not in the build context: .dockerignore excludes `cmd/worker`"
            ]
        );
        assert!(
            diagnostics
                .to_string()
                .contains("add `!cmd/worker` after it")
        );
        let empty = Case::new("[services.api]\npackage = \"./cmd\"\n").files(SHOP);
        assert_eq!(
            headlines(empty),
            [
                "Gofile:2:11: service `api` builds `./cmd`, which has no Go files (its directories: api, worker)"
            ]
        );
    }

    #[test]
    fn an_imported_package_that_is_ignored() {
        let case = Case::new(TWO_SERVICES)
            .files(SHOP)
            .excludes(&["internal/api"]);
        assert_eq!(
            headlines(case),
            [
                "Gofile:2:11: service `api` imports `example.com/shop/internal/api` (in cmd/api), and `internal/api` is not in the build context: .dockerignore excludes `internal/api`"
            ]
        );
    }

    #[test]
    fn cgo_code_without_cgo() {
        let mut files = SHOP.to_vec();
        files.push(("internal/greeting/c.go", "package greeting\nimport \"C\"\n"));
        // One file imports "C", another does not: with cgo off Go builds the other.
        assert!(Case::new(TWO_SERVICES).files(&files).plan().is_ok());
        let files: Vec<_> = files
            .into_iter()
            .filter(|(path, _)| !path.starts_with("internal/greeting/greeting"))
            .collect();
        let case = Case::new(TWO_SERVICES).files(&files);
        assert_eq!(
            headlines(case),
            [
                "Gofile:2:11: service `api` builds without cgo, and every Go file of internal/greeting imports \"C\"",
                "Gofile:4:11: service `worker` builds without cgo, and every Go file of internal/greeting imports \"C\""
            ]
        );
        let with_cgo = Case::new("[build]\ncgo = true\n[services.api]\npackage = \"./cmd/api\"\n")
            .files(&files);
        assert!(with_cgo.plan().is_ok());
    }

    #[test]
    fn two_binaries_of_one_name_in_one_build() {
        let text = "[services.api]\npackage = \"./cmd/api\"\nbinary = \"app\"\n[services.worker]\npackage = \"./cmd/worker\"\nbinary = \"app\"\n";
        assert_eq!(
            headlines(Case::new(text).files(SHOP)),
            [
                "Gofile:4:11: services `api` and `worker` both build the binary `app`, and this build puts both in /usr/local/bin of one image: one would replace the other"
            ]
        );
        // Each image of its own holds one binary.
        assert!(
            Case::new(text)
                .files(SHOP)
                .opt("target", "worker")
                .plan()
                .is_ok()
        );
    }

    #[test]
    fn module_files_left_out_by_dockerignore() {
        const GOMOD: &str =
            "module example.com/shop\ngo 1.24\nrequire github.com/acme/text v1.0.0\n";
        let mut files = SHOP.to_vec();
        files[0] = ("go.mod", GOMOD);
        for (pattern, path) in [("go.mod", "go.mod"), ("*.sum", "go.sum")] {
            let case = Case {
                gomod: GOMOD,
                ..Case::new(TWO_SERVICES)
            };
            match case.files(&files).excludes(&[pattern, "README.md"]).plan() {
                Err(PlanError::Input(message)) => assert_eq!(
                    message,
                    format!(
                        ".dockerignore excludes `{path}`, which the module download and every compile need; remove the pattern that matches it, or add `!{path}` after it"
                    )
                ),
                other => panic!("expected an input error, got {:?}", other.map(|p| p.result)),
            }
        }
    }
}

#[test]
fn named_contexts_that_replace_nothing_are_refused() {
    for (key, hint) in [
        ("context:golnag", "did you mean `golang`?"),
        ("context:builder", ""),
    ] {
        match Case::new(TWO_SERVICES)
            .opt(key, "docker-image://localhost:5000/golang:1.24")
            .plan()
        {
            Err(PlanError::Option(err)) => {
                assert_eq!(err.key, key);
                assert!(err.message.contains(hint), "{}", err.message);
                assert!(
                    err.message.contains("docker.io/library/golang:1.24"),
                    "{}",
                    err.message
                );
            }
            other => panic!(
                "expected an option error, got {:?}",
                other.map(|p| p.result)
            ),
        }
    }
    let by_reference = Case::new(TWO_SERVICES)
        .opt(
            "context:gcr.io/distroless/static-debian12:nonroot",
            "docker-image://localhost:5000/static:nonroot",
        )
        .ok();
    assert_eq!(
        by_reference.services[0].base,
        Base::Image("localhost:5000/static:nonroot".into())
    );
}

#[test]
fn an_image_config_too_large_for_the_result_is_refused_with_its_key() {
    let labels: String = (0..40_000)
        .map(|n| format!("\"team.example.com/label-{n}\" = \"{}\"\n", "x".repeat(80)))
        .collect();
    let text: &'static str = Box::leak(
        format!("[services.api]\npackage = \"./cmd/api\"\n[services.api.labels]\n{labels}")
            .into_boxed_str(),
    );
    let diagnostics = Case::new(text).gofile_error();
    let headline = &diagnostics.headlines()[0];
    assert!(
        headline.starts_with("Gofile:1:11: the image config of service `api` is "),
        "{headline}"
    );
    assert!(
        headline.contains("more than the 3670016 bytes (3.5 MiB)"),
        "{headline}"
    );
    assert!(headline.contains("`labels` holds"), "{headline}");
    assert!(headline.ends_with("in 40001 entries"), "{headline}");
}

#[test]
fn a_user_name_on_scratch_is_refused_and_numbers_work() {
    let named =
        Case::new("base = \"scratch\"\n[services.api]\npackage = \".\"\nuser = \"nonroot\"\n");
    assert_eq!(
        named.gofile_error().headlines(),
        [
            "Gofile:2:11: service `api` runs as user `nonroot` on scratch, which has no /etc/passwd to find that name in"
        ]
    );
    let numeric =
        Case::new("base = \"scratch\"\n[services.api]\npackage = \".\"\nuser = \"65532:65532\"\n");
    assert!(numeric.plan().is_ok());
}

#[test]
fn the_entrypoint_and_health_check_run_the_binary_and_nothing_else() {
    let text = "[services.api]\npackage = \".\"\nentrypoint = [\"api\", \"serve\"]\nargs = [\"--port\", \"8080\"]\nhealthcheck = { command = [\"/usr/local/bin/api\", \"-health\"], interval = \"5s\", retries = 2 }\n";
    let plan = Case::new(text).ok();
    let image = &plan.services[0].image;
    assert_eq!(image.entrypoint, ["/usr/local/bin/api", "serve"]);
    assert_eq!(
        image.healthcheck,
        Some(HealthcheckConfig {
            command: vec!["/usr/local/bin/api".into(), "-health".into()],
            interval_ns: Some(5_000_000_000),
            timeout_ns: None,
            start_period_ns: None,
            retries: Some(2),
        })
    );

    let elsewhere = Case::new(
        "[services.api]\npackage = \".\"\nentrypoint = [\"/bin/sh\", \"-c\", \"api\"]\nhealthcheck = { command = [\"curl\", \"-f\", \"http://localhost/\"] }\n",
    );
    assert_eq!(
        elsewhere.gofile_error().headlines(),
        [
            "Gofile:3:15: `/bin/sh` in `entrypoint` of service `api` is not a program its image holds: it holds `/usr/local/bin/api` on its base",
            "Gofile:4:28: `curl` in `healthcheck.command` of service `api` is not a program its image holds: it holds `/usr/local/bin/api` on its base",
        ]
    );
}

#[test]
fn an_image_holds_the_binaries_it_includes_compiled_in_the_same_build() {
    let text = "[services.api]\npackage = \"./cmd/api\"\ninclude_binaries = [\"migrate\"]\nentrypoint = [\"migrate\", \"--then-serve\"]\nhealthcheck = { command = [\"/usr/local/bin/migrate\", \"--status\"] }\n[services.migrate]\npackage = \"./cmd/migrate\"\n[services.worker]\npackage = \"./cmd/worker\"\n";
    let plan = Case::new(text).opt("target", "api").ok();
    let names: Vec<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "migrate"], "the worker is not built");
    let api = &plan.services[0];
    assert_eq!(api.include_binaries, ["migrate"]);
    assert_eq!(
        api.image.entrypoint,
        ["/usr/local/bin/migrate", "--then-serve"]
    );
    let definition = crate::lower::lower(&plan, &Default::default());
    let names: Vec<String> = definition
        .ops()
        .unwrap()
        .iter()
        .filter_map(|op| {
            op.metadata
                .as_ref()?
                .description
                .get("llb.customname")
                .cloned()
        })
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("[api] copy api, migrate onto")),
        "one copy puts both binaries in the image: {names:?}"
    );
}

const WITH_FILES: &[(&str, &str)] = &[
    ("go.sum", ""),
    ("cmd/api/main.go", "package main\n"),
    ("web/dist/index.html", "<h1>hi</h1>\n"),
    ("web/dist/css/site.css", "h1 {}\n"),
    ("deploy/config.yaml", "port: 8080\n"),
];

#[test]
fn files_are_copied_with_every_mode_and_owner_set() {
    let text = "[services.api]\npackage = \"./cmd/api\"\n[services.api.files]\n\"/srv/static/\" = \"./web/dist\"\n\"/etc/api/config.yaml\" = { source = \"deploy/config.yaml\", mode = \"0640\", owner = \"65532\" }\n";
    let plan = Case::new(text).files(WITH_FILES).ok();
    let copies: Vec<(Option<&str>, &str, u32)> = plan.services[0]
        .image_files
        .iter()
        .map(|c| (c.source.as_deref(), c.dest.as_str(), c.mode))
        .collect();
    assert_eq!(
        copies,
        [
            (Some("deploy/config.yaml"), "/etc/api/config.yaml", 0o640),
            (None, "/srv/static", 0o755),
            (None, "/srv/static/css", 0o755),
            (
                Some("web/dist/css/site.css"),
                "/srv/static/css/site.css",
                0o644
            ),
            (Some("web/dist/index.html"), "/srv/static/index.html", 0o644),
        ]
    );
    let owners: Vec<&crate::llb::Owner> = plan.services[0]
        .image_files
        .iter()
        .map(|c| &c.owner)
        .collect();
    assert_eq!(
        owners[0],
        &crate::llb::Owner::Ids {
            uid: 65532,
            gid: 65532
        }
    );
    assert_eq!(owners[1], &crate::llb::Owner::Ids { uid: 0, gid: 0 });
}

#[test]
fn files_leave_every_compile_step_as_it_was() {
    let compiles = |text: &'static str| {
        let plan = Case::new(text).files(WITH_FILES).ok();
        let definition = crate::lower::lower(&plan, &Default::default());
        let ops = definition.ops().unwrap();
        let named = |op: &crate::llb::DumpedOp| {
            op.metadata
                .as_ref()
                .and_then(|m| m.description.get("llb.customname").cloned())
                .unwrap_or_default()
        };
        let compiles: Vec<String> = ops
            .iter()
            .filter(|op| named(op).contains("go build"))
            .map(|op| op.digest.clone())
            .collect();
        let copies: Vec<String> = ops
            .iter()
            .map(named)
            .filter(|n| n.contains(" onto "))
            .collect();
        (compiles, copies)
    };
    let (without, _) = compiles("[services.api]\npackage = \"./cmd/api\"\n");
    let (with, copies) = compiles(
        "[services.api]\npackage = \"./cmd/api\"\nfiles = { \"/srv/static\" = \"web/dist\" }\n",
    );
    assert!(!without.is_empty());
    assert_eq!(without, with);
    assert!(
        copies
            .iter()
            .any(|n| n.contains("copy 4 files and directories onto")),
        "{copies:?}"
    );
}

/// The final image's top op and the inputs of each op, by progress name.
fn image_ops(plan: &Plan) -> Vec<(String, Option<&'static str>, Vec<String>)> {
    let ops = crate::lower::lower(plan, &Default::default())
        .ops()
        .unwrap();
    let name_of = |digest: &str| {
        ops.iter()
            .find(|op| op.digest == digest)
            .and_then(|op| {
                op.metadata
                    .as_ref()?
                    .description
                    .get("llb.customname")
                    .cloned()
            })
            .unwrap_or_default()
    };
    ops.iter()
        .filter_map(|op| {
            let kind = match op.op.op.as_ref()? {
                crate::llb::pb::op::Op::Merge(_) => Some("merge"),
                crate::llb::pb::op::Op::File(_) => Some("file"),
                _ => None,
            };
            let inputs = op.op.inputs.iter().map(|i| name_of(&i.digest)).collect();
            Some((name_of(&op.digest), kind, inputs))
        })
        .filter(|(name, _, _)| name.starts_with("[api] "))
        .collect()
}

#[test]
fn the_binaries_layer_is_merged_over_the_files_where_the_engine_merges() {
    let text =
        "[services.api]\npackage = \"./cmd/api\"\nfiles = { \"/srv/static\" = \"web/dist\" }\n";
    let mut plan = Case::new(text).files(WITH_FILES).ok();
    assert!(plan.engine.merge_op, "a current engine is assumed");
    let merged = image_ops(&plan);
    let copy = merged
        .iter()
        .find(|(name, _, _)| name.starts_with("[api] copy api onto"))
        .unwrap();
    // Copied onto nothing: the binary's layer does not depend on the files.
    assert_eq!(copy.0, "[api] copy api onto scratch");
    assert_eq!(copy.2, ["[api] go build ./cmd/api"]);
    let top = merged.last().unwrap();
    assert_eq!(top.1, Some("merge"));
    assert!(top.2[0].contains("files and directories onto"), "{top:?}");
    assert_eq!(top.2[1], "[api] copy api onto scratch");

    // BuildKit v0.8 has no merge op: the binary is copied onto the files.
    plan.engine.merge_op = false;
    let chained = image_ops(&plan);
    assert!(chained.iter().all(|(_, kind, _)| *kind != Some("merge")));
    let top = chained.last().unwrap();
    assert!(top.0.starts_with("[api] copy api onto "), "{top:?}");
    assert!(
        top.2
            .iter()
            .any(|i| i.contains("files and directories onto"))
    );

    // Without files there is nothing to merge over.
    let plain = image_ops(&Case::new("[services.api]\npackage = \"./cmd/api\"\n").ok());
    assert!(plain.iter().all(|(_, kind, _)| *kind != Some("merge")));
}

/// The op whose progress name starts with `prefix`.
fn op_named<'a>(ops: &'a [crate::llb::DumpedOp], prefix: &str) -> &'a crate::llb::DumpedOp {
    ops.iter()
        .find(|op| {
            op.metadata
                .as_ref()
                .and_then(|m| m.description.get("llb.customname"))
                .is_some_and(|name| name.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no op named {prefix}..."))
}

/// The exec op whose progress name starts with `prefix`, and its exec.
fn exec_named<'a>(
    ops: &'a [crate::llb::DumpedOp],
    prefix: &str,
) -> (&'a crate::llb::DumpedOp, &'a crate::llb::pb::ExecOp) {
    let step = op_named(ops, prefix);
    let Some(crate::llb::pb::op::Op::Exec(exec)) = &step.op.op else {
        panic!("{prefix}... is not an exec")
    };
    (step, exec)
}

/// The copy actions of the op selecting `service`'s files: each source and its patterns.
fn selection(plan: &Plan, service: &str) -> Vec<(String, Vec<String>)> {
    let ops = crate::lower::lower(plan, &Default::default())
        .ops()
        .unwrap();
    let select = op_named(&ops, &format!("[{service}] select "));
    let Some(crate::llb::pb::op::Op::File(file)) = &select.op.op else {
        panic!("the selection is not a file op")
    };
    file.actions
        .iter()
        .filter_map(|action| match &action.action {
            Some(crate::llb::pb::file_action::Action::Copy(copy)) => {
                Some((copy.src.clone(), copy.include_patterns.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_step_selects_a_package_directory_at_a_time_where_the_engine_copies_by_pattern() {
    let mut files = SHOP.to_vec();
    files.push(("internal/api/[v2]*.go", "package api\n"));
    let mut plan = Case::new(TWO_SERVICES).files(&files).ok();
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        selection(&plan, "api"),
        [
            ("/".to_string(), strings(&["go.mod", "go.sum"])),
            ("/cmd/api".to_string(), strings(&["main.go"])),
            (
                "/internal/api".to_string(),
                strings(&["\\[v2]\\*.go", "api.go"])
            ),
            (
                "/internal/greeting".to_string(),
                strings(&["greeting.go", "greeting_windows.go"])
            ),
        ],
        "test files and other files of the directories stay out, glob characters are literal"
    );
    // BuildKit v0.8 copies no patterns: a file at a time.
    plan.engine.copy_patterns = false;
    let one_by_one = selection(&plan, "api");
    assert_eq!(one_by_one.len(), 7);
    assert!(one_by_one.iter().all(|(_, patterns)| patterns.is_empty()));
    assert!(one_by_one.contains(&("/internal/api/api.go".to_string(), Vec::new())));
}

/// What the step of `service` mounts under the source directory, in mount order: each mount's
/// destination, its copies (source, destination) and the directories it makes.
type SourceMount = (String, Vec<(String, String)>, Vec<String>);

fn source_mounts(plan: &Plan, service: &str) -> Vec<SourceMount> {
    use crate::llb::pb::{file_action::Action, op::Op};
    let ops = crate::lower::lower(plan, &Default::default())
        .ops()
        .unwrap();
    let (step, exec) = exec_named(&ops, &format!("[{service}] go build"));
    exec.mounts
        .iter()
        .filter(|m| m.dest == SOURCE_DIR || m.dest.starts_with(&format!("{SOURCE_DIR}/")))
        .map(|mount| {
            let digest = &step.op.inputs[mount.input as usize].digest;
            let input = ops.iter().find(|op| &op.digest == digest).unwrap();
            let Some(Op::File(file)) = &input.op.op else {
                panic!("{} is not mounted from a file op", mount.dest)
            };
            let mut copies = Vec::new();
            let mut made = Vec::new();
            for action in &file.actions {
                match &action.action {
                    Some(Action::Copy(copy)) => copies.push((copy.src.clone(), copy.dest.clone())),
                    Some(Action::Mkdir(mkdir)) => made.push(mkdir.path.clone()),
                    _ => {}
                }
            }
            (mount.dest.clone(), copies, made)
        })
        .collect()
}

/// `count` Go files of package `name` in `dir`, for contexts larger than the fixtures.
fn package_files(dir: &str, name: &str, count: usize) -> Vec<(&'static str, &'static str)> {
    (0..count)
        .map(|i| {
            let path: &'static str = Box::leak(format!("{dir}/f{i}.go").into_boxed_str());
            let text: &'static str = Box::leak(format!("package {name}\n").into_boxed_str());
            (path, text)
        })
        .collect()
}

#[test]
fn a_large_selection_is_mounted_in_parts_each_copied_to_its_own_root() {
    let mut imports = String::new();
    let mut files = vec![
        ("go.mod", "module example.com/shop\n\ngo 1.24.2\n"),
        ("go.sum", ""),
    ];
    for (dir, count) in [
        ("internal/a/x/p0", 150),
        ("internal/a/x/p1", 150),
        ("internal/a/y/p0", 150),
        ("internal/a/y/p1", 150),
        ("internal/b/p0", 120),
        ("internal/b/p1", 120),
        // More files than the plan copies one by one, and no subdirectory: copied whole.
        ("internal/huge", 300),
    ] {
        let name = dir.rsplit('/').next().unwrap();
        files.extend(package_files(dir, name, count));
        imports.push_str(&format!("import _ \"example.com/shop/{dir}\"\n"));
    }
    let main: &'static str = Box::leak(format!("package main\n{imports}").into_boxed_str());
    files.push(("cmd/api/main.go", main));
    let plan = Case::new("[services.api]\npackage = \"./cmd/api\"\n")
        .files(&files)
        .ok();
    let mounts = source_mounts(&plan, "api");
    let dests: Vec<&str> = mounts.iter().map(|(dest, _, _)| dest.as_str()).collect();
    assert_eq!(
        dests,
        [
            "/src",
            "/src/internal/a",
            "/src/internal/a/x",
            "/src/internal/huge"
        ],
        "parents mounted before the parts inside them"
    );
    let copied = |dest: &str| -> Vec<(String, String)> {
        let mount = mounts.iter().find(|(d, _, _)| d == dest).unwrap();
        mount.1.clone()
    };
    let made = |dest: &str| mounts.iter().find(|(d, _, _)| d == dest).unwrap().2.clone();
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(src, dest)| (src.to_string(), dest.to_string()))
            .collect()
    };
    assert_eq!(
        copied("/src"),
        pairs(&[
            ("/", "/"),
            ("/cmd/api", "/cmd/api"),
            ("/internal/b/p0", "/internal/b/p0"),
            ("/internal/b/p1", "/internal/b/p1"),
        ])
    );
    assert_eq!(made("/src"), ["/internal/a", "/internal/huge"]);
    assert_eq!(
        copied("/src/internal/a"),
        pairs(&[("/internal/a/y/p0", "/y/p0"), ("/internal/a/y/p1", "/y/p1")])
    );
    assert_eq!(made("/src/internal/a"), ["/x"]);
    assert_eq!(
        copied("/src/internal/a/x"),
        pairs(&[("/internal/a/x/p0", "/p0"), ("/internal/a/x/p1", "/p1")])
    );
    assert_eq!(
        copied("/src/internal/huge"),
        pairs(&[("/internal/huge", "/")])
    );
}

/// How the step whose progress name starts with `step` keys each read-only mount holding an
/// op's output, by destination, and whether the op asks the engine for the cap that needs.
fn mount_keying(
    plan: &Plan,
    step: &str,
) -> (Vec<(String, crate::llb::pb::MountContentCache)>, bool) {
    use crate::llb::pb::MountType;
    let ops = crate::lower::lower(plan, &Default::default())
        .ops()
        .unwrap();
    let (found, exec) = exec_named(&ops, step);
    let keying = exec
        .mounts
        .iter()
        .filter(|m| m.readonly && m.input >= 0 && m.mount_type == MountType::Bind as i32)
        .map(|m| (m.dest.clone(), m.content_cache()))
        .collect();
    let asks = found
        .metadata
        .as_ref()
        .is_some_and(|m| m.caps.contains_key(crate::llb::CAP_MOUNT_CONTENT_CACHE));
    (keying, asks)
}

#[test]
fn precompiled_layers_are_keyed_on_their_step_where_the_engine_can() {
    use crate::llb::pb::MountContentCache::{Default as Checksum, Off};
    let mut plan = Case::new(TWO_SERVICES).files(SHOP).ok();
    let seeds = |keying: &[(String, crate::llb::pb::MountContentCache)]| -> Vec<_> {
        keying
            .iter()
            .filter(|(dest, _)| dest.starts_with(CACHE_SEED_DIR))
            .map(|(_, cache)| *cache)
            .collect()
    };
    let (keying, asks) = mount_keying(&plan, "[api] go build");
    assert_eq!(
        seeds(&keying),
        [Off, Off],
        "[shared] and [stdlib]: {keying:?}"
    );
    assert!(asks);
    // The modules and the sources stay keyed on their content: a download run again for
    // other fetch settings writes the same modules, and nothing after it runs again.
    assert!(
        keying
            .iter()
            .filter(|(dest, _)| !dest.starts_with(CACHE_SEED_DIR))
            .all(|(_, cache)| *cache == Checksum),
        "{keying:?}"
    );
    assert!(keying.iter().any(|(dest, _)| dest == MODULES_DIR));

    let (keying, _) = mount_keying(&plan, "[shared] go build");
    assert_eq!(seeds(&keying), [Off], "[stdlib] under [shared]: {keying:?}");

    plan.engine.op_keyed_mounts = false;
    let (keying, asks) = mount_keying(&plan, "[api] go build");
    assert_eq!(seeds(&keying), [Checksum, Checksum]);
    assert!(!asks);

    // Without the layers a step waits on a constant marker, whose checksum is what keeps the
    // services cached when a precompile step runs again.
    let plan = Case::new(TWO_SERVICES)
        .files(SHOP)
        .opt("build-arg:GOFRONTEND_CACHE_LAYERS", "false")
        .ok();
    let (keying, asks) = mount_keying(&plan, "[api] go build");
    assert!(
        keying
            .iter()
            .any(|(dest, cache)| dest == WAIT_MARKER_DIR && *cache == Checksum),
        "{keying:?}"
    );
    assert!(!asks);
}

#[test]
fn an_engine_without_copy_patterns_mounts_the_whole_context_past_256_files() {
    let selected = |n: usize| StepFiles::Selected {
        files: (0..n).map(|i| format!("pkg/f{i}.go")).collect(),
        dirs: Vec::new(),
        packages: 1,
    };
    let v0_8 = Engine {
        merge_op: false,
        copy_patterns: false,
        op_keyed_mounts: false,
    };
    assert_eq!(selected(256).for_engine(&v0_8), selected(256));
    assert_eq!(
        selected(257).for_engine(&v0_8),
        StepFiles::Whole {
            reason: "BuildKit v0.8 copies files one at a time and cannot key 257 of them"
                .to_string()
        }
    );
    assert_eq!(
        selected(5000).for_engine(&Engine::default()),
        selected(5000)
    );
}

#[test]
fn files_that_would_ship_a_broken_image_are_refused_with_their_lines() {
    let text = "base = \"scratch\"\n[services.api]\npackage = \"./cmd/api\"\n[services.api.files]\n\"/srv\" = \"web/missing\"\n\"/usr/local\" = \"web/dist\"\n\"/etc/api.yaml\" = { source = \"deploy/config.yaml\", owner = \"nonroot\" }\n";
    let headlines = Case::new(text).files(WITH_FILES).gofile_error().headlines();
    assert_eq!(
        headlines,
        [
            "Gofile:5:10: `web/missing` is not in the build context: it does not exist, or .dockerignore leaves it out",
            "Gofile:6:1: copying to `/usr/local` would replace the binary `/usr/local/bin/api`",
            "Gofile:7:60: an owner name needs an /etc/passwd to find it in, and this service's base is scratch",
        ]
    );
}

#[test]
fn volumes_are_made_for_the_images_user_and_declared() {
    let plan =
        Case::new("[services.api]\npackage = \"./cmd/api\"\nvolumes = [\"/var/lib/api/\"]\n")
            .files(WITH_FILES)
            .ok();
    let api = &plan.services[0];
    assert_eq!(api.image.volumes, ["/var/lib/api"]);
    let with_workdir =
        Case::new("[services.api]\npackage = \"./cmd/api\"\nworkdir = \"/srv/work\"\n")
            .files(WITH_FILES)
            .ok();
    let workdir = &with_workdir.services[0].image_files[0];
    assert_eq!((workdir.dest.as_str(), workdir.mode), ("/srv/work", 0o755));
    assert_eq!(
        workdir.owner,
        crate::llb::Owner::Ids {
            uid: 65532,
            gid: 65532
        }
    );
    let made = &api.image_files[0];
    assert_eq!(
        (made.source.as_ref(), made.dest.as_str(), made.mode),
        (None, "/var/lib/api", 0o755)
    );
    assert_eq!(
        made.owner,
        crate::llb::Owner::Ids {
            uid: 65532,
            gid: 65532
        }
    );

    let named = Case::new(
        "base = \"debian:13\"\n[services.api]\npackage = \"./cmd/api\"\nuser = \"app\"\nvolumes = [\"/data\"]\n",
    )
    .files(WITH_FILES)
    .ok();
    assert_eq!(
        named.services[0].image_files[0].owner,
        crate::llb::Owner::Names {
            user: "app".into(),
            group: "app".into()
        }
    );

    let unknown_user = Case::new(
        "base = \"debian:13\"\n[services.api]\npackage = \"./cmd/api\"\nvolumes = [\"/data\"]\n",
    )
    .files(WITH_FILES);
    assert_eq!(
        unknown_user.gofile_error().headlines(),
        [
            "Gofile:4:12: the volume `/data` must belong to the user the image runs as, which its base sets and gofrontend cannot see"
        ]
    );
}

#[test]
fn each_tested_package_gets_a_step_of_exactly_what_its_tests_read() {
    let case = Case {
        gomod: "module example.com/shop\n\ngo 1.24.2\n\nrequire example.com/quote v1.1.0\n",
        ..Case::new("[services.api]\npackage = \"./cmd/api\"\n\n[test]\nflags = [\"-short\"]\n")
    };
    let plan = case
        .opt("target", "test")
        .files(&[
            ("go.sum", ""),
            (
                "cmd/api/main.go",
                "package main\n\nimport \"example.com/shop/store\"\n\nfunc main() { store.Total() }\n",
            ),
            ("calc/calc.go", "package calc\n"),
            ("calc/calc_test.go", "package calc\n\nimport \"testing\"\n"),
            ("calc/testdata/cases.txt", "1 1\n"),
            ("store/store.go", "package store\n\nimport \"example.com/shop/calc\"\n"),
            (
                "store/store_test.go",
                "package store\n\nimport (\n\t\"net/http/httptest\"\n\t\"testing\"\n)\n",
            ),
            ("greet/greet.go", "package greet\n"),
            (
                "greet/greet_test.go",
                "package greet_test\n\nimport (\n\t\"os\"\n\n\t\"example.com/quote\"\n)\n\nvar want, _ = os.ReadFile(\"golden/hello.txt\")\nvar _ = quote.Hello\n",
            ),
            ("greet/golden/hello.txt", "hello\n"),
            ("greet/assets/logo.svg", "<svg/>"),
            ("reads/reads.go", "package reads\n"),
            ("reads/reads_test.go", "package reads\n\nvar input = \"../testdata/x\"\n"),
            ("e2e/e2e_test.go", E2E_TEST),
        ])
        .ok();
    let steps: BTreeMap<&str, &StepFiles> = plan
        .tests
        .iter()
        .map(|step| (step.label.as_str(), &step.files))
        .collect();
    let selected = |files: &[&str], dirs: &[&str], packages: usize| StepFiles::Selected {
        files: files.iter().map(|f| f.to_string()).collect(),
        dirs: dirs.iter().map(|d| d.to_string()).collect(),
        packages,
    };
    let module = ["go.mod", "go.sum"];
    let with_module = |files: &[&'static str]| {
        let mut all: Vec<&str> = files.iter().copied().chain(module).collect();
        all.sort();
        all
    };
    assert_eq!(
        *steps["test ./calc"],
        selected(
            &with_module(&["calc/calc.go", "calc/calc_test.go"]),
            &["calc/testdata"],
            1
        )
    );
    assert_eq!(
        *steps["test ./greet"],
        selected(
            &with_module(&["greet/greet.go", "greet/greet_test.go"]),
            &["greet/golden"],
            1
        )
    );
    // Its tests reach calc's code, not calc's tests or testdata.
    assert_eq!(
        *steps["test ./store"],
        selected(
            &with_module(&["calc/calc.go", "store/store.go", "store/store_test.go"]),
            &[],
            2
        )
    );
    assert_eq!(
        *steps["test ./reads"],
        StepFiles::Whole {
            reason: "reads/reads_test.go names a path outside its directory".into()
        }
    );
    assert_eq!(steps.len(), 4, "cmd/api has no test files: no step");
    let ResultPlan::Tests { gather } = &plan.result else {
        panic!("the test target's result is its reports")
    };
    assert_eq!(
        gather.name,
        "[test] gather the reports of 4 packages (2 packages without test files)"
    );
    assert_eq!(
        gather.args[2..],
        ["example.com/shop/cmd/api", "example.com/shop/e2e"],
        "cmd/api has no tests, e2e's are for the e2e tag only"
    );
    let stdlib = &plan.precompile[0];
    assert_eq!(stdlib.label, "stdlib");
    // A module only a test imports is compiled ahead too, and only that test's step waits for it.
    let shared = &plan.precompile[1];
    assert_eq!(shared.label, "shared");
    assert!(shared.command.args.iter().any(|a| a == "example.com/quote"));
    let after: BTreeMap<&str, Option<usize>> = plan
        .tests
        .iter()
        .map(|step| (step.label.as_str(), step.after))
        .collect();
    assert_eq!(after["test ./greet"], Some(1));
    assert_eq!(after["test ./calc"], Some(0));
    for package in ["net/http/httptest", "testing", "testing/internal/testdeps"] {
        assert!(
            stdlib.command.args.iter().any(|a| a == package),
            "{package} compiled ahead: {:?}",
            stdlib.command.args
        );
    }
    for step in &plan.tests {
        assert_eq!(step.command.network, NetworkMode::None);
        assert!(step.command.args.iter().any(|a| a == "-count=1"));
        assert!(step.command.args.iter().any(|a| a == "-short"));
    }
}

const E2E_TEST: &str = "//go:build e2e\n\npackage e2e\n\nimport \"testing\"\n";

#[test]
fn tests_whose_files_the_build_constraints_exclude_get_no_step() {
    let files: &[(&str, &str)] = &[
        ("go.sum", ""),
        ("cmd/api/main.go", "package main\n\nfunc main() {}\n"),
        ("e2e/e2e_test.go", E2E_TEST),
        (
            "win/win_windows_test.go",
            "package win\n\nimport \"testing\"\n",
        ),
    ];
    let labels = |gofile: &'static str| -> Vec<String> {
        Case::new(gofile)
            .opt("target", "test")
            .files(files)
            .ok()
            .tests
            .into_iter()
            .map(|step| step.label)
            .collect()
    };
    assert!(labels("[services.api]\npackage = \"./cmd/api\"\n").is_empty());
    assert_eq!(
        labels("[services.api]\npackage = \"./cmd/api\"\n[test]\ntags = [\"e2e\"]\n"),
        ["test ./e2e"]
    );
}
