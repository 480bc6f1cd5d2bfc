//! `${NAME}` and `${NAME:-default}` in Gofile strings, filled from `--build-arg NAME=...`.
//! `$$` stands for a literal `$`; any other `$` is kept as it is.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::diagnostic::Diagnostic;

/// The build args `${NAME}` takes its value from.
pub struct BuildArgs<'a> {
    pub values: &'a BTreeMap<String, String>,
    /// An undefined build arg without a default is empty rather than an error: for reading
    /// what a Gofile declares, as `--print=outline` does, without building it.
    pub undefined_is_empty: bool,
}

/// A `${NAME}` the Gofile uses, with its default when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgUse {
    pub name: String,
    pub default: Option<String>,
    pub span: Range<usize>,
}

/// Substitutes build args into `value`, noting each one it uses in `used`. `literal_start` is
/// the byte offset in the Gofile of the string's first character when the literal has no
/// escapes, so errors can point inside it; otherwise errors point at `value_span`, the whole
/// literal.
pub fn interpolate(
    value: &str,
    value_span: &Range<usize>,
    literal_start: Option<usize>,
    args: &BuildArgs<'_>,
    used: &mut Vec<ArgUse>,
) -> Result<String, Diagnostic> {
    let span_at = |from: usize, to: usize| match literal_start {
        Some(start) => start + from..start + to,
        None => value_span.clone(),
    };
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut consumed = 0;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let at = consumed + dollar;
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            consumed = at + 2;
            rest = tail;
        } else if let Some(body_and_tail) = after.strip_prefix('{') {
            let Some(close) = body_and_tail.find('}') else {
                return Err(Diagnostic::new(
                    span_at(at, value.len()),
                    "unterminated `${` in string",
                )
                .with_help("close it with `}`, or write `$$` for a literal `$`"));
            };
            let body = &body_and_tail[..close];
            let end = at + 2 + close + 1;
            out.push_str(&substitute(body, span_at(at, end), args, used)?);
            consumed = end;
            rest = &body_and_tail[close + 1..];
        } else {
            out.push('$');
            consumed = at + 1;
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute(
    body: &str,
    span: Range<usize>,
    args: &BuildArgs<'_>,
    used: &mut Vec<ArgUse>,
) -> Result<String, Diagnostic> {
    let (name, default) = match body.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (body, None),
    };
    if !is_variable_name(name) {
        return Err(
            Diagnostic::new(span, format!("`${{{body}}}` is not a valid substitution")).with_help(
                "write `${NAME}` or `${NAME:-default}`, where NAME is letters, digits and `_`",
            ),
        );
    }
    used.push(ArgUse {
        name: name.to_string(),
        default: default.map(str::to_string),
        span: span.clone(),
    });
    match (args.values.get(name), default) {
        (Some(value), _) => Ok(value.clone()),
        (None, Some(default)) => Ok(default.to_string()),
        (None, None) if args.undefined_is_empty => Ok(String::new()),
        (None, None) => Err(
            Diagnostic::new(span, format!("build arg `{name}` is not defined")).with_help(format!(
                "pass `--build-arg {name}=...`, or give a default: `${{{name}:-default}}`"
            )),
        ),
    }
}

/// Shell-style variable names, as for environment variables and build args.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(value: &str, pairs: &[(&str, &str)]) -> Result<String, Diagnostic> {
        let values = args(pairs);
        let args = BuildArgs {
            values: &values,
            undefined_is_empty: false,
        };
        interpolate(
            value,
            &(0..value.len() + 2),
            Some(1),
            &args,
            &mut Vec::new(),
        )
    }

    #[test]
    fn records_each_build_arg_used_with_its_default() {
        let mut used = Vec::new();
        let values = args(&[("A", "1")]);
        let args = BuildArgs {
            values: &values,
            undefined_is_empty: true,
        };
        let value = interpolate(
            "${A}-${B:-dev}$${C}-${D}",
            &(0..24),
            Some(1),
            &args,
            &mut used,
        );
        assert_eq!(value.unwrap(), "1-dev${C}-");
        let names: Vec<(&str, Option<&str>)> = used
            .iter()
            .map(|u| (u.name.as_str(), u.default.as_deref()))
            .collect();
        assert_eq!(names, [("A", None), ("B", Some("dev")), ("D", None)]);
    }

    #[test]
    fn substitutes_values_and_defaults() {
        assert_eq!(run("v${V}-x", &[("V", "1.2")]).unwrap(), "v1.2-x");
        assert_eq!(run("${V:-dev}", &[]).unwrap(), "dev");
        assert_eq!(run("${V:-dev}", &[("V", "")]).unwrap(), "");
        assert_eq!(run("${A}${B}", &[("A", "a"), ("B", "b")]).unwrap(), "ab");
    }

    #[test]
    fn dollar_escapes_and_plain_dollars_stay() {
        assert_eq!(run("$${X} costs $5", &[]).unwrap(), "${X} costs $5");
        assert_eq!(run("a$", &[]).unwrap(), "a$");
    }

    #[test]
    fn substituted_values_are_not_expanded_again() {
        assert_eq!(run("${A}", &[("A", "${B}")]).unwrap(), "${B}");
    }

    #[test]
    fn undefined_name_points_at_the_reference() {
        let err = run("x-${VERSION}", &[]).unwrap_err();
        assert_eq!(err.message, "build arg `VERSION` is not defined");
        assert_eq!(err.span, 3..13);
    }

    #[test]
    fn bad_references_are_errors() {
        assert_eq!(
            run("${1X}", &[]).unwrap_err().message,
            "`${1X}` is not a valid substitution"
        );
        assert_eq!(
            run("a ${X", &[]).unwrap_err().message,
            "unterminated `${` in string"
        );
    }
}
