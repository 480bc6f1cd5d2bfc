//! Rules for what the Gofile hands to the go command: `[build] env` names, `tags` and `flags`
//! (a whitelist of `go build`'s own flags, with the ones gofrontend sets or that make no image
//! refused, each naming what to do instead).

use super::model::Spanned;
use super::validate::env_name;
use crate::diagnostic::Diagnostic;

type Checked<T> = Result<T, Diagnostic>;

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
    if name.value.starts_with(STEP_ENV_PREFIX) {
        return Err(Diagnostic::new(
            name.span.clone(),
            format!("`{}` is a name gofrontend's build steps read", name.value),
        )
        .with_help(format!(
            "names starting with `{STEP_ENV_PREFIX}` are gofrontend's own; choose another name"
        )));
    }
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

/// What the step scripts' own environment variables start with (`GOFRONTEND_SEED_DIR`, ...).
const STEP_ENV_PREFIX: &str = "GOFRONTEND_";

/// The tests run with these set (`HOME=/root`, `TMPDIR=/tmp`): writable, as most tests expect.
const TEST_MANAGED_ENV: &[&str] = &["HOME", "TMPDIR"];

/// A `[test]` `env` name: a build environment name, and not one the test steps set.
pub fn test_env_name(name: &Spanned<String>) -> Checked<()> {
    build_env_name(name)?;
    if TEST_MANAGED_ENV.contains(&name.value.as_str()) {
        return Err(Diagnostic::new(
            name.span.clone(),
            format!("`{}` is set by gofrontend for the tests", name.value),
        )
        .with_help("the tests run as root with HOME=/root and TMPDIR=/tmp, both writable; a test can use t.TempDir() or t.Setenv"));
    }
    Ok(())
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
        "o",
        "the output path is managed by gofrontend; rename the binary with `binary`",
    ),
    ("ldflags", "use the `ldflags` key"),
    ("tags", "use the `tags` key"),
    ("mod", "modules are always read-only from the download step"),
    ("modfile", "the module is the one in `module`"),
    ("buildvcs", "use the `buildvcs` key"),
    (
        "C",
        "the package is relative to the module; set `module` and `package` instead",
    ),
];

/// `go build` flags that would build something other than a binary that runs in the image.
const REFUSED_FLAGS: &[(&str, &str)] = &[
    (
        "n",
        "`-n` prints the commands without running them, so there would be no binary",
    ),
    (
        "linkshared",
        "`-linkshared` links against shared Go libraries that the image does not have",
    ),
    (
        "msan",
        "`-msan` needs clang, which the golang images do not have; use `-asan` with `cgo = true`",
    ),
];

/// `go build`'s boolean flags (`go help build`), besides the managed and refused ones.
const BOOL_FLAGS: &[&str] = &[
    "a",
    "race",
    "asan",
    "cover",
    "v",
    "work",
    "x",
    "json",
    "modcacherw",
    "trimpath",
];
/// `go build`'s flags that take a value, written `-name=value` in `flags`.
const VALUE_FLAGS: &[&str] = &[
    "p",
    "covermode",
    "coverpkg",
    "asmflags",
    "buildmode",
    "compiler",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "overlay",
    "pgo",
    "pkgdir",
    "toolexec",
];
/// Flags whose binaries need cgo on Linux.
pub const CGO_FLAGS: &[&str] = &["race", "asan"];
/// `-buildmode` values that make an executable.
const EXECUTABLE_BUILD_MODES: &[&str] = &["default", "exe", "pie"];

/// The values Go's `strconv.ParseBool` accepts, which `go build` uses for boolean flags.
fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A flag's name without its dashes and value: `race` for `--race=true`.
pub fn flag_name(flag: &str) -> &str {
    let name = flag.trim_start_matches('-');
    name.split('=').next().unwrap_or(name)
}

/// Whether a boolean flag is on: `-race`, `-race=true`, not `-race=false`.
pub fn flag_is_on(flag: &str) -> bool {
    flag.split_once('=')
        .is_none_or(|(_, value)| parse_go_bool(value) == Some(true))
}

pub fn build_flag(flag: &Spanned<String>) -> Checked<Spanned<String>> {
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
    let name = flag_name(value);
    if let Some((_, help)) = MANAGED_FLAGS.iter().find(|(managed, _)| *managed == name) {
        return Err(err(format!("flag `{value}` is set by gofrontend")).with_help(*help));
    }
    if let Some((_, why)) = REFUSED_FLAGS.iter().find(|(refused, _)| *refused == name) {
        return Err(
            err(format!("flag `{value}` cannot build a service's image"))
                .with_help(format!("{why}; remove it")),
        );
    }
    let given = value.split_once('=').map(|(_, v)| v);
    if BOOL_FLAGS.contains(&name) {
        if let Some(given) = given.filter(|v| parse_go_bool(v).is_none()) {
            return Err(
                err(format!("flag `-{name}` is true or false, not `{given}`"))
                    .with_help(format!("write `-{name}` or `-{name}=false`")),
            );
        }
        return Ok(flag.clone());
    }
    if VALUE_FLAGS.contains(&name) {
        let Some(given) = given else {
            return Err(
                err(format!("flag `{value}` needs a value")).with_help(format!(
                    "write the flag and its value as one string: `-{name}=...`"
                )),
            );
        };
        if name == "buildmode" && !EXECUTABLE_BUILD_MODES.contains(&given) {
            return Err(err(format!(
                "`-buildmode={given}` does not build an executable for the image"
            ))
            .with_help("use `-buildmode=pie` or `-buildmode=exe`, or remove the flag"));
        }
        if name == "compiler" && given != "gc" {
            return Err(err(format!(
                "`-compiler={given}`: the golang images have only the gc compiler"
            ))
            .with_help("remove the flag"));
        }
        return Ok(flag.clone());
    }
    let known: Vec<&str> = BOOL_FLAGS.iter().chain(VALUE_FLAGS).copied().collect();
    let mut diagnostic = err(format!("`{value}` is not a `go build` flag"));
    diagnostic = match known
        .iter()
        .min_by_key(|known| strsim::damerau_levenshtein(name, known))
        .filter(|known| strsim::damerau_levenshtein(name, known) <= (known.len() / 3).max(1))
    {
        Some(close) => diagnostic.with_help(format!("did you mean `-{close}`?")),
        None => diagnostic.with_help("see `go help build` for the flags it takes"),
    };
    Err(diagnostic)
}

/// `go test` flags gofrontend sets itself, with the Gofile key that controls each.
const MANAGED_TEST_FLAGS: &[(&str, &str)] = &[
    (
        "count",
        "each package's tests run once per build (`-count=1`): BuildKit's cache decides when they run again",
    ),
    ("json", "the report is always `go test -json`"),
    ("timeout", "use the `timeout` key"),
    ("tags", "use the `tags` key"),
    ("mod", "modules are always read-only from the download step"),
];
/// `go test` flags that would run no tests, or write what the build step throws away.
const REFUSED_TEST_FLAGS: &[(&str, &str)] = &[
    ("c", "`-c` compiles the test binary without running it"),
    ("o", "`-o` writes the test binary inside the build step"),
    (
        "exec",
        "`-exec` runs the tests with a program the builder image may not have",
    ),
    ("list", "`-list` lists the tests without running them"),
    (
        "bench",
        "benchmarks are timed, and a build step is no place to time them",
    ),
    ("fuzz", "fuzzing runs until stopped"),
    (
        "cpuprofile",
        "profiles are written inside the build step and lost",
    ),
    (
        "memprofile",
        "profiles are written inside the build step and lost",
    ),
    (
        "blockprofile",
        "profiles are written inside the build step and lost",
    ),
    (
        "mutexprofile",
        "profiles are written inside the build step and lost",
    ),
    ("trace", "traces are written inside the build step and lost"),
    (
        "coverprofile",
        "coverage profiles are written inside the build step and lost",
    ),
    (
        "outputdir",
        "files are written inside the build step and lost",
    ),
];
/// `go test`'s boolean flags that make sense in a build.
const TEST_BOOL_FLAGS: &[&str] = &["short", "v", "failfast", "race", "fullpath", "cover"];
/// `go test`'s flags that take a value, written `-name=value`.
const TEST_VALUE_FLAGS: &[&str] = &["run", "skip", "cpu", "parallel", "shuffle", "vet"];

/// A `[test]` `flags` entry: a `go test` flag that runs tests. Build flags go in `[build]`, so
/// tests compile as the services do and share their compiled packages.
pub fn test_flag(flag: &Spanned<String>) -> Checked<Spanned<String>> {
    let value = &flag.value;
    let err = |message: String| Diagnostic::new(flag.span.clone(), message);
    if !value.starts_with('-') || value.trim_start_matches('-').is_empty() {
        return Err(
            err(format!("`{value}` in `flags` is not a flag")).with_help(
                "write each flag with its value as one string, like `-short` or `-run=TestAPI`",
            ),
        );
    }
    if value.chars().any(char::is_control) {
        return Err(err(format!(
            "flag `{}` contains a control character",
            value.escape_debug()
        )));
    }
    let name = flag_name(value);
    if let Some((_, help)) = MANAGED_TEST_FLAGS
        .iter()
        .find(|(managed, _)| *managed == name)
    {
        return Err(err(format!("flag `{value}` is set by gofrontend")).with_help(*help));
    }
    if let Some((_, why)) = REFUSED_TEST_FLAGS
        .iter()
        .find(|(refused, _)| *refused == name)
    {
        return Err(err(format!("flag `{value}` cannot run in the test target"))
            .with_help(format!("{why}; remove it")));
    }
    let given = value.split_once('=').map(|(_, v)| v);
    if TEST_BOOL_FLAGS.contains(&name) {
        if let Some(given) = given.filter(|v| parse_go_bool(v).is_none()) {
            return Err(
                err(format!("flag `-{name}` is true or false, not `{given}`"))
                    .with_help(format!("write `-{name}` or `-{name}=false`")),
            );
        }
        return Ok(flag.clone());
    }
    if TEST_VALUE_FLAGS.contains(&name) {
        return match given {
            Some(_) => Ok(flag.clone()),
            None => Err(
                err(format!("flag `{value}` needs a value")).with_help(format!(
                    "write the flag and its value as one string: `-{name}=...`"
                )),
            ),
        };
    }
    if BOOL_FLAGS.contains(&name) || VALUE_FLAGS.contains(&name) {
        return Err(err(format!("`{value}` is a build flag")).with_help(
            "put build flags in `[build]` `flags`, so the tests compile as the services do",
        ));
    }
    let known: Vec<&str> = TEST_BOOL_FLAGS
        .iter()
        .chain(TEST_VALUE_FLAGS)
        .copied()
        .collect();
    let diagnostic = err(format!("`{value}` is not a `go test` flag"));
    Err(
        match known
            .iter()
            .min_by_key(|known| strsim::damerau_levenshtein(name, known))
            .filter(|known| strsim::damerau_levenshtein(name, known) <= (known.len() / 3).max(1))
        {
            Some(close) => diagnostic.with_help(format!("did you mean `-{close}`?")),
            None => diagnostic.with_help(format!(
                "the test target takes {}",
                known
                    .iter()
                    .map(|k| format!("`-{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(value: &str) -> Spanned<String> {
        Spanned::new(value.to_string(), 0..value.len())
    }

    #[test]
    fn managed_flags_and_env_are_refused_with_the_key_to_use() {
        assert_eq!(build_flag(&s("-race")).unwrap().value, "-race");
        assert_eq!(
            build_flag(&s("-gcflags=all=-N -l")).unwrap().value,
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
    fn flags_are_ones_go_build_takes_and_that_build_a_binary() {
        for good in [
            "-a",
            "-v=true",
            "-p=4",
            "-buildmode=pie",
            "-gcflags=all=-N -l",
            "-cover",
        ] {
            assert!(build_flag(&s(good)).is_ok(), "{good} refused");
        }
        let message = |flag: &str| build_flag(&s(flag)).unwrap_err();
        assert_eq!(
            message("-n").message,
            "flag `-n` cannot build a service's image"
        );
        assert_eq!(message("-p").message, "flag `-p` needs a value");
        assert_eq!(
            message("-race=yes").message,
            "flag `-race` is true or false, not `yes`"
        );
        assert_eq!(
            message("-buildmode=c-archive").message,
            "`-buildmode=c-archive` does not build an executable for the image"
        );
        assert_eq!(
            message("-gcflag=-N").help.unwrap(),
            "did you mean `-gcflags`?"
        );
        assert_eq!(
            message("-C=cmd").message,
            "flag `-C=cmd` is set by gofrontend"
        );
        assert!(flag_is_on("-race") && flag_is_on("-race=1") && !flag_is_on("-race=false"));
    }

    #[test]
    fn test_flags_run_tests_and_leave_builds_to_build() {
        for good in [
            "-short",
            "-run=TestAPI/get",
            "-v=false",
            "-race",
            "-shuffle=on",
            "-vet=off",
        ] {
            assert!(test_flag(&s(good)).is_ok(), "{good} refused");
        }
        let message = |flag: &str| test_flag(&s(flag)).unwrap_err();
        assert_eq!(
            message("-count=3").message,
            "flag `-count=3` is set by gofrontend"
        );
        assert!(message("-timeout=1m").help.unwrap().contains("`timeout`"));
        assert_eq!(
            message("-bench=.").message,
            "flag `-bench=.` cannot run in the test target"
        );
        assert!(message("-gcflags=-N").help.unwrap().contains("[build]"));
        assert_eq!(message("-shrot").help.unwrap(), "did you mean `-short`?");
        assert_eq!(message("-run").message, "flag `-run` needs a value");
        assert_eq!(message("short").message, "`short` in `flags` is not a flag");
    }
}
