//! Lowers a [`Plan`] to an LLB graph: the one place that knows both what a Go build needs and
//! how BuildKit expresses it.

use std::collections::BTreeMap;

use crate::llb::{
    Access, Attributes, CacheSharing, CopyOp, Definition, Exec, Local, MakeFiles, Mount,
    NetworkMode, Output, Owner, ResolveMode, image, merge,
};
use crate::options::Engine;
use crate::plan::{
    BUILD_CACHE_DIR, Base, CACHE_SEED_DIR, Command, DOWNLOAD_SECRETS, FileCopy, MODULE_CACHE_DIR,
    MODULES_DIR, OUTPUT_DIR, PRECOMPILE_OUTPUT_DIR, Plan, ResultPlan, SCRIPTS, SCRIPTS_DIR,
    SOURCE_DIR, SSH_AGENT_ID, SSH_AGENT_SOCKET, ServicePlan, StepFiles, TEST_REPORT_DIR,
    TEST_REPORTS_DIR, WAIT_MARKER_DIR, binary_path, counted, counted_as,
};
use crate::platform::Platform;

mod selection;

/// How the client names the build context it sends (`context`, or `--opt contextkey`).
#[derive(Debug, Clone)]
pub struct ContextLocal {
    pub name: String,
    pub session_id: Option<String>,
}

impl Default for ContextLocal {
    fn default() -> Self {
        Self {
            name: "context".to_string(),
            session_id: None,
        }
    }
}

/// The build context as the client sends it, minus `.dockerignore` patterns. The frontend
/// reads Go sources from this same op before planning, so BuildKit transfers the context once.
pub fn context(context: &ContextLocal, excludes: &[String]) -> Output {
    Local {
        name: context.name.clone(),
        session_id: context.session_id.clone(),
        exclude_patterns: excludes.to_vec(),
        shared_key_hint: Some(context.name.clone()),
        ..Local::default()
    }
    .output("[context] load build context")
}

/// Where the scan step writes its reply, inside its one output.
pub const SCAN_REPLY: &str = "scan.json";

/// The Go source scan run by the frontend's own image over `context`: its output holds
/// [`SCAN_REPLY`]. Keyed on the context's content, so an unchanged context answers from cache.
pub fn scan_step(
    frontend_image: &str,
    platform: &Platform,
    context: &Output,
    request: &str,
) -> Output {
    let root = image(
        frontend_image,
        platform,
        ResolveMode::Default,
        &format!("[scan] {frontend_image}"),
    );
    let outputs = Exec {
        name: "[internal] scan the Go sources".to_string(),
        args: vec![
            "/gofrontend".to_string(),
            crate::pipeline::scan_step::SUBCOMMAND.to_string(),
            SCAN_CONTEXT_DIR.to_string(),
            format!("{SCAN_OUTPUT_DIR}/{SCAN_REPLY}"),
            request.to_string(),
        ],
        env: Vec::new(),
        cwd: "/".to_string(),
        network: NetworkMode::None,
        platform: platform.into(),
        ignore_cache: false,
        mounts: vec![
            writable_root(root),
            read_only(SCAN_CONTEXT_DIR, context),
            scratch(SCAN_OUTPUT_DIR),
        ],
    }
    .build();
    outputs
        .output(SCAN_OUTPUT_DIR)
        .expect("the scan step's output is one of its mounts")
}

/// An SBOM generator image, as its config says to run it.
pub struct SbomGenerator {
    pub image: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
}

/// Where BuildKit's SBOM scanner protocol puts what is scanned and what the scanner writes.
const SBOM_SOURCE_DIR: &str = "/run/src/core/sbom";
const SBOM_OUTPUT_DIR: &str = "/run/out";

/// The generator run over `image` (one platform's result) as BuildKit's SBOM protocol
/// describes it, with no network: its output holds one SPDX in-toto statement per scan.
pub fn sbom_scan(
    generator: &SbomGenerator,
    build_platform: &Platform,
    target: &Platform,
    image_fs: &Output,
) -> Output {
    let root = image(
        &generator.image,
        build_platform,
        ResolveMode::Default,
        &format!("[{target}] {}", generator.image),
    );
    let mut env = generator.env.clone();
    env.push(format!("BUILDKIT_SCAN_DESTINATION={SBOM_OUTPUT_DIR}"));
    env.push(format!("BUILDKIT_SCAN_SOURCE={SBOM_SOURCE_DIR}"));
    Exec {
        name: format!("[{target}] generating sbom using {}", generator.image),
        args: generator.args.clone(),
        env,
        cwd: generator.cwd.clone(),
        network: NetworkMode::None,
        platform: build_platform.into(),
        ignore_cache: false,
        mounts: vec![
            writable_root(root),
            read_only(SBOM_SOURCE_DIR, image_fs),
            scratch("/tmp"),
            scratch(SBOM_OUTPUT_DIR),
        ],
    }
    .build()
    .output(SBOM_OUTPUT_DIR)
    .expect("the SBOM output is one of its mounts")
}

const SCAN_CONTEXT_DIR: &str = "/context";
const SCAN_OUTPUT_DIR: &str = "/out";

/// What a step mounts at the source directory: the whole context, or copies of the files it
/// selects (content-addressed, so edits elsewhere leave the copies and the step cached), split
/// into parts mounted at their directories (see [`selection`]). Where the engine copies by
/// pattern, one action per directory selects its files by name: a copy action per file costs
/// BuildKit a content hash each in the op's cache key (a service of 7,000 files took it
/// seconds to key before anything ran).
fn source_mounts(files: &StepFiles, context: &Output, prefix: &str, engine: &Engine) -> Vec<Mount> {
    let StepFiles::Selected {
        files,
        dirs,
        packages,
    } = files
    else {
        return vec![read_only(SOURCE_DIR, context)];
    };
    let parts = selection::split(files, dirs);
    let count = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(n, part)| {
            let what = if count == 1 {
                format!("of {}", counted(*packages, "package"))
            } else {
                let root = if part.root.is_empty() {
                    "."
                } else {
                    &part.root
                };
                format!("in {root}/ (part {} of {count})", n + 1)
            };
            let name = format!(
                "{prefix}select {} {what}",
                files_and_dirs(&part.files, &part.dirs)
            );
            let mut copy = CopyOp::onto(None, name);
            if engine.copy_patterns {
                for (dir, names) in by_directory(&part.files) {
                    copy = copy.dir_matching(
                        context.clone(),
                        format!("/{dir}"),
                        format!("/{}", part.inner(dir)),
                        names,
                    );
                }
            } else {
                for file in &part.files {
                    copy = copy.file(
                        context.clone(),
                        format!("/{file}"),
                        format!("/{}", part.inner(file)),
                    );
                }
            }
            for dir in &part.dirs {
                copy = copy.dir(
                    context.clone(),
                    format!("/{dir}"),
                    format!("/{}", part.inner(dir)),
                );
            }
            for point in &part.mount_points {
                copy = copy.mkdir(
                    format!("/{}", part.inner(point)),
                    Attributes {
                        mode: 0o755,
                        owner: Owner::ROOT,
                    },
                );
            }
            let dest = if part.root.is_empty() {
                SOURCE_DIR.to_string()
            } else {
                format!("{SOURCE_DIR}/{}", part.root)
            };
            read_only(&dest, &copy.build())
        })
        .collect()
}

/// "3 files and 1 directory", leaving out what there is none of.
fn files_and_dirs(files: &[String], dirs: &[String]) -> String {
    let dirs_counted = || counted_as(dirs.len(), "directory", "directories");
    match (files.len(), dirs.len()) {
        (n, 0) => counted(n, "file"),
        (0, _) => dirs_counted(),
        (n, _) => format!("{} and {}", counted(n, "file"), dirs_counted()),
    }
}

/// Context-relative file paths grouped by directory (`""` for the root), each name as a
/// pattern that matches only itself.
fn by_directory(files: &[String]) -> BTreeMap<&str, Vec<String>> {
    let mut dirs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for file in files {
        let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
        dirs.entry(dir).or_default().push(literal_pattern(name));
    }
    dirs
}

/// `name` with the characters patterns give a meaning (`*?[\`) escaped.
fn literal_pattern(name: &str) -> String {
    let mut pattern = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

/// The step scripts, one small op every go step mounts.
fn scripts() -> Output {
    SCRIPTS
        .iter()
        .fold(
            MakeFiles::new("[internal] gofrontend step scripts"),
            |op, (name, text)| op.file(format!("/{name}"), *text),
        )
        .build()
}

pub fn lower(plan: &Plan, context_local: &ContextLocal) -> Definition {
    Definition::marshal(&lower_image(plan, context_local))
}

/// The image's filesystem as an output, for the steps that read it after the build (the
/// SBOM scan).
pub fn lower_image(plan: &Plan, context_local: &ContextLocal) -> Output {
    let builder = Builder {
        image: image(
            &plan.builder_image,
            &plan.build_platform,
            plan.image_resolve_mode,
            &format!("[builder] {}", plan.builder_image),
        ),
        scripts: scripts(),
    };
    let modules = plan.download.as_ref().map(|download| {
        let module_files = Local {
            name: context_local.name.clone(),
            session_id: context_local.session_id.clone(),
            include_patterns: download.inputs.clone(),
            ..Local::default()
        }
        .output(&format!("[context] {}", download.inputs.join(", ")));
        let mut mounts = vec![
            read_only(SOURCE_DIR, &module_files),
            cache(
                MODULE_CACHE_DIR,
                &download.module_cache_id,
                CacheSharing::Shared,
            ),
            scratch(MODULES_DIR),
            Mount::Ssh {
                dest: SSH_AGENT_SOCKET.to_string(),
                id: SSH_AGENT_ID.to_string(),
            },
        ];
        mounts.extend(DOWNLOAD_SECRETS.iter().map(|(id, dest)| Mount::Secret {
            dest: dest.to_string(),
            id: id.to_string(),
        }));
        mounts.extend(
            download
                .build_cache_id
                .iter()
                .map(|id| cache(BUILD_CACHE_DIR, id, CacheSharing::Shared)),
        );
        go_step(&download.command, &builder, &plan.build_platform, mounts)
            .output(MODULES_DIR)
            .expect("the module mount is writable")
    });
    let sources = context(context_local, &plan.context.excludes);
    // Each precompile step's output: its marker, or with cache layers its GOCACHE entries.
    let mut precompiled: Vec<Output> = Vec::with_capacity(plan.precompile.len());
    for step in &plan.precompile {
        // With cache layers each precompile step has a GOCACHE of its own: locked, so a
        // concurrent build's run of the same step cannot write into it meanwhile.
        let sharing = if plan.cache_layers {
            CacheSharing::Locked
        } else {
            CacheSharing::Shared
        };
        let mut mounts = vec![cache(BUILD_CACHE_DIR, &step.build_cache_id, sharing)];
        if let Some(step_files) = &step.files {
            let prefix = format!("[{}] ", step.label);
            mounts.extend(source_mounts(step_files, &sources, &prefix, &plan.engine));
            mounts.extend(modules.iter().map(|m| read_only(MODULES_DIR, m)));
        }
        mounts.extend(waits(plan, step.after, &precompiled));
        mounts.push(scratch(PRECOMPILE_OUTPUT_DIR));
        precompiled.push(
            go_step(&step.command, &builder, &plan.build_platform, mounts)
                .output(PRECOMPILE_OUTPUT_DIR)
                .expect("the precompile output mount is writable"),
        );
    }
    // A service's build or a package's tests: its files, the modules, the shared GOCACHE, the
    // precompile steps it waits for, and an output of its own.
    let compile = |command: &Command,
                   files: &StepFiles,
                   label: &str,
                   build_cache_id: &str,
                   after: Option<usize>,
                   output_dir: &str| {
        let prefix = format!("[{label}] ");
        let mut mounts = source_mounts(files, &sources, &prefix, &plan.engine);
        mounts.extend(modules.iter().map(|m| read_only(MODULES_DIR, m)));
        mounts.extend([
            cache(BUILD_CACHE_DIR, build_cache_id, CacheSharing::Shared),
            scratch(output_dir),
        ]);
        mounts.extend(waits(plan, after, &precompiled));
        go_step(command, &builder, &plan.build_platform, mounts)
            .output(output_dir)
            .expect("the output mount is writable")
    };
    let binaries: Vec<(&ServicePlan, Output)> = plan
        .services
        .iter()
        .map(|service| {
            let binary = compile(
                &service.build,
                &service.files,
                &service.name,
                &service.build_cache_id,
                service.after,
                OUTPUT_DIR,
            );
            (service, binary)
        })
        .collect();
    match &plan.result {
        ResultPlan::Service(_) => {
            let service = binaries[0].0;
            let held: Vec<(&ServicePlan, Output)> = binaries
                .iter()
                .filter(|(other, _)| {
                    other.name == service.name || service.include_binaries.contains(&other.name)
                })
                .cloned()
                .collect();
            copy_binaries(
                plan,
                &service.base,
                &format!("[{}] ", plan.step_label(&service.name)),
                &held,
                Some((&service.image_files, &sources)),
            )
        }
        ResultPlan::AllBinaries { base } => {
            let prefix = match plan.named_platform() {
                Some(platform) => format!("[{platform}] "),
                None => String::new(),
            };
            copy_binaries(plan, base, &prefix, &binaries, None)
        }
        ResultPlan::Tests { gather } => {
            let reports: Vec<Output> = plan
                .tests
                .iter()
                .map(|test| {
                    compile(
                        &test.command,
                        &test.files,
                        &test.label,
                        &test.build_cache_id,
                        test.after,
                        TEST_REPORT_DIR,
                    )
                })
                .collect();
            let mut mounts: Vec<Mount> = reports
                .iter()
                .enumerate()
                .map(|(n, report)| read_only(&format!("{TEST_REPORTS_DIR}/{n}"), report))
                .collect();
            mounts.push(scratch(OUTPUT_DIR));
            go_step(gather, &builder, &plan.build_platform, mounts)
                .output(OUTPUT_DIR)
                .expect("the output mount is writable")
        }
    }
}

/// What a step mounts of the precompile steps before it: the marker of the last one, or,
/// with cache layers, every one's GOCACHE entries, along the chain to the first.
fn waits(plan: &Plan, after: Option<usize>, outputs: &[Output]) -> Vec<Mount> {
    if !plan.cache_layers {
        return after
            .and_then(|i| outputs.get(i))
            .map(|marker| read_only(WAIT_MARKER_DIR, marker))
            .into_iter()
            .collect();
    }
    // BuildKit would key the next steps on a checksum of a layer's content, taken after each
    // run of its step: that holds them back after every go.mod change or shared-package edit
    // (0.19 s for 3,060 entries, docs/benchmarks.md), and spares them a run only when the step
    // writes the same entries again (an edit no compile saw).
    let access = if plan.engine.op_keyed_mounts {
        Access::ReadOnlyKeyedByOp
    } else {
        Access::ReadOnly
    };
    let chain = std::iter::successors(after, |&i| plan.precompile.get(i).and_then(|s| s.after));
    chain
        .filter_map(|i| outputs.get(i))
        .enumerate()
        .map(|(n, layer)| mounted(&format!("{CACHE_SEED_DIR}/{n}"), layer, access))
        .collect()
}

/// One copy op putting every binary on the base: the image's only new layer, or the one
/// above the layer of its `files` (copied from the context), so an edit of the code changes
/// only the binaries' layer. Where the engine merges, the binaries are copied onto nothing and
/// merged over the files, so an edit of a file leaves the binaries' layer as it was too; the
/// files stay copied onto the base, whose directories above them keep their owners.
fn copy_binaries(
    plan: &Plan,
    base: &Base,
    prefix: &str,
    binaries: &[(&ServicePlan, Output)],
    files: Option<(&[FileCopy], &Output)>,
) -> Output {
    let (base_output, base_name) = match base {
        Base::Scratch => (None, "scratch".to_string()),
        Base::Image(reference) => (
            Some(image(
                reference,
                &plan.target_platform,
                plan.image_resolve_mode,
                &format!("[{}] {reference}", plan.step_label("base")),
            )),
            reference.clone(),
        ),
    };
    let with_files = match files {
        Some((files, context)) if !files.is_empty() => Some(copy_files(
            plan,
            base_output.clone(),
            &format!(
                "{prefix}copy {} files and directories onto {base_name}",
                files.len()
            ),
            files,
            context,
        )),
        _ => None,
    };
    let names = binaries
        .iter()
        .map(|(s, _)| s.binary.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (onto, onto_name) = match &with_files {
        Some(_) if plan.engine.merge_op => (None, "scratch"),
        Some(files) => (Some(files.clone()), base_name.as_str()),
        None => (base_output, base_name.as_str()),
    };
    let mut copy = CopyOp::onto(onto, format!("{prefix}copy {names} onto {onto_name}"))
        .timestamp(plan.source_date_epoch);
    for (service, binary) in binaries {
        copy = copy.file(
            binary.clone(),
            format!("/{}", service.binary),
            binary_path(&service.binary),
        );
    }
    let copied = copy.build();
    match with_files {
        Some(files) if plan.engine.merge_op => merge(
            format!("{prefix}stack {names} over the files on {base_name}"),
            &[files, copied],
        ),
        _ => copied,
    }
}

fn copy_files(
    plan: &Plan,
    base: Option<Output>,
    name: &str,
    files: &[FileCopy],
    context: &Output,
) -> Output {
    let mut copy = CopyOp::onto(base, name).timestamp(plan.source_date_epoch);
    for file in files {
        let attributes = Attributes {
            mode: file.mode,
            owner: file.owner.clone(),
        };
        copy = match &file.source {
            Some(source) => copy.file_as(
                context.clone(),
                format!("/{source}"),
                &file.dest,
                attributes,
            ),
            None => copy.mkdir(&file.dest, attributes),
        };
    }
    copy.build()
}

/// What every go step runs on: the builder image, with the step scripts mounted.
struct Builder {
    image: Output,
    scripts: Output,
}

fn go_step(
    command: &Command,
    builder: &Builder,
    platform: &Platform,
    mut mounts: Vec<Mount>,
) -> crate::llb::ExecOutputs {
    mounts.push(writable_root(builder.image.clone()));
    mounts.push(read_only(SCRIPTS_DIR, &builder.scripts));
    Exec {
        name: command.name.clone(),
        args: command.args.clone(),
        env: command.env.clone(),
        cwd: command.cwd.clone(),
        network: command.network,
        platform: platform.into(),
        ignore_cache: command.ignore_cache,
        mounts,
    }
    .build()
}

fn read_only(dest: &str, input: &Output) -> Mount {
    mounted(dest, input, Access::ReadOnly)
}

fn mounted(dest: &str, input: &Output, access: Access) -> Mount {
    Mount::Bind {
        dest: dest.to_string(),
        input: Some(input.clone()),
        selector: None,
        access,
    }
}

/// An image as a step's root: writable, so BuildKit can make the other mounts' directories.
fn writable_root(image: Output) -> Mount {
    Mount::Bind {
        dest: "/".to_string(),
        input: Some(image),
        selector: None,
        access: Access::Output,
    }
}

fn scratch(dest: &str) -> Mount {
    Mount::Bind {
        dest: dest.to_string(),
        input: None,
        selector: None,
        access: Access::Output,
    }
}

fn cache(dest: &str, id: &str, sharing: CacheSharing) -> Mount {
    Mount::Cache {
        dest: dest.to_string(),
        id: id.to_string(),
        sharing,
    }
}
