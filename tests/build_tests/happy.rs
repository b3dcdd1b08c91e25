//! A full build with two copy regions and every output.

use std::collections::BTreeMap;

use amibake::recipe::{CfnParamFormat, PostProcessor};
use serde_json::Value;

use super::common::*;
use crate::support::Emulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn build_with_two_copy_regions_publishes_everything_and_leaves_no_temporaries() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("web", "us-east-1", &["us-west-2", "eu-west-1"]);
    src.ami_users = vec!["111122223333".into()];
    let manifest = dir.path().join("manifest.json");
    let params = dir.path().join("params.json");
    let recipe = recipe(
        dir.path(),
        vec![src],
        vec![shell(&[
            "mkdir -p /opt/app",
            "echo baked > /opt/app/version",
        ])],
        vec![
            PostProcessor::Manifest {
                output: manifest.clone(),
                strip_path: false,
                custom_data: BTreeMap::new(),
            },
            PostProcessor::CloudformationParameters {
                output: params.clone(),
                parameter_name: "AmiId".into(),
                format: CfnParamFormat::Deploy,
                region: None,
            },
            PostProcessor::SsmParameter {
                name: "/amibake/test/ami".into(),
                description: None,
            },
        ],
    );
    let o = build_ok(&emu, &recipe).await;
    let r = &o.result;
    eprintln!("build took {:.2}s", r.duration_seconds);
    let regions: Vec<&str> = r.regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(regions, ["us-east-1", "us-west-2", "eu-west-1"]);

    for (region, img) in &r.regions {
        let ec2 = emu.ec2(region);
        let out = ec2
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        let image = &out.images()[0];
        assert_eq!(image.state().unwrap().as_str(), "available", "{region}");
        assert_eq!(image.name(), Some("amibake-test-web"));
        let tags = tags_of(image.tags());
        assert_eq!(
            tags.get("App").map(String::as_str),
            Some("test"),
            "{region}: {tags:?}"
        );
        assert_eq!(tags.get("amibake:build-id"), Some(&r.build_id));
        assert_eq!(
            tags.get("amibake:complete").map(String::as_str),
            Some("true")
        );
        assert!(tags
            .get("amibake:fingerprint")
            .unwrap()
            .starts_with("sha256:"));
        // Snapshot tags.
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
            "{region}: {stags:?}"
        );
        // Launch permissions in every region.
        let perms = ec2
            .describe_image_attribute()
            .image_id(&img.ami_id)
            .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let users: Vec<_> = perms
            .launch_permissions()
            .iter()
            .filter_map(|p| p.user_id())
            .collect();
        assert_eq!(users, ["111122223333"], "{region}");
        // SSM parameter in every region.
        let p = emu
            .ssm(region)
            .get_parameter()
            .name("/amibake/test/ami")
            .send()
            .await
            .unwrap();
        assert_eq!(
            p.parameter().unwrap().value(),
            Some(img.ami_id.as_str()),
            "{region}"
        );
        assert_eq!(p.parameter().unwrap().data_type(), Some("aws:ec2:image"));
    }

    // The provisioned file is in the copied image: launch it and look.
    let (_, west) = &r.regions[1];
    let run = emu
        .ec2("us-west-2")
        .run_instances()
        .image_id(&west.ami_id)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let iid = run.instances()[0].instance_id().unwrap();
    assert_eq!(
        emu.read_instance_file(iid, "/opt/app/version").as_deref(),
        Some("baked\n")
    );
    emu.ec2("us-west-2")
        .terminate_instances()
        .instance_ids(iid)
        .send()
        .await
        .unwrap();

    // Manifest as Packer writes it.
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let b = &m["builds"][0];
    assert_eq!(b["builder_type"], "amazon-ebs");
    assert_eq!(b["name"], "web");
    let mut pairs: Vec<String> = r
        .regions
        .iter()
        .map(|(r, i)| format!("{r}:{}", i.ami_id))
        .collect();
    pairs.sort();
    assert_eq!(b["artifact_id"], pairs.join(","));
    assert_eq!(m["last_run_uuid"], b["packer_run_uuid"]);
    // Parameter file with the build region's AMI.
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&params).unwrap()).unwrap();
    assert_eq!(p["Parameters"]["AmiId"], r.regions[0].1.ami_id.as_str());

    let keep = ami_ids(r);
    // The instance launched above is terminated; wait for nothing.
    assert_nothing_left(&emu, &["us-east-1", "us-west-2", "eu-west-1"], &keep).await;
    // RunInstances happened once, the build instance is terminated.
    assert_eq!(
        emu.calls_for("ec2", "RunInstances")
            .iter()
            .filter(|c| c.region == "us-east-1")
            .count(),
        1
    );
}

/// A script too large to travel inside the command goes through a staging
/// bucket named after the account preflight already looked up: one STS call
/// per build, and the bucket is gone afterwards.
#[tokio::test]
async fn a_large_script_is_staged_without_asking_sts_again() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let padding = format!("# {}", "x".repeat(40_000));
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &[])],
        vec![shell(&[&padding, "echo staged > /opt/staged"])],
        vec![],
    );
    let o = build_ok(&emu, &recipe).await;

    let s3: Vec<String> = emu
        .calls()
        .into_iter()
        .filter(|c| c.service == "s3")
        .map(|c| c.action)
        .collect();
    assert_eq!(
        s3.iter().filter(|a| a.as_str() == "CreateBucket").count(),
        1,
        "staged once: {s3:?}"
    );
    assert!(s3.contains(&"PutBucketTagging".to_owned()), "{s3:?}");
    assert_eq!(emu.calls_for("sts", "GetCallerIdentity").len(), 1);
    let keep = ami_ids(&o.result);
    assert_nothing_left(&emu, &["us-east-1"], &keep).await;
}
