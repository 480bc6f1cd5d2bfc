//! The gateway connection: BuildKit hands the frontend one gRPC connection (HTTP/2, prior
//! knowledge) split over stdin and stdout. The frontend is the client.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{Join, join};
use tokio::net::unix::pipe;
use tonic::transport::{Channel, Endpoint};

type Stdio = Join<pipe::Receiver, pipe::Sender>;

/// A channel over this process's stdin and stdout. Nothing else may write to stdout.
pub async fn stdio_channel() -> Result<Channel, Box<dyn std::error::Error + Send + Sync>> {
    let stdin: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned()?;
    let stdout: OwnedFd = std::io::stdout().as_fd().try_clone_to_owned()?;
    let stdio = join(
        pipe::Receiver::from_owned_fd(stdin)?,
        pipe::Sender::from_owned_fd(stdout)?,
    );
    let slot: Arc<Mutex<Option<Stdio>>> = Arc::new(Mutex::new(Some(stdio)));
    let connector = tower::service_fn(move |_| {
        let stdio = slot.lock().ok().and_then(|mut slot| slot.take());
        async move {
            stdio
                .map(TokioIo::new)
                .ok_or_else(|| std::io::Error::other("the stdio connection to BuildKit was lost"))
        }
    });
    // The address is never dialled: the connector hands out the one stdio stream.
    let channel = Endpoint::from_static("http://[::]:50051")
        .connect_with_connector(connector)
        .await?;
    Ok(channel)
}
