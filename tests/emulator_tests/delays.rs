//! State delays and IAM eventual consistency.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{IamInstanceProfileSpecification, ImageState, InstanceStateName};

use super::common::*;
use crate::support::{Emulator, EmulatorOptions};

#[tokio::test]
async fn instance_goes_pending_running_stopping_stopped_shutting_down_terminated() {
    let emu = Emulator::start_with(
        EmulatorOptions::new()
            .delay("instance_pending", 2.0)
            .delay("instance_stopping", 2.0)
            .delay("instance_shutting_down", 2.0),
    );
    let ec2 = emu.ec2(REGION);
    let ami = al2023_ami(&emu, REGION).await;
    let out = ec2
        .run_instances()
        .image_id(&ami)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let id = out.instances()[0].instance_id().unwrap().to_string();
    assert_eq!(
        out.instances()[0].state().unwrap().name(),
        Some(&InstanceStateName::Pending)
    );
    assert_eq!(
        instance_state(&emu, REGION, &id).await,
        InstanceStateName::Pending
    );
    wait_state(&emu, REGION, &id, InstanceStateName::Running).await;

    let stop = ec2.stop_instances().instance_ids(&id).send().await.unwrap();
    assert_eq!(
        stop.stopping_instances()[0].current_state().unwrap().name(),
        Some(&InstanceStateName::Stopping)
    );
    assert_eq!(
        instance_state(&emu, REGION, &id).await,
        InstanceStateName::Stopping
    );
    wait_state(&emu, REGION, &id, InstanceStateName::Stopped).await;

    let start = ec2
        .start_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        start.starting_instances()[0]
            .current_state()
            .unwrap()
            .name(),
        Some(&InstanceStateName::Pending)
    );
    wait_state(&emu, REGION, &id, InstanceStateName::Running).await;

    let term = ec2
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        term.terminating_instances()[0]
            .current_state()
            .unwrap()
            .name(),
        Some(&InstanceStateName::ShuttingDown)
    );
    assert_eq!(
        instance_state(&emu, REGION, &id).await,
        InstanceStateName::ShuttingDown
    );
    wait_state(&emu, REGION, &id, InstanceStateName::Terminated).await;
}

#[tokio::test]
async fn delays_are_configurable_at_runtime_and_profiles_exist() {
    let emu = Emulator::start_with(EmulatorOptions::new().profile("realistic"));
    let cfg = emu.config();
    assert_eq!(cfg["profile"], "realistic");
    assert_eq!(cfg["delays"]["image_pending"], 4.0);
    assert_eq!(cfg["delays"]["instance_pending"], 1.5);
    emu.configure(serde_json::json!({"profile": "test"}));
    emu.set_delays(&[("instance_pending", 0.0)]);
    let cfg = emu.config();
    assert_eq!(cfg["delays"]["instance_pending"], 0.0);
    assert_eq!(cfg["delays"]["iam_propagation"], 0.0);
    let ami = al2023_ami(&emu, REGION).await;
    let id = launch(&emu, REGION, &ami, None).await;
    wait_state(&emu, REGION, &id, InstanceStateName::Running).await;
    assert!(emu
        .control(
            "POST",
            "config",
            Some(&serde_json::json!({"delays": {"nope": 1}}))
        )
        .is_err());
}

#[tokio::test]
async fn created_image_is_pending_then_available() {
    let emu = Emulator::start_with(
        EmulatorOptions::new()
            .delay("image_pending", 2.0)
            .delay("instance_pending", 0.0),
    );
    let ec2 = emu.ec2(REGION);
    let ami = al2023_ami(&emu, REGION).await;
    let id = launch(&emu, REGION, &ami, None).await;
    wait_state(&emu, REGION, &id, InstanceStateName::Running).await;
    let img = ec2
        .create_image()
        .instance_id(&id)
        .name("delay-test")
        .send()
        .await
        .unwrap();
    let img = img.image_id().unwrap().to_string();
    let state = |ec2: aws_sdk_ec2::Client, img: String| async move {
        ec2.describe_images()
            .image_ids(img)
            .send()
            .await
            .unwrap()
            .images()[0]
            .state()
            .unwrap()
            .clone()
    };
    assert_eq!(state(ec2.clone(), img.clone()).await, ImageState::Pending);
    eventually(10.0, "image available", || {
        let (ec2, img) = (ec2.clone(), img.clone());
        async move { (state(ec2, img).await == ImageState::Available).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn fresh_instance_profile_is_refused_until_iam_propagates() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("iam_propagation", 4.0));
    let ec2 = emu.ec2(REGION);
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "fresh", true).await;
    let err = ec2
        .run_instances()
        .image_id(&ami)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("fresh")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(
        err.message(),
        Some("Value (fresh) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    );
    // By ARN too.
    let arn = emu
        .iam()
        .get_instance_profile()
        .instance_profile_name("fresh")
        .send()
        .await
        .unwrap();
    let arn = arn.instance_profile().unwrap().arn().to_string();
    let err = ec2
        .run_instances()
        .image_id(&ami)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(IamInstanceProfileSpecification::builder().arn(&arn).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert!(err
        .message()
        .unwrap()
        .contains("Invalid IAM Instance Profile"));

    let id = eventually(10.0, "profile propagated", || {
        let ec2 = ec2.clone();
        let ami = ami.clone();
        async move {
            ec2.run_instances()
                .image_id(ami)
                .min_count(1)
                .max_count(1)
                .iam_instance_profile(
                    IamInstanceProfileSpecification::builder()
                        .name("fresh")
                        .build(),
                )
                .send()
                .await
                .ok()
                .map(|o| o.instances()[0].instance_id().unwrap().to_string())
        }
    })
    .await;
    assert!(id.starts_with("i-"));
}
