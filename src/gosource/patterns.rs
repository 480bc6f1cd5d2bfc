//! `[test]` package patterns expanded to the module's package directories, as the go command
//! expands `./...`: listing directories, never reading files.

use std::collections::BTreeSet;

use futures_util::{StreamExt, TryStreamExt, stream};

use super::{CONCURRENCY, Entry, EntryKind, SourceFiles, join};

/// The package directories the patterns match (context-relative, sorted), and the patterns
/// that match none. `./...` is every directory at or below the module's with a `.go` file,
/// except `testdata`, `vendor` and directories starting with `.` or `_` (which the go
/// command skips), and other modules (a directory with a go.mod of its own).
pub async fn expand<S: SourceFiles>(
    files: &S,
    module_dir: &str,
    patterns: &[String],
) -> Result<(Vec<String>, Vec<String>), S::Error> {
    let mut matched = BTreeSet::new();
    let mut unmatched = Vec::new();
    for pattern in patterns {
        let (path, recursive) = match pattern.strip_suffix("/...") {
            Some(path) => (path, true),
            None => (pattern.as_str(), false),
        };
        let base = join(module_dir, path.strip_prefix("./").unwrap_or_default());
        let found = packages_under(files, module_dir, &base, recursive).await?;
        if found.is_empty() {
            unmatched.push(pattern.clone());
        }
        matched.extend(found);
    }
    Ok((matched.into_iter().collect(), unmatched))
}

/// The package directories at `base` (and below it, when `recursive`), a round of listings
/// at a time.
async fn packages_under<S: SourceFiles>(
    files: &S,
    module_dir: &str,
    base: &str,
    recursive: bool,
) -> Result<Vec<String>, S::Error> {
    let mut packages = Vec::new();
    let mut pending = vec![base.to_string()];
    while !pending.is_empty() {
        let listed: Vec<(String, Option<Vec<Entry>>)> = stream::iter(std::mem::take(&mut pending))
            .map(|dir| async move { files.list(&dir).await.map(|entries| (dir, entries)) })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        for (dir, entries) in listed {
            let Some(entries) = entries else { continue };
            let other_module = dir != module_dir
                && entries
                    .iter()
                    .any(|e| e.name == "go.mod" && e.kind == EntryKind::File);
            if other_module {
                continue;
            }
            let has_go = entries.iter().any(|e| {
                e.kind == EntryKind::File
                    && e.name.ends_with(".go")
                    && !e.name.starts_with(['_', '.'])
            });
            if has_go {
                packages.push(dir.clone());
            }
            if recursive {
                pending.extend(
                    entries
                        .iter()
                        .filter(|e| e.kind == EntryKind::Dir && walked(&e.name))
                        .map(|e| join(&dir, &e.name)),
                );
            }
        }
    }
    packages.sort();
    Ok(packages)
}

/// Whether `./...` goes into a directory of this name (`gofrontend init` walks the same way).
pub fn walked(name: &str) -> bool {
    !name.starts_with(['.', '_']) && name != "testdata" && name != "vendor"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gosource::MemoryFiles;

    fn expanded(patterns: &[&str]) -> (Vec<String>, Vec<String>) {
        let files = MemoryFiles::new(&[
            ("go.mod", "module m"),
            ("main.go", "package main"),
            ("internal/a/a.go", "package a"),
            ("internal/a/a_test.go", "package a"),
            ("internal/a/testdata/fixture.go", "package fixture"),
            ("internal/only/x_test.go", "package only_test"),
            ("internal/empty/README", "nothing"),
            ("internal/_skip/s.go", "package s"),
            ("internal/.hidden/h.go", "package h"),
            ("vendor/v/v.go", "package v"),
            ("tools/go.mod", "module tools"),
            ("tools/t.go", "package tools"),
        ]);
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(expand(&files, ".", &patterns))
            .unwrap()
    }

    #[test]
    fn patterns_expand_as_the_go_command_expands_them() {
        let (all, unmatched) = expanded(&["./..."]);
        assert_eq!(all, [".", "internal/a", "internal/only"]);
        assert!(unmatched.is_empty());
        let (some, _) = expanded(&["./internal/...", "."]);
        assert_eq!(some, [".", "internal/a", "internal/only"]);
        let (one, _) = expanded(&["./internal/a"]);
        assert_eq!(one, ["internal/a"]);
        let (none, unmatched) = expanded(&["./internal/empty", "./tools/...", "./nope/..."]);
        assert!(none.is_empty());
        assert_eq!(unmatched, ["./internal/empty", "./tools/...", "./nope/..."]);
    }
}
