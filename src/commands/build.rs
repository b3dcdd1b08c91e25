//! `amibake build`: bake the recipe's images and print their IDs.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::aws::Aws;
use crate::build::{self, BuildOptions, Interrupts, OnError, Selection};
use crate::cli::{report_error, runtime, GlobalArgs, VarArgs};
use crate::error::{exit, Error};
use crate::recipe;
use crate::ui::{Redactor, Ui};

/// How results are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// One `REGION AMI_ID` line per region.
    #[default]
    Text,
    /// One JSON document with every build's details.
    Json,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Recipe file or directory of *.pkr.hcl files
    #[arg(value_name = "RECIPE")]
    pub recipe: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// On failure: remove everything (cleanup) or keep it for debugging (abort)
    #[arg(long, value_enum, default_value = "cleanup")]
    pub on_error: OnError,
    /// Replace an existing image of the same name (as force_deregister)
    #[arg(long)]
    pub force: bool,
    /// Reuse finished images with the same content hash instead of building
    #[arg(long)]
    pub skip_if_unchanged: bool,
    /// Result format on stdout
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Build only these sources (NAME or amazon-ebs.NAME, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "SOURCES")]
    pub only: Vec<String>,
    /// Build all sources except these
    #[arg(long, value_delimiter = ',', value_name = "SOURCES")]
    pub except: Vec<String>,
}

fn recipe_errors(path: &std::path::Path, d: recipe::Diagnostics) -> Error {
    eprint!("{d}");
    Error::usage(format!("{} has errors; nothing was built", path.display())).with_hint(format!(
        "run `amibake validate {}` for details",
        path.display()
    ))
}

pub fn run(args: &BuildArgs, global: &GlobalArgs, ui: &Ui) -> Result<u8, Error> {
    let mut inputs = args.vars.inputs()?;
    if global.region.len() > 1 {
        return Err(Error::usage("build takes one --region (the build region)")
            .with_hint("copy regions come from ami_regions in the recipe"));
    }
    inputs.region = global.region.first().cloned();
    // First without AWS: every problem of the recipe, before any call.
    let recipe = recipe::load(&args.recipe, &inputs).map_err(|d| recipe_errors(&args.recipe, d))?;
    let options = BuildOptions {
        on_error: args.on_error,
        force: args.force,
        skip_if_unchanged: args.skip_if_unchanged,
        run_id: uuid::Uuid::new_v4().to_string(),
        github_output: std::env::var_os("GITHUB_OUTPUT").map(Into::into),
    };
    let selection = Selection {
        only: args.only.clone(),
        except: args.except.clone(),
    };
    let rt = runtime()?;
    rt.block_on(async {
        let aws = Aws::load(&global.aws_options()).await?;
        // Then, when it has data sources, again with AWS at hand: they run
        // once, before anything is launched.
        let mut recipe = if recipe.needs_remote {
            super::load_recipe(&args.recipe, &inputs, Some(&aws))
                .map_err(|d| recipe_errors(&args.recipe, d))?
        } else {
            recipe
        };
        ui.set_redactor(Redactor::new(recipe.sensitive_values()));
        // Notices (ignored Packer options, keys written in the recipe) are
        // shown once, as `validate` shows them.
        for w in &recipe.warnings {
            ui.warn(&w.to_string());
        }
        if let Some(r) = global.region.first() {
            for s in &mut recipe.sources {
                s.region = r.clone();
            }
        }
        let interrupts = Interrupts::from_signals();
        let outcomes = build::run(&aws, ui, &recipe, &options, &selection, &interrupts).await?;
        print_results(args.output, &recipe.path, &outcomes);
        let mut errors: Vec<Error> = outcomes.into_iter().filter_map(|o| o.error).collect();
        if errors.is_empty() {
            return Ok(exit::SUCCESS);
        }
        if interrupts.count() > 0 {
            for e in &errors {
                report_error(ui, e);
            }
            return Ok(exit::INTERRUPTED);
        }
        let last = errors.pop().unwrap();
        for e in &errors {
            report_error(ui, e);
        }
        Err(last)
    })
}

fn print_results(format: OutputFormat, recipe: &std::path::Path, outcomes: &[build::Outcome]) {
    match format {
        OutputFormat::Text => {
            for o in outcomes.iter().filter(|o| o.error.is_none()) {
                for (region, img) in &o.result.regions {
                    println!("{region} {}", img.ami_id);
                }
            }
        }
        OutputFormat::Json => {
            let builds: Vec<_> = outcomes
                .iter()
                .map(|o| {
                    let r = &o.result;
                    let regions: serde_json::Map<String, serde_json::Value> = r
                        .regions
                        .iter()
                        .map(|(reg, img)| {
                            (
                                reg.clone(),
                                json!({"ami_id": img.ami_id, "snapshot_ids": img.snapshot_ids}),
                            )
                        })
                        .collect();
                    json!({
                        "source": r.source,
                        "build_name": r.build_name,
                        "name": r.ami_name,
                        "build_id": r.build_id,
                        "source_ami": r.source_ami,
                        "regions": regions,
                        "duration_seconds": (r.duration_seconds * 1000.0).round() / 1000.0,
                        "reused": r.reused,
                        "status": if o.error.is_none() { "succeeded" } else { "failed" },
                        "error": o.error.as_ref().map(|e| e.message().to_owned()),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"recipe": recipe, "builds": builds})).unwrap()
            );
        }
    }
}
