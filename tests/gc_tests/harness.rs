//! Helpers: seed images with chosen ages, run gc as the CLI would, and read
//! back what remains.

use std::collections::BTreeSet;

use amibake::aws::Aws;
use amibake::cli::{Cli, Command};
use amibake::gc::plan::{Action, Plan};
use amibake::ui::Ui;
use clap::Parser;
use serde_json::json;
use time::OffsetDateTime;

use crate::support::Emulator;

pub const REGION: &str = "us-east-1";

pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `count` images of `recipe` in `region`, the oldest `oldest_days` old and
/// each next one a day newer. Returned oldest first.
pub fn seed(
    emu: &Emulator,
    region: &str,
    recipe: &str,
    count: usize,
    oldest_days: i64,
) -> Vec<String> {
    seed_with(emu, region, recipe, count, oldest_days, true)
}

pub fn seed_with(
    emu: &Emulator,
    region: &str,
    recipe: &str,
    count: usize,
    oldest_days: i64,
    own_snapshot: bool,
) -> Vec<String> {
    let start = OffsetDateTime::now_utc() - time::Duration::days(oldest_days);
    emu.seed_images(json!({
        "region": region,
        "count": count,
        "name_prefix": format!("{recipe}-{}", uuid::Uuid::new_v4().simple()),
        "tags": {"amibake:recipe": recipe, "amibake:source": "main"},
        "creation_date_start": iso(start),
        "interval_seconds": 86400,
        "snapshot": own_snapshot,
    }))
}

/// Run `amibake gc ARGS` in-process (clap parsing included) with `attempts`
/// SDK attempts per call.
pub async fn gc_with(emu: &Emulator, args: &[&str], attempts: u32) -> Plan {
    let mut argv = vec!["amibake", "gc"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(&argv).expect("arguments parse");
    let Command::Gc(gc_args) = cli.command else {
        panic!("not gc")
    };
    let mut regions = cli.global.region.clone();
    if regions.is_empty() {
        regions.push(REGION.into());
    }
    let opts = amibake::commands::gc::options(&gc_args, &regions).expect("options valid");
    let aws = Aws::from_config(emu.sdk_config_with_retries(REGION, attempts));
    amibake::gc::run(&aws, &opts, &Ui::quiet())
        .await
        .expect("gc runs")
}

pub async fn gc(emu: &Emulator, args: &[&str]) -> Plan {
    gc_with(emu, args, 1).await
}

/// IDs of the caller's images still registered in `region`.
pub async fn remaining(emu: &Emulator, region: &str) -> BTreeSet<String> {
    let out = emu
        .ec2(region)
        .describe_images()
        .owners("self")
        .send()
        .await
        .unwrap();
    out.images()
        .iter()
        .filter_map(|i| i.image_id().map(String::from))
        .collect()
}

/// IDs of the caller's snapshots in `region`.
pub async fn snapshots(emu: &Emulator, region: &str) -> BTreeSet<String> {
    let out = emu
        .ec2(region)
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .unwrap();
    out.snapshots()
        .iter()
        .filter_map(|s| s.snapshot_id().map(String::from))
        .collect()
}

pub async fn snapshot_of(emu: &Emulator, region: &str, image: &str) -> String {
    let out = emu
        .ec2(region)
        .describe_images()
        .image_ids(image)
        .send()
        .await
        .unwrap();
    out.images()[0].block_device_mappings()[0]
        .ebs()
        .unwrap()
        .snapshot_id()
        .unwrap()
        .to_owned()
}

pub fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The decision and reason the plan made for `image`.
pub fn decision<'a>(plan: &'a Plan, image: &str) -> (Action, &'a str) {
    let d = plan
        .decisions()
        .find(|d| d.image_id == image)
        .unwrap_or_else(|| {
            panic!(
                "{image} not in plan: {:#?}",
                plan.decisions().collect::<Vec<_>>()
            )
        });
    (d.action, d.reason.as_str())
}

pub fn planned_ids(plan: &Plan) -> BTreeSet<String> {
    plan.decisions().map(|d| d.image_id.clone()).collect()
}
