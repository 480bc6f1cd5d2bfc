//! `files`: what of the build context an image holds besides its binaries. Each file and
//! directory is copied with its mode and owner set here, not left to BuildKit's defaults
//! (which changed across versions), and anything that would ship a broken image is refused
//! with its Gofile line.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::gofile::{Gofile, Service, Spanned};
use crate::gosource::join;
use crate::llb::Owner;
use crate::options::BuildOptions;

use super::{Base, ContextEntry, ContextEntryKind, FileCopy, PlanError, binary_path};

/// More entries than this in one image's `files` make a definition BuildKit v0.8 handles
/// badly (one copy action each); an archive or a smaller directory is the way there.
pub const MAX_ENTRIES: usize = 5000;

const FILE_MODE: u32 = 0o644;
const EXECUTABLE_MODE: u32 = 0o755;
const DIR_MODE: u32 = 0o755;
/// distroless `nonroot`, and who gofrontend runs a scratch image's binary as.
const DEFAULT_UID: u32 = 65532;

/// The owner the image's `user` (`uid[:gid]` or `name[:group]`) stands for.
fn owner_of_user(user: &str) -> Owner {
    let (name, group) = user.split_once(':').unwrap_or((user, user));
    match (name.parse::<u32>(), group.parse::<u32>()) {
        (Ok(uid), Ok(gid)) => Owner::Ids { uid, gid },
        _ => Owner::Names {
            user: name.to_string(),
            group: group.to_string(),
        },
    }
}

/// The context paths the built image's `files` name: the target's, or the only service's.
/// A build of several services into one image of binaries copies no files.
pub fn sources(gofile: &Gofile, options: &BuildOptions) -> Vec<String> {
    let service = match options.target.as_deref() {
        Some(target) => gofile.service(target),
        None => match gofile.services.as_slice() {
            [only] => Some(only),
            _ => None,
        },
    };
    service
        .map(|s| {
            s.image
                .files
                .iter()
                .map(|f| f.source.value.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Every directory the service's image needs made (its workdir and volumes), then every copy,
/// parents before children, or every mistake at once. `base_is_default`: the base is
/// gofrontend's default (distroless `nonroot`, user 65532) or scratch, whose user is known
/// without `user`.
pub fn plan(
    source: &TextFile,
    service: &Service,
    binaries: &[String],
    base: &Base,
    base_is_default: bool,
    context: &BTreeMap<String, ContextEntry>,
) -> Result<Vec<FileCopy>, PlanError> {
    let mut copies = Vec::new();
    let mut found = Vec::new();
    let volume_owner = match service.image.user.as_deref() {
        Some(user) => Some(owner_of_user(user)),
        None if base_is_default || *base == Base::Scratch => Some(Owner::Ids {
            uid: DEFAULT_UID,
            gid: DEFAULT_UID,
        }),
        None => None,
    };
    // A workdir the base lacks would be made by the runtime when the container starts,
    // owned by root; made here, the image's user may write it, as its volumes.
    if let Some(workdir) = &service.image.workdir {
        copies.push(FileCopy {
            source: None,
            dest: workdir.clone(),
            mode: DIR_MODE,
            owner: volume_owner.clone().unwrap_or(Owner::ROOT),
        });
    }
    for volume in &service.image.volumes {
        found.extend(clash_with_binaries(volume, binaries));
        match &volume_owner {
            Some(owner) => copies.push(FileCopy {
                source: None,
                dest: volume.value.clone(),
                mode: DIR_MODE,
                owner: owner.clone(),
            }),
            None => found.push(
                Diagnostic::new(volume.span.clone(), format!("the volume `{}` must belong to the user the image runs as, which its base sets and gofrontend cannot see", volume.value))
                    .with_help("set `user` for this service (like `user = \"65532\"`, distroless's nonroot), so the volume is made writable by it"),
            ),
        }
    }
    for file in &service.image.files {
        found.extend(clash_with_binaries(&file.dest, binaries));
        if let Some(owner) = &file.owner
            && matches!(owner.value, Owner::Names { .. })
            && *base == Base::Scratch
        {
            found.push(
                Diagnostic::new(owner.span.clone(), "an owner name needs an /etc/passwd to find it in, and this service's base is scratch")
                    .with_help("give the owner as numbers, like `owner = \"65532:65532\"`"),
            );
        }
        let owner = file.owner.as_ref().map_or(Owner::ROOT, |o| o.value.clone());
        let file_mode = |executable: bool| {
            file.mode.unwrap_or(match executable {
                true => EXECUTABLE_MODE,
                false => FILE_MODE,
            })
        };
        let copy = |source: Option<String>, dest: String, mode: u32| FileCopy {
            source,
            dest,
            mode,
            owner: owner.clone(),
        };
        let path = &file.source.value;
        match context.get(path).unwrap_or(&ContextEntry::Missing) {
            ContextEntry::Missing => found.push(
                Diagnostic::new(
                    file.source.span.clone(),
                    format!("`{path}` is not in the build context: it does not exist, or .dockerignore leaves it out"),
                )
                .with_help("name a file or directory relative to the context's root, and check .dockerignore (a `!` pattern brings a path back in)"),
            ),
            ContextEntry::Unsupported { path, what } => found.push(
                Diagnostic::new(
                    file.source.span.clone(),
                    format!("`{path}` in the build context is {what}, which `files` does not copy"),
                )
                .with_help("name the files and directories themselves (for a symbolic link, what it points to)"),
            ),
            ContextEntry::File { executable } => {
                copies.push(copy(Some(path.clone()), file.dest.value.clone(), file_mode(*executable)));
            }
            ContextEntry::Dir(entries) => {
                copies.push(copy(None, file.dest.value.clone(), DIR_MODE));
                for (relative, kind) in entries {
                    let dest = format!("{}/{relative}", file.dest.value);
                    copies.push(match kind {
                        ContextEntryKind::Dir => copy(None, dest, DIR_MODE),
                        ContextEntryKind::File { executable } => {
                            copy(Some(join(path, relative)), dest, file_mode(*executable))
                        }
                    });
                }
            }
        }
    }
    if found.is_empty() && copies.len() > MAX_ENTRIES {
        found.push(
            Diagnostic::new(
                service.name.span.clone(),
                format!(
                    "the `files` of service `{}` hold {} files and directories, more than the {MAX_ENTRIES} one image copies",
                    service.name.value,
                    copies.len()
                ),
            )
            .with_help("copy fewer, larger files (an archive the service unpacks, or assets bundled into one file)"),
        );
    }
    match found.is_empty() {
        true => Ok(copies),
        false => Err(PlanError::Gofile(Diagnostics::new(source.clone(), found))),
    }
}

/// A destination that is a binary's path or one of its directories would replace the binary.
fn clash_with_binaries(dest: &Spanned<String>, binaries: &[String]) -> Option<Diagnostic> {
    let span = dest.span.clone();
    let dest = &dest.value;
    let binary = binaries
        .iter()
        .map(|b| binary_path(b))
        .find(|path| path == dest || path.starts_with(&format!("{dest}/")))?;
    Some(
        Diagnostic::new(
            span,
            format!("copying to `{dest}` would replace the binary `{binary}`"),
        )
        .with_help("copy to a path of its own, like `/srv/...` or `/etc/<service>/...`"),
    )
}
