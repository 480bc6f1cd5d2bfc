//! Rules for single Gofile values. Each check gets the value with its span and returns the
//! value in its final form, or a diagnostic pointing at it.

use super::interpolate::is_variable_name;
use super::model::Spanned;
use crate::diagnostic::Diagnostic;

type Checked<T> = Result<T, Diagnostic>;

/// Names gofrontend uses itself: its steps in the progress output (`[stdlib] go build ...`)
/// and the `test` target.
const RESERVED_SERVICE_NAMES: &[&str] = &["stdlib", "shared", "test"];

/// Service names double as build targets and default binary names.
pub fn service_name(name: &Spanned<String>) -> Checked<()> {
    if RESERVED_SERVICE_NAMES.contains(&name.value.as_str()) {
        return Err(Diagnostic::new(
            name.span.clone(),
            format!(
                "`{}` is a name gofrontend uses itself (its `[stdlib]` and `[shared]` steps, the `test` target): the service could not be built or told apart by it",
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

/// A health check's time as Go's `time.ParseDuration` reads it (`30s`, `1m30s`, `1.5s`,
/// `500ms`), in nanoseconds. Docker refuses anything under a millisecond.
pub fn duration(value: &Spanned<String>) -> Checked<i64> {
    let refuse = |why: &str| {
        Diagnostic::new(
            value.span.clone(),
            format!("`{}` {why}", value.value.escape_debug()),
        )
        .with_help("write a duration like `30s`, `1m30s` or `500ms` (units h, m, s, ms, us, ns)")
    };
    let mut rest = value.value.as_str();
    if rest.is_empty() {
        return Err(refuse("is not a duration"));
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| refuse("is not a duration"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "h" => 3_600e9,
            "m" => 60e9,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            "" => return Err(refuse("has a number without a unit")),
            _ => return Err(refuse("has a unit Go does not know")),
        };
        rest = &rest[unit_len..];
        total += number * nanos_per_unit;
    }
    if total < 1e6 {
        return Err(refuse("is shorter than the millisecond Docker requires"));
    }
    if total > i64::MAX as f64 {
        return Err(refuse("is longer than Docker can hold"));
    }
    Ok(total as i64)
}

/// A `[test]` package pattern as `go test` reads one inside the module: `.`, `./...`,
/// `./internal/...`, `./cmd/api`. Import paths and patterns leaving the module are refused.
pub fn package_pattern(pattern: &Spanned<String>) -> Checked<Spanned<String>> {
    let value = &pattern.value;
    let path = value.strip_suffix("/...").unwrap_or(value);
    let relative = path == "." || path.starts_with("./");
    let parts_ok = path
        .split('/')
        .skip(1)
        .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains("..."));
    if relative && parts_ok && !value.chars().any(|c| c.is_control() || c == '\\') {
        return Ok(pattern.clone());
    }
    Err(Diagnostic::new(
        pattern.span.clone(),
        format!("`{}` is not a package pattern of the module", value.escape_debug()),
    )
    .with_help("write a path relative to the module, like `\"./...\"`, `\"./internal/...\"` or `\"./cmd/api\"`"))
}

/// A path in the image for `files`: absolute, without `.` or `..` components, not `/`.
pub fn image_path(path: &Spanned<String>) -> Checked<String> {
    let value = &path.value;
    let trimmed = value.trim_end_matches('/');
    let components_ok = trimmed
        .split('/')
        .skip(1)
        .all(|part| !part.is_empty() && part != "." && part != "..");
    if value.starts_with('/')
        && !trimmed.is_empty()
        && components_ok
        && !value.chars().any(char::is_control)
    {
        return Ok(trimmed.to_string());
    }
    Err(Diagnostic::new(
        path.span.clone(),
        format!(
            "`{}` is not a path in the image to copy to",
            value.escape_debug()
        ),
    )
    .with_help("write an absolute path below `/`, like `\"/srv/static\"`, without `.` or `..`"))
}

/// A path of the build context for `files`: relative, inside the context, not the whole of it.
pub fn context_path(path: &Spanned<String>) -> Checked<String> {
    let value = &path.value;
    let trimmed = value
        .strip_prefix("./")
        .unwrap_or(value)
        .trim_end_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    let inside = parts
        .iter()
        .all(|part| !part.is_empty() && *part != "." && *part != "..");
    if !value.starts_with('/')
        && !trimmed.is_empty()
        && inside
        && !value.chars().any(char::is_control)
    {
        return Ok(trimmed.to_string());
    }
    let why = match value.starts_with('/') || parts.contains(&"..") {
        true => "is outside the build context",
        false => "does not name a file or directory of the build context",
    };
    Err(Diagnostic::new(
        path.span.clone(),
        format!("`{}` {why}", value.escape_debug()),
    )
    .with_help("write a path relative to the context's root, like `\"web/dist\"` (build from a directory that holds it)"))
}

/// `files` permission bits, as octal digits: `"0644"`, `"750"`.
pub fn file_mode(mode: &Spanned<String>) -> Checked<u32> {
    let digits = &mode.value;
    match u32::from_str_radix(digits, 8) {
        Ok(bits) if (3..=4).contains(&digits.len()) && bits <= 0o777 => Ok(bits),
        _ => Err(Diagnostic::new(
            mode.span.clone(),
            format!("`{}` is not a file mode", digits.escape_debug()),
        )
        .with_help("write permission bits in octal, like `\"0644\"` or `\"0750\"`")),
    }
}

/// `files` owner: `uid[:gid]` numbers (the gid defaults to the uid) or `user[:group]` names
/// (the group defaults to the user's name), as `COPY --chown` reads them.
pub fn file_owner(owner: &Spanned<String>) -> Checked<crate::llb::Owner> {
    use crate::llb::Owner;
    let (user, group) = owner
        .value
        .split_once(':')
        .unwrap_or((&owner.value, &owner.value));
    let name_ok = |name: &str| {
        name.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c))
    };
    match (user.parse::<u32>(), group.parse::<u32>()) {
        (Ok(uid), Ok(gid)) => return Ok(Owner::Ids { uid, gid }),
        _ if name_ok(user) && name_ok(group) => {
            return Ok(Owner::Names {
                user: user.to_string(),
                group: group.to_string(),
            });
        }
        _ => {}
    }
    Err(Diagnostic::new(
        owner.span.clone(),
        format!("`{}` is not an owner", owner.value.escape_debug()),
    )
    .with_help("write ids like `\"65532:65532\"` (they work on every base) or names the base's /etc/passwd holds, like `\"nonroot:nonroot\"`"))
}

/// An annotation key as BuildKit's exporters read it from the result (`annotation.<key>`): no
/// spaces, and not one gofrontend sets from the base.
pub fn annotation_key(key: &Spanned<String>) -> Checked<()> {
    let value = &key.value;
    let reserved = [
        "org.opencontainers.image.base.name",
        "org.opencontainers.image.base.digest",
    ];
    if reserved.contains(&value.as_str()) {
        return Err(Diagnostic::new(
            key.span.clone(),
            format!("`{value}` is set from the service's base image"),
        )
        .with_help("leave it out: gofrontend records the base's name and digest itself"));
    }
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Diagnostic::new(
            key.span.clone(),
            format!("`{}` is not an annotation key", value.escape_debug()),
        )
        .with_help("use a reverse-domain key without spaces, like `com.example.team`"));
    }
    Ok(())
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
    fn package_patterns_stay_inside_the_module() {
        for good in [".", "./...", "./internal/...", "./cmd/api", "./a/b/..."] {
            assert_eq!(package_pattern(&s(good)).unwrap().value, good);
        }
        for bad in [
            "...",
            "example.com/m/...",
            "/abs",
            "./../x",
            "./a//b",
            "./a/.../b",
            "cmd/api",
            "",
        ] {
            assert!(package_pattern(&s(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn durations_read_as_go_reads_them() {
        let nanos = |text: &str| duration(&s(text));
        assert_eq!(nanos("30s").unwrap(), 30_000_000_000);
        assert_eq!(nanos("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(nanos("1.5s").unwrap(), 1_500_000_000);
        assert_eq!(nanos("500ms").unwrap(), 500_000_000);
        assert_eq!(nanos("2h").unwrap(), 7_200_000_000_000);
        for bad in [
            "",
            "30",
            "s",
            "10 s",
            "1d",
            "999us",
            "0s",
            "-5s",
            "1e3s",
            "9999999999h",
        ] {
            assert!(nanos(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn file_paths_stay_inside_the_image_and_the_context() {
        assert_eq!(image_path(&s("/srv/static/")).unwrap(), "/srv/static");
        for bad in ["srv", "/", "/srv/../etc", "/srv//x", "/./x"] {
            assert!(image_path(&s(bad)).is_err(), "{bad} accepted");
        }
        assert_eq!(context_path(&s("./web/dist/")).unwrap(), "web/dist");
        for bad in ["/etc/passwd", "../secrets", "web/../../x", ".", "./", ""] {
            assert!(context_path(&s(bad)).is_err(), "{bad} accepted");
        }
        assert!(
            context_path(&s("../x"))
                .unwrap_err()
                .message
                .contains("outside")
        );
    }

    #[test]
    fn file_modes_and_owners_read_as_copy_chown_does() {
        use crate::llb::Owner;
        assert_eq!(file_mode(&s("0640")).unwrap(), 0o640);
        assert_eq!(file_mode(&s("755")).unwrap(), 0o755);
        for bad in ["644x", "0999", "04755", "7", "rw-r--r--"] {
            assert!(file_mode(&s(bad)).is_err(), "{bad} accepted");
        }
        assert_eq!(
            file_owner(&s("65532")).unwrap(),
            Owner::Ids {
                uid: 65532,
                gid: 65532
            }
        );
        assert_eq!(
            file_owner(&s("1:2")).unwrap(),
            Owner::Ids { uid: 1, gid: 2 }
        );
        assert_eq!(
            file_owner(&s("nonroot")).unwrap(),
            Owner::Names {
                user: "nonroot".into(),
                group: "nonroot".into()
            }
        );
        for bad in ["", "Root", "a b", "1:", ":1"] {
            assert!(file_owner(&s(bad)).is_err(), "{bad} accepted");
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
        for reserved in ["stdlib", "shared", "test"] {
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
