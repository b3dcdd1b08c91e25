//! Which images gc may touch at all.

use aws_sdk_ec2::types::Tag;
use serde_json::json;

use super::harness::*;
use crate::support::Emulator;
use amibake::gc::plan::Action;

#[tokio::test]
async fn another_recipes_images_are_untouched() {
    let emu = Emulator::start();
    let app = seed(&emu, REGION, "app", 4, 30);
    let other = seed(&emu, REGION, "other", 4, 30);

    let plan = gc(&emu, &["--recipe", "app", "--keep", "1", "--apply"]).await;

    let mut expected = set(&[&app[3]]);
    expected.extend(other.iter().cloned());
    assert_eq!(remaining(&emu, REGION).await, expected);
    assert!(
        other
            .iter()
            .all(|id| plan.decisions().all(|d| &d.image_id != id)),
        "other recipe not even planned"
    );
}

#[tokio::test]
async fn untagged_images_are_untouched_even_with_all_recipes() {
    let emu = Emulator::start();
    let a = seed(&emu, REGION, "a", 2, 30);
    let b = seed(&emu, REGION, "b", 2, 30);
    let untagged = emu.seed_images(json!({
        "region": REGION, "count": 3, "name_prefix": "handmade",
        "creation_date_start": "2020-01-01T00:00:00Z",
    }));

    let plan = gc(&emu, &["--all-recipes", "--keep", "1", "--apply"]).await;

    // Each recipe keeps its newest one; untagged images are not considered.
    let mut expected = set(&[&a[1], &b[1]]);
    expected.extend(untagged.iter().cloned());
    assert_eq!(remaining(&emu, REGION).await, expected);
    assert_eq!(plan.count(Action::Deleted), 2);
}

#[tokio::test]
async fn other_owners_images_are_untouched() {
    let emu = Emulator::start();
    let ec2 = emu.ec2(REGION);
    let amazon = ec2
        .describe_images()
        .owners("amazon")
        .max_results(5)
        .send()
        .await
        .unwrap();
    let foreign = amazon.images()[0].image_id().unwrap().to_owned();
    // Someone tagged a public image as if amibake had built it.
    ec2.create_tags()
        .resources(&foreign)
        .tags(Tag::builder().key("amibake:recipe").value("app").build())
        .send()
        .await
        .unwrap();
    let ours = seed(&emu, REGION, "app", 2, 30);

    let plan = gc(&emu, &["--recipe", "app", "--keep", "0", "--apply"]).await;

    assert!(remaining(&emu, REGION).await.is_empty(), "our images went");
    assert_eq!(planned_ids(&plan), set(&[&ours[0], &ours[1]]));
    let still = ec2
        .describe_images()
        .image_ids(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(still.images().len(), 1, "the foreign image is still there");
    assert!(emu.calls_for("ec2", "DeregisterImage").len() == 2);
}

#[tokio::test]
async fn filters_select_images_built_by_other_tools() {
    let emu = Emulator::start();
    let legacy = emu.seed_images(json!({
        "region": REGION, "count": 4, "name_prefix": "legacy-web",
        "tags": {"Team": "web"}, "creation_date_start": "2024-01-01T00:00:00Z",
    }));
    let other_team = emu.seed_images(json!({
        "region": REGION, "count": 2, "name_prefix": "legacy-db",
        "tags": {"Team": "db"}, "creation_date_start": "2024-01-01T00:00:00Z",
    }));

    let plan = gc(
        &emu,
        &[
            "--filter",
            "tag:Team=web",
            "--filter",
            "name:legacy-web-*",
            "--keep",
            "2",
            "--apply",
        ],
    )
    .await;

    let mut expected = set(&[&legacy[2], &legacy[3]]);
    expected.extend(other_team.iter().cloned());
    assert_eq!(remaining(&emu, REGION).await, expected);
    assert_eq!(plan.count(Action::Deleted), 2);
}
