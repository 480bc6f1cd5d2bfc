//! How the frontend's failures reach the user: one BuildKit status each, with the Gofile lines
//! at fault attached as source errors buildx prints.

use crate::diagnostic::Diagnostics;
use crate::options::OptionError;
use crate::pipeline::LoadError;
use crate::plan::PlanError;
use crate::proto::google::rpc::Status;

/// google.rpc.Code Unknown. User errors use it too: clients print any other code's name in
/// front of the message once per hop (`InvalidArgument: InvalidArgument: ...`).
pub const CODE_UNKNOWN: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error("{0}")]
    Source(Diagnostics),
    #[error(transparent)]
    Option(#[from] OptionError),
    #[error("{0}")]
    Input(String),
    #[error(
        "the build of {services} service{plural} is a {mib:.1} MiB definition, more than this BuildKit accepts \
         in one message ({status}); build fewer services at once, each with --target",
        plural = if *.services == 1 { "" } else { "s" },
        mib = *.bytes as f64 / (1024.0 * 1024.0),
        status = .source.message()
    )]
    DefinitionTooLarge {
        services: usize,
        bytes: usize,
        source: tonic::Status,
    },
    #[error("unsupported request {0}")]
    UnsupportedRequest(String),
    #[error("{context}: {status}", status = .source.message())]
    Gateway {
        context: String,
        source: tonic::Status,
    },
}

impl From<PlanError> for FrontendError {
    fn from(err: PlanError) -> Self {
        match err {
            PlanError::Gofile(diagnostics) => Self::Source(diagnostics),
            PlanError::Option(err) => Self::Option(err),
            PlanError::Input(message) => Self::Input(message),
        }
    }
}

impl FrontendError {
    pub fn status(&self) -> Status {
        let code = match self {
            Self::Gateway { source, .. } => source.code() as i32,
            Self::Source(_)
            | Self::Option(_)
            | Self::Input(_)
            | Self::UnsupportedRequest(_)
            | Self::DefinitionTooLarge { .. } => CODE_UNKNOWN,
        };
        let details = match self {
            Self::Source(diagnostics) => source_details(diagnostics),
            // How buildx recognizes it, and falls back to a frontend that answers it.
            Self::UnsupportedRequest(name) => vec![prost_types::Any {
                type_url: "github.com/moby/buildkit/errdefs.Subrequest+json".to_string(),
                value: serde_json::json!({ "name": name }).to_string().into_bytes(),
            }],
            _ => Vec::new(),
        };
        Status {
            code: if code == 0 { CODE_UNKNOWN } else { code },
            message: self.to_string(),
            details,
        }
    }
}

/// BuildKit's source errors: with them, buildx prints the Gofile lines at fault.
const SOURCE_ERROR_TYPE: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// Source errors carry the whole file: past this size they would push the error itself over
/// BuildKit's 4 MiB message limit, and the message alone (with its lines) is sent.
const SOURCE_DETAILS_LIMIT: usize = 1024 * 1024;

fn source_details(diagnostics: &Diagnostics) -> Vec<prost_types::Any> {
    let file = &diagnostics.file;
    if file.text().len() > SOURCE_DETAILS_LIMIT {
        return Vec::new();
    }
    let info = file.source_info();
    diagnostics
        .items
        .iter()
        .map(|diagnostic| {
            let position = |offset| {
                let at = file.position(offset);
                serde_json::json!({"line": at.line, "character": at.column - 1})
            };
            let source = serde_json::json!({
                "info": info,
                "ranges": [{"start": position(diagnostic.span.start), "end": position(diagnostic.span.end)}],
            });
            prost_types::Any {
                type_url: SOURCE_ERROR_TYPE.to_string(),
                value: source.to_string().into_bytes(),
            }
        })
        .collect()
}

pub fn gateway(context: impl Into<String>) -> impl FnOnce(tonic::Status) -> FrontendError {
    let context = context.into();
    move |source| FrontendError::Gateway { context, source }
}

impl From<LoadError<tonic::Status>> for FrontendError {
    fn from(err: LoadError<tonic::Status>) -> Self {
        match err {
            LoadError::Plan(err) => err.into(),
            LoadError::Read { context, error } => Self::Gateway {
                context,
                source: error,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, TextFile};

    #[test]
    fn source_errors_carry_the_file_and_the_range() {
        let file = TextFile::new("Gofile", "[services.api]\nport = 1\n");
        let diagnostics = Diagnostics::new(file, vec![Diagnostic::new(15..19, "unknown key")]);
        let status = FrontendError::Source(diagnostics).status();
        assert_eq!(status.code, CODE_UNKNOWN);
        assert!(status.message.starts_with("Gofile:2:1: unknown key"));
        let [detail] = status.details.as_slice() else {
            panic!("one detail per diagnostic")
        };
        assert_eq!(detail.type_url, SOURCE_ERROR_TYPE);
        let json: serde_json::Value = serde_json::from_slice(&detail.value).unwrap();
        assert_eq!(json["info"]["filename"], "Gofile");
        assert_eq!(json["info"]["data"], "W3NlcnZpY2VzLmFwaV0KcG9ydCA9IDEK");
        assert_eq!(
            json["ranges"][0]["start"],
            serde_json::json!({"line": 2, "character": 0})
        );
        assert_eq!(
            json["ranges"][0]["end"],
            serde_json::json!({"line": 2, "character": 4})
        );
    }
}
