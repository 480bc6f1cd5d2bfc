//! Which images a build uses and where each was chosen: the builder (go.mod's Go version, the
//! Gofile's `go` or `builder`, an option) and the base of each service (the Gofile's `base`,
//! an option, or distroless, static or with the builder's C library for cgo).

use std::ops::Range;

use super::{Base, BuilderConfig, DEFAULT_STATIC_BASE, PlanError, gofile_error};
use crate::diagnostic::{Diagnostic, TextFile};
use crate::gofile::{Gofile, Service};
use crate::gomod::GoMod;
use crate::image_ref;
use crate::options::{
    ARG_BASE_IMAGE, ARG_BUILDER_IMAGE, BuildOptions, CONTEXT_BASE, CONTEXT_BUILDER, OptionError,
    PREFIX_BUILD_ARG,
};

/// The builder image the plan will need, so its config can be resolved before planning.
pub fn builder_image(
    gofile: &Gofile,
    gomod: &GoMod,
    options: &BuildOptions,
    gofile_source: &TextFile,
) -> Result<String, PlanError> {
    if let Some(image) = options.image_contexts.get(CONTEXT_BUILDER) {
        return Ok(image.clone());
    }
    builder_reference(gofile, gomod, options, gofile_source)
        .map(|reference| named_context(options, reference))
}

/// Where the builder or a base image was chosen, so a failure to resolve it can point there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageOrigin {
    /// gofrontend's default.
    Default,
    /// `--build-context golang=` or the `GOFRONTEND_BUILDER_IMAGE` build arg: the option key.
    Option(String),
    /// The Gofile's `builder`, `go` or `base`.
    Gofile(Range<usize>),
    /// go.mod's `toolchain` or `go` line.
    GoMod(Range<usize>),
}

pub fn builder_origin(gofile: &Gofile, gomod: &GoMod, options: &BuildOptions) -> ImageOrigin {
    if options.image_contexts.contains_key(CONTEXT_BUILDER) {
        return ImageOrigin::Option(format!("context:{CONTEXT_BUILDER}"));
    }
    if options.builder_image_arg.is_some() {
        return ImageOrigin::Option(format!("{PREFIX_BUILD_ARG}{ARG_BUILDER_IMAGE}"));
    }
    match (&gofile.builder, &gofile.go) {
        (Some(builder), _) => ImageOrigin::Gofile(builder.span.clone()),
        (None, Some(go)) => ImageOrigin::Gofile(go.span.clone()),
        (None, None) => ImageOrigin::GoMod(gomod.version_span.clone().unwrap_or(0..0)),
    }
}

/// Where a service's base (or, without a service, the shared base) was chosen: the Gofile's
/// `base`, an option, or the default.
pub fn base_origin(
    gofile: &Gofile,
    service: Option<&Service>,
    options: &BuildOptions,
) -> ImageOrigin {
    if options.image_contexts.contains_key(CONTEXT_BASE) {
        return ImageOrigin::Option(format!("context:{CONTEXT_BASE}"));
    }
    if options.base_image_arg.is_some() {
        return ImageOrigin::Option(format!("{PREFIX_BUILD_ARG}{ARG_BASE_IMAGE}"));
    }
    match service
        .and_then(|s| s.base.as_ref())
        .or(gofile.base.as_ref())
    {
        Some(base) => ImageOrigin::Gofile(base.span.clone()),
        None => ImageOrigin::Default,
    }
}

/// The builder image's reference before a named context replaces it.
pub(super) fn builder_reference(
    gofile: &Gofile,
    gomod: &GoMod,
    options: &BuildOptions,
    gofile_source: &TextFile,
) -> Result<String, PlanError> {
    if let Some(image) = &options.builder_image_arg {
        return Ok(image.clone());
    }
    if let Some(builder) = &gofile.builder {
        return image_ref::normalize(&builder.value).map_err(|message| {
            gofile_error(
                gofile_source,
                Diagnostic::new(builder.span.clone(), message),
            )
        });
    }
    let version = match (&gofile.go, gomod.go_release()) {
        (Some(go), _) => go.value.clone(),
        (None, Some(release)) => release,
        (None, None) => {
            return Err(gofile_error(
                gofile_source,
                Diagnostic::new(
                    0..0,
                    "no Go version: go.mod has no `go` line and the Gofile sets no `go`",
                )
                .with_help("add `go = \"1.24\"` to the Gofile, or a `go` directive to go.mod"),
            ));
        }
    };
    image_ref::normalize(&format!("golang:{version}"))
        .map_err(|message| gofile_error(gofile_source, Diagnostic::new(0..0, message)))
}

pub(super) fn service_base(
    gofile: &Gofile,
    gofile_source: &TextFile,
    service: &Service,
    options: &BuildOptions,
    builder: &BuilderConfig,
) -> Result<(Base, Option<String>), PlanError> {
    let chosen = service
        .base
        .as_ref()
        .or(gofile.base.as_ref())
        .map(|b| b.value.as_str());
    let default = default_base(service.build.cgo, builder).ok_or_else(|| {
        no_cgo_base(
            gofile_source,
            service.name.span.clone(),
            &service.name.value,
        )
    });
    base_image(options, chosen, default)
}

pub(super) fn shared_base(
    gofile: &Gofile,
    gofile_source: &TextFile,
    options: &BuildOptions,
    builder: &BuilderConfig,
) -> Result<(Base, Option<String>), PlanError> {
    let cgo_service = gofile.services.iter().find(|s| s.build.cgo);
    let default = default_base(cgo_service.is_some(), builder).ok_or_else(|| {
        let name = cgo_service.map_or(&gofile.services[0].name, |s| &s.name);
        no_cgo_base(gofile_source, name.span.clone(), &name.value)
    });
    base_image(
        options,
        gofile.base.as_ref().map(|b| b.value.as_str()),
        default,
    )
}

/// Distroless `static` for pure Go; for cgo, distroless `base` of the builder's Debian
/// release: the binary links against the builder's glibc, and a binary linked against a newer
/// glibc fails on an older base.
pub(super) fn default_base(cgo: bool, builder: &BuilderConfig) -> Option<String> {
    if !cgo {
        return Some(DEFAULT_STATIC_BASE.to_string());
    }
    let release = builder.debian_release.as_ref()?;
    Some(format!("gcr.io/distroless/base-debian{release}:nonroot"))
}

pub(super) fn no_cgo_base(
    gofile_source: &TextFile,
    span: Range<usize>,
    service: &str,
) -> PlanError {
    gofile_error(
        gofile_source,
        Diagnostic::new(
            span,
            format!(
                "service `{service}` uses cgo, and the builder image is not Debian, so no distroless base has its C library"
            ),
        )
        .with_help("set `base` to an image with the builder's C library, or build with a Debian golang image"),
    )
}

/// The base, with the reference it was chosen by when a named context may replace it.
pub(super) fn base_image(
    options: &BuildOptions,
    chosen: Option<&str>,
    default: Result<String, PlanError>,
) -> Result<(Base, Option<String>), PlanError> {
    if let Some(image) = options.image_contexts.get(CONTEXT_BASE) {
        return Ok((Base::Image(image.clone()), None));
    }
    Ok(match base_reference(options, chosen, default)? {
        None => (Base::Scratch, None),
        Some(reference) => (
            Base::Image(named_context(options, reference.clone())),
            Some(reference),
        ),
    })
}

/// The base image's reference before a named context replaces it; `None` for scratch.
pub(super) fn base_reference(
    options: &BuildOptions,
    chosen: Option<&str>,
    default: Result<String, PlanError>,
) -> Result<Option<String>, PlanError> {
    let reference = match (&options.base_image_arg, chosen) {
        (Some(image), _) => image.clone(),
        (None, Some(chosen)) => chosen.to_string(),
        (None, None) => default?,
    };
    if reference == "scratch" {
        return Ok(None);
    }
    // A Gofile value was checked when the Gofile was read, the build arg with the options.
    image_ref::normalize(&reference)
        .map(Some)
        .map_err(|message| {
            OptionError {
                key: "base".into(),
                message,
            }
            .into()
        })
}

/// The image a `--build-context <reference>=docker-image://...` puts in place of `reference`.
pub(super) fn named_context(options: &BuildOptions, reference: String) -> String {
    options
        .image_contexts
        .get(&reference)
        .cloned()
        .unwrap_or(reference)
}
