//! `amibake inspect`: the fully resolved recipe as JSON on stdout.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{GlobalArgs, VarArgs};
use crate::error::{exit, Error};
use crate::recipe;
use crate::ui::{Redactor, Ui};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Recipe file or directory of *.pkr.hcl files
    #[arg(value_name = "RECIPE")]
    pub recipe: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Run the data sources (calls AWS) and show their values
    #[arg(long)]
    pub evaluate_datasources: bool,
}

pub fn run(args: &InspectArgs, global: &GlobalArgs, _ui: &Ui) -> Result<u8, Error> {
    let mut inputs = args.vars.inputs()?;
    inputs.region = global.region.first().cloned();
    let recipe = if args.evaluate_datasources {
        super::load_evaluated(&args.recipe, &inputs, global)?
    } else {
        recipe::load(&args.recipe, &inputs)
    }
    .map_err(|d| d.into_error())?;
    let json = serde_json::to_string_pretty(&recipe).map_err(|e| Error::build(e.to_string()))?;
    // Sensitive values are replaced wherever they were interpolated.
    println!("{}", Redactor::new(recipe.sensitive_values()).redact(&json));
    Ok(exit::SUCCESS)
}
