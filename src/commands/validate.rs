//! `amibake validate`: report every problem in one or more recipes.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{GlobalArgs, VarArgs};
use crate::error::{exit, Error};
use crate::recipe;
use crate::ui::Ui;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Recipe files or directories of *.pkr.hcl files
    #[arg(required = true, value_name = "RECIPE")]
    pub recipes: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Run the data sources (calls AWS) instead of treating their values as
    /// known later, as `packer validate -evaluate-datasources`
    #[arg(long)]
    pub evaluate_datasources: bool,
}

pub fn run(args: &ValidateArgs, global: &GlobalArgs, _ui: &Ui) -> Result<u8, Error> {
    let mut inputs = args.vars.inputs()?;
    inputs.region = global.region.first().cloned();
    let mut problems = 0;
    for path in &args.recipes {
        let loaded = if args.evaluate_datasources {
            super::load_evaluated(path, &inputs, global)?
        } else {
            recipe::load(path, &inputs)
        };
        match loaded {
            Ok(recipe) => {
                for w in &recipe.warnings {
                    eprintln!("{w}");
                }
                println!("{}: ok", path.display());
            }
            Err(diags) => {
                problems += diags.len();
                eprint!("{diags}");
            }
        }
    }
    if problems == 0 {
        Ok(exit::SUCCESS)
    } else {
        eprintln!(
            "{problems} problem{} found",
            if problems == 1 { "" } else { "s" }
        );
        Ok(exit::USAGE)
    }
}
