use super::*;

use crate::diagnostic::{Diagnostics, TextFile};
use crate::gomod::GoMod;

fn header(text: &str) -> Header {
    match parse(text.as_bytes(), true) {
        Ok(Parsed::Header(header)) => header,
        other => panic!("expected a header, got {other:?}"),
    }
}

#[test]
fn reads_every_form_of_import() {
    let text = "\u{feff}// Package api serves.\n/* block\n comment */\npackage api // trailing\n\n\
                import \"fmt\"\nimport (\n\t\"net/http\" // why\n\tj \"encoding/json\"\n\t. \"math\"\n\t_ \"embed\"; \"os\"\n\t/* c */ `strings`\n)\n\
                import \"C\"\n\nfunc main() { import_not_this() }\n";
    let parsed = header(text);
    assert_eq!(parsed.package, "api");
    assert_eq!(
        parsed.imports,
        [
            "fmt",
            "net/http",
            "encoding/json",
            "math",
            "embed",
            "os",
            "strings",
            "C"
        ]
    );
    assert!(!parsed.constrained);
}

#[test]
fn stops_at_the_first_other_declaration() {
    let parsed = header("package p\nimport \"a\"\nvar x = 1\nimport \"never\"\n");
    assert_eq!(parsed.imports, ["a"]);
    assert_eq!(header("package p\n").imports, Vec::<String>::new());
    assert_eq!(header("package p; import \"a\"").imports, ["a"]);
}

#[test]
fn notices_build_constraints_before_the_package_clause() {
    assert!(header("//go:build linux && amd64\n\npackage p\n").constrained);
    assert_eq!(
        header("// Copyright\n\n//go:build linux && amd64 \n\npackage p\n")
            .build_expression
            .as_deref(),
        Some("linux && amd64")
    );
    assert!(header("// +build ignore\n\npackage p\n").constrained);
    assert!(!header("// a comment about go:build\npackage p\n").constrained);
    assert!(!header("package p\n//go:build linux\n").constrained);
}

#[test]
fn a_cut_off_header_asks_for_the_whole_file() {
    let text = b"package p\n\nimport (\n\t\"fmt\"\n\t\"os";
    assert_eq!(parse(text, false), Ok(Parsed::Truncated));
    assert!(
        parse(text, true).is_err(),
        "a whole file cannot end inside a string"
    );
    assert_eq!(
        parse(b"package p\nimport \"a\"\n", false),
        Ok(Parsed::Truncated)
    );
    assert_eq!(
        parse(b"package p\nimport \"a\"\nfunc", false),
        Ok(Parsed::Header(Header {
            package: "p".into(),
            imports: vec!["a".into()],
            constrained: false,
            build_expression: None,
        }))
    );
}

#[test]
fn malformed_headers_are_errors_with_their_line() {
    let err = parse(b"package p\nimport (\n\t42\n)\n", true).unwrap_err();
    assert_eq!(err.to_string(), "line 3: expected an import, found `4`");
    let err = parse(b"func main() {}\n", true).unwrap_err();
    assert_eq!(err.line, 1);
    assert!(parse(b"// only a comment\n", true).is_err());
    assert!(parse(b"package p\nimport \"a\\x41\"\n", true).is_err());
    assert!(parse(b"package p\nimport \"\"\n", true).is_err());
}

#[test]
fn reads_embed_patterns() {
    let text = b"package p\nimport _ \"embed\"\n//go:embed static/*.html \"with space.txt\" `raw`\nvar f embed.FS\n\t//go:embed all:assets\n//go:embedded not this\n";
    assert_eq!(
        embed_patterns(text).unwrap(),
        ["static/*.html", "with space.txt", "raw", "all:assets"]
    );
    assert!(embed_patterns(b"//go:embed \"open\n").is_err());
}

#[test]
fn file_names_can_restrict_platforms() {
    for name in [
        "x_linux.go",
        "x_arm64.go",
        "x_linux_arm64.go",
        "x_windows.go",
        "x_windows_test.go",
    ] {
        assert_ne!(constraint::name_platform(name), (None, None), "{name}");
    }
    for name in ["linux.go", "x.go", "x_test_helper.go", "x_linuxish.go"] {
        assert_eq!(constraint::name_platform(name), (None, None), "{name}");
    }
}

#[test]
fn entry_kinds_follow_go_file_modes() {
    assert_eq!(EntryKind::from_go_mode(0o644), EntryKind::File);
    assert_eq!(EntryKind::from_go_mode((1 << 31) | 0o755), EntryKind::Dir);
    assert_eq!(
        EntryKind::from_go_mode((1 << 27) | 0o777),
        EntryKind::Symlink
    );
    assert_eq!(EntryKind::from_go_mode((1 << 25) | 0o644), EntryKind::Other);
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// The module layout as the frontend finds it, with go.work.
fn layout(files: &MemoryFiles, module_dir: &str) -> Result<ModuleLayout, Diagnostics> {
    layout_with(files, module_dir, true)
}

fn layout_with(
    files: &MemoryFiles,
    module_dir: &str,
    use_workspace: bool,
) -> Result<ModuleLayout, Diagnostics> {
    let path = join(module_dir, "go.mod");
    let text = files
        .files
        .get(path.as_str())
        .map_or("module example.com/shop\n".into(), |t| {
            String::from_utf8_lossy(t)
        });
    let source = TextFile::new(path.clone(), text);
    let gomod = GoMod::parse(&source)?;
    match block_on(discover(files, &gomod, &source, module_dir, use_workspace)) {
        Ok(layout) => Ok(layout),
        Err(LayoutError::Source(diagnostics)) => Err(diagnostics),
        Err(LayoutError::Read(err)) => panic!("{err}"),
    }
}

pub fn scan_now(files: &MemoryFiles, module_dir: &str, roots: &[&str]) -> SourceTree {
    scan_with(files, module_dir, roots, true)
}

pub fn scan_with(
    files: &MemoryFiles,
    module_dir: &str,
    roots: &[&str],
    use_workspace: bool,
) -> SourceTree {
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    let modules = layout_with(files, module_dir, use_workspace).unwrap();
    block_on(scan(files, modules, &ScanRoots::packages(roots))).unwrap()
}

#[test]
fn scans_only_what_the_roots_reach() {
    let files = MemoryFiles::new(&[
        ("go.mod", "module example.com/shop\n"),
        (
            "cmd/api/main.go",
            "package main\nimport (\n\"example.com/shop/internal/db\"\n\"fmt\"\n)\n",
        ),
        (
            "cmd/api/main_test.go",
            "package main\nimport \"example.com/shop/internal/testonly\"\n",
        ),
        ("cmd/api/static/index.html", "<p>"),
        (
            "internal/db/db.go",
            "package db\nimport \"github.com/lib/pq\"\n",
        ),
        (
            "internal/db/db_windows.go",
            "package db\nimport \"golang.org/x/sys/windows\"\n",
        ),
        ("internal/db/.hidden.go", "not go at all"),
        ("internal/unused/u.go", "package unused\n"),
    ]);
    let tree = scan_now(&files, ".", &["cmd/api"]);
    assert_eq!(tree.modules.files, ["go.mod"]);
    assert_eq!(
        tree.packages.keys().collect::<Vec<_>>(),
        ["cmd/api", "internal/db"]
    );
    let api = tree.packages["cmd/api"].as_ref().unwrap();
    assert_eq!(api.files, ["main.go"], "tests are left out");
    assert_eq!(api.subdirs, ["static"]);
    let db = tree.packages["internal/db"].as_ref().unwrap();
    assert_eq!(
        db.imports.iter().collect::<Vec<_>>(),
        ["github.com/lib/pq", "golang.org/x/sys/windows"]
    );
    assert_eq!(
        db.unconstrained_imports.iter().collect::<Vec<_>>(),
        ["github.com/lib/pq"]
    );
    assert_eq!(db.unsure, None, "files Go ignores are not read");
}

#[test]
fn missing_packages_unreadable_files_and_long_headers() {
    let long_import_block = format!(
        "package main\nimport (\n{}\"example.com/shop/gone\"\n)\n",
        "\t\"fmt\" // padding padding padding padding padding padding padding\n".repeat(400)
    );
    let files = MemoryFiles::new(&[
        ("svc/go.mod", "module example.com/shop\n"),
        ("svc/go.sum", ""),
        ("svc/main.go", &long_import_block),
        ("svc/broken.go", "package main\nimport (\n\t42\n)\n"),
    ]);
    assert!(long_import_block.len() > HEADER_READ_LIMIT);
    let tree = scan_now(&files, "svc", &["svc"]);
    assert_eq!(tree.modules.files, ["svc/go.mod", "svc/go.sum"]);
    assert_eq!(tree.packages["svc/gone"], None);
    let main = tree.packages["svc"].as_ref().unwrap();
    assert!(main.imports.contains("example.com/shop/gone"));
    assert_eq!(
        main.unsure.as_deref(),
        Some("cannot read the imports of svc/broken.go: line 3: expected an import, found `4`")
    );
}

#[test]
fn embeds_and_cgo_are_recorded() {
    let files = MemoryFiles::new(&[
        ("go.mod", "module example.com/shop\n"),
        (
            "web/web.go",
            "package main\nimport (\n\t\"C\"\n\t_ \"embed\"\n)\n\n//go:embed templates\nvar t string\n",
        ),
        ("web/templates/a.tmpl", "a"),
    ]);
    let tree = scan_now(&files, ".", &["web"]);
    let web = tree.packages["web"].as_ref().unwrap();
    assert!(web.cgo);
    assert_eq!(web.embeds, ["templates"]);
}

#[test]
fn import_paths_map_to_directories_of_the_module_only() {
    let tree = SourceTree {
        modules: ModuleLayout::single("example.com/shop", "services"),
        ..SourceTree::default()
    };
    assert_eq!(
        tree.local_dir("example.com/shop").as_deref(),
        Some("services")
    );
    assert_eq!(
        tree.local_dir("example.com/shop/internal/db").as_deref(),
        Some("services/internal/db")
    );
    assert_eq!(tree.local_dir("example.com/shopping"), None);
    assert_eq!(tree.local_dir("fmt"), None);
    assert_eq!(
        tree.import_path("services/internal/db"),
        "example.com/shop/internal/db"
    );
    assert_eq!(tree.import_path("services"), "example.com/shop");
}

#[test]
fn local_replacements_are_modules_of_the_context() {
    let files = MemoryFiles::new(&[
        (
            "app/go.mod",
            "module example.com/app\nrequire example.com/lib v0.0.0\nreplace example.com/lib => ../lib\nreplace example.com/remote => example.com/fork v1.0.0\n",
        ),
        ("app/go.sum", ""),
        (
            "app/main.go",
            "package main\nimport \"example.com/lib/greet\"\n",
        ),
        ("lib/go.mod", "module example.com/lib\n"),
        (
            "lib/greet/greet.go",
            "package greet\nimport \"example.com/lib/inner\"\n",
        ),
        ("lib/inner/inner.go", "package inner\n"),
        ("lib/unused/unused.go", "package unused\n"),
    ]);
    let tree = scan_now(&files, "app", &["app"]);
    assert_eq!(
        tree.modules.files,
        ["app/go.mod", "app/go.sum", "lib/go.mod"]
    );
    assert_eq!(tree.modules.workfile, None);
    assert_eq!(
        tree.packages.keys().collect::<Vec<_>>(),
        ["app", "lib/greet", "lib/inner"]
    );
    assert_eq!(tree.import_path("lib/greet"), "example.com/lib/greet");
    assert_eq!(tree.import_path("app"), "example.com/app");
}

#[test]
fn a_workspace_brings_its_modules_and_replacements() {
    let files = MemoryFiles::new(&[
        (
            "go.work",
            "go 1.24\nuse (\n\t./services/api\n\t./lib\n)\nreplace example.com/x => ./third_party/x\n",
        ),
        ("go.work.sum", ""),
        (
            "services/api/go.mod",
            "module example.com/api\nreplace example.com/x => ../../elsewhere\n",
        ),
        (
            "services/api/main.go",
            "package main\nimport (\n\"example.com/lib\"\n\"example.com/x/y\"\n)\n",
        ),
        ("lib/go.mod", "module example.com/lib\n"),
        ("lib/go.sum", ""),
        ("lib/lib.go", "package lib\n"),
        ("third_party/x/go.mod", "module example.com/x\n"),
        ("third_party/x/y/y.go", "package y\n"),
    ]);
    let tree = scan_now(&files, "services/api", &["services/api"]);
    assert_eq!(tree.modules.workfile.as_deref(), Some("go.work"));
    assert_eq!(
        tree.modules.files,
        [
            "go.work",
            "go.work.sum",
            "lib/go.mod",
            "lib/go.sum",
            "services/api/go.mod",
            "third_party/x/go.mod"
        ]
    );
    assert_eq!(
        tree.packages.keys().collect::<Vec<_>>(),
        ["lib", "services/api", "third_party/x/y"],
        "go.work's replacement wins over the module's"
    );
}

#[test]
fn module_directories_outside_the_context_or_the_workspace_are_errors() {
    let outside = MemoryFiles::new(&[("go.mod", "module m\nreplace example.com/lib => ../lib\n")]);
    assert_eq!(
        layout(&outside, ".").unwrap_err().headlines(),
        ["go.mod:2:28: `replace` points at `../lib`, which is outside the build context"]
    );
    let absolute = MemoryFiles::new(&[(
        "go.mod",
        "module m\nreplace example.com/lib => /home/me/lib\n",
    )]);
    assert!(layout(&absolute, ".").is_err());
    let windows = MemoryFiles::new(&[("go.mod", "module m\nreplace example.com/lib => ..\\lib\n")]);
    assert_eq!(
        layout(&windows, ".").unwrap_err().headlines(),
        ["go.mod:2:28: `replace` points at `..\\lib`, a Windows path"]
    );
    let not_used = MemoryFiles::new(&[
        ("go.work", "use ./lib\n"),
        ("lib/go.mod", "module example.com/lib\n"),
        ("app/go.mod", "module example.com/app\n"),
    ]);
    let err = layout(&not_used, "app").unwrap_err();
    assert_eq!(
        err.headlines(),
        ["go.work:2:1: the Gofile's module `app` is not one of this workspace's modules"]
    );
    assert!(err.to_string().contains("go work use ./app"), "{err}");
    let missing = MemoryFiles::new(&[
        ("go.work", "use (\n\t.\n\t./gone\n)\n"),
        ("go.mod", "module m\n"),
    ]);
    assert_eq!(
        layout(&missing, ".").unwrap_err().headlines(),
        ["go.work:3:2: `./gone` has no go.mod in the build context"]
    );
}

#[test]
fn the_layout_counts_the_module_versions_its_go_sum_files_vouch_for() {
    let files = MemoryFiles::new(&[
        (
            "app/go.mod",
            "module example.com/app\nreplace example.com/lib => ../lib\n",
        ),
        (
            "app/go.sum",
            "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\n",
        ),
        ("lib/go.mod", "module example.com/lib\n"),
        (
            "lib/go.sum",
            "example.com/a v1.0.0 h1:x=\nexample.com/b v1.2.0 h1:z=\nexample.com/c v0.1.0/go.mod h1:w=\n",
        ),
    ]);
    assert_eq!(layout(&files, "app").unwrap().sum_modules, 2);
}

/// Records every directory listed.
struct Counting<'a>(&'a MemoryFiles, std::cell::RefCell<Vec<String>>);

impl SourceFiles for Counting<'_> {
    type Error = String;

    async fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, String> {
        self.1.borrow_mut().push(dir.to_string());
        self.0.list(dir).await
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> Result<Vec<u8>, String> {
        self.0.read(path, limit).await
    }
}

#[test]
fn discovery_lists_each_directory_once() {
    let files = MemoryFiles::new(&[
        ("go.work", "use ./app\n"),
        ("app/go.mod", "module example.com/app\n"),
        ("app/go.sum", "example.com/a v1.0.0 h1:x=\n"),
    ]);
    let counting = Counting(&files, Default::default());
    let source = TextFile::new("app/go.mod", "module example.com/app\n");
    let gomod = GoMod::parse(&source).unwrap();
    let layout = match block_on(discover(&counting, &gomod, &source, "app", true)) {
        Ok(layout) => layout,
        Err(LayoutError::Source(err)) => panic!("{err}"),
        Err(LayoutError::Read(err)) => panic!("{err}"),
    };
    assert_eq!(layout.sum_modules, 1);
    let mut listed = counting.1.into_inner();
    let all = listed.len();
    listed.sort();
    listed.dedup();
    assert_eq!(all, listed.len(), "{listed:?}");
}

#[test]
fn the_test_target_reads_test_files_and_follows_their_imports() {
    let files = MemoryFiles::new(&[
        ("go.mod", "module example.com/m\n\ngo 1.24\n"),
        ("calc/calc.go", "package calc\n\nimport \"strconv\"\n"),
        (
            "calc/calc_test.go",
            "package calc\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/internal/fixture\"\n)\n",
        ),
        (
            "calc/example_test.go",
            "package calc_test\n\nimport \"example.com/m/calc\"\n",
        ),
        (
            "calc/windows_test.go",
            "//go:build windows\n\npackage calc\n\nimport \"syscall\"\n",
        ),
        ("internal/fixture/fixture.go", "package fixture\n"),
        (
            "internal/fixture/fixture_test.go",
            "package fixture\n\nimport \"testing\"\n",
        ),
        ("reads/reads.go", "package reads\n"),
        (
            "reads/reads_test.go",
            "package reads\n\nimport \"os\"\n\nvar golden, _ = os.ReadFile(\"../testdata/golden.txt\")\n",
        ),
        ("joins/joins.go", "package joins\n"),
        (
            "joins/joins_test.go",
            "package joins\n\nimport \"path/filepath\"\n\nvar root = filepath.Join(\"..\", \"testdata\")\n",
        ),
        ("embeds/embeds.go", "package embeds\n"),
        (
            "embeds/embeds_test.go",
            "package embeds\n\nimport _ \"embed\"\n\n//go:embed fixtures\nvar fixtures string\n",
        ),
    ]);
    let modules = layout(&files, ".").unwrap();
    let roots = ScanRoots::tests(vec!["./calc/...".to_string(), "./nothing/...".to_string()]);
    let tree = block_on(scan(&files, modules.clone(), &roots)).unwrap();
    assert_eq!(tree.tested, ["calc"]);
    assert_eq!(tree.unmatched_patterns, ["./nothing/..."]);
    let calc = tree.packages["calc"].as_ref().unwrap();
    assert_eq!(calc.test_unsure, None);
    assert_eq!(
        calc.test_files,
        ["calc_test.go", "example_test.go", "windows_test.go"]
    );
    assert!(calc.test_imports.contains("syscall"));
    assert!(!calc.unconstrained_test_imports.contains("syscall"));
    assert!(calc.unconstrained_test_imports.contains("testing"));
    assert_eq!(calc.names, ["calc"].into_iter().map(String::from).collect());
    // Reached only from a test file: scanned too (its test files are listed, not tested).
    let fixture = tree.packages["internal/fixture"].as_ref().unwrap();
    assert_eq!(fixture.files, ["fixture.go"]);
    assert_eq!(fixture.test_files, ["fixture_test.go"]);

    let unsure = |dir: &str| {
        let roots = ScanRoots::tests(vec![format!("./{dir}")]);
        let tree = block_on(scan(&files, layout(&files, ".").unwrap(), &roots)).unwrap();
        tree.packages[dir].as_ref().unwrap().test_unsure.clone()
    };
    assert_eq!(
        unsure("reads").as_deref(),
        Some("reads/reads_test.go names a path outside its directory")
    );
    assert_eq!(
        unsure("joins").as_deref(),
        Some("joins/joins_test.go names a path outside its directory")
    );
    assert_eq!(
        unsure("embeds").as_deref(),
        Some("embeds/embeds_test.go embeds files")
    );

    assert!(calc.test_dirs.is_empty());

    // A build of services reads no test file.
    let build = block_on(scan(
        &files,
        modules,
        &ScanRoots::packages(vec!["calc".into()]),
    ))
    .unwrap();
    let calc = build.packages["calc"].as_ref().unwrap();
    assert!(calc.test_files.is_empty() && calc.test_imports.is_empty());
    assert!(!build.packages.contains_key("internal/fixture"));
}

#[test]
fn a_package_s_tests_see_testdata_and_the_subdirectories_their_literals_name() {
    let files = MemoryFiles::new(&[
        ("go.mod", "module example.com/m\n\ngo 1.24\n"),
        ("render/render.go", "package render\n"),
        (
            "render/render_test.go",
            "package render\n\nimport (\n\t\"os\"\n\t\"path/filepath\"\n)\n\n\
             var in, _ = os.ReadFile(\"fixtures/in.json\")\n\
             var want, _ = os.ReadFile(filepath.Join(`golden`, \"out.txt\"))\n\
             var cases, _ = os.ReadDir(\"./cases/\")\n",
        ),
        ("render/fixtures/in.json", "{}"),
        ("render/golden/out.txt", "out"),
        ("render/testdata/case.txt", "case"),
        ("render/assets/logo.svg", "<svg/>"),
        ("render/cases/one.txt", "1"),
        ("plain/plain.go", "package plain\n"),
        ("plain/testdata/unused.txt", ""),
    ]);
    let roots = ScanRoots::tests(vec!["./...".to_string()]);
    let tree = block_on(scan(&files, layout(&files, ".").unwrap(), &roots)).unwrap();
    let render = tree.packages["render"].as_ref().unwrap();
    assert_eq!(
        render.test_dirs,
        ["cases", "fixtures", "golden", "testdata"]
    );
    // Without test files, nothing runs and nothing is added.
    assert!(
        tree.packages["plain"]
            .as_ref()
            .unwrap()
            .test_dirs
            .is_empty()
    );
}
