//! `gofrontend init`: a Gofile with one service per main package of a module, never written
//! over an existing one without `--force`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gofrontend(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gofrontend"))
        .args(args)
        .arg(dir)
        .output()
        .expect("gofrontend runs")
}

fn module(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gofrontend-init-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn finds_every_main_package_and_nothing_else() {
    let dir = module(
        "mains",
        &[
            ("go.mod", "module example.com/shop\n\ngo 1.24\n"),
            ("cmd/api/main.go", "package main\n\nfunc main() {}\n"),
            ("cmd/api/main_test.go", "package main\n"),
            ("cmd/worker/worker.go", "// Command worker.\npackage main\n"),
            ("internal/db/db.go", "package db\n"),
            ("internal/db/gen.go", "//go:build ignore\n\npackage main\n"),
            ("vendor/example.com/x/main.go", "package main\n"),
            ("testdata/tool/main.go", "package main\n"),
            (".hidden/main.go", "package main\n"),
            ("tools/go.mod", "module example.com/shop/tools\n"),
            ("tools/main.go", "package main\n"),
            ("README.md", "# shop\n"),
        ],
    );
    let out = gofrontend(&["init"], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gofile = dir.join("Gofile");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("wrote {} with 2 services: api, worker\n", gofile.display())
    );
    let text = std::fs::read_to_string(&gofile).unwrap();
    assert!(
        text.contains("[services.api]\npackage = \"./cmd/api\"\n"),
        "{text}"
    );
    assert!(
        text.contains("[services.worker]\npackage = \"./cmd/worker\"\n"),
        "{text}"
    );
    let check = Command::new(env!("CARGO_BIN_EXE_gofrontend"))
        .arg("check")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(check.status.success(), "the written Gofile checks");

    std::fs::write(&gofile, "# mine\n").unwrap();
    let again = gofrontend(&["init"], &dir);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("already exists: pass --force to replace it"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&gofile).unwrap(), "# mine\n");

    let forced = gofrontend(&["init", "--force"], &dir);
    assert!(forced.status.success());
    assert_eq!(std::fs::read_to_string(&gofile).unwrap(), text);
    assert!(!dir.join(".Gofile.gofrontend-init").exists());
}

#[test]
fn a_module_without_commands_or_without_go_mod_is_an_error() {
    let library = module(
        "library",
        &[
            ("go.mod", "module example.com/lib\n"),
            ("lib.go", "package lib\n"),
        ],
    );
    let out = gofrontend(&["init"], &library);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `package main` in the module"));
    assert!(!library.join("Gofile").exists(), "nothing half-written");

    let empty = module("empty", &[("main.go", "package main\n")]);
    let out = gofrontend(&["init"], &empty);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("run `gofrontend init` in a Go module's directory")
    );
}
