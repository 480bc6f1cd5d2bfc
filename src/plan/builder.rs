//! The builder image's config. BuildKit does not apply an image's config to exec ops, so the
//! plan sets the builder's environment and working directory on every step itself.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderConfig {
    /// `KEY=value` entries, in the image's order.
    pub env: Vec<String>,
    pub workdir: Option<String>,
}

#[derive(Deserialize)]
struct ImageConfigFile {
    #[serde(default)]
    config: Option<ContainerConfig>,
}

#[derive(Deserialize)]
struct ContainerConfig {
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "WorkingDir", default)]
    working_dir: Option<String>,
}

impl BuilderConfig {
    /// What the official golang images (`docker.io/library/golang`) set.
    pub fn official_golang() -> Self {
        Self {
            env: vec![
                "PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
                "GOTOOLCHAIN=local".to_string(),
                "GOPATH=/go".to_string(),
            ],
            workdir: Some("/go".to_string()),
        }
    }

    /// Reads an OCI/Docker image config (what BuildKit's ResolveImageConfig returns).
    pub fn from_image_config(json: &[u8]) -> Result<Self, serde_json::Error> {
        let file: ImageConfigFile = serde_json::from_slice(json)?;
        let config = file.config;
        Ok(Self {
            env: config
                .as_ref()
                .and_then(|c| c.env.clone())
                .unwrap_or_default(),
            workdir: config
                .and_then(|c| c.working_dir)
                .filter(|dir| !dir.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_env_and_workdir_from_an_image_config() {
        let json = br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","GOPATH=/go"],"WorkingDir":"/go","Cmd":["bash"]}}"#;
        let config = BuilderConfig::from_image_config(json).unwrap();
        assert_eq!(config.env, ["PATH=/usr/bin", "GOPATH=/go"]);
        assert_eq!(config.workdir.as_deref(), Some("/go"));
        let bare = BuilderConfig::from_image_config(br#"{"os":"linux"}"#).unwrap();
        assert!(bare.env.is_empty() && bare.workdir.is_none());
        assert!(BuilderConfig::from_image_config(b"not json").is_err());
    }
}
