//! go.work: the workspace's module directories (`use`) and its own `replace` directives, which
//! win over the modules' ones.

use std::ops::Range;

use super::directives::{LocalReplace, directives, local_replace};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoWork {
    /// Each `use` directory as written, relative to go.work's directory, with its span.
    pub uses: Vec<(String, Range<usize>)>,
    pub local_replaces: Vec<LocalReplace>,
}

impl GoWork {
    /// Never fails: what is malformed is left for the go command to report in the build.
    pub fn parse(text: &str) -> Self {
        let mut work = Self::default();
        for directive in directives(text) {
            match directive.verb {
                "use" => work.uses.extend(
                    directive
                        .args
                        .first()
                        .map(|dir| (dir.text.clone(), dir.span.clone())),
                ),
                "replace" => work.local_replaces.extend(local_replace(&directive)),
                _ => {}
            }
        }
        work
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_and_replacements() {
        let text = "go 1.24\n\nuse (\n\t./api\n\t\"./lib\" // shared\n)\nuse ./tools\n\nreplace example.com/x => ../x\n";
        let work = GoWork::parse(text);
        let uses: Vec<(&str, &str)> = work
            .uses
            .iter()
            .map(|(dir, span)| (dir.as_str(), &text[span.clone()]))
            .collect();
        assert_eq!(
            uses,
            [
                ("./api", "./api"),
                ("./lib", "\"./lib\""),
                ("./tools", "./tools")
            ]
        );
        assert_eq!(work.local_replaces.len(), 1);
        assert_eq!(work.local_replaces[0].dir, "../x");
    }
}
