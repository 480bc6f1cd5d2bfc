//! Answers to BuildKit's subrequests (`docker buildx build --print=targets|outline|lint|
//! subrequests.describe`): JSON in the shapes of BuildKit's `frontend/subrequests` packages,
//! which buildx decodes and prints, and the same as text. Pure: the frontend returns them.

use serde::Serialize;
use serde_json::json;

use crate::diagnostic::TextFile;
use crate::gofile::{Gofile, Service};
use crate::gosource::SourceTree;
use crate::options::{
    ARG_BASE_IMAGE, ARG_BUILDER_IMAGE, ARG_CACHE_LAYERS, ARG_CACHE_MOUNT_NS, ARG_GOFLAGS,
    ARG_REVISION, ARG_SOURCE_DATE_EPOCH, ARG_TEST_FAILURES, ARG_VERSION, BuildOptions,
    MODULE_FETCH_ARGS,
};
use crate::plan::{DOWNLOAD_SECRETS, SSH_AGENT_ID, TEST_TARGET};

pub const DESCRIBE: &str = "frontend.subrequests.describe";
pub const TARGETS: &str = "frontend.targets";
pub const OUTLINE: &str = "frontend.outline";
pub const LINT: &str = "frontend.lint";
const VERSION: &str = "1.0.0";

/// What a subrequest returns: the result's metadata (`result.json`, `result.txt`, `version`,
/// and for lint `result.statuscode`).
pub struct Answer {
    pub json: serde_json::Value,
    pub text: String,
    pub status_code: Option<u8>,
}

impl Answer {
    pub fn metadata(&self) -> Vec<(String, Vec<u8>)> {
        let json = serde_json::to_vec_pretty(&self.json).unwrap_or_default();
        let mut metadata = vec![
            ("result.json".to_string(), json),
            ("result.txt".to_string(), self.text.clone().into_bytes()),
            ("version".to_string(), VERSION.as_bytes().to_vec()),
        ];
        if let Some(code) = self.status_code {
            metadata.push((
                "result.statuscode".to_string(),
                code.to_string().into_bytes(),
            ));
        }
        metadata
    }
}

pub fn describe() -> Answer {
    let request = |name: &str, description: &str, opts: serde_json::Value, lint: bool| {
        let mut metadata = vec![
            json!({"name": "result.json", "description": ""}),
            json!({"name": "result.txt", "description": ""}),
        ];
        if lint {
            metadata.push(json!({"name": "result.statuscode", "description": ""}));
        }
        json!({
            "name": name, "version": VERSION, "type": "rpc", "description": description,
            "opts": opts, "inputs": null, "metadata": metadata, "refs": null,
        })
    };
    let target_opt = json!([{"name": "target", "description": "Service (or test) to outline"}]);
    let requests = vec![
        request(
            OUTLINE,
            "List the build args and secrets a service's build reads",
            target_opt,
            false,
        ),
        request(
            TARGETS,
            "List the build targets: the services and the tests",
            json!([]),
            false,
        ),
        request(
            LINT,
            "Check the Gofile and the services' packages",
            json!([]),
            true,
        ),
        request(
            DESCRIBE,
            "List available subrequest types",
            json!(null),
            false,
        ),
    ];
    let mut text = String::from("NAME VERSION DESCRIPTION\n");
    for r in &requests {
        let name = r["name"].as_str().unwrap_or_default();
        text.push_str(&format!(
            "{} {VERSION} {}\n",
            name.trim_start_matches("frontend."),
            r["description"].as_str().unwrap_or_default()
        ));
    }
    Answer {
        json: serde_json::Value::Array(requests),
        text,
        status_code: None,
    }
}

/// A line range in the Gofile, as BuildKit's `pb.Location` (source 0, lines from 1).
fn location(source: &TextFile, span: &std::ops::Range<usize>) -> serde_json::Value {
    let start = source.position(span.start).line;
    let end = source.position(span.end.max(span.start)).line;
    json!({"ranges": [{"start": {"line": start}, "end": {"line": end}}]})
}

fn sources(source: &TextFile) -> serde_json::Value {
    use base64::Engine;
    json!([base64::engine::general_purpose::STANDARD.encode(source.text())])
}

/// Every service; with one, it is what a build without `--target` makes. With several, such
/// a build puts every binary in one image, which no target names.
pub fn targets(gofile: &Gofile, source: &TextFile) -> Answer {
    let single = gofile.services.len() == 1;
    let mut targets: Vec<serde_json::Value> = gofile
        .services
        .iter()
        .map(|service| {
            let mut target = json!({
                "name": service.name.value,
                "location": location(source, &service.name.span),
            });
            if single {
                target["default"] = json!(true);
            }
            if let Some(description) = &service.image.description {
                target["description"] = json!(description);
            }
            target
        })
        .collect();
    let mut test = json!({"name": TEST_TARGET, "description": test_description(gofile)});
    if gofile.test.declared {
        test["location"] = location(source, &gofile.test.span);
    }
    targets.push(test);
    let mut text = String::from("TARGET DESCRIPTION\n");
    for service in &gofile.services {
        let default = if single { " (default)" } else { "" };
        text.push_str(&format!(
            "{}{default} {}\n",
            service.name.value,
            service.image.description.as_deref().unwrap_or_default()
        ));
    }
    text.push_str(&format!("{TEST_TARGET} {}\n", test_description(gofile)));
    Answer {
        json: json!({"targets": targets, "sources": sources(source)}),
        text,
        status_code: None,
    }
}

/// What the test target runs, as `go test` would be asked: `go test ./...`.
pub fn test_description(gofile: &Gofile) -> String {
    let packages: Vec<&str> = gofile
        .test
        .packages
        .iter()
        .map(|p| p.value.as_str())
        .collect();
    format!("go test {}", packages.join(" "))
}

#[derive(Serialize)]
struct OutlineArg {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<serde_json::Value>,
}

/// The build args the Gofile uses (with their defaults), then the ones gofrontend reads
/// itself, and the secrets and SSH agent the module download takes when the client sends them.
pub fn outline(gofile: &Gofile, source: &TextFile, options: &BuildOptions) -> Answer {
    let mut args: Vec<OutlineArg> = Vec::new();
    for used in &gofile.build_args {
        match args.iter_mut().find(|a| a.name == used.name) {
            Some(known) => {
                if known.value.is_none() {
                    known.value = used.default.clone();
                }
            }
            None => args.push(OutlineArg {
                name: used.name.clone(),
                description: Some("used in the Gofile".to_string()),
                value: used.default.clone(),
                location: Some(location(source, &used.span)),
            }),
        }
    }
    let own: Vec<(&str, &str)> = MODULE_FETCH_ARGS
        .iter()
        .map(|name| (*name, "module download only"))
        .chain([
            (ARG_GOFLAGS, "module download and every compile"),
            (ARG_VERSION, "org.opencontainers.image.version label"),
            (ARG_REVISION, "org.opencontainers.image.revision label"),
            (ARG_SOURCE_DATE_EPOCH, "image created time"),
            (ARG_BUILDER_IMAGE, "builder image"),
            (ARG_BASE_IMAGE, "base image of every service"),
            (ARG_CACHE_MOUNT_NS, "cache mount namespace"),
            (
                ARG_CACHE_LAYERS,
                "false keeps compiled packages out of layers (and the registry cache)",
            ),
            (
                ARG_TEST_FAILURES,
                "report records failing tests in the test target's reports",
            ),
        ])
        .collect();
    for (name, description) in own {
        if !args.iter().any(|a| a.name == name) {
            args.push(OutlineArg {
                name: name.to_string(),
                description: Some(description.to_string()),
                value: None,
                location: None,
            });
        }
    }
    let secrets: Vec<serde_json::Value> = DOWNLOAD_SECRETS
        .iter()
        .map(|(id, _)| json!({"name": id}))
        .collect();
    let target = match options.target.as_deref() {
        Some(TEST_TARGET) => Some((TEST_TARGET, Some(test_description(gofile)))),
        Some(name) => gofile
            .service(name)
            .map(|s| (s.name.value.as_str(), s.image.description.clone())),
        None => None,
    };
    let mut json = json!({
        "args": args,
        "secrets": secrets,
        "ssh": [{"name": SSH_AGENT_ID}],
        "sources": sources(source),
    });
    let mut text = String::new();
    if let Some((name, description)) = target {
        json["name"] = json!(name);
        text.push_str(&format!("TARGET: {name}\n"));
        if let Some(description) = description {
            text.push_str(&format!("DESCRIPTION: {description}\n"));
            json["description"] = json!(description);
        }
        text.push('\n');
    }
    text.push_str("BUILD ARG VALUE DESCRIPTION\n");
    for arg in &args {
        text.push_str(&format!(
            "{} {} {}\n",
            arg.name,
            arg.value.as_deref().unwrap_or_default(),
            arg.description.as_deref().unwrap_or_default()
        ));
    }
    text.push_str("\nSECRET REQUIRED\n");
    for (id, _) in DOWNLOAD_SECRETS {
        text.push_str(&format!("{id}\n"));
    }
    text.push_str(&format!("\nSSH REQUIRED\n{SSH_AGENT_ID}\n"));
    Answer {
        json,
        text,
        status_code: None,
    }
}

struct Warning {
    rule: &'static str,
    description: &'static str,
    detail: String,
    span: std::ops::Range<usize>,
}

/// Mistakes a build would not report, or only late: a service whose package is not a
/// command, a base image that is neither distroless nor scratch, cgo on a base without a C
/// library.
/// `tree` is the scan from [`lint_roots`].
pub fn lint(gofile: &Gofile, source: &TextFile, tree: &SourceTree) -> Answer {
    let mut warnings = Vec::new();
    for (service, root) in gofile.services.iter().zip(lint_roots(gofile).dirs) {
        lint_service(gofile, service, tree, root, &mut warnings);
    }
    let json_warnings: Vec<serde_json::Value> = warnings
        .iter()
        .map(|w| {
            json!({
                "ruleName": w.rule, "description": w.description, "detail": w.detail,
                "location": location(source, &w.span),
            })
        })
        .collect();
    let mut text = String::new();
    for w in &warnings {
        let line = source.position(w.span.start).line;
        text.push_str(&format!(
            "WARNING: {} - {}\n{}\n{}:{line}\n\n",
            w.rule,
            w.description,
            w.detail,
            source.name()
        ));
    }
    text.push_str(&match warnings.len() {
        0 => "Check complete, no warnings found.\n".to_string(),
        1 => "Check complete, 1 warning has been found!\n".to_string(),
        n => format!("Check complete, {n} warnings have been found!\n"),
    });
    Answer {
        json: json!({"warnings": json_warnings, "sources": [source.source_info()]}),
        text,
        status_code: Some(u8::from(!warnings.is_empty())),
    }
}

/// Every service's package directory, whatever the build's target.
pub fn lint_roots(gofile: &Gofile) -> crate::gosource::ScanRoots {
    crate::plan::scan_roots(gofile, &BuildOptions::default())
}

fn lint_service(
    gofile: &Gofile,
    service: &Service,
    tree: &SourceTree,
    root: String,
    warnings: &mut Vec<Warning>,
) {
    let name = &service.name.value;
    match tree.packages.get(&root) {
        Some(Some(package)) if package.unsure.is_none() && !package.names.contains("main") => {
            warnings.push(Warning {
                rule: "NoMainPackage",
                description: "A service's package must be a command (package main)",
                detail: format!(
                    "service `{name}` builds `{}`, which is package {}",
                    service.package.value,
                    package.names.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
                span: service.package.span.clone(),
            })
        }
        Some(None) => warnings.push(Warning {
            rule: "PackageNotFound",
            description: "A service's package must be in the build context",
            detail: format!(
                "service `{name}` builds `{}`, which is not in the build context",
                service.package.value
            ),
            span: service.package.span.clone(),
        }),
        _ => {}
    }
    let Some(base) = service.base.as_ref().or(gofile.base.as_ref()) else {
        return;
    };
    let reference = base.value.as_str();
    let distroless = reference.contains("/distroless/");
    if reference != "scratch" && !distroless {
        warnings.push(Warning {
            rule: "BaseNotMinimal",
            description: "Bases other than distroless or scratch bring a shell and a package manager",
            detail: format!("service `{name}` runs on `{reference}`"),
            span: base.span.clone(),
        });
    }
    if service.build.cgo && (reference == "scratch" || reference.contains("/static")) {
        warnings.push(Warning {
            rule: "CgoWithoutLibc",
            description: "A cgo binary needs the C library it was linked against",
            detail: format!(
                "service `{name}` uses cgo, and `{reference}` has no C library: use distroless base"
            ),
            span: base.span.clone(),
        });
    }
}

#[cfg(test)]
mod tests;
