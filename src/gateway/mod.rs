//! Talking to BuildKit: the stdio transport and the LLBBridge calls. The only module that
//! does I/O with the daemon.

mod client;
mod context_files;
mod transport;

pub use client::{CacheImport, Client, ResolvedImage, SolvedRef};
pub use context_files::ContextFiles;
pub use transport::stdio_channel;
