//! Rules for single Gofile values. Each check gets the value with its span and returns the
//! value in its final form, or a diagnostic pointing at it.

use super::interpolate::is_variable_name;
use super::model::Spanned;
use crate::diagnostic::Diagnostic;

type Checked<T> = Result<T, Diagnostic>;

/// The names of gofrontend's own steps in the progress output (`[stdlib] go build ...`).
const RESERVED_SERVICE_NAMES: &[&str] = &["stdlib", "shared"];

/// Service names double as build targets and default binary names.
pub fn service_name(name: &Spanned<String>) -> Checked<()> {
    if RESERVED_SERVICE_NAMES.contains(&name.value.as_str()) {
        return Err(Diagnostic::new(
            name.span.clone(),
            format!(
                "`{}` is the name of gofrontend's own precompile step: this service's progress lines would read like it",
                name.value
            ),
        )
        .with_help("rename the service (its name is the build target and the default binary name)"));
    }
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
        if looks_like_import_path(value) {
            return Err(
                err(format!("package `{value}` is an import path, not a directory")).with_help(
                    "write the package's directory relative to the module's go.mod, starting with `./`: \
                     its import path without the module path, like `./cmd/api`",
                ),
            );
        }
        return Err(
            err(format!("package `{value}` must start with `./`")).with_help(format!(
                "Go reads `{value}` as an import path, not a directory; did you mean `./{value}`?"
            )),
        );
    };
    let components = clean_components(relative, &package.span, "package")?;
    if let Some(file) = components.last().filter(|name| name.ends_with(".go")) {
        let dir = match &components[..components.len() - 1] {
            [] => ".".to_string(),
            parents => format!("./{}", parents.join("/")),
        };
        return Err(err(format!(
            "package `{value}` names the file `{file}`: a service builds a package, which is a directory"
        ))
        .with_help(format!("write `package = \"{dir}\"`")));
    }
    Ok(if components.is_empty() {
        ".".to_string()
    } else {
        format!("./{}", components.join("/"))
    })
}

/// `example.com/app/cmd/api`: a first path element with a dot is a domain, as in module paths.
fn looks_like_import_path(value: &str) -> bool {
    value
        .split('/')
        .next()
        .is_some_and(|first| first.contains('.') && !first.starts_with('.'))
        && value.contains('/')
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

/// Signal names Docker's `ParseSignal` knows on Linux, without `SIG`.
const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
];

/// `STOPSIGNAL` as Docker reads it: a name with or without `SIG` (`SIGTERM`, `term`,
/// `SIGRTMIN+3`) or a number.
pub fn stop_signal(signal: &Spanned<String>) -> Checked<String> {
    let value = &signal.value;
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let realtime = |base: &str, sign: char| {
        name.strip_prefix(base)
            .and_then(|rest| rest.strip_prefix(sign))
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=15).contains(&n) && !(sign == '-' && n == 15))
    };
    let valid = value.parse::<u8>().is_ok_and(|n| (1..=64).contains(&n))
        || SIGNALS.contains(&name)
        || realtime("RTMIN", '+')
        || realtime("RTMAX", '-');
    if valid {
        return Ok(value.clone());
    }
    Err(Diagnostic::new(
        signal.span.clone(),
        format!("`{}` is not a signal Docker knows", value.escape_debug()),
    )
    .with_help("write a signal name like `SIGTERM` or `SIGINT`, or its number"))
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

/// What `gofrontend bake` puts before a service's name to tag its image: with a service name
/// after it, a repository Docker accepts.
pub fn tag_prefix(prefix: &Spanned<String>) -> Checked<String> {
    let example = format!("{}api", prefix.value);
    match crate::image_ref::normalize(&example) {
        Ok(_) if !example.contains(['@', ':']) || example.rsplit_once(':').is_some_and(|(_, tag)| tag.contains('/')) => {
            Ok(prefix.value.clone())
        }
        Ok(_) => Err(Diagnostic::new(
            prefix.span.clone(),
            format!("tag_prefix `{}` would put the service's name in a tag or digest", prefix.value.escape_debug()),
        )
        .with_help("end the prefix with `/` or `-`, like `registry.example.com/shop/`")),
        Err(message) => Err(Diagnostic::new(
            prefix.span.clone(),
            format!(
                "tag_prefix `{}` does not make image names: `{example}`: {message}",
                prefix.value.escape_debug()
            ),
        )
        .with_help("use lowercase letters, digits, `.`, `-`, `_` and `/`, like `registry.example.com/shop/`")),
    }
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
    fn stop_signals_are_ones_docker_knows() {
        for good in ["SIGTERM", "term", "SIGRTMIN+3", "RTMAX-2", "9", "SIGUSR1"] {
            assert!(stop_signal(&s(good)).is_ok(), "{good} refused");
        }
        for bad in ["SIGFOO", "0", "65", "RTMIN+16", "TERM ", ""] {
            assert!(stop_signal(&s(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn packages_given_as_files_or_import_paths_say_what_to_write() {
        let err = package(&s("./cmd/api/main.go")).unwrap_err();
        assert_eq!(err.help.unwrap(), "write `package = \"./cmd/api\"`");
        assert_eq!(
            package(&s("./main.go")).unwrap_err().help.unwrap(),
            "write `package = \".\"`"
        );
        let err = package(&s("example.com/app/cmd/api")).unwrap_err();
        assert_eq!(
            err.message,
            "package `example.com/app/cmd/api` is an import path, not a directory"
        );
        assert!(
            package(&s("cmd/api"))
                .unwrap_err()
                .help
                .unwrap()
                .contains("`./cmd/api`")
        );
    }

    #[test]
    fn names_follow_their_rules() {
        for reserved in ["stdlib", "shared"] {
            assert!(service_name(&s(reserved)).is_err(), "{reserved} accepted");
        }
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
