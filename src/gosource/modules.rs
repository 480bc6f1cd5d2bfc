//! Which modules have their code in the build context: the main module, the modules of a
//! `go.work` workspace, and the directories `replace` directives point at. Their go.mod and
//! go.sum files are what the module download needs, and their import paths map to context
//! directories the scan follows.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Diagnostics, TextFile};
use crate::gomod::{GoMod, GoWork, LocalReplace};

use super::{Entry, EntryKind, SourceFiles, join};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LocalModule {
    pub path: String,
    /// Context-relative, `.` for the root.
    pub dir: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModuleLayout {
    pub main: LocalModule,
    /// Workspace modules and local replacements, besides the main module.
    pub others: Vec<LocalModule>,
    /// The context-relative go.work the go command uses, if any.
    pub workfile: Option<String>,
    /// The nearest `.git` directory in or above the main module's directory: what the go
    /// command stamps VCS information from.
    pub git_dir: Option<String>,
    /// Every go.mod and go.sum of those modules, and go.work and go.work.sum, as far as they
    /// exist; sorted.
    pub files: Vec<String>,
    /// How many module versions those go.sum files vouch for: about what the download fetches.
    pub sum_modules: usize,
}

impl ModuleLayout {
    /// Only the main module, with the files the go command reads from it.
    pub fn single(path: &str, dir: &str) -> Self {
        Self {
            main: LocalModule {
                path: path.to_string(),
                dir: dir.to_string(),
            },
            others: Vec::new(),
            workfile: None,
            git_dir: None,
            sum_modules: 0,
            files: vec![join(dir, "go.mod"), join(dir, "go.sum")],
        }
    }

    fn modules(&self) -> impl Iterator<Item = &LocalModule> {
        std::iter::once(&self.main).chain(&self.others)
    }

    /// The context directory of an import path in one of these modules (the longest module
    /// path that holds it decides), or `None` for the standard library and fetched modules.
    pub fn local_dir(&self, import: &str) -> Option<String> {
        self.modules()
            .filter_map(|module| {
                let rest = if import == module.path {
                    ""
                } else {
                    import.strip_prefix(&module.path)?.strip_prefix('/')?
                };
                Some((module.path.len(), join(&module.dir, rest)))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, dir)| dir)
    }

    /// The import path of a context directory (the innermost module holding it decides).
    pub fn import_path(&self, dir: &str) -> String {
        let innermost = self
            .modules()
            .filter_map(|module| within(&module.dir, dir).map(|rest| (module, rest)))
            .max_by_key(|(module, _)| {
                if module.dir == "." {
                    0
                } else {
                    module.dir.len()
                }
            });
        match innermost {
            Some((module, "")) => module.path.clone(),
            Some((module, rest)) => format!("{}/{rest}", module.path),
            None => format!("{}/{dir}", self.main.path),
        }
    }
}

#[derive(Debug)]
pub enum LayoutError<E> {
    Read(E),
    /// A go.mod or go.work points somewhere the build cannot follow.
    Source(Diagnostics),
}

/// Finds the modules: the go.work the go command would use from the main module's directory
/// (unless `use_workspace` is false), its modules, and the local replacements in effect.
pub async fn discover<S: SourceFiles>(
    files: &S,
    gomod: &GoMod,
    gomod_source: &TextFile,
    module_dir: &str,
    use_workspace: bool,
) -> Result<ModuleLayout, LayoutError<S::Error>> {
    // The module's directory and its parents are looked at for several names.
    let files = &Listed::new(files);
    let mut layout = ModuleLayout {
        main: LocalModule {
            path: gomod.module_path.clone(),
            dir: module_dir.to_string(),
        },
        ..ModuleLayout::default()
    };
    let mut module_dirs = BTreeSet::from([module_dir.to_string()]);
    let workfile = if use_workspace {
        find_upward(files, module_dir, "go.work", EntryKind::File).await?
    } else {
        None
    };
    layout.git_dir = find_upward(files, module_dir, ".git", EntryKind::Dir).await?;
    // Replacements in go.work come last: they win over the modules' own.
    let mut replaces: Vec<(String, LocalReplace, TextFile)> = Vec::new();
    match &workfile {
        Some(path) => {
            let text = read_text(files, path).await?;
            let work_source = TextFile::new(path.clone(), text);
            let work = GoWork::parse(work_source.text());
            let work_dir = parent(path);
            let mut main_used = false;
            for (dir, span) in &work.uses {
                let Some(member) = resolve(&work_dir, dir) else {
                    return Err(outside(&work_source, span.clone(), dir, "use"));
                };
                if member == module_dir {
                    main_used = true;
                    replaces.extend(in_file(&gomod.local_replaces, module_dir, gomod_source));
                    continue;
                }
                let member_gomod = join(&member, "go.mod");
                if !is_file(files, &member, "go.mod").await? {
                    return Err(LayoutError::Source(Diagnostics::single(
                        work_source.clone(),
                        Diagnostic::new(
                            span.clone(),
                            format!("`{dir}` has no go.mod in the build context"),
                        )
                        .with_help("check that .dockerignore keeps it, or drop it from go.work"),
                    )));
                }
                let member_source =
                    TextFile::new(member_gomod.clone(), read_text(files, &member_gomod).await?);
                let member_mod = GoMod::parse(&member_source).map_err(LayoutError::Source)?;
                replaces.extend(in_file(&member_mod.local_replaces, &member, &member_source));
                layout.others.push(LocalModule {
                    path: member_mod.module_path,
                    dir: member.clone(),
                });
                module_dirs.insert(member);
            }
            if !main_used {
                let end = work_source.text().len();
                return Err(LayoutError::Source(Diagnostics::single(
                    work_source,
                    Diagnostic::new(
                        end..end,
                        format!("the Gofile's module `{module_dir}` is not one of this workspace's modules"),
                    )
                    .with_help(format!(
                        "add it with `go work use {}`, or set `workspace = false` in the Gofile",
                        relative_to(&work_dir, module_dir)
                    )),
                )));
            }
            replaces.extend(in_file(&work.local_replaces, &work_dir, &work_source));
            for name in ["go.work", "go.work.sum"] {
                if is_file(files, &work_dir, name).await? {
                    layout.files.push(join(&work_dir, name));
                }
            }
        }
        None => replaces.extend(in_file(&gomod.local_replaces, module_dir, gomod_source)),
    }
    for (declared_in, replace, source) in replaces {
        if replace.dir.contains('\\') || replace.dir.as_bytes().get(1) == Some(&b':') {
            return Err(LayoutError::Source(Diagnostics::single(
                source,
                Diagnostic::new(
                    replace.span,
                    format!("`replace` points at `{}`, a Windows path", replace.dir),
                )
                .with_help("write the directory with `/`, relative to go.mod, like `../lib`"),
            )));
        }
        let Some(dir) = resolve(&declared_in, &replace.dir) else {
            return Err(outside(&source, replace.span, &replace.dir, "replace"));
        };
        layout.others.retain(|m| m.path != replace.module_path);
        layout.others.push(LocalModule {
            path: replace.module_path,
            dir: dir.clone(),
        });
        module_dirs.insert(dir);
    }
    for dir in &module_dirs {
        for name in ["go.mod", "go.sum"] {
            if is_file(files, dir, name).await? {
                layout.files.push(join(dir, name));
            }
        }
    }
    layout.files.sort();
    let mut modules = std::collections::BTreeSet::new();
    for file in layout.files.iter().filter(|f| f.ends_with(".sum")) {
        let text = read_text(files, file).await?;
        modules.extend(
            crate::gomod::go_sum_modules(&text).map(|(path, version)| format!("{path}@{version}")),
        );
    }
    layout.sum_modules = modules.len();
    layout.workfile = workfile;
    Ok(layout)
}

fn in_file<'r>(
    replaces: &'r [LocalReplace],
    dir: &'r str,
    source: &'r TextFile,
) -> impl Iterator<Item = (String, LocalReplace, TextFile)> + 'r {
    replaces
        .iter()
        .map(move |r| (dir.to_string(), r.clone(), source.clone()))
}

fn outside<E>(
    source: &TextFile,
    span: std::ops::Range<usize>,
    dir: &str,
    directive: &str,
) -> LayoutError<E> {
    LayoutError::Source(Diagnostics::single(
        source.clone(),
        Diagnostic::new(
            span,
            format!("`{directive}` points at `{dir}`, which is outside the build context"),
        )
        .with_help(
            "build from a directory holding every local module (e.g. the repository root: `docker buildx build -f path/to/Gofile .`) and set the Gofile's `module` to the main module's directory",
        ),
    ))
}

/// Lists each directory once: every other call answers from the first.
struct Listed<'f, S> {
    files: &'f S,
    listings: std::cell::RefCell<std::collections::HashMap<String, Option<Vec<Entry>>>>,
}

impl<'f, S: SourceFiles> Listed<'f, S> {
    fn new(files: &'f S) -> Self {
        Self {
            files,
            listings: Default::default(),
        }
    }
}

impl<S: SourceFiles> SourceFiles for Listed<'_, S> {
    type Error = S::Error;

    async fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, S::Error> {
        if let Some(entries) = self.listings.borrow().get(dir) {
            return Ok(entries.clone());
        }
        let entries = self.files.list(dir).await?;
        self.listings
            .borrow_mut()
            .insert(dir.to_string(), entries.clone());
        Ok(entries)
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> Result<Vec<u8>, S::Error> {
        self.files.read(path, limit).await
    }
}

/// The nearest `name` of that kind in the module directory or above it, inside the context.
async fn find_upward<S: SourceFiles>(
    files: &S,
    module_dir: &str,
    name: &str,
    kind: EntryKind,
) -> Result<Option<String>, LayoutError<S::Error>> {
    let mut dir = module_dir.to_string();
    loop {
        if has_entry(files, &dir, name, kind).await? {
            return Ok(Some(join(&dir, name)));
        }
        if dir == "." {
            return Ok(None);
        }
        dir = parent(&dir);
    }
}

async fn is_file<S: SourceFiles>(
    files: &S,
    dir: &str,
    name: &str,
) -> Result<bool, LayoutError<S::Error>> {
    has_entry(files, dir, name, EntryKind::File).await
}

async fn has_entry<S: SourceFiles>(
    files: &S,
    dir: &str,
    name: &str,
    kind: EntryKind,
) -> Result<bool, LayoutError<S::Error>> {
    let entries = files.list(dir).await.map_err(LayoutError::Read)?;
    Ok(entries
        .unwrap_or_default()
        .iter()
        .any(|e| e.name == name && e.kind == kind))
}

async fn read_text<S: SourceFiles>(files: &S, path: &str) -> Result<String, LayoutError<S::Error>> {
    let bytes = files.read(path, None).await.map_err(LayoutError::Read)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => ".".to_string(),
    }
}

/// `relative` (as written in a go.mod or go.work in `base`) as a context-relative directory,
/// or `None` when it leaves the context or is absolute.
pub fn resolve(base: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// How `go work use` would name `dir`, run in `base`.
fn relative_to(base: &str, dir: &str) -> String {
    match within(base, dir) {
        Some("") => ".".to_string(),
        Some(rest) => format!("./{rest}"),
        None => dir.to_string(),
    }
}

/// `dir` relative to `base` (both context-relative, `.` for the root): `""` for `base`
/// itself, `None` when `dir` is not inside it.
fn within<'d>(base: &str, dir: &'d str) -> Option<&'d str> {
    match (base, dir) {
        (".", ".") => Some(""),
        (".", dir) => Some(dir),
        (base, dir) if base == dir => Some(""),
        (base, dir) => dir.strip_prefix(base)?.strip_prefix('/'),
    }
}
