//! The few go.mod and go.work directives the plan needs: the module path (cache namespaces),
//! the Go version (the default builder image), and the directories of local modules (`replace`
//! to a directory, `use`) whose go.mod files the download needs.

mod directives;
mod work;

pub use directives::LocalReplace;
pub use work::GoWork;

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use directives::{directives, local_replace};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    pub module_path: String,
    /// The `go` directive, as written (`1.24`, `1.24.0`).
    pub go: Option<String>,
    /// The `toolchain` directive without its `go` prefix (`1.24.3`).
    pub toolchain: Option<String>,
    /// `replace` directives whose target is a directory.
    pub local_replaces: Vec<LocalReplace>,
    /// Whether it requires any module.
    pub requires: bool,
    /// The module paths it requires.
    pub required: Vec<String>,
    /// Where the directive that picks the builder's Go version is: `toolchain` if any, else
    /// `go`.
    pub version_span: Option<std::ops::Range<usize>>,
}

impl GoMod {
    pub fn parse(source: &TextFile) -> Result<Self, Diagnostics> {
        let mut module_path = None;
        let mut go = None;
        let mut toolchain = None;
        let mut local_replaces = Vec::new();
        let mut requires = false;
        let mut required = Vec::new();
        let mut go_span = None;
        let mut toolchain_span = None;
        for directive in directives(source.text()) {
            let Some(first) = directive.args.first().map(|a| a.text.as_str()) else {
                continue;
            };
            match directive.verb {
                "module" => module_path = Some(first.to_string()),
                "go" => {
                    go = Some(first.to_string());
                    go_span = Some(directive.span.clone());
                }
                "toolchain" if first != "default" => {
                    toolchain = Some(first.trim_start_matches("go").to_string());
                    toolchain_span = Some(directive.span.clone());
                }
                "replace" => local_replaces.extend(local_replace(&directive)),
                "require" => {
                    requires = true;
                    required.push(first.to_string());
                }
                _ => {}
            }
        }
        let Some(module_path) = module_path.filter(|p| !p.is_empty()) else {
            let end = source.text().len();
            return Err(Diagnostics::single(
                source.clone(),
                Diagnostic::new(end..end, "go.mod has no `module` directive")
                    .with_help("run `go mod init <module path>` in the module directory"),
            ));
        };
        Ok(Self {
            module_path,
            go,
            toolchain,
            local_replaces,
            requires,
            required,
            version_span: toolchain_span.or(go_span),
        })
    }

    /// `major.minor` of the Go the code declares: the toolchain if named, else the `go` line.
    pub fn go_release(&self) -> Option<String> {
        let version = self.toolchain.as_deref().or(self.go.as_deref())?;
        let mut parts = version.split(['.', '-', 'r', 'b']);
        let major = parts.next().filter(|p| p.parse::<u32>().is_ok())?;
        let minor = parts.next().filter(|p| p.parse::<u32>().is_ok())?;
        Some(format!("{major}.{minor}"))
    }
}

/// The module versions a go.sum vouches for the code of (`path version h1:...`), leaving out
/// the lines that cover only a go.mod (`path version/go.mod h1:...`).
pub fn go_sum_modules(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|line| {
        let mut fields = line.split_whitespace();
        let (path, version) = (fields.next()?, fields.next()?);
        fields.next()?;
        (!version.ends_with("/go.mod")).then_some((path, version))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GoMod, Diagnostics> {
        GoMod::parse(&TextFile::new("go.mod", text))
    }

    #[test]
    fn reads_module_go_and_toolchain() {
        let gomod = parse(
            "// A comment\nmodule example.com/shop // trailing\n\ngo 1.23.4\n\ntoolchain go1.24.3\n\nrequire (\n\tgithub.com/x/y v1.0.0\n)\n",
        )
        .unwrap();
        assert_eq!(gomod.module_path, "example.com/shop");
        assert_eq!(gomod.go.as_deref(), Some("1.23.4"));
        assert_eq!(gomod.toolchain.as_deref(), Some("1.24.3"));
        assert_eq!(gomod.go_release().as_deref(), Some("1.24"));
    }

    #[test]
    fn the_go_line_decides_without_a_toolchain() {
        let gomod = parse("module \"m\"\ngo 1.24\ntoolchain default\n").unwrap();
        assert_eq!(gomod.module_path, "m");
        assert_eq!(gomod.go_release().as_deref(), Some("1.24"));
        assert_eq!(
            parse("module m\ngo 1.25rc1\n")
                .unwrap()
                .go_release()
                .as_deref(),
            Some("1.25")
        );
        assert_eq!(parse("module m\n").unwrap().go_release(), None);
    }

    #[test]
    fn local_replacements_are_kept_with_their_spans() {
        let text = "module m\nreplace (\n\texample.com/lib => ../lib\n\texample.com/fork => example.com/fork2 v1.0.0\n)\nreplace example.com/x v1.2.3 => ./third_party/x // patched\n";
        let gomod = parse(text).unwrap();
        let replaces: Vec<(&str, &str, &str)> = gomod
            .local_replaces
            .iter()
            .map(|r| {
                (
                    r.module_path.as_str(),
                    r.dir.as_str(),
                    &text[r.span.clone()],
                )
            })
            .collect();
        assert_eq!(
            replaces,
            [
                ("example.com/lib", "../lib", "../lib"),
                ("example.com/x", "./third_party/x", "./third_party/x")
            ]
        );
    }

    #[test]
    fn go_sum_modules_are_the_versions_with_code() {
        let text = "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\nexample.com/b v0.1.0/go.mod h1:z=\n\nbroken\n";
        assert_eq!(
            go_sum_modules(text).collect::<Vec<_>>(),
            [("example.com/a", "v1.0.0")]
        );
    }

    #[test]
    fn a_missing_module_line_is_an_error() {
        let err = parse("go 1.24\n").unwrap_err();
        assert_eq!(
            err.headlines(),
            ["go.mod:2:1: go.mod has no `module` directive"]
        );
    }
}
