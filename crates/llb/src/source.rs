//! Source ops: images from a registry and files from the client's machine.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Node, OpMeta, Output};
use crate::pb;

/// Where an image's manifest and config come from: the registry, or the daemon's own store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolveMode {
    /// The daemon's choice.
    #[default]
    Default,
    /// Always the registry.
    Pull,
    /// The daemon's store when it has the image.
    Local,
}

impl ResolveMode {
    /// The value of `image.resolvemode` and of a ResolveImageConfig request's mode.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }
}

/// `docker-image://<reference>` for one platform; `reference` must be normalized.
pub fn image(
    reference: &str,
    platform: impl Into<pb::Platform>,
    resolve_mode: ResolveMode,
    name: &str,
) -> Output {
    let mut meta = OpMeta::named(name);
    meta.caps.insert("source.image");
    let mut attrs = BTreeMap::new();
    if resolve_mode != ResolveMode::Default {
        attrs.insert(
            "image.resolvemode".to_string(),
            resolve_mode.as_str().to_string(),
        );
        meta.caps.insert("source.image.resolvemode");
    }
    source(
        format!("docker-image://{reference}"),
        attrs,
        Some(platform.into()),
        meta,
    )
}

/// Files sent by the client for a named local (`context`, `dockerfile`), narrowed by patterns.
#[derive(Debug, Clone, Default)]
pub struct Local {
    pub name: String,
    pub session_id: Option<String>,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    pub follow_paths: Vec<String>,
    /// Lets BuildKit reuse what it synced for another local with the same hint.
    pub shared_key_hint: Option<String>,
}

impl Local {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn output(&self, progress_name: &str) -> Output {
        let mut meta = OpMeta::named(progress_name);
        meta.caps.insert("source.local");
        let mut attrs = BTreeMap::new();
        let mut set = |key: &str, cap: &'static str, value: String| {
            attrs.insert(key.to_string(), value);
            meta.caps.insert(cap);
        };
        if let Some(session) = &self.session_id {
            set("local.session", "source.local.sessionid", session.clone());
        }
        for (key, cap, patterns) in [
            (
                "local.includepattern",
                "source.local.includepatterns",
                &self.include_patterns,
            ),
            (
                "local.excludepatterns",
                "source.local.excludepatterns",
                &self.exclude_patterns,
            ),
            (
                "local.followpaths",
                "source.local.followpaths",
                &self.follow_paths,
            ),
        ] {
            if !patterns.is_empty() {
                set(key, cap, json_array(patterns));
            }
        }
        if let Some(hint) = &self.shared_key_hint {
            set(
                "local.sharedkeyhint",
                "source.local.sharedkeyhint",
                hint.clone(),
            );
        }
        source(format!("local://{}", self.name), attrs, None, meta)
    }
}

fn source(
    identifier: String,
    attrs: BTreeMap<String, String>,
    platform: Option<pb::Platform>,
    mut meta: OpMeta,
) -> Output {
    if platform.is_some() {
        meta.caps.insert("platform");
    }
    let node = Node {
        op: pb::op::Op::Source(pb::SourceOp { identifier, attrs }),
        inputs: Vec::new(),
        platform,
        meta,
    };
    Output::new(node, 0)
}

fn json_array(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}
