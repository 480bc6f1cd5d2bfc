//! Gofile text (and a scanned source tree) -> marshalled Definition, for 1, 10 and 100 services. Goal: under 1 ms for 10
//! services, growing linearly.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gofrontend::diagnostic::TextFile;
use gofrontend::gofile;
use gofrontend::gomod::GoMod;
use gofrontend::gosource::{ModuleLayout, Package, SourceTree};
use gofrontend::lower::{ContextLocal, lower};
use gofrontend::options::BuildOptions;
use gofrontend::plan::{self, BuilderConfig, PlanInputs};
use gofrontend::platform::Platform;

fn gofile_with(services: usize) -> String {
    let mut text = String::from(
        "# syntax=org/gofrontend\n[build]\nldflags = \"-s -w -X main.version=${VERSION:-dev}\"\n",
    );
    for i in 0..services {
        text.push_str(&format!(
            "\n[services.svc{i}]\npackage = \"./cmd/svc{i}\"\nports = [8080]\nenv = {{ MODE = \"prod\" }}\nlabels = {{ team = \"t{i}\" }}\n"
        ));
    }
    text
}

/// What a scan of the workload finds: every service imports a shared package and net/http.
fn source_tree(services: usize) -> SourceTree {
    let main = Package {
        files: vec!["main.go".into()],
        imports: [
            "example.com/bench/internal/shared".into(),
            "net/http".into(),
        ]
        .into(),
        unconstrained_imports: [
            "example.com/bench/internal/shared".into(),
            "net/http".into(),
        ]
        .into(),
        ..Package::default()
    };
    let shared = Package {
        files: vec!["shared.go".into()],
        ..Package::default()
    };
    let mut packages: BTreeMap<String, Option<Package>> = (0..services)
        .map(|i| (format!("cmd/svc{i}"), Some(main.clone())))
        .collect();
    packages.insert("internal/shared".into(), Some(shared));
    SourceTree {
        modules: ModuleLayout::single("example.com/bench", "."),
        packages,
        ..SourceTree::default()
    }
}

fn gofile_to_definition(
    text: &str,
    tree: &SourceTree,
    gomod: &GoMod,
    builder: &BuilderConfig,
    options: &BuildOptions,
) -> Vec<u8> {
    let source = TextFile::new("Gofile", text);
    let gofile = gofile::parse(&source, &BTreeMap::new()).expect("valid Gofile");
    let inputs = PlanInputs {
        gofile: &gofile,
        gofile_source: &source,
        gomod,
        options,
        builder_image: "docker.io/library/golang:1.24",
        builder,
        build_platform: Platform::linux("amd64"),
        excludes: Vec::new(),
        scan: tree,
        context_files: &BTreeMap::new(),
    };
    let plan = plan::plan(&inputs, Platform::linux("amd64")).expect("valid plan");
    lower(&plan, &ContextLocal::default()).to_bytes()
}

fn pipeline(c: &mut Criterion) {
    let gomod = GoMod::parse(&TextFile::new(
        "go.mod",
        "module example.com/bench\n\ngo 1.24\n",
    ))
    .expect("valid go.mod");
    let builder = BuilderConfig::official_golang();
    let options = BuildOptions::default();
    let mut group = c.benchmark_group("gofile_to_definition");
    for services in [1, 10, 100] {
        let text = gofile_with(services);
        let tree = source_tree(services);
        group.throughput(Throughput::Elements(services as u64));
        group.bench_with_input(BenchmarkId::from_parameter(services), &text, |b, text| {
            b.iter(|| gofile_to_definition(black_box(text), &tree, &gomod, &builder, &options))
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
