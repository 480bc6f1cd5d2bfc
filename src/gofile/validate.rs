//! Rules for single Gofile values. Each check gets the value with its span and returns the
//! value in its final form, or a diagnostic pointing at it.

use super::interpolate::is_variable_name;
use super::model::Spanned;
use crate::diagnostic::Diagnostic;

type Checked<T> = Result<T, Diagnostic>;

/// Service names double as build targets and default binary names.
pub fn service_name(name: &Spanned<String>) -> Checked<()> {
    let valid = (1..=63).contains(&name.value.len())
        && name
            .value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name
            .value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if valid {
        return Ok(());
    }
    Err(Diagnostic::new(
        name.span.clone(),
        format!(
            "`{}` is not a valid service name",
            name.value.escape_debug()
        ),
    )
    .with_help(
        "use up to 63 lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit",
    ))
}

/// A Go package inside the module, written as Go wants a directory: `./cmd/api` or `.`.
pub fn package(package: &Spanned<String>) -> Checked<String> {
    let value = &package.value;
    let err = |message: String| Diagnostic::new(package.span.clone(), message);
    if value.starts_with('/') {
        return Err(err(format!("package `{value}` is an absolute path"))
            .with_help("write the package relative to the module, like `./cmd/api`"));
    }
    if value.ends_with("...") {
        return Err(err(format!(
            "package `{value}` is a pattern that matches several packages"
        ))
        .with_help("a service builds one main package; declare one service per binary"));
    }
    let Some(relative) = value.strip_prefix("./").or((value == ".").then_some("")) else {
        return Err(
            err(format!("package `{value}` must start with `./`")).with_help(format!(
                "Go reads `{value}` as an import path, not a directory; did you mean `./{value}`?"
            )),
        );
    };
    let components = clean_components(relative, &package.span, "package")?;
    Ok(if components.is_empty() {
        ".".to_string()
    } else {
        format!("./{}", components.join("/"))
    })
}

/// The module directory, relative to the build context, returned without `./` (`.` for the root).
pub fn module_dir(dir: &Spanned<String>) -> Checked<String> {
    if dir.value.starts_with('/') {
        return Err(Diagnostic::new(
            dir.span.clone(),
            format!("module `{}` is an absolute path", dir.value),
        )
        .with_help("write the directory holding go.mod relative to the build context, like `.` or `./backend`"));
    }
    let components = clean_components(&dir.value, &dir.span, "module")?;
    Ok(if components.is_empty() {
        ".".to_string()
    } else {
        components.join("/")
    })
}

/// Splits a relative path into its components, refusing anything that could leave the context.
fn clean_components<'v>(
    path: &'v str,
    span: &std::ops::Range<usize>,
    key: &str,
) -> Checked<Vec<&'v str>> {
    if let Some(bad) = path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || *c == '\\')
    {
        return Err(Diagnostic::new(
            span.clone(),
            format!("{key} path `{}` contains {bad:?}", path.escape_debug()),
        )
        .with_help("use plain directory names separated by `/`"));
    }
    let mut components = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                return Err(Diagnostic::new(
                    span.clone(),
                    format!("{key} path `{path}` uses `..`"),
                )
                .with_help("everything a build reads must be inside the build context"));
            }
            name if name.starts_with('-') => {
                return Err(Diagnostic::new(
                    span.clone(),
                    format!("{key} path `{path}` has a directory starting with `-`"),
                ));
            }
            name => components.push(name),
        }
    }
    Ok(components)
}

/// A file name for the built binary.
pub fn binary(name: &Spanned<String>) -> Checked<String> {
    let value = &name.value;
    let valid = !value.is_empty()
        && value != "."
        && value != ".."
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c));
    if valid {
        return Ok(value.clone());
    }
    Err(Diagnostic::new(
        name.span.clone(),
        format!("`{}` is not a valid binary name", value.escape_debug()),
    )
    .with_help("use letters, digits, `-`, `_`, `.` and `+`, with no `/`"))
}

pub fn env_name(name: &Spanned<String>) -> Checked<()> {
    if is_variable_name(&name.value) {
        return Ok(());
    }
    Err(Diagnostic::new(
        name.span.clone(),
        format!(
            "`{}` is not a valid environment variable name",
            name.value.escape_debug()
        ),
    )
    .with_help("use letters, digits and `_`, not starting with a digit"))
}

/// Go settings that gofrontend controls itself, with where to set them instead.
const MANAGED_GO_ENV: &[(&str, &str)] = &[
    ("CGO_ENABLED", "set `cgo = true` instead"),
    ("GOOS", "choose the platform with `--platform`"),
    ("GOARCH", "choose the platform with `--platform`"),
    ("GOARM", "choose the platform with `--platform`"),
    ("GOFLAGS", "put build flags in `flags`"),
    ("GOMODCACHE", "gofrontend manages the module cache"),
    (
        "GOWORK",
        "gofrontend uses the go.work the go command would find; set `workspace = false` to ignore it",
    ),
    ("GOCACHE", "gofrontend manages the build cache"),
    (
        "GOTOOLCHAIN",
        "builds use the builder image's Go; choose it with `go` or `builder`",
    ),
];

pub fn build_env_name(name: &Spanned<String>) -> Checked<()> {
    env_name(name)?;
    match MANAGED_GO_ENV.iter().find(|(n, _)| *n == name.value) {
        Some((_, help)) => Err(Diagnostic::new(
            name.span.clone(),
            format!(
                "`{}` is set by gofrontend and cannot be set in `env`",
                name.value
            ),
        )
        .with_help(*help)),
        None => Ok(()),
    }
}

pub fn build_tag(tag: &Spanned<String>) -> Checked<String> {
    let valid = !tag.value.is_empty()
        && tag
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        return Ok(tag.value.clone());
    }
    Err(Diagnostic::new(
        tag.span.clone(),
        format!("`{}` is not a valid build tag", tag.value.escape_debug()),
    )
    .with_help("a build tag is letters, digits, `_`, `.` and `-`; list each tag as its own string"))
}

/// `go build` flags gofrontend sets itself, with the Gofile key that controls each.
const MANAGED_FLAGS: &[(&str, &str)] = &[
    (
        "-o",
        "the output path is managed by gofrontend; rename the binary with `binary`",
    ),
    ("-ldflags", "use the `ldflags` key"),
    ("-tags", "use the `tags` key"),
    (
        "-mod",
        "modules are always read-only from the download step",
    ),
    ("-modfile", "the module is the one in `module`"),
    ("-buildvcs", "use the `buildvcs` key"),
];

pub fn build_flag(flag: &Spanned<String>) -> Checked<String> {
    let value = &flag.value;
    let err = |message: String| Diagnostic::new(flag.span.clone(), message);
    if !value.starts_with('-') {
        return Err(
            err(format!("`{value}` in `flags` is not a flag")).with_help(
                "write each flag with its value as one string, like `-race` or `-gcflags=all=-N`",
            ),
        );
    }
    if value.trim_start_matches('-').is_empty() {
        return Err(
            err(format!("`{value}` in `flags` is not a flag")).with_help(
                "`--` would end go build's flags and make the output path a package; remove it",
            ),
        );
    }
    if value.chars().any(char::is_control) {
        return Err(err(format!(
            "flag `{}` contains a control character",
            value.escape_debug()
        )));
    }
    let name = value.trim_start_matches('-');
    let name = name.split('=').next().unwrap_or(name);
    if let Some((_, help)) = MANAGED_FLAGS
        .iter()
        .find(|(managed, _)| managed.trim_start_matches('-') == name)
    {
        return Err(err(format!("flag `{value}` is set by gofrontend")).with_help(*help));
    }
    Ok(value.clone())
}

/// `8080`, `"8080"`, `"53/udp"` -> `8080/tcp`, `53/udp`.
pub fn port(value: &str, span: &std::ops::Range<usize>) -> Checked<String> {
    let (number, protocol) = value.split_once('/').unwrap_or((value, "tcp"));
    let valid_number = number.parse::<u16>().is_ok_and(|n| n > 0);
    let protocol = protocol.to_ascii_lowercase();
    if valid_number && ["tcp", "udp", "sctp"].contains(&protocol.as_str()) {
        return Ok(format!("{number}/{protocol}"));
    }
    Err(Diagnostic::new(
        span.clone(),
        format!("`{}` is not a valid port", value.escape_debug()),
    )
    .with_help("write a number from 1 to 65535, or a string like \"8080/tcp\" or \"53/udp\""))
}

pub fn workdir(dir: &Spanned<String>) -> Checked<String> {
    if dir.value.starts_with('/') && !dir.value.chars().any(char::is_control) {
        return Ok(dir.value.clone());
    }
    Err(Diagnostic::new(
        dir.span.clone(),
        format!(
            "workdir `{}` must be an absolute path",
            dir.value.escape_debug()
        ),
    )
    .with_help("for example `/home/nonroot`"))
}

pub fn user(user: &Spanned<String>) -> Checked<String> {
    let valid = !user.value.is_empty()
        && user
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-:".contains(c));
    if valid {
        return Ok(user.value.clone());
    }
    Err(Diagnostic::new(
        user.span.clone(),
        format!("`{}` is not a valid user", user.value.escape_debug()),
    )
    .with_help("write a name or id, optionally with a group: `nonroot`, `65532`, `65532:65532`"))
}

pub fn image(reference: &Spanned<String>, allow_scratch: bool) -> Checked<String> {
    if allow_scratch && reference.value == "scratch" {
        return Ok(reference.value.clone());
    }
    crate::image_ref::normalize(&reference.value)
        .map(|_| reference.value.clone())
        .map_err(|message| Diagnostic::new(reference.span.clone(), message))
}

/// A Go version as the golang image tags it: `1.24` or `1.24.3`.
pub fn go_version(version: &Spanned<String>) -> Checked<String> {
    let value = version.value.trim_start_matches("go");
    let parts: Vec<&str> = value.split('.').collect();
    let valid = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        return Ok(value.to_string());
    }
    Err(Diagnostic::new(
        version.span.clone(),
        format!("`{}` is not a Go version", version.value.escape_debug()),
    )
    .with_help("write it like `1.24` or `1.24.3`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(value: &str) -> Spanned<String> {
        Spanned::new(value.to_string(), 0..value.len())
    }

    #[test]
    fn packages_are_cleaned_and_kept_inside_the_module() {
        assert_eq!(package(&s("./cmd/api")).unwrap(), "./cmd/api");
        assert_eq!(package(&s("./cmd//api/")).unwrap(), "./cmd/api");
        assert_eq!(package(&s(".")).unwrap(), ".");
        assert_eq!(package(&s("./")).unwrap(), ".");
        for bad in [
            "/cmd/api",
            "cmd/api",
            "./cmd/../../etc",
            "./cmd/...",
            "./-x",
            "./a b",
            "./a\nb",
        ] {
            assert!(package(&s(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn module_dirs_lose_their_dot_prefix() {
        assert_eq!(module_dir(&s(".")).unwrap(), ".");
        assert_eq!(module_dir(&s("./backend/")).unwrap(), "backend");
        assert!(module_dir(&s("../x")).is_err());
        assert!(module_dir(&s("/x")).is_err());
    }

    #[test]
    fn ports_accept_numbers_and_protocols() {
        assert_eq!(port("8080", &(0..1)).unwrap(), "8080/tcp");
        assert_eq!(port("53/UDP", &(0..1)).unwrap(), "53/udp");
        for bad in ["0", "65536", "80/icmp", "http", ""] {
            assert!(port(bad, &(0..1)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn managed_flags_and_env_are_refused_with_the_key_to_use() {
        assert_eq!(build_flag(&s("-race")).unwrap(), "-race");
        assert_eq!(
            build_flag(&s("-gcflags=all=-N -l")).unwrap(),
            "-gcflags=all=-N -l"
        );
        assert!(
            build_flag(&s("-o=/x"))
                .unwrap_err()
                .help
                .unwrap()
                .contains("binary")
        );
        assert!(
            build_flag(&s("--tags=x"))
                .unwrap_err()
                .help
                .unwrap()
                .contains("tags")
        );
        assert!(build_flag(&s("race")).is_err());
        assert!(
            build_env_name(&s("CGO_ENABLED"))
                .unwrap_err()
                .help
                .unwrap()
                .contains("cgo")
        );
        assert!(build_env_name(&s("GOPRIVATE")).is_ok());
    }

    #[test]
    fn names_follow_their_rules() {
        assert!(service_name(&s("api-v2.internal_x")).is_ok());
        for bad in ["Api", "-api", "", "a/b", &"a".repeat(64)] {
            assert!(service_name(&s(bad)).is_err(), "{bad} accepted");
        }
        assert!(binary(&s("api")).is_ok());
        for bad in ["a/b", "..", "-x", "a b"] {
            assert!(binary(&s(bad)).is_err(), "{bad} accepted");
        }
        assert_eq!(go_version(&s("1.24")).unwrap(), "1.24");
        assert_eq!(go_version(&s("go1.24.3")).unwrap(), "1.24.3");
        assert!(go_version(&s("1")).is_err());
        assert!(go_version(&s("latest")).is_err());
    }
}
