//! `--skip-if-unchanged`.

use amibake::build::Interrupts;

use super::common::*;
use crate::support::Emulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skip_if_unchanged_reuses_images_and_rebuilds_after_a_script_change() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let script = dir.path().join("setup.sh");
    std::fs::write(&script, "echo v1 > /opt/version\n").unwrap();
    let mut src = source("web", "us-east-1", &["us-west-2"]);
    src.force_delete_snapshot = true;
    let recipe = recipe(dir.path(), vec![src], vec![shell_script(&script)], vec![]);
    let mut opts = options();
    opts.skip_if_unchanged = true;

    let first = build_with(&emu, &recipe, &opts, &Interrupts::none())
        .await
        .remove(0);
    assert!(
        first.error.is_none(),
        "{:?}",
        first.error.map(|e| e.to_string())
    );
    assert!(!first.result.reused);

    emu.clear_calls();
    let second = build_with(&emu, &recipe, &opts, &Interrupts::none())
        .await
        .remove(0);
    assert!(
        second.error.is_none(),
        "{:?}",
        second.error.map(|e| e.to_string())
    );
    assert!(second.result.reused);
    assert_eq!(second.result.regions, first.result.regions);
    assert!(
        emu.calls_for("ec2", "RunInstances").is_empty(),
        "launched on an unchanged recipe"
    );
    assert!(emu.calls_for("iam", "CreateRole").is_empty());
    assert!(
        second.result.duration_seconds < 2.0,
        "took {:.2}s",
        second.result.duration_seconds
    );

    std::fs::write(&script, "echo v2 > /opt/version\n").unwrap();
    opts.force = true; // same ami_name as the first build
    let third = build_with(&emu, &recipe, &opts, &Interrupts::none())
        .await
        .remove(0);
    assert!(
        third.error.is_none(),
        "{:?}",
        third.error.map(|e| e.to_string())
    );
    assert!(!third.result.reused);
    assert_ne!(
        third.result.regions[0].1.ami_id,
        first.result.regions[0].1.ami_id
    );
    assert_eq!(emu.calls_for("ec2", "RunInstances").len(), 1);
    // --force replaced the old images of the same name in both regions.
    let keep = ami_ids(&third.result);
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &keep).await;
}
