//! The go.mod reader on arbitrary text: a module path and versions, or a diagnostic that
//! renders; never a panic.

#![no_main]

use gofrontend::diagnostic::TextFile;
use gofrontend::gomod::GoMod;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match GoMod::parse(&TextFile::new("go.mod", text)) {
        Ok(gomod) => {
            assert!(!gomod.module_path.is_empty());
            let _ = gomod.go_release();
            for replace in &gomod.local_replaces {
                assert!(text.get(replace.span.clone()).is_some());
            }
        }
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
        }
    }
});
