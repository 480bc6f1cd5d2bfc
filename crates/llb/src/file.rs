//! File ops: copying files between filesystems without running a container.

use super::{CAP_COPY_PATTERNS, Inputs, Node, OpMeta, Output};
use crate::pb;

/// Copies files and directories from other outputs onto a base, as one op (one layer).
pub struct CopyOp {
    name: String,
    base: Option<Output>,
    actions: Vec<Action>,
    timestamp: Option<i64>,
}

enum Action {
    Copy {
        from: Output,
        src: String,
        dest: String,
        /// `src` is a directory whose contents land in `dest`.
        dir: bool,
        /// With `dir`, only the entries these patterns match (relative to `src`).
        include: Vec<String>,
        attributes: Option<Attributes>,
    },
    Mkdir {
        path: String,
        attributes: Attributes,
    },
}

/// The permission bits and owner an action gives what it creates, instead of BuildKit's
/// defaults (which changed across versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes {
    pub mode: u32,
    pub owner: Owner,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Owner {
    Ids {
        uid: u32,
        gid: u32,
    },
    /// Looked up in the base's /etc/passwd and /etc/group when the op runs.
    Names {
        user: String,
        group: String,
    },
}

impl Owner {
    pub const ROOT: Owner = Owner::Ids { uid: 0, gid: 0 };

    fn pb(&self, base_index: i64) -> pb::ChownOpt {
        use pb::user_opt::User;
        let by_name = |name: &str| pb::UserOpt {
            user: Some(User::ByName(pb::NamedUserOpt {
                name: name.to_string(),
                input: base_index,
            })),
        };
        let by_id = |id: u32| pb::UserOpt {
            user: Some(User::ById(id)),
        };
        match self {
            Owner::Ids { uid, gid } => pb::ChownOpt {
                user: Some(by_id(*uid)),
                group: Some(by_id(*gid)),
            },
            Owner::Names { user, group } => pb::ChownOpt {
                user: Some(by_name(user)),
                group: Some(by_name(group)),
            },
        }
    }
}

impl CopyOp {
    /// `base` `None` starts from an empty filesystem.
    pub fn onto(base: Option<Output>, name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base,
            actions: Vec::new(),
            timestamp: None,
        }
    }

    pub fn file(self, from: Output, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.copy(from, src.into(), dest.into(), false, Vec::new(), None)
    }

    /// A file with the given mode and owner.
    pub fn file_as(
        self,
        from: Output,
        src: impl Into<String>,
        dest: impl Into<String>,
        attributes: Attributes,
    ) -> Self {
        self.copy(
            from,
            src.into(),
            dest.into(),
            false,
            Vec::new(),
            Some(attributes),
        )
    }

    /// Copies everything under the directory `src` into `dest`.
    pub fn dir(self, from: Output, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.copy(from, src.into(), dest.into(), true, Vec::new(), None)
    }

    /// Copies the entries of the directory `src` that `include` patterns match (relative to
    /// `src`, as `filepath.Match` reads them) into `dest`: one action, and one content hash in
    /// the op's cache key, for what would be a copy per file. Needs the
    /// `file.copy.includeexcludepatterns` cap.
    pub fn dir_matching(
        self,
        from: Output,
        src: impl Into<String>,
        dest: impl Into<String>,
        include: Vec<String>,
    ) -> Self {
        self.copy(from, src.into(), dest.into(), true, include, None)
    }

    /// A directory (and any missing parents) with the given mode and owner.
    pub fn mkdir(mut self, path: impl Into<String>, attributes: Attributes) -> Self {
        self.actions.push(Action::Mkdir {
            path: path.into(),
            attributes,
        });
        self
    }

    fn copy(
        mut self,
        from: Output,
        src: String,
        dest: String,
        dir: bool,
        include: Vec<String>,
        attributes: Option<Attributes>,
    ) -> Self {
        self.actions.push(Action::Copy {
            from,
            src,
            dest,
            dir,
            include,
            attributes,
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
        let matching = self
            .actions
            .iter()
            .any(|action| matches!(action, Action::Copy { include, .. } if !include.is_empty()));
        if matching {
            meta.caps.insert(CAP_COPY_PATTERNS);
        }
        let mut inputs = Inputs::default();
        let base_index = self.base.as_ref().map_or(-1, |base| inputs.index_of(base));
        let sources: Vec<i64> = self
            .actions
            .iter()
            .map(|action| match action {
                Action::Copy { from, .. } => inputs.index_of(from),
                Action::Mkdir { .. } => -1,
            })
            .collect();
        let input_count = inputs.0.len() as i64;
        let last = self.actions.len().saturating_sub(1);
        let timestamp = self.timestamp.map_or(-1, |seconds| seconds * 1_000_000_000);
        let actions = self
            .actions
            .into_iter()
            .zip(sources)
            .enumerate()
            .map(|(k, (action, source))| pb::FileAction {
                // Each action works on the previous one's result; only the last is the output.
                input: if k == 0 {
                    base_index
                } else {
                    input_count + k as i64 - 1
                },
                secondary_input: source,
                output: if k == last { 0 } else { -1 },
                action: Some(match action {
                    Action::Copy {
                        src,
                        dest,
                        dir,
                        include,
                        attributes,
                        ..
                    } => pb::file_action::Action::Copy(pb::FileActionCopy {
                        src,
                        dest,
                        dir_copy_contents: dir,
                        include_patterns: include,
                        mode: attributes.as_ref().map_or(-1, |a| a.mode as i32),
                        owner: attributes.map(|a| a.owner.pb(base_index)),
                        follow_symlink: true,
                        create_dest_path: true,
                        timestamp,
                        ..pb::FileActionCopy::default()
                    }),
                    Action::Mkdir { path, attributes } => {
                        pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                            path,
                            mode: attributes.mode as i32,
                            make_parents: true,
                            owner: Some(attributes.owner.pb(base_index)),
                            timestamp,
                        })
                    }
                }),
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
