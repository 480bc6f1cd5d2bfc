//! The `gofrontend` binary. All the work happens in the library; logs go to stderr.

fn main() -> std::process::ExitCode {
    gofrontend::cli::run()
}
