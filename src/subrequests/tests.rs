use super::*;
use crate::gofile;
use crate::gosource::MemoryFiles;
use crate::gosource::tests::scan_now;

fn parsed(text: &str) -> (Gofile, TextFile) {
    let source = TextFile::new("Gofile", text);
    let gofile = gofile::parse_declarations(&source, &Default::default()).unwrap();
    (gofile, source)
}

#[test]
fn describe_lists_every_request_this_frontend_answers() {
    let answer = describe();
    let names: Vec<&str> = answer
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [OUTLINE, TARGETS, LINT, DESCRIBE]);
    for request in answer.json.as_array().unwrap() {
        assert_eq!(request["version"], "1.0.0");
        assert_eq!(request["type"], "rpc");
    }
    let metadata: Vec<(String, Vec<u8>)> = answer.metadata();
    assert_eq!(metadata[2], ("version".to_string(), b"1.0.0".to_vec()));
}

#[test]
fn targets_are_the_services_with_descriptions_and_the_default_when_there_is_one() {
    let (gofile, source) = parsed(
        "[services.api]\npackage = \"./cmd/api\"\ndescription = \"The API\"\n\n[services.worker]\npackage = \"./cmd/worker\"\n",
    );
    let answer = targets(&gofile, &source);
    assert_eq!(
        answer.json["targets"],
        json!([
            {"name": "api", "description": "The API", "location": {"ranges": [{"start": {"line": 1}, "end": {"line": 1}}]}},
            {"name": "worker", "location": {"ranges": [{"start": {"line": 5}, "end": {"line": 5}}]}},
            {"name": "test", "description": "go test ./..."},
        ])
    );
    assert_eq!(
        answer.text,
        "TARGET DESCRIPTION\napi The API\nworker \ntest go test ./...\n"
    );
    let (single, source) = parsed(
        "[services.api]\npackage = \".\"\n\n[test]\npackages = [\"./internal/...\", \"./cmd/...\"]\n",
    );
    let answer = targets(&single, &source);
    assert_eq!(answer.json["targets"][0]["default"], true);
    assert_eq!(
        answer.json["targets"][1],
        json!({"name": "test", "description": "go test ./internal/... ./cmd/...",
            "location": {"ranges": [{"start": {"line": 4}, "end": {"line": 4}}]}})
    );
}

#[test]
fn outline_of_the_test_target_names_it() {
    let (gofile, source) = parsed("[services.api]\npackage = \".\"\n");
    let options = BuildOptions::from_pairs([("target", "test")]).unwrap();
    let answer = outline(&gofile, &source, &options);
    assert_eq!(answer.json["name"], "test");
    assert_eq!(answer.json["description"], "go test ./...");
    assert!(
        answer
            .text
            .starts_with("TARGET: test\nDESCRIPTION: go test ./...\n\n")
    );
}

#[test]
fn outline_lists_the_gofile_s_build_args_then_gofrontend_s_and_the_secrets() {
    let (gofile, source) = parsed(
        "[build]\nldflags = \"-X main.v=${VERSION:-dev} -X main.r=${REVISION}\"\n[services.api]\npackage = \".\"\ndescription = \"The API\"\nenv = { MODE = \"${MODE:-prod}\" }\n",
    );
    let options = BuildOptions::from_pairs([("target", "api")]).unwrap();
    let answer = outline(&gofile, &source, &options);
    let args = answer.json["args"].as_array().unwrap();
    assert_eq!(args[0]["name"], "VERSION");
    assert_eq!(args[0]["value"], "dev");
    assert_eq!(args[0]["location"]["ranges"][0]["start"]["line"], 2);
    assert_eq!(args[1]["name"], "REVISION");
    assert!(args[1].get("value").is_none());
    assert_eq!(args[2]["name"], "MODE");
    assert!(args.iter().any(|a| a["name"] == "GOPROXY"));
    assert_eq!(
        args.iter().filter(|a| a["name"] == "VERSION").count(),
        1,
        "each build arg once"
    );
    assert_eq!(answer.json["name"], "api");
    assert_eq!(answer.json["description"], "The API");
    assert_eq!(
        answer.json["secrets"],
        json!([{"name": "netrc"}, {"name": "known_hosts"}, {"name": "gitconfig"}])
    );
    assert_eq!(answer.json["ssh"], json!([{"name": "default"}]));
}

#[test]
fn lint_finds_libraries_missing_packages_big_bases_and_cgo_without_libc() {
    let (gofile, source) = parsed(
        "[services.good]\npackage = \"./cmd/good\"\n[services.lib]\npackage = \"./lib\"\n[services.gone]\npackage = \"./gone\"\n[services.fat]\npackage = \"./cmd/good\"\nbase = \"debian:bookworm\"\n[services.c]\npackage = \"./cmd/good\"\ncgo = true\nbase = \"gcr.io/distroless/static-debian12\"\n",
    );
    let files = MemoryFiles::new(&[
        ("go.mod", "module example.com/shop\n"),
        ("cmd/good/main.go", "package main\n"),
        ("lib/lib.go", "package lib\n"),
    ]);
    let roots = lint_roots(&gofile);
    let roots: Vec<&str> = roots.dirs.iter().map(String::as_str).collect();
    let tree = scan_now(&files, ".", &roots);
    let answer = lint(&gofile, &source, &tree);
    let rules: Vec<(&str, i64)> = answer.json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["ruleName"].as_str().unwrap(),
                w["location"]["ranges"][0]["start"]["line"]
                    .as_i64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("NoMainPackage", 4),
            ("PackageNotFound", 6),
            ("BaseNotMinimal", 9),
            ("CgoWithoutLibc", 13)
        ]
    );
    assert_eq!(answer.status_code, Some(1));
    assert!(
        answer
            .text
            .ends_with("Check complete, 4 warnings have been found!\n")
    );
    let (clean, source) = parsed("[services.good]\npackage = \"./cmd/good\"\n");
    let tree = scan_now(&files, ".", &["cmd/good"]);
    assert_eq!(lint(&clean, &source, &tree).status_code, Some(0));
}
