//! `shell-local` and `breakpoint` run on this machine during a real build:
//! they see Packer's variables and the AMI IDs, a failure fails the build
//! and leaves nothing, and a breakpoint without a terminal goes on.

use amibake::recipe::{LocalShell, PostProcessor, ShellLocalPostProcessor};
use serde_json::Value;

use super::cli::amibake_command;
use super::common::*;
use crate::support::Emulator;

/// One template (read by the binary, stdin not a terminal): a local script
/// beside the recipe, inline local commands, a breakpoint, a remote shell,
/// and a local post-processor that records the AMIs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_provisioners_see_packers_variables_and_the_post_processor_the_amis() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("web.pkr.hcl");
    std::fs::create_dir(dir.path().join("hooks")).unwrap();
    let script = dir.path().join("hooks/record.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nenv | grep -E '^(PACKER_|GREETING=|HOST=)' | sort > \"$OUT\"\necho recorded\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        &recipe,
        r#"source "amazon-ebs" "web" {
  region        = "us-east-1"
  instance_type = "t3.micro"
  source_ami    = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  ami_name      = "amibake-local-{{timestamp}}"
  ami_regions   = ["us-west-2"]
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell-local" {
    script           = "hooks/record.sh"
    environment_vars = ["OUT=${path.root}/provisioner.env", "GREETING=it's {{ build `ID` }}"]
    env              = { HOST = build.Host }
  }
  provisioner "shell-local" {
    name   = "say"
    inline = ["echo \"inline saw $PACKER_BUILD_NAME\""]
  }
  provisioner "breakpoint" {
    note = "look at ${source.name}"
  }
  provisioner "shell" {
    inline = ["echo remote"]
  }
  post-processor "shell-local" {
    inline = ["echo \"$AMIBAKE_ARTIFACT_ID $AMIBAKE_AMI_ID $PACKER_BUILD_NAME\" > ${path.root}/post.txt"]
  }
}
"#,
    )
    .unwrap();
    let out = amibake_command(&emu, dir.path())
        .args(["build", recipe.to_str().unwrap(), "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["builds"][0];
    let build_id = b["build_id"].as_str().unwrap();
    let east = b["regions"]["us-east-1"]["ami_id"].as_str().unwrap();
    let west = b["regions"]["us-west-2"]["ami_id"].as_str().unwrap();

    // The provisioner's script saw Packer's variables and the recipe's, with
    // the build values rendered; amazon-ebs has no HTTP server, so no
    // PACKER_HTTP_*.
    let seen = std::fs::read_to_string(dir.path().join("provisioner.env")).unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert!(lines.contains(&"PACKER_BUILD_NAME=web"), "{seen}");
    assert!(lines.contains(&"PACKER_BUILDER_TYPE=amazon-ebs"), "{seen}");
    assert!(
        lines.contains(&format!("GREETING=it's {build_id}").as_str()),
        "{seen}"
    );
    assert!(!seen.contains("PACKER_HTTP"), "{seen}");
    let host = lines.iter().find_map(|l| l.strip_prefix("HOST=")).unwrap();
    // The instance the build ran: it exists (terminated now) in the build region.
    let inst = emu
        .ec2("us-east-1")
        .describe_instances()
        .instance_ids(host)
        .send()
        .await
        .unwrap();
    assert_eq!(inst.reservations().len(), 1, "{host}");

    // The post-processor saw the AMIs that exist, as Packer's artifact ID.
    let post = std::fs::read_to_string(dir.path().join("post.txt")).unwrap();
    assert_eq!(
        post.trim(),
        format!("us-east-1:{east},us-west-2:{west} {east} web")
    );
    for (region, ami) in [("us-east-1", east), ("us-west-2", west)] {
        let imgs = emu
            .ec2(region)
            .describe_images()
            .image_ids(ami)
            .send()
            .await
            .unwrap();
        assert_eq!(imgs.images().len(), 1, "{region} {ami}");
    }

    // Output is shown with the provisioner's name; the breakpoint said once
    // that it goes on, and how to reach the instance.
    assert!(stderr.contains("say: inline saw web"), "{stderr}");
    assert!(stderr.contains("shell-local: recorded"), "{stderr}");
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("(breakpoint): not pausing with note \"look at web\""))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(notices[0].contains("not both a terminal"), "{stderr}");
    assert!(
        notices[0].contains(&format!(
            "aws ssm start-session --target {host} --region us-east-1"
        )),
        "{stderr}"
    );
    assert_nothing_left(
        &emu,
        &["us-east-1", "us-west-2"],
        &[east.to_owned(), west.to_owned()],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_shell_local_provisioner_fails_the_build_and_leaves_nothing() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &["us-west-2"])],
        vec![
            shell(&["echo remote"]),
            shell_local(&["echo about to fail", "exit 3"]),
        ],
        vec![],
    );
    let err = build_err(&emu, &recipe).await;
    let text = err.to_string();
    assert!(
        text.contains("provisioner 2 (shell-local) (inline commands) failed with exit code 3"),
        "{text}"
    );
    assert!(text.contains("| about to fail"), "{text}");
    assert_eq!(err.exit_code(), 1);
    // The build had launched an instance, and cleanup removed it.
    assert_eq!(emu.calls_for("ec2", "RunInstances").len(), 1);
    assert!(emu.calls_for("ec2", "CreateImage").is_empty());
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_shell_local_post_processor_removes_the_images() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let seen = dir.path().join("seen");
    let line = format!("echo \"$AMIBAKE_ARTIFACT_ID\" > {}", seen.display());
    let recipe = recipe(
        dir.path(),
        vec![source("web", "us-east-1", &["us-west-2"])],
        vec![],
        vec![PostProcessor::ShellLocal(Box::new(
            ShellLocalPostProcessor {
                name: Some("notify".into()),
                only: vec![],
                except: vec![],
                shell: LocalShell::inline(&[&line, "exit 1"]),
            },
        ))],
    );
    let err = build_err(&emu, &recipe).await;
    let text = err.to_string();
    assert!(
        text.contains(
            "post-processor 1 (shell-local \"notify\") (inline commands) failed with exit code 1"
        ),
        "{text}"
    );
    // It ran with both images, which the failed build then removed.
    let ids = std::fs::read_to_string(&seen).unwrap();
    let pairs: Vec<&str> = ids.trim().split(',').collect();
    assert_eq!(pairs.len(), 2, "{ids}");
    assert!(pairs[0].starts_with("us-east-1:ami-") && pairs[1].starts_with("us-west-2:ami-"));
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &[]).await;
}
