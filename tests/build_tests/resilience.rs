//! Interrupts, killed builds and `amibake cleanup`, throttling, the IAM race.

use std::time::{Duration, Instant};

use amibake::aws::Aws;
use amibake::build::{self, Interrupts, Selection};
use amibake::error::ErrorKind;
use assert_cmd::Command;
use serde_json::json;

use super::common::*;
use crate::support::{Emulator, EmulatorOptions};

/// Wait (test-side) until the emulator has seen a call.
async fn until_called(emu: &Emulator, service: &str, action: &str) {
    let start = Instant::now();
    while emu.calls_for(service, action).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{action} never called\n{}",
            emu.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigint_during_image_wait_leaves_nothing() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("image_pending", 30.0));
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &["us-west-2"])],
        vec![shell(&["true"])],
        vec![],
    );
    let (tx, interrupts) = Interrupts::manual();
    let aws = aws(&emu);
    let opts = options();
    let task = tokio::spawn(async move {
        build::run(
            &aws,
            &test_ui(),
            &recipe,
            &opts,
            &Selection::default(),
            &interrupts,
        )
        .await
    });
    until_called(&emu, "ec2", "CreateImage").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    tx.send_modify(|n| *n += 1);
    let mut out = task.await.unwrap().unwrap();
    let err = out.remove(0).error.expect("interrupted");
    assert_eq!(err.kind(), ErrorKind::Interrupted, "{err}");
    assert_eq!(err.exit_code(), 130);
    // Cleanup did not wait for the image to become available.
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "cleanup took {:?}",
        sent.elapsed()
    );
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_build_is_removed_by_cleanup_apply() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("image_pending", 30.0));
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &[])],
        vec![shell(&["true"])],
        vec![],
    );
    let aws = aws(&emu);
    let opts = options();
    let task = tokio::spawn(async move {
        build::run(
            &aws,
            &test_ui(),
            &recipe,
            &opts,
            &Selection::default(),
            &Interrupts::none(),
        )
        .await
    });
    until_called(&emu, "ec2", "CreateImage").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Like SIGKILL: the build stops mid-step and no cleanup runs.
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());

    let run = |args: &[&str]| {
        Command::cargo_bin("amibake")
            .unwrap()
            .args(args)
            .envs(emu.env_vars("us-east-1"))
            .env("AMIBAKE_MAX_ATTEMPTS", "3")
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    };
    // Too young for the default --older-than 1h: nothing listed.
    let young = run(&["cleanup", "--regions", "us-east-1"]);
    assert!(
        young.status.success(),
        "{}",
        String::from_utf8_lossy(&young.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&young.stdout).trim(), "");
    // Dry run lists everything and removes nothing.
    let dry = run(&[
        "cleanup",
        "--regions",
        "us-east-1",
        "--older-than",
        "0s",
        "--json",
    ]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let mut kinds: Vec<String> = listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "iam-role",
            "image",
            "instance",
            "instance-profile",
            "security-group",
            "snapshot"
        ],
        "{listed}"
    );
    assert!(emu.calls_for("ec2", "TerminateInstances").is_empty());
    // Apply removes it all.
    let apply = run(&[
        "cleanup",
        "--regions",
        "us-east-1",
        "--older-than",
        "0s",
        "--apply",
    ]);
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    assert_nothing_left(&emu, &["us-east-1"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn build_succeeds_with_30_percent_of_calls_throttled() {
    let emu = Emulator::start();
    for service in ["ec2", "ssm", "iam", "sts"] {
        emu.inject_fault(
            json!({"service": service, "action": "*", "kind": "throttle", "rate": 0.3}),
        );
    }
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &["us-west-2"])],
        vec![shell(&["true"])],
        vec![],
    );
    let aws = Aws::from_config(emu.sdk_config_with_retries("us-east-1", 10));
    let out = build::run(
        &aws,
        &test_ui(),
        &recipe,
        &options(),
        &Selection::default(),
        &Interrupts::none(),
    )
    .await
    .unwrap();
    if let Some(e) = &out[0].error {
        panic!("build failed under throttling: {e}");
    }
    emu.clear_faults();
    let throttled = emu
        .calls()
        .iter()
        .filter(|c| c.status == 400 || c.status == 503)
        .count();
    assert!(throttled > 5, "only {throttled} calls throttled");
    let keep = ami_ids(&out[0].result);
    assert_eq!(keep.len(), 2);
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn iam_propagation_race_is_survived_by_retrying_run_instances() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("iam_propagation", 1.5));
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &[])],
        vec![],
        vec![],
    );
    let o = build_ok(&emu, &recipe).await;
    let runs = emu.calls_for("ec2", "RunInstances");
    assert!(runs.len() >= 2, "RunInstances was not retried: {runs:?}");
    assert!(
        runs[0].status >= 400 && runs.last().unwrap().status == 200,
        "{runs:?}"
    );
    // Retried promptly, not after a long fixed sleep.
    let waited = runs.last().unwrap().time - runs[0].time;
    assert!(
        waited < 4.0,
        "took {waited:.1}s to get past a 1.5s propagation delay"
    );
    assert_nothing_left(
        &emu,
        &["us-east-1"],
        &[o.result.regions[0].1.ami_id.clone()],
    )
    .await;
}
