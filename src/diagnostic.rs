//! Errors that point into a file the user wrote, the Gofile, go.mod or go.work
//! (`Gofile:LINE:COL: message`), rendered with the offending line underlined, as cargo does.

use std::fmt;
use std::ops::Range;

/// A file's text plus the byte offsets where its lines start, so any span maps to a position.
#[derive(Debug, Clone)]
pub struct TextFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl TextFile {
    /// BuildKit's `pb.SourceInfo` of this file as JSON, as source errors and lint results
    /// carry it.
    pub fn source_info(&self) -> serde_json::Value {
        use base64::Engine;
        let language = if self.name().ends_with("go.mod") || self.name().ends_with("go.work") {
            "go.mod"
        } else {
            "TOML"
        };
        serde_json::json!({
            "filename": self.name(),
            "data": base64::engine::general_purpose::STANDARD.encode(self.text()),
            "language": language,
        })
    }

    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = self.clamp_to_char_boundary(offset);
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        Position {
            line: line_index + 1,
            column: self.text[line_start..offset].chars().count() + 1,
        }
    }

    fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    fn clamp_to_char_boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// One problem found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The one-line form, `FILE:LINE:COL: message`, that editors and CI logs can jump to.
    pub fn headline(&self, file: &TextFile) -> String {
        let at = file.position(self.span.start);
        format!(
            "{}:{}:{}: {}",
            file.name(),
            at.line,
            at.column,
            self.message
        )
    }

    pub fn render(&self, file: &TextFile) -> String {
        let start = file.position(self.span.start);
        let line_text = file.line_text(start.line);
        let end_column = if file.position(self.span.end).line == start.line {
            file.position(self.span.end).column
        } else {
            line_text.chars().count() + 1
        };
        let width = end_column.saturating_sub(start.column).max(1);
        let gutter = " ".repeat(start.line.to_string().len());
        let mut out = format!(
            "{headline}\n{gutter} |\n{line} | {line_text}\n{gutter} | {pad}{marks}",
            headline = self.headline(file),
            line = start.line,
            pad = " ".repeat(start.column - 1),
            marks = "^".repeat(width),
        );
        if let Some(help) = &self.help {
            out.push_str(&format!("\n{gutter} = help: {help}"));
        }
        out
    }
}

/// Every problem found in one file, in the order they appear in it.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub file: TextFile,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: TextFile, mut items: Vec<Diagnostic>) -> Self {
        items.sort_by_key(|d| (d.span.start, d.span.end));
        items.dedup();
        Self { file, items }
    }

    pub fn single(file: TextFile, item: Diagnostic) -> Self {
        Self::new(file, vec![item])
    }

    pub fn headlines(&self) -> Vec<String> {
        self.items.iter().map(|d| d.headline(&self.file)).collect()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered: Vec<String> = self.items.iter().map(|d| d.render(&self.file)).collect();
        f.write_str(&rendered.join("\n\n"))
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let file = TextFile::new("Gofile", "a = 1\nbé = \"x\"\n");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(6), Position { line: 2, column: 1 });
        // `=` on line 2 comes after the two-byte `é`.
        assert_eq!(file.position(10), Position { line: 2, column: 4 });
        assert_eq!(file.position(10_000), Position { line: 3, column: 1 });
    }

    #[test]
    fn renders_the_line_with_a_marker_and_help() {
        let file = TextFile::new("Gofile", "[services.api]\nport = 8080\n");
        let d = Diagnostic::new(15..19, "unknown key `port`").with_help("did you mean `ports`?");
        assert_eq!(
            d.render(&file),
            "Gofile:2:1: unknown key `port`\n  |\n2 | port = 8080\n  | ^^^^\n  = help: did you mean `ports`?"
        );
    }

    #[test]
    fn diagnostics_are_sorted_by_position() {
        let file = TextFile::new("Gofile", "a\nb\n");
        let all = Diagnostics::new(
            file,
            vec![
                Diagnostic::new(2..3, "second"),
                Diagnostic::new(0..1, "first"),
            ],
        );
        assert_eq!(all.headlines(), ["Gofile:1:1: first", "Gofile:2:1: second"]);
    }
}
