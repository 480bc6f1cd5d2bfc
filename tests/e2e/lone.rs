//! A Gofile of one service: its module download compiles the standard library packages the
//! service imports meanwhile, for every build of it. Its image, built importing no cache, has
//! no standard library step in series before the service, whose `go build` compiles the rest;
//! its tests keep theirs and share the download.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::harness::{
    Engines, assert_ok, compiled, ran, require_quote, run_image, scratch_dir, stderr, unique, var,
    vertex_lines, was_cached, write_files,
};

#[test]
fn the_standard_library_compiles_while_the_modules_download() {
    let engines = Engines::from_env();
    let run = unique();
    let context = scratch_dir("lone");
    require_quote(&context, "example.com/lone", run);
    write_files(
        &context,
        &[
            (
                "Gofile",
                "[build]\nflags = [\"-v\"]\n[services.app]\npackage = \"./cmd/app\"\n",
            ),
            // unicode/utf8 imports nothing: it compiles in a moment however busy the machine.
            (
                "cmd/app/main.go",
                &format!(
                    "package main\n\nimport (\n\t\"unicode/utf8\"\n\n\t\"example.com/quote\"\n)\n\n\
                     // run {run}\nfunc main() {{ println(utf8.RuneCountInString(quote.Hello())) }}\n"
                ),
            ),
        ],
    );
    // The download takes as long as over a slow network; a GOCACHE and a module cache of
    // this run's own start empty.
    let proxy = format!("GOPROXY={}", slow_proxy(Duration::from_secs(20)));
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=lone-{run}");
    let tag = format!("gofrontend-e2e/lone:{run}");
    let output = build(
        &engines,
        &context,
        &proxy,
        &namespace,
        &["--load", "-t", &tag],
    );
    assert_ok(&output, "building one service");
    let progress = stderr(&output);

    assert!(
        vertex_lines(&progress, "[stdlib]").is_empty(),
        "no standard library step:\n{progress}"
    );
    assert!(
        !vertex_lines(
            &progress,
            "go mod download (example.com/lone: 2 modules), the standard library compiling meanwhile"
        )
        .is_empty(),
        "the download says what it compiles:\n{progress}"
    );
    let service = compiled(&progress, "[app] go build");
    assert!(
        service.iter().any(|p| p == "runtime") && service.iter().any(|p| p == "example.com/quote"),
        "the service compiles what the download did not: {service:?}\n{progress}"
    );
    assert!(
        !service.iter().any(|p| p == "unicode/utf8"),
        "the download compiled the standard library package: {service:?}\n{progress}"
    );
    // It runs to its end (its line goes to stderr: println needs no package).
    run_image(&engines, &tag);
}

/// CI's test build then image build of a Gofile of one service: the test build runs the image
/// build's download step, which the image build then finds in the cache.
#[test]
fn the_test_build_and_the_image_build_download_once() {
    let engines = Engines::from_env();
    let run = unique();
    let context = scratch_dir("lone-tested");
    require_quote(&context, "example.com/tested", run);
    write_files(
        &context,
        &[
            ("Gofile", "[services.app]\npackage = \"./cmd/app\"\n"),
            (
                "cmd/app/main.go",
                &format!(
                    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/quote\"\n)\n\n\
                     // run {run}\nfunc main() {{ fmt.Println(quote.Hello()) }}\n"
                ),
            ),
            (
                "cmd/app/main_test.go",
                "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/quote\"\n)\n\n\
                 func TestHello(t *testing.T) {\n\tif quote.Hello() == \"\" {\n\t\tt.Fatal(\"no greeting\")\n\t}\n}\n",
            ),
        ],
    );
    let proxy = format!("GOPROXY={}", var("GOFRONTEND_GOPROXY"));
    let namespace = format!("BUILDKIT_CACHE_MOUNT_NS=lone-tested-{run}");
    let download =
        "go mod download (example.com/tested: 2 modules), the standard library compiling meanwhile";
    let tests = build(
        &engines,
        &context,
        &proxy,
        &namespace,
        &["--target", "test"],
    );
    assert_ok(&tests, "building the test target");
    let progress = stderr(&tests);
    assert!(
        !vertex_lines(&progress, "[stdlib]").is_empty(),
        "the tests keep their standard library step:\n{progress}"
    );
    assert!(ran(&progress, download), "{progress}");

    let tag = format!("gofrontend-e2e/lone-tested:{run}");
    let image = build(
        &engines,
        &context,
        &proxy,
        &namespace,
        &["--load", "-t", &tag],
    );
    assert_ok(&image, "building the image after the tests");
    let progress = stderr(&image);
    assert!(
        was_cached(&progress, download),
        "the image build downloads nothing again:\n{progress}"
    );
    assert_eq!(
        run_image(&engines, &tag).trim(),
        "Hello, world! (quote v1.1.0)"
    );
}

/// A build of `context` with the build args `proxy` (GOPROXY) and `namespace` (its cache
/// mounts'), and `extra`.
fn build(
    engines: &Engines,
    context: &Path,
    proxy: &str,
    namespace: &str,
    extra: &[&str],
) -> Output {
    let mut args = vec!["--build-arg", proxy, "--build-arg", namespace];
    args.extend_from_slice(extra);
    engines.buildx(context, &args)
}

/// A proxy in front of the loopback module proxy that holds each module zip back `delay`;
/// its address.
fn slow_proxy(delay: Duration) -> String {
    let upstream = var("GOFRONTEND_GOPROXY")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || relay(client, &upstream, delay));
        }
    });
    format!("http://{address}")
}

/// Copies `client`'s requests to `upstream`, a zip's after `delay`, and the answers back.
fn relay(client: TcpStream, upstream: &str, delay: Duration) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut requests, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let answers = std::thread::spawn(move || {
        let (mut from_server, mut to_client) = (server, client);
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let mut buffer = [0; 8192];
    while let Ok(read @ 1..) = requests.read(&mut buffer) {
        if buffer[..read].windows(4).any(|w| w == b".zip") {
            std::thread::sleep(delay);
        }
        if to_server.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to_server.shutdown(Shutdown::Write);
    let _ = answers.join();
}
