//! The `amibake gc` binary: output formats, exit codes, recipe files.

use assert_cmd::Command;
use serde_json::{json, Value};

use super::harness::*;
use crate::support::signal::{interrupt_when, Interrupted};
use crate::support::Emulator;

fn amibake(emu: &Emulator) -> Command {
    let mut cmd = Command::cargo_bin("amibake").unwrap();
    cmd.envs(emu.env_vars(REGION))
        .env("AMIBAKE_MAX_ATTEMPTS", "1")
        .env("CI", "1");
    cmd
}

#[tokio::test]
async fn dry_run_table_json_and_exit_codes() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 4, 30);

    let out = amibake(&emu)
        .args(["gc", "--recipe", "app"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let header = table.lines().next().unwrap();
    for col in [
        "REGION",
        "AMI",
        "NAME",
        "CREATED",
        "AGE",
        "LAST LAUNCHED",
        "DECISION",
        "REASON",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row = table.lines().find(|l| l.contains(&ids[0])).unwrap();
    assert!(
        row.contains("delete") && row.contains("expired") && row.contains("30d"),
        "{row}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("run again with --apply"));

    let out = amibake(&emu)
        .args(["gc", "--recipe", "app", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dry_run"], json!(true));
    assert_eq!(v["summary"]["delete"], json!(1));
    assert_eq!(v["summary"]["keep"], json!(3));
    assert_eq!(v["decisions"].as_array().unwrap().len(), 4);
    assert_eq!(
        remaining(&emu, REGION).await.len(),
        4,
        "a dry run deletes nothing"
    );

    // A region that cannot be listed: reported, exit 1, nothing deleted.
    emu.inject_fault(
        json!({"service": "ec2", "action": "DescribeInstances", "kind": "error",
        "code": "UnauthorizedOperation", "status": 403}),
    );
    let out = amibake(&emu)
        .args(["gc", "--recipe", "app", "--apply"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("region us-east-1 SKIPPED") && err.contains("ec2:DescribeInstances"),
        "{err}"
    );
    assert_eq!(remaining(&emu, REGION).await.len(), 4);
}

#[test]
fn usage_errors_say_what_to_do() {
    let emu = Emulator::start();
    let out = amibake(&emu).args(["gc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--recipe NAME") && err.contains("--all-recipes"),
        "{err}"
    );

    let out = amibake(&emu)
        .args(["gc", "--all-recipes", "--min-age", "7 days"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--min-age"));

    let out = amibake(&emu)
        .args(["gc", "--all-recipes", "--region", "us-east-11"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `us-east-1`"));
}

#[tokio::test]
async fn recipe_file_gives_name_regions_and_retention() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("shop.pkr.hcl");
    std::fs::write(
        &recipe,
        r#"
source "amazon-ebs" "main" {
  region        = "us-east-1"
  ami_regions   = ["us-west-2"]
  instance_type = "t3.micro"
  source_ami    = "ami-0123456789abcdef0"
  ami_name      = "shop-{{timestamp}}"
  retention {
    keep    = 1
    min_age = "1d"
  }
}
build {
  sources = ["source.amazon-ebs.main"]
}
"#,
    )
    .unwrap();
    let east = seed(&emu, REGION, "shop", 3, 5); // 5..3 days old: older than min_age 1d
    let west = seed(&emu, "us-west-2", "shop", 3, 5);
    let elsewhere = seed(&emu, "eu-west-1", "shop", 3, 5);

    let out = amibake(&emu)
        .args([
            "gc",
            "--recipe-file",
            recipe.to_str().unwrap(),
            "--apply",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(remaining(&emu, REGION).await, set(&[&east[2]]));
    assert_eq!(remaining(&emu, "us-west-2").await, set(&[&west[2]]));
    assert_eq!(
        remaining(&emu, "eu-west-1").await.len(),
        elsewhere.len(),
        "not a recipe region"
    );
}

/// SIGTERM during `--apply` (a cron job stopped, a CI job cancelled): the
/// images already started are finished, snapshots included, nothing new is
/// started, and the run exits 130 saying how many were left.
#[tokio::test]
async fn sigterm_during_apply_finishes_started_images_and_leaves_no_orphan_snapshot() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 40, 60);
    let mut snapshot_of_image = Vec::new();
    for id in &ids {
        snapshot_of_image.push((id.clone(), snapshot_of(&emu, REGION, id).await));
    }
    // Slow deregistrations keep the run going long enough to interrupt it.
    emu.inject_fault(json!({
        "service": "ec2", "action": "DeregisterImage", "kind": "slow", "delay_seconds": 0.4,
    }));

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amibake"));
    cmd.args([
        "gc",
        "--recipe",
        "app",
        "--keep",
        "0",
        "--max-deletions",
        "100",
    ])
    .args(["--apply", "--output", "json"])
    .envs(emu.env_vars(REGION))
    .env("AMIBAKE_MAX_ATTEMPTS", "1")
    .env("CI", "1");
    let Interrupted {
        signalled,
        log,
        output: out,
    } = interrupt_when(cmd, "deleted ami-", "TERM").await;
    assert!(signalled, "no image was ever deleted:\n{log}");
    assert_eq!(out.status.code(), Some(130), "{log}");
    assert!(log.contains("INTERRUPTED: "), "{log}");

    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let interrupted = report["summary"]["interrupted"].as_u64().unwrap();
    let deleted = report["summary"]["deleted"].as_u64().unwrap();
    assert!(deleted >= 1 && interrupted >= 1, "{}", report["summary"]);
    assert_eq!(deleted + interrupted, 40, "{}", report["summary"]);

    // Every image is either whole (image and snapshot) or entirely gone.
    let images = remaining(&emu, REGION).await;
    let snaps = snapshots(&emu, REGION).await;
    assert_eq!(images.len() as u64, interrupted);
    for (image, snapshot) in &snapshot_of_image {
        assert_eq!(
            images.contains(image),
            snaps.contains(snapshot),
            "{image} and its snapshot {snapshot} must go together"
        );
    }
}
