//! Failure at each step ends with a clear message, an error that maps to
//! a non-zero exit, and nothing left in any region.

use amibake::recipe::SourceAmi;
use serde_json::json;

use super::common::*;
use crate::support::Emulator;

const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1"];

async fn fails_cleanly(
    emu: &Emulator,
    src: amibake::recipe::Source,
    provisioners: Vec<amibake::recipe::Provisioner>,
    expect: &[&str],
) -> amibake::Error {
    let dir = temp_dir();
    let recipe = recipe(dir.path(), vec![src], provisioners, vec![]);
    let err = build_err(emu, &recipe).await;
    let text = err.to_string();
    for e in expect {
        assert!(text.contains(e), "expected {e:?} in: {text}");
    }
    assert_ne!(err.exit_code(), 0);
    assert_nothing_left(emu, REGIONS, &[]).await;
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn source_ami_not_found() {
    let emu = Emulator::start();
    let mut src = source("web", "us-east-1", &[]);
    src.source_ami = SourceAmi::Id {
        id: "ami-0123456789abcdef0".into(),
    };
    let err = fails_cleanly(
        &emu,
        src,
        vec![],
        &["ami-0123456789abcdef0", "does not exist", "hint:"],
    )
    .await;
    assert_eq!(err.exit_code(), 1);
    assert!(emu.calls_for("ec2", "RunInstances").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn launch_refused() {
    let emu = Emulator::start();
    emu.inject_fault(json!({"service": "ec2", "action": "RunInstances", "kind": "error",
        "code": "InsufficientInstanceCapacity", "message": "We currently do not have sufficient capacity", "rate": 1.0}));
    fails_cleanly(
        &emu,
        source("web", "us-east-1", &["us-west-2"]),
        vec![],
        &[
            "RunInstances",
            "InsufficientInstanceCapacity",
            "instance_type",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ssm_never_online() {
    let emu = Emulator::start();
    emu.ssm_never_online(None);
    let mut src = source("web", "us-east-1", &[]);
    src.state_timeout = std::time::Duration::from_secs(2);
    fails_cleanly(
        &emu,
        src,
        vec![shell(&["true"])],
        &[
            "Systems Manager",
            "usual causes",
            "AmazonSSMManagedInstanceCore",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn provisioning_failed() {
    let emu = Emulator::start();
    fails_cleanly(
        &emu,
        source("web", "us-east-1", &["us-west-2"]),
        vec![shell(&["echo about to fail", "exit 3"])],
        &["provision"],
    )
    .await;
    assert!(emu.calls_for("ec2", "CreateImage").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn image_creation_failed() {
    let emu = Emulator::start();
    emu.inject_fault(json!({"service": "ec2", "action": "CreateImage", "kind": "error",
        "code": "InvalidParameterValue", "message": "Instance is not in a valid state", "rate": 1.0}));
    fails_cleanly(
        &emu,
        source("web", "us-east-1", &["us-west-2"]),
        vec![],
        &["CreateImage", "not in a valid state"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_copy_failed_removes_every_image() {
    let emu = Emulator::start();
    emu.copy_image_fails("eu-west-1");
    let err = fails_cleanly(
        &emu,
        source("web", "us-east-1", &["us-west-2", "eu-west-1"]),
        vec![],
        &["copy to eu-west-1", "failed"],
    )
    .await;
    assert_eq!(err.exit_code(), 1);
    // Both copies were started, and every image is gone (checked above).
    assert_eq!(emu.calls_for("ec2", "CopyImage").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_error_abort_keeps_resources_and_says_how_to_remove_them() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &[])],
        vec![shell(&["exit 1"])],
        vec![],
    );
    let mut opts = options();
    opts.on_error = amibake::build::OnError::Abort;
    let mut out = build_with(&emu, &recipe, &opts, &amibake::build::Interrupts::none()).await;
    let o = out.remove(0);
    let err = o.error.expect("fails");
    let hint = err.hint().unwrap_or_default().to_owned();
    assert!(hint.contains("aws ec2 terminate-instances"), "{hint}");
    assert!(hint.contains("aws ec2 delete-security-group"), "{hint}");
    assert!(
        hint.contains(&format!("amibake cleanup --build-id {}", o.result.build_id)),
        "{hint}"
    );
    // The instance is still running.
    let res = emu
        .ec2("us-east-1")
        .describe_instances()
        .send()
        .await
        .unwrap();
    let states: Vec<_> = res
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            i.state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_owned())
        })
        .collect();
    assert_eq!(states, ["running"]);
}
