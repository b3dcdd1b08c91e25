//! `amibake inspect`: the fully resolved recipe as JSON on stdout.

use std::path::PathBuf;

use clap::Args;

use crate::cli::VarArgs;
use crate::error::{exit, Error};
use crate::recipe;
use crate::ui::{Redactor, Ui};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Recipe file
    #[arg(value_name = "RECIPE")]
    pub recipe: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
}

pub fn run(args: &InspectArgs, _ui: &Ui) -> Result<u8, Error> {
    let inputs = args.vars.inputs()?;
    let recipe = recipe::load(&args.recipe, &inputs).map_err(|d| d.into_error())?;
    let json = serde_json::to_string_pretty(&recipe).map_err(|e| Error::build(e.to_string()))?;
    // Sensitive values are replaced wherever they were interpolated.
    println!("{}", Redactor::new(recipe.sensitive_values()).redact(&json));
    Ok(exit::SUCCESS)
}
