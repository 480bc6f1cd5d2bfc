//! Typed access to a spanned TOML table. Every mistake becomes a diagnostic and reading goes on,
//! so one run of `gofrontend check` reports all of them.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::interpolate::{ArgUse, BuildArgs, interpolate};
use super::model::Spanned;
use super::quoted;
use crate::diagnostic::{Diagnostic, TextFile};

type TomlValue<'i> = toml::Spanned<DeValue<'i>>;

/// Where a table sits, for messages: `at the top level`, `in [services.api]`.
#[derive(Clone, Copy)]
pub(super) struct Place<'a>(pub Option<&'a str>);

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("at the top level"),
            Some(header) => write!(f, "in [{header}]"),
        }
    }
}

pub(super) struct Reader<'a> {
    source: &'a TextFile,
    args: BuildArgs<'a>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every `${NAME}` read so far, in Gofile order.
    pub used_args: Vec<ArgUse>,
}

impl<'a> Reader<'a> {
    pub fn new(source: &'a TextFile, args: BuildArgs<'a>) -> Self {
        Self {
            source,
            args,
            diagnostics: Vec::new(),
            used_args: Vec::new(),
        }
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Keeps the value of a passed check; records the diagnostic of a failed one.
    pub fn check<T>(&mut self, result: Result<T, Diagnostic>) -> Option<T> {
        result.map_err(|diagnostic| self.report(diagnostic)).ok()
    }

    /// Reports every key of `table` that is not in `known`, with a hint at the likely one.
    pub fn reject_unknown_keys(&mut self, table: &DeTable<'_>, known: &[&str], place: Place<'_>) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let mut diagnostic =
                Diagnostic::new(key.span(), format!("unknown key `{name}` {place}"));
            diagnostic = match suggest(name, known) {
                Some(hint) => diagnostic.with_help(hint),
                None => diagnostic.with_help(format!("known keys here: {}", known.join(", "))),
            };
            self.report(diagnostic);
        }
    }

    pub fn table<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        key: &str,
        place: Place<'_>,
    ) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let value = lookup(table, key)?;
        match value.get_ref() {
            DeValue::Table(inner) => Some((inner, value.span())),
            _ => self.wrong_type(key, place, "a table", value),
        }
    }

    pub fn string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        place: Place<'_>,
    ) -> Option<Spanned<String>> {
        let value = lookup(table, key)?;
        self.string_value(key, place, value)
    }

    /// A boolean with the span of its value.
    pub fn spanned_bool(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        place: Place<'_>,
    ) -> Option<Spanned<bool>> {
        let span = lookup(table, key)?.span();
        self.bool(table, key, place)
            .map(|value| Spanned::new(value, span))
    }

    /// Where `key`'s value is written, when it is an empty array.
    pub fn empty_array_span(
        &self,
        table: &DeTable<'_>,
        key: &str,
    ) -> Option<std::ops::Range<usize>> {
        let value = lookup(table, key)?;
        matches!(value.get_ref(), DeValue::Array(items) if items.is_empty()).then(|| value.span())
    }

    pub fn bool(&mut self, table: &DeTable<'_>, key: &str, place: Place<'_>) -> Option<bool> {
        let value = lookup(table, key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => self.wrong_type(key, place, "`true` or `false`", value),
        }
    }

    pub fn strings(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        place: Place<'_>,
    ) -> Option<Vec<Spanned<String>>> {
        let value = lookup(table, key)?;
        let DeValue::Array(items) = value.get_ref() else {
            return self.wrong_type(key, place, "an array of strings", value);
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            out.push(self.string_value(key, place, item)?);
        }
        Some(out)
    }

    /// A table of string values, such as `env` or `labels`.
    pub fn string_table(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        place: Place<'_>,
    ) -> Option<Vec<(Spanned<String>, Spanned<String>)>> {
        let value = lookup(table, key)?;
        let DeValue::Table(entries) = value.get_ref() else {
            return self.wrong_type(key, place, "a table of strings", value);
        };
        let mut out = Vec::with_capacity(entries.len());
        for (name, item) in entries.iter() {
            let name = Spanned::new(name.get_ref().to_string(), name.span());
            let item = self.string_value(&format!("{key}.{}", name.value), place, item)?;
            out.push((name, item));
        }
        Some(out)
    }

    /// A raw value, for keys that accept several types (like `ports`).
    pub fn value<'t, 'i>(&self, table: &'t DeTable<'i>, key: &str) -> Option<&'t TomlValue<'i>> {
        lookup(table, key)
    }

    pub fn string_value(
        &mut self,
        key: &str,
        place: Place<'_>,
        value: &TomlValue<'_>,
    ) -> Option<Spanned<String>> {
        let DeValue::String(text) = value.get_ref() else {
            return self.wrong_type(key, place, "a string", value);
        };
        let span = value.span();
        let literal_start = self.literal_start(text, &span);
        match interpolate(text, &span, literal_start, &self.args, &mut self.used_args) {
            Ok(text) => Some(Spanned::new(text, span)),
            Err(diagnostic) => {
                self.report(diagnostic);
                None
            }
        }
    }

    /// A flag list Go splits into fields (`ldflags`): each field is filled in on its own and
    /// quoted again where a build arg's value needs it (`-X 'main.v=1.0 beta'`), so no value
    /// can add or split a flag.
    pub fn go_flag_list(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        place: Place<'_>,
    ) -> Option<Spanned<String>> {
        let value = lookup(table, key)?;
        let DeValue::String(text) = value.get_ref() else {
            return self.wrong_type(key, place, "a string", value);
        };
        let span = value.span();
        let literal_start = self.literal_start(text, &span);
        let fields = match quoted::split_template(text) {
            Ok(fields) => fields,
            Err(quote) => {
                self.report(
                    Diagnostic::new(span, format!("`{key}` has an unterminated {quote} quote"))
                        .with_help("Go splits it at spaces and reads a field starting with a quote up to the same quote; close it"),
                );
                return None;
            }
        };
        let mut filled = Vec::with_capacity(fields.len());
        for field in fields {
            let used_before = self.used_args.len();
            let field_text = &text[field.start..field.end];
            let result = interpolate(
                field_text,
                &span,
                literal_start.map(|start| start + field.start),
                &self.args,
                &mut self.used_args,
            );
            let field_value = match result {
                Ok(value) => value,
                Err(diagnostic) => {
                    self.report(diagnostic);
                    return None;
                }
            };
            let Some(quoted) = quoted::quote(&field_value) else {
                let names: Vec<String> = self.used_args[used_before..]
                    .iter()
                    .map(|arg| format!("`{}`", arg.name))
                    .collect();
                let field_span = literal_start
                    .map_or(span.clone(), |start| start + field.start..start + field.end);
                self.report(
                    Diagnostic::new(
                        field_span,
                        format!(
                            "`{key}` field `{field_value}` holds both `'` and `\"`, and Go cannot quote it as one field"
                        ),
                    )
                    .with_help(if names.is_empty() {
                        "remove one kind of quote".to_string()
                    } else {
                        format!("remove one kind of quote from the value of build arg {}", names.join(", "))
                    }),
                );
                return None;
            };
            filled.push(quoted);
        }
        Some(Spanned::new(filled.join(" "), span))
    }

    pub fn wrong_type<T>(
        &mut self,
        key: &str,
        place: Place<'_>,
        expected: &str,
        found: &TomlValue<'_>,
    ) -> Option<T> {
        self.report(Diagnostic::new(
            found.span(),
            format!(
                "`{key}` {place} must be {expected}, found {}",
                with_article(found.get_ref().type_str())
            ),
        ));
        None
    }

    /// The offset of the string's first character in the file, when the literal is written
    /// without escapes so offsets inside the value are offsets inside the file.
    fn literal_start(&self, text: &str, span: &Range<usize>) -> Option<usize> {
        let literal = self.source.text().get(span.clone())?;
        let inner = literal.get(1..literal.len().checked_sub(1)?)?;
        (inner == text).then_some(span.start + 1)
    }
}

fn lookup<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t TomlValue<'i>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn with_article(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

/// Keys people reach for from Dockerfiles and Compose files, with where that setting lives here.
const ALIASES: &[(&str, &str)] = &[
    ("port", "ports"),
    ("expose", "ports"),
    ("cmd", "args"),
    ("command", "args"),
    ("environment", "env"),
    ("image", "base"),
    ("from", "base"),
    ("label", "labels"),
    ("tag", "tags"),
    ("pkg", "package"),
    ("main", "package"),
    ("working_dir", "workdir"),
    ("stopsignal", "stop_signal"),
    ("test", "command"),
    ("startperiod", "start_period"),
    ("start_interval", "start_period"),
];

fn suggest(unknown: &str, known: &[&str]) -> Option<String> {
    let lowered = unknown.to_ascii_lowercase();
    if let Some((_, to)) = ALIASES
        .iter()
        .find(|(from, to)| *from == lowered && known.contains(to))
    {
        return Some(format!("did you mean `{to}`?"));
    }
    known
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(&lowered, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_and_known_aliases() {
        let known = ["ports", "package", "args", "binary"];
        assert_eq!(
            suggest("prots", &known).as_deref(),
            Some("did you mean `ports`?")
        );
        assert_eq!(
            suggest("cmd", &known).as_deref(),
            Some("did you mean `args`?")
        );
        assert_eq!(
            suggest("Port", &known).as_deref(),
            Some("did you mean `ports`?")
        );
        assert_eq!(suggest("zzzzzz", &known), None);
    }
}
