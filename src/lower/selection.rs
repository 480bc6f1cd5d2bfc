//! Splits a step's selected files into parts, each mounted at a directory of its own.
//!
//! BuildKit copies a file op's whole output again, and hashes it again for the step's key,
//! whenever one of its files changes: one copy of a service's 7,000 files cost an edit of its
//! main file 0.8 s. Parts, each a copy op keyed on its own files, leave every part but the
//! edited one cached; parts that two steps select alike are one op. A part is a directory's
//! subtree, so a directory's own files and its small subdirectories stay together: a part may
//! hold more than [`PART_FILES`] where the tree offers no even split. A selection of at most
//! [`PART_FILES`] files, with nothing copied whole or few files besides, stays one part.

use std::collections::{BTreeMap, BTreeSet};

/// Selected files a part holds before it gives up a directory to a part of its own.
pub const PART_FILES: usize = 500;

/// What a directory copied whole counts for in a selection's size, not knowing its files: the
/// plan copies a package whole past 256 files, and `vendor/` holds many more.
const WHOLE_DIR_FILES: usize = 256;

/// Parts a step mounts at most: past that, directories stay in their parent's part.
pub const MAX_PARTS: usize = 24;

/// Selected files a subdirectory needs to become a part: smaller ones would add mounts and
/// ops while leaving their parent's part about as large.
pub const MIN_PART_FILES: usize = PART_FILES / 8;

/// Some of a step's selected files, mounted at `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Context-relative directory the part is mounted at, `""` for the context's root.
    pub root: String,
    /// Context-relative paths of the selected files under `root` and in no deeper part.
    pub files: Vec<String>,
    /// Context-relative directories copied whole, at or under `root` and in no deeper part.
    pub dirs: Vec<String>,
    /// Context-relative directories where deeper parts are mounted, the nearest under `root`:
    /// the part makes them, since a read-only mount cannot gain a directory to mount onto.
    pub mount_points: Vec<String>,
}

impl Part {
    /// `path`, which [`split`] put at or under `root`, as a path inside the part: `""` for
    /// the root itself.
    pub fn inner(&self, path: &str) -> String {
        if path == self.root {
            return String::new();
        }
        if self.root.is_empty() {
            return path.to_string();
        }
        let rest = path
            .strip_prefix(&self.root)
            .and_then(|rest| rest.strip_prefix('/'));
        debug_assert!(rest.is_some(), "{path} is not under {}", self.root);
        rest.unwrap_or(path).to_string()
    }
}

/// The parts of a selection of `files` and whole `dirs` (context-relative), the context's root
/// first and every part after the part it is mounted in.
pub fn split(files: &[String], dirs: &[String]) -> Vec<Part> {
    let mut tree = Tree::default();
    for file in files {
        tree.add_items(parent(file), 1);
    }
    for dir in dirs {
        tree.add_items(dir, WHOLE_DIR_FILES);
        tree.block(dir);
    }
    let roots = tree.choose_roots();
    let mut parts: BTreeMap<&str, Part> = roots
        .iter()
        .map(|root| {
            let part = Part {
                root: root.to_string(),
                files: Vec::new(),
                dirs: Vec::new(),
                mount_points: Vec::new(),
            };
            (root.as_str(), part)
        })
        .collect();
    for file in files {
        if let Some(part) = parts.get_mut(nearest_root(parent(file), &roots)) {
            part.files.push(file.clone());
        }
    }
    for dir in dirs {
        if let Some(part) = parts.get_mut(nearest_root(dir, &roots)) {
            part.dirs.push(dir.clone());
        }
    }
    for root in roots.iter().filter(|root| !root.is_empty()) {
        if let Some(part) = parts.get_mut(nearest_root(parent(root), &roots)) {
            part.mount_points.push(root.clone());
        }
    }
    // Sorted paths put a directory before the directories under it.
    parts.into_values().collect()
}

/// Selected items per directory, and which directories may not become parts.
#[derive(Default)]
struct Tree {
    /// Items directly in each directory that holds some, and every directory above them.
    items: BTreeMap<String, usize>,
    blocked: BTreeSet<String>,
}

impl Tree {
    fn add_items(&mut self, dir: &str, count: usize) {
        *self.items.entry(dir.to_string()).or_default() += count;
        for above in ancestors(dir).skip(1) {
            self.items.entry(above.to_string()).or_default();
        }
    }

    /// A directory copied whole may be a part's root, the directories under it not.
    fn block(&mut self, dir: &str) {
        self.blocked.insert(dir.to_string());
    }

    fn is_blocked(&self, dir: &str) -> bool {
        ancestors(dir)
            .skip(1)
            .any(|above| self.blocked.contains(above))
    }

    /// The roots of the parts, `""` always among them. A selection over [`PART_FILES`], or with
    /// [`MIN_PART_FILES`] files besides what it copies whole, first mounts each outermost
    /// directory copied whole on its own (`vendor/`, a large package, embedded files: large,
    /// of unknown size, and edited apart from the code), at most [`MAX_PARTS`] - 1 of them.
    /// Then, top down, the largest part over
    /// [`PART_FILES`] gives up the directory that splits it most evenly (leaving at least
    /// [`MIN_PART_FILES`] on each side), until every part fits, none splits, or there are
    /// [`MAX_PARTS`].
    fn choose_roots(&self) -> BTreeSet<String> {
        let mut roots = BTreeSet::from([String::new()]);
        let total = self.held(&roots).get("").copied().unwrap_or(0);
        let besides_whole = total.saturating_sub(self.blocked.len() * WHOLE_DIR_FILES);
        if total > PART_FILES || (!self.blocked.is_empty() && besides_whole >= MIN_PART_FILES) {
            let whole = self.blocked.iter().filter(|dir| !self.is_blocked(dir));
            roots.extend(whole.take(MAX_PARTS - 1).cloned());
        }
        let mut unsplittable: BTreeSet<String> = BTreeSet::new();
        while roots.len() < MAX_PARTS {
            let held = self.held(&roots);
            let size = |root: &str| held.get(root).copied().unwrap_or(0);
            let Some(largest) = roots
                .iter()
                .filter(|root| !unsplittable.contains(*root) && size(root) > PART_FILES)
                .max_by_key(|root| size(root))
            else {
                break;
            };
            let size = size(largest);
            let best = held
                .iter()
                .filter(|(dir, n)| {
                    !roots.contains(**dir)
                        && nearest_root(dir, &roots) == largest.as_str()
                        && **n >= MIN_PART_FILES
                        && size - **n >= MIN_PART_FILES
                        && !self.is_blocked(dir)
                })
                .max_by_key(|(dir, n)| (std::cmp::min(**n, size - **n), std::cmp::Reverse(**dir)))
                .map(|(dir, _)| dir.to_string());
            match best {
                Some(dir) => {
                    roots.insert(dir);
                }
                None => {
                    unsplittable.insert(largest.clone());
                }
            }
        }
        roots
    }

    /// For a root, the items of its part; for any other directory, the items under it that no
    /// root at or below it takes.
    fn held(&self, roots: &BTreeSet<String>) -> BTreeMap<&str, usize> {
        let mut held: BTreeMap<&str, usize> = BTreeMap::new();
        for (dir, n) in &self.items {
            for above in ancestors(dir) {
                *held.entry(above).or_default() += n;
                if roots.contains(above) {
                    break;
                }
            }
        }
        held
    }
}

/// The nearest of `roots` at or above `dir` (`""` is always a root).
fn nearest_root<'a>(dir: &'a str, roots: &BTreeSet<String>) -> &'a str {
    ancestors(dir)
        .find(|above| roots.contains(*above))
        .unwrap_or("")
}

/// The directory holding `path`, `""` at the root.
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir`, then each directory above it, ending with `""`.
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(dir), |d| (!d.is_empty()).then(|| parent(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, count: usize) -> Vec<String> {
        (0..count).map(|i| format!("{prefix}/f{i}.go")).collect()
    }

    #[test]
    fn a_selection_within_the_limit_is_one_part_at_the_root() {
        let files = [vec!["go.mod".to_string()], names("cmd/api", 3)].concat();
        let parts = split(&files, &["cmd/api/static".to_string()]);
        assert_eq!(
            parts,
            vec![Part {
                root: String::new(),
                files: files.clone(),
                dirs: vec!["cmd/api/static".to_string()],
                mount_points: vec![],
            }]
        );
        assert_eq!(parts[0].inner("cmd/api/f0.go"), "cmd/api/f0.go");
    }

    /// Every file and directory in exactly one part, under its root and in no deeper part;
    /// each part's mount points the roots whose nearest part above is it.
    fn assert_consistent(parts: &[Part], files: &[String], dirs: &[String]) {
        let roots: Vec<&str> = parts.iter().map(|p| p.root.as_str()).collect();
        fn nearest<'a>(path: &'a str, roots: &[&str]) -> &'a str {
            ancestors(parent(path)).find(|d| roots.contains(d)).unwrap()
        }
        for part in parts {
            for path in &part.files {
                assert_eq!(nearest(path, &roots), part.root, "{path}");
            }
            for dir in &part.dirs {
                let at_or_above = ancestors(dir).find(|d| roots.contains(d));
                assert_eq!(at_or_above, Some(part.root.as_str()), "{dir}");
            }
            let points: Vec<&str> = roots
                .iter()
                .filter(|r| !r.is_empty() && nearest(r, &roots) == part.root)
                .copied()
                .collect();
            assert_eq!(part.mount_points, points, "mount points of {:?}", part.root);
            assert!(part.root.is_empty() || !part.files.is_empty() || !part.dirs.is_empty());
        }
        fn sorted<'a>(paths: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
            let mut paths: Vec<&String> = paths.collect();
            paths.sort();
            paths
        }
        assert_eq!(
            sorted(parts.iter().flat_map(|p| p.files.iter())),
            sorted(files.iter())
        );
        assert_eq!(
            sorted(parts.iter().flat_map(|p| p.dirs.iter())),
            sorted(dirs.iter())
        );
        for root in &roots {
            assert!(
                !dirs.iter().any(|d| root.starts_with(&format!("{d}/"))),
                "{root} is inside a directory copied whole"
            );
        }
        assert_eq!(roots[0], "");
    }

    #[test]
    fn a_large_selection_splits_into_parts_of_at_most_the_limit() {
        let files = [
            vec!["go.mod".to_string(), "cmd/daemon/main.go".to_string()],
            names("internal/net/a", 400),
            names("internal/net/b", 300),
            names("internal/store/a", 450),
            names("vendor/x/y", 400),
        ]
        .concat();
        let parts = split(&files, &[]);
        assert_consistent(&parts, &files, &[]);
        assert!(
            parts.iter().all(|p| p.files.len() <= PART_FILES),
            "{parts:#?}"
        );
        let net = parts.iter().find(|p| p.root == "internal/net/a").unwrap();
        assert_eq!(net.inner("internal/net/a/f1.go"), "f1.go");
    }

    #[test]
    fn parts_nest_and_a_part_with_no_even_split_stays_whole() {
        let files = [
            names("a/b/c", 600),
            names("a/b/d", 600),
            names("a/e", 100),
            names("f", 30),
        ]
        .concat();
        let parts = split(&files, &[]);
        assert_consistent(&parts, &files, &[]);
        let roots: Vec<&str> = parts.iter().map(|p| p.root.as_str()).collect();
        // The root gives up a/b/c (600 against 730 left), then a/b (700 against 130): a/b/d.
        assert_eq!(roots, ["", "a/b", "a/b/c"]);
        assert_eq!(parts[0].mount_points, ["a/b"]);
        assert_eq!(parts[1].mount_points, ["a/b/c"]);
        assert_eq!(parts[1].files, names("a/b/d", 600));
        assert_eq!(parts[1].inner("a/b/c"), "c");
        assert_eq!(parts[2].files.len(), 600);
    }

    #[test]
    fn a_directory_copied_whole_is_never_split_but_may_be_a_part() {
        let files = [
            names("big/pkg", 700),
            names("small/a", 600),
            names("small/b", 600),
        ]
        .concat();
        let parts = split(&files, &["big".to_string()]);
        assert_consistent(&parts, &files, &["big".to_string()]);
        let roots: Vec<&str> = parts.iter().map(|p| p.root.as_str()).collect();
        assert_eq!(roots, ["", "big", "small/a"]);
        assert_eq!(parts[1].dirs, ["big"]);
        assert_eq!(parts[1].inner("big"), "");
        assert!(parts[1].files.iter().all(|f| f.starts_with("big/")));
    }

    #[test]
    fn vendor_is_a_part_of_its_own_beside_a_few_hundred_files() {
        let files = [vec!["go.mod".to_string()], names("cmd/api", 240)].concat();
        let dirs = ["vendor".to_string()];
        let parts = split(&files, &dirs);
        assert_consistent(&parts, &files, &dirs);
        let roots: Vec<&str> = parts.iter().map(|p| p.root.as_str()).collect();
        assert_eq!(roots, ["", "vendor"]);
        assert_eq!(parts[0].mount_points, ["vendor"]);
        assert_eq!(parts[1].inner("vendor"), "");
        // With few files besides it, the selection stays one part.
        let few = names("cmd/api", 20);
        assert_eq!(split(&few, &dirs).len(), 1);
    }

    #[test]
    fn many_small_subdirectories_stay_in_their_parent() {
        let files: Vec<String> = (0..100).flat_map(|p| names(&format!("p{p}"), 50)).collect();
        assert_eq!(split(&files, &[]).len(), 1);
    }

    #[test]
    fn the_number_of_parts_is_bounded() {
        let files: Vec<String> = (0..200)
            .flat_map(|p| names(&format!("p{p}"), 150))
            .collect();
        let parts = split(&files, &[]);
        assert_consistent(&parts, &files, &[]);
        assert_eq!(parts.len(), MAX_PARTS);
        assert_eq!(
            parts.iter().map(|p| p.files.len()).sum::<usize>(),
            files.len()
        );
    }
}
