//! Fault injection and protocol-correct errors.

use std::time::{Duration, Instant};

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::ImageState;
use serde_json::json;

use super::common::*;
use crate::support::{Emulator, EmulatorOptions};

#[tokio::test]
async fn throttling_uses_each_protocols_error_code_and_format() {
    let emu = Emulator::start();
    emu.inject_fault(
        json!({"service": "ec2", "action": "DescribeImages", "kind": "throttle", "count": 1}),
    );
    emu.inject_fault(json!({"service": "ssm", "action": "*", "kind": "throttle", "count": 1}));
    emu.inject_fault(
        json!({"service": "iam", "action": "ListRoles", "kind": "throttle", "count": 1}),
    );
    emu.inject_fault(
        json!({"service": "sts", "action": "GetCallerIdentity", "kind": "throttle", "count": 1}),
    );
    emu.inject_fault(json!({"service": "cloudformation", "action": "DescribeStacks", "kind": "throttle", "count": 1}));

    let e = assert_error_code(
        emu.ec2(REGION)
            .describe_images()
            .owners("self")
            .send()
            .await,
        "RequestLimitExceeded",
    );
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));
    emu.ec2(REGION)
        .describe_images()
        .owners("self")
        .send()
        .await
        .expect("count 1: second call passes");

    let e = assert_error_code(
        emu.ssm(REGION).describe_instance_information().send().await,
        "ThrottlingException",
    );
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));

    assert_error_code(emu.iam().list_roles().send().await, "Throttling");
    assert_error_code(
        emu.sts(REGION).get_caller_identity().send().await,
        "Throttling",
    );
    assert_error_code(
        emu.cloudformation(REGION).describe_stacks().send().await,
        "Throttling",
    );

    // The SDK's own retry handles a throttled call when retries are on.
    emu.inject_fault(
        json!({"service": "ec2", "action": "DescribeImages", "kind": "throttle", "count": 2}),
    );
    let retrying = aws_sdk_ec2::Client::new(&emu.sdk_config_with_retries(REGION, 4));
    retrying
        .describe_images()
        .owners("self")
        .send()
        .await
        .expect("retried past throttling");
}

#[tokio::test]
async fn throttling_by_rate_is_seeded_and_regional() {
    let emu = Emulator::start();
    emu.inject_fault(
        json!({"service": "ec2", "action": "DescribeRegions", "kind": "throttle", "rate": 0.5,
                            "seed": 7, "region": "eu-west-1"}),
    );
    let (eu, us) = (emu.ec2("eu-west-1"), emu.ec2(REGION));
    let mut throttled = 0;
    for _ in 0..40 {
        if eu.describe_regions().send().await.is_err() {
            throttled += 1;
        }
    }
    assert!((8..=32).contains(&throttled), "{throttled}");
    for _ in 0..10 {
        us.describe_regions()
            .send()
            .await
            .expect("other region unaffected");
    }
}

#[tokio::test]
async fn named_error_on_the_nth_call_only() {
    let emu = Emulator::start();
    emu.inject_fault(
        json!({"service": "ec2", "action": "DescribeImages", "kind": "error", "nth": 3,
                            "code": "InvalidAMIID.NotFound", "message": "gone", "status": 400}),
    );
    let ec2 = emu.ec2(REGION);
    for n in 1..=5 {
        let r = ec2.describe_images().owners("self").send().await;
        if n == 3 {
            let e = assert_error_code(r, "InvalidAMIID.NotFound");
            assert_eq!(e.message(), Some("gone"));
        } else {
            r.unwrap();
        }
    }
    emu.inject_fault(
        json!({"service": "ssm", "action": "GetParameter", "kind": "error", "nth": 1,
                            "code": "InternalServerError", "status": 500}),
    );
    assert_error_code(
        emu.ssm(REGION).get_parameter().name("/x").send().await,
        "InternalServerError",
    );
    emu.clear_faults();
    assert_eq!(
        emu.control("GET", "faults", None).unwrap()["faults"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn slow_fault_delays_the_call() {
    let emu = Emulator::start();
    // Warm moto up first: its first IAM/STS calls load AWS managed policies (seconds).
    emu.iam().list_roles().send().await.unwrap();
    emu.sts(REGION).get_caller_identity().send().await.unwrap();
    emu.clear_calls();
    emu.inject_fault(
        json!({"service": "sts", "action": "GetCallerIdentity", "kind": "slow",
                            "delay_seconds": 2.0, "count": 1}),
    );
    let sts = emu.sts(REGION);
    let t = Instant::now();
    sts.get_caller_identity().send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(1950));
    sts.get_caller_identity().send().await.unwrap();
    // Server-side durations from the call log (client timing is noisy on a loaded machine).
    let calls = emu.control("GET", "calls", None).unwrap();
    let d: Vec<f64> = calls["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["duration"].as_f64().unwrap())
        .collect();
    assert!(d[0] >= 1.95, "{d:?}");
    assert!(d[1] < 1.0, "{d:?}");
}

#[tokio::test]
async fn instance_marked_never_online_never_registers() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("ssm_register", 0.1));
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "p", true).await;
    let a = launch(&emu, REGION, &ami, Some("p")).await;
    emu.ssm_never_online(Some(&a));
    let b = launch(&emu, REGION, &ami, Some("p")).await;
    wait_online(&emu, REGION, &b).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(ping_status(&emu, REGION, &a).await, None);
    // With no instance id: every instance launched from now on.
    emu.ssm_never_online(None);
    let c = launch(&emu, REGION, &ami, Some("p")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(ping_status(&emu, REGION, &c).await, None);
    assert_eq!(
        ping_status(&emu, REGION, &b).await.as_deref(),
        Some("Online")
    );
}

#[tokio::test]
async fn copy_image_into_a_failing_region_ends_failed_with_a_state_reason() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("copy_pending", 3.0));
    emu.copy_image_fails("eu-west-1");
    let src = emu
        .seed_images(json!({"region": REGION, "count": 1, "name_prefix": "src"}))
        .remove(0);
    let bad = copy_image(&emu, "eu-west-1", REGION, &src, "copy-bad").await;
    assert_eq!(
        image_state(&emu, "eu-west-1", &bad).await,
        ImageState::Pending
    );
    let good = copy_image(&emu, "us-west-2", REGION, &src, "copy-good").await;
    let failed = wait_image(&emu, "eu-west-1", &bad, ImageState::Failed, 10.0).await;
    assert!(failed.state_reason().unwrap().code().is_some());
    wait_image(&emu, "us-west-2", &good, ImageState::Available, 10.0).await;
}

#[tokio::test]
async fn unimplemented_calls_answer_in_the_protocol_error_format() {
    let emu = Emulator::start();
    assert_error_code(
        emu.ec2(REGION).describe_fast_launch_images().send().await,
        "InvalidAction",
    );
    let patches = emu
        .ssm(REGION)
        .describe_instance_patches()
        .instance_id("i-0123456789abcdef0");
    assert_error_code(patches.send().await, "UnknownOperationException");
    let details = emu
        .iam()
        .generate_service_last_accessed_details()
        .arn("arn:aws:iam::123456789012:role/x");
    assert_error_code(details.send().await, "InvalidAction");
    let drift = emu
        .cloudformation(REGION)
        .describe_stack_drift_detection_status()
        .stack_drift_detection_id("x");
    assert_error_code(drift.send().await, "InvalidAction");
}
