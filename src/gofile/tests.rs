//! Every class of Gofile mistake, with its exact message and position.

use std::collections::BTreeMap;

use super::*;

fn parse_with(text: &str, args: &[(&str, &str)]) -> Result<Gofile, Diagnostics> {
    let args: BTreeMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parse(&TextFile::new("Gofile", text), &args)
}

fn errors(text: &str) -> Vec<String> {
    errors_with(text, &[])
}

fn errors_with(text: &str, args: &[(&str, &str)]) -> Vec<String> {
    match parse_with(text, args) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(diagnostics) => diagnostics.headlines(),
    }
}

const API: &str = "[services.api]\npackage = \"./cmd/api\"\n";

#[test]
fn a_minimal_gofile_gets_the_defaults() {
    let gofile = parse_with(&format!("# syntax=org/gofrontend\n{API}"), &[]).unwrap();
    assert_eq!(gofile.module.value, ".");
    assert!(gofile.go.is_none() && gofile.base.is_none() && !gofile.shared_cache);
    let api = gofile.service("api").unwrap();
    assert_eq!(api.package.value, "./cmd/api");
    assert_eq!(api.binary, "api");
    assert_eq!(api.build, BuildSettings::default());
    assert_eq!(api.build.ldflags, "-s -w");
    assert_eq!(api.image, ImageSettings::default());
}

#[test]
fn services_override_build_defaults() {
    let text = r#"
[build]
tags = ["netgo"]
ldflags = "-s"
env = { GOPRIVATE = "example.com/*", A = "1" }

[services.api]
package = "./cmd/api"
cgo = true
build_env = { A = "2" }
env = { PORT = "8080" }
ports = [8080, "53/udp"]
args = ["--verbose"]
labels = { team = "core" }
user = "65532:65532"
workdir = "/data"

[services.worker]
package = "./cmd/worker"
binary = "work"
tags = []
"#;
    let gofile = parse_with(text, &[]).unwrap();
    let api = gofile.service("api").unwrap();
    assert!(api.build.cgo);
    assert_eq!(api.build.tags, ["netgo"]);
    assert_eq!(api.build.ldflags, "-s");
    assert_eq!(api.build.env["A"], "2");
    assert_eq!(api.build.env["GOPRIVATE"], "example.com/*");
    assert_eq!(api.image.env["PORT"], "8080");
    assert_eq!(api.image.ports, ["8080/tcp", "53/udp"]);
    assert_eq!(
        api.image.args.as_deref(),
        Some(&["--verbose".to_string()][..])
    );
    assert_eq!(api.image.labels["team"], "core");
    let worker = gofile.service("worker").unwrap();
    assert_eq!(worker.binary, "work");
    assert!(worker.build.tags.is_empty());
    assert!(!worker.build.cgo);
    assert_eq!(worker.build.env["A"], "1");
    let names: Vec<_> = gofile
        .services
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    assert_eq!(names, ["api", "worker"], "services keep the Gofile's order");
}

#[test]
fn toml_syntax_errors_have_a_position() {
    assert_eq!(
        errors("[services.api\npackage = \"./cmd/api\"\n"),
        ["Gofile:1:14: invalid TOML: unclosed table, expected `]`"]
    );
    let dup = errors("[services.api]\npackage = \"./a\"\npackage = \"./b\"\n");
    assert_eq!(dup.len(), 1);
    assert!(
        dup[0].starts_with("Gofile:3:1: invalid TOML: duplicate key"),
        "{dup:?}"
    );
}

#[test]
fn unknown_keys_are_all_reported_with_suggestions() {
    let text = "gov = \"1.24\"\n[services.api]\npackage = \"./cmd/api\"\nport = 8080\n";
    let diagnostics = parse_with(text, &[]).unwrap_err();
    assert_eq!(
        diagnostics.headlines(),
        [
            "Gofile:1:1: unknown key `gov` at the top level",
            "Gofile:4:1: unknown key `port` in [services.api]",
        ]
    );
    assert_eq!(
        diagnostics.items[0].help.as_deref(),
        Some("did you mean `go`?")
    );
    assert_eq!(
        diagnostics.items[1].help.as_deref(),
        Some("did you mean `ports`?")
    );
    assert_eq!(
        errors(&format!("[build]\nldflag = \"-s\"\n{API}")),
        ["Gofile:2:1: unknown key `ldflag` in [build]"]
    );
}

#[test]
fn wrong_types_name_the_key_and_both_types() {
    assert_eq!(
        errors(&format!("{API}cgo = \"yes\"\n")),
        ["Gofile:3:7: `cgo` in [services.api] must be `true` or `false`, found a string"]
    );
    assert_eq!(
        errors(&format!("{API}tags = \"a,b\"\n")),
        ["Gofile:3:8: `tags` in [services.api] must be an array of strings, found a string"]
    );
    assert_eq!(
        errors(&format!("{API}ports = [8080, true]\n")),
        [
            "Gofile:3:16: `ports` in [services.api] must be a port number or a string like \"53/udp\", found a boolean"
        ]
    );
    assert_eq!(
        errors("services = 3\n"),
        ["Gofile:1:12: `services` at the top level must be a table, found an integer"]
    );
    assert_eq!(
        errors("[services]\napi = \"./cmd/api\"\n"),
        ["Gofile:2:7: `api` in [services] must be a table, found a string"]
    );
}

#[test]
fn a_gofile_needs_services() {
    assert_eq!(
        errors("go = \"1.24\"\n"),
        ["Gofile:1:1: no services defined"]
    );
    assert_eq!(errors("[services]\n"), ["Gofile:1:2: no services defined"]);
}

#[test]
fn service_names_and_packages_are_checked() {
    assert_eq!(
        errors("[services.Api]\npackage = \"./cmd/api\"\n"),
        ["Gofile:1:11: `Api` is not a valid service name"]
    );
    assert_eq!(
        errors("[services.api]\nbinary = \"x\"\n"),
        ["Gofile:1:11: service `api` has no `package`"]
    );
    assert_eq!(
        errors("[services.api]\npackage = \"/cmd/api\"\n"),
        ["Gofile:2:11: package `/cmd/api` is an absolute path"]
    );
    assert_eq!(
        errors("[services.api]\npackage = \"./cmd/../../etc\"\n"),
        ["Gofile:2:11: package path `cmd/../../etc` uses `..`"]
    );
    let diagnostics = parse_with("[services.api]\npackage = \"cmd/api\"\n", &[]).unwrap_err();
    assert_eq!(
        diagnostics.headlines(),
        ["Gofile:2:11: package `cmd/api` must start with `./`"]
    );
    assert!(
        diagnostics.items[0]
            .help
            .as_deref()
            .unwrap()
            .contains("`./cmd/api`")
    );
}

#[test]
fn module_must_stay_inside_the_context() {
    assert_eq!(
        errors(&format!("module = \"../shared\"\n{API}")),
        ["Gofile:1:10: module path `../shared` uses `..`"]
    );
    assert_eq!(
        errors(&format!("module = \"/src\"\n{API}")),
        ["Gofile:1:10: module `/src` is an absolute path"]
    );
}

#[test]
fn values_are_checked() {
    assert_eq!(
        errors(&format!("go = \"latest\"\nbase = \"Distroless\"\n{API}")),
        [
            "Gofile:1:6: `latest` is not a Go version",
            "Gofile:2:8: image reference `Distroless`: repository names use lowercase letters, digits, `.`, `_` and `-`",
        ]
    );
    assert_eq!(
        errors(&format!(
            "{API}ports = [70000]\nworkdir = \"data\"\nflags = [\"-o=/x\"]\n"
        )),
        [
            "Gofile:3:10: `70000` is not a valid port",
            "Gofile:4:11: workdir `data` must be an absolute path",
            "Gofile:5:10: flag `-o=/x` is set by gofrontend",
        ]
    );
    assert_eq!(
        errors(&format!("[build]\nenv = {{ CGO_ENABLED = \"1\" }}\n{API}")),
        ["Gofile:2:9: `CGO_ENABLED` is set by gofrontend and cannot be set in `env`"]
    );
}

#[test]
fn build_args_fill_placeholders() {
    let text = format!(
        "{API}ldflags = \"-X main.version=${{VERSION}}\"\nuser = \"${{USER_ID:-65532}}\"\n"
    );
    let gofile = parse_with(&text, &[("VERSION", "1.2.3")]).unwrap();
    let api = gofile.service("api").unwrap();
    assert_eq!(api.build.ldflags, "-X main.version=1.2.3");
    assert_eq!(api.image.user.as_deref(), Some("65532"));
}

/// Go splits `-ldflags` at spaces (with `'` or `"` around a field): a value with spaces or
/// quotes stays in its field, and one holding both quotes is refused with the build arg.
#[test]
fn build_args_in_ldflags_stay_in_their_field() {
    let text =
        format!("{API}ldflags = \"-s -X main.version=${{VERSION}} -X 'main.note=${{NOTE}}'\"\n");
    let ldflags = |version: &str, note: &str| {
        parse_with(&text, &[("VERSION", version), ("NOTE", note)])
            .map(|gofile| gofile.service("api").unwrap().build.ldflags.clone())
    };
    assert_eq!(
        ldflags("1.2", "x").unwrap(),
        "-s -X main.version=1.2 -X main.note=x"
    );
    assert_eq!(
        ldflags("1.0 beta", "it's").unwrap(),
        "-s -X 'main.version=1.0 beta' -X main.note=it's"
    );
    assert_eq!(
        ldflags("-X main.evil=1", "").unwrap(),
        "-s -X 'main.version=-X main.evil=1' -X main.note="
    );
    let err = ldflags("say \"it's\"", "x").unwrap_err();
    assert_eq!(
        err.headlines(),
        [
            "Gofile:3:18: `ldflags` field `main.version=say \"it's\"` holds both `'` and `\"`, and Go cannot quote it as one field"
        ]
    );
    assert!(err.to_string().contains("build arg `VERSION`"));
}

#[test]
fn an_undefined_build_arg_points_at_the_placeholder() {
    let text = format!("{API}ldflags = \"-X main.version=${{VERSION}}\"\n");
    let diagnostics = parse_with(&text, &[]).unwrap_err();
    assert_eq!(
        diagnostics.headlines(),
        ["Gofile:3:28: build arg `VERSION` is not defined"]
    );
    assert_eq!(
        diagnostics.to_string(),
        "Gofile:3:28: build arg `VERSION` is not defined\n  |\n3 | ldflags = \"-X main.version=${VERSION}\"\n  |                            ^^^^^^^^^^\n  = help: pass `--build-arg VERSION=...`, or give a default: `${VERSION:-default}`"
    );
}

#[test]
fn every_mistake_is_reported_in_one_run() {
    let text = "[services.api]\nport = 1\n[services.Bad]\npackage = \"x\"\n";
    assert_eq!(
        errors(text),
        [
            "Gofile:1:11: service `api` has no `package`",
            "Gofile:2:1: unknown key `port` in [services.api]",
            "Gofile:3:11: `Bad` is not a valid service name",
            "Gofile:4:11: package `x` must start with `./`",
        ]
    );
}

#[test]
fn errors_use_the_name_the_file_was_given() {
    let diagnostics =
        parse(&TextFile::new("deploy/Gofile", "x = 1\n"), &BTreeMap::new()).unwrap_err();
    assert!(
        diagnostics
            .headlines()
            .contains(&"deploy/Gofile:1:1: unknown key `x` at the top level".to_string())
    );
}

/// A corpus of bad Gofiles (`testdata/bad/`), each with the exact messages a user sees.
#[test]
fn every_bad_gofile_fails_with_its_pinned_messages() {
    insta::glob!("testdata/bad/*.toml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let diagnostics = parse(&TextFile::new("Gofile", text), &BTreeMap::new())
            .expect_err("every Gofile of the corpus is invalid");
        insta::assert_snapshot!(diagnostics.to_string());
    });
}

/// The JSON Schema editors use (`schema/gofile.schema.json`): it names exactly the keys the
/// parser accepts, and every Gofile in the repository passes it.
mod schema {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    const SCHEMA_URL: &str = "https://github.com/org/gofrontend/schema/gofile.schema.json";

    fn schema() -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/gofile.schema.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn keys(properties: &serde_json::Value) -> BTreeSet<String> {
        properties.as_object().unwrap().keys().cloned().collect()
    }

    fn set(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn names_exactly_the_keys_the_parser_accepts() {
        let schema = schema();
        assert_eq!(keys(&schema["properties"]), set(TOP_LEVEL_KEYS));
        assert_eq!(
            keys(&schema["properties"]["build"]["properties"]),
            set(BUILD_KEYS)
        );
        assert_eq!(
            keys(&schema["properties"]["services"]["additionalProperties"]["properties"]),
            set(SERVICE_KEYS)
        );
    }

    fn gofiles(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                gofiles(&path, found);
            } else if path.file_name().is_some_and(|n| n == "Gofile") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_gofile_in_the_repository_passes_it_and_unknown_keys_do_not() {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(SCHEMA_URL, schema()).unwrap();
        let index = compiler.compile(SCHEMA_URL, &mut schemas).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        for dir in ["examples", "tests/fixtures"] {
            gofiles(&root.join(dir), &mut found);
        }
        assert!(found.len() >= 10, "{found:?}");
        for path in found {
            let text = std::fs::read_to_string(&path).unwrap();
            parse(&TextFile::new("Gofile", text.as_str()), &BTreeMap::new())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let value: serde_json::Value = toml::from_str(&text).unwrap();
            if let Err(err) = schemas.validate(&value, index) {
                panic!("{} fails the schema: {err}", path.display());
            }
        }
        let unknown: serde_json::Value =
            toml::from_str("[services.api]\npackage = \".\"\nport = 8080\n").unwrap();
        assert!(schemas.validate(&unknown, index).is_err());
    }
}

#[test]
fn the_test_table_is_read_over_build() {
    let gofile = parse_with(
        &format!(
            "[build]\ncgo = true\ntags = [\"netgo\"]\nenv = {{ TZ = \"UTC\" }}\n{API}\n[test]\npackages = [\"./internal/...\"]\ntags = [\"integration\"]\nflags = [\"-short\", \"-race\", \"-run=TestAPI\"]\nenv = {{ MODE = \"test\" }}\ntimeout = \"90s\"\n"
        ),
        &[],
    )
    .unwrap();
    let test = &gofile.test;
    assert!(test.declared);
    let values =
        |list: &[Spanned<String>]| list.iter().map(|s| s.value.clone()).collect::<Vec<_>>();
    assert_eq!(values(&test.packages), ["./internal/..."]);
    assert_eq!(test.build.tags, ["integration"]);
    // -race changes how every package compiles: a build flag of the tests.
    assert_eq!(values(&test.flags), ["-short", "-run=TestAPI"]);
    assert_eq!(values(&test.build.flags), ["-race"]);
    assert_eq!(test.build.env.keys().collect::<Vec<_>>(), ["MODE", "TZ"]);
    assert_eq!(test.timeout.as_ref().map(|t| t.value.as_str()), Some("90s"));
    assert!(
        gofile.build.flags.is_empty(),
        "the services build without -race"
    );

    let defaults = parse_with(API, &[]).unwrap().test;
    assert!(!defaults.declared);
    assert_eq!(values(&defaults.packages), ["./..."]);
}
