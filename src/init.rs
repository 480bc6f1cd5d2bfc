//! `gofrontend init`: a first Gofile for a module, with one service per `package main`. The
//! walk over the module's directories is the command line's; turning what it found into
//! Gofile text is here, pure.

use std::collections::BTreeSet;

/// The Gofile for a module whose main packages are in `main_dirs` (module-relative, `.` for
/// the module's own directory).
pub fn gofile_text(module_path: &str, main_dirs: &[String]) -> String {
    let mut dirs: Vec<&String> = main_dirs.iter().collect();
    dirs.sort();
    let names = service_names(module_path, &dirs);
    let mut text = format!(
        "# syntax=org/gofrontend\n\
         # Services of {module_path}, one per main package, found by `gofrontend init`.\n\
         # Build one:  docker buildx build -f Gofile --target {first} -t {first} .\n\
         # Build all:  docker buildx build -f Gofile --output type=local,dest=bin .\n\
         # Test:       docker buildx build -f Gofile --target test --output type=local,dest=test-reports .\n\
         #             (go test ./...; a [test] table sets packages, flags, timeout)\n\
         # Every key is in the README's \"The Gofile\"; [build] holds what all services share:\n\
         # [build]\n\
         # ldflags = \"-s -w -X main.version=${{VERSION:-dev}}\"\n",
        first = names.first().map_or("<service>", String::as_str),
    );
    for (name, dir) in names.iter().zip(dirs) {
        let package = if dir.as_str() == "." {
            ".".to_string()
        } else {
            format!("./{dir}")
        };
        text.push_str(&format!(
            "\n[services.{name}]\npackage = \"{package}\"\n# ports = [8080]\n# args = [\"--flag\"]\n"
        ));
    }
    text
}

/// Each directory's last element (the module's last one for its own directory), made a valid
/// service name; where two would clash, the whole path joined with `-`.
fn service_names(module_path: &str, dirs: &[&String]) -> Vec<String> {
    let module_dir_name = module_path.rsplit('/').next().unwrap_or(module_path);
    let short = |dir: &str| {
        let last = if dir == "." {
            module_dir_name
        } else {
            dir.rsplit('/').next().unwrap_or(dir)
        };
        service_name(last)
    };
    let shorts: Vec<String> = dirs.iter().map(|dir| short(dir)).collect();
    let clashing: BTreeSet<&String> = shorts
        .iter()
        .filter(|name| shorts.iter().filter(|other| other == name).count() > 1)
        .collect();
    let mut taken = BTreeSet::new();
    dirs.iter()
        .zip(&shorts)
        .map(|(dir, name)| {
            let mut name = if clashing.contains(name) && dir.as_str() != "." {
                service_name(&dir.replace('/', "-"))
            } else {
                name.clone()
            };
            let base = name.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}-{n}");
                n += 1;
            }
            name
        })
        .collect()
}

/// Lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 63.
fn service_name(raw: &str) -> String {
    let mut name: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_start_matches(['-', '_']).to_string();
    name.truncate(63);
    if name.is_empty() {
        "service".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::TextFile;
    use crate::gofile;

    fn dirs(list: &[&str]) -> Vec<String> {
        list.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn one_service_per_main_package_that_the_parser_accepts() {
        let text = gofile_text("example.com/shop", &dirs(&["cmd/worker", "cmd/api", "."]));
        let parsed = gofile::parse(&TextFile::new("Gofile", &text), &Default::default())
            .unwrap_or_else(|err| panic!("{err}\n{text}"));
        let services: Vec<(&str, &str)> = parsed
            .services
            .iter()
            .map(|s| (s.name.value.as_str(), s.package.value.as_str()))
            .collect();
        assert_eq!(
            services,
            [
                ("shop", "."),
                ("api", "./cmd/api"),
                ("worker", "./cmd/worker")
            ]
        );
        assert!(text.starts_with("# syntax=org/gofrontend\n"));
    }

    #[test]
    fn clashing_and_odd_names_become_valid_and_distinct() {
        let names = |list: &[&str]| {
            let owned = dirs(list);
            let refs: Vec<&String> = owned.iter().collect();
            service_names("example.com/My.Tools", &refs)
        };
        assert_eq!(
            names(&["api/server", "admin/server", "cmd/Gen.Tool", "."]),
            ["api-server", "admin-server", "gen-tool", "my-tools"]
        );
        assert_eq!(names(&["_x/.y"]), ["y"]);
    }
}
