//! Merge ops: filesystems stacked as layers that stay independent of each other, so a change
//! to one layer leaves the others' blobs as they were (BuildKit 0.10 and later).

use super::{CAP_MERGE_OP, Inputs, Node, OpMeta, Output};
use crate::pb;

/// `layers` stacked in order, the later ones over the earlier. Needs the `mergeop` cap.
pub fn merge(name: impl Into<String>, layers: &[Output]) -> Output {
    let mut meta = OpMeta::named(name);
    meta.caps.insert(CAP_MERGE_OP);
    let mut inputs = Inputs::default();
    let merged = layers
        .iter()
        .map(|layer| pb::MergeInput {
            input: inputs.index_of(layer),
        })
        .collect();
    let node = Node {
        op: pb::op::Op::Merge(pb::MergeOp { inputs: merged }),
        inputs: inputs.0,
        platform: None,
        meta,
    };
    Output::new(node, 0)
}
