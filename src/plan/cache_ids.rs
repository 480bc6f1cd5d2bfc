//! Cache mount ids.

use sha2::{Digest, Sha256};

use super::steps;
use crate::gofile::Gofile;
use crate::gomod::GoMod;
use crate::options::BuildOptions;

/// Cache mount ids, namespaced per module so projects sharing a daemon never share entries
/// unless the Gofile asks for it.
pub(super) struct CacheIds {
    pub(super) module_cache: String,
    pub(super) build_cache: String,
}

impl CacheIds {
    /// A precompile step's GOCACHE with cache layers: a mount of its own, since its output is
    /// what its compile used and only a GOCACHE no other step writes to tells that exactly.
    /// Keyed by the kind of step and the compile settings, not the package list, so a step
    /// compiling a new import finds the packages of its earlier runs.
    pub(super) fn precompile(&self, kind: &str, settings: &steps::CompileSettings) -> String {
        let mut hasher = Sha256::new();
        let settings_parts = settings
            .env
            .iter()
            .chain(&settings.flags)
            .map(String::as_str);
        for part in settings_parts.chain([settings.module_flag, settings.vcs_flag]) {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest = hex::encode(hasher.finalize());
        format!("{}:{kind}:{}", self.build_cache, &digest[..16])
    }

    pub(super) fn precompile_or_shared(
        &self,
        kind: &str,
        settings: &steps::CompileSettings,
    ) -> String {
        if settings.cache_layers {
            self.precompile(kind, settings)
        } else {
            self.build_cache.clone()
        }
    }

    pub(super) fn new(gofile: &Gofile, gomod: &GoMod, options: &BuildOptions) -> Self {
        let namespace = options
            .cache_namespace
            .as_ref()
            .map(|ns| format!("{ns}/"))
            .unwrap_or_default();
        let scope = if gofile.shared_cache {
            String::new()
        } else {
            format!(":{}", gomod.module_path)
        };
        Self {
            module_cache: format!("{namespace}gofrontend:gomodcache{scope}"),
            build_cache: format!("{namespace}gofrontend:gocache{scope}"),
        }
    }
}
