//! The inputs of `gofrontend llb` and `check`: a directory on disk, read as BuildKit would
//! send it, and a builder image described by flags instead of resolved.

use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Inputs, ScanRequest};
use crate::dockerignore;
use crate::gosource::{self, Entry, EntryKind, SourceFiles};
use crate::plan::BuilderConfig;
use crate::platform::Platform;

pub struct LocalInputs {
    gofile: PathBuf,
    gofile_name: String,
    context: PathBuf,
    builder_config: Vec<u8>,
    os_release: String,
}

impl LocalInputs {
    /// `builder_config` is an image config (as `docker image inspect` shows under `Config`,
    /// or the whole config file), the official golang image's without one; `debian_release`
    /// is the builder's `VERSION_ID`.
    pub fn new(
        gofile: PathBuf,
        context: PathBuf,
        builder_config: Option<&str>,
        debian_release: &str,
    ) -> anyhow::Result<Self> {
        let builder_config = match builder_config {
            Some(json) => {
                let value: serde_json::Value =
                    serde_json::from_str(json).context("--builder-config is not valid JSON")?;
                // Both a whole image config file and just its `config` object.
                match value.get("config") {
                    Some(_) => value,
                    None => serde_json::json!({ "config": value }),
                }
                .to_string()
                .into_bytes()
            }
            None => BuilderConfig::official_golang().to_image_config(),
        };
        Ok(Self {
            gofile_name: gofile.display().to_string(),
            gofile,
            context,
            builder_config,
            os_release: format!("ID=debian\nVERSION_ID={debian_release}\n"),
        })
    }
}

fn read_if_exists(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

impl Inputs for LocalInputs {
    type Error = anyhow::Error;
    type Context = LocalFiles;

    fn gofile_name(&self) -> &str {
        &self.gofile_name
    }

    async fn gofile(&self) -> anyhow::Result<[Option<Vec<u8>>; 2]> {
        let mut beside = self.gofile.as_os_str().to_owned();
        beside.push(".dockerignore");
        Ok([
            read_if_exists(&self.gofile)?,
            read_if_exists(Path::new(&beside))?,
        ])
    }

    async fn context_files(&self, paths: [&str; 2]) -> anyhow::Result<[Option<Vec<u8>>; 2]> {
        let [first, second] = paths.map(|path| self.context.join(path));
        Ok([read_if_exists(&first)?, read_if_exists(&second)?])
    }

    async fn context(&self, excludes: &[String]) -> anyhow::Result<LocalFiles> {
        Ok(LocalFiles {
            root: self.context.clone(),
            excludes: dockerignore::Matcher::new(excludes).map_err(anyhow::Error::msg)?,
        })
    }

    fn build_platform(&self) -> Platform {
        Platform::host()
    }

    async fn image_config(&self, _image: &str, _platform: &Platform) -> anyhow::Result<Vec<u8>> {
        Ok(self.builder_config.clone())
    }

    async fn image_file(
        &self,
        _image: &str,
        _platform: &Platform,
        _paths: &[&str],
    ) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(Some(self.os_release.clone().into_bytes()))
    }

    /// The files are on this machine: reading them is the fast way.
    fn scan_step(
        &self,
        _request: &ScanRequest,
        _excludes: &[String],
    ) -> Option<impl Future<Output = Result<Vec<u8>, anyhow::Error>>> {
        None::<std::future::Ready<_>>
    }

    fn reason(error: &anyhow::Error) -> String {
        format!("{error:#}")
    }
}

/// The context directory as BuildKit would send it: `.dockerignore` applied.
pub struct LocalFiles {
    root: PathBuf,
    excludes: dockerignore::Matcher,
}

impl LocalFiles {
    /// A directory BuildKit has already filtered, as a build step sees the context.
    pub(super) fn unfiltered(root: PathBuf) -> Self {
        Self {
            root,
            excludes: dockerignore::Matcher::default(),
        }
    }
}

impl SourceFiles for LocalFiles {
    type Error = anyhow::Error;

    async fn list(&self, dir: &str) -> anyhow::Result<Option<Vec<Entry>>> {
        if dir != "." && self.excludes.excludes(dir) {
            return Ok(None);
        }
        let path = self.root.join(dir);
        let read = match std::fs::read_dir(&path) {
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(err).with_context(|| format!("cannot list `{}`", path.display()));
            }
        };
        let mut entries = Vec::new();
        for entry in read {
            let entry = entry.with_context(|| format!("cannot list `{}`", path.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if self.excludes.excludes(&gosource::join(dir, &name)) {
                continue;
            }
            let metadata = std::fs::symlink_metadata(entry.path())
                .with_context(|| format!("cannot stat `{}`", entry.path().display()))?;
            let executable =
                std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o100 != 0;
            let kind = metadata.file_type();
            let kind = if kind.is_dir() {
                EntryKind::Dir
            } else if kind.is_symlink() {
                EntryKind::Symlink
            } else if kind.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            entries.push(Entry {
                name,
                kind,
                executable,
            });
        }
        Ok(Some(entries))
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> anyhow::Result<Vec<u8>> {
        let full = self.root.join(path);
        let file = std::fs::File::open(&full)
            .with_context(|| format!("cannot read `{}`", full.display()))?;
        let mut data = Vec::new();
        let limit = limit.map_or(u64::MAX, |limit| limit as u64);
        file.take(limit)
            .read_to_end(&mut data)
            .with_context(|| format!("cannot read `{}`", full.display()))?;
        Ok(data)
    }
}
