use super::*;
use std::convert::Infallible;

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
            constrained: false
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
    ] {
        assert!(platform_specific(name), "{name}");
    }
    for name in ["linux.go", "x.go", "x_test_helper.go", "x_linuxish.go"] {
        assert!(!platform_specific(name), "{name}");
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

/// A build context in memory: paths to contents; directories are implied.
pub struct Files(pub BTreeMap<String, String>);

impl Files {
    pub fn new(files: &[(&str, &str)]) -> Self {
        Self(
            files
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect(),
        )
    }
}

impl SourceFiles for Files {
    type Error = Infallible;

    async fn list(&self, dir: &str) -> Result<Option<Vec<Entry>>, Infallible> {
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: BTreeMap<String, EntryKind> = BTreeMap::new();
        for path in self.0.keys() {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((sub, _)) => entries.insert(sub.to_string(), EntryKind::Dir),
                    None => entries.insert(rest.to_string(), EntryKind::File),
                };
            }
        }
        Ok((!entries.is_empty()).then(|| {
            entries
                .into_iter()
                .map(|(name, kind)| Entry { name, kind })
                .collect()
        }))
    }

    async fn read(&self, path: &str, limit: Option<usize>) -> Result<Vec<u8>, Infallible> {
        let bytes = self.0.get(path).map(|t| t.as_bytes()).unwrap_or_default();
        Ok(bytes[..limit.unwrap_or(bytes.len()).min(bytes.len())].to_vec())
    }
}

pub fn scan_now(files: &Files, module_dir: &str, roots: &[&str]) -> SourceTree {
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    let future = scan(files, "example.com/shop", module_dir, &roots);
    match tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
    {
        Ok(tree) => tree,
        Err(never) => match never {},
    }
}

#[test]
fn scans_only_what_the_roots_reach() {
    let files = Files::new(&[
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
    assert_eq!(tree.module_files, ["go.mod"]);
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
    let files = Files::new(&[
        ("svc/go.mod", "module example.com/shop\n"),
        ("svc/go.sum", ""),
        ("svc/main.go", &long_import_block),
        ("svc/broken.go", "package main\nimport (\n\t42\n)\n"),
    ]);
    assert!(long_import_block.len() > HEADER_READ_LIMIT);
    let tree = scan_now(&files, "svc", &["svc"]);
    assert_eq!(tree.module_files, ["svc/go.mod", "svc/go.sum"]);
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
    let files = Files::new(&[
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
        module_path: "example.com/shop".into(),
        module_dir: "services".into(),
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
