//! `gofrontend llb`, `check` and `targets` as a user runs them, on the examples. The binary
//! definition is decoded and checked for what the build promises: what each step sees, which
//! caches it mounts, and that the services build independently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gofrontend::llb::{Definition, DumpedOp};
use gofrontend::proto::pb;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn gofrontend(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gofrontend"))
        .args(args)
        .output()
        .expect("the gofrontend binary runs")
}

fn llb(context: &Path, extra: &[&str]) -> Vec<u8> {
    let context = context.to_str().unwrap();
    let mut args = vec!["llb", "--platform", "linux/amd64"];
    args.extend_from_slice(extra);
    args.push(context);
    let out = gofrontend(&args);
    assert!(
        out.status.success(),
        "llb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ops(bytes: &[u8]) -> Vec<DumpedOp> {
    Definition::from_bytes(bytes).unwrap().ops().unwrap()
}

fn name(op: &DumpedOp) -> &str {
    op.metadata
        .as_ref()
        .and_then(|m| m.description.get("llb.customname"))
        .map_or("", String::as_str)
}

fn find<'a>(ops: &'a [DumpedOp], prefix: &str) -> &'a DumpedOp {
    ops.iter()
        .find(|op| name(op).starts_with(prefix))
        .unwrap_or_else(|| panic!("no op named {prefix}"))
}

fn exec(op: &DumpedOp) -> &pb::ExecOp {
    match &op.op.op {
        Some(pb::op::Op::Exec(exec)) => exec,
        _ => panic!("{} is not an exec", name(op)),
    }
}

fn mount<'a>(exec: &'a pb::ExecOp, dest: &str) -> &'a pb::Mount {
    exec.mounts
        .iter()
        .find(|m| m.dest == dest)
        .unwrap_or_else(|| panic!("no mount at {dest}"))
}

/// The op a mount reads from, and which of its outputs.
fn mount_source<'a>(ops: &'a [DumpedOp], op: &DumpedOp, mount: &pb::Mount) -> (&'a DumpedOp, i64) {
    let input = &op.op.inputs[mount.input as usize];
    let source = ops.iter().find(|o| o.digest == input.digest).unwrap();
    (source, input.index)
}

fn ancestors(ops: &[DumpedOp], digest: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![digest.to_string()];
    while let Some(next) = stack.pop() {
        let op = ops.iter().find(|o| o.digest == next).unwrap();
        for input in &op.op.inputs {
            if seen.insert(input.digest.clone()) {
                stack.push(input.digest.clone());
            }
        }
    }
    seen
}

#[test]
fn json_output_of_the_examples_is_pinned() {
    for example_name in ["hello", "microservices"] {
        let json = llb(&example(example_name), &["--json"]);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        insta::assert_json_snapshot!(format!("llb_{example_name}"), value);
    }
}

#[test]
fn the_download_step_sees_only_the_module_files() {
    let ops = ops(&llb(&example("microservices"), &[]));
    let download = find(&ops, "go mod download");
    let exec = exec(download);
    let (source, _) = mount_source(&ops, download, mount(exec, "/src"));
    let Some(pb::op::Op::Source(local)) = &source.op.op else {
        panic!("/src is not a source")
    };
    assert_eq!(local.identifier, "local://context");
    assert_eq!(
        local.attrs["local.includepattern"], r#"["go.mod"]"#,
        "the example has no go.sum: it needs no other module"
    );
    let locals: Vec<&DumpedOp> = ancestors(&ops, &download.digest)
        .iter()
        .map(|d| ops.iter().find(|o| &o.digest == d).unwrap())
        .filter(|o| matches!(&o.op.op, Some(pb::op::Op::Source(s)) if s.identifier.starts_with("local://")))
        .collect();
    assert_eq!(locals.len(), 1, "no other context files reach the download");

    let cache = mount(exec, "/var/cache/gofrontend/gomodcache");
    assert_eq!(cache.mount_type, pb::MountType::Cache as i32);
    assert_eq!(
        cache.cache_opt.as_ref().unwrap().id,
        "gofrontend:gomodcache:example.com/microservices"
    );
    let modules = mount(exec, "/go/pkg/mod");
    assert!(
        !modules.readonly && modules.output >= 0 && modules.input == -1,
        "modules land in the step's own output"
    );
    let netrc = mount(exec, "/root/.netrc");
    assert_eq!(netrc.mount_type, pb::MountType::Secret as i32);
    let secret = netrc.secret_opt.as_ref().unwrap();
    assert_eq!(
        (secret.id.as_str(), secret.mode, secret.optional),
        ("netrc", 0o400, true)
    );
    let agent = mount(exec, "/run/buildkit/ssh_agent.0");
    assert_eq!(agent.mount_type, pb::MountType::Ssh as i32);
    let ssh = agent.ssh_opt.as_ref().unwrap();
    assert_eq!((ssh.id.as_str(), ssh.optional), ("default", true));
    for (path, id) in [
        ("/root/.ssh/known_hosts", "known_hosts"),
        ("/root/.gitconfig", "gitconfig"),
    ] {
        assert_eq!(mount(exec, path).secret_opt.as_ref().unwrap().id, id);
    }
    let env = &exec.meta.as_ref().unwrap().env;
    for entry in [
        "NETRC=/root/.netrc",
        "GIT_CONFIG_GLOBAL=/root/.gitconfig",
        "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0",
    ] {
        assert!(env.contains(&entry.to_string()), "{entry}");
    }
    for build in ["[api] go build", "[worker] go build"] {
        let mounts = &self::exec(find(&ops, build)).mounts;
        assert!(
            mounts
                .iter()
                .all(|m| m.mount_type == pb::MountType::Bind as i32
                    || m.mount_type == pb::MountType::Cache as i32),
            "credentials reach the download only"
        );
    }
}

#[test]
fn build_steps_mount_the_module_layer_and_the_build_cache_without_network() {
    let ops = ops(&llb(&example("microservices"), &[]));
    let download = find(&ops, "go mod download");
    let module_output = mount(exec(download), "/go/pkg/mod").output;
    for service in ["api", "worker"] {
        let build = find(&ops, &format!("[{service}] go build"));
        let exec = exec(build);
        assert_eq!(
            exec.network,
            pb::NetMode::None as i32,
            "{service} builds offline"
        );
        let gocache = mount(exec, "/root/.cache/go-build");
        assert_eq!(gocache.mount_type, pb::MountType::Cache as i32);
        let modules = mount(exec, "/go/pkg/mod");
        assert!(modules.readonly);
        let (source, index) = mount_source(&ops, build, modules);
        assert_eq!(
            (source.digest.as_str(), index),
            (download.digest.as_str(), module_output)
        );
        let meta = exec.meta.as_ref().unwrap();
        assert!(meta.env.contains(&"GOPROXY=off".to_string()));
        assert!(meta.env.contains(&"CGO_ENABLED=0".to_string()));
        assert_eq!(meta.args.last().unwrap(), &format!("./cmd/{service}"));
    }
}

#[test]
fn services_build_independently() {
    let ops = ops(&llb(&example("microservices"), &[]));
    let api = find(&ops, "[api] go build");
    let worker = find(&ops, "[worker] go build");
    assert!(!ancestors(&ops, &api.digest).contains(&worker.digest));
    assert!(!ancestors(&ops, &worker.digest).contains(&api.digest));
    let out_api = mount(exec(api), "/out");
    let out_worker = mount(exec(worker), "/out");
    assert!(
        out_api.input == -1 && out_worker.input == -1,
        "each binary goes into its own empty output"
    );
}

#[test]
fn the_final_op_copies_only_the_binary() {
    let ops = ops(&llb(&example("microservices"), &["--target", "api"]));
    let terminal = ops.last().unwrap();
    let last = ops
        .iter()
        .find(|o| o.digest == terminal.op.inputs[0].digest)
        .unwrap();
    let Some(pb::op::Op::File(file)) = &last.op.op else {
        panic!("the result is not a file op")
    };
    assert_eq!(file.actions.len(), 1, "one layer");
    let action = &file.actions[0];
    let Some(pb::file_action::Action::Copy(copy)) = &action.action else {
        panic!("not a copy")
    };
    assert_eq!(
        (copy.src.as_str(), copy.dest.as_str()),
        ("/api", "/usr/local/bin/api")
    );
    let from = &last.op.inputs[action.secondary_input as usize];
    let build = find(&ops, "[api] go build");
    assert_eq!(from.digest, build.digest);
    assert_eq!(
        from.index,
        mount(exec(build), "/out").output,
        "copied from the binary's own mount"
    );
    let base = &last.op.inputs[action.input as usize];
    let base = ops.iter().find(|o| o.digest == base.digest).unwrap();
    assert!(
        matches!(&base.op.op, Some(pb::op::Op::Source(s)) if s.identifier == "docker-image://gcr.io/distroless/static-debian12:nonroot")
    );
    assert!(
        ops.iter().all(|o| !name(o).starts_with("[worker]")),
        "--target api builds only api"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let context = example("microservices");
    assert_eq!(llb(&context, &[]), llb(&context, &[]));
}

#[test]
fn adding_a_service_leaves_the_download_step_unchanged() {
    let dir = tempdir("add-service");
    std::fs::write(dir.join("go.mod"), "module example.com/m\n\ngo 1.24\n").unwrap();
    for service in ["api", "worker"] {
        let package = dir.join("cmd").join(service);
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(package.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
    }
    let one = "[services.api]\npackage = \"./cmd/api\"\n";
    std::fs::write(dir.join("Gofile"), one).unwrap();
    let before = ops(&llb(&dir, &[]));
    std::fs::write(
        dir.join("Gofile"),
        format!("{one}[services.worker]\npackage = \"./cmd/worker\"\n"),
    )
    .unwrap();
    let after = ops(&llb(&dir, &[]));
    assert_eq!(
        find(&before, "go mod download").digest,
        find(&after, "go mod download").digest
    );
    assert_eq!(
        find(&before, "[api] go build").digest,
        find(&after, "[api] go build").digest
    );
}

#[test]
fn check_reports_every_error_with_its_position_and_exits_1() {
    let dir = tempdir("check");
    let gofile = dir.join("Gofile");
    std::fs::write(
        &gofile,
        "[services.api]\npackage = \"cmd/api\"\nport = 8080\n",
    )
    .unwrap();
    let out = gofrontend(&["check", "-f", gofile.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let path = gofile.display();
    assert!(
        stderr.contains(&format!(
            "{path}:2:11: package `cmd/api` must start with `./`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:3:1: unknown key `port` in [services.api]")),
        "{stderr}"
    );
    assert!(stderr.contains("help: did you mean `ports`?"), "{stderr}");
    assert!(stderr.contains("error: 2 problems in"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"));

    let good = gofrontend(&["check", example("microservices").to_str().unwrap()]);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

#[test]
fn llb_errors_name_the_gofile_position_or_the_option() {
    let context = example("microservices");
    let context = context.to_str().unwrap();
    let out = gofrontend(&["llb", "--target", "apii", "--json", context]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("Gofile:8:2: unknown target `apii` (from --target): no such service"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `api`?"), "{stderr}");

    let out = gofrontend(&["llb", "--platform", "windows/amd64", "--json", context]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("option `platform`: `windows/amd64`: only linux platforms"),
        "{stderr}"
    );
    let out = gofrontend(&[
        "llb",
        "--platform",
        "linux/amd64,linux/arm64",
        "--json",
        context,
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("--platform names 2 platforms, and `llb` prints one definition"),
        "{stderr}"
    );

    let missing = tempdir("no-gomod");
    std::fs::write(missing.join("Gofile"), "[services.api]\npackage = \".\"\n").unwrap();
    let out = gofrontend(&["llb", "--json", missing.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(
            "no go.mod at `go.mod` in the build context: the Gofile's `module` (\".\") must name the directory holding go.mod"
        ),
        "{stderr}"
    );
}

#[test]
fn targets_lists_the_services() {
    let out = gofrontend(&[
        "targets",
        "-f",
        example("microservices").join("Gofile").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "api     ./cmd/api     The HTTP API\nworker  ./cmd/worker  The background worker\n"
    );
}

#[test]
fn check_plans_the_test_target_of_a_gofile_with_tests() {
    let context = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tested");
    let out = gofrontend(&["check", context.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ok, 1 service and 3 test packages checked"),
        "{stderr}"
    );
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gofrontend-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A corpus of build contexts whose Gofile is valid but cannot build an image that runs
/// (`fixtures/bad/`): `check` refuses each, as the frontend does, with the exact message.
#[test]
fn check_refuses_contexts_that_would_ship_broken_images() {
    insta::glob!("fixtures/bad/*/Gofile", |gofile| {
        let context = gofile.parent().unwrap();
        let out = gofrontend(&["check", context.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", context.display());
        let stderr = String::from_utf8(out.stderr).unwrap();
        insta::assert_snapshot!(stderr.replace(context.to_str().unwrap(), "CONTEXT"));
    });
}
