//! Which context files each Go step sees, from the scanned imports: a service's step sees only
//! go.mod, go.sum and the package directories its main package reaches through local imports,
//! so an edit anywhere else leaves it cached. Where the scan cannot be sure, the step sees the
//! whole context and says why.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::gosource::{SourceTree, join};
use crate::options::Engine;

/// The context files a step sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepFiles {
    /// Exactly these context-relative paths: `files` one by one, `dirs` with everything under
    /// them (directories named by `//go:embed` patterns, and packages of many files).
    Selected {
        files: Vec<String>,
        dirs: Vec<String>,
        packages: usize,
    },
    /// The whole context, and why.
    Whole { reason: String },
}

/// Files an engine without copy patterns copies for a step, one copy action each, before the
/// step mounts the whole context instead.
const ONE_BY_ONE_COPIES: usize = 256;

impl StepFiles {
    /// The whole context in place of a selection the engine cannot copy: without copy patterns
    /// (BuildKit v0.8) each file is a copy action, and v0.8 fails keying hundreds of them
    /// (`flightcontrol: exceeded retry timeout`, seen from 63 files an op in twelve ops, and
    /// from 600 in one), while it keys the whole context as the scan step's input.
    pub fn for_engine(self, engine: &Engine) -> Self {
        match self {
            StepFiles::Selected { files, .. }
                if !engine.copy_patterns && files.len() > ONE_BY_ONE_COPIES =>
            {
                StepFiles::Whole {
                    reason: format!(
                        "BuildKit v0.8 copies files one at a time and cannot key {} of them",
                        files.len()
                    ),
                }
            }
            selected => selected,
        }
    }

    /// Why the step sees the whole context, when it does.
    pub fn whole_reason(&self) -> Option<&str> {
        match self {
            StepFiles::Whole { reason } => Some(reason),
            StepFiles::Selected { .. } => None,
        }
    }
}

/// The local packages a main package (or a package's tests) reaches, and whether every one of
/// them is understood.
#[derive(Debug, Clone)]
pub struct Reach {
    pub dirs: BTreeSet<String>,
    pub unsure: Option<String>,
    /// For a package's tests: the imports of its test files that build everywhere, which the
    /// precompile steps compile too.
    pub test_imports: BTreeSet<String>,
}

pub fn reach(tree: &SourceTree, root: &str) -> Reach {
    reach_all(tree, [root.to_string()])
}

/// What `roots` reach together, walked in their order: the first reason for doubt found is
/// that of the first root (and what it imports) that has one.
fn reach_all(tree: &SourceTree, roots: impl IntoIterator<Item = String>) -> Reach {
    let mut dirs = BTreeSet::new();
    let mut unsure = None;
    let mut pending: Vec<String> = roots.into_iter().collect();
    pending.reverse();
    while let Some(dir) = pending.pop() {
        if !dirs.insert(dir.clone()) {
            continue;
        }
        let Some(Some(package)) = tree.packages.get(&dir) else {
            unsure.get_or_insert_with(|| {
                format!("`{}` is not in the build context", tree.import_path(&dir))
            });
            continue;
        };
        if let Some(reason) = &package.unsure {
            unsure.get_or_insert_with(|| reason.clone());
        }
        if package.cgo {
            unsure.get_or_insert_with(|| format!("{dir} uses cgo"));
        }
        if let Some(pattern) = package.embeds.iter().find(|p| embed_leaves(p)) {
            unsure.get_or_insert_with(|| {
                format!("{dir}: //go:embed {pattern} reaches outside the package directory")
            });
        }
        pending.extend(
            package
                .imports
                .iter()
                .filter_map(|import| tree.local_dir(import)),
        );
    }
    Reach {
        dirs,
        unsure,
        test_imports: BTreeSet::new(),
    }
}

/// What the tests of the package in `dir` reach: the package, what its imports and its test
/// files' imports reach, and whether the tests read only what those hold.
pub fn test_reach(tree: &SourceTree, dir: &str) -> Reach {
    let Some(Some(package)) = tree.packages.get(dir) else {
        return reach(tree, dir);
    };
    let test_imported = package
        .test_imports
        .iter()
        .filter_map(|i| tree.local_dir(i));
    let mut reach = reach_all(tree, std::iter::once(dir.to_string()).chain(test_imported));
    if let Some(reason) = &package.test_unsure {
        reach.unsure.get_or_insert_with(|| reason.clone());
    }
    reach.test_imports = package.unconstrained_test_imports.clone();
    // The main package go test generates imports it: compiled ahead, it is not compiled again
    // in every test step.
    reach.test_imports.insert(TEST_MAIN_IMPORT.to_string());
    reach
}

const TEST_MAIN_IMPORT: &str = "testing/internal/testdeps";

/// A `//go:embed` pattern without its `all:` prefix (which only adds hidden files).
fn embed_path(pattern: &str) -> &str {
    pattern.strip_prefix("all:").unwrap_or(pattern)
}

fn embed_leaves(pattern: &str) -> bool {
    let pattern = embed_path(pattern);
    pattern.starts_with('/') || pattern.split('/').any(|part| part == "..")
}

/// Past this many files, a package is copied as a directory.
const LARGE_PACKAGE_FILES: usize = 256;

/// The files of `dirs`, the subdirectories their `//go:embed` patterns name, the module files
/// and, when building from it, `vendor/`; or the whole context when the reach is unsure or
/// when stamping VCS information (git compares the whole checkout with `.git`: a partial one
/// would stamp every build `vcs.modified`).
pub fn step_files(
    tree: &SourceTree,
    dirs: &BTreeSet<String>,
    unsure: Option<&str>,
    vendor: bool,
    vcs: bool,
) -> StepFiles {
    if let Some(reason) = unsure {
        return StepFiles::Whole {
            reason: reason.to_string(),
        };
    }
    if vcs {
        return StepFiles::Whole {
            reason: "buildvcs stamps the whole checkout".to_string(),
        };
    }
    let mut files: BTreeSet<String> = tree.modules.files.iter().cloned().collect();
    let mut whole_dirs = BTreeSet::new();
    if vendor {
        whole_dirs.insert(join(&tree.modules.main.dir, "vendor"));
    }
    for dir in dirs {
        let Some(Some(package)) = tree.packages.get(dir) else {
            continue;
        };
        // A copy action per file: thousands of them make BuildKit v0.8 time out
        // (`flightcontrol: exceeded retry timeout`), so a large package without subpackages
        // comes as its directory, its tests with it.
        if package.files.len() > LARGE_PACKAGE_FILES && package.subdirs.is_empty() {
            whole_dirs.insert(dir.clone());
        } else {
            files.extend(package.files.iter().map(|name| join(dir, name)));
        }
        for pattern in &package.embeds {
            let first = embed_path(pattern).split('/').next().unwrap_or_default();
            if first.contains(['*', '?', '[', '\\']) {
                whole_dirs.extend(package.subdirs.iter().map(|sub| join(dir, sub)));
            } else if package.subdirs.iter().any(|sub| sub == first) {
                whole_dirs.insert(join(dir, first));
            }
        }
    }
    if files.is_empty() {
        return StepFiles::Whole {
            reason: "no go.mod or package files found".to_string(),
        };
    }
    StepFiles::Selected {
        files: files.into_iter().collect(),
        dirs: whole_dirs.into_iter().collect(),
        packages: dirs.len(),
    }
}

/// What the test step of the package in `dir` sees: the files of what its tests reach (see
/// [`test_reach`]), and its test files and the subdirectories they may read (`testdata/`).
pub fn test_step_files(tree: &SourceTree, dir: &str, reach: &Reach, vendor: bool) -> StepFiles {
    let mut selected = step_files(tree, &reach.dirs, reach.unsure.as_deref(), vendor, false);
    if let (StepFiles::Selected { files, dirs, .. }, Some(Some(package))) =
        (&mut selected, tree.packages.get(dir))
    {
        files.extend(package.test_files.iter().map(|name| join(dir, name)));
        files.sort();
        files.dedup();
        dirs.extend(package.test_dirs.iter().map(|sub| join(dir, sub)));
        dirs.sort();
        dirs.dedup();
    }
    selected
}

/// What a group of services' precompile steps build.
pub struct PrecompiledPackages {
    /// Standard library packages their code imports.
    pub standard: Vec<String>,
    /// The local packages two or more of them reach (except ones the scan is unsure of), and
    /// every other module's package their code imports.
    pub shared: Vec<String>,
    pub local_dirs: BTreeSet<String>,
}

/// Only imports from files that build on every platform count: a package imported for
/// another platform may not build on this one.
pub fn precompiled_packages(tree: &SourceTree, reaches: &[(&str, &Reach)]) -> PrecompiledPackages {
    let mut users: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, reach) in reaches {
        for dir in &reach.dirs {
            *users.entry(dir.as_str()).or_default() += 1;
        }
    }
    let roots: BTreeSet<&str> = reaches.iter().map(|(root, _)| *root).collect();
    let local_dirs: BTreeSet<String> = users
        .iter()
        .filter(|(dir, count)| **count >= 2 && !roots.contains(*dir))
        .filter(|(dir, _)| {
            matches!(tree.packages.get(**dir), Some(Some(p)) if p.unsure.is_none() && !p.cgo)
        })
        .map(|(dir, _)| dir.to_string())
        .collect();
    let mut standard = BTreeSet::new();
    let mut shared: BTreeSet<String> = local_dirs.iter().map(|dir| tree.import_path(dir)).collect();
    let test_imports = reaches.iter().flat_map(|(_, reach)| &reach.test_imports);
    let package_imports = users
        .keys()
        .filter_map(|dir| match tree.packages.get(*dir) {
            Some(Some(package)) => Some(&package.unconstrained_imports),
            _ => None,
        });
    for import in package_imports.flatten().chain(test_imports) {
        if import == "C" || tree.local_dir(import).is_some() {
            continue;
        }
        if is_standard(import) {
            standard.insert(import.clone());
        } else {
            shared.insert(import.clone());
        }
    }
    PrecompiledPackages {
        standard: standard.into_iter().collect(),
        shared: shared.into_iter().collect(),
        local_dirs,
    }
}

/// Whether a service (or a package's tests) reaching `reach` imports anything `packages`
/// compiles ahead of it (besides the standard library): one of its local packages, or a
/// package of another module. An unsure reach may import anything.
pub fn uses_any(tree: &SourceTree, reach: &Reach, packages: &PrecompiledPackages) -> bool {
    reach.unsure.is_some()
        || reach
            .test_imports
            .iter()
            .any(|import| packages.shared.contains(import))
        || reach.dirs.iter().any(|dir| {
            packages.local_dirs.contains(dir)
                || matches!(tree.packages.get(dir), Some(Some(package)) if package
                    .unconstrained_imports
                    .iter()
                    .any(|import| packages.shared.contains(import)))
        })
}

/// Go's own rule: only standard library import paths have no dot in their first element.
fn is_standard(import: &str) -> bool {
    !import.split('/').next().unwrap_or_default().contains('.')
}
