//! `gofrontend bake`: a `docker-bake.json` with one target per service and a default group of
//! them all, so `docker buildx bake` builds every service image in one command, in parallel;
//! with `[test]`, a `test` target too (`docker buildx bake test`) writing the reports.

use serde_json::{Map, Value, json};

use crate::gofile::Gofile;
use crate::plan::TEST_TARGET;

/// Where `docker buildx bake test` writes the reports, relative to where bake runs.
const TEST_REPORTS_DIR: &str = "test-reports";

/// `gofile_path` is the Gofile as bake should find it from `context`; a service's image is
/// tagged `<tag_prefix><service>` (the `--tag-prefix` option, else the Gofile's `tag_prefix`).
pub fn bake_file(
    gofile: &Gofile,
    gofile_path: &str,
    context: &str,
    tag_prefix: Option<&str>,
) -> Value {
    let prefix = tag_prefix
        .or(gofile.tag_prefix.as_deref())
        .unwrap_or_default();
    let names: Vec<&str> = gofile
        .services
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    let mut targets: Map<String, Value> = names
        .iter()
        .map(|name| {
            let target = json!({
                "context": context,
                "dockerfile": gofile_path,
                "target": name,
                "tags": [format!("{prefix}{name}")],
            });
            (name.to_string(), target)
        })
        .collect();
    if gofile.test.declared {
        targets.insert(
            TEST_TARGET.to_string(),
            json!({
                "context": context,
                "dockerfile": gofile_path,
                "target": TEST_TARGET,
                "output": [format!("type=local,dest={TEST_REPORTS_DIR}")],
            }),
        );
    }
    json!({
        "group": {"default": {"targets": names}},
        "target": targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::TextFile;
    use crate::gofile;

    fn gofile(text: &str) -> Gofile {
        gofile::parse_declarations(&TextFile::new("Gofile", text), &Default::default()).unwrap()
    }

    #[test]
    fn one_target_per_service_in_the_default_group() {
        let services = gofile(
            "tag_prefix = \"registry.example.com/shop/\"\n[services.api]\npackage = \"./cmd/api\"\n[services.worker]\npackage = \"./cmd/worker\"\n",
        );
        let file = bake_file(&services, "deploy/Gofile", ".", None);
        assert_eq!(
            file["group"]["default"]["targets"],
            json!(["api", "worker"])
        );
        assert_eq!(
            file["target"]["worker"],
            json!({
                "context": ".",
                "dockerfile": "deploy/Gofile",
                "target": "worker",
                "tags": ["registry.example.com/shop/worker"],
            })
        );
        let overridden = bake_file(&services, "Gofile", ".", Some("ghcr.io/org/"));
        assert_eq!(
            overridden["target"]["api"]["tags"],
            json!(["ghcr.io/org/api"])
        );
        assert!(file["target"].get("test").is_none(), "no [test], no target");
        let tested = gofile("[services.api]\npackage = \".\"\n[test]\nflags = [\"-short\"]\n");
        let file = bake_file(&tested, "Gofile", ".", None);
        assert_eq!(file["group"]["default"]["targets"], json!(["api"]));
        assert_eq!(
            file["target"]["test"],
            json!({
                "context": ".",
                "dockerfile": "Gofile",
                "target": "test",
                "output": ["type=local,dest=test-reports"],
            })
        );
        let plain = gofile("[services.api]\npackage = \".\"\n");
        assert_eq!(
            bake_file(&plain, "Gofile", ".", None)["target"]["api"]["tags"],
            json!(["api"])
        );
    }
}
