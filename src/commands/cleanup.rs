//! `amibake cleanup`: list (dry run) or remove what killed builds left.

use clap::Args;
use serde_json::json;

use crate::aws::{check_region, Aws};
use crate::build::leftovers::{self, Query};
use crate::cli::{runtime, GlobalArgs};
use crate::error::{exit, Error};
use crate::ui::Ui;

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Regions to search, comma-separated (same as repeating --region; default: AWS_REGION or the profile's)
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub regions: Vec<String>,
    /// Only resources older than this count as left behind (30m, 1h, 2d)
    #[arg(long, default_value = "1h", value_parser = crate::duration::parse, value_name = "AGE")]
    pub older_than: std::time::Duration,
    /// Only this build's resources (printed by a failed build)
    #[arg(long, value_name = "ID")]
    pub build_id: Option<String>,
    /// Remove them (default: only list)
    #[arg(long)]
    pub apply: bool,
    /// List as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CleanupArgs, global: &GlobalArgs, ui: &Ui) -> Result<u8, Error> {
    runtime()?.block_on(async {
        let aws = Aws::load(&global.aws_options()).await?;
        let mut regions = args.regions.clone();
        for r in &global.region {
            if !regions.contains(r) {
                regions.push(r.clone());
            }
        }
        if regions.is_empty() {
            regions.extend(aws.default_region());
        }
        if regions.is_empty() {
            return Err(Error::usage("no region to search")
                .with_hint("pass --regions us-east-1,eu-west-1 or --region, or set AWS_REGION"));
        }
        for r in &regions {
            check_region(r).map_err(Error::usage)?;
        }
        aws.account_id(&regions[0]).await?;
        let q = Query {
            regions,
            older_than: args.older_than,
            build_id: args.build_id.clone(),
        };
        let step = ui.step("searching for leftovers");
        let items = leftovers::find(&aws, &q).await?;
        step.done(&format!("{} found", items.len()));
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"apply": args.apply, "resources": items}))
                    .unwrap()
            );
        } else {
            for i in &items {
                println!(
                    "{:<14} {:<16} {:<24} {:<16} {}",
                    i.region,
                    i.kind,
                    i.id,
                    i.build_id.as_deref().unwrap_or("-"),
                    i.age_seconds
                        .map(|a| format!("{}m old", a / 60))
                        .unwrap_or_else(|| "age unknown".into())
                );
            }
        }
        if !args.apply {
            if !items.is_empty() {
                ui.info(&format!(
                    "dry run: {} resource(s) would be removed; pass --apply to remove them",
                    items.len()
                ));
            }
            return Ok(exit::SUCCESS);
        }
        let step = ui.step("removing leftovers");
        let (removed, errors) =
            leftovers::remove(&aws, &items, std::time::Duration::from_secs(600)).await;
        if errors.is_empty() {
            step.done(&format!("{removed} removed"));
            Ok(exit::SUCCESS)
        } else {
            step.failed(&format!("{removed} removed, {} failed", errors.len()));
            for e in &errors[1..] {
                crate::cli::report_error(ui, e);
            }
            Err(errors.into_iter().next().unwrap())
        }
    })
}
