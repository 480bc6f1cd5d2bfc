use super::*;

fn linux_amd64() -> pb::Platform {
    pb::Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..pb::Platform::default()
    }
}

fn golang() -> Output {
    image(
        "docker.io/library/golang:1.24",
        linux_amd64(),
        ResolveMode::Default,
        "golang",
    )
}

fn exec(mounts: Vec<Mount>) -> ExecOutputs {
    Exec {
        name: "step".into(),
        args: vec!["true".into()],
        env: vec![],
        cwd: "/".into(),
        network: NetworkMode::None,
        platform: linux_amd64(),
        ignore_cache: false,
        mounts,
    }
    .build()
}

fn bind(dest: &str, input: Option<Output>, readonly: bool) -> Mount {
    Mount::Bind {
        dest: dest.into(),
        input,
        selector: None,
        access: if readonly {
            Access::ReadOnly
        } else {
            Access::Output
        },
    }
}

fn exec_op(output: &Output) -> &pb::ExecOp {
    match &output.node.op {
        pb::op::Op::Exec(exec) => exec,
        _ => panic!("not an exec"),
    }
}

#[test]
fn exec_outputs_follow_the_sorted_writable_mounts() {
    let base = golang();
    let outputs = exec(vec![
        bind("/out", None, false),
        Mount::Cache {
            dest: "/cache".into(),
            id: "c".into(),
            sharing: CacheSharing::Shared,
        },
        bind("/src", Some(base.clone()), true),
        bind("/", Some(base), false),
    ]);
    let out = outputs.output("/out").unwrap();
    assert_eq!(out.index, 1);
    assert_eq!(outputs.output("/").unwrap().index, 0);
    assert!(outputs.output("/src").is_none() && outputs.output("/cache").is_none());
    let op = exec_op(&out);
    let mounts: Vec<(&str, i64, i64)> = op
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input, m.output))
        .collect();
    assert_eq!(
        mounts,
        [
            ("/", 0, 0),
            ("/cache", -1, -1),
            ("/out", -1, 1),
            ("/src", 0, -1)
        ]
    );
    assert_eq!(
        out.node.inputs.len(),
        1,
        "one input for the same output mounted twice"
    );
    assert_eq!(op.network, pb::NetMode::None as i32);
    assert!(
        out.node.meta.caps.contains("exec.mount.cache")
            && out.node.meta.caps.contains("exec.meta.network")
    );
}

#[test]
fn a_mount_keyed_by_its_op_turns_the_content_checksum_off_and_asks_for_the_cap() {
    let layer = exec(vec![
        bind("/", Some(golang()), false),
        bind("/out", None, false),
    ])
    .output("/out")
    .unwrap();
    let mounted = |access| {
        exec(vec![
            bind("/", Some(golang()), false),
            Mount::Bind {
                dest: "/seed".into(),
                input: Some(layer.clone()),
                selector: None,
                access,
            },
        ])
        .output("/")
        .unwrap()
    };
    let keyed = mounted(Access::ReadOnlyKeyedByOp);
    let seed = &exec_op(&keyed).mounts[1];
    assert_eq!(seed.dest, "/seed");
    assert!(seed.readonly);
    assert_eq!(seed.output, -1);
    assert_eq!(seed.content_cache(), pb::MountContentCache::Off);
    assert!(keyed.node.meta.caps.contains(CAP_MOUNT_CONTENT_CACHE));

    let checksummed = mounted(Access::ReadOnly);
    let seed = &exec_op(&checksummed).mounts[1];
    assert!(seed.readonly);
    assert_eq!(seed.content_cache(), pb::MountContentCache::Default);
    assert!(!checksummed.node.meta.caps.contains(CAP_MOUNT_CONTENT_CACHE));
}

#[test]
fn marshalling_is_deterministic_and_deduplicated() {
    let build = || {
        // The same image twice: one op in the definition.
        let root = bind("/", Some(golang()), false);
        let src = bind("/src", Some(golang()), true);
        let outputs = exec(vec![root, src, bind("/out", None, false)]);
        Definition::marshal(&outputs.output("/out").unwrap())
    };
    let first = build();
    assert_eq!(first.to_bytes(), build().to_bytes());
    let ops = first.ops().unwrap();
    assert_eq!(ops.len(), 3, "image, exec, terminal");
    let terminal = ops.last().unwrap();
    assert!(terminal.op.op.is_none() && terminal.metadata.is_none());
    assert_eq!(terminal.op.inputs[0].digest, ops[1].digest);
    assert_eq!(terminal.op.inputs[0].index, 1);
    assert_eq!(
        ops[1].op.inputs.len(),
        2,
        "the exec names the image once per distinct output"
    );
    let meta = ops[0].metadata.as_ref().unwrap();
    assert_eq!(meta.description["llb.customname"], "golang");
    assert_eq!(
        meta.caps.keys().collect::<Vec<_>>(),
        ["platform", "source.image"]
    );
    let round_trip = Definition::from_bytes(&first.to_bytes()).unwrap();
    assert_eq!(round_trip.to_bytes(), first.to_bytes());
}

#[test]
fn copies_chain_their_actions() {
    let a = exec(vec![
        bind("/", Some(golang()), false),
        bind("/out", None, false),
    ])
    .output("/out")
    .unwrap();
    let copy = CopyOp::onto(None, "copy")
        .file(a.clone(), "/a", "/bin/a")
        .file(a, "/b", "/bin/b")
        .timestamp(Some(10))
        .build();
    let pb::op::Op::File(file) = &copy.node.op else {
        panic!("not a file op")
    };
    let shape: Vec<(i64, i64, i64)> = file
        .actions
        .iter()
        .map(|a| (a.input, a.secondary_input, a.output))
        .collect();
    assert_eq!(shape, [(-1, 0, -1), (1, 0, 0)]);
    let Some(pb::file_action::Action::Copy(first)) = &file.actions[0].action else {
        panic!("not a copy")
    };
    assert_eq!((first.mode, first.timestamp), (-1, 10_000_000_000));
}

#[test]
fn copies_and_directories_carry_their_mode_and_owner() {
    let context = Local::named("context").output("context");
    let copy = CopyOp::onto(Some(golang()), "files")
        .mkdir(
            "/srv",
            Attributes {
                mode: 0o755,
                owner: Owner::Names {
                    user: "nonroot".into(),
                    group: "nonroot".into(),
                },
            },
        )
        .file_as(
            context,
            "/web/index.html",
            "/srv/index.html",
            Attributes {
                mode: 0o640,
                owner: Owner::Ids { uid: 7, gid: 8 },
            },
        )
        .build();
    let pb::op::Op::File(file) = &copy.node.op else {
        panic!("not a file op")
    };
    let Some(pb::file_action::Action::Mkdir(mkdir)) = &file.actions[0].action else {
        panic!("not a mkdir")
    };
    assert_eq!((mkdir.mode, mkdir.make_parents), (0o755, true));
    let user = mkdir
        .owner
        .as_ref()
        .and_then(|o| o.user.as_ref()?.user.clone());
    // Names resolve in the base, the op's first input.
    assert_eq!(
        user,
        Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
            name: "nonroot".into(),
            input: 0,
        }))
    );
    let Some(pb::file_action::Action::Copy(copied)) = &file.actions[1].action else {
        panic!("not a copy")
    };
    assert_eq!(copied.mode, 0o640);
    let group = copied
        .owner
        .as_ref()
        .and_then(|o| o.group.as_ref()?.user.clone());
    assert_eq!(group, Some(pb::user_opt::User::ById(8)));
    assert_eq!(file.actions[1].secondary_input, 1);
}

#[test]
fn local_sources_carry_their_patterns_as_json() {
    let local = Local {
        include_patterns: vec!["go.mod".into(), "go.sum".into()],
        session_id: Some("s1".into()),
        ..Local::named("context")
    }
    .output("mods");
    let pb::op::Op::Source(source) = &local.node.op else {
        panic!("not a source")
    };
    assert_eq!(source.identifier, "local://context");
    assert_eq!(
        source.attrs["local.includepattern"],
        r#"["go.mod","go.sum"]"#
    );
    assert_eq!(source.attrs["local.session"], "s1");
    assert!(!source.attrs.contains_key("local.excludepatterns"));
    assert!(
        local
            .node
            .meta
            .caps
            .contains("source.local.includepatterns")
    );
}

#[test]
fn merges_stack_their_layers_in_order_and_need_the_cap() {
    let lower = golang();
    let upper = CopyOp::onto(None, "binaries")
        .file(lower.clone(), "/usr/bin/go", "/go")
        .build();
    let merged = merge("stack", &[lower, upper]);
    let pb::op::Op::Merge(op) = &merged.node.op else {
        panic!("not a merge op")
    };
    let order: Vec<i64> = op.inputs.iter().map(|i| i.input).collect();
    assert_eq!(order, [0, 1]);
    assert!(merged.node.meta.caps.contains("mergeop"));
    let ops = Definition::marshal(&merged).ops().unwrap();
    let merge_op = &ops[ops.len() - 2];
    assert_eq!(
        merge_op.op.inputs[0].digest, ops[0].digest,
        "the image first"
    );
}

#[test]
fn a_copy_by_patterns_is_one_action_and_needs_the_cap() {
    let context = Local::named("context").output("context");
    let copy = CopyOp::onto(None, "select")
        .dir_matching(
            context.clone(),
            "/internal/api",
            "/internal/api",
            vec!["api.go".into(), "routes.go".into()],
        )
        .file(context, "/go.mod", "/go.mod")
        .build();
    let pb::op::Op::File(file) = &copy.node.op else {
        panic!("not a file op")
    };
    let Some(pb::file_action::Action::Copy(matching)) = &file.actions[0].action else {
        panic!("not a copy")
    };
    assert!(matching.dir_copy_contents);
    assert_eq!(matching.include_patterns, ["api.go", "routes.go"]);
    let Some(pb::file_action::Action::Copy(plain)) = &file.actions[1].action else {
        panic!("not a copy")
    };
    assert!(plain.include_patterns.is_empty());
    assert!(copy.node.meta.caps.contains(CAP_COPY_PATTERNS));
    let plain_only = CopyOp::onto(None, "plain")
        .file(
            Local::named("context").output("context"),
            "/go.mod",
            "/go.mod",
        )
        .build();
    assert!(!plain_only.node.meta.caps.contains(CAP_COPY_PATTERNS));
}
