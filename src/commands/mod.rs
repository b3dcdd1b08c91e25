//! One module per subcommand. Each exposes `XArgs` (clap) and `run`, which
//! returns the process exit code.

pub mod build;
pub mod cleanup;
pub mod gc;
pub mod inspect;
pub mod validate;

use std::path::Path;

use crate::aws::Aws;
use crate::recipe::{self, Diagnostics, Inputs, Recipe};

/// Load a recipe. Without `aws` no AWS call is made (data sources stay
/// unknown, as in `packer validate`); with it, a recipe that has data
/// sources is loaded a second time with them run, once, in dependency order.
/// Call from inside the runtime (data sources block their worker thread).
pub(crate) fn load_recipe(
    path: &Path,
    inputs: &Inputs,
    aws: Option<&Aws>,
) -> Result<Recipe, Diagnostics> {
    let recipe = recipe::load(path, inputs)?;
    let Some(aws) = aws else { return Ok(recipe) };
    if !recipe.needs_remote {
        return Ok(recipe);
    }
    let region = inputs
        .region
        .clone()
        .or_else(|| aws.default_region())
        .or_else(|| recipe.sources.first().map(|s| s.region.clone()))
        .unwrap_or_else(|| "us-east-1".into());
    let remote = crate::build::data::AwsRemote::remote(aws.clone(), region);
    tokio::task::block_in_place(|| recipe::load_with(path, inputs, Some(remote)))
}

/// `--evaluate-datasources` of `validate` and `inspect`.
pub(crate) fn load_evaluated(
    path: &Path,
    inputs: &Inputs,
    global: &crate::cli::GlobalArgs,
) -> Result<Result<Recipe, Diagnostics>, crate::error::Error> {
    let rt = crate::cli::runtime()?;
    rt.block_on(async {
        let aws = Aws::load(&global.aws_options()).await?;
        Ok(load_recipe(path, inputs, Some(&aws)))
    })
}
