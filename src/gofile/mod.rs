//! The Gofile: TOML text in, a validated [`Gofile`] out, or every mistake with its position.

mod go_settings;
mod interpolate;
mod model;
mod quoted;
mod reader;
mod validate;

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

pub use interpolate::ArgUse;
use interpolate::BuildArgs;
pub use model::{
    BuildSettings, Gofile, Healthcheck, ImageFile, ImageSettings, Service, Spanned, TestSettings,
};
use reader::{Place, Reader};

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};

const TOP_LEVEL_KEYS: &[&str] = &[
    "go",
    "builder",
    "base",
    "module",
    "shared_cache",
    "vendor",
    "workspace",
    "source",
    "tag_prefix",
    "build",
    "services",
    "test",
];
const TEST_KEYS: &[&str] = &["packages", "tags", "flags", "env", "timeout"];
const BUILD_KEYS: &[&str] = &[
    "cgo", "tags", "ldflags", "flags", "buildvcs", "env", "files",
];
const FILE_KEYS: &[&str] = &["source", "mode", "owner"];
const SERVICE_KEYS: &[&str] = &[
    "package",
    "binary",
    "base",
    "cgo",
    "tags",
    "ldflags",
    "flags",
    "buildvcs",
    "build_env",
    "args",
    "env",
    "user",
    "workdir",
    "ports",
    "labels",
    "stop_signal",
    "description",
    "entrypoint",
    "healthcheck",
    "include_binaries",
    "files",
    "volumes",
    "annotations",
];
const HEALTHCHECK_KEYS: &[&str] = &["command", "interval", "timeout", "start_period", "retries"];

/// Parses and validates a Gofile, substituting `${NAME}` from `build_args`.
pub fn parse(
    source: &TextFile,
    build_args: &BTreeMap<String, String>,
) -> Result<Gofile, Diagnostics> {
    parse_with(
        source,
        BuildArgs {
            values: build_args,
            undefined_is_empty: false,
        },
    )
}

/// Parses a Gofile to read what it declares (services, build args) without building it: a
/// build arg without a value or default is empty instead of an error.
pub fn parse_declarations(
    source: &TextFile,
    build_args: &BTreeMap<String, String>,
) -> Result<Gofile, Diagnostics> {
    parse_with(
        source,
        BuildArgs {
            values: build_args,
            undefined_is_empty: true,
        },
    )
}

/// A UTF-8 byte order mark, which some Windows editors write first.
const BYTE_ORDER_MARK: char = '\u{feff}';

fn parse_with(source: &TextFile, build_args: BuildArgs<'_>) -> Result<Gofile, Diagnostics> {
    if source.text().starts_with(BYTE_ORDER_MARK) {
        return Err(Diagnostics::single(
            source.clone(),
            Diagnostic::new(
                0..BYTE_ORDER_MARK.len_utf8(),
                "the Gofile starts with a byte order mark (U+FEFF)",
            )
            .with_help("BuildKit reads `# syntax=` only from the file's first byte, so it would not run gofrontend; save the Gofile as UTF-8 without a BOM"),
        ));
    }
    let root = DeTable::parse(source.text()).map_err(|err| {
        let span = err.span().unwrap_or(0..0);
        let message = err.message().trim().replace('\n', "; ");
        Diagnostics::single(
            source.clone(),
            Diagnostic::new(span, format!("invalid TOML: {message}")),
        )
    })?;
    let mut reader = Reader::new(source, build_args);
    let gofile = read_gofile(&mut reader, root.get_ref());
    match gofile {
        Some(mut gofile) if reader.diagnostics.is_empty() => {
            gofile.build_args = reader.used_args;
            Ok(gofile)
        }
        _ => Err(Diagnostics::new(source.clone(), reader.diagnostics)),
    }
}

fn read_gofile(r: &mut Reader<'_>, root: &DeTable<'_>) -> Option<Gofile> {
    let top = Place(None);
    r.reject_unknown_keys(root, TOP_LEVEL_KEYS, top);
    let go = checked_string(r, root, "go", top, validate::go_version);
    let builder = checked_string(r, root, "builder", top, |v| validate::image(v, false));
    let base = checked_string(r, root, "base", top, |v| validate::image(v, true));
    let module = checked_string(r, root, "module", top, validate::module_dir)
        .unwrap_or_else(|| Spanned::new(".".to_string(), 0..0));
    let shared_cache = r.bool(root, "shared_cache", top).unwrap_or(false);
    let vendor = r.spanned_bool(root, "vendor", top);
    let workspace = r.spanned_bool(root, "workspace", top);
    let source_url = checked_string(r, root, "source", top, no_control_characters).map(|s| s.value);
    let tag_prefix =
        checked_string(r, root, "tag_prefix", top, validate::tag_prefix).map(|s| s.value);
    let (defaults, default_files) = match r.table(root, "build", top) {
        Some((table, _)) => {
            let place = Place(Some("build"));
            r.reject_unknown_keys(table, BUILD_KEYS, place);
            (
                read_build_settings(r, table, place, "env", &BuildSettings::default()),
                read_files(r, table, place),
            )
        }
        None => (BuildSettings::default(), Vec::new()),
    };
    let (services, services_span) = read_services(r, root, &defaults, &default_files)?;
    let test = read_test(r, root, &defaults);
    Some(Gofile {
        go,
        builder,
        base,
        module,
        shared_cache,
        vendor,
        workspace,
        source_url,
        tag_prefix,
        build_args: Vec::new(),
        build: defaults,
        services,
        services_span,
        test,
    })
}

/// `[test]`, over `[build]`: its packages (`./...` without it), tags, flags, env and timeout.
fn read_test(r: &mut Reader<'_>, root: &DeTable<'_>, defaults: &BuildSettings) -> TestSettings {
    let Some((table, span)) = r.table(root, "test", Place(None)) else {
        return TestSettings {
            packages: vec![Spanned::new("./...".to_string(), 0..0)],
            build: defaults.clone(),
            flags: Vec::new(),
            timeout: None,
            span: 0..0,
            declared: false,
        };
    };
    let place = Place(Some("test"));
    r.reject_unknown_keys(table, TEST_KEYS, place);
    let packages = checked_strings(r, table, "packages", place, validate::package_pattern)
        .filter(|patterns| !patterns.is_empty());
    if let Some(empty) = r.empty_array_span(table, "packages") {
        r.report(
            Diagnostic::new(empty, "`packages` names no package to test").with_help(
                "name package patterns such as `[\"./...\"]` (the default without the key)",
            ),
        );
    }
    let packages =
        packages.unwrap_or_else(|| vec![Spanned::new("./...".to_string(), span.clone())]);
    let mut build = defaults.clone();
    if let Some(tags) = checked_strings(r, table, "tags", place, go_settings::build_tag) {
        build.tags = tags;
    }
    build.env.extend(checked_table(
        r,
        table,
        "env",
        place,
        go_settings::test_env_name,
    ));
    let mut flags =
        checked_strings(r, table, "flags", place, go_settings::test_flag).unwrap_or_default();
    if !build.cgo {
        for flag in &flags {
            let name = go_settings::flag_name(&flag.value);
            if go_settings::CGO_FLAGS.contains(&name) && go_settings::flag_is_on(&flag.value) {
                r.report(
                    Diagnostic::new(
                        flag.span.clone(),
                        format!("`-{name}` needs cgo, and the tests build without it"),
                    )
                    .with_help("set `cgo = true` in [build] (the builder image has the C toolchain), or remove the flag"),
                );
            }
        }
    }
    // `-race` compiles every package the tests import differently: as a build flag of the
    // tests, the packages compiled ahead for them are compiled with it too.
    let (race, run_flags): (Vec<_>, Vec<_>) = flags
        .into_iter()
        .partition(|flag| go_settings::flag_name(&flag.value) == "race");
    build.flags.extend(race);
    flags = run_flags;
    let timeout = checked_string(r, table, "timeout", place, |value| {
        validate::duration(value).map(|_| value.value.clone())
    });
    TestSettings {
        packages,
        build,
        flags,
        timeout,
        span,
        declared: true,
    }
}

fn read_services(
    r: &mut Reader<'_>,
    root: &DeTable<'_>,
    defaults: &BuildSettings,
    default_files: &[ImageFile],
) -> Option<(Vec<Service>, std::ops::Range<usize>)> {
    let no_services = || {
        Diagnostic::new(0..0, "no services defined")
            .with_help("add a service: `[services.api]` with `package = \"./cmd/api\"`")
    };
    let services_key = root.keys().find(|k| k.get_ref() == "services");
    let Some((table, _)) = r.table(root, "services", Place(None)) else {
        if services_key.is_none() {
            r.report(no_services());
        }
        return None;
    };
    let services_span = services_key.map_or(0..0, |k| k.span());
    if table.is_empty() {
        r.report(Diagnostic {
            span: services_span,
            ..no_services()
        });
        return None;
    }
    let mut services = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        let name = Spanned::new(key.get_ref().to_string(), key.span());
        let header = format!("services.{}", name.value);
        let DeValue::Table(body) = value.get_ref() else {
            r.wrong_type::<()>(&name.value, Place(Some("services")), "a table", value);
            continue;
        };
        let name_ok = r.check(validate::service_name(&name)).is_some();
        let place = Place(Some(&header));
        if let Some(service) = read_service(r, name, body, place, defaults, default_files) {
            services.extend(name_ok.then_some(service));
        }
    }
    for service in &services {
        for diagnostic in included_binaries_are_services(service, &services) {
            r.report(diagnostic);
        }
    }
    Some((services, services_span))
}

fn read_service(
    r: &mut Reader<'_>,
    name: Spanned<String>,
    body: &DeTable<'_>,
    place: Place<'_>,
    defaults: &BuildSettings,
    default_files: &[ImageFile],
) -> Option<Service> {
    r.reject_unknown_keys(body, SERVICE_KEYS, place);
    let package = match r.string(body, "package", place) {
        Some(package) => r
            .check(validate::package(&package))
            .map(|value| Spanned::new(value, package.span)),
        None => {
            if r.value(body, "package").is_none() {
                r.report(
                    Diagnostic::new(name.span.clone(), format!("service `{}` has no `package`", name.value))
                        .with_help("add `package = \"./cmd/...\"`: the Go main package to build, relative to the module"),
                );
            }
            None
        }
    };
    let binary = match r.string(body, "binary", place) {
        Some(binary) => r.check(validate::binary(&binary)),
        None => Some(name.value.clone()),
    };
    let base = checked_string(r, body, "base", place, |v| validate::image(v, true));
    let build = read_build_settings(r, body, place, "build_env", defaults);
    if !build.cgo {
        for flag in &build.flags {
            let flag_name = go_settings::flag_name(&flag.value);
            if go_settings::CGO_FLAGS.contains(&flag_name) && go_settings::flag_is_on(&flag.value) {
                r.report(
                    Diagnostic::new(
                        flag.span.clone(),
                        format!(
                            "`-{flag_name}` needs cgo, and service `{}` builds without it",
                            name.value
                        ),
                    )
                    .with_help(
                        "set `cgo = true` for this service (or in [build]), or remove the flag",
                    ),
                );
            }
        }
    }
    let mut image = read_image_settings(r, body, place);
    let own_files = std::mem::take(&mut image.files);
    let files: BTreeMap<String, ImageFile> = default_files
        .iter()
        .chain(&own_files)
        .map(|file| (file.dest.value.clone(), file.clone()))
        .collect();
    image.files = files.into_values().collect();
    let include_binaries = r
        .strings(body, "include_binaries", place)
        .unwrap_or_default();
    Some(Service {
        package: package?,
        binary: binary?,
        name,
        base,
        build,
        image,
        include_binaries,
    })
}

fn read_build_settings(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    place: Place<'_>,
    env_key: &str,
    defaults: &BuildSettings,
) -> BuildSettings {
    let cgo = r.bool(table, "cgo", place).unwrap_or(defaults.cgo);
    let tags = checked_strings(r, table, "tags", place, go_settings::build_tag)
        .unwrap_or_else(|| defaults.tags.clone());
    let ldflags = r
        .go_flag_list(table, "ldflags", place)
        .and_then(|s| r.check(no_control_characters(&s)))
        .unwrap_or_else(|| defaults.ldflags.clone());
    let flags = checked_strings(r, table, "flags", place, go_settings::build_flag)
        .unwrap_or_else(|| defaults.flags.clone());
    let buildvcs = r
        .spanned_bool(table, "buildvcs", place)
        .or_else(|| defaults.buildvcs.clone());
    let mut env = defaults.env.clone();
    env.extend(checked_table(
        r,
        table,
        env_key,
        place,
        go_settings::build_env_name,
    ));
    BuildSettings {
        cgo,
        tags,
        ldflags,
        flags,
        buildvcs,
        env,
    }
}

fn read_image_settings(r: &mut Reader<'_>, table: &DeTable<'_>, place: Place<'_>) -> ImageSettings {
    let text = |r: &mut Reader<'_>, key| {
        checked_string(r, table, key, place, no_control_characters).map(|s| s.value)
    };
    ImageSettings {
        entrypoint: read_command(r, table, "entrypoint", place),
        files: read_files(r, table, place),
        healthcheck: read_healthcheck(r, table, place),
        args: checked_strings(r, table, "args", place, |s| Ok(s.value.clone())),
        env: checked_table(r, table, "env", place, validate::env_name),
        user: checked_string(r, table, "user", place, validate::user).map(|s| s.value),
        workdir: checked_string(r, table, "workdir", place, validate::workdir).map(|s| s.value),
        ports: read_ports(r, table, place),
        volumes: checked_strings(r, table, "volumes", place, |path| {
            validate::image_path(path).map(|value| Spanned::new(value, path.span.clone()))
        })
        .unwrap_or_default(),
        labels: checked_table(r, table, "labels", place, |_| Ok(())),
        annotations: checked_table(r, table, "annotations", place, validate::annotation_key),
        stop_signal: checked_string(r, table, "stop_signal", place, validate::stop_signal)
            .map(|s| s.value),
        description: text(r, "description"),
    }
}

/// `include_binaries` names other services of the Gofile, each once; a cgo binary needs the C
/// library of a cgo service's base.
fn included_binaries_are_services(service: &Service, services: &[Service]) -> Vec<Diagnostic> {
    let name = &service.name.value;
    let mut seen = std::collections::BTreeSet::new();
    let mut found = Vec::new();
    for included in &service.include_binaries {
        let at = |message: String| Diagnostic::new(included.span.clone(), message);
        let other = services.iter().find(|s| s.name.value == included.value);
        let diagnostic = match other {
            _ if included.value == *name => Some(
                at(format!("service `{name}` includes its own binary"))
                    .with_help("its image holds its binary already; name other services here"),
            ),
            _ if !seen.insert(included.value.as_str()) => Some(
                at(format!("`{}` is included twice", included.value))
                    .with_help("name each service once"),
            ),
            None => {
                let names: Vec<&str> = services
                    .iter()
                    .map(|s| s.name.value.as_str())
                    .filter(|other| other != name)
                    .collect();
                Some(
                    at(format!("`{}` is not a service of this Gofile", included.value.escape_debug()))
                        .with_help(format!("name a service declared as [services.<name>]: {}", names.join(", "))),
                )
            }
            Some(other) if other.build.cgo && !service.build.cgo => Some(
                at(format!(
                    "service `{}` builds with cgo, and its binary needs the C library that service `{name}`'s base, built without cgo, lacks",
                    other.name.value
                ))
                .with_help(format!("set `cgo = true` for `{name}` too (its base then has a C library), or build `{}` without cgo", other.name.value)),
            ),
            Some(_) => None,
        };
        found.extend(diagnostic);
    }
    found
}

/// `files`: destination in the image = source in the context, or a table with the source and
/// its `mode` and `owner`.
fn read_files(r: &mut Reader<'_>, table: &DeTable<'_>, place: Place<'_>) -> Vec<ImageFile> {
    let Some((entries, _)) = r.table(table, "files", place) else {
        return Vec::new();
    };
    let header = match place.0 {
        Some(outer) => format!("{outer}.files"),
        None => "files".to_string(),
    };
    let place = Place(Some(&header));
    let mut files = Vec::with_capacity(entries.len());
    for (key, value) in entries.iter() {
        let dest = Spanned::new(key.get_ref().to_string(), key.span());
        let dest = r
            .check(validate::image_path(&dest))
            .map(|path| Spanned::new(path, dest.span));
        let (source, mode, owner) = match value.get_ref() {
            DeValue::String(_) => (r.string_value(key.get_ref(), place, value), None, None),
            DeValue::Table(body) => {
                r.reject_unknown_keys(body, FILE_KEYS, place);
                let source = r.string(body, "source", place);
                if r.value(body, "source").is_none() {
                    r.report(
                        Diagnostic::new(
                            value.span(),
                            format!("`{}` in [{header}] has no `source`", key.get_ref()),
                        )
                        .with_help("add `source = \"path/in/the/context\"`"),
                    );
                }
                let mode = checked_string(r, body, "mode", place, validate::file_mode);
                let owner = checked_string(r, body, "owner", place, validate::file_owner);
                (source, mode.map(|m| m.value), owner)
            }
            _ => {
                r.wrong_type::<()>(
                    key.get_ref(),
                    place,
                    "a path of the build context, or a table with `source`, `mode` and `owner`",
                    value,
                );
                continue;
            }
        };
        let source = source.and_then(|source| {
            r.check(validate::context_path(&source))
                .map(|path| Spanned::new(path, source.span))
        });
        if let (Some(dest), Some(source)) = (dest, source) {
            files.push(ImageFile {
                dest,
                source,
                mode,
                owner,
            });
        }
    }
    files
}

/// An exec-form command: a non-empty array whose first string names a program.
fn read_command(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    key: &str,
    place: Place<'_>,
) -> Option<Vec<Spanned<String>>> {
    let command = r.strings(table, key, place)?;
    let span = r.value(table, key).map_or(0..0, |v| v.span());
    match command.first() {
        Some(program) if !program.value.is_empty() => Some(command),
        _ => {
            r.report(
                Diagnostic::new(span, format!("`{key}` {place} names no program"))
                    .with_help(format!("start `{key}` with the program to run, like `[\"/usr/local/bin/api\", \"serve\"]`")),
            );
            None
        }
    }
}

fn read_healthcheck(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    place: Place<'_>,
) -> Option<Healthcheck> {
    let (body, span) = r.table(table, "healthcheck", place)?;
    let header = match place.0 {
        Some(outer) => format!("{outer}.healthcheck"),
        None => "healthcheck".to_string(),
    };
    let place = Place(Some(&header));
    r.reject_unknown_keys(body, HEALTHCHECK_KEYS, place);
    let duration = |r: &mut Reader<'_>, key| {
        checked_string(r, body, key, place, validate::duration).map(|d| d.value)
    };
    let interval = duration(r, "interval");
    let timeout = duration(r, "timeout");
    let start_period = duration(r, "start_period");
    let retries = read_retries(r, body, place);
    let command = read_command(r, body, "command", place);
    if command.is_none() && r.value(body, "command").is_none() {
        r.report(
            Diagnostic::new(span, format!("[{header}] has no `command`"))
                .with_help("add `command = [\"/usr/local/bin/api\", \"-health\"]`: a program of the image that exits 0 when the service is healthy (exec form: distroless has no shell)"),
        );
    }
    Some(Healthcheck {
        command: command?,
        interval,
        timeout,
        start_period,
        retries,
    })
}

fn read_retries(r: &mut Reader<'_>, table: &DeTable<'_>, place: Place<'_>) -> Option<u32> {
    let value = r.value(table, "retries")?;
    let count = match value.get_ref() {
        DeValue::Integer(number) => i64::from_str_radix(number.as_str(), number.radix()).ok(),
        _ => return r.wrong_type("retries", place, "a whole number", value),
    };
    match count.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0) {
        Some(count) => Some(count),
        None => {
            r.report(
                Diagnostic::new(
                    value.span(),
                    format!("`retries` {place} must be at least 1"),
                )
                .with_help("leave `retries` out for Docker's default of 3"),
            );
            None
        }
    }
}

fn read_ports(r: &mut Reader<'_>, table: &DeTable<'_>, place: Place<'_>) -> Vec<String> {
    let Some(value) = r.value(table, "ports") else {
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        return r
            .wrong_type(
                "ports",
                place,
                "an array of port numbers or strings like \"53/udp\"",
                value,
            )
            .unwrap_or_default();
    };
    let mut ports = Vec::with_capacity(items.len());
    for item in items.iter() {
        let port = match item.get_ref() {
            DeValue::Integer(number) => {
                let digits = i64::from_str_radix(number.as_str(), number.radix())
                    .map_or_else(|_| number.as_str().to_string(), |n| n.to_string());
                r.check(validate::port(&digits, &item.span()))
            }
            DeValue::String(_) => r
                .string_value("ports", place, item)
                .and_then(|s| r.check(validate::port(&s.value, &s.span))),
            _ => r.wrong_type(
                "ports",
                place,
                "a port number or a string like \"53/udp\"",
                item,
            ),
        };
        ports.extend(port);
    }
    ports
}

fn no_control_characters(value: &Spanned<String>) -> Result<String, Diagnostic> {
    if !value.value.chars().any(char::is_control) {
        return Ok(value.value.clone());
    }
    Err(Diagnostic::new(
        value.span.clone(),
        format!(
            "`{}` contains a control character",
            value.value.escape_debug()
        ),
    ))
}

fn checked_string<T>(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    key: &str,
    place: Place<'_>,
    check: impl Fn(&Spanned<String>) -> Result<T, Diagnostic>,
) -> Option<Spanned<T>> {
    let value = r.string(table, key, place)?;
    let checked = r.check(check(&value))?;
    Some(Spanned::new(checked, value.span))
}

fn checked_strings<T>(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    key: &str,
    place: Place<'_>,
    check: impl Fn(&Spanned<String>) -> Result<T, Diagnostic>,
) -> Option<Vec<T>> {
    let values = r.strings(table, key, place)?;
    let checked: Vec<Option<T>> = values.iter().map(|v| r.check(check(v))).collect();
    checked.into_iter().collect()
}

fn checked_table(
    r: &mut Reader<'_>,
    table: &DeTable<'_>,
    key: &str,
    place: Place<'_>,
    check_name: impl Fn(&Spanned<String>) -> Result<(), Diagnostic>,
) -> BTreeMap<String, String> {
    let Some(entries) = r.string_table(table, key, place) else {
        return BTreeMap::new();
    };
    entries
        .into_iter()
        .filter(|(name, _)| r.check(check_name(name)).is_some())
        .map(|(name, value)| (name.value, value.value))
        .collect()
}

#[cfg(test)]
mod tests;
