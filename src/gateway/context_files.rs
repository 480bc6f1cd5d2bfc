//! The build context as BuildKit received it, readable by the source scan.

use super::{Client, SolvedRef};
use crate::gosource::{Entry, EntryKind, SourceFiles};

pub struct ContextFiles<'a> {
    client: &'a Client,
    context: SolvedRef,
}

impl<'a> ContextFiles<'a> {
    /// `context` is the solved context op, with `.dockerignore` applied.
    pub fn new(client: &'a Client, context: SolvedRef) -> Self {
        Self { client, context }
    }
}

impl SourceFiles for ContextFiles<'_> {
    type Error = tonic::Status;

    async fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, tonic::Status> {
        let stats = self.client.read_dir(&self.context, dir).await?;
        Ok(stats.map(|stats| {
            stats
                .into_iter()
                .map(|stat| Entry {
                    kind: EntryKind::from_go_mode(stat.mode),
                    executable: stat.mode & 0o100 != 0,
                    name: stat.path,
                })
                .collect()
        }))
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> Result<Vec<u8>, tonic::Status> {
        let data = self
            .client
            .read_file_prefix(&self.context, path, limit)
            .await?;
        data.ok_or_else(|| {
            tonic::Status::not_found(format!("{path} disappeared from the build context"))
        })
    }
}
