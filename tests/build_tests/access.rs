//! A source's own access options (Packer's `access_key`, `profile`,
//! `assume_role`, `custom_endpoint_ec2`, ...) through the binary: which
//! credentials signed the calls that reached the emulator, and where they
//! went.

use std::path::Path;

use crate::support::{Call, Emulator};

use super::cli::{amibake_command, command_without_credentials};

/// A one-source recipe with `extra` inside the source block.
fn write_recipe(dir: &Path, extra: &str) -> String {
    let text = format!(
        r#"source "amazon-ebs" "access" {{
  region        = "us-east-1"
  instance_type = "t3.micro"
  source_ami    = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  ami_name      = "access-{{{{timestamp}}}}"
{extra}
}}

build {{
  sources = ["source.amazon-ebs.access"]
  provisioner "shell" {{
    inline = ["echo baked > /etc/motd"]
  }}
}}
"#
    );
    let path = dir.join("access.pkr.hcl");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The AMI ID of a successful `amibake build` (one `REGION AMI` line).
fn built_ami(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let line = stdout.lines().next().unwrap_or_default();
    let ami = line.strip_prefix("us-east-1 ").unwrap_or_default();
    assert!(ami.starts_with("ami-"), "{stdout}");
    ami.to_owned()
}

/// Every access key that signed a call of `service`.
fn signers(calls: &[Call], service: &str) -> Vec<String> {
    let mut keys: Vec<String> = calls
        .iter()
        .filter(|c| c.service == service)
        .map(|c| c.access_key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// `cmd build RECIPE`, which must succeed, and the calls it made (taken
/// before the test's own check that the image exists).
async fn build(
    emu: &Emulator,
    mut cmd: assert_cmd::Command,
    recipe: &str,
) -> (std::process::Output, Vec<Call>) {
    let out = cmd.args(["build", recipe]).output().unwrap();
    let ami = built_ami(&out);
    let calls = emu.calls();
    let images = emu
        .ec2("us-east-1")
        .describe_images()
        .image_ids(&ami)
        .send()
        .await
        .unwrap();
    assert_eq!(images.images().len(), 1, "{ami} exists");
    (out, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn recipe_keys_sign_every_call_before_the_environments_and_skip_the_sts_check() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = write_recipe(
        dir.path(),
        r#"  access_key = "AKIDRECIPE0000000001"
  secret_key = "recipe-secret"
  max_retries = 2
  skip_credential_validation = true"#,
    );
    // The environment has keys too (`testing`): the recipe's come first.
    let (out, calls) = build(&emu, amibake_command(&emu, dir.path()), &recipe).await;
    for service in ["ec2", "ssm", "iam"] {
        assert_eq!(
            signers(&calls, service),
            ["AKIDRECIPE0000000001"],
            "{service} calls"
        );
    }
    assert!(
        !calls.iter().any(|c| c.action == "GetCallerIdentity"),
        "skip_credential_validation: no STS check: {calls:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("recipe-secret"), "{stderr}");
    let out = amibake_command(&emu, dir.path())
        .args(["validate", &recipe])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`secret_key` is written in the recipe")
            && !stderr.contains("recipe-secret"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recipe_profile_from_its_credentials_file_signs_the_build_and_an_explicit_profile_wins() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("builder-credentials"),
        "[builder]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    // The default credentials file (AWS_SHARED_CREDENTIALS_FILE) has another profile.
    std::fs::write(
        dir.path().join("no-credentials"),
        "[other]\naws_access_key_id = AKIDFLAG000000000001\naws_secret_access_key = flag-secret\n",
    )
    .unwrap();
    let recipe = write_recipe(
        dir.path(),
        "  profile = \"builder\"\n  shared_credentials_file = \"builder-credentials\"",
    );
    let out = command_without_credentials(&emu, dir.path())
        .args(["build", &recipe])
        .output()
        .unwrap();
    built_ami(&out);
    let calls = emu.calls();
    assert_eq!(signers(&calls, "ec2"), ["AKIDPROFILE000000001"]);
    assert_eq!(signers(&calls, "sts"), ["AKIDPROFILE000000001"]);

    emu.clear_calls();
    let out = command_without_credentials(&emu, dir.path())
        .args(["build", "--profile", "other", &recipe])
        .output()
        .unwrap();
    built_ami(&out);
    assert_eq!(signers(&emu.calls(), "ec2"), ["AKIDFLAG000000000001"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--profile other replaces the recipe's credentials"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_signs_the_build_with_the_roles_credentials() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = write_recipe(
        dir.path(),
        r#"  assume_role {
    role_arn            = "arn:aws:iam::123456789012:role/builder"
    session_name        = "amibake-test"
    duration_seconds    = 900
    tags                = { team = "images" }
    transitive_tag_keys = ["team"]
  }"#,
    );
    let (_, calls) = build(&emu, amibake_command(&emu, dir.path()), &recipe).await;
    let assumes: Vec<&Call> = calls.iter().filter(|c| c.action == "AssumeRole").collect();
    assert!(!assumes.is_empty(), "{calls:?}");
    assert!(
        assumes.iter().all(|c| c.access_key == "testing"),
        "the role is assumed with the environment's credentials: {assumes:?}"
    );
    let ec2 = signers(&calls, "ec2");
    assert_eq!(ec2.len(), 1, "one set of credentials for EC2: {ec2:?}");
    assert_ne!(ec2[0], "testing", "EC2 calls use the role's credentials");
    assert_eq!(signers(&calls, "ssm"), ec2);
    assert_eq!(signers(&calls, "iam"), ec2);
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_endpoint_ec2_wins_over_the_environments_ec2_endpoint() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    // A local port nobody listens on, as the environment's EC2 endpoint.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let plain = write_recipe(dir.path(), "");
    let out = amibake_command(&emu, dir.path())
        .env("AWS_ENDPOINT_URL_EC2", &dead)
        .args(["build", &plain])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not reach the AWS endpoint"),
        "{stderr}"
    );
    assert!(emu.calls().iter().all(|c| c.service != "ec2"));

    let recipe = write_recipe(
        dir.path(),
        &format!("  custom_endpoint_ec2 = \"{}\"", emu.endpoint()),
    );
    let mut cmd = amibake_command(&emu, dir.path());
    cmd.env("AWS_ENDPOINT_URL_EC2", &dead);
    let (_, calls) = build(&emu, cmd, &recipe).await;
    assert!(calls.iter().any(|c| c.action == "RunInstances"));
}

#[test]
fn a_profile_that_does_not_exist_fails_before_anything_reaches_aws() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    // `extra` in the source: refused with exit code 2, and no AWS call made.
    let refused = |extra: &str| {
        let recipe = write_recipe(dir.path(), extra);
        let out = command_without_credentials(&emu, dir.path())
            .args(["build", &recipe])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(emu.calls().is_empty(), "{:?}", emu.calls());
        stderr
    };
    let stderr = refused("  profile = \"ghost\"");
    assert!(
        stderr.contains(
            "error: source access: AWS profile `ghost` (the recipe's `profile`) is not defined in"
        ) && stderr.contains("hint: add [ghost] to"),
        "{stderr}"
    );
    let stderr = refused("  shared_credentials_file = \"missing\"");
    assert!(
        stderr.contains("shared_credentials_file") && stderr.contains("does not exist"),
        "{stderr}"
    );
}
