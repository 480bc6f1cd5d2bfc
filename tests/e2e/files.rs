//! `files`: context files and directories in the image with the modes and owners the Gofile
//! asks for, in a layer of their own beneath the binary's.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;

use crate::harness::{
    Engines, assert_ok, assert_refused, example_copy, inspect, ran, replace, run_command,
    run_image, stderr, stdout, unique, was_cached, write_files,
};

const FILES: &str = "ports = [8080]\nuser = \"nonroot\"\nworkdir = \"/var/lib/api-work\"\nvolumes = [\"/var/cache/api\"]\n\n[services.api.files]\n\"/srv/static\" = \"web/dist\"\n\"/etc/api/config.yaml\" = { source = \"deploy/config.yaml\", mode = \"0640\", owner = \"65532:65532\" }\n\"/var/lib/api\" = { source = \"deploy/state\", owner = \"nonroot\" }\n\n[services.api.labels]\n";

/// The example with web assets, a config and a state directory, `run` making them new.
fn context_with_files(test: &str, run: u128) -> std::path::PathBuf {
    let context = example_copy("microservices", test);
    // `labels` is the api's last key: the tables follow it, and it becomes one of them.
    replace(
        &context.join("Gofile"),
        "ports = [8080]\nlabels = { \"org.opencontainers.image.title\" = \"api\" }\n",
        &format!("{FILES}\"org.opencontainers.image.title\" = \"api\"\n"),
    );
    write_files(
        &context,
        &[
            ("web/dist/index.html", &format!("<h1>run {run}</h1>\n")),
            ("web/dist/css/site.css", "h1 { color: teal }\n"),
            ("web/dist/bin/hook.sh", "#!/bin/sh\n"),
            ("web/dist/secret.txt", "left out\n"),
            ("deploy/config.yaml", "port: 8080\n"),
            ("deploy/state/README", "state lives here\n"),
            (".dockerignore", "web/dist/secret.txt\n"),
        ],
    );
    let hook = context.join("web/dist/bin/hook.sh");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A checkout made under umask 002: the image's modes must not follow it.
    let css = context.join("web/dist/css/site.css");
    std::fs::set_permissions(&css, std::fs::Permissions::from_mode(0o664)).unwrap();
    context
}

/// Each path of the image's filesystem with its `ls -l` mode and `uid/gid`, from
/// `docker export` listed by tar.
fn listing(engines: &Engines, host: &str, image: &str) -> BTreeMap<String, (String, String)> {
    let create = engines.docker_on(host, &["create", image]);
    assert_ok(&create, "docker create");
    let container = stdout(&create).trim().to_string();
    let dir = crate::harness::scratch_dir(&format!("export-{}", unique()));
    let tar = dir.join("fs.tar");
    let export = engines.docker_on(host, &["export", "-o", tar.to_str().unwrap(), &container]);
    let _ = engines.docker_on(host, &["rm", &container]);
    assert_ok(&export, "docker export");
    let mut list = std::process::Command::new("tar");
    list.arg("-tvf").arg(&tar).arg("--numeric-owner");
    let out = run_command(list);
    assert_ok(&out, "tar -tv");
    let _ = std::fs::remove_dir_all(&dir);
    stdout(&out)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let path = fields.get(5)?.trim_end_matches('/');
            Some((
                format!("/{path}"),
                (fields[0].to_string(), fields[1].to_string()),
            ))
        })
        .collect()
}

fn assert_entry(listing: &BTreeMap<String, (String, String)>, path: &str, mode: &str, owner: &str) {
    let found = listing.get(path);
    assert_eq!(
        found,
        Some(&(mode.to_string(), owner.to_string())),
        "{path} in {:#?}",
        listing
            .keys()
            .filter(|p| p.starts_with("/srv")
                || p.starts_with("/etc/api")
                || p.starts_with("/var/lib/api"))
            .collect::<Vec<_>>()
    );
}

fn assert_files(listing: &BTreeMap<String, (String, String)>) {
    assert_entry(listing, "/srv/static", "drwxr-xr-x", "0/0");
    assert_entry(listing, "/srv/static/index.html", "-rw-r--r--", "0/0");
    assert_entry(listing, "/srv/static/css", "drwxr-xr-x", "0/0");
    assert_entry(listing, "/srv/static/css/site.css", "-rw-r--r--", "0/0");
    assert_entry(listing, "/srv/static/bin/hook.sh", "-rwxr-xr-x", "0/0");
    assert_entry(listing, "/etc/api/config.yaml", "-rw-r-----", "65532/65532");
    // `nonroot` resolved in the base's /etc/passwd.
    assert_entry(listing, "/var/lib/api", "drwxr-xr-x", "65532/65532");
    assert_entry(listing, "/var/lib/api/README", "-rw-r--r--", "65532/65532");
    assert!(
        !listing.contains_key("/srv/static/secret.txt"),
        ".dockerignore leaves it out"
    );
    // The volume, made for the image's user.
    assert_entry(listing, "/var/cache/api", "drwxr-xr-x", "65532/65532");
    assert_entry(listing, "/var/lib/api-work", "drwxr-xr-x", "65532/65532");
}

/// The image's layer digests on the 26.1 engine at `host`.
fn layers_on(engines: &Engines, host: &str, tag: &str) -> Vec<String> {
    let out = engines.docker_on(
        host,
        &["image", "inspect", "-f", "{{json .RootFS.Layers}}", tag],
    );
    assert_ok(&out, "docker image inspect");
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

fn layers(engines: &Engines, tag: &str) -> Vec<String> {
    layers_on(engines, &engines.docker26, tag)
}

#[test]
fn files_land_in_the_image_with_their_modes_and_owners_beneath_the_binary() {
    let engines = Engines::from_env();
    let context = context_with_files("files", unique());
    let tag = "gofrontend-e2e/api:files";
    let build = || engines.buildx(&context, &["--target", "api", "-t", tag]);
    let first = build();
    assert_ok(&first, "building an image with files");
    assert_eq!(run_image(&engines, tag), "hello from api (version dev)\n");
    assert_files(&listing(&engines, &engines.docker26, tag));
    assert_eq!(
        inspect(&engines, tag)["Config"]["Volumes"],
        serde_json::json!({"/var/cache/api": {}})
    );
    let base = layers(&engines, &engines.base_image).len();
    let before = layers(&engines, tag);
    assert_eq!(before.len(), base + 2, "the base, the files, the binary");

    // An edit of a file copies again and compiles nothing.
    replace(
        &context.join("web/dist/index.html"),
        "<h1>",
        "<h1 class=\"new\">",
    );
    let edited = build();
    assert_ok(&edited, "rebuild after a file edit");
    let progress = stderr(&edited);
    assert!(was_cached(&progress, "[api] go build"), "{progress}");
    assert!(ran(&progress, "files and directories onto"), "{progress}");
    let after_file_edit = layers(&engines, tag);
    assert_ne!(after_file_edit[base], before[base]);

    // An edit of the code changes only the binary's layer.
    let main = context.join("cmd/api/main.go");
    let code = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{code}\n// edit {}\n", unique())).unwrap();
    let recompiled = build();
    assert_ok(&recompiled, "rebuild after a code edit");
    assert!(ran(&stderr(&recompiled), "[api] go build"));
    let after_code_edit = layers(&engines, tag);
    assert_eq!(after_code_edit[..=base], after_file_edit[..=base]);
    assert_ne!(after_code_edit[base + 1], after_file_edit[base + 1]);
}

/// Where the engine merges (BuildKit with the containerd image store), the binary is copied
/// onto nothing and merged over the files: an edit of a file re-runs its copy alone and leaves
/// the binary's layer, and its blob, as they were.
#[test]
fn a_file_edit_leaves_the_binary_layer_where_the_engine_merges() {
    let engines = Engines::from_env();
    let context = context_with_files("files-merge", unique());
    let tag = "gofrontend-e2e/api:files-merge";
    let host = &engines.docker26cs;
    let build = || {
        let out =
            run_command(engines.buildx_command(host, &context, &["--target", "api", "-t", tag]));
        assert_ok(
            &out,
            "building an image with files on the containerd image store",
        );
        stderr(&out)
    };
    let first = build();
    assert!(
        first.contains("[api] stack api over the files on"),
        "{first}"
    );
    let before = layers_on(&engines, host, tag);
    let listed = listing(&engines, host, tag);
    assert_files(&listed);
    assert_entry(&listed, "/usr/local/bin/api", "-rwxr-xr-x", "0/0");
    assert_entry(&listed, "/usr/local/bin", "drwxr-xr-x", "0/0");

    replace(
        &context.join("web/dist/index.html"),
        "<h1>",
        "<h1 class=\"merged\">",
    );
    let progress = build();
    assert!(ran(&progress, "files and directories onto"), "{progress}");
    assert!(!ran(&progress, "[api] copy api onto scratch"), "{progress}");
    let after = layers_on(&engines, host, tag);
    assert_eq!(after.len(), before.len());
    assert_ne!(
        after[after.len() - 2],
        before[before.len() - 2],
        "the files changed"
    );
    assert_eq!(
        after.last(),
        before.last(),
        "the binary's layer is the same blob"
    );
    let run = engines.docker_on(host, &["run", "--rm", "--network=none", tag]);
    assert_ok(&run, "running the merged image");
    assert_eq!(stdout(&run), "hello from api (version dev)\n");
}

#[test]
fn docker_20_10_copies_files_with_their_modes_and_owners() {
    let engines = Engines::from_env();
    let context = context_with_files("files-docker20", unique());
    let tag = "gofrontend-e2e/api:files20";
    let out = engines.build20(&context, &["--target", "api", "-t", tag]);
    assert_ok(&out, "building an image with files on Docker 20.10");
    assert_files(&listing(&engines, &engines.docker20, tag));
}

#[test]
fn a_missing_file_is_refused_with_its_line() {
    let engines = Engines::from_env();
    let context = context_with_files("files-missing", unique());
    std::fs::remove_file(context.join("deploy/config.yaml")).unwrap();
    let out = engines.buildx(
        &context,
        &["--target", "api", "-t", "gofrontend-e2e/api:files-missing"],
    );
    assert_refused(
        &out,
        "Gofile:20:37: `deploy/config.yaml` is not in the build context",
    );
}

#[test]
fn an_owner_name_the_base_lacks_is_refused_with_its_line() {
    let engines = Engines::from_env();
    let context = context_with_files("files-owner", unique());
    replace(
        &context.join("Gofile"),
        "owner = \"nonroot\"",
        "owner = \"nobody-here\"",
    );
    let out = engines.buildx(
        &context,
        &["--target", "api", "-t", "gofrontend-e2e/api:files-owner"],
    );
    assert_refused(
        &out,
        "Gofile:21:53: `nobody-here` is not in /etc/passwd of the base image",
    );
}
