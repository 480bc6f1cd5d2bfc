//! The whole pipeline, over inputs in memory, on arbitrary input: a Gofile, frontend options and a
//! `.dockerignore`, separated by NUL bytes. Any error must come back as a diagnostic or an
//! option error; a panic, a hang or a runaway allocation is a bug.

#![no_main]

use std::collections::BTreeMap;

use gofrontend::diagnostic::TextFile;
use gofrontend::gofile;
use gofrontend::gosource::{self, MemoryFiles};
use gofrontend::lower::{ContextLocal, lower};
use gofrontend::options::BuildOptions;
use gofrontend::pipeline::{self, MemoryInputs};
use gofrontend::plan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = input.splitn(3, '\0');
    let gofile_text = parts.next().unwrap_or_default();
    let option_lines = parts.next().unwrap_or_default();
    let ignore_text = parts.next().unwrap_or_default();

    let pairs = option_lines
        .lines()
        .map(|line| line.split_once('=').unwrap_or((line, "")));
    let options = match BuildOptions::from_pairs(pairs) {
        Ok(options) => options,
        Err(err) => {
            let _ = err.to_string();
            BuildOptions::default()
        }
    };
    let mut build_args = options.build_args.clone();
    build_args.extend(BTreeMap::from([(
        "VERSION".to_string(),
        "1.2.3".to_string(),
    )]));

    // The roots the plan will scan, so every service's package exists and imports a shared
    // one: plans have a shared step.
    let gofile = match gofile::parse(&TextFile::new("Gofile", gofile_text), &build_args) {
        Ok(gofile) => gofile,
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
            return;
        }
    };
    let mut context = MemoryFiles::new(&[
        (
            &gosource::join(&gofile.module.value, "go.mod"),
            "module example.com/fuzz\ngo 1.24\n",
        ),
        (
            &gosource::join(&gofile.module.value, "lib/lib.go"),
            "package lib\n",
        ),
    ]);
    for root in plan::scan_roots(&gofile, &options).dirs {
        context.files.insert(
            gosource::join(&root, "main.go"),
            b"package main\nimport \"example.com/fuzz/lib\"\n".to_vec(),
        );
    }
    let mut inputs = MemoryInputs::new(gofile_text, context);
    inputs.gofile_ignore = Some(ignore_text.as_bytes().to_vec());
    let mut options = options;
    options.build_args = build_args;
    let result = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(pipeline::load_and_plan(&inputs, &options));
    match result {
        Ok(planned) => {
            for plan in planned.plans {
                let definition = lower(&plan, &ContextLocal::default());
                assert!(!definition.to_bytes().is_empty());
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
