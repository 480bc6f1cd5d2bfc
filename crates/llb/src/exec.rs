//! Exec ops: a process run over a set of mounts.

use serde::Serialize;

use super::{CAP_MOUNT_CONTENT_CACHE, Inputs, Node, OpMeta, Output};
use crate::pb;

/// The network a process runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// The worker's default network for build steps.
    #[default]
    Sandbox,
    Host,
    None,
}

impl NetworkMode {
    fn pb(self) -> pb::NetMode {
        match self {
            NetworkMode::Sandbox => pb::NetMode::Unset,
            NetworkMode::Host => pb::NetMode::Host,
            NetworkMode::None => pb::NetMode::None,
        }
    }
}

#[derive(Clone)]
pub enum Mount {
    /// `input` (or an empty directory) at `dest`.
    Bind {
        dest: String,
        input: Option<Output>,
        selector: Option<String>,
        access: Access,
    },
    /// A directory BuildKit keeps between builds, under `id`; never part of any result.
    Cache {
        dest: String,
        id: String,
        sharing: CacheSharing,
    },
    /// The client's secret `id` as a file readable by root only, for this process alone: its
    /// bytes are in no cache key, layer or definition. Absent when the client sends none.
    Secret { dest: String, id: String },
    /// A socket to the client's SSH agent `id` (`--ssh`), for this process alone; absent when
    /// the client forwards none.
    Ssh { dest: String, id: String },
}

impl Mount {
    fn dest(&self) -> &str {
        match self {
            Mount::Bind { dest, .. }
            | Mount::Cache { dest, .. }
            | Mount::Secret { dest, .. }
            | Mount::Ssh { dest, .. } => dest,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read-only, keyed on a checksum of its content: an op behind it that runs again and
    /// makes the same files leaves this one cached.
    ReadOnly,
    /// Read-only, keyed on the op behind it (no checksum: the content is taken as new
    /// whenever that op runs). Needs [`CAP_MOUNT_CONTENT_CACHE`]. BuildKit keys an input, not
    /// a mount: an output mounted twice in one op is keyed as its last mount says.
    ReadOnlyKeyedByOp,
    /// Writable, and what the process leaves there is an output of the op.
    Output,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    /// Any number of steps use it at once (Go's caches are safe for concurrent use).
    Shared,
    Private,
    Locked,
}

pub struct Exec {
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub network: NetworkMode,
    pub platform: pb::Platform,
    pub ignore_cache: bool,
    /// Must include `/`.
    pub mounts: Vec<Mount>,
}

/// A mount the daemon provides itself (a cache, a secret, an agent socket): no input from
/// the graph and no output to it.
fn from_daemon(dest: &str, mount_type: pb::MountType) -> pb::Mount {
    pb::Mount {
        input: -1,
        dest: dest.to_string(),
        output: -1,
        mount_type: mount_type as i32,
        ..pb::Mount::default()
    }
}

/// The outputs of a built exec, one per writable bind mount.
pub struct ExecOutputs {
    outputs: Vec<(String, Output)>,
}

impl ExecOutputs {
    /// What the process left in the writable mount at `dest`.
    pub fn output(&self, dest: &str) -> Option<Output> {
        self.outputs
            .iter()
            .find(|(d, _)| d == dest)
            .map(|(_, output)| output.clone())
    }
}

impl Exec {
    pub fn build(self) -> ExecOutputs {
        let mut meta = OpMeta::named(self.name);
        meta.ignore_cache = self.ignore_cache;
        meta.caps
            .extend(["exec.meta.base", "exec.mount.bind", "platform"]);
        let mut mounts = self.mounts;
        // Parents before children, the order BuildKit mounts them in; outputs follow it too.
        mounts.sort_by(|a, b| a.dest().cmp(b.dest()));
        let mut inputs = Inputs::default();
        let mut writable = Vec::new();
        let mut pb_mounts = Vec::with_capacity(mounts.len());
        for mount in &mounts {
            let pb_mount = match mount {
                Mount::Bind {
                    dest,
                    input,
                    selector,
                    access,
                } => {
                    let output = if *access == Access::Output {
                        writable.push(dest.clone());
                        writable.len() as i64 - 1
                    } else {
                        -1
                    };
                    if selector.is_some() {
                        meta.caps.insert("exec.mount.selector");
                    }
                    let content_cache = match access {
                        Access::ReadOnlyKeyedByOp => {
                            meta.caps.insert(CAP_MOUNT_CONTENT_CACHE);
                            pb::MountContentCache::Off
                        }
                        Access::ReadOnly | Access::Output => pb::MountContentCache::Default,
                    };
                    pb::Mount {
                        input: input.as_ref().map_or(-1, |i| inputs.index_of(i)),
                        selector: selector.clone().unwrap_or_default(),
                        dest: dest.clone(),
                        output,
                        readonly: *access != Access::Output,
                        content_cache: content_cache as i32,
                        mount_type: pb::MountType::Bind as i32,
                        ..pb::Mount::default()
                    }
                }
                Mount::Cache { dest, id, sharing } => {
                    meta.caps
                        .extend(["exec.mount.cache", "exec.mount.cache.sharing"]);
                    pb::Mount {
                        cache_opt: Some(pb::CacheOpt {
                            id: id.clone(),
                            sharing: match sharing {
                                CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                                CacheSharing::Private => pb::CacheSharingOpt::Private,
                                CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                            } as i32,
                        }),
                        ..from_daemon(dest, pb::MountType::Cache)
                    }
                }
                Mount::Ssh { dest, id } => {
                    meta.caps.insert("exec.mount.ssh");
                    pb::Mount {
                        ssh_opt: Some(pb::SshOpt {
                            id: id.clone(),
                            uid: 0,
                            gid: 0,
                            mode: 0o600,
                            optional: true,
                        }),
                        ..from_daemon(dest, pb::MountType::Ssh)
                    }
                }
                Mount::Secret { dest, id } => {
                    meta.caps.insert("exec.mount.secret");
                    pb::Mount {
                        secret_opt: Some(pb::SecretOpt {
                            id: id.clone(),
                            uid: 0,
                            gid: 0,
                            mode: 0o400,
                            optional: true,
                        }),
                        ..from_daemon(dest, pb::MountType::Secret)
                    }
                }
            };
            pb_mounts.push(pb_mount);
        }
        let network = self.network.pb();
        if network != pb::NetMode::Unset {
            meta.caps.insert("exec.meta.network");
        }
        let op = pb::ExecOp {
            meta: Some(pb::Meta {
                args: self.args,
                env: self.env,
                cwd: self.cwd,
                ..pb::Meta::default()
            }),
            mounts: pb_mounts,
            network: network as i32,
            ..pb::ExecOp::default()
        };
        let node = std::sync::Arc::new(Node {
            op: pb::op::Op::Exec(op),
            inputs: inputs.0,
            platform: Some(self.platform),
            meta,
        });
        let outputs = writable
            .into_iter()
            .enumerate()
            .map(|(index, dest)| {
                let output = Output {
                    node: node.clone(),
                    index: index as i64,
                };
                (dest, output)
            })
            .collect();
        ExecOutputs { outputs }
    }
}
