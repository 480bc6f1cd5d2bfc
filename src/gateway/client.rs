//! Typed calls to BuildKit's LLBBridge, gated on the capabilities the daemon reports as enabled.

use std::collections::{BTreeMap, BTreeSet};

use tonic::transport::Channel;

use crate::proto::gateway::llb_bridge_client::LlbBridgeClient;
use crate::proto::gateway::{self, result};
use crate::proto::google::rpc::Status;
use crate::proto::pb;

/// Capabilities we depend on, by their BuildKit ids.
pub const CAP_REF_ARRAY: &str = "proto.refarray";
pub const CAP_INLINE_RETURN: &str = "solve.inlinereturn";
pub const CAP_IMPORT_CACHES: &str = "importcaches";

/// A cache for solves to import (`CacheOptionsEntry` in the gateway protocol), in the JSON
/// form clients send it in (`[{"Type":"registry","Attrs":{"ref":...}}]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct CacheImport {
    #[serde(rename = "Type", alias = "type")]
    pub kind: String,
    #[serde(rename = "Attrs", alias = "attrs", default)]
    pub attrs: BTreeMap<String, String>,
}

/// A cheap, cloneable handle to the gateway (no lock: tonic clients are cloneable).
#[derive(Clone)]
pub struct Client {
    bridge: LlbBridgeClient<Channel>,
    frontend_caps: BTreeSet<String>,
    llb_caps: BTreeSet<String>,
    worker_platforms: Vec<pb::Platform>,
    cache_imports: Vec<gateway::CacheOptionsEntry>,
}

/// A solved result as the daemon returned it, to read files from or to return.
#[derive(Clone, Debug)]
pub struct SolvedRef(result::Result);

/// An image reference as BuildKit resolved it: the digest it names (an index, for an image of
/// several platforms) and the config of the platform asked for.
pub struct ResolvedImage {
    pub digest: String,
    pub config: Vec<u8>,
}

impl SolvedRef {
    /// One result holding a solved ref per key (a multi-platform image, keyed by platform), in
    /// the form the refs were solved in: daemons without `proto.refarray` take the old map.
    pub fn map(refs: Vec<(String, SolvedRef)>) -> SolvedRef {
        let deprecated = refs
            .iter()
            .any(|(_, solved)| matches!(solved.0, result::Result::RefDeprecated(_)));
        if deprecated {
            let refs = refs
                .into_iter()
                .map(|(key, solved)| (key, solved.id()))
                .collect();
            return SolvedRef(result::Result::RefsDeprecated(gateway::RefMapDeprecated {
                refs,
            }));
        }
        let refs = refs
            .into_iter()
            .map(|(key, solved)| {
                let id = solved.id();
                let solved_ref = match solved.0 {
                    result::Result::Ref(r) => r,
                    _ => gateway::Ref { id, def: None },
                };
                (key, solved_ref)
            })
            .collect();
        SolvedRef(result::Result::Refs(gateway::RefMap { refs }))
    }

    /// The solved result as a ref other messages carry (an attestation's).
    pub fn into_ref(self) -> gateway::Ref {
        match self.0 {
            result::Result::Ref(r) => r,
            other => gateway::Ref {
                id: SolvedRef(other).id(),
                def: None,
            },
        }
    }

    fn id(&self) -> String {
        match &self.0 {
            result::Result::RefDeprecated(id) => id.clone(),
            result::Result::Ref(r) => r.id.clone(),
            // We only ever solve single results.
            result::Result::RefsDeprecated(_) | result::Result::Refs(_) => String::new(),
        }
    }
}

impl Client {
    /// Connects over stdio and asks the daemon what it supports (`Ping`).
    pub async fn connect(channel: Channel) -> Result<Self, tonic::Status> {
        let mut bridge = LlbBridgeClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        let pong = bridge.ping(gateway::PingRequest {}).await?.into_inner();
        let enabled = |caps: &[crate::proto::moby::buildkit::v1::apicaps::ApiCap]| {
            caps.iter()
                .filter(|c| c.enabled)
                .map(|c| c.id.clone())
                .collect()
        };
        Ok(Self {
            frontend_caps: enabled(&pong.frontend_api_caps),
            llb_caps: enabled(&pong.llb_caps),
            worker_platforms: pong.workers.into_iter().flat_map(|w| w.platforms).collect(),
            cache_imports: Vec::new(),
            bridge,
        })
    }

    pub fn has_frontend_cap(&self, id: &str) -> bool {
        self.frontend_caps.contains(id)
    }

    pub fn has_llb_cap(&self, id: &str) -> bool {
        self.llb_caps.contains(id)
    }

    /// The platform of the first worker: where build steps run.
    pub fn worker_platform(&self) -> Option<&pb::Platform> {
        self.worker_platforms.first()
    }

    /// This client, its solves importing `caches` (the client's `--cache-from`): without them
    /// a frontend's solves never look at an imported cache.
    pub fn importing(&self, caches: &[CacheImport]) -> Self {
        let mut client = self.clone();
        if self.has_frontend_cap(CAP_IMPORT_CACHES) {
            client.cache_imports = caches
                .iter()
                .map(|cache| gateway::CacheOptionsEntry {
                    r#type: cache.kind.clone(),
                    attrs: cache.attrs.clone().into_iter().collect(),
                })
                .collect();
        }
        client
    }

    pub async fn solve(&self, definition: pb::Definition) -> Result<SolvedRef, tonic::Status> {
        let request = gateway::SolveRequest {
            definition: Some(definition),
            cache_imports: self.cache_imports.clone(),
            allow_result_return: self.has_frontend_cap(CAP_INLINE_RETURN),
            allow_result_array_ref: self.has_frontend_cap(CAP_REF_ARRAY),
            ..gateway::SolveRequest::default()
        };
        let response = self.bridge.clone().solve(request).await?.into_inner();
        match response.result.and_then(|r| r.result) {
            Some(result) => Ok(SolvedRef(result)),
            None => Ok(SolvedRef(result::Result::RefDeprecated(response.r#ref))),
        }
    }

    /// A file of a solved result; `None` when it does not exist.
    pub async fn read_file(
        &self,
        solved: &SolvedRef,
        path: &str,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        self.read_file_prefix(solved, path, None).await
    }

    /// The first `limit` bytes of a file (all of it without a limit); `None` when it does not
    /// exist.
    pub async fn read_file_prefix(
        &self,
        solved: &SolvedRef,
        path: &str,
        limit: Option<usize>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let request = gateway::ReadFileRequest {
            r#ref: solved.id(),
            file_path: path.to_string(),
            range: limit.map(|length| gateway::FileRange {
                offset: 0,
                length: length as i64,
            }),
            ..gateway::ReadFileRequest::default()
        };
        match self.bridge.clone().read_file(request).await {
            Ok(response) => Ok(Some(response.into_inner().data)),
            Err(status) if is_not_found(&status) => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// The entries directly in a directory of a solved result; `None` when it does not exist.
    pub async fn read_dir(
        &self,
        solved: &SolvedRef,
        path: &str,
    ) -> Result<Option<Vec<crate::proto::fsutil::types::Stat>>, tonic::Status> {
        let request = gateway::ReadDirRequest {
            r#ref: solved.id(),
            dir_path: path.to_string(),
            ..gateway::ReadDirRequest::default()
        };
        match self.bridge.clone().read_dir(request).await {
            Ok(response) => Ok(Some(response.into_inner().entries)),
            Err(status) if is_not_found(&status) => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// An image's config JSON, as the registry (or the local store) has it.
    pub async fn resolve_image_config(
        &self,
        reference: &str,
        platform: pb::Platform,
        resolve_mode: &str,
        log_name: &str,
    ) -> Result<ResolvedImage, tonic::Status> {
        let request = gateway::ResolveImageConfigRequest {
            r#ref: reference.to_string(),
            platform: Some(platform),
            resolve_mode: resolve_mode.to_string(),
            log_name: log_name.to_string(),
            ..gateway::ResolveImageConfigRequest::default()
        };
        let resolved = self
            .bridge
            .clone()
            .resolve_image_config(request)
            .await?
            .into_inner();
        Ok(ResolvedImage {
            digest: resolved.digest,
            config: resolved.config,
        })
    }

    /// Ends the build with `solved`, or with no ref (a subrequest's answer), and `metadata`.
    pub async fn return_result(
        &self,
        solved: Option<SolvedRef>,
        metadata: BTreeMap<String, Vec<u8>>,
        attestations: BTreeMap<String, gateway::Attestations>,
    ) -> Result<(), tonic::Status> {
        // No ref is a ref with an empty id, as BuildKit's own clients send it.
        let result = solved.map_or_else(
            || result::Result::Ref(gateway::Ref::default()),
            |solved| solved.0,
        );
        let result = gateway::Result {
            result: Some(result),
            metadata: metadata.into_iter().collect(),
            attestations: attestations.into_iter().collect(),
        };
        self.finish(gateway::ReturnRequest {
            result: Some(result),
            error: None,
        })
        .await
    }

    /// Ends the build with an error the user sees in their build output.
    pub async fn return_error(&self, error: Status) -> Result<(), tonic::Status> {
        self.finish(gateway::ReturnRequest {
            result: None,
            error: Some(error),
        })
        .await
    }

    async fn finish(&self, request: gateway::ReturnRequest) -> Result<(), tonic::Status> {
        self.bridge.clone().r#return(request).await.map(|_| ())
    }
}

fn is_not_found(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::NotFound
        || status.message().contains("no such file or directory")
        || status.message().contains("not found")
}
