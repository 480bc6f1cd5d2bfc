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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_like_docker() {
        let text = "# build output\n\n  bin/  \n/.git\n!bin/keep\n./docs/../README.md\n*.tmp\n.\n";
        assert_eq!(
            parse(text),
            ["bin", ".git", "!bin/keep", "README.md", "*.tmp"]
        );
    }
}
