//! Private modules: a module proxy that demands credentials gets them from a BuildKit secret,
//! and the secret's bytes end up in no layer, no image config and no build output. Changing
//! GOPROXY re-runs the download only.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::harness::{Project, assert_ok, run_image, scratch_dir, stderr, unique, var, was_cached};

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
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login alice password {password}\n"),
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
