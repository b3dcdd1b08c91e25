//! A whole build on the emulator with its realistic delay profile (AWS
//! timings scaled ~1/20). Reports wall time, the emulator delays on the
//! critical path, the difference (amibake's overhead) and API calls by
//! action. Targets (issue 4): overhead < 1.5 s copying to three regions;
//! five copy regions no slower than one + 20 %; `--skip-if-unchanged` on an
//! unchanged recipe < 2 s.
//!
//! Run with `scripts/bench build` (or `cargo bench --bench build`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use amibake::aws::Aws;
use amibake::build::{self, BuildOptions, Interrupts, Selection};
use amibake::recipe::*;
use amibake::ui::Ui;
use support::{Emulator, EmulatorOptions};

const COPY_REGIONS: &[&str] = &[
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "sa-east-1",
];

fn source(name: &str, copies: usize) -> Source {
    Source {
        name: "bench".into(),
        kind: "amazon-ebs".into(),
        region: "us-east-1".into(),
        instance_type: "t3.micro".into(),
        source_ami: SourceAmi::SsmParameter {
            parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
                .into(),
        },
        ami_name: name.into(),
        ami_description: None,
        tags: BTreeMap::new(),
        run_tags: BTreeMap::new(),
        run_volume_tags: BTreeMap::new(),
        snapshot_tags: BTreeMap::new(),
        skip_ami_run_tags: false,
        run: Default::default(),
        subnet_id: None,
        vpc_id: None,
        security_group_ids: vec![],
        associate_public_ip_address: None,
        iam_instance_profile: None,
        user_data: None,
        launch_block_device_mappings: vec![],
        ami_block_device_mappings: vec![],
        metadata_options: MetadataOptions::default(),
        imds_support: None,
        encrypt_boot: None,
        kms_key_id: None,
        region_kms_key_ids: BTreeMap::new(),
        ami_regions: COPY_REGIONS[..copies]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ami_users: vec![],
        ami_groups: vec![],
        snapshot_users: vec![],
        snapshot_groups: vec![],
        ami_org_arns: vec![],
        ami_ou_arns: vec![],
        deprecate_at: None,
        force_deregister: false,
        force_delete_snapshot: false,
        skip_create_ami: false,
        skip_save_build_region: false,
        deregistration_protection: Default::default(),
        snapshot_copy_duration_minutes: None,
        ena_support: None,
        sriov_support: false,
        state_timeout: Duration::from_secs(120),
        max_poll_interval: Duration::from_secs(5),
        staging_bucket: None,
        retention: None,
        access: Default::default(),
    }
}

fn recipe(src: Source) -> Recipe {
    Recipe {
        path: "bench.pkr.hcl".into(),
        name: "bench".into(),
        variables: BTreeMap::new(),
        needs_remote: false,
        secrets: vec![],
        warnings: vec![],
        builds: vec![Build {
            name: None,
            sources: vec![src.name.clone()],
            foreign_sources: vec![],
            provisioners: vec![Provisioner::Shell(ShellProvisioner {
                common: ProvisionerCommon::default(),
                inline: vec!["echo baked > /tmp/baked".into()],
                scripts: vec![],
                environment_vars: vec![],
                inline_shebang: "/bin/sh -e".into(),
                expect_disconnect: false,
                timeout: Duration::from_secs(60),
                valid_exit_codes: vec![0],
            })],
            post_processors: vec![],
        }],
        sources: vec![src],
    }
}

async fn run(emu: &Emulator, r: &Recipe, skip: bool) -> (Duration, bool) {
    let aws = Aws::from_config(emu.sdk_config_with_retries("us-east-1", 5));
    let opts = BuildOptions {
        run_id: "bench".into(),
        skip_if_unchanged: skip,
        ..Default::default()
    };
    let start = Instant::now();
    let mut out = build::run(
        &aws,
        &Ui::quiet(),
        r,
        &opts,
        &Selection::default(),
        &Interrupts::none(),
    )
    .await
    .expect("build starts");
    let o = out.remove(0);
    if let Some(e) = o.error {
        panic!("build failed: {e}\n{}", emu.logs());
    }
    (start.elapsed(), o.result.reused)
}

/// The emulator's delays that a build cannot avoid, in the order they
/// gate each other: IAM propagation before RunInstances succeeds, pending
/// and SSM registration before commands, each command (sent one after the
/// other; its result is visible after the later of `invocation_visible` and
/// `command_start`), stopping, the image, then the copies and the
/// instance's shutdown (the temporary security group can only go once the
/// instance is terminated) — those two counted in parallel when the call
/// log shows the instance was terminated before the copies could be done,
/// in series otherwise.
fn critical_path(emu: &Emulator, copies: usize, calls: &[support::Call]) -> f64 {
    let cfg = emu.config();
    let d = |k: &str| cfg["delays"][k].as_f64().unwrap_or(0.0);
    let commands = calls
        .iter()
        .filter(|c| c.service == "ssm" && c.action == "SendCommand")
        .count() as f64;
    let first = |action: &str| {
        calls
            .iter()
            .find(|c| c.service == "ec2" && c.action == action)
            .map(|c| c.time)
    };
    let copy = if copies > 0 { d("copy_pending") } else { 0.0 };
    let shutdown = d("instance_shutting_down");
    let tail = match (first("CopyImage"), first("TerminateInstances")) {
        (Some(c), Some(t)) if t < c + copy => copy.max(t - c + shutdown),
        _ => copy + shutdown,
    };
    d("iam_propagation")
        + d("instance_pending")
        + d("ssm_register")
        + commands * d("invocation_visible").max(d("command_start"))
        + d("instance_stopping")
        + d("image_pending")
        + tail
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let emu = Emulator::start_with(EmulatorOptions::new().profile("realistic"));
    // Warm moto's per-region backends (first touch loads ~1,300 AMIs per
    // region), which is emulator cost, not amibake's.
    for r in std::iter::once("us-east-1").chain(COPY_REGIONS.iter().copied()) {
        let _ = emu.ec2(r).describe_images().owners("self").send().await;
        let _ = emu.ssm(r).describe_parameters().send().await;
    }
    let _ = run(&emu, &recipe(source("bench-warmup", 0)), false).await;

    let mut results = Vec::new();
    // AMIBAKE_BENCH_COPIES=3 runs only that case (for iteration);
    // AMIBAKE_BENCH_TRACE=1 prints every call's time since the build
    // started and its duration in the emulator.
    let only: Option<usize> = std::env::var("AMIBAKE_BENCH_COPIES")
        .ok()
        .and_then(|v| v.parse().ok());
    let trace = std::env::var_os("AMIBAKE_BENCH_TRACE").is_some();
    for copies in [3usize, 1, 5] {
        if only.is_some_and(|o| o != copies) {
            continue;
        }
        emu.clear_calls();
        let t0 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let (wall, _) = run(
            &emu,
            &recipe(source(&format!("bench-{copies}"), copies)),
            false,
        )
        .await;
        let calls = emu.calls();
        let crit = critical_path(&emu, copies, &calls);
        let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
        for c in &calls {
            *by_action
                .entry(format!("{}:{}", c.service, c.action))
                .or_default() += 1;
        }
        if trace {
            print_trace(&emu, t0);
        }
        let overhead = wall.as_secs_f64() - crit;
        println!(
            "build with {copies} copy region(s): wall {:.2}s, critical-path delays {:.2}s, overhead {:.2}s, {} API calls",
            wall.as_secs_f64(),
            crit,
            overhead,
            by_action.values().sum::<usize>()
        );
        for (a, n) in &by_action {
            println!("    {n:>4} {a}");
        }
        results.push((copies, wall, overhead));
    }
    if only.is_some() {
        return;
    }
    let three = results.iter().find(|r| r.0 == 3).unwrap();
    let one = results.iter().find(|r| r.0 == 1).unwrap();
    let five = results.iter().find(|r| r.0 == 5).unwrap();
    println!(
        "target overhead < 1.50s with 3 copy regions: {:.2}s {}",
        three.2,
        if three.2 < 1.5 { "PASS" } else { "FAIL" }
    );
    let ratio = five.1.as_secs_f64() / one.1.as_secs_f64();
    println!(
        "target 5 regions <= 1 region + 20%: {:.2}s vs {:.2}s (x{ratio:.2}) {}",
        five.1.as_secs_f64(),
        one.1.as_secs_f64(),
        if ratio <= 1.2 { "PASS" } else { "FAIL" }
    );

    // --skip-if-unchanged: build once, then time the unchanged run.
    let r = recipe(source("bench-skip", 1));
    run(&emu, &r, true).await;
    let (wall, reused) = run(&emu, &r, true).await;
    assert!(reused, "second run did not reuse the images");
    println!(
        "target --skip-if-unchanged unchanged < 2s: {:.2}s {}",
        wall.as_secs_f64(),
        if wall < Duration::from_secs(2) {
            "PASS"
        } else {
            "FAIL"
        }
    );
}

fn print_trace(emu: &Emulator, t0: f64) {
    let calls = emu.control("GET", "calls", None).expect("call log");
    for c in calls["calls"].as_array().unwrap() {
        println!(
            "    {:>7.3} +{:>5.0}ms {:<4} {:<15} {} {}",
            c["time"].as_f64().unwrap() - t0,
            c["duration"].as_f64().unwrap_or(0.0) * 1000.0,
            c["status"],
            c["region"].as_str().unwrap_or(""),
            c["service"].as_str().unwrap_or(""),
            c["action"].as_str().unwrap_or(""),
        );
    }
}
