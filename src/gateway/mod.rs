//! Talking to BuildKit: the stdio transport and the LLBBridge calls. The only module that
//! does I/O with the daemon.

mod client;
mod transport;

pub use client::{Client, SolvedRef};
pub use transport::stdio_channel;
