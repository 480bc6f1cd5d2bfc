//! The whole pure pipeline on arbitrary input: a Gofile, frontend options and a
//! `.dockerignore`, separated by NUL bytes. Any error must come back as a diagnostic or an
//! option error; a panic, a hang or a runaway allocation is a bug.

#![no_main]

use std::collections::BTreeMap;

use gofrontend::diagnostic::SourceFile;
use gofrontend::dockerignore;
use gofrontend::gofile;
use gofrontend::gomod::GoMod;
use gofrontend::gosource::{self, ModuleLayout, Package, SourceTree};
use gofrontend::lower::{ContextSource, lower};
use gofrontend::options::BuildOptions;
use gofrontend::plan::{self, BuilderConfig, PlanInputs};
use gofrontend::platform::Platform;
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

    let source = SourceFile::new("Gofile", gofile_text);
    let gofile = match gofile::parse(&source, &build_args) {
        Ok(gofile) => gofile,
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
            return;
        }
    };
    let gomod = GoMod::parse(&SourceFile::new(
        "go.mod",
        "module example.com/fuzz\ngo 1.24\n",
    ))
    .expect("a fixed, valid go.mod");
    // Every service's package exists and imports a shared one, so plans have a shared step.
    let main = Package {
        files: vec!["main.go".into()],
        imports: ["example.com/fuzz/lib".into()].into(),
        unconstrained_imports: ["example.com/fuzz/lib".into()].into(),
        ..Package::default()
    };
    let mut packages: BTreeMap<String, Option<Package>> = plan::scan_roots(&gofile, &options)
        .into_iter()
        .map(|root| (root, Some(main.clone())))
        .collect();
    packages.insert(
        gosource::join(&gofile.module.value, "lib"),
        Some(Package::default()),
    );
    let tree = SourceTree {
        modules: ModuleLayout::single("example.com/fuzz", &gofile.module.value),
        packages,
        vendored: false,
    };
    let result = plan::plan_platforms(&PlanInputs {
        gofile: &gofile,
        gofile_source: &source,
        gomod: &gomod,
        options: &options,
        builder: &BuilderConfig::official_golang(),
        build_platform: Platform::linux("amd64"),
        excludes: dockerignore::parse(ignore_text),
        sources: &tree,
    });
    match result {
        Ok(plans) => {
            for plan in plans {
                let definition = lower(&plan, &ContextSource::default());
                assert!(!definition.to_bytes().is_empty());
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
