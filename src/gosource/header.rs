//! A Go file's header: the build constraint, the package clause and the import declarations,
//! read with a small lexer (comments, identifiers, string literals, punctuation). The parser
//! stops at the first declaration that is not an import, so it never needs the rest of the
//! file, except for `//go:embed` lines, which only files importing "embed" can have.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub package: String,
    /// Import paths in source order, `"C"` included.
    pub imports: Vec<String>,
    /// A `//go:build` or `// +build` line before the package clause.
    pub constrained: bool,
    /// The `//go:build` line's expression.
    pub build_expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Header(Header),
    /// The text ended inside the header: read more of the file.
    Truncated,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct HeaderError {
    pub line: usize,
    pub message: String,
}

/// Parses the header from the start of a file. `whole` says whether `text` is the whole file:
/// if not, running out of text before the header ends is [`Parsed::Truncated`].
pub fn parse(text: &[u8], whole: bool) -> Result<Parsed, HeaderError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut lexer = Lexer {
        text,
        at: 0,
        line: 1,
        whole,
    };
    let mut header = Header::default();
    let result = parse_into(&mut lexer, &mut header);
    match result {
        Ok(()) => Ok(Parsed::Header(header)),
        Err(Stop::End) if whole && !header.package.is_empty() => Ok(Parsed::Header(header)),
        Err(Stop::End) if whole => Err(lexer.error("no package clause")),
        Err(Stop::End) => Ok(Parsed::Truncated),
        Err(Stop::Error(err)) => Err(err),
    }
}

/// The patterns of every `//go:embed` directive in a file, unquoted.
pub fn embed_patterns(text: &[u8]) -> Result<Vec<String>, HeaderError> {
    let text = String::from_utf8_lossy(text);
    let mut patterns = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("//go:embed") else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
            continue;
        }
        let error = |message: &str| HeaderError {
            line: index + 1,
            message: message.to_string(),
        };
        let mut rest = rest.trim_start();
        while !rest.is_empty() {
            let (pattern, after) = match rest.chars().next() {
                Some(quote @ ('"' | '`')) => {
                    let body = &rest[1..];
                    let end = body
                        .find(quote)
                        .ok_or_else(|| error("unterminated quoted //go:embed pattern"))?;
                    if quote == '"' && body[..end].contains('\\') {
                        return Err(error("escapes in a //go:embed pattern"));
                    }
                    (&body[..end], &body[end + 1..])
                }
                _ => {
                    let end = rest.find([' ', '\t']).unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            patterns.push(pattern.to_string());
            rest = after.trim_start();
        }
    }
    Ok(patterns)
}

enum Stop {
    End,
    Error(HeaderError),
}

impl From<HeaderError> for Stop {
    fn from(err: HeaderError) -> Self {
        Stop::Error(err)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(u8),
    /// A newline or `;`: Go's automatic semicolons make newlines end import specs.
    Semi,
}

fn parse_into(lexer: &mut Lexer, header: &mut Header) -> Result<(), Stop> {
    (header.constrained, header.build_expression) = lexer.skip_leading_comments()?;
    match lexer.token()? {
        Token::Ident(word) if word == "package" => {}
        other => return Err(lexer.unexpected(&other, "`package`").into()),
    }
    match lexer.token()? {
        Token::Ident(name) => header.package = name,
        other => return Err(lexer.unexpected(&other, "a package name").into()),
    }
    loop {
        match lexer.token()? {
            Token::Semi => continue,
            Token::Ident(word) if word == "import" => {}
            _ => return Ok(()),
        }
        match lexer.token()? {
            Token::Punct(b'(') => loop {
                match lexer.token()? {
                    Token::Semi => continue,
                    Token::Punct(b')') => break,
                    first => header.imports.push(import_spec(lexer, first)?),
                }
            },
            first => header.imports.push(import_spec(lexer, first)?),
        }
    }
}

/// `"path"`, `name "path"`, `. "path"` or `_ "path"`, given its first token.
fn import_spec(lexer: &mut Lexer, first: Token) -> Result<String, Stop> {
    let path = match first {
        Token::Str(path) => path,
        Token::Ident(_) | Token::Punct(b'.') => match lexer.token()? {
            Token::Str(path) => path,
            other => return Err(lexer.unexpected(&other, "an import path").into()),
        },
        other => return Err(lexer.unexpected(&other, "an import").into()),
    };
    if path.is_empty() {
        return Err(lexer.error("empty import path").into());
    }
    Ok(path)
}

struct Lexer<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    whole: bool,
}

impl Lexer<'_> {
    fn error(&self, message: impl Into<String>) -> HeaderError {
        HeaderError {
            line: self.line,
            message: message.into(),
        }
    }

    fn unexpected(&self, token: &Token, wanted: &str) -> HeaderError {
        let found = match token {
            Token::Ident(word) => format!("`{word}`"),
            Token::Str(_) => "a string".to_string(),
            Token::Punct(byte) => format!("`{}`", *byte as char),
            Token::Semi => "the end of the line".to_string(),
        };
        self.error(format!("expected {wanted}, found {found}"))
    }

    /// The text ended inside a comment or a string: an error in a whole file, else a reason
    /// to read more.
    fn cut_off(&self) -> Stop {
        if self.whole {
            Stop::Error(self.error("the file ends inside a comment or a string"))
        } else {
            Stop::End
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        if byte == b'\n' {
            self.line += 1;
        }
        Some(byte)
    }

    /// Skips whitespace and comments before the package clause; true if one of the line
    /// comments is a build constraint, and the first `//go:build` expression.
    fn skip_leading_comments(&mut self) -> Result<(bool, Option<String>), Stop> {
        let mut constrained = false;
        let mut expression = None;
        loop {
            match self.peek() {
                None => return Err(Stop::End),
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'/') if self.text.get(self.at + 1) == Some(&b'/') => {
                    let line = self.line_comment();
                    let body = line.trim_end();
                    if let Some(go_build) = body.strip_prefix("//go:build ") {
                        expression.get_or_insert_with(|| go_build.trim().to_string());
                    }
                    constrained |= body.starts_with("//go:build ")
                        || body
                            .strip_prefix("//")
                            .map(str::trim_start)
                            .is_some_and(|b| b.starts_with("+build "));
                }
                Some(b'/') if self.text.get(self.at + 1) == Some(&b'*') => {
                    self.block_comment()?;
                }
                Some(_) => return Ok((constrained, expression)),
            }
        }
    }

    /// The comment, up to but not including its newline.
    fn line_comment(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|b| b != b'\n') {
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }

    /// Skips a block comment; true if it spanned a newline (which then ends a statement).
    fn block_comment(&mut self) -> Result<bool, Stop> {
        self.at += 2;
        let line = self.line;
        loop {
            match self.bump() {
                None => return Err(self.cut_off()),
                Some(b'*') if self.peek() == Some(b'/') => {
                    self.bump();
                    return Ok(self.line != line);
                }
                Some(_) => {}
            }
        }
    }

    fn token(&mut self) -> Result<Token, Stop> {
        loop {
            let Some(byte) = self.peek() else {
                return Err(Stop::End);
            };
            match byte {
                b' ' | b'\t' | b'\r' => {
                    self.bump();
                }
                b'\n' | b';' => {
                    self.bump();
                    return Ok(Token::Semi);
                }
                b'/' if self.text.get(self.at + 1) == Some(&b'/') => {
                    self.line_comment();
                }
                b'/' if self.text.get(self.at + 1) == Some(&b'*') => {
                    if self.block_comment()? {
                        return Ok(Token::Semi);
                    }
                }
                b'"' => return self.interpreted_string(),
                b'`' => return self.raw_string(),
                b if b == b'_' || b.is_ascii_alphabetic() || b >= 0x80 => {
                    let start = self.at;
                    while self
                        .peek()
                        .is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric() || b >= 0x80)
                    {
                        self.bump();
                    }
                    let word = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
                    return Ok(Token::Ident(word));
                }
                _ => {
                    self.bump();
                    return Ok(Token::Punct(byte));
                }
            }
        }
    }

    fn raw_string(&mut self) -> Result<Token, Stop> {
        self.bump();
        let start = self.at;
        loop {
            match self.bump() {
                None => return Err(self.cut_off()),
                Some(b'`') => {
                    let body = &self.text[start..self.at - 1];
                    return Ok(Token::Str(String::from_utf8_lossy(body).into_owned()));
                }
                Some(_) => {}
            }
        }
    }

    /// Import paths are plain ASCII in practice; escapes other than `\"` and `\\` are refused
    /// rather than half-decoded.
    fn interpreted_string(&mut self) -> Result<Token, Stop> {
        self.bump();
        let mut value = Vec::new();
        loop {
            match self.bump() {
                None => return Err(self.cut_off()),
                Some(b'\n') => return Err(self.error("newline in a string").into()),
                Some(b'"') => return Ok(Token::Str(String::from_utf8_lossy(&value).into_owned())),
                Some(b'\\') => match self.bump() {
                    None => return Err(self.cut_off()),
                    Some(escaped @ (b'"' | b'\\')) => value.push(escaped),
                    Some(_) => {
                        return Err(self.error("an escape sequence in an import path").into());
                    }
                },
                Some(byte) => value.push(byte),
            }
        }
    }
}
