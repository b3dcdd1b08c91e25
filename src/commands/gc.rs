//! `amibake gc`: plan (and with `--apply`, carry out) the removal of old
//! images and their snapshots. See docs/gc.md.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::aws::{check_region, Aws, AwsOptions};
use crate::cli::{runtime, VarArgs};
use crate::error::{exit, Error, ErrorKind, Result};
use crate::gc::policy::{parse_duration, PolicyOverrides};
use crate::gc::report::{self, OutputFormat};
use crate::gc::select::Selection;
use crate::gc::GcOptions;
use crate::interrupt::Interrupts;
use crate::recipe;
use crate::ui::Ui;

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Only images of this recipe (its `amibake:recipe` tag: the recipe file's
    /// name without extension); repeatable
    #[arg(long = "recipe", value_name = "NAME")]
    pub recipes: Vec<String>,
    /// Take the recipe name, regions (build region and ami_regions) and
    /// `retention` block from this recipe file
    #[arg(long, value_name = "RECIPE")]
    pub recipe_file: Option<PathBuf>,
    /// Every image tagged `amibake:recipe`, whatever the recipe
    #[arg(long)]
    pub all_recipes: bool,
    /// Images matching tag:KEY=VALUE or name:PATTERN (also images not built
    /// by amibake); repeatable, all must match
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// Newest images kept per recipe and region, counted among images not in
    /// use [default: 3, or the recipe's retention.keep]
    #[arg(long, value_name = "N")]
    pub keep: Option<u32>,
    /// Never touch images younger than this [default: 7d]
    #[arg(long, value_name = "DURATION")]
    pub min_age: Option<String>,
    /// Keep images launched within this window (+24h, as AWS reports
    /// launches late) [default: 14d]
    #[arg(long, value_name = "DURATION")]
    pub keep_launched_within: Option<String>,
    /// Also collect images shared with other accounts, organizations or the public
    #[arg(long)]
    pub include_shared: bool,
    /// Carry out the plan (default: dry run)
    #[arg(long)]
    pub apply: bool,
    /// At most this many images deleted or deprecated per run; the rest is
    /// reported as deferred
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_deletions: u32,
    /// Deprecate expired images first and delete only those deprecated for
    /// at least --grace
    #[arg(long)]
    pub deprecate_first: bool,
    /// With --deprecate-first: how long an image stays deprecated before deletion
    #[arg(long, value_name = "DURATION", default_value = "7d")]
    pub grace: String,
    /// Plan and results on stdout as a table or JSON
    #[arg(long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    #[command(flatten)]
    pub vars: VarArgs,
}

pub fn run(args: &GcArgs, regions: &[String], aws_opts: &AwsOptions, ui: &Ui) -> Result<u8> {
    let mut opts = options(args, regions)?;
    let rt = runtime()?;
    rt.block_on(async {
        let aws = Aws::load(aws_opts).await?;
        if opts.regions.is_empty() {
            let region = aws.default_region().ok_or_else(|| {
                Error::usage("gc needs at least one region").with_hint(
                    "pass --region REGION (repeatable), --recipe-file, or set AWS_REGION",
                )
            })?;
            opts.regions.push(region);
        }
        // The first Ctrl-C/SIGTERM finishes the images being deleted and
        // stops; a second one stops at once.
        let interrupts = Interrupts::from_signals();
        let plan = tokio::select! {
            plan = crate::gc::run_until(&aws, &opts, ui, &interrupts) => plan?,
            _ = interrupts.at_least(2) => {
                return Err(Error::new(
                    ErrorKind::Interrupted,
                    "interrupted twice: stopped at once",
                )
                .with_hint(
                    "an image deregistered just now may have left its snapshots: `amibake cleanup --older-than 0s` lists those of amibake-built images (for others: `aws ec2 describe-snapshots --owner-ids self`)",
                ))
            }
        };
        let mut stdout = std::io::stdout().lock();
        report::write(&plan, args.output, &mut stdout)?;
        for line in report::summary(&plan) {
            if plan.succeeded() {
                ui.info(&line);
            } else {
                ui.warn(&line);
            }
        }
        Ok(if plan.succeeded() {
            exit::SUCCESS
        } else if plan.interrupted() {
            exit::INTERRUPTED
        } else {
            exit::FAILED
        })
    })
}

/// Check the command line and turn it into [`GcOptions`].
pub fn options(args: &GcArgs, regions: &[String]) -> Result<GcOptions> {
    let mut selection = Selection::default();
    for f in &args.filters {
        selection.add_filter(f)?;
    }
    let mut regions: Vec<String> = regions.to_vec();
    let mut retention = BTreeMap::new();
    selection.recipes = args.recipes.clone();
    if let Some(path) = &args.recipe_file {
        let inputs = args.vars.inputs()?;
        let recipe = recipe::load(path, &inputs).map_err(|d| d.into_error())?;
        let name = crate::build::tags::recipe_name(path);
        let regions_from_recipe = regions.is_empty();
        selection.recipes.push(name.clone());
        for build in &recipe.builds {
            for source_name in &build.sources {
                let Some(source) = recipe.source(source_name) else {
                    continue;
                };
                if let Some(r) = &source.retention {
                    retention.insert((name.clone(), source.name.clone()), r.clone());
                }
                // --region narrows; without it the recipe's regions apply.
                if regions_from_recipe {
                    for r in source.all_regions() {
                        if !regions.contains(&r) {
                            regions.push(r);
                        }
                    }
                }
            }
        }
    }
    let any_selector =
        !selection.recipes.is_empty() || args.all_recipes || !args.filters.is_empty();
    if !any_selector {
        return Err(Error::usage("gc needs to know which images to consider").with_hint(
            "pass --recipe NAME, --recipe-file RECIPE, --all-recipes (every amibake image) or --filter tag:KEY=VALUE / name:PATTERN",
        ));
    }
    // amibake's tag is required unless the user chose images by filter only.
    selection.amibake_only =
        !selection.recipes.is_empty() || args.all_recipes || args.filters.is_empty();
    for r in &regions {
        check_region(r)
            .map_err(|m| Error::usage(m).with_hint("check --region and the recipe's regions"))?;
    }
    let parse = |s: &Option<String>, flag: &str| -> Result<_> {
        s.as_deref()
            .map(|v| parse_duration(v).map_err(|e| e.context(flag)))
            .transpose()
    };
    Ok(GcOptions {
        regions,
        selection,
        overrides: PolicyOverrides {
            keep: args.keep,
            min_age: parse(&args.min_age, "--min-age")?,
            keep_launched_within: parse(&args.keep_launched_within, "--keep-launched-within")?,
        },
        retention,
        include_shared: args.include_shared,
        apply: args.apply,
        max_deletions: args.max_deletions,
        deprecate_first: args.deprecate_first,
        grace: parse_duration(&args.grace).map_err(|e| e.context("--grace"))?,
        now: time::OffsetDateTime::now_utc(),
    })
}
