//! `gofrontend init` on the microservices example without its Gofile: the Gofile it writes
//! builds every service through the real daemon, and each binary runs.

use std::process::Command;

use crate::harness::{Engines, assert_ok, example_copy};

#[test]
fn the_gofile_init_writes_builds_every_service() {
    let dir = example_copy("microservices", "init");
    std::fs::remove_file(dir.join("Gofile")).unwrap();
    let init = Command::new(env!("CARGO_BIN_EXE_gofrontend"))
        .arg("init")
        .arg(&dir)
        .output()
        .unwrap();
    assert_ok(&init, "gofrontend init");

    let out = dir.join("out");
    let dest = format!("type=local,dest={}", out.display());
    let build = Engines::from_env().buildx(&dir, &["--output", &dest]);
    assert_ok(&build, "building the Gofile init wrote");
    for service in ["api", "worker"] {
        let binary = out.join("usr/local/bin").join(service);
        let run = Command::new(&binary).output().unwrap();
        assert_ok(&run, service);
        assert!(
            String::from_utf8_lossy(&run.stdout).starts_with(&format!("hello from {service}")),
            "{}",
            String::from_utf8_lossy(&run.stdout)
        );
    }
}
