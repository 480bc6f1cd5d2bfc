//! The Go file header reader on arbitrary bytes, cut off anywhere: it must return a header, ask
//! for more of the file, or fail with an error, and never panic.

#![no_main]

use gofrontend::gosource::{embed_patterns, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse(data, true);
    let _ = parse(data, false);
    let _ = embed_patterns(data);
});
