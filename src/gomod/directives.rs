//! The line syntax go.mod and go.work share: `verb args...` lines, `verb ( ... )` blocks,
//! `//` comments, and arguments that are bare words or quoted strings. Lenient on purpose:
//! anything malformed is left for the go command to report.

use std::ops::Range;

/// One directive line, a block's lines each counting as one with the block's verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'t> {
    pub verb: &'t str,
    pub args: Vec<Arg>,
    /// The whole line, for errors about the directive.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// Unquoted.
    pub text: String,
    pub span: Range<usize>,
}

pub fn directives(text: &str) -> Vec<Directive<'_>> {
    let mut found = Vec::new();
    let mut block: Option<&str> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let tokens = tokens(line, start);
        let content = line.trim_end_matches(['\n', '\r']);
        let span = start..start + content.len();
        match (block, tokens.as_slice()) {
            (Some(_), [close, ..]) if close.text == ")" => block = None,
            (Some(verb), [_, ..]) => found.push(Directive {
                verb,
                args: tokens,
                span,
            }),
            (None, [verb, open]) if open.text == "(" => {
                block = Some(&line[verb_range(verb, start)])
            }
            (None, [verb, rest @ ..]) if !rest.is_empty() => found.push(Directive {
                verb: &line[verb_range(verb, start)],
                args: rest.to_vec(),
                span,
            }),
            _ => {}
        }
    }
    found
}

fn verb_range(verb: &Arg, line_start: usize) -> Range<usize> {
    verb.span.start - line_start..verb.span.end - line_start
}

/// The line's tokens up to a `//` comment. A `(` or `)` counts as a token of its own.
fn tokens(line: &str, line_start: usize) -> Vec<Arg> {
    let mut tokens = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if line[at..].starts_with("//") {
            break;
        } else if c == '"' || c == '`' {
            chars.next();
            let mut text = String::new();
            let mut end = line.len();
            while let Some((i, d)) = chars.next() {
                if d == c {
                    end = i + 1;
                    break;
                }
                if d == '\\' && c == '"' {
                    if let Some((_, escaped)) = chars.next() {
                        text.push(escaped);
                    }
                    continue;
                }
                text.push(d);
            }
            tokens.push(Arg {
                text,
                span: line_start + at..line_start + end,
            });
        } else if c == '(' || c == ')' {
            chars.next();
            tokens.push(Arg {
                text: c.to_string(),
                span: line_start + at..line_start + at + 1,
            });
        } else {
            let mut end = line.len();
            while let Some(&(i, d)) = chars.peek() {
                if d.is_whitespace() || "\"`()".contains(d) || line[i..].starts_with("//") {
                    end = i;
                    break;
                }
                chars.next();
            }
            tokens.push(Arg {
                text: line[at..end].to_string(),
                span: line_start + at..line_start + end,
            });
        }
    }
    tokens
}

/// A `replace` whose target is a directory: `replace example.com/lib [v1.2.3] => ../lib`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReplace {
    /// The module path replaced: imports under it come from `dir`.
    pub module_path: String,
    /// As written, relative to the file's directory.
    pub dir: String,
    pub span: Range<usize>,
}

/// Go's rule (`modfile.IsDirectoryPath`): a replacement is a directory when its path is
/// absolute or starts with `./` or `../`, with either slash, or a drive letter; anything else
/// is a module path and version, fetched like any other.
pub fn local_replace(directive: &Directive<'_>) -> Option<LocalReplace> {
    let arrow = directive.args.iter().position(|a| a.text == "=>")?;
    let module = directive.args.first().filter(|_| arrow > 0)?;
    let target = directive.args.get(arrow + 1)?;
    let path = target.text.as_str();
    let drive =
        path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic();
    let local = path == "."
        || path == ".."
        || ["./", "../", "/", ".\\", "..\\", "\\"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        || drive;
    local.then(|| LocalReplace {
        module_path: module.text.clone(),
        dir: path.to_string(),
        span: target.span.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verbs_and_args(text: &str) -> Vec<(String, Vec<String>)> {
        directives(text)
            .into_iter()
            .map(|d| {
                (
                    d.verb.to_string(),
                    d.args.into_iter().map(|a| a.text).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn lines_blocks_comments_and_quotes() {
        let text = "module \"example.com/m\" // the module\n\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n\t// only a comment\n)\nreplace github.com/a/b => `../b c`\nuse(\n./x\n)\n";
        assert_eq!(
            verbs_and_args(text),
            [
                ("module".into(), vec!["example.com/m".to_string()]),
                (
                    "require".into(),
                    vec!["github.com/a/b".into(), "v1.0.0".into()]
                ),
                (
                    "replace".into(),
                    vec!["github.com/a/b".into(), "=>".into(), "../b c".into()]
                ),
                ("use".into(), vec!["./x".into()]),
            ]
        );
    }

    #[test]
    fn spans_point_at_the_argument() {
        let text = "module m\nreplace a v1.0.0 => ./lib\n";
        let directive = &directives(text)[1];
        let replace = local_replace(directive).unwrap();
        assert_eq!(&text[replace.span.clone()], "./lib");
        assert_eq!(replace.module_path, "a");
        assert_eq!(&text[directive.span.clone()], "replace a v1.0.0 => ./lib");
    }

    #[test]
    fn only_directories_are_local_replacements() {
        let replaces = |text: &str| -> Vec<String> {
            directives(text)
                .iter()
                .filter_map(local_replace)
                .map(|r| r.dir)
                .collect()
        };
        assert_eq!(
            replaces(
                "replace (\n a => ../a\n b => example.com/b v1.0.0\n c v1 => ./c\n d =>\n => ./e\n f => ..\\f\n g => C:\\g\n)\n"
            ),
            ["../a", "./c", "..\\f", "C:\\g"]
        );
    }

    #[test]
    fn unterminated_quotes_and_stray_parens_do_not_panic() {
        for text in [
            "module \"m",
            "replace (",
            ")",
            "use (\n\"a\\",
            "x \u{e9}\"\u{e9}",
            "a//b",
        ] {
            let _ = directives(text);
        }
    }
}
