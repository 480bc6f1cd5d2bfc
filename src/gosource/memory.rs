//! A build context in memory, for tests and fuzz targets: paths to contents, directories
//! implied by the paths.

use std::collections::{BTreeMap, BTreeSet};

use super::{Entry, EntryKind, SourceFiles};

#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files whose reading fails, as a file BuildKit cannot send.
    pub unreadable: BTreeSet<String>,
}

impl MemoryFiles {
    pub fn new(files: &[(&str, &str)]) -> Self {
        files
            .iter()
            .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
            .collect()
    }
}

impl FromIterator<(String, Vec<u8>)> for MemoryFiles {
    fn from_iter<T: IntoIterator<Item = (String, Vec<u8>)>>(files: T) -> Self {
        Self {
            files: files.into_iter().collect(),
            unreadable: BTreeSet::new(),
        }
    }
}

impl SourceFiles for MemoryFiles {
    type Error = String;

    async fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, String> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: BTreeMap<String, EntryKind> = BTreeMap::new();
        for path in self.files.keys() {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((sub, _)) => entries.insert(sub.to_string(), EntryKind::Dir),
                    None => entries.insert(rest.to_string(), EntryKind::File),
                };
            }
        }
        Ok((!entries.is_empty()).then(|| {
            entries
                .into_iter()
                .map(|(name, kind)| Entry {
                    name,
                    kind,
                    executable: false,
                })
                .collect()
        }))
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> Result<Vec<u8>, String> {
        if self.unreadable.contains(path) {
            return Err(format!("{path}: permission denied"));
        }
        let bytes = self.files.get(path).map(Vec::as_slice).unwrap_or_default();
        Ok(bytes[..limit.unwrap_or(bytes.len()).min(bytes.len())].to_vec())
    }
}
