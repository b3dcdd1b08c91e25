//! Images carry files; the EC2 image calls moto lacks.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, ImageAttributeName, ImageState, ResourceType,
};
use aws_smithy_types::DateTime;
use serde_json::json;

use super::common::*;
use crate::support::{Emulator, EmulatorOptions};

#[tokio::test]
async fn provisioned_files_are_in_the_image_and_its_copy_in_another_region() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("copy_pending", 2.0));
    let id = managed_instance(&emu, REGION).await;
    run(
        &emu,
        REGION,
        &id,
        &["mkdir -p /opt/app", "echo baked > /opt/app/version"],
        &[],
    )
    .await;
    let img = create_image(&emu, REGION, &id, "app-1").await;
    // Later changes to the instance are not in the image.
    run(&emu, REGION, &id, &["echo changed > /opt/app/version"], &[]).await;
    wait_image(&emu, REGION, &img, ImageState::Available, 15.0).await;

    let dst = "eu-west-1";
    let copy = copy_image(&emu, dst, REGION, &img, "app-1").await;
    assert_eq!(image_state(&emu, dst, &copy).await, ImageState::Pending);
    let described = wait_image(&emu, dst, &copy, ImageState::Available, 15.0).await;
    assert_eq!(described.source_image_id(), Some(img.as_str()));

    let inst = managed_instance_from(&emu, dst, &copy).await;
    let out = run(&emu, dst, &inst, &["cat /opt/app/version"], &[]).await;
    assert_eq!(out.stdout, "baked\n");
    // And from the original image in its region.
    let inst2 = managed_instance_from(&emu, REGION, &img).await;
    assert_eq!(
        emu.read_instance_file(&inst2, "/opt/app/version")
            .as_deref(),
        Some("baked\n")
    );
}

#[tokio::test]
async fn create_image_tags_image_and_snapshots_and_copy_image_tags_is_honoured() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let id = unmanaged_instance(&emu, REGION).await;
    let img = create_image_with(&emu, REGION, &id, "tagged", |req| {
        req.tag_specifications(tag_spec(ResourceType::Image, "app", "x"))
            .tag_specifications(tag_spec(ResourceType::Snapshot, "snap", "y"))
    })
    .await;
    let image = describe_image(&emu, REGION, &img).await;
    assert_eq!(image.tags(), &[tag("app", "x")]);
    let s = ec2
        .describe_snapshots()
        .snapshot_ids(root_snapshot(&image))
        .send()
        .await
        .unwrap();
    assert_eq!(s.snapshots()[0].tags(), &[tag("snap", "y")]);

    let with = copy_image_with(&emu, "eu-west-1", REGION, &img, "copy-with-tags", |req| {
        req.copy_image_tags(true)
    })
    .await;
    let without = copy_image(&emu, "eu-west-1", REGION, &img, "copy-without-tags").await;
    for i in describe_images(&emu, "eu-west-1", &[&with, &without]).await {
        if i.image_id() == Some(with.as_str()) {
            assert_eq!(i.tags(), &[tag("app", "x")]);
        } else {
            assert!(i.tags().is_empty());
        }
    }
}

#[tokio::test]
async fn duplicate_ami_name_in_a_region_is_refused() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let id = unmanaged_instance(&emu, REGION).await;
    let first = create_image(&emu, REGION, &id, "same").await;
    let again = ec2
        .create_image()
        .instance_id(&id)
        .name("same")
        .send()
        .await;
    let err = assert_error_code(again, "InvalidAMIName.Duplicate");
    assert!(err.message().unwrap().contains(&first));
    let copied = ec2
        .copy_image()
        .source_image_id(&first)
        .source_region(REGION)
        .name("same");
    assert_error_code(copied.send().await, "InvalidAMIName.Duplicate");
    let registered = ec2.register_image().name("same").send().await;
    assert_error_code(registered, "InvalidAMIName.Duplicate");
    // Same name in another region is fine.
    copy_image(&emu, "eu-west-1", REGION, &first, "same").await;
}

#[tokio::test]
async fn image_deprecation_can_be_enabled_and_disabled() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let img = emu
        .seed_images(json!({"region": REGION, "count": 1, "name_prefix": "dep"}))
        .remove(0);
    // Two days from now, at second 10 of a minute: AWS rounds to the minute.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let minute = (now / 60 + 2 * 24 * 60) * 60;
    ec2.enable_image_deprecation()
        .image_id(&img)
        .deprecate_at(DateTime::from_secs(minute + 10))
        .send()
        .await
        .unwrap();
    let image = describe_image(&emu, REGION, &img).await;
    let want = DateTime::from_secs(minute)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    assert_eq!(
        image.deprecation_time(),
        Some(format!("{}.000Z", &want[..19])).as_deref()
    );
    let in_the_past = ec2
        .enable_image_deprecation()
        .image_id(&img)
        .deprecate_at(DateTime::from_secs(1_000_000_000));
    assert_error_code(in_the_past.send().await, "InvalidParameterValue");
    ec2.disable_image_deprecation()
        .image_id(&img)
        .send()
        .await
        .unwrap();
    let image = describe_image(&emu, REGION, &img).await;
    assert_eq!(image.deprecation_time(), None);
}

#[tokio::test]
async fn protected_image_cannot_be_deregistered_until_protection_is_disabled() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let ids = emu.seed_images(json!({"region": REGION, "count": 2, "name_prefix": "prot"}));
    protect_image(&emu, REGION, &ids[0], false).await;
    let image = describe_image(&emu, REGION, &ids[0]).await;
    assert_eq!(image.deregistration_protection(), Some("enabled"));
    let deregistered = ec2.deregister_image().image_id(&ids[0]).send().await;
    assert_error_code(deregistered, "OperationNotPermitted");
    unprotect_image(&emu, REGION, &ids[0]).await;
    deregister_image(&emu, REGION, &ids[0], false).await;
    // With cooldown: still protected for 24 h after disabling.
    protect_image(&emu, REGION, &ids[1], true).await;
    unprotect_image(&emu, REGION, &ids[1]).await;
    let image = describe_image(&emu, REGION, &ids[1]).await;
    assert!(image
        .deregistration_protection()
        .unwrap()
        .starts_with("disabled-until"));
    assert!(ec2
        .deregister_image()
        .image_id(&ids[1])
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn deregister_with_delete_associated_snapshots_skips_snapshots_other_images_use() {
    let emu = Emulator::start();
    let ids = emu.seed_images(json!({"region": REGION, "count": 1, "name_prefix": "snap"}));
    let snap = root_snapshot(&describe_image(&emu, REGION, &ids[0]).await);
    // A second image registered from the same snapshot.
    let other = emu
        .ec2(REGION)
        .register_image()
        .name("shares-snapshot")
        .root_device_name("/dev/xvda")
        .block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(EbsBlockDevice::builder().snapshot_id(&snap).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_string();
    let out = deregister_image(&emu, REGION, &ids[0], true).await;
    let r = &out.delete_snapshot_results()[0];
    assert_eq!(r.snapshot_id(), Some(snap.as_str()));
    assert_eq!(r.return_code().map(|c| c.as_str()), Some("skipped"));
    assert!(snapshot_exists(&emu, REGION, &snap).await);
    let out = deregister_image(&emu, REGION, &other, true).await;
    assert_eq!(
        out.delete_snapshot_results()[0]
            .return_code()
            .map(|c| c.as_str()),
        Some("success")
    );
    assert!(!snapshot_exists(&emu, REGION, &snap).await);
    // Without the flag, the snapshot stays.
    let ids = emu.seed_images(json!({"region": REGION, "count": 1, "name_prefix": "keep"}));
    let snap = root_snapshot(&describe_image(&emu, REGION, &ids[0]).await);
    let out = deregister_image(&emu, REGION, &ids[0], false).await;
    assert!(out.delete_snapshot_results().is_empty());
    assert!(snapshot_exists(&emu, REGION, &snap).await);
}

#[tokio::test]
async fn last_launched_time_is_set_by_run_instances_and_by_the_control_api() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let ids = emu.seed_images(json!({"region": REGION, "count": 2, "name_prefix": "llt"}));
    let attr = |img: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_image_attribute()
                .image_id(img)
                .attribute(ImageAttributeName::LastLaunchedTime)
                .send()
                .await
                .unwrap()
                .last_launched_time()
                .and_then(|v| v.value())
                .map(|s| s.to_string())
        }
    };
    assert_eq!(attr(ids[0].clone()).await, None);
    launch(&emu, REGION, &ids[0], None).await;
    let t = attr(ids[0].clone()).await.expect("set by RunInstances");
    assert!(t.ends_with('Z') && t.len() == 24, "{t}");
    emu.set_image_times(
        REGION,
        &ids[1],
        json!({"last_launched_time": "2025-03-04T05:06:07.000Z",
                                                 "creation_date": "2024-01-01T00:00:00.000Z"}),
    );
    assert_eq!(
        attr(ids[1].clone()).await.as_deref(),
        Some("2025-03-04T05:06:07.000Z")
    );
    assert_eq!(
        describe_image(&emu, REGION, &ids[1]).await.creation_date(),
        Some("2024-01-01T00:00:00.000Z")
    );
}

#[tokio::test]
async fn describe_images_paginates_with_max_results_and_next_token() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let seeded = emu.seed_images(json!({"region": REGION, "count": 25, "name_prefix": "page"}));
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = ec2
            .describe_images()
            .owners("self")
            .max_results(10)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.images().len() <= 10);
        seen.extend(
            out.images()
                .iter()
                .map(|i| i.image_id().unwrap().to_string()),
        );
        token = out.next_token().map(|s| s.to_string());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    let mut want = seeded.clone();
    want.sort();
    assert_eq!(seen, want);
    // The SDK paginator works too.
    let all: Vec<_> = ec2
        .describe_images()
        .owners("self")
        .max_results(7)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 25);
}

#[tokio::test]
async fn describe_image_references_lists_instances_using_an_image() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let ids = emu.seed_images(json!({"region": REGION, "count": 2, "name_prefix": "ref"}));
    let inst = launch(&emu, REGION, &ids[0], None).await;
    let out = ec2
        .describe_image_references()
        .image_ids(&ids[0])
        .image_ids(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(out.image_references().len(), 1);
    assert!(out.image_references()[0].arn().unwrap().ends_with(&inst));
}

/// ModifySnapshotAttribute in the structured form the SDKs send
/// (`CreateVolumePermission.Add/Remove`), which moto alone ignores.
#[tokio::test]
async fn snapshot_volume_permissions_in_the_structured_form() {
    use aws_sdk_ec2::types::{
        CreateVolumePermission as P, CreateVolumePermissionModifications as M,
        SnapshotAttributeName,
    };
    let emu = Emulator::start();
    let ec2 = emu.ec2("us-east-1");
    let vol = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(8)
        .send()
        .await
        .unwrap();
    let snap = ec2
        .create_snapshot()
        .volume_id(vol.volume_id().unwrap())
        .send()
        .await
        .unwrap();
    let id = snap.snapshot_id().unwrap();
    let modify = |m: M| {
        ec2.modify_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .create_volume_permission(m)
            .send()
    };
    let perms = || async {
        ec2.describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
            .unwrap()
            .create_volume_permissions()
            .to_vec()
    };
    modify(
        M::builder()
            .add(P::builder().user_id("111122223333").build())
            .add(P::builder().group("all".into()).build())
            .build(),
    )
    .await
    .unwrap();
    let p = perms().await;
    assert!(
        p.iter().any(|x| x.user_id() == Some("111122223333")),
        "{p:?}"
    );
    assert!(p.iter().any(|x| x.group().is_some()), "{p:?}");
    modify(
        M::builder()
            .remove(P::builder().user_id("111122223333").build())
            .build(),
    )
    .await
    .unwrap();
    let p = perms().await;
    assert!(!p.iter().any(|x| x.user_id().is_some()), "{p:?}");
}

/// ModifyInstanceAttribute's EnaSupport and SriovNetSupport (moto lacks
/// both): refused on a running instance, kept by the image made from the
/// stopped one and by its copies.
#[tokio::test]
async fn ena_and_sriov_support_go_from_the_stopped_instance_to_its_images() {
    use aws_sdk_ec2::types::{AttributeBooleanValue, AttributeValue, InstanceStateName};
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let id = running_instance(&emu, REGION).await;
    let ena = |on: bool| {
        ec2.modify_instance_attribute()
            .instance_id(&id)
            .ena_support(AttributeBooleanValue::builder().value(on).build())
            .send()
    };
    assert_error_code(ena(true).await, "IncorrectInstanceState");

    change_instance_state(&emu, REGION, &id, InstanceAction::Stop).await;
    wait_state(&emu, REGION, &id, InstanceStateName::Stopped).await;
    let plain = create_image(&emu, REGION, &id, "plain-1").await;
    ena(true).await.unwrap();
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .sriov_net_support(AttributeValue::builder().value("simple").build())
        .send()
        .await
        .unwrap();
    let img = create_image(&emu, REGION, &id, "enhanced-1").await;
    let image = wait_image(&emu, REGION, &img, ImageState::Available, 15.0).await;
    assert_eq!(image.ena_support(), Some(true));
    assert_eq!(image.sriov_net_support(), Some("simple"));
    let before = describe_image(&emu, REGION, &plain).await;
    assert_eq!(before.ena_support(), None, "set after that image was made");
    assert_eq!(before.sriov_net_support(), None);

    let dst = "eu-west-1";
    let copy = copy_image(&emu, dst, REGION, &img, "enhanced-1").await;
    let copied = wait_image(&emu, dst, &copy, ImageState::Available, 15.0).await;
    assert_eq!(copied.ena_support(), Some(true));
    assert_eq!(copied.sriov_net_support(), Some("simple"));
}
