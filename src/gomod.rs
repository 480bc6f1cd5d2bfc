//! The few go.mod directives the plan needs: the module path (cache namespaces) and the Go
//! version (the default builder image).

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    pub module_path: String,
    /// The `go` directive, as written (`1.24`, `1.24.0`).
    pub go: Option<String>,
    /// The `toolchain` directive without its `go` prefix (`1.24.3`).
    pub toolchain: Option<String>,
}

impl GoMod {
    pub fn parse(source: &SourceFile) -> Result<Self, Diagnostics> {
        let mut module_path = None;
        let mut go = None;
        let mut toolchain = None;
        let mut offset = 0;
        for line in source.text().split_inclusive('\n') {
            let code = line.split("//").next().unwrap_or_default();
            let mut words = code.split_whitespace();
            match (words.next(), words.next()) {
                (Some("module"), Some(path)) => {
                    module_path = Some(path.trim_matches(['"', '`']).to_string())
                }
                (Some("go"), Some(version)) => go = Some(version.to_string()),
                (Some("toolchain"), Some(name)) if name != "default" => {
                    toolchain = Some(name.trim_start_matches("go").to_string())
                }
                _ => {}
            }
            offset += line.len();
        }
        let Some(module_path) = module_path.filter(|p| !p.is_empty()) else {
            return Err(Diagnostics::single(
                source.clone(),
                Diagnostic::new(offset..offset, "go.mod has no `module` directive")
                    .with_help("run `go mod init <module path>` in the module directory"),
            ));
        };
        Ok(Self {
            module_path,
            go,
            toolchain,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GoMod, Diagnostics> {
        GoMod::parse(&SourceFile::new("go.mod", text))
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
    fn a_missing_module_line_is_an_error() {
        let err = parse("go 1.24\n").unwrap_err();
        assert_eq!(
            err.headlines(),
            ["go.mod:2:1: go.mod has no `module` directive"]
        );
    }
}
