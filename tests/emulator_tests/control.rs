//! Control API: seeding, call log, reset.

use std::time::{Duration, Instant};

use serde_json::json;

use super::common::*;
use crate::support::Emulator;

#[tokio::test]
async fn seeding_ten_thousand_images_takes_seconds() {
    let emu = Emulator::start();
    emu.ec2("us-west-2")
        .describe_key_pairs()
        .send()
        .await
        .unwrap(); // moto loads the region's stock AMIs
    let t = Instant::now();
    let ids = emu.seed_images(json!({"region": "us-west-2", "count": 10000, "name_prefix": "bench",
        "tags": {"amibake:recipe": "web"}, "creation_date_start": "2025-01-01T00:00:00Z", "interval_seconds": 3600}));
    // About a second on an idle machine; generous bound for loaded CI machines.
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    eprintln!("seeded 10,000 images in {:?}", t.elapsed());
    assert_eq!(ids.len(), 10000);
    let mut imgs = describe_images(&emu, "us-west-2", &[&ids[9999], &ids[0]]).await;
    imgs.sort_by_key(|i| i.name().unwrap().to_string());
    assert_eq!(imgs[0].name(), Some("bench-00000"));
    assert_eq!(imgs[0].creation_date(), Some("2025-01-01T00:00:00.000Z"));
    assert_eq!(imgs[1].creation_date(), Some("2026-02-21T15:00:00.000Z"));
    assert_eq!(imgs[0].owner_id(), Some("123456789012"));
    assert_eq!(imgs[0].tags()[0].key(), Some("amibake:recipe"));
    assert_eq!(imgs[0].state().map(|s| s.as_str()), Some("available"));
    assert_ne!(
        root_snapshot(&imgs[0]),
        root_snapshot(&imgs[1]),
        "each image has its own snapshot"
    );
    let page = emu
        .ec2("us-west-2")
        .describe_images()
        .owners("self")
        .max_results(1000)
        .send()
        .await
        .unwrap();
    assert_eq!(page.images().len(), 1000);
    assert!(page.next_token().is_some());
}

#[tokio::test]
async fn call_log_records_service_region_action_and_status() {
    let emu = Emulator::start();
    call_ec2_sts_ssm_iam(&emu, "eu-west-1").await;
    emu.s3(REGION).list_buckets().send().await.unwrap();
    emu.cloudformation(REGION)
        .list_stacks()
        .send()
        .await
        .unwrap();
    emu.reset(); // control calls are not logged, and reset clears the log
    assert!(emu.calls().is_empty());
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    call_ec2_sts_ssm_iam(&emu, "eu-west-1").await;
    emu.s3(REGION)
        .create_bucket()
        .bucket("call-log-bucket")
        .send()
        .await
        .unwrap();
    // A bucket subresource is its own action, not another CreateBucket.
    emu.s3(REGION)
        .put_bucket_tagging()
        .bucket("call-log-bucket")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("k")
                        .value("v")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    emu.cloudformation(REGION)
        .list_stacks()
        .send()
        .await
        .unwrap();
    let calls = emu.calls();
    let got: Vec<(&str, &str, &str, u16)> = calls
        .iter()
        .map(|c| {
            (
                c.service.as_str(),
                c.region.as_str(),
                c.action.as_str(),
                c.status,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("ec2", "eu-west-1", "DescribeRegions", 200),
            ("sts", REGION, "GetCallerIdentity", 200),
            ("ssm", REGION, "GetParameter", 400),
            ("iam", REGION, "ListRoles", 200),
            ("s3", REGION, "CreateBucket", 200),
            ("s3", REGION, "PutBucketTagging", 204),
            ("cloudformation", REGION, "ListStacks", 200),
        ]
    );
    assert!(calls[0].time >= before - 1.0);
    assert_eq!(emu.calls_for("ec2", "DescribeRegions").len(), 1);
    emu.clear_calls();
    assert!(emu.calls().is_empty());
}

/// Which credentials signed each call: what amibake's access options
/// (`access_key`, `profile`, `assume_role`) are checked against.
#[tokio::test]
async fn call_log_records_the_access_key_that_signed_each_call() {
    let emu = Emulator::start();
    let creds = aws_sdk_sts::config::Credentials::new("AKIDSIGNER", "secret", None, None, "test");
    let conf = aws_sdk_sts::config::Builder::from(&emu.sdk_config(REGION))
        .credentials_provider(creds)
        .build();
    let assumed = aws_sdk_sts::Client::from_conf(conf)
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/builder")
        .role_session_name("log-test")
        .send()
        .await
        .unwrap();
    let temp = assumed.credentials().unwrap();
    let temp = aws_sdk_ec2::config::Credentials::new(
        temp.access_key_id(),
        temp.secret_access_key(),
        Some(temp.session_token().to_owned()),
        None,
        "assumed",
    );
    let conf = aws_sdk_ec2::config::Builder::from(&emu.sdk_config(REGION))
        .credentials_provider(temp.clone())
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
        .describe_regions()
        .send()
        .await
        .unwrap();
    let got: Vec<(String, String)> = emu
        .calls()
        .into_iter()
        .map(|c| (c.action, c.access_key))
        .collect();
    assert_eq!(
        got,
        vec![
            ("AssumeRole".to_owned(), "AKIDSIGNER".to_owned()),
            (
                "DescribeRegions".to_owned(),
                temp.access_key_id().to_owned()
            ),
        ]
    );
    assert_ne!(temp.access_key_id(), "AKIDSIGNER");
}

#[tokio::test]
async fn the_call_log_keeps_what_a_query_call_sent() {
    let emu = Emulator::start();
    emu.ec2(REGION)
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:Class")
                .values("build")
                .values("test")
                .build(),
        )
        .send()
        .await
        .unwrap();
    emu.ssm(REGION).describe_parameters().send().await.unwrap();
    let call = &emu.calls_for("ec2", "DescribeVpcs")[0];
    let params: Vec<(&str, &str)> = call
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("Filter.1.Name", "tag:Class"),
            ("Filter.1.Value.1", "build"),
            ("Filter.1.Value.2", "test"),
        ],
        "Action and Version are left out"
    );
    // JSON-protocol calls have no query parameters to show.
    assert!(emu.calls_for("ssm", "DescribeParameters")[0]
        .params
        .is_empty());
}

#[tokio::test]
async fn reset_wipes_aws_state_but_keeps_delays() {
    let emu = Emulator::start();
    emu.set_delays(&[("image_pending", 0.7)]);
    let id = managed_instance(&emu, REGION).await;
    emu.inject_fault(json!({"service": "ec2", "action": "CreateImage", "kind": "throttle"}));
    emu.reset();
    let out = emu.ec2(REGION).describe_instances().send().await.unwrap();
    assert!(out.reservations().is_empty(), "{id} should be gone");
    assert!(emu
        .iam()
        .get_instance_profile()
        .instance_profile_name("ssm-us-east-1")
        .send()
        .await
        .is_err());
    assert_eq!(emu.config()["delays"]["image_pending"], 0.7);
    assert!(emu.control("GET", "faults", None).unwrap()["faults"]
        .as_array()
        .unwrap()
        .is_empty());
    // Everything works again after reset.
    managed_instance(&emu, REGION).await;
}
