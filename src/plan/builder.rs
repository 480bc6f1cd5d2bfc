//! The builder image's config. BuildKit does not apply an image's config to exec ops, so the
//! plan sets the builder's environment and working directory on every step itself. Its Debian
//! release decides the base of cgo binaries, which link against the builder's C library.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderConfig {
    /// `KEY=value` entries, in the image's order.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    /// `VERSION_ID` of a Debian builder's /etc/os-release (`12`, `13`); `None` for any other
    /// system or when unknown.
    pub debian_release: Option<String>,
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
            // `golang:<version>` is the Debian 13 (trixie) variant since trixie's release.
            debian_release: Some("13".to_string()),
        }
    }

    /// Takes the Debian release from the builder's /etc/os-release.
    pub fn with_os_release(mut self, text: &str) -> Self {
        let field = |name: &str| {
            text.lines().find_map(|line| {
                let value = line.trim().strip_prefix(name)?.strip_prefix('=')?;
                Some(value.trim_matches(['"', '\'']).to_string())
            })
        };
        self.debian_release = (field("ID").as_deref() == Some("debian"))
            .then(|| field("VERSION_ID"))
            .flatten()
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()));
        self
    }

    /// The image config file that [`BuilderConfig::from_image_config`] reads back as this
    /// (without the Debian release, which comes from os-release).
    pub fn to_image_config(&self) -> Vec<u8> {
        serde_json::json!({"config": {"Env": self.env, "WorkingDir": self.workdir}})
            .to_string()
            .into_bytes()
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
            debian_release: None,
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
        let official = BuilderConfig::official_golang();
        let round_trip = BuilderConfig::from_image_config(&official.to_image_config()).unwrap();
        assert_eq!(
            (round_trip.env, round_trip.workdir),
            (official.env, official.workdir)
        );
    }

    #[test]
    fn the_debian_release_comes_from_os_release() {
        let bare = || BuilderConfig::from_image_config(b"{}").unwrap();
        let trixie = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\nID=debian\n";
        assert_eq!(
            bare().with_os_release(trixie).debian_release.as_deref(),
            Some("13")
        );
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.22.1\n";
        assert_eq!(bare().with_os_release(alpine).debian_release, None);
        let ubuntu = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n";
        assert_eq!(bare().with_os_release(ubuntu).debian_release, None);
        assert_eq!(bare().with_os_release("").debian_release, None);
    }
}
