//! File ops: copying files between filesystems without running a container.

use super::{Inputs, Node, OpMeta, Output};
use crate::pb;

/// Copies files and directories from other outputs onto a base, as one op (one layer).
pub struct CopyOp {
    name: String,
    base: Option<Output>,
    copies: Vec<Copy>,
    timestamp: Option<i64>,
}

struct Copy {
    from: Output,
    src: String,
    dest: String,
    /// `src` is a directory whose contents land in `dest`.
    dir: bool,
}

impl CopyOp {
    /// `base` `None` starts from an empty filesystem.
    pub fn onto(base: Option<Output>, name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base,
            copies: Vec::new(),
            timestamp: None,
        }
    }

    pub fn file(mut self, from: Output, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.copies.push(Copy {
            from,
            src: src.into(),
            dest: dest.into(),
            dir: false,
        });
        self
    }

    /// Copies everything under the directory `src` into `dest`.
    pub fn dir(mut self, from: Output, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.copies.push(Copy {
            from,
            src: src.into(),
            dest: dest.into(),
            dir: true,
        });
        self
    }

    /// Fixes the copied files' modification time (seconds since 1970).
    pub fn timestamp(mut self, seconds: Option<i64>) -> Self {
        self.timestamp = seconds;
        self
    }

    pub fn build(self) -> Output {
        let mut meta = OpMeta::named(self.name);
        meta.caps.insert("file.base");
        let mut inputs = Inputs::default();
        let base_index = self.base.as_ref().map_or(-1, |base| inputs.index_of(base));
        let sources: Vec<i64> = self
            .copies
            .iter()
            .map(|copy| inputs.index_of(&copy.from))
            .collect();
        let input_count = inputs.0.len() as i64;
        let last = self.copies.len().saturating_sub(1);
        let actions = self
            .copies
            .into_iter()
            .zip(sources)
            .enumerate()
            .map(|(k, (copy, source))| pb::FileAction {
                // Each action works on the previous one's result; only the last is the output.
                input: if k == 0 {
                    base_index
                } else {
                    input_count + k as i64 - 1
                },
                secondary_input: source,
                output: if k == last { 0 } else { -1 },
                action: Some(pb::file_action::Action::Copy(pb::FileActionCopy {
                    src: copy.src,
                    dest: copy.dest,
                    dir_copy_contents: copy.dir,
                    mode: -1,
                    follow_symlink: true,
                    create_dest_path: true,
                    timestamp: self.timestamp.map_or(-1, |seconds| seconds * 1_000_000_000),
                    ..pb::FileActionCopy::default()
                })),
            })
            .collect();
        let node = Node {
            op: pb::op::Op::File(pb::FileOp { actions }),
            inputs: inputs.0,
            platform: None,
            meta,
        };
        Output::new(node, 0)
    }
}

/// Writes files with the given contents onto an empty filesystem, as one op.
pub struct MakeFiles {
    name: String,
    files: Vec<(String, Vec<u8>)>,
}

impl MakeFiles {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            files: Vec::new(),
        }
    }

    /// A file at `path` (absolute), readable by everyone, dated 1970 so the op's result is
    /// the same bytes on every daemon.
    pub fn file(mut self, path: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.into(), data.into()));
        self
    }

    pub fn build(self) -> Output {
        let mut meta = OpMeta::named(self.name);
        meta.caps.insert("file.base");
        let last = self.files.len().saturating_sub(1);
        let actions = self
            .files
            .into_iter()
            .enumerate()
            .map(|(k, (path, data))| pb::FileAction {
                // Each action works on the previous one's result; the first on scratch.
                input: k as i64 - 1,
                secondary_input: -1,
                output: if k == last { 0 } else { -1 },
                action: Some(pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                    path,
                    mode: 0o644,
                    data,
                    owner: None,
                    timestamp: 0,
                })),
            })
            .collect();
        let node = Node {
            op: pb::op::Op::File(pb::FileOp { actions }),
            inputs: Vec::new(),
            platform: None,
            meta,
        };
        Output::new(node, 0)
    }
}
