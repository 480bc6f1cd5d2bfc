//! Target platforms (`linux/arm/v7`) and what they mean to the Go toolchain.

use std::fmt;

use serde::Serialize;

use crate::proto::pb;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// Architectures Go can target for Linux images, as OCI names them.
const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64",
];

impl Platform {
    pub fn linux(architecture: &str) -> Self {
        Self {
            os: "linux".to_string(),
            architecture: architecture.to_string(),
            variant: None,
        }
    }

    /// The platform of the machine this runs on, as BuildKit names it.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self::linux(architecture)
    }

    /// Parses `os/arch[/variant]`; Go service images are Linux images.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let (os, architecture, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => {
                return Err(format!(
                    "`{text}` is not a platform; write it as os/arch, like linux/amd64 or linux/arm/v7"
                ));
            }
        };
        if os != "linux" {
            return Err(format!(
                "`{text}`: only linux platforms are supported for Go service images"
            ));
        }
        let architecture = match architecture {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        if !ARCHITECTURES.contains(&architecture) {
            return Err(format!(
                "`{text}`: unknown architecture `{architecture}`; use one of {}",
                ARCHITECTURES.join(", ")
            ));
        }
        let variant = match (architecture, variant) {
            ("arm64", Some("v8")) => None,
            ("arm", None) => Some("v7"),
            ("arm", Some(v @ ("v5" | "v6" | "v7"))) => Some(v),
            ("amd64", Some(v @ ("v1" | "v2" | "v3" | "v4"))) => Some(v),
            (_, None) => None,
            (_, Some(v)) => {
                return Err(format!(
                    "`{text}`: `{v}` is not a variant of {architecture} that Go can target"
                ));
            }
        };
        Ok(Self {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        })
    }

    /// GOOS, GOARCH and the variant setting (GOARM, GOAMD64) for cross-compiling to this platform.
    pub fn go_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("GOOS", self.os.clone()),
            ("GOARCH", self.architecture.clone()),
        ];
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm", Some(variant)) => {
                env.push(("GOARM", variant.trim_start_matches('v').to_string()))
            }
            ("amd64", Some(variant)) => env.push(("GOAMD64", variant.to_string())),
            _ => {}
        }
        env
    }
}

/// The platform as LLB carries it: on an op, and in gateway requests.
pub fn pb_platform(platform: &Platform) -> pb::Platform {
    pb::Platform {
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone().unwrap_or_default(),
        ..pb::Platform::default()
    }
}

impl From<&Platform> for pb::Platform {
    fn from(platform: &Platform) -> Self {
        pb_platform(platform)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes_platforms() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap(),
            Platform::linux("amd64")
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap(),
            Platform::linux("arm64")
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
        assert!(Platform::parse("windows/amd64").is_err());
        assert!(Platform::parse("linux/sparc").is_err());
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/arm/v9").is_err());
    }

    #[test]
    fn go_env_carries_the_variant() {
        let arm = Platform::parse("linux/arm/v6").unwrap();
        assert_eq!(
            arm.go_env(),
            [
                ("GOOS", "linux".into()),
                ("GOARCH", "arm".into()),
                ("GOARM", "6".into())
            ]
        );
        assert_eq!(Platform::linux("arm64").go_env().len(), 2);
    }
}
