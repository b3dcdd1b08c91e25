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

    let e = emu
        .ec2(REGION)
        .describe_images()
        .owners("self")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("RequestLimitExceeded"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));
    emu.ec2(REGION)
        .describe_images()
        .owners("self")
        .send()
        .await
        .expect("count 1: second call passes");

    let e = emu
        .ssm(REGION)
        .describe_instance_information()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_ssm::error::ProvideErrorMetadata::code(&e),
        Some("ThrottlingException")
    );
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));

    let e = emu.iam().list_roles().send().await.unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&e),
        Some("Throttling")
    );

    let e = emu
        .sts(REGION)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&e),
        Some("Throttling")
    );

    let e = emu
        .cloudformation(REGION)
        .describe_stacks()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&e),
        Some("Throttling")
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
    let mut throttled = 0;
    for _ in 0..40 {
        if emu
            .ec2("eu-west-1")
            .describe_regions()
            .send()
            .await
            .is_err()
        {
            throttled += 1;
        }
    }
    assert!((8..=32).contains(&throttled), "{throttled}");
    for _ in 0..10 {
        emu.ec2(REGION)
            .describe_regions()
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
            let e = r.unwrap_err();
            assert_eq!(e.code(), Some("InvalidAMIID.NotFound"));
            assert_eq!(e.message(), Some("gone"));
        } else {
            r.unwrap();
        }
    }
    emu.inject_fault(
        json!({"service": "ssm", "action": "GetParameter", "kind": "error", "nth": 1,
                            "code": "InternalServerError", "status": 500}),
    );
    let e = emu
        .ssm(REGION)
        .get_parameter()
        .name("/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_ssm::error::ProvideErrorMetadata::code(&e),
        Some("InternalServerError")
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
    let bad = emu
        .ec2("eu-west-1")
        .copy_image()
        .source_image_id(&src)
        .source_region(REGION)
        .name("copy-bad")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_string();
    let image = |region: &'static str, id: String| {
        let ec2 = emu.ec2(region);
        async move {
            ec2.describe_images()
                .image_ids(id)
                .send()
                .await
                .unwrap()
                .images()[0]
                .clone()
        }
    };
    assert_eq!(
        image("eu-west-1", bad.clone()).await.state(),
        Some(&ImageState::Pending)
    );
    let good = emu
        .ec2("us-west-2")
        .copy_image()
        .source_image_id(&src)
        .source_region(REGION)
        .name("copy-good")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_string();
    let failed = eventually(10.0, "failed", || {
        let f = image("eu-west-1", bad.clone());
        async move {
            let i = f.await;
            (i.state() == Some(&ImageState::Failed)).then_some(i)
        }
    })
    .await;
    assert!(failed.state_reason().unwrap().code().is_some());
    eventually(10.0, "available", || {
        let f = image("us-west-2", good.clone());
        async move { (f.await.state() == Some(&ImageState::Available)).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn unimplemented_calls_answer_in_the_protocol_error_format() {
    let emu = Emulator::start();
    let e = emu
        .ec2(REGION)
        .describe_fast_launch_images()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidAction"), "{e:?}");
    let e = emu
        .ssm(REGION)
        .describe_instance_patches()
        .instance_id("i-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_ssm::error::ProvideErrorMetadata::code(&e),
        Some("UnknownOperationException"),
        "{e:?}"
    );
    let e = emu
        .iam()
        .generate_service_last_accessed_details()
        .arn("arn:aws:iam::123456789012:role/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&e),
        Some("InvalidAction"),
        "{e:?}"
    );
    let e = emu
        .cloudformation(REGION)
        .describe_stack_drift_detection_status()
        .stack_drift_detection_id("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&e),
        Some("InvalidAction"),
        "{e:?}"
    );
}
