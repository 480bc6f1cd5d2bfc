//! Inputs held in memory, for tests and fuzz targets: a Gofile, a context and the builder
//! image's config, read as the gateway reads them (the excludes applied to the context, not
//! to go.mod or `.dockerignore`).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;

use super::{Inputs, ScanRequest};
use crate::dockerignore;
use crate::gosource::MemoryFiles;
use crate::plan::BuilderConfig;
use crate::platform::Platform;

#[derive(Debug, Clone)]
pub struct MemoryInputs {
    pub gofile_name: String,
    pub gofile: Option<Vec<u8>>,
    pub gofile_ignore: Option<Vec<u8>>,
    pub context: MemoryFiles,
    /// The builder image's config file (JSON).
    pub builder_config: Vec<u8>,
    /// The builder image's /etc/os-release.
    pub os_release: String,
    pub build_platform: Platform,
}

impl MemoryInputs {
    /// A Gofile and its context, with the official golang image (Debian 13) as the builder,
    /// building on linux/amd64.
    pub fn new(gofile: &str, context: MemoryFiles) -> Self {
        Self {
            gofile_name: "Gofile".to_string(),
            gofile: Some(gofile.as_bytes().to_vec()),
            gofile_ignore: None,
            context,
            builder_config: BuilderConfig::official_golang().to_image_config(),
            os_release: "ID=debian\nVERSION_ID=13\n".to_string(),
            build_platform: Platform::linux("amd64"),
        }
    }

    /// Every regular file under `dir` (a test fixture), its `Gofile` as the Gofile.
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        read_tree(dir, dir, &mut files)?;
        let gofile = String::from_utf8_lossy(&std::fs::read(dir.join("Gofile"))?).into_owned();
        let mut inputs = Self::new(&gofile, files.into_iter().collect());
        inputs.gofile_ignore = std::fs::read(dir.join("Gofile.dockerignore")).ok();
        Ok(inputs)
    }
}

fn read_tree(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            read_tree(root, &path, files)?;
        } else if kind.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            files.insert(relative.display().to_string(), std::fs::read(&path)?);
        }
    }
    Ok(())
}

impl Inputs for MemoryInputs {
    type Error = String;
    type Context = MemoryFiles;

    fn gofile_name(&self) -> &str {
        &self.gofile_name
    }

    async fn gofile(&self) -> Result<[Option<Vec<u8>>; 2], String> {
        Ok([self.gofile.clone(), self.gofile_ignore.clone()])
    }

    async fn context_files(&self, paths: [&str; 2]) -> Result<[Option<Vec<u8>>; 2], String> {
        Ok(paths.map(|path| self.context.files.get(path).cloned()))
    }

    async fn context(&self, excludes: &[String]) -> Result<MemoryFiles, String> {
        let matcher = dockerignore::Matcher::new(excludes)?;
        Ok(MemoryFiles {
            files: self
                .context
                .files
                .iter()
                .filter(|(path, _)| !matcher.excludes(path))
                .map(|(path, data)| (path.clone(), data.clone()))
                .collect(),
            unreadable: self.context.unreadable.clone(),
        })
    }

    fn build_platform(&self) -> Platform {
        self.build_platform.clone()
    }

    async fn image_config(&self, _image: &str, _platform: &Platform) -> Result<Vec<u8>, String> {
        Ok(self.builder_config.clone())
    }

    async fn image_file(
        &self,
        _image: &str,
        _platform: &Platform,
        _paths: &[&str],
    ) -> Result<Option<Vec<u8>>, String> {
        Ok(Some(self.os_release.clone().into_bytes()))
    }

    /// Tests plan as a small context does: scanned file by file.
    fn scan_step(
        &self,
        _request: &ScanRequest,
        _excludes: &[String],
    ) -> Option<impl Future<Output = Result<Vec<u8>, String>>> {
        None::<std::future::Ready<_>>
    }

    fn reason(error: &String) -> String {
        error.clone()
    }
}
