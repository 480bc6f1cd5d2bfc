//! The fixed shell scripts the go steps run (`scripts/*.sh`, POSIX sh, checked with
//! `shellcheck -s sh`), mounted read-only at [`SCRIPTS_DIR`]. Their paths and settings come
//! from environment variables; Gofile values reach them only as arguments.

/// Where the step scripts are mounted in every go step.
pub const SCRIPTS_DIR: &str = "/gofrontend";
pub const GO_SCRIPT: &str = "/gofrontend/go.sh";
pub const PRECOMPILE_SCRIPT: &str = "/gofrontend/precompile.sh";
pub const DOWNLOAD_SCRIPT: &str = "/gofrontend/download.sh";
pub const TEST_SCRIPT: &str = "/gofrontend/test.sh";
pub const GATHER_SCRIPT: &str = "/gofrontend/gather.sh";
/// The scripts, by file name under [`SCRIPTS_DIR`].
pub const SCRIPTS: &[(&str, &str)] = &[
    ("copy.sh", include_str!("scripts/copy.sh")),
    ("go.sh", include_str!("scripts/go.sh")),
    ("seed.sh", include_str!("scripts/seed.sh")),
    ("precompile.sh", include_str!("scripts/precompile.sh")),
    ("download.sh", include_str!("scripts/download.sh")),
    ("test.sh", include_str!("scripts/test.sh")),
    ("report.awk", include_str!("scripts/report.awk")),
    ("gather.sh", include_str!("scripts/gather.sh")),
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
            self.run_with(script, seeds, args, &[])
        }

        fn run_with(
            &self,
            script: &str,
            seeds: bool,
            args: &[&str],
            env: &[(&str, String)],
        ) -> Output {
            self.command(script, seeds, args, env).output().unwrap()
        }

        /// The shell running `script`, with the sandbox's environment and `env`.
        fn command(
            &self,
            script: &str,
            seeds: bool,
            args: &[&str],
            env: &[(&str, String)],
        ) -> Command {
            let mut command = match self.1 {
                Shell::System => Command::new("/bin/sh"),
                Shell::Busybox => Command::new(self.path("bin/sh")),
            };
            command
                .arg(self.path("scripts").join(script))
                .args(args)
                .env_clear()
                .env("PATH", self.tool_path())
                .env("TMPDIR", self.path("tmp"))
                .env("GOCACHE", self.path("gocache"))
                .env("GOFRONTEND_OUTPUT_DIR", self.path("out"));
            if seeds {
                command.env("GOFRONTEND_SEED_DIR", self.path("seeds"));
            }
            command.envs(env.iter().map(|(name, value)| (name, value)));
            command
        }

        /// The PATH the sandbox's shell finds its tools on.
        fn tool_path(&self) -> String {
            match self.1 {
                Shell::System => "/usr/bin:/bin".into(),
                Shell::Busybox => self.path("bin").display().to_string(),
            }
        }
    }

    impl Drop for Sandbox {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// `child`'s exit status; a panic saying `stuck` when it takes over 20 seconds (what it
    /// must not wait for takes longer).
    fn within_20_seconds(mut child: std::process::Child, stuck: &str) -> std::process::ExitStatus {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                child.kill().unwrap();
                panic!("{stuck}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
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

    /// `go test -json` of a package whose `TestSum` fails, and whose `TestOK` passes.
    const FAILING: &str = concat!(
        r#"{"Action":"run","Package":"example.com/m/p","Test":"TestOK"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Test":"TestOK","Output":"=== RUN   TestOK\n"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}"#,
        "\n",
        r#"{"Action":"pass","Package":"example.com/m/p","Test":"TestOK"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Test":"TestSum","Output":"=== RUN   TestSum\n"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Test":"TestSum","Output":"    sum_test.go:9: Sum(1, 2) = 4, want 3 \u003c\"x\"\u003e\n"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Test":"TestSum","Output":"--- FAIL: TestSum (0.00s)\n"}"#,
        "\n",
        r#"{"Action":"fail","Package":"example.com/m/p","Test":"TestSum"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Output":"FAIL\n"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/p","Output":"FAIL\texample.com/m/p\t0.003s\n"}"#,
        "\n",
        r#"{"Action":"fail","Package":"example.com/m/p"}"#,
        "\n",
    );
    const PASSING: &str = concat!(
        r#"{"Action":"output","Package":"example.com/m/q","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}"#,
        "\n",
        r#"{"Action":"pass","Package":"example.com/m/q","Test":"TestOK"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/q","Output":"PASS\n"}"#,
        "\n",
        r#"{"Action":"output","Package":"example.com/m/q","Output":"ok  \texample.com/m/q\t0.002s\n"}"#,
        "\n",
        r#"{"Action":"pass","Package":"example.com/m/q"}"#,
        "\n",
    );

    fn go_test(sandbox: &Sandbox, json: &str, status: u8, record: bool) -> Output {
        sandbox.write("go-test.json", json);
        let fake = format!(
            "cat {}; exit {status}",
            sandbox.path("go-test.json").display()
        );
        let mut env = vec![
            ("HOME", sandbox.path("tmp/home").display().to_string()),
            (
                "GOFRONTEND_REPORT_DIR",
                sandbox.path("out/example.com/m/p").display().to_string(),
            ),
        ];
        if record {
            env.push(("GOFRONTEND_TEST_REPORT", "record".to_string()));
        }
        sandbox.run_with("test.sh", false, &["test ./p", "sh", "-c", &fake], &env)
    }

    #[test]
    fn a_failing_package_shows_go_tests_output_and_fails_the_step() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("test-fails", shell);
            let out = go_test(&sandbox, FAILING, 1, false);
            assert!(!out.status.success());
            assert_eq!(
                text(&out.stderr),
                "    sum_test.go:9: Sum(1, 2) = 4, want 3 <\"x\">\n--- FAIL: TestSum (0.00s)\nFAIL\nFAIL\texample.com/m/p\t0.003s\ngofrontend: [test ./p] failed; go test's output is above\n",
                "{shell:?}"
            );
            let report = sandbox.path("out/example.com/m/p/report.json");
            assert_eq!(std::fs::read_to_string(report).unwrap(), FAILING);
            let status = std::fs::read_to_string(sandbox.path("out/example.com/m/p/status.txt"));
            assert_eq!(status.unwrap(), "1\n");
            // Recorded instead: the step succeeds, the report says it failed.
            let recorded = go_test(&sandbox, FAILING, 1, true);
            assert!(recorded.status.success());
            assert!(
                text(&recorded.stderr)
                    .ends_with("gofrontend: [test ./p] failed; recorded in its report\n")
            );
        }
    }

    #[test]
    fn tests_of_one_name_in_two_packages_are_told_apart() {
        // One stream of two packages (a whole-context step), its last line without a newline.
        const TWO: &str = concat!(
            r#"{"Action":"output","Package":"example.com/m/a","Test":"TestX","Output":"    a_test.go:3: broken\n"}"#,
            "\n",
            r#"{"Action":"fail","Package":"example.com/m/a","Test":"TestX"}"#,
            "\n",
            r#"{"Action":"output","Package":"example.com/m/b","Test":"TestX","Output":"    b_test.go:3: fine\n"}"#,
            "\n",
            r#"{"Action":"pass","Package":"example.com/m/b","Test":"TestX"}"#,
            "\n",
            r#"{"Action":"output","Package":"example.com/m/a","Output":"FAIL\texample.com/m/a\t0.001s"}"#,
            "\n",
            r#"{"Action":"fail","Package":"example.com/m/a"}"#,
            "\n",
        );
        for shell in SHELLS {
            let sandbox = Sandbox::new("test-two", shell);
            let out = go_test(&sandbox, TWO, 1, false);
            assert_eq!(
                text(&out.stderr),
                "    a_test.go:3: broken\nFAIL\texample.com/m/a\t0.001s\ngofrontend: [test ./p] failed; go test's output is above\n",
                "{shell:?}"
            );
        }
    }

    #[test]
    fn a_passing_package_shows_its_summary_line() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("test-passes", shell);
            let out = go_test(&sandbox, PASSING, 0, false);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(text(&out.stderr), "ok  \texample.com/m/q\t0.002s\n");
        }
    }

    #[test]
    fn the_reports_are_gathered_with_a_summary_failures_first() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("gather", shell);
            sandbox.write("seeds/0/example.com/m/q/report.json", PASSING);
            sandbox.write("seeds/0/example.com/m/q/status.txt", "0\n");
            sandbox.write("seeds/1/example.com/m/p/report.json", FAILING);
            sandbox.write("seeds/1/example.com/m/p/status.txt", "1\n");
            let env = [(
                "GOFRONTEND_REPORTS_DIR",
                sandbox.path("seeds").display().to_string(),
            )];
            // A package named like the files beside a report is still told apart.
            sandbox.write("seeds/2/example.com/m/q/status/report.json", PASSING);
            sandbox.write("seeds/2/example.com/m/q/status/status.txt", "0\n");
            let out = sandbox.run_with("gather.sh", false, &["example.com/m/cmd/x y"], &env);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                files(&sandbox.path("out")),
                [
                    "example.com/m/p/report.json",
                    "example.com/m/p/status.txt",
                    "example.com/m/q/report.json",
                    "example.com/m/q/status.txt",
                    "example.com/m/q/status/report.json",
                    "example.com/m/q/status/status.txt",
                    "summary.txt"
                ]
            );
            let summary = std::fs::read_to_string(sandbox.path("out/summary.txt")).unwrap();
            assert_eq!(
                summary,
                "FAIL example.com/m/p\nok example.com/m/q\nok example.com/m/q/status\n? example.com/m/cmd/x y [no test files]\n"
            );
        }
    }

    #[test]
    fn seeding_takes_a_lock_and_a_stale_one_over() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("seed-lock", shell);
            sandbox.write("seeds/0/ab/new-d", "output");
            // Left by a step that was stopped two minutes ago.
            std::fs::create_dir_all(sandbox.path("gocache/gofrontend-seeding")).unwrap();
            let stale = std::process::Command::new("touch")
                .args(["-d", "2 minutes ago"])
                .arg(sandbox.path("gocache/gofrontend-seeding"))
                .status()
                .unwrap();
            assert!(stale.success());
            let out = sandbox.run("go.sh", true, &["api", "true"]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(sandbox.path("gocache/ab/new-d").exists());
            assert!(
                !sandbox.path("gocache/gofrontend-seeding").exists(),
                "released"
            );
        }
    }

    #[test]
    fn a_gocache_holding_every_entry_is_seeded_without_the_lock() {
        for shell in SHELLS {
            let sandbox = Sandbox::new("seed-warm", shell);
            for entry in ["ab/kept-d", "ab/kept-a"] {
                sandbox.write(&format!("seeds/0/{entry}"), "from the layer");
                sandbox.write(&format!("gocache/{entry}"), "compiled here before");
            }
            // Held by another step still copying: waiting for it would take a minute.
            std::fs::create_dir_all(sandbox.path("gocache/gofrontend-seeding")).unwrap();
            let child = sandbox
                .command("go.sh", true, &["api", "true"], &[])
                .spawn()
                .unwrap();
            let status = within_20_seconds(child, "the step waited for the other step's lock");
            assert!(status.success());
            assert!(
                sandbox.path("gocache/gofrontend-seeding").exists(),
                "the other step's lock is left alone"
            );
            assert_eq!(
                std::fs::read_to_string(sandbox.path("gocache/ab/kept-a")).unwrap(),
                "compiled here before"
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

    /// A `go` that lays out a module cache as `go mod download` does under GOMODCACHE, for
    /// one module (none when `FAKE_GO_MODULES` is empty), once the file `FAKE_GO_AWAIT`
    /// names exists, if it names one; or fails, when `FAKE_GO_FAILS` is set.
    const FAKE_GO: &str = r#"#!/bin/sh
[ -z "${FAKE_GO_AWAIT:-}" ] || until [ -e "$FAKE_GO_AWAIT" ]; do sleep 0.05; done
[ -z "${FAKE_GO_FAILS:-}" ] || exit 1
[ -n "$FAKE_GO_MODULES" ] || exit 0
v="$GOMODCACHE/cache/download/example.com/m/@v"
mkdir -p "$v" "$GOMODCACHE/example.com/m@v1.0.0"
for ext in info mod zip ziphash lock; do echo "$ext" >"$v/v1.0.0.$ext"; done
echo 'package m' >"$GOMODCACHE/example.com/m@v1.0.0/m.go"
mkdir -p "$GOMODCACHE/example.com/m@v1.0.0/testdata"
echo zip >"$GOMODCACHE/example.com/m@v1.0.0/testdata/a.zip"
echo lock >"$GOMODCACHE/example.com/m@v1.0.0/yarn.lock"
"#;

    /// `download.sh` with `args`, in a module of `sandbox` and with [`FAKE_GO`], which reads
    /// `fake_go_env`.
    fn download(sandbox: &Sandbox, args: &[&str], fake_go_env: &[(&str, String)]) -> Command {
        sandbox.write("src/go.mod", "module example.com/app\n");
        sandbox.write("fakebin/go", FAKE_GO);
        let go = sandbox.path("fakebin/go");
        std::fs::set_permissions(&go, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut env = vec![
            (
                "PATH",
                format!(
                    "{}:{}",
                    sandbox.path("fakebin").display(),
                    sandbox.tool_path()
                ),
            ),
            (
                "GOFRONTEND_SOURCE_DIR",
                sandbox.path("src").display().to_string(),
            ),
            (
                "GOFRONTEND_MODULE_CACHE",
                sandbox.path("modcache").display().to_string(),
            ),
            ("GOMODCACHE", sandbox.path("out/mod").display().to_string()),
            ("GOWORK", "off".to_string()),
        ];
        env.extend(fake_go_env.iter().cloned());
        let mut command = sandbox.command("download.sh", false, args, &env);
        command.current_dir(sandbox.path("src"));
        command
    }

    #[test]
    fn the_module_layer_keeps_the_extracted_modules_and_leaves_the_zips_out() {
        for shell in SHELLS {
            for modules in ["one", ""] {
                let sandbox = Sandbox::new("download", shell);
                let env = [("FAKE_GO_MODULES", modules.to_string())];
                let out = download(&sandbox, &[], &env).output().unwrap();
                assert!(out.status.success(), "{}", text(&out.stderr));
                let expected: &[&str] = match modules {
                    "" => &[],
                    _ => &[
                        "mod/cache/download/example.com/m/@v/v1.0.0.info",
                        "mod/cache/download/example.com/m/@v/v1.0.0.mod",
                        "mod/cache/download/example.com/m/@v/v1.0.0.ziphash",
                        "mod/example.com/m@v1.0.0/m.go",
                        "mod/example.com/m@v1.0.0/testdata/a.zip",
                        "mod/example.com/m@v1.0.0/yarn.lock",
                    ],
                };
                assert_eq!(files(&sandbox.path("out")), expected);
                if !modules.is_empty() {
                    assert!(
                        sandbox
                            .path("modcache/cache/download/example.com/m/@v/v1.0.0.zip")
                            .exists(),
                        "the persistent module cache keeps its zips"
                    );
                }
            }
        }
    }

    #[test]
    fn the_compile_run_meanwhile_stops_once_the_modules_are_in_place() {
        for shell in SHELLS {
            // The download succeeding, then failing: either way the compile is stopped.
            for fails in ["", "yes"] {
                let sandbox = Sandbox::new("download-meanwhile", shell);
                let started = sandbox.path("tmp/compile-started");
                // Where it runs, its arguments and its process, then longer than the test waits.
                let compile = format!(
                    "{{ pwd; echo \"$1\"; echo $$; }} >{0}.tmp && mv {0}.tmp {0} && sleep 30",
                    started.display()
                );
                let env = [
                    ("FAKE_GO_MODULES", "one".to_string()),
                    ("FAKE_GO_AWAIT", started.display().to_string()),
                    ("FAKE_GO_FAILS", fails.to_string()),
                ];
                let child = download(&sandbox, &["sh", "-c", &compile, "sh", "std lib"], &env)
                    .spawn()
                    .unwrap();
                let status = within_20_seconds(child, "the download waited for the compile's end");
                assert_eq!(status.success(), fails.is_empty());
                let report = std::fs::read_to_string(&started).unwrap();
                let lines: Vec<&str> = report.lines().collect();
                assert_eq!(
                    lines[..2],
                    ["/", "std lib"],
                    "it ran from / with its arguments as given"
                );
                let stat = format!("/proc/{}/stat", lines[2]);
                // Gone, or a zombie (its state after the command's name) no one has reaped yet.
                let running = || {
                    std::fs::read_to_string(&stat).is_ok_and(|stat| {
                        !stat
                            .rsplit(')')
                            .next()
                            .unwrap_or("")
                            .trim_start()
                            .starts_with('Z')
                    })
                };
                for _ in 0..100 {
                    if !running() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                assert!(!running(), "the compile was stopped");
            }

            let sandbox = Sandbox::new("download-compile-fails", shell);
            let out = download(&sandbox, &["false"], &[("FAKE_GO_MODULES", "one".into())])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "a compile that fails leaves the download alone: {}",
                text(&out.stderr)
            );
            assert!(sandbox.path("out/mod/example.com/m@v1.0.0/m.go").exists());
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
