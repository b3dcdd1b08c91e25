//! The `amibake build` binary on shipped recipes: stdout, exit codes, and
//! the Etherpad image rolled out with recipes/etherpad.cfn.yaml.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use aws_sdk_cloudformation::types::Parameter;
use serde_json::Value;

use crate::support::emulator::repo_root;
use crate::support::signal::interrupt_when;
use crate::support::{Emulator, EmulatorOptions};

/// The binary against the emulator, run in `dir`; `GITHUB_OUTPUT` is unset
/// so a test running inside a CI job never writes to the job's outputs.
pub(super) fn amibake_command(emu: &Emulator, dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("amibake").unwrap();
    cmd.current_dir(dir)
        .envs(emu.env_vars("us-east-1"))
        .env("AMIBAKE_MAX_ATTEMPTS", "3")
        .env_remove("GITHUB_OUTPUT")
        .timeout(Duration::from_secs(180));
    cmd
}

fn amibake(emu: &Emulator, dir: &Path, args: &[&str]) -> std::process::Output {
    amibake_command(emu, dir).args(args).output().unwrap()
}

/// Copy a shipped recipe and its provisioner scripts into `dir`, keeping
/// their relative layout (outputs land next to the copied recipe).
fn copy_recipe(dir: &Path, name: &str) -> std::path::PathBuf {
    let root = repo_root();
    std::fs::create_dir_all(dir.join("recipes")).unwrap();
    std::fs::create_dir_all(dir.join("provisioners")).unwrap();
    for f in std::fs::read_dir(root.join("provisioners")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join("provisioners").join(f.file_name().unwrap())).unwrap();
    }
    let dest = dir.join("recipes").join(name);
    std::fs::copy(root.join("recipes").join(name), &dest).unwrap();
    dest
}

/// `amibake` with no credentials anywhere: no environment keys, no
/// instance metadata, HOME in `dir`, and shared config only if the test
/// writes `DIR/aws-config` (credentials in `DIR/no-credentials`).
pub(super) fn command_without_credentials(emu: &Emulator, dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("amibake").unwrap();
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", emu.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env_remove("GITHUB_OUTPUT")
        .timeout(Duration::from_secs(60));
    cmd
}

/// `amibake ARGS` with no credentials anywhere ([`command_without_credentials`]).
fn amibake_without_credentials(emu: &Emulator, dir: &Path, args: &[&str]) -> std::process::Output {
    command_without_credentials(emu, dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn missing_credentials_and_unknown_regions_fail_before_anything_is_created() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let recipe = recipe.to_str().unwrap();

    let out = amibake_without_credentials(&emu, dir.path(), &["build", recipe]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: minimal (preflight): no AWS credentials found\n")
            && stderr.contains("hint: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
        "{stderr}"
    );
    let out = amibake_without_credentials(
        &emu,
        dir.path(),
        &["gc", "--all-recipes", "--profile", "ghost"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no AWS credentials found for profile `ghost`")
            && stderr.contains("aws sso login --profile ghost"),
        "{stderr}"
    );
    // A profile whose credential process fails: its own reason, no Debug dump.
    std::fs::write(
        dir.path().join("aws-config"),
        "[profile failing]\ncredential_process = /bin/false\n",
    )
    .unwrap();
    let out = amibake_without_credentials(
        &emu,
        dir.path(),
        &["gc", "--all-recipes", "--profile", "failing"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: could not load AWS credentials: ")
            && stderr.contains("external process exited")
            && stderr.contains("hint: check the profile in ~/.aws/config")
            && !stderr.contains("ProviderError {"),
        "{stderr}"
    );
    assert!(
        emu.calls().is_empty(),
        "nothing reached AWS without credentials: {:?}",
        emu.calls()
    );

    let out = amibake(
        &emu,
        dir.path(),
        &["build", "--region", "mars-north-1", recipe],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown AWS region `mars-north-1`"),
        "{stderr}"
    );
    let out = amibake(
        &emu,
        dir.path(),
        &["gc", "--all-recipes", "--region", "us-eas-1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown AWS region `us-eas-1`; did you mean `us-east-1`?"),
        "{stderr}"
    );
    assert!(emu.calls_for("ec2", "RunInstances").is_empty());
    assert!(emu.calls_for("iam", "CreateRole").is_empty());
}

#[test]
fn minimal_recipe_prints_region_and_ami_and_json_output() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let out = amibake(&emu, dir.path(), &["build", recipe.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let (region, ami) = lines[0].split_once(' ').unwrap();
    assert_eq!(region, "us-east-1");
    assert!(ami.starts_with("ami-"));
    assert!(
        stderr.contains("preflight"),
        "progress goes to stderr: {stderr}"
    );

    // Same recipe again: the name has a timestamp so it builds again; JSON out.
    std::thread::sleep(Duration::from_millis(1100));
    let out = amibake(
        &emu,
        dir.path(),
        &["build", recipe.to_str().unwrap(), "--output", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["builds"][0];
    assert_eq!(b["source"], "minimal");
    assert_eq!(b["status"], "succeeded");
    assert!(b["build_id"].as_str().unwrap().starts_with("ab-"));
    assert!(b["source_ami"].as_str().unwrap().starts_with("ami-"));
    assert!(b["regions"]["us-east-1"]["ami_id"]
        .as_str()
        .unwrap()
        .starts_with("ami-"));
    assert!(b["regions"]["us-east-1"]["snapshot_ids"][0]
        .as_str()
        .unwrap()
        .starts_with("snap-"));
    assert!(b["duration_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn usage_errors_exit_2_and_unknown_only_is_refused() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let out = amibake(
        &emu,
        dir.path(),
        &["build", recipe.to_str().unwrap(), "--only", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--only nope") && stderr.contains("minimal"),
        "{stderr}"
    );
    let out = amibake(&emu, dir.path(), &["build", "does-not-exist.hcl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(emu.calls_for("ec2", "RunInstances").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn etherpad_image_rolls_out_through_cloudformation() {
    // `stub` mode: the provisioning protocol really runs; dnf, git, npm and
    // systemctl, which need Amazon Linux and the internet, are recorded.
    let emu = Emulator::start_with(EmulatorOptions::new().ssm_mode("stub"));
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "etherpad.hcl");
    let mut build = amibake_command(&emu, dir.path());
    build.args(["build", recipe.to_str().unwrap()]);
    let out = tokio::task::spawn_blocking(move || build.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let amis: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let (r, a) = l.split_once(' ').unwrap();
            (r.to_owned(), a.to_owned())
        })
        .collect();
    assert_eq!(
        amis.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        ["us-east-1", "eu-west-1"]
    );
    let ami = amis[0].1.clone();

    let params: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("etherpad-parameters.json")).unwrap(),
    )
    .unwrap();
    let template = std::fs::read_to_string(repo_root().join("recipes/etherpad.cfn.yaml")).unwrap();
    let ec2 = emu.ec2("us-east-1");
    let vpc = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("isDefault")
                .values("true")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_owned();
    let subnet = ec2.describe_subnets().send().await.unwrap().subnets()[0]
        .subnet_id()
        .unwrap()
        .to_owned();
    let p = |k: &str, v: &str| {
        Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    let cfn = emu.cloudformation("us-east-1");

    // 1. create-stack with amibake's parameter file (create-stack format).
    let file_params: Vec<Parameter> = params
        .as_array()
        .expect("create-stack format: a list")
        .iter()
        .map(|e| {
            p(
                e["ParameterKey"].as_str().unwrap(),
                e["ParameterValue"].as_str().unwrap(),
            )
        })
        .collect();
    cfn.create_stack()
        .stack_name("etherpad")
        .template_body(&template)
        .set_parameters(Some(file_params))
        .parameters(p("VpcId", &vpc))
        .parameters(p("SubnetIds", &subnet))
        .send()
        .await
        .unwrap();
    assert_eq!(launch_template_image(&emu).await, ami);

    // 2. update with an empty ImageId: the stack reads the SSM parameter.
    emu.ssm("us-east-1")
        .get_parameter()
        .name("/etherpad/ami-id")
        .send()
        .await
        .unwrap();
    cfn.update_stack()
        .stack_name("etherpad")
        .template_body(&template)
        .parameters(p("ImageId", ""))
        .parameters(p("VpcId", &vpc))
        .parameters(p("SubnetIds", &subnet))
        .send()
        .await
        .unwrap();
    assert_eq!(launch_template_image(&emu).await, ami);
    let eu = emu
        .ssm("eu-west-1")
        .get_parameter()
        .name("/etherpad/ami-id")
        .send()
        .await
        .unwrap();
    assert_eq!(eu.parameter().unwrap().value(), Some(amis[1].1.as_str()));
}

async fn launch_template_image(emu: &Emulator) -> String {
    let ec2 = emu.ec2("us-east-1");
    let lts = ec2.describe_launch_templates().send().await.unwrap();
    let id = lts
        .launch_templates()
        .last()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();
    let v = ec2
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    v.launch_template_versions()[0]
        .launch_template_data()
        .unwrap()
        .image_id()
        .unwrap()
        .to_owned()
}

#[test]
fn json_log_format_writes_one_event_object_per_stderr_line() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let out = amibake(
        &emu,
        dir.path(),
        &["--log-format", "json", "build", recipe.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events
        .iter()
        .all(|e| e["time"].is_string() && e["event"].is_string()));
    let done: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step_done")
        .filter_map(|e| e["step"].as_str())
        .collect();
    for step in ["preflight", "launch instance", "create image"] {
        assert!(
            done.iter().any(|s| s.contains(step)),
            "no step_done for {step}: {done:?}"
        );
    }
    // Results stay on stdout, untouched by the log format.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("us-east-1 ami-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_to_the_binary_during_the_image_wait_cleans_up_and_exits_130() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("image_pending", 60.0));
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amibake"));
    cmd.args(["build", recipe.to_str().unwrap()])
        .current_dir(dir.path())
        .envs(emu.env_vars("us-east-1"))
        .env("AMIBAKE_MAX_ATTEMPTS", "3")
        .env_remove("GITHUB_OUTPUT");
    // The image exists and is pending: interrupt the wait.
    let run = interrupt_when(cmd, "==> minimal: create image", "TERM").await;
    let (signalled, log, status) = (run.signalled, run.log, run.output.status);
    assert!(signalled, "never reached the image wait:\n{log}");
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(log.contains("interrupted"), "{log}");
    crate::build_tests::common::assert_nothing_left(&emu, &["us-east-1"], &[]).await;
}

#[test]
fn an_unreachable_endpoint_says_so_and_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    // Port 1 on loopback: nothing listens there.
    let out = Command::cargo_bin("amibake")
        .unwrap()
        .args(["build", recipe.to_str().unwrap()])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AMIBAKE_MAX_ATTEMPTS", "2")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "sts:GetCallerIdentity failed: DispatchFailure: could not reach the AWS endpoint: "
        ) && stderr.contains("Connection refused")
            && stderr.contains("hint: check --endpoint-url / AWS_ENDPOINT_URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("ConnectorError {"),
        "no Debug dump: {stderr}"
    );
}

/// A snapshot of a finished build is not a leftover while its image lives,
/// and is one once the image is gone without it (a gc stopped twice, a
/// console deregistration that kept the snapshots).
#[tokio::test]
async fn cleanup_lists_snapshots_whose_image_is_gone_but_not_those_of_live_images() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let out = amibake(&emu, dir.path(), &["build", recipe.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ami = stdout.split_whitespace().nth(1).unwrap().to_owned();
    let ec2 = emu.ec2("us-east-1");
    let image = ec2.describe_images().image_ids(&ami).send().await.unwrap();
    let snapshot = image.images()[0].block_device_mappings()[0]
        .ebs()
        .unwrap()
        .snapshot_id()
        .unwrap()
        .to_owned();
    let listed = |args: &[&str]| {
        let mut all = vec!["cleanup", "--region", "us-east-1", "--older-than", "0s"];
        all.extend_from_slice(args);
        let out = amibake(&emu, dir.path(), &all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };

    let live: Value = serde_json::from_slice(&listed(&["--json"])).unwrap();
    assert_eq!(live["resources"], serde_json::json!([]), "{live}");

    ec2.deregister_image().image_id(&ami).send().await.unwrap();
    let orphaned: Value = serde_json::from_slice(&listed(&["--json"])).unwrap();
    let resources = orphaned["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{orphaned}");
    assert_eq!(resources[0]["kind"], "snapshot");
    assert_eq!(resources[0]["id"], snapshot.as_str());

    listed(&["--apply"]);
    let left = ec2
        .describe_snapshots()
        .snapshot_ids(&snapshot)
        .send()
        .await;
    match left {
        Ok(out) => assert!(out.snapshots().is_empty(), "{out:?}"),
        Err(e) => assert_eq!(
            aws_sdk_ec2::error::ProvideErrorMetadata::code(&e),
            Some("InvalidSnapshot.NotFound")
        ),
    }
}

/// With `GITHUB_OUTPUT` set, the IDs are appended there for later job steps.
#[test]
fn github_output_gets_the_ami_ids_appended() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = copy_recipe(dir.path(), "minimal.hcl");
    let outputs = dir.path().join("github-output");
    std::fs::write(&outputs, "earlier=step\n").unwrap();
    let out = amibake_command(&emu, dir.path())
        .env("GITHUB_OUTPUT", &outputs)
        .args(["build", recipe.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ami = stdout.split_whitespace().nth(1).unwrap();
    let ids = format!(r#"{{"us-east-1":"{ami}"}}"#);
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        format!(
            "earlier=step\nami_id={ami}\nami_ids={ids}\nminimal_ami_id={ami}\nminimal_ami_ids={ids}\n"
        )
    );
}

/// A Packer-style template: the base image comes from `data "amazon-ami"`
/// (run once before the build), and the AMI and snapshot tags carry the real
/// source image's name and each image's region, from legacy `{{ }}` and
/// from `build.*`; `run_tags` reach the AMI, as in Packer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_sources_and_build_time_templates_reach_the_image_tags() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("web.pkr.hcl");
    std::fs::write(
        &recipe,
        r#"data "amazon-ami" "base" {
  filters = {
    name                = "amzn2-ami-hvm-2.0.*-x86_64-gp2"
    # Two values, as Packer splits a filter string at commas.
    virtualization-type = "paravirtual, hvm"
  }
  owners      = ["137112412989"]
  most_recent = true
}
locals {
  base_name = data.amazon-ami.base.name
}
source "amazon-ebs" "web" {
  region          = "us-east-1"
  instance_type   = "t3.micro"
  source_ami      = data.amazon-ami.base.id
  ami_name        = "amibake-legacy-{{timestamp}}"
  ami_description = "built from {{ .SourceAMI }}"
  ami_regions     = ["us-west-2"]
  tags = {
    Base     = "{{ .SourceAMIName }}"
    Region   = "{{ .BuildRegion }}"
    FromData = local.base_name
    Hcl      = "${build.SourceAMIName} in ${build.BuildRegion}"
  }
  snapshot_tags = {
    Base   = "{{ .SourceAMIName }}"
    Region = "{{ .BuildRegion }}"
  }
  run_tags = {
    Run = "yes"
  }
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    inline = ["echo hello"]
  }
}
"#,
    )
    .unwrap();
    let out = amibake(
        &emu,
        dir.path(),
        &["build", recipe.to_str().unwrap(), "--output", "json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["builds"][0];
    let source_ami = b["source_ami"].as_str().unwrap().to_owned();

    // What the data source should have found: the newest matching image.
    let ec2 = emu.ec2("us-east-1");
    let base = ec2
        .describe_images()
        .image_ids(&source_ami)
        .send()
        .await
        .unwrap();
    let base = &base.images()[0];
    let base_name = base.name().unwrap().to_owned();
    assert!(base_name.starts_with("amzn2-ami-hvm-2.0."), "{base_name}");
    let candidates = ec2
        .describe_images()
        .owners("137112412989")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("amzn2-ami-hvm-2.0.*-x86_64-gp2")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let newest = candidates
        .images()
        .iter()
        .map(|i| i.creation_date().unwrap_or(""))
        .max()
        .unwrap();
    assert_eq!(
        base.creation_date().unwrap(),
        newest,
        "most_recent picks the newest"
    );

    for region in ["us-east-1", "us-west-2"] {
        let ami = b["regions"][region]["ami_id"].as_str().unwrap();
        let ec2 = emu.ec2(region);
        let img = ec2.describe_images().image_ids(ami).send().await.unwrap();
        let img = &img.images()[0];
        let tags = super::common::tags_of(img.tags());
        assert_eq!(tags["Base"], base_name, "{region}: {tags:?}");
        assert_eq!(tags["Region"], region, "{region}: {tags:?}");
        assert_eq!(tags["FromData"], base_name, "{region}");
        assert_eq!(tags["Hcl"], format!("{base_name} in {region}"), "{region}");
        assert_eq!(
            tags["Run"], "yes",
            "{region}: run_tags are copied to the AMI"
        );
        assert_eq!(
            img.description(),
            Some(format!("built from {source_ami}").as_str())
        );
        let snaps: Vec<String> = b["regions"][region]["snapshot_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        assert!(!snaps.is_empty());
        let s = ec2
            .describe_snapshots()
            .set_snapshot_ids(Some(snaps))
            .send()
            .await
            .unwrap();
        for snap in s.snapshots() {
            let t = super::common::tags_of(snap.tags());
            assert_eq!(t["Base"], base_name, "{region} snapshot: {t:?}");
            assert_eq!(t["Region"], region, "{region} snapshot: {t:?}");
        }
    }
    // `validate` made no AWS call for the data source: it is known later.
    emu.clear_calls();
    let out = amibake(&emu, dir.path(), &["validate", recipe.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        emu.calls().is_empty(),
        "validate called AWS: {:?}",
        emu.calls()
    );
}

/// A build that also names another builder's source is refused by `build`
/// (exit 2, before any AWS call) with the `--except` that builds the rest.
#[test]
fn a_build_naming_another_builder_is_refused_unless_excepted() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("multi.pkr.hcl");
    std::fs::write(
        &recipe,
        "source \"googlecompute\" \"web\" {\n  project_id = \"x\"\n}\nsource \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  source_ami = \"resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64\"\n  ami_name = \"multi-{{timestamp}}\"\n}\nbuild {\n  sources = [\"source.amazon-ebs.web\", \"source.googlecompute.web\"]\n}\n",
    )
    .unwrap();
    emu.clear_calls();
    let out = amibake(&emu, dir.path(), &["build", recipe.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--except=googlecompute.web"), "{stderr}");
    assert!(emu.calls().is_empty(), "{:?}", emu.calls());
}
