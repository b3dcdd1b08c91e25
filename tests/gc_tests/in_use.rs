//! Never delete an image that is in use. Every test makes all images old
//! enough to go and `--keep 0`, so only the protection keeps the one in use.

use std::time::Duration;

use aws_sdk_ec2::types::{
    InstanceStateName, LaunchPermission, LaunchPermissionModifications, RequestLaunchTemplateData,
};
use serde_json::json;

use super::harness::*;
use crate::support::Emulator;
use amibake::gc::plan::Action;

const KEEP_NONE: &[&str] = &["--recipe", "app", "--keep", "0", "--apply"];

#[tokio::test]
async fn image_used_by_a_stopped_instance_is_kept_but_not_by_a_terminated_one() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    let ec2 = emu.ec2(REGION);
    let run = |image: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.run_instances()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .min_count(1)
                .max_count(1)
                .send()
                .await
                .unwrap()
                .instances()[0]
                .instance_id()
                .unwrap()
                .to_owned()
        }
    };
    let stopped = run(ids[0].clone()).await;
    let terminated = run(ids[1].clone()).await;
    wait_state(&emu, &stopped, InstanceStateName::Running).await;
    ec2.stop_instances()
        .instance_ids(&stopped)
        .send()
        .await
        .unwrap();
    ec2.terminate_instances()
        .instance_ids(&terminated)
        .send()
        .await
        .unwrap();
    wait_state(&emu, &stopped, InstanceStateName::Stopped).await;
    wait_state(&emu, &terminated, InstanceStateName::Terminated).await;
    // Launching set LastLaunchedTime to now; age it so only the instance
    // itself can protect the image.
    let long_ago = iso(time::OffsetDateTime::now_utc() - time::Duration::days(60));
    for id in &ids[..2] {
        emu.set_image_times(REGION, id, json!({"last_launched_time": long_ago}));
    }

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[0]]));
    assert_eq!(
        decision(&plan, &ids[0]),
        (
            Action::Keep,
            format!("in use by instance {stopped} (stopped)").as_str()
        )
    );
}

async fn wait_state(emu: &Emulator, id: &str, want: InstanceStateName) {
    for _ in 0..100 {
        let out = emu
            .ec2(REGION)
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .unwrap();
        let state = out.reservations()[0].instances()[0]
            .state()
            .unwrap()
            .name()
            .unwrap()
            .clone();
        if state == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} never reached {want:?}");
}

#[tokio::test]
async fn image_in_an_old_non_default_launch_template_version_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 4, 30);
    let ec2 = emu.ec2(REGION);
    let data = |image: &str| RequestLaunchTemplateData::builder().image_id(image).build();
    let lt = ec2
        .create_launch_template()
        .launch_template_name("web")
        .launch_template_data(data(&ids[3]))
        .send()
        .await
        .unwrap();
    let lt_id = lt
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();
    // Version 2 uses ids[1]; versions 3 (latest) and 1 (default) use ids[3].
    ec2.create_launch_template_version()
        .launch_template_id(&lt_id)
        .launch_template_data(data(&ids[1]))
        .send()
        .await
        .unwrap();
    ec2.create_launch_template_version()
        .launch_template_id(&lt_id)
        .launch_template_data(data(&ids[3]))
        .send()
        .await
        .unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[1], &ids[3]]));
    assert_eq!(
        decision(&plan, &ids[1]),
        (
            Action::Keep,
            format!("in use by launch template {lt_id} (web) version 2").as_str()
        )
    );
}

#[tokio::test]
async fn image_behind_a_resolve_ssm_alias_in_a_launch_template_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    // The parameter also names the image, so remove that protection's effect
    // by checking the reason mentions the template.
    emu.ssm(REGION)
        .put_parameter()
        .name("/app/golden")
        .value(&ids[1])
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .data_type("aws:ec2:image")
        .send()
        .await
        .unwrap();
    let ec2 = emu.ec2(REGION);
    let lt = ec2
        .create_launch_template()
        .launch_template_name("api")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id("resolve:ssm:/app/golden")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let lt_id = lt
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[1]]));
    let (action, reason) = decision(&plan, &ids[1]);
    assert_eq!(action, Action::Keep);
    assert!(
        reason.contains(&format!(
            "in use by launch template {lt_id} (api) version 1 via resolve:ssm:/app/golden"
        )),
        "{reason}"
    );
}

#[tokio::test]
async fn image_named_by_an_ssm_parameter_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    // Plain text parameter, listing form (a StringList of two images).
    emu.ssm(REGION)
        .put_parameter()
        .name("deploy-targets")
        .value(format!("ami-00000000,{}", ids[2]))
        .r#type(aws_sdk_ssm::types::ParameterType::StringList)
        .send()
        .await
        .unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[2]]));
    assert_eq!(
        decision(&plan, &ids[2]),
        (Action::Keep, "referenced by SSM parameter deploy-targets")
    );
}

#[tokio::test]
async fn image_in_a_cloudformation_stack_parameter_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    let template = json!({
        "Parameters": {"ImageId": {"Type": "AWS::EC2::Image::Id"}},
        "Resources": {"P": {"Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "cfn-unrelated", "Type": "String", "Value": "x"}}}
    });
    emu.cloudformation(REGION)
        .create_stack()
        .stack_name("prod-web")
        .template_body(template.to_string())
        .parameters(
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key("ImageId")
                .parameter_value(&ids[0])
                .build(),
        )
        .send()
        .await
        .unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[0]]));
    assert_eq!(
        decision(&plan, &ids[0]),
        (
            Action::Keep,
            "referenced by CloudFormation stack prod-web parameter ImageId"
        )
    );
}

#[tokio::test]
async fn deregistration_protected_image_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    emu.ec2(REGION)
        .enable_image_deregistration_protection()
        .image_id(&ids[0])
        .send()
        .await
        .unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[0]]));
    assert_eq!(
        decision(&plan, &ids[0]),
        (Action::Keep, "deregistration protection enabled")
    );
}

#[tokio::test]
async fn shared_images_are_kept_unless_include_shared() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    let ec2 = emu.ec2(REGION);
    ec2.modify_image_attribute()
        .image_id(&ids[0])
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(LaunchPermission::builder().user_id("111122223333").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.modify_image_attribute()
        .image_id(&ids[1])
        .launch_permission(
            LaunchPermissionModifications::builder()
                .add(
                    LaunchPermission::builder()
                        .group(aws_sdk_ec2::types::PermissionGroup::All)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[0], &ids[1]]));
    let (action, reason) = decision(&plan, &ids[0]);
    assert_eq!(action, Action::Keep);
    assert!(
        reason.starts_with("shared with account 111122223333"),
        "{reason}"
    );
    let (action, reason) = decision(&plan, &ids[1]);
    assert_eq!(action, Action::Keep);
    assert!(
        reason.starts_with("public") || reason.contains("group all"),
        "{reason}"
    );

    let plan = gc(
        &emu,
        &[
            "--recipe",
            "app",
            "--keep",
            "0",
            "--include-shared",
            "--apply",
        ],
    )
    .await;
    assert!(plan.succeeded());
    assert!(remaining(&emu, REGION).await.is_empty());
}

/// Launch configurations still scale old Auto Scaling groups. 105 of them
/// need two pages (MaxRecords 100), and the one that matters comes last.
#[tokio::test]
async fn image_in_a_launch_configuration_on_a_later_page_is_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    let autoscaling = emu.autoscaling(REGION);
    let create = |name: String, image: &str| {
        autoscaling
            .create_launch_configuration()
            .launch_configuration_name(name)
            .image_id(image)
            .instance_type("t3.micro")
            .send()
    };
    for i in 0..104 {
        create(format!("lc-{i:03}"), "ami-0123456789abcdef0")
            .await
            .unwrap();
    }
    create("lc-web-2019".into(), &ids[1]).await.unwrap();

    let plan = gc(&emu, KEEP_NONE).await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[1]]));
    assert_eq!(
        decision(&plan, &ids[1]),
        (Action::Keep, "in use by launch configuration lc-web-2019")
    );
    let pages = emu.calls_for("autoscaling", "DescribeLaunchConfigurations");
    assert_eq!(pages.len(), 2, "both pages were read");
}

/// Without permission to list launch configurations gc cannot know whether
/// an image is in use, so it deletes nothing in that region.
#[tokio::test]
async fn launch_configurations_unreadable_skips_the_region() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 3, 30);
    emu.inject_fault(json!({
        "service": "autoscaling", "action": "DescribeLaunchConfigurations",
        "kind": "error", "code": "AccessDenied",
        "message": "User is not authorized to perform: autoscaling:DescribeLaunchConfigurations",
        "status": 403,
    }));

    let plan = gc(&emu, KEEP_NONE).await;

    assert!(!plan.succeeded());
    let skipped = plan.skipped_regions();
    assert_eq!(skipped.len(), 1);
    let error = skipped[0].error.as_deref().unwrap();
    assert!(
        error.contains("autoscaling:DescribeLaunchConfigurations")
            && error.contains("AccessDenied"),
        "{error}"
    );
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&ids.iter().collect::<Vec<_>>())
    );
}
