//! The fixed shell scripts the go steps run (`scripts/*.sh`, POSIX sh, checked with
//! `shellcheck -s sh`), mounted read-only at [`SCRIPTS_DIR`]. Their paths and settings come
//! from environment variables; Gofile values reach them only as arguments.

/// Where the step scripts are mounted in every go step.
pub const SCRIPTS_DIR: &str = "/gofrontend";
pub const GO_SCRIPT: &str = "/gofrontend/go.sh";
pub const PRECOMPILE_SCRIPT: &str = "/gofrontend/precompile.sh";
pub const DOWNLOAD_SCRIPT: &str = "/gofrontend/download.sh";
/// The scripts, by file name under [`SCRIPTS_DIR`].
pub const SCRIPTS: &[(&str, &str)] = &[
    ("copy.sh", include_str!("scripts/copy.sh")),
    ("go.sh", include_str!("scripts/go.sh")),
    ("seed.sh", include_str!("scripts/seed.sh")),
    ("precompile.sh", include_str!("scripts/precompile.sh")),
    ("download.sh", include_str!("scripts/download.sh")),
];

/// Each script run by the machine's `/bin/sh` (dash on Debian) and by busybox sh with only
/// busybox's applets on PATH (as in an Alpine-based builder), on temporary directories, with
/// commands standing in for the go command.
#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use super::SCRIPTS;

    #[derive(Clone, Copy, Debug)]
    enum Shell {
        System,
        Busybox,
    }

    const SHELLS: [Shell; 2] = [Shell::System, Shell::Busybox];

    fn busybox() -> PathBuf {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join("busybox"))
            .find(|candidate| candidate.is_file())
            .expect("busybox is not installed: `apt-get install busybox-static` (scripts/test installs it)")
    }

    /// A directory of its own for one test and shell: the scripts, a TMPDIR and a GOCACHE,
    /// and for busybox a PATH of its applets.
    struct Sandbox(PathBuf, Shell);

    impl Sandbox {
        fn new(test: &str, shell: Shell) -> Self {
            let root = std::env::temp_dir().join(format!(
                "gofrontend-scripts-{}-{test}-{shell:?}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&root);
            for dir in ["scripts", "tmp", "gocache", "seeds", "out", "bin"] {
                std::fs::create_dir_all(root.join(dir)).unwrap();
            }
            for (name, text) in SCRIPTS {
                std::fs::write(root.join("scripts").join(name), text).unwrap();
            }
            if let Shell::Busybox = shell {
                let busybox = busybox();
                let list = Command::new(&busybox).arg("--list").output().unwrap();
                for applet in text(&list.stdout).lines() {
                    std::os::unix::fs::symlink(&busybox, root.join("bin").join(applet)).unwrap();
                }
            }
            Self(root, shell)
        }

        fn path(&self, relative: &str) -> PathBuf {
            self.0.join(relative)
        }

        fn write(&self, relative: &str, text: &str) {
            let path = self.path(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }

        fn run(&self, script: &str, seeds: bool, args: &[&str]) -> Output {
            let (mut command, path) = match self.1 {
                Shell::System => (Command::new("/bin/sh"), "/usr/bin:/bin".into()),
                Shell::Busybox => (Command::new(self.path("bin/sh")), self.path("bin")),
            };
            command
                .arg(self.path("scripts").join(script))
                .args(args)
                .env_clear()
                .env("PATH", path)
                .env("TMPDIR", self.path("tmp"))
                .env("GOCACHE", self.path("gocache"))
                .env("GOFRONTEND_OUTPUT_DIR", self.path("out"));
            if seeds {
                command.env("GOFRONTEND_SEED_DIR", self.path("seeds"));
            }
            command.output().unwrap()
        }
    }

    impl Drop for Sandbox {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        for entry in walk(dir) {
            found.push(entry.strip_prefix(dir).unwrap().display().to_string());
        }
        found.sort();
        found
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn go_passes_output_and_success_through() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("go-ok", shell);
            let out = sandbox.run(
                "go.sh",
                false,
                &["api", "sh", "-c", "echo out; echo err >&2"],
            );
            assert!(out.status.success());
            assert_eq!(text(&out.stdout), "out\n");
            assert_eq!(text(&out.stderr), "err\n");
        }
    }

    #[test]
    fn go_names_the_fix_and_the_step_after_a_failure() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("go-fails", shell);
            let failing = "echo 'go: example.com/x: missing go.sum entry for module' >&2; exit 3";
            let out = sandbox.run("go.sh", false, &["api", "sh", "-c", failing]);
            assert_eq!(out.status.code(), Some(1));
            let stderr = text(&out.stderr);
            assert!(
                stderr.starts_with("go: example.com/x: missing go.sum entry"),
                "{stderr}"
            );
            assert!(stderr.contains("gofrontend: run `go mod tidy`"), "{stderr}");
            assert!(!stderr.contains("netrc"), "{stderr}");
            assert!(
                stderr.ends_with("gofrontend: [api] failed; the go command's output is above\n"),
                "{stderr}"
            );
            let out = sandbox.run(
                "go.sh",
                false,
                &["api", "sh", "-c", "echo '401 Unauthorized' >&2; exit 1"],
            );
            assert!(text(&out.stderr).contains("--secret id=netrc"));
            let out = sandbox.run(
                "go.sh",
                false,
                &[
                    "api",
                    "sh",
                    "-c",
                    "echo 'go: x.git@v1: no secure protocol found for repository' >&2; exit 1",
                ],
            );
            assert!(text(&out.stderr).contains("(--ssh default)"));
        }
    }

    #[test]
    fn seeding_copies_only_the_entries_gocache_lacks() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("seed", shell);
            sandbox.write("seeds/0/ab/new-d", "output");
            sandbox.write("seeds/0/ab/new-a", "action");
            sandbox.write("seeds/1/cd/kept-d", "from the layer");
            sandbox.write("gocache/cd/kept-d", "already here");
            let out = sandbox.run("go.sh", true, &["api", "true"]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                files(&sandbox.path("gocache")),
                ["ab/new-a", "ab/new-d", "cd/kept-d"]
            );
            let kept = std::fs::read_to_string(sandbox.path("gocache/cd/kept-d")).unwrap();
            assert_eq!(kept, "already here");
            assert!(
                files(&sandbox.path("tmp"))
                    .iter()
                    .all(|f| f.starts_with("go."))
            );
        }
    }

    #[test]
    fn a_precompile_step_keeps_what_its_compile_used_and_its_seeds_lack() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("capture", shell);
            sandbox.write("seeds/0/ab/seeded-d", "from an earlier step");
            sandbox.write("gocache/ef/unused-d", "an old entry");
            let compile = "mkdir -p \"$GOCACHE/cd\" && echo new > \"$GOCACHE/cd/compiled-d\" && touch \"$GOCACHE/ab/seeded-d\"";
            let out = sandbox.run("precompile.sh", true, &["sh", "-c", compile]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(files(&sandbox.path("out")), ["cd/compiled-d"]);
            assert_eq!(files(&sandbox.path("tmp")), Vec::<String>::new());
        }
    }

    #[test]
    fn a_precompile_failure_still_builds() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("precompile-fails", shell);
            let out = sandbox.run("precompile.sh", false, &["false"]);
            assert!(out.status.success());
            assert!(text(&out.stderr).contains("the services that import them will report it"));
            assert_eq!(files(&sandbox.path("out")), ["done"]);
            let out = sandbox.run("precompile.sh", true, &["false"]);
            assert!(out.status.success());
        }
    }
}
