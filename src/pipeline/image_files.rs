//! Reads what the context holds at each `files` source, before planning: the plan needs each
//! file's kind and executable bit to set its mode, and refuses what is missing.

use std::collections::BTreeMap;

use crate::gosource::{EntryKind, SourceFiles, join};
use crate::plan::{ContextEntry, ContextEntryKind};

pub async fn read<S: SourceFiles>(
    files: &S,
    sources: &[String],
) -> Result<BTreeMap<String, ContextEntry>, S::Error> {
    let mut found = BTreeMap::new();
    for source in sources {
        let entry = read_one(files, source).await?;
        found.insert(source.clone(), entry);
    }
    Ok(found)
}

async fn read_one<S: SourceFiles>(files: &S, path: &str) -> Result<ContextEntry, S::Error> {
    let (parent, name) = path.rsplit_once('/').unwrap_or((".", path));
    let listed = files.list(parent).await?.unwrap_or_default();
    let Some(entry) = listed.into_iter().find(|entry| entry.name == name) else {
        return Ok(ContextEntry::Missing);
    };
    match entry.kind {
        EntryKind::File => Ok(ContextEntry::File {
            executable: entry.executable,
        }),
        EntryKind::Dir => read_tree(files, path).await,
        EntryKind::Symlink => Ok(unsupported(path, "a symbolic link")),
        EntryKind::Other => Ok(unsupported(path, "neither a file nor a directory")),
    }
}

/// Every file and directory under `root`, parents before children, or the first entry that
/// is neither.
async fn read_tree<S: SourceFiles>(files: &S, root: &str) -> Result<ContextEntry, S::Error> {
    let mut entries = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(relative) = pending.pop() {
        let dir = match relative.is_empty() {
            true => root.to_string(),
            false => join(root, &relative),
        };
        let mut listed = files.list(&dir).await?.unwrap_or_default();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in listed {
            let path = match relative.is_empty() {
                true => entry.name.clone(),
                false => join(&relative, &entry.name),
            };
            match entry.kind {
                EntryKind::File => entries.push((
                    path,
                    ContextEntryKind::File {
                        executable: entry.executable,
                    },
                )),
                EntryKind::Dir => {
                    entries.push((path.clone(), ContextEntryKind::Dir));
                    pending.push(path);
                }
                EntryKind::Symlink => {
                    return Ok(unsupported(&join(root, &path), "a symbolic link"));
                }
                EntryKind::Other => {
                    return Ok(unsupported(
                        &join(root, &path),
                        "neither a file nor a directory",
                    ));
                }
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(ContextEntry::Dir(entries))
}

fn unsupported(path: &str, what: &'static str) -> ContextEntry {
    ContextEntry::Unsupported {
        path: path.to_string(),
        what,
    }
}
