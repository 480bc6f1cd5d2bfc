//! The no-op floor of `bench/compare`: a frontend that connects to BuildKit and returns an
//! empty result at once. Its build time on a daemon is what any frontend image costs there
//! (starting its container, the gateway, the export) before doing any work, the floor that
//! gofrontend's no-op rebuild is measured against. Built by `bench/noop-frontend-image`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use gofrontend::gateway::{Client, stdio_channel};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let returned = async {
        let client = Client::connect(stdio_channel().await?).await?;
        client
            .return_result(None, BTreeMap::new(), BTreeMap::new())
            .await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };
    match returned.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("noop-frontend: {err}");
            ExitCode::FAILURE
        }
    }
}
