//! `amibake validate`: report every problem in one or more recipes.

use std::path::PathBuf;

use clap::Args;

use crate::cli::VarArgs;
use crate::error::{exit, Error};
use crate::recipe;
use crate::ui::Ui;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Recipe files
    #[arg(required = true, value_name = "RECIPE")]
    pub recipes: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
}

pub fn run(args: &ValidateArgs, _ui: &Ui) -> Result<u8, Error> {
    let inputs = args.vars.inputs()?;
    let mut problems = 0;
    for path in &args.recipes {
        match recipe::load(path, &inputs) {
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
