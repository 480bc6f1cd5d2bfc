//! Private modules: a module proxy that demands credentials gets them from a BuildKit secret,
//! and the secret's bytes end up in no layer, no image config and no build output. Changing
//! GOPROXY re-runs the download only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{
    Project, assert_ok, git, run_image, scratch_dir, stderr, unique, var, was_cached,
};

/// `tests/support/auth-goproxy.py` serving the fixture modules over HTTPS with basic auth.
struct AuthProxy {
    child: Child,
    url: String,
}

impl AuthProxy {
    fn start(user: &str, password: &str) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/auth-goproxy.py");
        let tls = Path::new(&var("GOFRONTEND_TLS_DIR")).to_path_buf();
        let mut child = Command::new("python3")
            .arg(script)
            .arg(var("GOFRONTEND_GOPROXY_ROOT"))
            .args([user, password])
            .arg(tls.join("server.pem"))
            .arg(tls.join("server.key"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the proxy");
        let mut port = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut port)
            .expect("the proxy prints its port");
        Self {
            child,
            url: format!("https://127.0.0.1:{}", port.trim()),
        }
    }
}

impl Drop for AuthProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DOWNLOAD: &str = "go mod download";
const API: &str = "[api] go build";

#[test]
fn a_proxy_demanding_credentials_gets_them_from_a_secret_and_nowhere_else() {
    let nonce = unique();
    let password = format!("s3cret-{nonce}");
    let proxy = AuthProxy::start("alice", &password);
    let project = Project::new("tests/fixtures/replace", "app/go.mod", "private");
    let netrc = scratch_dir("private-netrc").join("netrc");
    // The go command matches a netrc machine against the URL's host and port.
    let host = proxy.url.trim_start_matches("https://");
    std::fs::write(
        &netrc,
        format!("machine {host} login alice password {password}\n"),
    )
    .unwrap();
    let secret = format!("id=netrc,src={}", netrc.display());
    // A module cache of this run's own, so every module is fetched from the proxy.
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=private-{nonce}");
    let through = |proxy_url: &str, extra: &[&str]| {
        let goproxy = format!("GOPROXY={proxy_url}");
        let mut args = vec![
            "--build-arg",
            &namespace,
            "--build-arg",
            &goproxy,
            "--build-arg",
            "GONOSUMDB=example.com",
        ];
        args.extend(extra);
        project.engines.buildx(&project.dir, &args)
    };

    let refused = through(&proxy.url, &[]);
    let progress = stderr(&refused);
    assert!(!refused.status.success(), "{progress}");
    assert!(progress.contains("401 Unauthorized"), "{progress}");
    assert!(
        progress.contains("gofrontend: a module source asked for credentials: pass a netrc file with --secret id=netrc,src=$HOME/.netrc"),
        "{progress}"
    );

    let tag = format!("gofrontend-e2e/private:{nonce}");
    let built = through(&proxy.url, &["--secret", &secret, "-t", &tag]);
    assert_ok(&built, "a build with the netrc secret");
    let progress = stderr(&built);
    assert!(!was_cached(&progress, DOWNLOAD), "{progress}");
    assert_eq!(
        run_image(&project.engines, &tag),
        "api: greeting Hello, world.\n"
    );

    let saved = scratch_dir("private-image").join("image.tar");
    let save = project
        .engines
        .docker(&["save", "-o", &saved.display().to_string(), &tag]);
    assert_ok(&save, "docker save");
    let image = std::fs::read(&saved).unwrap();
    let needle = password.as_bytes();
    assert!(
        !image.windows(needle.len()).any(|w| w == needle),
        "the secret is in no layer and not in the image config"
    );
    assert!(!progress.contains(&password), "nor in the build output");

    // The same modules from another proxy: the download runs again, the compile does not.
    let open = through(&var("GOFRONTEND_GOPROXY"), &["-t", &tag]);
    assert_ok(&open, "a build through the open proxy");
    let progress = stderr(&open);
    assert!(!was_cached(&progress, DOWNLOAD), "{progress}");
    assert!(
        was_cached(&progress, API),
        "changing GOPROXY leaves compiled services cached:\n{progress}"
    );
}

/// An sshd on 127.0.0.1 serving one git repository, the private module
/// `example.internal/secretlib.git` at v1.0.0, to the holder of a key it made.
struct GitOverSsh {
    child: Child,
    dir: PathBuf,
    port: u16,
}

const SECRET_MODULE: &str = "example.internal/secretlib.git";
const SECRET_FILES: [(&str, &str); 2] = [
    (
        "go.mod",
        "module example.internal/secretlib.git\n\ngo 1.24\n",
    ),
    (
        "lib.go",
        "// Package secretlib lives in a private repository.\npackage secretlib\n\n// Text says where it came from.\nfunc Text() string { return \"from a private repository over SSH\" }\n",
    ),
];

impl GitOverSsh {
    fn start() -> Self {
        let dir = scratch_dir("private-ssh");
        let run = |program: &str, args: &[&str]| {
            let output = Command::new(program)
                .args(args)
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|err| panic!("{program} runs: {err}"));
            assert_ok(&output, &format!("{program} {args:?}"));
        };
        run(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", "host_key"],
        );
        run(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", "client_key"],
        );
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();

        let repo = dir.join("work");
        std::fs::create_dir_all(&repo).unwrap();
        for (name, content) in SECRET_FILES {
            std::fs::write(repo.join(name), content).unwrap();
        }
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &["commit", "-q", "-m", "v1"],
            &["tag", "v1.0.0"],
        ] {
            git(&repo, args);
        }
        run("git", &["clone", "-q", "--bare", "work", "secretlib.git"]);

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\nAuthorizedKeysFile {dir}/authorized_keys\n\
             PidFile {dir}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("sshd_config"), config).unwrap();
        // sshd's privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts (openssh-server, installed by scripts/local-buildkit)");
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Self { child, dir, port }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// The host's key as ssh expects it for this port.
    fn known_hosts(&self) -> String {
        let key = std::fs::read_to_string(self.dir.join("host_key.pub")).unwrap();
        let mut fields = key.split_whitespace();
        let (kind, body) = (fields.next().unwrap(), fields.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {body}\n", self.port)
    }

    /// Sends `example.internal` to this server over SSH, as a developer's ~/.gitconfig does.
    fn gitconfig(&self) -> String {
        format!(
            "[url \"ssh://root@127.0.0.1:{}{}/\"]\n\tinsteadOf = https://example.internal/\n",
            self.port,
            self.dir.display()
        )
    }
}

impl Drop for GitOverSsh {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Go's `h1:` hash of files (dirhash Hash1): SHA-256 over the sorted `sha256  name` lines.
fn go_hash(files: &[(String, &str)]) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut files: Vec<&(String, &str)> = files.iter().collect();
    files.sort();
    let summary: String = files
        .iter()
        .map(|(name, content)| format!("{:x}  {name}\n", Sha256::digest(content.as_bytes())))
        .collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

#[test]
fn git_over_ssh_gets_the_agent_and_the_host_keys_from_the_client_only() {
    let server = GitOverSsh::start();
    let project = Project::new("tests/fixtures/ssh", "go.mod", "ssh");
    let version = format!("{SECRET_MODULE}@v1.0.0");
    let zip_files: Vec<(String, &str)> = SECRET_FILES
        .iter()
        .map(|(name, content)| (format!("{version}/{name}"), *content))
        .collect();
    let go_mod = [("go.mod".to_string(), SECRET_FILES[0].1)];
    std::fs::write(
        project.path("go.sum"),
        format!(
            "{SECRET_MODULE} v1.0.0 {}\n{SECRET_MODULE} v1.0.0/go.mod {}\n",
            go_hash(&zip_files),
            go_hash(&go_mod)
        ),
    )
    .unwrap();
    let secrets = scratch_dir("private-ssh-secrets");
    let known_hosts = secrets.join("known_hosts");
    std::fs::write(&known_hosts, server.known_hosts()).unwrap();
    let gitconfig = secrets.join("gitconfig");
    std::fs::write(&gitconfig, server.gitconfig()).unwrap();

    let nonce = unique();
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=ssh-{nonce}");
    let known_hosts_secret = format!("id=known_hosts,src={}", known_hosts.display());
    let gitconfig_secret = format!("id=gitconfig,src={}", gitconfig.display());
    let agent = format!("default={}", server.file("client_key"));
    let build = |extra: &[&str]| {
        let mut args = vec![
            "--build-arg",
            &namespace,
            "--build-arg",
            "GOPRIVATE=example.internal",
            "--secret",
            &known_hosts_secret,
            "--secret",
            &gitconfig_secret,
        ];
        args.extend(extra);
        project.engines.buildx(&project.dir, &args)
    };

    let refused = build(&[]);
    let progress = stderr(&refused);
    assert!(!refused.status.success(), "{progress}");
    assert!(
        progress.contains(
            "gofrontend: git reached the repository over no protocol; over SSH it needs an agent holding the key (--ssh default)"
        ),
        "{progress}"
    );

    let tag = format!("gofrontend-e2e/ssh:{nonce}");
    let built = build(&["--ssh", &agent, "-t", &tag]);
    assert_ok(&built, "a build with the SSH agent forwarded");
    assert_eq!(
        run_image(&project.engines, &tag),
        "api: from a private repository over SSH\n"
    );
    let key = std::fs::read_to_string(server.dir.join("client_key")).unwrap();
    let key_body = key.lines().nth(1).expect("a PEM body line");
    assert!(!stderr(&built).contains(key_body));
}
