//! State delays and IAM eventual consistency.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{IamInstanceProfileSpecification, ImageState, InstanceStateName as State};

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
    let ami = al2023_ami(&emu, REGION).await;
    let out = run_instances_request(&emu, REGION, &ami, None)
        .send()
        .await
        .unwrap();
    let id = out.instances()[0].instance_id().unwrap().to_string();
    assert_eq!(
        out.instances()[0].state().unwrap().name(),
        Some(&State::Pending)
    );
    assert_in_transition(&emu, REGION, &id, State::Pending, State::Running).await;

    let reported = change_instance_state(&emu, REGION, &id, InstanceAction::Stop).await;
    assert_eq!(reported, State::Stopping);
    assert_in_transition(&emu, REGION, &id, State::Stopping, State::Stopped).await;

    let reported = change_instance_state(&emu, REGION, &id, InstanceAction::Start).await;
    assert_eq!(reported, State::Pending);
    wait_state(&emu, REGION, &id, State::Running).await;

    let reported = change_instance_state(&emu, REGION, &id, InstanceAction::Terminate).await;
    assert_eq!(reported, State::ShuttingDown);
    assert_in_transition(&emu, REGION, &id, State::ShuttingDown, State::Terminated).await;
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
    running_instance(&emu, REGION).await;
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
    let id = running_instance(&emu, REGION).await;
    let img = create_image(&emu, REGION, &id, "delay-test").await;
    assert_eq!(image_state(&emu, REGION, &img).await, ImageState::Pending);
    wait_image(&emu, REGION, &img, ImageState::Available, 10.0).await;
}

#[tokio::test]
async fn fresh_instance_profile_is_refused_until_iam_propagates() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("iam_propagation", 4.0));
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "fresh", true).await;
    let err = assert_error_code(
        run_instances_request(&emu, REGION, &ami, Some("fresh"))
            .send()
            .await,
        "InvalidParameterValue",
    );
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
    let err = assert_error_code(
        run_instances_request(&emu, REGION, &ami, None)
            .iam_instance_profile(IamInstanceProfileSpecification::builder().arn(&arn).build())
            .send()
            .await,
        "InvalidParameterValue",
    );
    assert!(err
        .message()
        .unwrap()
        .contains("Invalid IAM Instance Profile"));

    let (emu, ami) = (&emu, &ami);
    let id = eventually(10.0, "profile propagated", || async move {
        run_instances_request(emu, REGION, ami, Some("fresh"))
            .send()
            .await
            .ok()
            .map(|o| o.instances()[0].instance_id().unwrap().to_string())
    })
    .await;
    assert!(id.starts_with("i-"));
}
