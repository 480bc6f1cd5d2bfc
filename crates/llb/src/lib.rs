//! A small LLB builder that knows nothing of Go or Gofiles. Values are immutable: every op is
//! complete when built, its outputs are fixed then, and an [`Output`] is a cheap handle to one
//! of them. [`Definition::marshal`] turns a graph into the bytes BuildKit solves.

mod definition;
mod exec;
mod file;
mod merge;
mod source;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use definition::{Definition, DumpedOp, serialize_as_text};
pub use exec::{Access, CacheSharing, Exec, ExecOutputs, Mount, NetworkMode};
pub use file::{Attributes, CopyOp, MakeFiles, Owner};
pub use merge::merge;
pub use source::{Local, ResolveMode, image};

/// BuildKit's LLB messages, generated at build time from `proto/pb/ops.proto` under
/// BuildKit's package name.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pb.rs"));
}

/// The LLB caps of the ops that not every BuildKit has: merge ops (0.10+) and copies that
/// select by pattern. A frontend checks them in the engine's Ping before using either.
pub const CAP_MERGE_OP: &str = "mergeop";
pub const CAP_COPY_PATTERNS: &str = "file.copy.includeexcludepatterns";
pub const CAP_MOUNT_CONTENT_CACHE: &str = "exec.mount.cache.content";

/// One output of an op: what another op mounts, copies from, or the build returns.
#[derive(Clone)]
pub struct Output {
    node: Arc<Node>,
    index: i64,
}

impl Output {
    fn new(node: Node, index: i64) -> Self {
        Self {
            node: Arc::new(node),
            index,
        }
    }

    fn same_as(&self, other: &Output) -> bool {
        Arc::ptr_eq(&self.node, &other.node) && self.index == other.index
    }
}

/// An op with its inputs resolved to the outputs they refer to.
struct Node {
    op: pb::op::Op,
    inputs: Vec<Output>,
    platform: Option<pb::Platform>,
    meta: OpMeta,
}

/// What BuildKit keeps beside an op: its progress name, the caps it needs, cache control.
#[derive(Default, Clone)]
struct OpMeta {
    name: Option<String>,
    caps: BTreeSet<&'static str>,
    ignore_cache: bool,
}

impl OpMeta {
    fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// Collects an op's inputs, giving each distinct output one index.
#[derive(Default)]
struct Inputs(Vec<Output>);

impl Inputs {
    fn index_of(&mut self, output: &Output) -> i64 {
        let position = match self.0.iter().position(|o| o.same_as(output)) {
            Some(position) => position,
            None => {
                self.0.push(output.clone());
                self.0.len() - 1
            }
        };
        position as i64
    }
}

#[cfg(test)]
mod tests;
