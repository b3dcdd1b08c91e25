//! Image options applied after CreateImage and on every copy: deprecation,
//! launch permissions beyond `ami_users`, and Packer's `encrypt_boot`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ImageAttributeName};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use super::common::*;
use crate::support::Emulator;

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const ORG: &str = "arn:aws:organizations::123456789012:organization/o-abc123def4";
const OU: &str = "arn:aws:organizations::123456789012:ou/o-abc123def4/ou-ab12-cdef3456";

/// A deprecation time 30 days ahead, 10 seconds past a minute, and the
/// time AWS stores for it (rounded to the nearest minute).
fn deprecation_time() -> (String, DateTime) {
    let now = DateTime::from(std::time::SystemTime::now()).secs();
    let minute = (now + 30 * 86_400) / 60 * 60;
    let asked = DateTime::from_secs(minute + 10);
    (
        asked.fmt(Format::DateTime).unwrap(),
        DateTime::from_secs(minute),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deprecation_and_launch_permissions_apply_to_the_image_and_every_copy() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let (deprecate_at, expected) = deprecation_time();
    let mut src = source("opts", "us-east-1", &REGIONS[1..]);
    src.deprecate_at = Some(deprecate_at.clone());
    src.ami_groups = vec!["all".into()];
    src.ami_org_arns = vec![ORG.into()];
    src.ami_ou_arns = vec![OU.into()];
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(&emu, &recipe).await;
    let r = &o.result;
    let regions: Vec<&str> = r.regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(regions, REGIONS);

    for (region, img) in &r.regions {
        let ec2 = emu.ec2(region);
        let out = ec2
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        let image = &out.images()[0];
        let got = image
            .deprecation_time()
            .unwrap_or_else(|| panic!("{region}: {} has no DeprecationTime", img.ami_id));
        let got = DateTime::from_str(got, Format::DateTime).unwrap();
        assert_eq!(
            got, expected,
            "{region}: asked {deprecate_at}, stored {got}"
        );
        assert_eq!(image.public(), Some(true), "{region}: group all => public");

        let perms = ec2
            .describe_image_attribute()
            .image_id(&img.ami_id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let perms = perms.launch_permissions();
        let groups: Vec<&str> = perms
            .iter()
            .filter_map(|p| p.group().map(|g| g.as_str()))
            .collect();
        let orgs: Vec<&str> = perms.iter().filter_map(|p| p.organization_arn()).collect();
        let ous: Vec<&str> = perms
            .iter()
            .filter_map(|p| p.organizational_unit_arn())
            .collect();
        assert_eq!(groups, ["all"], "{region}: {perms:?}");
        assert_eq!(orgs, [ORG], "{region}: {perms:?}");
        assert_eq!(ous, [OU], "{region}: {perms:?}");
        assert_eq!(perms.len(), 3, "{region}: nothing else granted: {perms:?}");
    }
    let keep: Vec<String> = r.regions.iter().map(|(_, i)| i.ami_id.clone()).collect();
    assert_nothing_left(&emu, &REGIONS, &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn encrypt_boot_replaces_the_image_with_a_copy_and_leaves_no_unencrypted_image() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("enc", "us-east-1", &REGIONS[1..]);
    src.encrypt_boot = Some(true);
    src.kms_key_id = Some("arn:aws:kms:us-east-1:123456789012:key/build-key".into());
    src.region_kms_key_ids = BTreeMap::from([(
        "us-west-2".to_string(),
        "arn:aws:kms:us-west-2:123456789012:key/west-key".to_string(),
    )]);
    src.ami_users = vec!["111122223333".into()];
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(&emu, &recipe).await;
    let r = &o.result;

    // The build region's image is the in-region copy (CopyImage signed for
    // us-east-1), and it carries the recipe's name, tags and permissions.
    let copies_in_build_region = emu
        .calls_for("ec2", "CopyImage")
        .iter()
        .filter(|c| c.region == "us-east-1")
        .count();
    assert_eq!(
        copies_in_build_region, 1,
        "encrypt_boot copies in-region once"
    );
    for (region, img) in &r.regions {
        let ec2 = emu.ec2(region);
        let out = ec2
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        let image = &out.images()[0];
        assert_eq!(image.name(), Some("amibake-test-enc"), "{region}");
        assert_eq!(image.state().unwrap().as_str(), "available", "{region}");
        let tags = tags_of(image.tags());
        assert_eq!(
            tags.get("App").map(String::as_str),
            Some("test"),
            "{region}"
        );
        assert_eq!(tags.get("amibake:build-id"), Some(&r.build_id), "{region}");
        assert!(
            !img.snapshot_ids.is_empty(),
            "{region}: no snapshot recorded"
        );
        let snaps = ec2
            .describe_snapshots()
            .snapshot_ids(&img.snapshot_ids[0])
            .send()
            .await
            .unwrap();
        let stags = tags_of(snaps.snapshots()[0].tags());
        assert_eq!(
            stags.get("SnapTag").map(String::as_str),
            Some("yes"),
            "{region}"
        );
        let perms = ec2
            .describe_image_attribute()
            .image_id(&img.ami_id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let users: Vec<_> = perms
            .launch_permissions()
            .iter()
            .filter_map(|p| p.user_id())
            .collect();
        assert_eq!(users, ["111122223333"], "{region}");
    }
    // The unencrypted intermediate image is gone, with its snapshot.
    let plain = emu
        .ec2("us-east-1")
        .describe_images()
        .owners("self")
        .filters(
            Filter::builder()
                .name("name")
                .values(format!("amibake-unencrypted-{}", r.build_id))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(plain.images().is_empty(), "{:?}", plain.images());
    let keep: Vec<String> = r.regions.iter().map(|(_, i)| i.ami_id.clone()).collect();
    assert_nothing_left(&emu, &REGIONS, &keep).await;
}
