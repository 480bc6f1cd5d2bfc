//! The go.work reader and the directory resolution behind `use` and local `replace` on
//! arbitrary text: never a panic, and a resolved directory never leaves the context.

#![no_main]

use gofrontend::gomod::GoWork;
use gofrontend::gosource::resolve;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let work = GoWork::parse(text);
    let dirs = work
        .uses
        .iter()
        .map(|(dir, span)| (dir.as_str(), span.clone()))
        .chain(
            work.local_replaces
                .iter()
                .map(|r| (r.dir.as_str(), r.span.clone())),
        );
    for (dir, span) in dirs {
        assert!(
            text.get(span).is_some(),
            "spans fall on character boundaries"
        );
        for base in [".", "a", "a/b"] {
            if let Some(resolved) = resolve(base, dir) {
                assert!(!resolved.starts_with('/'));
                assert!(
                    resolved
                        .split('/')
                        .all(|part| part != ".." && !part.is_empty())
                );
            }
        }
    }
});
