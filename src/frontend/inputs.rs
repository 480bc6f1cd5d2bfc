//! The pipeline's inputs through BuildKit: the locals the client sends (the Gofile's and the
//! context's), read with ReadFile/ReadDir, and the builder image resolved and read.

use std::future::Future;

use crate::gateway::{Client, ContextFiles, ResolvedImage, SolvedRef};
use crate::llb::{self, Definition, Local, ResolveMode};
use crate::lower::{self, ContextLocal};
use crate::options::{BuildOptions, InputLocals};
use crate::pipeline::{Inputs, ScanRequest};
use crate::platform::{Platform, pb_platform};

pub struct GatewayInputs<'c> {
    pub client: &'c Client,
    locals: &'c InputLocals,
    gofile_session: Option<String>,
    pub context_local: ContextLocal,
    resolve_mode: ResolveMode,
}

impl<'c> GatewayInputs<'c> {
    pub fn new(client: &'c Client, locals: &'c InputLocals, options: &BuildOptions) -> Self {
        let session = |local: &str| {
            locals
                .local_sessions
                .get(local)
                .cloned()
                .or_else(|| std::env::var("BUILDKIT_SESSION_ID").ok())
                .filter(|id| !id.is_empty())
        };
        Self {
            client,
            locals,
            gofile_session: session(&locals.gofile_local),
            context_local: ContextLocal {
                name: locals.context_local.clone(),
                session_id: session(&locals.context_local),
            },
            resolve_mode: options.image_resolve_mode,
        }
    }

    async fn read_local(
        &self,
        local: Local,
        name: &str,
        paths: [&str; 2],
    ) -> Result<[Option<Vec<u8>>; 2], tonic::Status> {
        let solved = self.solve_local(&local, name).await?;
        let [first, second] = paths;
        Ok([
            self.client.read_file(&solved, first).await?,
            self.client.read_file(&solved, second).await?,
        ])
    }

    /// The image's digest and its config for `platform`.
    pub async fn resolve_image(
        &self,
        image: &str,
        platform: &Platform,
    ) -> Result<ResolvedImage, tonic::Status> {
        self.client
            .resolve_image_config(
                image,
                pb_platform(platform),
                self.resolve_mode.as_str(),
                &format!("[internal] load metadata for {image}"),
            )
            .await
    }

    /// The first of `paths` in the image's filesystem. The image op is the one the build runs
    /// on (`name` as the build names it), so BuildKit pulls the image once for both.
    pub async fn read_image_file(
        &self,
        image: &str,
        platform: &Platform,
        paths: &[&str],
        name: &str,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let op = llb::image(image, platform, self.resolve_mode, name);
        let solved = self.client.solve(Definition::marshal(&op).0).await?;
        for path in paths {
            if let Some(data) = self.client.read_file(&solved, path).await? {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }

    async fn solve_local(&self, local: &Local, name: &str) -> Result<SolvedRef, tonic::Status> {
        self.client
            .solve(Definition::marshal(&local.output(name)).0)
            .await
    }
}

impl<'c> Inputs for GatewayInputs<'c> {
    type Error = tonic::Status;
    type Context = ContextFiles<'c>;

    fn gofile_name(&self) -> &str {
        &self.locals.filename
    }

    /// Through the local BuildKit calls `dockerfile`, as the Dockerfile frontend reads it.
    async fn gofile(&self) -> Result<[Option<Vec<u8>>; 2], tonic::Status> {
        let filename = &self.locals.filename;
        let ignore_name = format!("{filename}.dockerignore");
        let local = Local {
            name: self.locals.gofile_local.clone(),
            session_id: self.gofile_session.clone(),
            follow_paths: vec![filename.clone(), ignore_name.clone()],
            shared_key_hint: Some(self.locals.gofile_local.clone()),
            ..Local::default()
        };
        let name = format!("[internal] load build definition from {filename}");
        self.read_local(local, &name, [filename, &ignore_name])
            .await
    }

    async fn context_files(&self, paths: [&str; 2]) -> Result<[Option<Vec<u8>>; 2], tonic::Status> {
        let local = Local {
            name: self.context_local.name.clone(),
            session_id: self.context_local.session_id.clone(),
            follow_paths: paths.iter().map(|path| path.to_string()).collect(),
            ..Local::default()
        };
        let name = format!("[internal] load {}", paths.join(" and "));
        self.read_local(local, &name, paths).await
    }

    async fn context(&self, excludes: &[String]) -> Result<ContextFiles<'c>, tonic::Status> {
        let context = Definition::marshal(&lower::context(&self.context_local, excludes));
        let solved = self.client.solve(context.0).await?;
        Ok(ContextFiles::new(self.client, solved))
    }

    fn build_platform(&self) -> Platform {
        self.client
            .worker_platform()
            .map(|p| Platform {
                os: p.os.clone(),
                architecture: p.architecture.clone(),
                variant: Some(p.variant.clone()).filter(|v| !v.is_empty()),
            })
            .unwrap_or_else(Platform::host)
    }

    async fn image_config(
        &self,
        image: &str,
        platform: &Platform,
    ) -> Result<Vec<u8>, tonic::Status> {
        Ok(self.resolve_image(image, platform).await?.config)
    }

    async fn image_file(
        &self,
        image: &str,
        platform: &Platform,
        paths: &[&str],
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        self.read_image_file(image, platform, paths, &format!("[builder] {image}"))
            .await
    }

    /// Runs where BuildKit names the image this frontend came from: the step runs this same
    /// program, and the reply says which version answered.
    fn scan_step(
        &self,
        request: &ScanRequest,
        excludes: &[String],
    ) -> Option<impl Future<Output = Result<Vec<u8>, tonic::Status>>> {
        let image = self.locals.frontend_image.as_deref()?;
        let context = lower::context(&self.context_local, excludes);
        let reply = lower::scan_step(image, &self.build_platform(), &context, &request.to_json());
        Some(async move {
            let solved = self.client.solve(Definition::marshal(&reply).0).await?;
            self.client
                .read_file(&solved, lower::SCAN_REPLY)
                .await?
                .ok_or_else(|| tonic::Status::not_found("the scan step wrote no reply"))
        })
    }

    fn reason(error: &tonic::Status) -> String {
        error.message().to_string()
    }
}
