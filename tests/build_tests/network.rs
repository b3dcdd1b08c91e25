//! Where the instance runs: Packer's network filters, availability zone and
//! the run options RunInstances carries, checked against what the emulator
//! was asked and holds.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use amibake::recipe::{NetworkFilter, Source, SubnetFilter};

use super::common::*;
use crate::support::Emulator;

const REGION: &str = "us-east-1";
const LICENSE: &str =
    "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0";

/// `tags` and a Name (AWS refuses a tag specification without tags).
fn tagged(kind: ResourceType, tags: &[(&str, &str)]) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .chain([Tag::builder()
                    .key("Name")
                    .value("amibake-network-test")
                    .build()])
                .collect(),
        ))
        .build()
}

async fn vpc(emu: &Emulator, cidr: &str, tags: &[(&str, &str)]) -> String {
    emu.ec2(REGION)
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tagged(ResourceType::Vpc, tags))
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_owned()
}

async fn subnet(emu: &Emulator, vpc: &str, cidr: &str, az: &str, tags: &[(&str, &str)]) -> String {
    emu.ec2(REGION)
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(az)
        .tag_specifications(tagged(ResourceType::Subnet, tags))
        .send()
        .await
        .unwrap()
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap()
        .to_owned()
}

async fn group(emu: &Emulator, vpc: &str, name: &str, tags: &[(&str, &str)]) -> String {
    emu.ec2(REGION)
        .create_security_group()
        .vpc_id(vpc)
        .group_name(name)
        .description("test group")
        .tag_specifications(tagged(ResourceType::SecurityGroup, tags))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned()
}

fn filters(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect()
}

fn net_filter(pairs: &[(&str, &str)]) -> Option<NetworkFilter> {
    Some(NetworkFilter {
        filters: filters(pairs),
    })
}

fn subnet_filter(pairs: &[(&str, &str)], most_free: bool) -> Option<SubnetFilter> {
    Some(SubnetFilter {
        filters: filters(pairs),
        most_free,
        random: false,
    })
}

/// The parameters of the one RunInstances call so far.
fn run_instances(emu: &Emulator) -> BTreeMap<String, String> {
    let calls = emu.calls_for("ec2", "RunInstances");
    assert_eq!(calls.len(), 1, "one RunInstances call");
    calls[0].params.clone()
}

/// The values of a list parameter (`SecurityGroupId.1`, `.2`, ...), sorted.
fn list(params: &BTreeMap<String, String>, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = params
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix(prefix)
                .and_then(|n| n.strip_prefix('.'))
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .map(|(_, v)| v.clone())
        .collect();
    v.sort();
    v
}

/// A change to a source, for a table of cases.
type Change = Box<dyn Fn(&mut Source)>;

async fn build(emu: &Emulator, src: Source) -> Vec<String> {
    let dir = temp_dir();
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(emu, &recipe).await;
    ami_ids(&o.result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn filters_choose_the_vpc_the_freest_subnet_in_it_and_its_groups() {
    let emu = Emulator::start();
    let build_vpc = vpc(&emu, "10.1.0.0/16", &[("Class", "build")]).await;
    let other_vpc = vpc(&emu, "10.2.0.0/16", &[("Class", "other")]).await;
    let roomy = subnet(
        &emu,
        &build_vpc,
        "10.1.1.0/24",
        "us-east-1b",
        &[("Tier", "build")],
    )
    .await;
    let _small = subnet(
        &emu,
        &build_vpc,
        "10.1.2.0/28",
        "us-east-1a",
        &[("Tier", "build")],
    )
    .await;
    // Freer still, but in the other VPC: subnets are limited to the VPC found.
    let _elsewhere = subnet(
        &emu,
        &other_vpc,
        "10.2.0.0/20",
        "us-east-1a",
        &[("Tier", "build")],
    )
    .await;
    let sg1 = group(&emu, &build_vpc, "builder-a", &[("Role", "builder")]).await;
    let sg2 = group(&emu, &build_vpc, "builder-b", &[("Role", "builder")]).await;
    let _sg3 = group(&emu, &other_vpc, "builder-c", &[("Role", "builder")]).await;

    emu.clear_calls();
    let mut src = source("net", REGION, &[]);
    src.run.vpc_filter = net_filter(&[("tag:Class", "build")]);
    src.run.subnet_filter = subnet_filter(&[("tag:Tier", "build")], true);
    src.run.security_group_filter = net_filter(&[("tag:Role", "builder")]);
    src.run.ebs_optimized = true;
    src.run.enable_unlimited_credits = true;
    src.run.placement.tenancy = Some("dedicated".into());
    src.run.capacity_reservation_preference = Some("open".into());
    src.run.license_configuration_arns = vec![LICENSE.into()];
    src.run.enable_nitro_enclave = true;
    let keep = build(&emu, src).await;

    let p = run_instances(&emu);
    assert_eq!(p.get("SubnetId"), Some(&roomy), "{p:?}");
    let mut want = vec![sg1.clone(), sg2.clone()];
    want.sort();
    assert_eq!(list(&p, "SecurityGroupId"), want, "{p:?}");
    assert_eq!(
        p.get("Placement.AvailabilityZone").map(String::as_str),
        Some("us-east-1b")
    );
    assert_eq!(
        p.get("Placement.Tenancy").map(String::as_str),
        Some("dedicated")
    );
    assert_eq!(p.get("EbsOptimized").map(String::as_str), Some("true"));
    assert_eq!(p.get("EnclaveOptions.Enabled").map(String::as_str), Some("true"));
    assert_eq!(
        p.get("CreditSpecification.CpuCredits").map(String::as_str),
        Some("unlimited")
    );
    assert_eq!(
        p.get("CapacityReservationSpecification.CapacityReservationPreference")
            .map(String::as_str),
        Some("open")
    );
    assert_eq!(
        p.get("LicenseSpecification.1.LicenseConfigurationArn")
            .map(String::as_str),
        Some(LICENSE)
    );
    // The recipe's groups are used: no temporary one.
    assert!(emu.calls_for("ec2", "CreateSecurityGroup").is_empty());

    // The instance ran there (AWS keeps terminated instances for a while).
    let out = emu.ec2(REGION).describe_instances().send().await.unwrap();
    let inst = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .expect("the build instance");
    assert_eq!(inst.subnet_id(), Some(roomy.as_str()));
    assert_eq!(inst.vpc_id(), Some(build_vpc.as_str()));
    assert_eq!(inst.ebs_optimized(), Some(true));
    let mut groups: Vec<String> = inst
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    groups.sort();
    assert_eq!(groups, want);
    assert_nothing_left(&emu, &[REGION], &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn availability_zone_limits_the_subnet_filter_and_defaults_follow_packer() {
    let emu = Emulator::start();
    let v = vpc(&emu, "10.3.0.0/16", &[]).await;
    let _in_a = subnet(&emu, &v, "10.3.1.0/24", "us-east-1a", &[("Tier", "app")]).await;
    let in_c = subnet(&emu, &v, "10.3.2.0/24", "us-east-1c", &[("Tier", "app")]).await;

    emu.clear_calls();
    let mut src = source("az", REGION, &[]);
    // Two subnets match the tag, one is in the zone: no most_free needed.
    src.run.subnet_filter = subnet_filter(&[("tag:Tier", "app")], false);
    src.run.availability_zone = Some("us-east-1c".into());
    src.run.capacity_reservation_preference = Some("none".into());
    let keep = build(&emu, src).await;

    let p = run_instances(&emu);
    assert_eq!(p.get("SubnetId"), Some(&in_c), "{p:?}");
    assert_eq!(
        p.get("Placement.AvailabilityZone").map(String::as_str),
        Some("us-east-1c")
    );
    // Packer's defaults: not EBS-optimised, standard credits for a T3,
    // no capacity reservation unless asked.
    assert_eq!(p.get("EbsOptimized").map(String::as_str), Some("false"));
    assert_eq!(
        p.get("CreditSpecification.CpuCredits").map(String::as_str),
        Some("standard")
    );
    assert_eq!(
        p.get("CapacityReservationSpecification.CapacityReservationPreference")
            .map(String::as_str),
        Some("none")
    );
    assert!(!p.contains_key("Placement.Tenancy"), "{p:?}");
    assert!(
        !p.keys().any(|k| k.starts_with("LicenseSpecification")),
        "{p:?}"
    );
    // The temporary group was made in the subnet's VPC.
    let create = &emu.calls_for("ec2", "CreateSecurityGroup")[0];
    assert_eq!(create.params.get("VpcId"), Some(&v));
    assert_nothing_left(&emu, &[REGION], &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_public_ip_without_a_subnet_takes_the_freest_subnet_of_the_vpc() {
    let emu = Emulator::start();
    let v = vpc(&emu, "10.4.0.0/16", &[("Class", "public")]).await;
    let _small = subnet(&emu, &v, "10.4.1.0/26", "us-east-1a", &[]).await;
    let big = subnet(&emu, &v, "10.4.4.0/22", "us-east-1b", &[]).await;

    emu.clear_calls();
    let mut src = source("pub", REGION, &[]);
    src.run.vpc_filter = net_filter(&[("tag:Class", "public")]);
    src.associate_public_ip_address = Some(true);
    let keep = build(&emu, src).await;

    let p = run_instances(&emu);
    assert_eq!(p.get("NetworkInterface.1.SubnetId"), Some(&big), "{p:?}");
    assert_eq!(
        p.get("NetworkInterface.1.AssociatePublicIpAddress")
            .map(String::as_str),
        Some("true")
    );
    assert_nothing_left(&emu, &[REGION], &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_filter_that_matches_nothing_or_too_much_fails_before_anything_exists() {
    let emu = Emulator::start();
    let a = vpc(&emu, "10.5.0.0/16", &[("Class", "twin")]).await;
    let _b = vpc(&emu, "10.6.0.0/16", &[("Class", "twin")]).await;
    subnet(&emu, &a, "10.5.1.0/24", "us-east-1a", &[("Tier", "x")]).await;
    subnet(&emu, &a, "10.5.2.0/24", "us-east-1b", &[("Tier", "x")]).await;

    emu.clear_calls();
    let cases: Vec<(&str, Change, &[&str])> = vec![
        (
            "no subnet",
            Box::new(|s: &mut Source| {
                s.run.subnet_filter = subnet_filter(&[("tag:Tier", "nope")], true)
            }),
            &[
                "subnet_filter",
                "tag:Tier = \"nope\"",
                "matched no available subnet",
                "hint:",
            ],
        ),
        (
            "no vpc",
            Box::new(|s: &mut Source| s.run.vpc_filter = net_filter(&[("tag:Class", "nope")])),
            &["vpc_filter", "matched no VPC", "hint:"],
        ),
        (
            "two vpcs",
            Box::new(|s: &mut Source| s.run.vpc_filter = net_filter(&[("tag:Class", "twin")])),
            &["vpc_filter", "matched 2 VPCs", "exactly one"],
        ),
        (
            "two subnets",
            Box::new(|s: &mut Source| {
                s.run.subnet_filter = subnet_filter(&[("tag:Tier", "x")], false)
            }),
            &["matched 2 subnets", "most_free"],
        ),
        (
            "vpc without subnet",
            Box::new(|s: &mut Source| s.run.vpc_filter = net_filter(&[("cidr", "10.5.0.0/16")])),
            &["is not the default VPC", "no subnet", "subnet_filter"],
        ),
        (
            "no group",
            Box::new(|s: &mut Source| {
                s.run.security_group_filter = net_filter(&[("tag:Role", "nope")])
            }),
            &[
                "security_group_filter",
                "matched no security group",
                "hint:",
            ],
        ),
    ];
    for (what, change, expect) in cases {
        let dir = temp_dir();
        let mut src = source("bad", REGION, &[]);
        change(&mut src);
        let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
        let err = build_err(&emu, &recipe).await;
        let text = err.to_string();
        for e in expect {
            assert!(text.contains(e), "{what}: expected {e:?} in: {text}");
        }
        assert_ne!(err.exit_code(), 0, "{what}");
        assert!(emu.calls_for("ec2", "RunInstances").is_empty(), "{what}");
        assert!(
            emu.calls_for("ec2", "CreateSecurityGroup").is_empty(),
            "{what}"
        );
        assert!(emu.calls_for("iam", "CreateRole").is_empty(), "{what}");
        assert_nothing_left(&emu, &[REGION], &[]).await;
    }
}
