//! The command line: `gofrontend llb`, `check` and `targets`. Reads files from disk and runs
//! the same pipeline the frontend runs inside BuildKit.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::diagnostic::{Diagnostics, TextFile};
use crate::gofile;
use crate::gomod::GoMod;
use crate::gosource::{self, Parsed};
use crate::lower::{ContextLocal, lower};
use crate::options::{BuildOptions, KEY_PLATFORM, KEY_TARGET, PREFIX_BUILD_ARG};
use crate::pipeline::{self, Inputs, LoadError, LocalInputs};
use crate::plan::{self, PlanError};

#[derive(Parser)]
#[command(
    name = "gofrontend",
    version,
    about = "Container images for Go services, from a Gofile, built by BuildKit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the BuildKit LLB definition for a Gofile to stdout (what `buildctl build` reads).
    Llb(LlbArgs),
    /// Check a Gofile against its build context (go.mod, .dockerignore, the Go sources) as a
    /// build would: exit 0, or print every error and exit 1.
    Check(PlanArgs),
    /// List the services (build targets) of a Gofile.
    Targets(GofileArg),
    /// Write a Gofile with one service per `package main` of the module in DIR.
    Init(InitArgs),
    /// Print a docker-bake.json with one target per service (`docker buildx bake -f -`).
    Bake(BakeArgs),
    /// Serve as a BuildKit frontend over stdin/stdout (the frontend image's entrypoint).
    #[command(hide = true)]
    Frontend,
    /// Scan the Go sources in CONTEXT as REQUEST asks and write the reply to REPLY (the scan
    /// step the frontend runs for large trees).
    #[command(hide = true)]
    ScanStep {
        context: PathBuf,
        reply: PathBuf,
        request: String,
    },
}

#[derive(Args)]
struct GofileArg {
    /// The Gofile.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        default_value = "Gofile"
    )]
    file: PathBuf,
}

#[derive(Args)]
struct BakeArgs {
    #[command(flatten)]
    gofile: GofileArg,
    /// The build context of every target, as bake resolves it.
    #[arg(long, default_value = ".")]
    context: String,
    /// Tag each image `<PREFIX><service>` [default: the Gofile's `tag_prefix`, else none].
    #[arg(long = "tag-prefix", value_name = "PREFIX")]
    tag_prefix: Option<String>,
}

#[derive(Args)]
struct InitArgs {
    /// The module's directory, holding go.mod.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Replace an existing Gofile.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct LlbArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Print a readable JSON form instead of the binary definition.
    #[arg(long)]
    json: bool,
}

/// What `llb` and `check` plan from: the same inputs the frontend reads inside BuildKit.
#[derive(Args, Clone)]
struct PlanArgs {
    /// The Gofile [default: CONTEXT/Gofile].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// The service to build; without it, one service or all of them.
    #[arg(long)]
    target: Option<String>,
    /// A build arg, as `docker buildx build --build-arg`.
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    build_args: Vec<String>,
    /// The target platform, like linux/arm64 [default: this machine's]; one, as `llb` prints
    /// one definition.
    #[arg(long)]
    platform: Option<String>,
    /// Any other frontend option, as BuildKit passes it (`force-network-mode=host`, `no-cache=`).
    #[arg(long = "opt", value_name = "KEY=VALUE")]
    opts: Vec<String>,
    /// The builder image's config as JSON (an image config, as `docker image inspect` shows
    /// under `Config`, or the whole config file) [default: the official golang image's].
    #[arg(long = "builder-config", value_name = "JSON")]
    builder_config: Option<String>,
    /// The builder image's Debian release (`VERSION_ID` in its /etc/os-release), which picks
    /// the base of cgo services; the frontend reads it from the image [default: 13, the
    /// official golang images' default variant].
    #[arg(
        long = "builder-debian",
        value_name = "VERSION_ID",
        default_value = "13"
    )]
    builder_debian: String,
    /// The build context: where go.mod and .dockerignore are read from.
    #[arg(default_value = ".")]
    context: PathBuf,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Llb(args) => llb(args),
        Command::Check(args) => check(args),
        Command::Targets(args) => targets(args),
        Command::Init(args) => init(args),
        Command::Bake(args) => bake(args),
        Command::Frontend => return crate::frontend::serve(),
        Command::ScanStep {
            context,
            reply,
            request,
        } => pipeline::scan_step::run(&context, &reply, &request),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            match err.downcast_ref::<Diagnostics>() {
                Some(diagnostics) => report(diagnostics),
                None => eprintln!("error: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn report(diagnostics: &Diagnostics) {
    let count = diagnostics.items.len();
    eprintln!("{diagnostics}\n");
    eprintln!(
        "error: {count} problem{} in {}",
        if count == 1 { "" } else { "s" },
        diagnostics.file.name()
    );
}

fn llb(args: LlbArgs) -> anyhow::Result<()> {
    let plan = plan_local(&args.plan)?;
    let definition = lower(&plan, &ContextLocal::default());
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let ops = definition.ops().context("decoding the definition")?;
        serde_json::to_writer_pretty(&mut stdout, &ops)?;
        writeln!(stdout)?;
    } else if stdout.is_terminal() {
        bail!(
            "refusing to write binary LLB to a terminal: pipe it (`| buildctl build ...`) or pass --json"
        );
    } else {
        stdout.write_all(&definition.to_bytes())?;
    }
    stdout.flush()?;
    Ok(())
}

/// Reads the Gofile and its context from disk, as BuildKit would send them, and plans.
fn plan_local(args: &PlanArgs) -> anyhow::Result<plan::Plan> {
    let gofile_path = args
        .file
        .clone()
        .unwrap_or_else(|| args.context.join("Gofile"));
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(target) = &args.target {
        pairs.push((KEY_TARGET.into(), target.clone()));
    }
    if let Some(platform) = &args.platform {
        pairs.push((KEY_PLATFORM.into(), platform.clone()));
    }
    for arg in &args.build_args {
        let (name, value) = split_pair(arg, "--build-arg")?;
        pairs.push((format!("{PREFIX_BUILD_ARG}{name}"), value.to_string()));
    }
    for opt in &args.opts {
        let (key, value) = split_pair(opt, "--opt")?;
        pairs.push((key.to_string(), value.to_string()));
    }
    let options = BuildOptions::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let inputs = LocalInputs::new(
        gofile_path,
        args.context.clone(),
        args.builder_config.as_deref(),
        &args.builder_debian,
    )?;
    let platforms = options.target_platforms(&inputs.build_platform()).len();
    if platforms > 1 {
        bail!(
            "--platform names {platforms} platforms, and `llb` prints one definition; pass one platform \
             (the frontend builds several at once)"
        );
    }
    let mut planned = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?
        .block_on(pipeline::load_and_plan(&inputs, &options))
        .map_err(|err| match err {
            LoadError::Plan(PlanError::Gofile(diagnostics)) => anyhow::Error::new(diagnostics),
            LoadError::Plan(PlanError::Option(err)) => err.into(),
            LoadError::Plan(PlanError::Input(message)) => anyhow::Error::msg(message),
            LoadError::Read { context, error } => error.context(context),
        })?;
    Ok(planned.plans.remove(0))
}

fn check(args: PlanArgs) -> anyhow::Result<()> {
    let plan = plan_local(&args)?;
    let mut tests = None;
    if args.target.is_none() {
        if plan.services.len() > 1 {
            check_each_image(&args, &plan)?;
        }
        tests = check_test_target(&args)?;
    }
    let tests = match tests.or((!plan.tests.is_empty()).then_some(plan.tests.len())) {
        Some(n) => format!(" and {}", plan::counted(n, "test package")),
        None => String::new(),
    };
    eprintln!(
        "{}: ok, {}{tests} checked against {}",
        args.file
            .clone()
            .unwrap_or_else(|| args.context.join("Gofile"))
            .display(),
        plan::counted(plan.services.len(), "service"),
        args.context.display()
    );
    Ok(())
}

/// Plans the test target when the Gofile has a `[test]` table, as `--target test` would:
/// its patterns must match packages, its flags suit them. Returns how many packages it tests.
fn check_test_target(args: &PlanArgs) -> anyhow::Result<Option<usize>> {
    let source = read_source(
        &args
            .file
            .clone()
            .unwrap_or_else(|| args.context.join("Gofile")),
    )?;
    if !gofile::parse_declarations(&source, &Default::default())?
        .test
        .declared
    {
        return Ok(None);
    }
    let tests = PlanArgs {
        target: Some(plan::TEST_TARGET.to_string()),
        ..args.clone()
    };
    Ok(Some(plan_local(&tests)?.tests.len()))
}

/// Plans every service as the image `--target NAME` builds, which holds what a build of every
/// binary leaves out (its `files`, volumes and workdir), and reports every problem found.
fn check_each_image(args: &PlanArgs, all: &plan::Plan) -> anyhow::Result<()> {
    let mut file = None;
    let mut found = Vec::new();
    for service in &all.services {
        let image = PlanArgs {
            target: Some(service.name.clone()),
            ..args.clone()
        };
        if let Err(err) = plan_local(&image) {
            let diagnostics = err.downcast::<Diagnostics>()?;
            found.extend(diagnostics.items);
            file = Some(diagnostics.file);
        }
    }
    match file {
        Some(file) => Err(Diagnostics::new(file, found).into()),
        None => Ok(()),
    }
}

fn targets(args: GofileArg) -> anyhow::Result<()> {
    let source = read_source(&args.file)?;
    // Build args do not change which services exist: list them without requiring any.
    let gofile = gofile::parse_declarations(&source, &Default::default())?;
    let column =
        |len: fn(&gofile::Service) -> usize| gofile.services.iter().map(len).max().unwrap_or(0);
    let width = column(|s| s.name.value.len());
    let package_width = column(|s| s.package.value.len());
    let mut stdout = std::io::stdout().lock();
    for service in &gofile.services {
        let description = service.image.description.as_deref().unwrap_or("");
        let line = format!(
            "{:width$}  {:package_width$}  {description}",
            service.name.value, service.package.value
        );
        writeln!(stdout, "{}", line.trim_end())?;
    }
    Ok(())
}

fn bake(args: BakeArgs) -> anyhow::Result<()> {
    let source = read_source(&args.gofile.file)?;
    let gofile = gofile::parse_declarations(&source, &Default::default())?;
    let file = crate::bake::bake_file(
        &gofile,
        &gofile_from_context(&args.gofile.file, &args.context)?,
        &args.context,
        args.tag_prefix.as_deref(),
    );
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &file)?;
    writeln!(stdout)?;
    Ok(())
}

/// The Gofile's path as bake resolves it: relative to the context, or absolute when the
/// Gofile is outside it.
fn gofile_from_context(gofile: &Path, context: &str) -> anyhow::Result<String> {
    if context == "." && gofile.is_relative() {
        return Ok(gofile.display().to_string());
    }
    let absolute = |path: &Path| {
        path.canonicalize()
            .with_context(|| format!("cannot find `{}`", path.display()))
    };
    let gofile = absolute(gofile)?;
    let context = absolute(Path::new(context))?;
    Ok(gofile.strip_prefix(&context).map_or_else(
        |_| gofile.display().to_string(),
        |p| p.display().to_string(),
    ))
}

fn init(args: InitArgs) -> anyhow::Result<()> {
    let gomod_path = args.dir.join("go.mod");
    let text = std::fs::read_to_string(&gomod_path).with_context(|| {
        format!(
            "cannot read `{}`: run `gofrontend init` in a Go module's directory, or name it",
            gomod_path.display()
        )
    })?;
    let gomod = GoMod::parse(&TextFile::new(gomod_path.display().to_string(), text))?;
    let mut mains = Vec::new();
    find_main_packages(&args.dir, ".", &mut mains)?;
    if mains.is_empty() {
        bail!(
            "no `package main` in the module at `{}`: a Gofile builds commands, one service per main package",
            args.dir.display()
        );
    }
    let text = crate::init::gofile_text(&gomod.module_path, &mains);
    let gofile_path = args.dir.join("Gofile");
    let written = gofile::parse(
        &TextFile::new(gofile_path.display().to_string(), text.clone()),
        &Default::default(),
    )?;
    // Written whole or not at all: the text goes to a file of its own first, then a rename
    // (--force) or a hard link (which never replaces a Gofile) puts it in place.
    let partial = args.dir.join(".Gofile.gofrontend-init");
    std::fs::write(&partial, &text)
        .with_context(|| format!("cannot write `{}`", partial.display()))?;
    let placed = if args.force {
        std::fs::rename(&partial, &gofile_path)
    } else {
        std::fs::hard_link(&partial, &gofile_path)
    };
    let _ = std::fs::remove_file(&partial);
    placed.map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
            "`{}` already exists: pass --force to replace it",
            gofile_path.display()
        ),
        _ => anyhow::Error::new(err).context(format!("cannot write `{}`", gofile_path.display())),
    })?;
    let names: Vec<&str> = written
        .services
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    println!(
        "wrote {} with {} service{}: {}",
        gofile_path.display(),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    Ok(())
}

/// Module-relative directories under `dir` with a `package main` file that builds everywhere
/// (a main file under a build constraint is usually a `//go:build ignore` generator), the
/// rule lint uses too. Skips
/// what the go command skips (`vendor`, `testdata`, `.` and `_` directories) and nested
/// modules.
fn find_main_packages(root: &Path, dir: &str, mains: &mut Vec<String>) -> anyhow::Result<()> {
    let path = root.join(dir);
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(&path)
        .with_context(|| format!("cannot list `{}`", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list `{}`", path.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut is_main = false;
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let sub = gosource::join(dir, &name);
            if gosource::walked(&name) && !root.join(&sub).join("go.mod").exists() {
                find_main_packages(root, &sub, mains)?;
            }
        } else if kind.is_file() && gosource::is_go_source(&name) {
            let bytes = std::fs::read(entry.path())?;
            if let Ok(Parsed::Header(header)) = gosource::parse(&bytes, true) {
                is_main |= header.package == "main" && gosource::builds_everywhere(&name, &header);
            }
        }
    }
    if is_main {
        mains.push(dir.to_string());
    }
    Ok(())
}

fn split_pair<'a>(pair: &'a str, flag: &str) -> anyhow::Result<(&'a str, &'a str)> {
    match pair.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        _ => bail!("{flag} `{pair}`: write it as KEY=VALUE"),
    }
}

fn read_source(path: &Path) -> anyhow::Result<TextFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the Gofile `{}`", path.display()))?;
    Ok(TextFile::new(path.display().to_string(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_step_runs_the_subcommand_the_frontend_names() {
        let cli = Cli::try_parse_from([
            "gofrontend",
            pipeline::scan_step::SUBCOMMAND,
            "/context",
            "/out/scan.json",
            "{}",
        ]);
        assert!(matches!(
            cli.map(|cli| cli.command),
            Ok(Command::ScanStep { .. })
        ));
    }
}
