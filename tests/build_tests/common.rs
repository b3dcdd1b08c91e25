//! Recipes built in code (the resolved model) and leftover checks.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use amibake::aws::Aws;
use amibake::build::{self, BuildOptions, BuildResult, Interrupts, Outcome, Selection};
use amibake::recipe::{
    Build, LocalShell, MetadataOptions, PostProcessor, Provisioner, ProvisionerCommon, Recipe,
    ShellLocalProvisioner, ShellProvisioner, Source, SourceAmi,
};
use amibake::ui::Ui;

use crate::support::Emulator;

pub const AL2023: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

pub fn source(name: &str, region: &str, copies: &[&str]) -> Source {
    Source {
        name: name.into(),
        kind: "amazon-ebs".into(),
        region: region.into(),
        instance_type: "t3.micro".into(),
        source_ami: SourceAmi::SsmParameter {
            parameter: AL2023.into(),
        },
        ami_name: format!("amibake-test-{name}"),
        ami_description: Some("test image".into()),
        tags: BTreeMap::from([("App".to_string(), "test".to_string())]),
        run_tags: BTreeMap::new(),
        run_volume_tags: BTreeMap::new(),
        snapshot_tags: BTreeMap::from([("SnapTag".to_string(), "yes".to_string())]),
        skip_ami_run_tags: false,
        subnet_id: None,
        vpc_id: None,
        security_group_ids: vec![],
        associate_public_ip_address: None,
        iam_instance_profile: None,
        user_data: None,
        launch_block_device_mappings: vec![],
        ami_block_device_mappings: vec![],
        metadata_options: MetadataOptions::default(),
        imds_support: None,
        encrypt_boot: None,
        kms_key_id: None,
        region_kms_key_ids: BTreeMap::new(),
        ami_regions: copies.iter().map(|s| s.to_string()).collect(),
        ami_users: vec![],
        ami_groups: vec![],
        snapshot_users: vec![],
        snapshot_groups: vec![],
        ami_org_arns: vec![],
        ami_ou_arns: vec![],
        deprecate_at: None,
        force_deregister: false,
        force_delete_snapshot: false,
        skip_create_ami: false,
        skip_save_build_region: false,
        deregistration_protection: Default::default(),
        snapshot_copy_duration_minutes: None,
        ena_support: None,
        sriov_support: false,
        state_timeout: Duration::from_secs(60),
        max_poll_interval: Duration::from_secs(2),
        staging_bucket: None,
        retention: None,
        access: Default::default(),
        run: Default::default(),
    }
}

pub fn shell(lines: &[&str]) -> Provisioner {
    Provisioner::Shell(ShellProvisioner {
        common: ProvisionerCommon::default(),
        inline: lines.iter().map(|s| s.to_string()).collect(),
        scripts: vec![],
        environment_vars: vec![],
        inline_shebang: "/bin/sh -e".into(),
        expect_disconnect: false,
        timeout: Duration::from_secs(60),
        valid_exit_codes: vec![0],
    })
}

pub fn shell_script(path: &Path) -> Provisioner {
    let mut p = shell(&[]);
    if let Provisioner::Shell(s) = &mut p {
        s.scripts = vec![path.to_path_buf()];
    }
    p
}

/// `shell-local` with Packer's defaults running `lines` on this machine.
pub fn shell_local(lines: &[&str]) -> Provisioner {
    Provisioner::ShellLocal(ShellLocalProvisioner {
        common: ProvisionerCommon::default(),
        shell: LocalShell::inline(lines),
        timeout: None,
    })
}

pub fn recipe(
    dir: &Path,
    sources: Vec<Source>,
    provisioners: Vec<Provisioner>,
    post: Vec<PostProcessor>,
) -> Recipe {
    Recipe {
        path: dir.join("test.pkr.hcl"),
        name: "test".into(),
        variables: BTreeMap::new(),
        needs_remote: false,
        secrets: vec![],
        warnings: vec![],
        builds: vec![Build {
            name: Some("test".into()),
            sources: sources.iter().map(|s| s.name.clone()).collect(),
            foreign_sources: vec![],
            provisioners,
            post_processors: post,
        }],
        sources,
    }
}

pub fn aws(emu: &Emulator) -> Aws {
    Aws::from_config(emu.sdk_config_with_retries("us-east-1", 4))
}

/// Quiet, or plain progress on stderr with AMIBAKE_TEST_LOG=1.
pub fn test_ui() -> Ui {
    if std::env::var_os("AMIBAKE_TEST_LOG").is_some() {
        Ui::new(amibake::ui::LogFormat::Text, true, true)
    } else {
        Ui::quiet()
    }
}

pub fn options() -> BuildOptions {
    BuildOptions {
        run_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    }
}

/// Build every source; returns the outcomes.
pub async fn build_with(
    emu: &Emulator,
    recipe: &Recipe,
    opts: &BuildOptions,
    interrupts: &Interrupts,
) -> Vec<Outcome> {
    build::run(
        &aws(emu),
        &test_ui(),
        recipe,
        opts,
        &Selection::default(),
        interrupts,
    )
    .await
    .expect("build started")
}

pub async fn build_ok(emu: &Emulator, recipe: &Recipe) -> Outcome {
    let mut out = build_with(emu, recipe, &options(), &Interrupts::none()).await;
    let o = out.remove(0);
    if let Some(e) = &o.error {
        panic!("build failed: {e}\nemulator log:\n{}", emu.logs());
    }
    o
}

pub async fn build_err(emu: &Emulator, recipe: &Recipe) -> amibake::Error {
    let mut out = build_with(emu, recipe, &options(), &Interrupts::none()).await;
    out.remove(0).error.expect("the build should fail")
}

/// Nothing of any build is left in `regions`: no live instance, no
/// amibake security group, IAM role or profile, no image owned by us
/// (unless `keep` lists it), and no tagged snapshot of a removed image.
/// The AMI ID in every region of a build: what a test keeps when it checks
/// that nothing else is left.
pub fn ami_ids(r: &BuildResult) -> Vec<String> {
    r.regions.iter().map(|(_, i)| i.ami_id.clone()).collect()
}

pub async fn assert_nothing_left(emu: &Emulator, regions: &[&str], keep: &[String]) {
    for region in regions {
        let ec2 = emu.ec2(region);
        let res = ec2.describe_instances().send().await.unwrap();
        let live: Vec<String> = res
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| {
                // Terminated, or on its way there (TerminateInstances was called).
                !matches!(
                    i.state().and_then(|s| s.name()).map(|n| n.as_str()),
                    Some("terminated") | Some("shutting-down")
                )
            })
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        assert!(live.is_empty(), "instances left in {region}: {live:?}");
        let sgs = ec2.describe_security_groups().send().await.unwrap();
        let ours: Vec<_> = sgs
            .security_groups()
            .iter()
            .filter(|g| g.group_name().unwrap_or("").starts_with("amibake-"))
            .map(|g| g.group_id().unwrap_or("").to_owned())
            .collect();
        assert!(
            ours.is_empty(),
            "security groups left in {region}: {ours:?}"
        );
        let images = ec2.describe_images().owners("self").send().await.unwrap();
        let left: Vec<String> = images
            .images()
            .iter()
            .filter_map(|i| i.image_id().map(str::to_owned))
            .filter(|id| !keep.contains(id))
            .collect();
        assert!(left.is_empty(), "images left in {region}: {left:?}");
        let kept_snaps: Vec<String> = images
            .images()
            .iter()
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_owned))
            .collect();
        let snaps = ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(amibake_tag_filter())
            .send()
            .await
            .unwrap();
        let orphans: Vec<String> = snaps
            .snapshots()
            .iter()
            .filter_map(|s| s.snapshot_id().map(str::to_owned))
            .filter(|s| !kept_snaps.contains(s))
            .collect();
        assert!(
            orphans.is_empty(),
            "snapshots left in {region}: {orphans:?}"
        );
    }
    let iam = emu.iam();
    let roles = iam
        .list_roles()
        .path_prefix("/amibake/")
        .send()
        .await
        .unwrap();
    assert!(
        roles.roles().is_empty(),
        "IAM roles left: {:?}",
        roles
            .roles()
            .iter()
            .map(|r| r.role_name())
            .collect::<Vec<_>>()
    );
    let profiles = iam
        .list_instance_profiles()
        .path_prefix("/amibake/")
        .send()
        .await
        .unwrap();
    assert!(
        profiles.instance_profiles().is_empty(),
        "instance profiles left"
    );
}

fn amibake_tag_filter() -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag-key")
        .values("amibake:build-id")
        .build()
}

pub fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or("").to_owned(),
                t.value().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
