//! `.dockerignore` files: the patterns BuildKit leaves out when it sends the build context.

/// Reads the patterns of a `.dockerignore` file as Docker does: comments and blank lines
/// dropped, each path cleaned and made relative to the context root, `!` kept.
pub fn parse(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean(pattern);
            (!cleaned.is_empty()).then(|| {
                if negated {
                    format!("!{cleaned}")
                } else {
                    cleaned
                }
            })
        })
        .collect()
}

/// Lexical path cleaning (as Go's `filepath.Clean`), relative to the root.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Decides, as BuildKit does when it sends the context, whether a path is left out: the last
/// pattern matching the path or one of its parent directories wins, `!` patterns bring a path
/// back in.
#[derive(Default)]
pub struct Matcher {
    patterns: Vec<(globset::GlobMatcher, bool)>,
}

impl Matcher {
    /// Patterns as [`parse`] returns them; an invalid one is an error naming it.
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .map(|pattern| {
                let (negated, glob) = match pattern.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, pattern.as_str()),
                };
                globset::GlobBuilder::new(glob)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map(|glob| (glob.compile_matcher(), negated))
                    .map_err(|err| format!(".dockerignore pattern `{pattern}`: {err}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// `path` is relative to the context root.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (glob, negated) in &self.patterns {
            let mut prefix = String::new();
            let matched = path.split('/').any(|part| {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                glob.is_match(&prefix)
            });
            if matched {
                excluded = !negated;
            }
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_paths_and_their_parents_with_the_last_pattern_winning() {
        let matcher = Matcher::new(&parse(
            "bin/
*.swp
docs/**/*.md
!docs/keep.md
",
        ))
        .unwrap();
        assert!(matcher.excludes("bin"));
        assert!(matcher.excludes("bin/api"));
        assert!(matcher.excludes("x.swp"));
        assert!(
            !matcher.excludes("cmd/x.swp"),
            "`*` does not cross directories"
        );
        assert!(matcher.excludes("docs/a/b/c.md"));
        assert!(
            matcher.excludes("docs/c.md"),
            "`**/` matches no directory too"
        );
        assert!(!matcher.excludes("docs/keep.md"));
        assert!(!matcher.excludes("cmd/api/main.go"));
        assert!(Matcher::new(&["[".to_string()]).is_err());
    }

    #[test]
    fn reads_patterns_like_docker() {
        let text = "# build output\n\n  bin/  \n/.git\n!bin/keep\n./docs/../README.md\n*.tmp\n.\n";
        assert_eq!(
            parse(text),
            ["bin", ".git", "!bin/keep", "README.md", "*.tmp"]
        );
    }
}
