//! Carrying out the plan: shared snapshots, failures, throttling, deprecation.

use serde_json::json;
use time::OffsetDateTime;

use super::harness::*;
use crate::support::Emulator;
use amibake::gc::plan::Action;

#[tokio::test]
async fn a_snapshot_shared_by_two_images_is_kept_until_both_are_gone() {
    let emu = Emulator::start();
    // The two oldest share one snapshot; three newer ones each have their own.
    let pair = seed_with(&emu, REGION, "app", 2, 40, false);
    let newer = seed(&emu, REGION, "app", 3, 20);
    let shared = snapshot_of(&emu, REGION, &pair[0]).await;
    assert_eq!(snapshot_of(&emu, REGION, &pair[1]).await, shared);

    let plan = gc(
        &emu,
        &["--recipe", "app", "--max-deletions", "1", "--apply"],
    )
    .await;
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&pair[1], &newer[0], &newer[1], &newer[2]])
    );
    assert!(
        snapshots(&emu, REGION).await.contains(&shared),
        "still used by {}",
        pair[1]
    );
    let d = plan.decisions().find(|d| d.image_id == pair[0]).unwrap();
    assert_eq!(d.action, Action::Deleted);
    assert!(
        d.snapshot_results[0].starts_with(&format!("{shared}: kept")),
        "{:?}",
        d.snapshot_results
    );

    let plan = gc(&emu, &["--recipe", "app", "--apply"]).await;
    assert!(plan.succeeded());
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&newer[0], &newer[1], &newer[2]])
    );
    assert!(
        !snapshots(&emu, REGION).await.contains(&shared),
        "deleted with the last image using it"
    );
}

#[tokio::test]
async fn a_listing_failing_mid_way_skips_that_region_only() {
    let emu = Emulator::start();
    let east = seed(&emu, REGION, "app", 4, 30);
    let west = seed(&emu, "us-west-2", "app", 4, 30);
    // 60 parameters: DescribeParameters needs two pages in us-west-2; the
    // second one is refused.
    let ssm = emu.ssm("us-west-2");
    for i in 0..60 {
        ssm.put_parameter()
            .name(format!("/p/{i}"))
            .value("x")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .unwrap();
    }
    emu.inject_fault(json!({
        "service": "ssm", "action": "DescribeParameters", "region": "us-west-2",
        "kind": "error", "code": "AccessDeniedException", "message": "not allowed", "status": 400, "nth": 2,
    }));

    let plan = gc(
        &emu,
        &[
            "--recipe",
            "app",
            "--keep",
            "1",
            "--region",
            "us-east-1",
            "--region",
            "us-west-2",
            "--apply",
        ],
    )
    .await;

    assert!(!plan.succeeded(), "a skipped region fails the run");
    let skipped = plan.skipped_regions();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].region, "us-west-2");
    assert!(
        skipped[0]
            .error
            .as_deref()
            .unwrap()
            .contains("ssm:DescribeParameters"),
        "{:?}",
        skipped[0].error
    );
    assert_eq!(
        remaining(&emu, "us-west-2").await,
        set(&west.iter().collect::<Vec<_>>()),
        "nothing deleted there"
    );
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&east[3]]),
        "the healthy region was collected"
    );
    assert!(emu
        .calls_for("ec2", "DeregisterImage")
        .iter()
        .all(|c| c.region == REGION));
    let summary = amibake::gc::report::summary(&plan).join("\n");
    assert!(summary.contains("region us-west-2 SKIPPED"), "{summary}");
}

#[tokio::test]
async fn throttling_during_apply_is_recovered() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 6, 30);
    // More throttles in a row than the SDK's attempts: gc's own backoff has
    // to carry the run through.
    emu.inject_fault(
        json!({"service": "ec2", "action": "DeregisterImage", "kind": "throttle", "count": 4}),
    );
    emu.inject_fault(
        json!({"service": "ec2", "action": "DeleteSnapshot", "kind": "throttle", "count": 3}),
    );

    let plan = gc_with(&emu, &["--recipe", "app", "--apply"], 2).await;

    assert!(
        plan.succeeded(),
        "{:?}",
        amibake::gc::report::summary(&plan)
    );
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&ids[3], &ids[4], &ids[5]])
    );
    let deregs = emu.calls_for("ec2", "DeregisterImage");
    assert_eq!(
        deregs.iter().filter(|c| c.status >= 400).count(),
        4,
        "{deregs:?}"
    );
    assert_eq!(deregs.iter().filter(|c| c.status == 200).count(), 3);
}

#[tokio::test]
async fn deprecate_first_deprecates_then_deletes_after_the_grace_period() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 5, 30);
    let args = [
        "--recipe",
        "app",
        "--deprecate-first",
        "--grace",
        "7d",
        "--apply",
    ];

    // Run 1: the two expired images are deprecated, nothing is deleted.
    let plan = gc(&emu, &args).await;
    assert!(plan.succeeded());
    assert_eq!(remaining(&emu, REGION).await.len(), 5);
    let ec2 = emu.ec2(REGION);
    let out = ec2
        .describe_images()
        .image_ids(&ids[0])
        .image_ids(&ids[1])
        .image_ids(&ids[2])
        .send()
        .await
        .unwrap();
    for img in out.images() {
        let expired = img.image_id() != Some(ids[2].as_str());
        assert_eq!(
            img.deprecation_time().is_some(),
            expired,
            "{:?}",
            img.image_id()
        );
    }
    assert_eq!(decision(&plan, &ids[0]).0, Action::Deprecated);

    // Run 2 right away: still within the grace period, nothing changes.
    let plan = gc(&emu, &args).await;
    assert_eq!(remaining(&emu, REGION).await.len(), 5);
    assert_eq!(plan.count(Action::Deleted), 0);
    assert!(emu.calls_for("ec2", "DeregisterImage").is_empty());

    // Eight days later (deprecation moved back): the grace has passed.
    let eight_days_ago = iso(OffsetDateTime::now_utc() - time::Duration::days(8));
    for id in &ids[..2] {
        emu.set_image_times(REGION, id, json!({"deprecation_time": eight_days_ago}));
    }
    let plan = gc(&emu, &args).await;
    assert!(plan.succeeded());
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&ids[2], &ids[3], &ids[4]])
    );
    let (action, reason) = decision(&plan, &ids[0]);
    assert_eq!(action, Action::Deleted);
    assert!(reason.contains("grace 7d passed"), "{reason}");
}
