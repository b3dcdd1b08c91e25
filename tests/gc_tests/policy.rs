//! Retention policy: newest N, minimum age, recent launches, the cap.

use serde_json::json;
use time::OffsetDateTime;

use super::harness::*;
use crate::support::Emulator;
use amibake::gc::plan::Action;

#[tokio::test]
async fn newest_n_kept_and_older_deleted_with_their_snapshots() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 6, 20); // 20..15 days old
    let snaps_before = snapshots(&emu, REGION).await;
    let old_snaps = [
        snapshot_of(&emu, REGION, &ids[0]).await,
        snapshot_of(&emu, REGION, &ids[1]).await,
        snapshot_of(&emu, REGION, &ids[2]).await,
    ];

    let plan = gc(&emu, &["--recipe", "app", "--apply"]).await;

    assert!(plan.succeeded());
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&ids[3], &ids[4], &ids[5]])
    );
    for id in &ids[3..] {
        assert_eq!(decision(&plan, id), (Action::Keep, "newest 3"));
    }
    for id in &ids[..3] {
        assert_eq!(decision(&plan, id).0, Action::Deleted);
    }
    let after = snapshots(&emu, REGION).await;
    let expected: std::collections::BTreeSet<String> = snaps_before
        .into_iter()
        .filter(|s| !old_snaps.contains(s))
        .collect();
    assert_eq!(
        after, expected,
        "exactly the deleted images' snapshots are gone"
    );
}

#[tokio::test]
async fn too_young_images_are_kept_whatever_keep_says() {
    let emu = Emulator::start();
    let young = seed(&emu, REGION, "app", 4, 5); // 5..2 days old
    let old = seed(&emu, REGION, "app", 2, 30); // 30, 29 days old

    let plan = gc(&emu, &["--recipe", "app", "--keep", "1", "--apply"]).await;

    // Newest one counts as "newest 1"; the other young ones are too young;
    // both old ones go.
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&[&young[0], &young[1], &young[2], &young[3]])
    );
    assert_eq!(decision(&plan, &young[3]), (Action::Keep, "newest 1"));
    assert_eq!(
        decision(&plan, &young[0]),
        (Action::Keep, "younger than 7d")
    );
    assert_eq!(decision(&plan, &old[0]).0, Action::Deleted);
    assert_eq!(decision(&plan, &old[1]).0, Action::Deleted);
}

#[tokio::test]
async fn min_age_flag_and_recently_launched_images_are_kept() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 4, 40); // 40..37 days old
    let now = OffsetDateTime::now_utc();
    // Launched 10 days + 20 hours ago: outside --keep-launched-within 10d,
    // but inside it once AWS's 24 h reporting lag is allowed for.
    emu.set_image_times(
        REGION,
        &ids[0],
        json!({"last_launched_time": iso(now - time::Duration::hours(260))}),
    );
    // Launched 12 days ago: outside the window even with the slack.
    emu.set_image_times(
        REGION,
        &ids[1],
        json!({"last_launched_time": iso(now - time::Duration::days(12))}),
    );

    let plan = gc(
        &emu,
        &[
            "--recipe",
            "app",
            "--keep",
            "0",
            "--keep-launched-within",
            "10d",
            "--min-age",
            "38d",
            "--apply",
        ],
    )
    .await;

    assert_eq!(remaining(&emu, REGION).await, set(&[&ids[0], &ids[3]]));
    assert!(
        decision(&plan, &ids[0])
            .1
            .starts_with("launched within 10d"),
        "{:?}",
        decision(&plan, &ids[0])
    );
    assert_eq!(decision(&plan, &ids[3]), (Action::Keep, "younger than 38d"));
    assert_eq!(decision(&plan, &ids[1]).0, Action::Deleted);
    assert_eq!(decision(&plan, &ids[2]).0, Action::Deleted);
}

#[tokio::test]
async fn dry_run_is_the_default_and_changes_nothing() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 5, 30);
    let before = snapshots(&emu, REGION).await;

    let plan = gc(&emu, &["--recipe", "app"]).await;

    assert!(plan.dry_run);
    assert_eq!(
        remaining(&emu, REGION).await,
        set(&ids.iter().collect::<Vec<_>>())
    );
    assert_eq!(snapshots(&emu, REGION).await, before);
    assert_eq!(decision(&plan, &ids[0]), (Action::Delete, "expired"));
    assert_eq!(decision(&plan, &ids[1]), (Action::Delete, "expired"));
    for mutating in [
        "DeregisterImage",
        "DeleteSnapshot",
        "EnableImageDeprecation",
    ] {
        assert!(
            emu.calls_for("ec2", mutating).is_empty(),
            "{mutating} called in a dry run"
        );
    }
}

#[tokio::test]
async fn max_deletions_caps_the_run_and_reports_it() {
    let emu = Emulator::start();
    let ids = seed(&emu, REGION, "app", 13, 40); // 10 expired + newest 3

    let plan = gc(
        &emu,
        &["--recipe", "app", "--max-deletions", "4", "--apply"],
    )
    .await;

    // The four oldest go; six expired images are deferred, and said to be.
    let expected: Vec<&String> = ids[4..].iter().collect();
    assert_eq!(remaining(&emu, REGION).await, set(&expected));
    assert_eq!(plan.count(Action::Deleted), 4);
    assert_eq!(plan.deferred(), 6);
    for id in &ids[4..10] {
        let (action, reason) = decision(&plan, id);
        assert_eq!(action, Action::Deferred);
        assert!(reason.contains("--max-deletions 4"), "{reason}");
    }
    let summary = amibake::gc::report::summary(&plan).join("\n");
    assert!(
        summary.contains("--max-deletions 4 reached: 6 more"),
        "{summary}"
    );
    assert_eq!(emu.calls_for("ec2", "DeregisterImage").len(), 4);
}
