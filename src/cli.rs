//! Command-line interface: global options, subcommands, and the top-level
//! error printer that maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::aws::AwsOptions;
use crate::commands;
use crate::error::Error;
use crate::recipe::Inputs;
use crate::ui::{LogFormat, Ui};

const ABOUT: &str =
    "Bake immutable Amazon Machine Images from HCL recipes, provisioned over AWS Systems Manager.";

const EXAMPLES: &str = "\
Examples:
  amibake validate recipes/etherpad.hcl
  amibake inspect recipes/etherpad.hcl --var region=eu-west-1
  amibake build recipes/etherpad.hcl
  amibake gc --recipe-file recipes/etherpad.hcl          # dry run
  amibake gc --recipe-file recipes/etherpad.hcl --apply";

#[derive(Debug, Parser)]
#[command(name = "amibake", version, about = ABOUT, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS region (overrides the recipe's and AWS_REGION where a command needs
    /// one); `gc` and `cleanup` accept it repeatedly
    #[arg(long, global = true, value_name = "REGION", action = clap::ArgAction::Append)]
    pub region: Vec<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE); replaces a
    /// recipe's `profile` and keys
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (default: AWS_ENDPOINT_URL, else AWS)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Show debug detail on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// How progress and logs are written to stderr
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Do not use colours (also honoured: NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
}

impl GlobalArgs {
    pub fn aws_options(&self) -> AwsOptions {
        AwsOptions {
            region: self.region.first().cloned(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
    pub fn ui(&self) -> Ui {
        Ui::new(self.log_format, self.verbose, self.no_color)
    }
}

/// How variables reach a recipe. See docs/recipes.md for precedence.
#[derive(Debug, Clone, Args, Default)]
pub struct VarArgs {
    /// Set a variable: NAME=VALUE (repeatable; wins over every other input)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a .pkrvars.hcl or .json file (repeatable, later files win)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

impl VarArgs {
    /// Parse `--var` pairs and capture the environment once.
    pub fn inputs(&self) -> Result<Inputs, Error> {
        let mut vars = Vec::new();
        for v in &self.vars {
            let (name, value) = v.split_once('=').ok_or_else(|| {
                Error::usage(format!("--var `{v}` is not NAME=VALUE"))
                    .with_hint("write it as --var region=eu-west-1")
            })?;
            vars.push((name.trim().to_owned(), value.to_owned()));
        }
        Ok(Inputs {
            vars,
            var_files: self.var_files.clone(),
            env: std::env::vars().collect(),
            region: None,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check recipes and report every problem found
    #[command(
        after_help = "Examples:\n  amibake validate recipes/etherpad.hcl\n  amibake validate recipes/*.hcl --var-file prod.pkrvars.hcl"
    )]
    Validate(commands::validate::ValidateArgs),
    /// Print the fully resolved recipe as JSON
    #[command(
        after_help = "Examples:\n  amibake inspect recipes/etherpad.hcl\n  amibake inspect recipes/etherpad.hcl --var region=eu-west-1 | jq .sources"
    )]
    Inspect(commands::inspect::InspectArgs),
    /// Build the recipe's images and print `REGION AMI_ID` lines
    #[command(
        after_help = "Examples:\n  amibake build recipes/etherpad.hcl\n  amibake build recipes/etherpad.hcl --output json --skip-if-unchanged\n  amibake build recipes/etherpad.hcl --on-error=abort --only etherpad\n\nExit codes: 0 built, 1 build failed (nothing left behind), 2 usage or recipe error, 130 interrupted (cleanup ran)."
    )]
    Build(commands::build::BuildArgs),
    /// List (dry run) or remove resources that interrupted builds left behind
    #[command(
        after_help = "Examples:\n  amibake cleanup --region us-east-1 --region eu-west-1   # dry run\n  amibake cleanup --region us-east-1 --older-than 2h --apply\n  amibake cleanup --build-id ab-0123456789ab --region us-east-1 --older-than 0s --apply\n\nA build counts as no longer running once its resources are older than --older-than (default 1h)."
    )]
    Cleanup(commands::cleanup::CleanupArgs),
    /// Remove old images and their snapshots (dry run unless --apply)
    #[command(
        after_help = "Examples:\n  amibake gc --recipe-file recipes/etherpad.hcl                 # dry run\n  amibake gc --recipe etherpad --region eu-west-1 --region us-east-1 --apply\n  amibake gc --all-recipes --keep 5 --min-age 14d --output json\n  amibake gc --filter name:legacy-web-* --deprecate-first --grace 7d --apply\n\nExit codes: 0 plan carried out (or planned), 1 a region skipped or a deletion failed, 2 usage error, 130 interrupted (images in progress were finished)."
    )]
    Gc(commands::gc::GcArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse_from(packer_style_flags(std::env::args_os()));
    init_tracing(cli.global.verbose);
    let ui = cli.global.ui();
    let result = run(cli, ui.clone());
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            report_error(&ui, &err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// Diagnostics below the progress display: amibake's own debug detail with
/// `-v`, and anything `RUST_LOG` asks for (e.g. `aws_smithy_runtime=debug`
/// to see every SDK attempt), on stderr so stdout stays the result.
fn init_tracing(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if verbose { "amibake=debug" } else { "off" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Packer's flags that amibake shares, which Packer spells with one dash.
const PACKER_FLAGS: &[&str] = &["only", "except", "var", "var-file", "force", "on-error"];

/// Accept Packer's single-dash spelling (`-only=web`, `-var 'k=v'`) so that
/// scripts and muscle memory carry over: rewrite it to `--only=web` before
/// clap sees it. Only exact flag names are rewritten, and nothing after `--`.
pub fn packer_style_flags<I>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = std::ffi::OsString>,
{
    let mut out = Vec::new();
    let mut rest = false;
    for arg in args {
        let rewritten = match arg.to_str() {
            Some("--") => {
                rest = true;
                None
            }
            Some(a) if !rest && !a.starts_with("--") => a.strip_prefix('-').and_then(|flag| {
                let name = flag.split_once('=').map_or(flag, |(n, _)| n);
                PACKER_FLAGS
                    .contains(&name)
                    .then(|| format!("--{flag}").into())
            }),
            _ => None,
        };
        out.push(rewritten.unwrap_or(arg));
    }
    out
}

fn run(cli: Cli, ui: Ui) -> Result<u8, Error> {
    match cli.command {
        Command::Validate(args) => commands::validate::run(&args, &cli.global, &ui),
        Command::Inspect(args) => commands::inspect::run(&args, &cli.global, &ui),
        Command::Build(args) => commands::build::run(&args, &cli.global, &ui),
        Command::Cleanup(args) => commands::cleanup::run(&args, &cli.global, &ui),
        Command::Gc(args) => {
            commands::gc::run(&args, &cli.global.region, &cli.global.aws_options(), &ui)
        }
    }
}

/// Print `error: …` and the hint on stderr (JSON event with --log-format json).
pub fn report_error(ui: &Ui, err: &Error) {
    if ui.is_json() {
        ui.event(
            "error",
            err.message(),
            serde_json::json!({ "hint": err.hint(), "exit_code": err.exit_code() }),
        );
    } else {
        eprintln!("error: {}", ui.redact(&err.to_string()));
    }
}

/// A tokio runtime for the commands that talk to AWS.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::build(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(args: &[&str]) -> Vec<String> {
        packer_style_flags(args.iter().map(Into::into))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn packer_single_dash_flags_become_long_flags() {
        assert_eq!(
            rewrite(&[
                "amibake",
                "build",
                "-only=web",
                "-var",
                "a=b",
                "-force",
                "r.hcl"
            ]),
            [
                "amibake",
                "build",
                "--only=web",
                "--var",
                "a=b",
                "--force",
                "r.hcl"
            ]
        );
        assert_eq!(
            rewrite(&[
                "amibake",
                "build",
                "-var-file=x.pkrvars.hcl",
                "-on-error=abort",
                "r.hcl"
            ]),
            [
                "amibake",
                "build",
                "--var-file=x.pkrvars.hcl",
                "--on-error=abort",
                "r.hcl"
            ]
        );
    }

    #[test]
    fn other_arguments_are_left_alone() {
        let args = [
            "amibake", "-v", "build", "--only", "web", "-onlyx", "r.hcl", "--", "-var",
        ];
        assert_eq!(rewrite(&args), args);
    }

    #[test]
    fn packer_style_command_line_parses() {
        let cli = Cli::try_parse_from(packer_style_flags(
            [
                "amibake",
                "build",
                "-only=web,api",
                "-except",
                "db",
                "r.hcl",
            ]
            .map(Into::into),
        ))
        .unwrap();
        let Command::Build(args) = cli.command else {
            panic!("not build")
        };
        assert_eq!(args.only, ["web", "api"]);
        assert_eq!(args.except, ["db"]);
    }
}
