//! What the module's Go code imports, read from the build context: for each package directory a
//! service reaches through local imports, its files, its imports and whatever makes the
//! analysis unsure. The plan turns this into per-service contexts and the shared compile step.
//!
//! Reading goes through [`SourceFiles`], implemented by the gateway (files BuildKit received),
//! the command line (the local directory) and [`MemoryFiles`]; everything else here is pure.

mod constraint;
mod header;
mod memory;
mod modules;
mod patterns;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use serde::{Deserialize, Serialize};

pub use constraint::BuildContext;
pub use header::{Header, HeaderError, Parsed, embed_patterns, parse};
pub use memory::MemoryFiles;
pub use modules::{LayoutError, LocalModule, ModuleLayout, discover, resolve};
pub use patterns::walked;

/// Enough of a file for its header almost always; longer headers are read again whole.
const HEADER_READ_LIMIT: usize = 16 * 1024;
/// Requests in flight at once. BuildKit v0.8 mounts the context for every request, and many
/// at once make those mounts time out ("flightcontrol: exceeded retry timeout").
const CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

impl EntryKind {
    /// From Go's `os.FileMode` bits, as BuildKit reports them.
    pub fn from_go_mode(mode: u32) -> Self {
        const DIR: u32 = 1 << 31;
        const SYMLINK: u32 = 1 << 27;
        // Devices, named pipes, sockets and irregular files.
        const SPECIAL: u32 = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
        if mode & DIR != 0 {
            Self::Dir
        } else if mode & SYMLINK != 0 {
            Self::Symlink
        } else if mode & SPECIAL != 0 {
            Self::Other
        } else {
            Self::File
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    /// Its owner may execute it (a file's `0100` bit), which a copy into an image keeps.
    pub executable: bool,
}

/// Read access to the build context. Paths are relative to its root, `.` for the root.
pub trait SourceFiles {
    type Error;
    /// The entries directly in `dir`, or `None` if there is no such directory.
    fn list(&self, dir: &str) -> impl Future<Output = Result<Option<Vec<Entry>>, Self::Error>>;
    /// The file's first `limit` bytes, or all of it.
    fn read(
        &self,
        path: &str,
        limit: Option<usize>,
    ) -> impl Future<Output = Result<Vec<u8>, Self::Error>>;
}

/// One directory of Go code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Package {
    /// Names of the regular files directly in the directory, `_test.go` files left out:
    /// `go build` never reads them.
    pub files: Vec<String>,
    pub subdirs: Vec<String>,
    /// Imports of every non-test `.go` file, whatever its build constraints.
    pub imports: BTreeSet<String>,
    /// Imports of the files that build on every platform, with any tags.
    pub unconstrained_imports: BTreeSet<String>,
    /// `//go:embed` patterns.
    pub embeds: Vec<String>,
    /// The package clauses of its files that build everywhere (`main` for a command; a
    /// `//go:build ignore` generator's `main` does not count).
    pub names: BTreeSet<String>,
    pub cgo: bool,
    /// Every Go file imports "C": with cgo off the go command finds no file to build.
    pub needs_cgo: bool,
    /// Why this directory's inputs cannot be known exactly.
    pub unsure: Option<String>,
    /// Its `_test.go` files and their imports (the package's own tests' and `package x_test`'s),
    /// read for the test target only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_files: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub test_imports: BTreeSet<String>,
    /// Of those, the imports of test files that build on every platform, with any tags.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unconstrained_test_imports: BTreeSet<String>,
    /// Why the tests' inputs cannot be known from the package alone: a test file that embeds
    /// files, or names a path outside the directory (`"../testdata/..."`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_unsure: Option<String>,
    /// The subdirectories its tests may read: `testdata`, and those a test file names in a
    /// string literal (`"fixtures/in.json"`, `filepath.Join("golden", name)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_dirs: Vec<String>,
    /// The `//go:build` expressions of its Go files that have one, by file name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_expressions: BTreeMap<String, String>,
}

impl Package {
    /// Whether any of its test files builds in `context`: else `go test` of it has nothing to
    /// run (or, with no file at all, fails).
    pub fn has_tests_for(&self, context: &BuildContext<'_>) -> bool {
        self.test_files
            .iter()
            .any(|name| context.builds(name, self.build_expressions.get(name).map(String::as_str)))
    }
}

/// The packages reachable from the scan's roots, by context-relative directory. A directory
/// that does not exist in the context maps to `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceTree {
    pub modules: ModuleLayout,
    pub packages: BTreeMap<String, Option<Package>>,
    /// The main module has `vendor/modules.txt`.
    pub vendored: bool,
    /// For the test target: the package directories its patterns match, and the patterns
    /// that match none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tested: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched_patterns: Vec<String>,
    /// Why the code could not be read, when it could not: every step sees the whole context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unscanned: Option<String>,
}

/// Where a scan starts: package directories, and for the test target the `[test]` package
/// patterns (module-relative), whose directories it finds by listing the module and whose
/// `_test.go` files it reads too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanRoots {
    pub dirs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_patterns: Vec<String>,
}

impl ScanRoots {
    pub fn packages(dirs: Vec<String>) -> Self {
        Self {
            dirs,
            test_patterns: Vec::new(),
        }
    }

    pub fn tests(patterns: Vec<String>) -> Self {
        Self {
            dirs: Vec::new(),
            test_patterns: patterns,
        }
    }
}

impl SourceTree {
    /// A tree that knows nothing of the roots' code but why: their steps see the whole context.
    pub fn unscanned(modules: ModuleLayout, roots: &ScanRoots, reason: &str) -> Self {
        let unsure = Package {
            unsure: Some(reason.to_string()),
            ..Package::default()
        };
        Self {
            modules,
            packages: roots
                .dirs
                .iter()
                .map(|root| (root.clone(), Some(unsure.clone())))
                .collect(),
            vendored: false,
            tested: Vec::new(),
            unmatched_patterns: Vec::new(),
            unscanned: Some(reason.to_string()),
        }
    }

    /// The context-relative directory of a package of a local module, or `None` for any
    /// other import path (the standard library, fetched modules).
    pub fn local_dir(&self, import: &str) -> Option<String> {
        self.modules.local_dir(import)
    }

    /// The import path of a context-relative package directory.
    pub fn import_path(&self, dir: &str) -> String {
        self.modules.import_path(dir)
    }
}

/// `dir/name`, where `.` is the root.
pub fn join(dir: &str, name: &str) -> String {
    match (dir, name) {
        (".", "") | ("", "") => ".".to_string(),
        (".", name) | ("", name) => name.to_string(),
        (dir, "") => dir.to_string(),
        (dir, name) => format!("{dir}/{name}"),
    }
}

/// Reads the packages reachable through local imports from `roots` (context-relative package
/// directories), a breadth-first walk in rounds so each round's requests run concurrently.
pub async fn scan<S: SourceFiles>(
    files: &S,
    modules: ModuleLayout,
    roots: &ScanRoots,
) -> Result<SourceTree, S::Error> {
    let tree = scan_within(files, modules, roots, usize::MAX).await?;
    Ok(tree.expect("no scan reads more than usize::MAX files"))
}

/// [`scan`], but `None` as soon as it would read more than `max_files` Go files: where each
/// read is a round trip, a large tree is cheaper scanned where the files are.
pub async fn scan_within<S: SourceFiles>(
    files: &S,
    modules: ModuleLayout,
    roots: &ScanRoots,
    max_files: usize,
) -> Result<Option<SourceTree>, S::Error> {
    use futures_util::{StreamExt, TryStreamExt, stream};

    let mut files_to_read = 0usize;

    let module_dir = modules.main.dir.clone();
    let mut tree = SourceTree {
        modules,
        ..SourceTree::default()
    };
    let module_entries = files.list(&module_dir).await?.unwrap_or_default();
    if module_entries
        .iter()
        .any(|e| e.name == "vendor" && e.kind == EntryKind::Dir)
    {
        let vendor_entries = files.list(&join(&module_dir, "vendor")).await?;
        tree.vendored = vendor_entries
            .unwrap_or_default()
            .iter()
            .any(|e| e.name == "modules.txt" && e.kind == EntryKind::File);
    }

    let tests = !roots.test_patterns.is_empty();
    if tests {
        let (tested, unmatched) =
            patterns::expand(files, &module_dir, &roots.test_patterns).await?;
        tree.tested = tested;
        tree.unmatched_patterns = unmatched;
    }
    let mut pending: BTreeSet<String> = roots.dirs.iter().chain(&tree.tested).cloned().collect();
    while !pending.is_empty() {
        let dirs: Vec<String> = std::mem::take(&mut pending)
            .into_iter()
            .filter(|dir| !tree.packages.contains_key(dir))
            .collect();
        let listed: Vec<(String, Option<Vec<Entry>>)> = stream::iter(dirs)
            .map(|dir| async move { files.list(&dir).await.map(|entries| (dir, entries)) })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        // Every Go file of the round's packages in one stream, so a package of thousands of
        // files is read with as many requests in flight as many small packages are.
        let mut read: Vec<(String, Option<PackageReader>)> = listed
            .into_iter()
            .map(|(dir, entries)| {
                let package = entries.map(|entries| PackageReader::new(&dir, entries, tests));
                (dir, package)
            })
            .collect();
        let paths: Vec<(usize, String, String)> = read
            .iter()
            .enumerate()
            .filter_map(|(index, (dir, package))| Some((index, dir, package.as_ref()?)))
            .flat_map(|(index, dir, package)| {
                package
                    .go_files
                    .iter()
                    .map(move |name| (index, name.clone(), join(dir, name)))
            })
            .collect();
        files_to_read = files_to_read.saturating_add(paths.len());
        if files_to_read > max_files {
            return Ok(None);
        }
        let go_files: Vec<(usize, String, String, GoFile)> = stream::iter(paths)
            .map(|(index, name, path)| async move {
                read_go_file(files, &path)
                    .await
                    .map(|file| (index, name, path, file))
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        for (index, name, path, file) in go_files {
            if let Some(package) = &mut read[index].1 {
                package.add(&name, &path, file);
            }
        }
        let read: Vec<(String, Option<Package>)> = read
            .into_iter()
            .map(|(dir, package)| (dir, package.map(PackageReader::finish)))
            .collect();
        for (dir, package) in read {
            if let Some(package) = &package {
                pending.extend(
                    package
                        .imports
                        .iter()
                        .chain(&package.test_imports)
                        .filter_map(|import| tree.local_dir(import))
                        .filter(|dir| !tree.packages.contains_key(dir)),
                );
            }
            tree.packages.insert(dir, package);
        }
    }
    Ok(Some(tree))
}

/// A package being read: its entries sorted out, then its Go files added as they are read.
struct PackageReader {
    package: Package,
    go_files: Vec<String>,
    pure_go_file: bool,
    /// What the test files' string literals start with, as a path's first element.
    test_named: BTreeSet<String>,
}

impl PackageReader {
    /// With `tests`, its `_test.go` files are read too.
    fn new(dir: &str, entries: Vec<Entry>, tests: bool) -> Self {
        let mut package = Package::default();
        let mut go_files = Vec::new();
        for entry in entries {
            match entry.kind {
                EntryKind::Dir => package.subdirs.push(entry.name),
                EntryKind::File if entry.name.ends_with("_test.go") => {
                    if tests && !entry.name.starts_with(['_', '.']) {
                        go_files.push(entry.name.clone());
                        package.test_files.push(entry.name);
                    }
                }
                EntryKind::File => {
                    if is_go_source(&entry.name) {
                        go_files.push(entry.name.clone());
                    }
                    package.files.push(entry.name);
                }
                EntryKind::Symlink => {
                    package
                        .unsure
                        .get_or_insert(format!("{} is a symbolic link", join(dir, &entry.name)));
                }
                EntryKind::Other => {}
            }
        }
        package.files.sort();
        package.subdirs.sort();
        package.test_files.sort();
        Self {
            package,
            go_files,
            pure_go_file: false,
            test_named: BTreeSet::new(),
        }
    }

    fn add(&mut self, name: &str, path: &str, file: GoFile) {
        let package = &mut self.package;
        // A test file's problem concerns only the package's tests, not what imports it.
        let test = name.ends_with("_test.go");
        let unsure = if test {
            &mut package.test_unsure
        } else {
            &mut package.unsure
        };
        let header = match file.parsed {
            Ok(Parsed::Header(mut header)) => {
                if let Some(expression) = header.build_expression.take() {
                    package
                        .build_expressions
                        .insert(name.to_string(), expression);
                }
                header
            }
            Ok(Parsed::Truncated) => {
                unsure.get_or_insert(format!("{path} changed while it was read"));
                return;
            }
            Err(err) => {
                unsure.get_or_insert(format!("cannot read the imports of {path}: {err}"));
                return;
            }
        };
        if test {
            if header.imports.iter().any(|i| i == "embed") {
                unsure.get_or_insert(format!("{path} embeds files"));
            }
            if file.leaves_directory {
                unsure.get_or_insert(format!("{path} names a path outside its directory"));
            }
            self.test_named.extend(file.named_first_elements);
            if builds_everywhere(name, &header) {
                package
                    .unconstrained_test_imports
                    .extend(header.imports.iter().cloned());
            }
            package.test_imports.extend(header.imports);
            return;
        }
        if let Some(text) = file.embed_text {
            match header::embed_patterns(&text) {
                Ok(patterns) => package.embeds.extend(patterns),
                Err(err) => {
                    package.unsure.get_or_insert(format!(
                        "cannot read the //go:embed lines of {path}: {err}"
                    ));
                }
            }
        }
        let imports_c = header.imports.iter().any(|i| i == "C");
        package.cgo |= imports_c;
        self.pure_go_file |= !imports_c;
        if builds_everywhere(name, &header) {
            package.names.insert(header.package.clone());
            package
                .unconstrained_imports
                .extend(header.imports.iter().cloned());
        }
        package.imports.extend(header.imports);
    }

    fn finish(mut self) -> Package {
        let package = &mut self.package;
        package.needs_cgo = package.cgo && !self.pure_go_file && package.unsure.is_none();
        if !package.test_files.is_empty() {
            package.test_dirs = package
                .subdirs
                .iter()
                .filter(|sub| *sub == "testdata" || self.test_named.contains(*sub))
                .cloned()
                .collect();
        }
        self.package
    }
}

/// One Go file's header, its whole text when it embeds files, and for a test file whether
/// it names a path above its directory and the first elements of the paths it may name.
struct GoFile {
    parsed: Result<Parsed, HeaderError>,
    embed_text: Option<Vec<u8>>,
    leaves_directory: bool,
    named_first_elements: BTreeSet<String>,
}

async fn read_go_file<S: SourceFiles>(files: &S, path: &str) -> Result<GoFile, S::Error> {
    // A test file is read whole: the paths it names decide what its step must see.
    let test = path.ends_with("_test.go");
    let limit = (!test).then_some(HEADER_READ_LIMIT);
    let mut text = files.read(path, limit).await?;
    let mut whole = test || text.len() < HEADER_READ_LIMIT;
    let mut parsed = header::parse(&text, whole);
    if parsed == Ok(Parsed::Truncated) {
        text = files.read(path, None).await?;
        whole = true;
        parsed = header::parse(&text, whole);
    }
    let embeds = matches!(&parsed, Ok(Parsed::Header(header)) if header.imports.iter().any(|i| i == "embed"));
    let leaves_directory = test && names_parent_path(&text);
    let named_first_elements = if test {
        literal_first_elements(&text)
    } else {
        BTreeSet::new()
    };
    let embed_text = match (embeds, whole) {
        (false, _) => None,
        (true, true) => Some(text),
        (true, false) => Some(files.read(path, None).await?),
    };
    Ok(GoFile {
        parsed,
        embed_text,
        leaves_directory,
        named_first_elements,
    })
}

/// What Go source's string literals start with, up to a `/` or their end, where that is a
/// plausible file name: `"golden/a.txt"` and `filepath.Join("golden", name)` give `golden`.
/// Read without parsing, so text between two literals is taken too: only names matching a
/// subdirectory are ever used.
fn literal_first_elements(text: &[u8]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (start, quote) in text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"' || **b == b'`')
    {
        let rest = &text[start + 1..];
        let rest = rest.strip_prefix(b"./").unwrap_or(rest);
        let Some(end) = rest.iter().take(256).position(|b| *b == b'/' || b == quote) else {
            continue;
        };
        let name = &rest[..end];
        if !name.is_empty()
            && name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            found.insert(String::from_utf8_lossy(name).into_owned());
        }
    }
    found
}

/// Whether Go source holds a string literal starting with `../` or that is `..`, the ways a
/// test names a fixture outside its directory (`"../testdata/in.txt"`, `` `../../go.mod` ``,
/// `filepath.Join("..", "testdata")`).
fn names_parent_path(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        (w[0] == b'"' || w[0] == b'`') && (&w[1..] == b"../" || (&w[1..3] == b".." && w[3] == w[0]))
    })
}

/// Go compiles `.go` files whose names do not start with `_` or `.`.
/// A file the go command compiles: `.go`, not a test, not starting with `_` or `.`.
pub fn is_go_source(name: &str) -> bool {
    name.ends_with(".go") && !name.ends_with("_test.go") && !name.starts_with(['_', '.'])
}

/// Whether a Go file builds on every platform and with any tags: no build constraint, no
/// `_GOOS`/`_GOARCH` suffix.
pub fn builds_everywhere(name: &str, header: &Header) -> bool {
    !header.constrained && constraint::name_platform(name) == (None, None)
}

#[cfg(test)]
pub(crate) mod tests;
