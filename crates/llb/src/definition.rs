//! Marshalling a graph into a `pb.Definition`: depth-first, one entry per distinct op (by
//! digest), metadata in sorted maps, the terminal op last. Same graph, same bytes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use prost::Message;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Node, Output};
use crate::pb;

/// A marshalled LLB graph, ready for BuildKit's Solve or `buildctl build`.
pub struct Definition(pub pb::Definition);

impl Definition {
    pub fn marshal(terminal: &Output) -> Self {
        let mut state = Marshaller::default();
        let digest = state.visit(&terminal.node);
        let last = pb::Op {
            inputs: vec![pb::Input {
                digest,
                index: terminal.index,
            }],
            ..pb::Op::default()
        };
        state.def.push(last.encode_to_vec());
        Self(pb::Definition {
            def: state.def,
            metadata: state.metadata,
            source: None,
        })
    }

    /// The size of [`Self::to_bytes`], without encoding.
    pub fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, prost::DecodeError> {
        pb::Definition::decode(bytes).map(Self)
    }

    /// Every op decoded, with its digest and metadata, in definition order.
    pub fn ops(&self) -> Result<Vec<DumpedOp>, prost::DecodeError> {
        self.0
            .def
            .iter()
            .map(|bytes| {
                let digest = digest_of(bytes);
                Ok(DumpedOp {
                    op: pb::Op::decode(bytes.as_slice())?,
                    metadata: self.0.metadata.get(&digest).cloned(),
                    digest,
                })
            })
            .collect()
    }
}

/// One op of a definition in readable form (`gofrontend llb --json`).
#[derive(Serialize)]
pub struct DumpedOp {
    pub digest: String,
    pub op: pb::Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<pb::OpMetadata>,
}

#[derive(Default)]
struct Marshaller {
    def: Vec<Vec<u8>>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    digests: HashMap<*const Node, String>,
    seen: HashSet<String>,
}

impl Marshaller {
    fn visit(&mut self, node: &Arc<Node>) -> String {
        if let Some(digest) = self.digests.get(&Arc::as_ptr(node)) {
            return digest.clone();
        }
        let inputs = node
            .inputs
            .iter()
            .map(|input| pb::Input {
                digest: self.visit(&input.node),
                index: input.index,
            })
            .collect();
        let op = pb::Op {
            inputs,
            platform: node.platform.clone(),
            op: Some(node.op.clone()),
            constraints: None,
        };
        let bytes = op.encode_to_vec();
        let digest = digest_of(&bytes);
        if self.seen.insert(digest.clone()) {
            self.def.push(bytes);
            let mut description = BTreeMap::new();
            if let Some(name) = &node.meta.name {
                description.insert("llb.customname".to_string(), name.clone());
            }
            self.metadata.insert(
                digest.clone(),
                pb::OpMetadata {
                    ignore_cache: node.meta.ignore_cache,
                    description,
                    caps: node
                        .meta
                        .caps
                        .iter()
                        .map(|cap| (cap.to_string(), true))
                        .collect(),
                    ..pb::OpMetadata::default()
                },
            );
        }
        self.digests.insert(Arc::as_ptr(node), digest.clone());
        digest
    }
}

pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// File contents in a dumped definition: text, as the step scripts are.
pub fn serialize_as_text<S: serde::Serializer>(
    bytes: &[u8],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(bytes))
}
