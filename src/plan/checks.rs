//! Mistakes only the sources show, refused before anything runs: an image that would not
//! start (a library as the service's package, a missing package), a compile that could only
//! fail (cgo code built without cgo, a module file `.dockerignore` leaves out), and a build
//! whose binaries would overwrite each other. Each names the Gofile line and what to do.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::dockerignore::Matcher;
use crate::gofile::Service;
use crate::gomod::GoMod;
use crate::gosource::{Package, SourceTree, is_go_source, join};
use crate::options::{
    BuildOptions, CONTEXT_BASE, CONTEXT_BUILDER, OptionError, PREFIX_NAMED_CONTEXT,
};

use super::PlanError;
use super::step_files::Reach;

/// Every mistake of the selected services, at once.
pub fn services(
    source: &TextFile,
    services: &[&Service],
    reaches: &[(String, Reach)],
    tree: &SourceTree,
    gomod: &GoMod,
    excludes: &Matcher,
    several_binaries: bool,
) -> Result<(), PlanError> {
    let mut found = Vec::new();
    for (service, (root, reach)) in services.iter().zip(reaches) {
        found.extend(package_is_a_command(service, root, tree, excludes));
        found.extend(imports_are_in_the_context(
            service, root, reach, tree, gomod, excludes,
        ));
        found.extend(cgo_code_has_cgo(service, reach, tree));
    }
    if several_binaries {
        found.extend(binaries_are_distinct(services));
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Gofile(Diagnostics::new(source.clone(), found)))
    }
}

fn package_is_a_command(
    service: &Service,
    root: &str,
    tree: &SourceTree,
    excludes: &Matcher,
) -> Option<Diagnostic> {
    let at = |message: String| Diagnostic::new(service.package.span.clone(), message);
    let name = &service.name.value;
    let package = &service.package.value;
    match tree.packages.get(root)? {
        None => Some(
            at(format!(
                "service `{name}` builds `{package}`, and `{root}` is not in the build context: {}",
                why_missing(root, excludes)
            ))
            .with_help(if excludes.excludes(root) {
                format!("remove the pattern from .dockerignore, or add `!{root}` after it")
            } else {
                "write the package's directory relative to the module's go.mod, like `./cmd/api`"
                    .to_string()
            }),
        ),
        Some(found) if found.unsure.is_some() => None,
        Some(found) if !found.files.iter().any(|f| is_go_source(f)) => Some(
            at(format!(
                "service `{name}` builds `{package}`, which has no Go files{}",
                subpackages_hint(found)
            ))
            .with_help("point `package` at the directory of the command's `package main`"),
        ),
        Some(found) if !found.names.is_empty() && !found.names.contains("main") => Some(
            at(format!(
                "service `{name}` builds `{package}`, which is `package {}`, not a command: its image would hold no program",
                found.names.iter().cloned().collect::<Vec<_>>().join(", ")
            ))
            .with_help("point `package` at a `package main` directory (with a `func main`), such as the one under cmd/ that imports this package"),
        ),
        Some(_) => None,
    }
}

fn subpackages_hint(package: &Package) -> String {
    match package.subdirs.as_slice() {
        [] => String::new(),
        dirs => format!(" (its directories: {})", dirs.join(", ")),
    }
}

fn why_missing(dir: &str, excludes: &Matcher) -> String {
    if excludes.excludes(dir) {
        format!(".dockerignore excludes `{dir}`")
    } else {
        format!("there is no directory `{dir}`")
    }
}

/// A local package the service imports that the context lacks: Go would fail to find it.
/// Only imports of files that build everywhere count, only from packages the scan read, and
/// not those a required module may provide (`example.com/app/sdk` required by
/// `example.com/app`).
fn imports_are_in_the_context(
    service: &Service,
    root: &str,
    reach: &Reach,
    tree: &SourceTree,
    gomod: &GoMod,
    excludes: &Matcher,
) -> Option<Diagnostic> {
    let required = |import: &str| {
        gomod.required.iter().any(|module| {
            import == module
                || import
                    .strip_prefix(module.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    };
    if !matches!(tree.packages.get(root), Some(Some(_))) {
        return None;
    }
    reach.dirs.iter().find_map(|dir| {
        let Some(Some(package)) = tree.packages.get(dir) else {
            return None;
        };
        if package.unsure.is_some() {
            return None;
        }
        package.unconstrained_imports.iter().find_map(|import| {
            if required(import) {
                return None;
            }
            let target = tree.local_dir(import)?;
            matches!(tree.packages.get(&target), Some(None)).then(|| {
                Diagnostic::new(
                    service.package.span.clone(),
                    format!(
                        "service `{}` imports `{import}` (in {dir}), and `{target}` is not in the build context: {}",
                        service.name.value,
                        why_missing(&target, excludes)
                    ),
                )
                .with_help(if excludes.excludes(&target) {
                    format!("remove the pattern from .dockerignore, or add `!{target}` after it")
                } else {
                    "add the package, or remove the import".to_string()
                })
            })
        })
    })
}

/// A package all of whose files import "C" has nothing to build with cgo off: Go would say
/// "build constraints exclude all Go files".
fn cgo_code_has_cgo(service: &Service, reach: &Reach, tree: &SourceTree) -> Option<Diagnostic> {
    if service.build.cgo {
        return None;
    }
    let dir = reach
        .dirs
        .iter()
        .find(|dir| matches!(tree.packages.get(*dir), Some(Some(p)) if p.needs_cgo))?;
    Some(
        Diagnostic::new(
            service.package.span.clone(),
            format!(
                "service `{}` builds without cgo, and every Go file of {dir} imports \"C\"",
                service.name.value
            ),
        )
        .with_help("set `cgo = true` for this service (or in [build]); the base becomes distroless `base`, which has the C library"),
    )
}

/// One build of every service puts every binary in the same directory.
fn binaries_are_distinct(services: &[&Service]) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &Service> = BTreeMap::new();
    let mut found = Vec::new();
    for service in services {
        match first.get(service.binary.as_str()) {
            Some(earlier) => found.push(
                Diagnostic::new(
                    service.name.span.clone(),
                    format!(
                        "services `{}` and `{}` both build the binary `{}`, and this build puts both in {} of one image: one would replace the other",
                        earlier.name.value, service.name.value, service.binary, super::BINARY_DIR
                    ),
                )
                .with_help("give each service its own `binary`, or build one service with --target (and without the other in its `include_binaries`)"),
            ),
            None => {
                first.insert(&service.binary, service);
            }
        }
    }
    found
}

/// The module files every step needs: `.dockerignore` leaving one out would make the steps
/// see none of it.
/// `gomod` is `None` when building from `vendor/`, which needs no go.sum.
pub fn module_files_are_sent(
    module_dir: &str,
    gomod: Option<&GoMod>,
    excludes: &Matcher,
) -> Result<(), PlanError> {
    let mut needed = vec![join(module_dir, "go.mod")];
    if gomod.is_some_and(|gomod| gomod.requires) {
        needed.push(join(module_dir, "go.sum"));
    }
    match needed.into_iter().find(|path| excludes.excludes(path)) {
        None => Ok(()),
        Some(path) => Err(PlanError::Input(format!(
            ".dockerignore excludes `{path}`, which the module download and every compile need; \
             remove the pattern that matches it, or add `!{path}` after it"
        ))),
    }
}

/// A `--build-context` naming no image of this build would be ignored silently, typos
/// (`golnag=`) included.
pub fn named_contexts_are_used(
    options: &BuildOptions,
    references: &[String],
) -> Result<(), PlanError> {
    let unused = options.image_contexts.keys().find(|name| {
        ![CONTEXT_BUILDER, CONTEXT_BASE].contains(&name.as_str()) && !references.contains(name)
    });
    let Some(reference) = unused else {
        return Ok(());
    };
    let given = options
        .image_context_names
        .get(reference)
        .map_or(reference.as_str(), String::as_str);
    let used: std::collections::BTreeSet<&str> = references.iter().map(String::as_str).collect();
    let close = [CONTEXT_BUILDER, CONTEXT_BASE]
        .into_iter()
        .find(|name| strsim::damerau_levenshtein(given, name) <= 2)
        .map(|name| format!("did you mean `{name}`? "))
        .unwrap_or_default();
    Err(PlanError::Option(OptionError {
        key: format!("{PREFIX_NAMED_CONTEXT}{given}"),
        message: format!(
            "no image of this build is `{reference}`, so this context would be ignored; {close}\
             the named contexts a Gofile build reads are `{CONTEXT_BUILDER}` (the builder image), `{CONTEXT_BASE}` \
             (every service's base) and the images it uses: {}",
            used.into_iter().collect::<Vec<_>>().join(", ")
        ),
    }))
}

/// What a frontend's result may carry to BuildKit in its one `Return` message (BuildKit's
/// gRPC limit is 4 MiB), less room for the base image's own config.
pub const IMAGE_CONFIGS_LIMIT: usize = 4 * 1024 * 1024 - 512 * 1024;

/// The image config the result returns (one per platform) must fit in the result: past the
/// limit BuildKit refuses it, and the build fails with no reason given.
pub fn image_config_fits(
    source: &TextFile,
    gofile: &crate::gofile::Gofile,
    service: &super::ServicePlan,
    platforms: usize,
    options: &BuildOptions,
) -> Result<(), PlanError> {
    let image = &service.image;
    let total = json_len(image) * platforms;
    if total <= IMAGE_CONFIGS_LIMIT {
        return Ok(());
    }
    let parts = [
        ("labels", json_len(&image.labels), image.labels.len()),
        ("env", json_len(&image.env), image.env.len()),
        (
            "args",
            json_len(&image.cmd),
            image.cmd.as_ref().map_or(0, Vec::len),
        ),
        (
            "ports",
            json_len(&image.exposed_ports),
            image.exposed_ports.len(),
        ),
    ];
    let (key, bytes, entries) = parts
        .into_iter()
        .max_by_key(|(_, bytes, _)| *bytes)
        .unwrap_or(("labels", 0, 0));
    let from_options = key == "labels" && options.labels.len() * 2 > image.labels.len();
    let key = if from_options { "--label" } else { key };
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    let span = gofile
        .service(&service.name)
        .map_or(0..0, |s| s.name.span.clone());
    Err(PlanError::Gofile(Diagnostics::single(
        source.clone(),
        Diagnostic::new(
            span,
            format!(
                "the image config of service `{}` is {total} bytes ({:.1} MiB{}), more than the {IMAGE_CONFIGS_LIMIT} bytes ({:.1} MiB) a frontend's result can carry to BuildKit; \
                 `{key}` holds {bytes} bytes of it in {entries} entries",
                service.name,
                mib(total),
                if platforms > 1 { format!(", {platforms} platforms") } else { String::new() },
                mib(IMAGE_CONFIGS_LIMIT),
            ),
        )
        .with_help(format!("make `{key}` smaller: large data belongs in a file of the image, not in its config")),
    )))
}

/// The length of a value's JSON, as the image config will hold it.
fn json_len(value: &impl serde::Serialize) -> usize {
    serde_json::to_vec(value).map_or(0, |json| json.len())
}

/// A user name needs an /etc/passwd to resolve in; scratch has none, and the container would
/// fail to start (`unable to find user`).
pub fn user_resolves_on_base(
    source: &TextFile,
    service: &Service,
    base: &super::Base,
) -> Result<(), PlanError> {
    let Some(user) = service.image.user.as_deref() else {
        return Ok(());
    };
    let numeric = user
        .split(':')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if *base != super::Base::Scratch || numeric {
        return Ok(());
    }
    Err(PlanError::Gofile(Diagnostics::single(
        source.clone(),
        Diagnostic::new(
            service.name.span.clone(),
            format!(
                "service `{}` runs as user `{user}` on scratch, which has no /etc/passwd to find that name in",
                service.name.value
            ),
        )
        .with_help("give the user as numbers, like `user = \"65532:65532\"`"),
    )))
}

/// The image holds the service's binary and those it includes on its base, and a distroless
/// base holds no other program: an entrypoint or health check running anything else would
/// fail only when the container starts, or report it unhealthy forever.
/// `binaries`: the image's, the service's own first.
pub fn programs_are_in_the_image(
    source: &TextFile,
    service: &Service,
    binaries: &[String],
) -> Result<(), PlanError> {
    let paths: Vec<String> = binaries.iter().map(|b| super::binary_path(b)).collect();
    let held =
        |program: &str| binaries.iter().any(|b| b == program) || paths.iter().any(|p| p == program);
    let image = &service.image;
    let commands = [
        ("entrypoint", image.entrypoint.as_deref()),
        (
            "healthcheck.command",
            image
                .healthcheck
                .as_ref()
                .map(|check| check.command.as_slice()),
        ),
    ];
    let found: Vec<Diagnostic> = commands
        .into_iter()
        .filter_map(|(key, command)| Some((key, command?.first()?)))
        .filter(|(_, program)| !held(&program.value))
        .map(|(key, program)| {
            Diagnostic::new(
                program.span.clone(),
                format!(
                    "`{}` in `{key}` of service `{}` is not a program its image holds: it holds {} on its base",
                    program.value.escape_debug(),
                    service.name.value,
                    paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_help(format!(
                "run one of the image's binaries, like `{}` (a health check can be a flag or subcommand of it, since distroless has no shell or curl; another service's binary comes in with `include_binaries`); programs of the base image are not checked, so not accepted",
                paths[0]
            ))
        })
        .collect();
    match found.is_empty() {
        true => Ok(()),
        false => Err(PlanError::Gofile(Diagnostics {
            file: source.clone(),
            items: found,
        })),
    }
}
