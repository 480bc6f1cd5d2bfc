//! Flag lists as the go command splits them (`cmd/internal/quoted`): fields separated by
//! spaces, a field starting with `'` or `"` running to the same quote, no escapes. Build args
//! substituted into `ldflags` must stay inside their field, so each field is filled in on its
//! own and quoted again when its value needs it.

/// One field of a flag list template, by byte offsets of its content (quotes excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub start: usize,
    pub end: usize,
}

/// Go's `isSpaceByte`.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Splits `template` into fields as Go would, treating each `${...}` as part of the field it
/// starts in: a build arg's default may hold spaces. Returns the quote left open, if any.
pub fn split_template(template: &str) -> Result<Vec<Field>, char> {
    let bytes = template.as_bytes();
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if is_space(bytes[at]) {
            at += 1;
            continue;
        }
        if let quote @ (b'\'' | b'"') = bytes[at] {
            let start = at + 1;
            let Some(length) = bytes[start..].iter().position(|&b| b == quote) else {
                return Err(char::from(quote));
            };
            fields.push(Field {
                start,
                end: start + length,
            });
            at = start + length + 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && !is_space(bytes[at]) {
            if bytes[at..].starts_with(b"${") {
                at += bytes[at..]
                    .iter()
                    .position(|&b| b == b'}')
                    .map_or(bytes.len() - at, |close| close + 1);
            } else {
                at += 1;
            }
        }
        fields.push(Field { start, end: at });
    }
    Ok(fields)
}

/// The field as Go reads it back as one field: as it is when it holds no space and starts with
/// no quote, else between quotes it does not contain. `None` when it holds both quotes.
pub fn quote(field: &str) -> Option<String> {
    let plain =
        !field.is_empty() && !field.bytes().any(is_space) && !field.starts_with(['\'', '"']);
    if plain {
        return Some(field.to_string());
    }
    ['\'', '"']
        .into_iter()
        .find(|quote| !field.contains(*quote))
        .map(|quote| format!("{quote}{field}{quote}"))
}

/// What Go makes of a flag list: the fields, unquoted. For tests, and the same rules as above.
#[cfg(test)]
pub fn split(list: &str) -> Result<Vec<String>, char> {
    Ok(split_template(list)?
        .into_iter()
        .map(|field| list[field.start..field.end].to_string())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_go_command() {
        assert_eq!(split("-s -w").unwrap(), ["-s", "-w"]);
        assert_eq!(
            split("-X 'main.v=a b' \"-X\" x'y").unwrap(),
            ["-X", "main.v=a b", "-X", "x'y"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("-X 'main.v=a").unwrap_err(), '\'');
    }

    #[test]
    fn a_substitution_stays_in_its_field() {
        assert_eq!(
            split("-X main.v=${V:-a b} -s").unwrap(),
            ["-X", "main.v=${V:-a b}", "-s"]
        );
    }

    #[test]
    fn quotes_only_what_needs_it_and_reads_back_as_one_field() {
        for field in [
            "main.v=1.2",
            "main.v=1.0 beta",
            "main.v=it's",
            "'x",
            "",
            "a\"b c",
        ] {
            let quoted = quote(field).unwrap();
            assert_eq!(split(&quoted).unwrap(), [field], "{field} as {quoted}");
        }
        assert_eq!(quote("main.v=1.2").unwrap(), "main.v=1.2");
        assert_eq!(quote("a b").unwrap(), "'a b'");
        assert_eq!(quote("it's here").unwrap(), "\"it's here\"");
        assert_eq!(quote("both ' and \""), None);
    }
}
