//! The SSM agent: registration rules and Run Command.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::InstanceStateName;
use aws_sdk_ssm::types::CommandInvocationStatus as S;

use super::common::*;
use crate::support::{Emulator, EmulatorOptions};

#[tokio::test]
async fn instance_without_ssm_policy_never_registers() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("ssm_register", 0.1));
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "nossm", false).await;
    let bare = launch(&emu, REGION, &ami, Some("nossm")).await;
    let none = launch(&emu, REGION, &ami, None).await;
    let good = managed_instance(&emu, REGION).await; // proves registration works meanwhile
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ping_status(&emu, REGION, &bare).await, None);
    assert_eq!(ping_status(&emu, REGION, &none).await, None);
    assert_eq!(
        ping_status(&emu, REGION, &good).await.as_deref(),
        Some("Online")
    );
    // SendCommand refuses instances that are not managed.
    for id in [bare.as_str(), "i-0123456789abcdef0"] {
        let sent = shell_command_request(&emu, REGION, id, &["true"])
            .send()
            .await;
        assert_error_code(sent, "InvalidInstanceId");
    }
}

#[tokio::test]
async fn inline_policy_allowing_update_instance_information_registers() {
    let emu = Emulator::start();
    let iam = emu.iam();
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "inline", false).await;
    iam.put_role_policy()
        .role_name("inline")
        .policy_name("ssm")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:UpdateInstance*","ssmmessages:*"],"Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let id = launch(&emu, REGION, &ami, Some("inline")).await;
    wait_online(&emu, REGION, &id).await;
}

#[tokio::test]
async fn instance_registers_after_running_goes_connection_lost_when_stopped_and_disappears_when_terminated(
) {
    let emu = Emulator::start_with(
        EmulatorOptions::new()
            .delay("instance_pending", 0.3)
            .delay("ssm_register", 3.0),
    );
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "p", true).await;
    let id = launch(&emu, REGION, &ami, Some("p")).await;
    wait_state(&emu, REGION, &id, InstanceStateName::Running).await;
    let running_at = Instant::now();
    assert_eq!(
        ping_status(&emu, REGION, &id).await,
        None,
        "not registered right after running"
    );
    wait_online(&emu, REGION, &id).await;
    assert!(
        running_at.elapsed() >= Duration::from_millis(2500),
        "registered too early"
    );
    assert_eq!(
        ping_status_by_filters(&emu, REGION, &id).await.as_deref(),
        Some("Online")
    );

    change_instance_state(&emu, REGION, &id, InstanceAction::Stop).await;
    assert_eq!(
        ping_status(&emu, REGION, &id).await.as_deref(),
        Some("ConnectionLost")
    );
    wait_state(&emu, REGION, &id, InstanceStateName::Stopped).await;
    assert_eq!(
        ping_status(&emu, REGION, &id).await.as_deref(),
        Some("ConnectionLost")
    );
    change_instance_state(&emu, REGION, &id, InstanceAction::Start).await;
    wait_online(&emu, REGION, &id).await;
    change_instance_state(&emu, REGION, &id, InstanceAction::Terminate).await;
    assert_eq!(ping_status(&emu, REGION, &id).await, None);
}

#[tokio::test]
async fn describe_instance_information_paginates() {
    let emu = Emulator::start();
    let ami = al2023_ami(&emu, REGION).await;
    make_profile(&emu, "p", true).await;
    let out = run_instances_request(&emu, REGION, &ami, Some("p"))
        .min_count(7)
        .max_count(7)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = out
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_string())
        .collect();
    for id in &ids {
        wait_online(&emu, REGION, id).await;
    }
    let ssm = emu.ssm(REGION);
    let first = ssm
        .describe_instance_information()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.instance_information_list().len(), 5);
    let token = first.next_token().expect("next token").to_string();
    let second = ssm
        .describe_instance_information()
        .max_results(5)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.instance_information_list().len(), 2);
    assert!(second.next_token().is_none());
    let info = &first.instance_information_list()[0];
    assert_eq!(info.platform_type().map(|p| p.as_str()), Some("Linux"));
    assert_eq!(info.ping_status().map(|p| p.as_str()), Some("Online"));
    let mut all: Vec<String> = first
        .instance_information_list()
        .iter()
        .chain(second.instance_information_list())
        .map(|i| i.instance_id().unwrap().to_string())
        .collect();
    all.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(all, want);
}

#[tokio::test]
async fn run_shell_script_runs_commands_with_sh_and_reports_output_and_exit_codes() {
    let emu = Emulator::start_with(
        EmulatorOptions::new()
            .delay("invocation_visible", 0.3)
            .delay("command_start", 2.0),
    );
    let id = managed_instance(&emu, REGION).await;
    let ssm = emu.ssm(REGION);
    let cid = send(
        &emu,
        REGION,
        &id,
        &[
            "echo hello",
            "echo oops >&2",
            "whoami",
            "echo $HOME $TMPDIR",
        ],
        &[],
    )
    .await;
    // Right after SendCommand the invocation does not exist yet (as on AWS).
    let invocation = invocation_request(&ssm, &id, &cid).send().await;
    assert_error_code(invocation, "InvocationDoesNotExist");
    let out = wait_invocation(&emu, REGION, &id, &cid, 30.0).await;
    assert_eq!(out.status, S::Success);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "hello\nroot\n/root /tmp\n");
    assert_eq!(out.stderr, "oops\n");
    assert_eq!(out.seen.first(), Some(&S::Pending), "{:?}", out.seen);

    let failed = run(&emu, REGION, &id, &["echo partial", "exit 7"], &[]).await;
    assert_eq!(failed.status, S::Failed);
    assert_eq!(failed.code, 7);
    assert_eq!(failed.stdout, "partial\n");
    assert!(failed.stderr.contains("exit status 7"));

    // /bin/sh, not bash.
    let sh = run(&emu, REGION, &id, &["readlink -f /proc/$$/exe"], &[]).await;
    assert!(!sh.stdout.contains("bash"), "{}", sh.stdout);

    // Files persist across commands; workingDirectory is honoured.
    run(
        &emu,
        REGION,
        &id,
        &["mkdir -p /opt/app", "echo v1 > /opt/app/version"],
        &[],
    )
    .await;
    let wd = run(
        &emu,
        REGION,
        &id,
        &["pwd", "cat version"],
        &[("workingDirectory", "/opt/app")],
    )
    .await;
    assert_eq!(wd.stdout, "/opt/app\nv1\n");
    assert_eq!(
        emu.read_instance_file(&id, "/opt/app/version").as_deref(),
        Some("v1\n")
    );
    let missing = run(
        &emu,
        REGION,
        &id,
        &["true"],
        &[("workingDirectory", "/nope")],
    )
    .await;
    assert_eq!(missing.status, S::Failed);
}

#[tokio::test]
async fn files_survive_stop_and_start() {
    let emu = Emulator::start();
    let id = managed_instance(&emu, REGION).await;
    run(
        &emu,
        REGION,
        &id,
        &["echo kept > /etc/amibake-marker", "echo home > /root/h"],
        &[],
    )
    .await;
    change_instance_state(&emu, REGION, &id, InstanceAction::Stop).await;
    wait_state(&emu, REGION, &id, InstanceStateName::Stopped).await;
    change_instance_state(&emu, REGION, &id, InstanceAction::Start).await;
    wait_online(&emu, REGION, &id).await;
    let out = run(&emu, REGION, &id, &["cat /etc/amibake-marker /root/h"], &[]).await;
    assert_eq!(out.stdout, "kept\nhome\n");
}

#[tokio::test]
async fn output_is_truncated_at_24000_and_8000_characters_with_the_agent_marker() {
    let emu = Emulator::start();
    let id = managed_instance(&emu, REGION).await;
    let out = run(
        &emu,
        REGION,
        &id,
        &["i=0; while [ $i -lt 3000 ]; do echo 0123456789; echo abcdefghi >&2; i=$((i+1)); done"],
        &[],
    )
    .await;
    assert_eq!(out.status, S::Success);
    assert_eq!(out.stdout.len(), 24000);
    assert!(
        out.stdout.ends_with("--output truncated--"),
        "{}",
        &out.stdout[out.stdout.len() - 40..]
    );
    assert!(out.stdout.starts_with("0123456789\n0123456789\n"));
    assert_eq!(out.stderr.len(), 8000);
    assert!(out.stderr.ends_with("--output truncated--"));
    // Short output is not truncated.
    let short = run(&emu, REGION, &id, &["echo short"], &[]).await;
    assert_eq!(short.stdout, "short\n");
}

#[tokio::test]
async fn execution_timeout_kills_the_script_and_reports_timed_out() {
    let emu = Emulator::start();
    let id = managed_instance(&emu, REGION).await;
    let started = Instant::now();
    let out = run(
        &emu,
        REGION,
        &id,
        &["echo before", "sleep 30", "echo after"],
        &[("executionTimeout", "5")],
    )
    .await;
    assert_eq!(out.status, S::TimedOut);
    assert_eq!(out.details, "ExecutionTimedOut");
    assert_eq!(out.code, 137);
    assert_eq!(out.stdout, "before\n");
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[tokio::test]
async fn exit_194_reboots_the_instance_and_runs_the_script_again() {
    let emu = Emulator::start_with(EmulatorOptions::new().delay("instance_rebooting", 2.0));
    let id = managed_instance(&emu, REGION).await;
    let script = [
        "n=$(cat /root/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /root/runs",
        "echo run $n",
        "if [ $n -lt 2 ]; then exit 194; fi",
    ];
    let cid = send(&emu, REGION, &id, &script, &[]).await;
    // The instance goes offline during the reboot ...
    eventually(30.0, "ConnectionLost during reboot", || {
        let emu = &emu;
        let id = id.clone();
        async move {
            (ping_status(emu, REGION, &id).await.as_deref() == Some("ConnectionLost")).then_some(())
        }
    })
    .await;
    let out = wait_invocation(&emu, REGION, &id, &cid, 30.0).await;
    // ... comes back, and the script ran twice.
    assert_eq!(out.status, S::Success);
    assert_eq!(out.stdout, "run 2\n");
    assert_eq!(
        emu.read_instance_file(&id, "/root/runs").as_deref(),
        Some("2\n")
    );
    assert_eq!(
        ping_status(&emu, REGION, &id).await.as_deref(),
        Some("Online")
    );
    assert_eq!(emu.instance(&id)["reboots"], 1);
}

#[tokio::test]
async fn full_output_is_uploaded_to_s3_under_the_agent_key_layout() {
    let emu = Emulator::start();
    let id = managed_instance(&emu, REGION).await;
    let s3 = emu.s3(REGION);
    s3.create_bucket().bucket("logs").send().await.unwrap();
    let script = ["i=0; while [ $i -lt 3000 ]; do echo 0123456789; i=$((i+1)); done; echo e >&2"];
    let req = shell_command_request(&emu, REGION, &id, &script)
        .output_s3_bucket_name("logs")
        .output_s3_key_prefix("runs/x");
    let cid = submit(req).await;
    let out = wait_invocation(&emu, REGION, &id, &cid, 30.0).await;
    assert_eq!(out.status, S::Success);
    let uploaded = |stream: &'static str| {
        let key = format!("runs/x/{cid}/{id}/awsrunShellScript/0.awsrunShellScript/{stream}");
        let get = s3.get_object().bucket("logs").key(key).send();
        async move {
            let obj = get
                .await
                .unwrap_or_else(|e| panic!("{stream} object: {e:?}"));
            obj.body.collect().await.unwrap().into_bytes()
        }
    };
    let body = uploaded("stdout").await;
    assert_eq!(body.len(), 33000, "full output, not truncated");
    assert_eq!(uploaded("stderr").await.as_ref(), b"e\n");
}

#[tokio::test]
async fn list_command_invocations_and_cancel_command_work() {
    let emu = Emulator::start();
    let id = managed_instance(&emu, REGION).await;
    let ssm = emu.ssm(REGION);
    let done = run(&emu, REGION, &id, &["echo listed"], &[]).await;
    let list = ssm
        .list_command_invocations()
        .command_id(&done.command_id)
        .details(true)
        .send()
        .await
        .unwrap();
    let inv = &list.command_invocations()[0];
    assert_eq!(inv.instance_id(), Some(id.as_str()));
    assert_eq!(inv.status(), Some(&S::Success));
    let plugin = &inv.command_plugins()[0];
    assert_eq!(plugin.name(), Some("aws:runShellScript"));
    assert_eq!(plugin.output(), Some("listed\n"));
    assert_eq!(plugin.response_code(), 0);
    let by_instance = ssm
        .list_command_invocations()
        .instance_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(by_instance.command_invocations().len(), 1);

    let cid = send(&emu, REGION, &id, &["sleep 30"], &[]).await;
    eventually(10.0, "InProgress", || {
        let running = invocation_request(&ssm, &id, &cid).send();
        async move { (running.await.ok()?.status() == Some(&S::InProgress)).then_some(()) }
    })
    .await;
    let t = Instant::now();
    ssm.cancel_command().command_id(&cid).send().await.unwrap();
    let out = wait_invocation(&emu, REGION, &id, &cid, 10.0).await;
    assert_eq!(out.status, S::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(10));
    let cmds = ssm.list_commands().command_id(&cid).send().await.unwrap();
    assert_eq!(
        cmds.commands()[0].status().map(|s| s.as_str()),
        Some("Cancelled")
    );
    let unknown = ssm
        .cancel_command()
        .command_id("00000000-0000-0000-0000-000000000000");
    assert_error_code(unknown.send().await, "InvalidCommandId");
}

#[tokio::test]
async fn record_mode_records_commands_and_reports_success_without_running_them() {
    let emu = Emulator::start_with(EmulatorOptions::new().ssm_mode("record"));
    let id = managed_instance(&emu, REGION).await;
    let out = run(
        &emu,
        REGION,
        &id,
        &["apt-get install -y etherpad", "touch /opt/ran"],
        &[],
    )
    .await;
    assert_eq!(out.status, S::Success);
    assert_eq!(out.stdout, "");
    assert!(emu.read_instance_file(&id, "/opt/ran").is_none());
    let cmds = emu.recorded_commands(&id);
    assert_eq!(cmds[0]["commands"][0], "apt-get install -y etherpad");
    emu.set_ssm_mode("execute");
    run(&emu, REGION, &id, &["touch /opt/ran"], &[]).await;
    assert!(emu.read_instance_file(&id, "/opt/ran").is_some());
}

#[tokio::test]
async fn stub_mode_runs_commands_but_records_distribution_programs() {
    let emu = Emulator::start_with(EmulatorOptions::new().ssm_mode("stub"));
    let id = managed_instance(&emu, REGION).await;
    let script = [
        "dnf install -y nodejs git",
        "git clone --depth 1 https://example.invalid/etherpad-lite.git /opt/etherpad-lite",
        "cd /opt/etherpad-lite && echo built > VERSION",
        "systemctl enable etherpad.service",
        "echo out; echo err >&2; exit 3",
    ];
    let out = run(&emu, REGION, &id, &script, &[]).await;
    // Real shell semantics: output, exit code, files.
    assert_eq!(out.status, S::Failed);
    assert_eq!(out.code, 3);
    assert_eq!(out.stdout, "out\n");
    assert!(out.stderr.starts_with("err\n"), "{}", out.stderr);
    assert_eq!(
        emu.read_instance_file(&id, "/opt/etherpad-lite/VERSION")
            .as_deref(),
        Some("built\n")
    );
    // The distribution programs were recorded, not run.
    let info = emu.instance(&id);
    let stubbed: Vec<&str> = info["stubbed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        stubbed,
        vec![
            "dnf install -y nodejs git",
            "git clone --depth 1 https://example.invalid/etherpad-lite.git /opt/etherpad-lite",
            "systemctl enable etherpad.service",
        ]
    );
}

#[tokio::test]
async fn commands_run_isolated_with_their_own_pid_namespace_and_root() {
    let emu = Emulator::start();
    assert_eq!(
        emu.config()["sandbox"],
        "bwrap",
        "bubblewrap must work here (scripts/setup installs it)"
    );
    let id = managed_instance(&emu, REGION).await;
    let out = run(
        &emu,
        REGION,
        &id,
        &[
            "echo $$",
            "ls /work 2>&1 || echo no-work",
            "touch /usr/x 2>/dev/null || echo ro-usr",
        ],
        &[],
    )
    .await;
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].parse::<u32>().unwrap() < 10,
        "pid namespace: {}",
        lines[0]
    );
    assert!(out.stdout.contains("no-work"));
    assert!(out.stdout.contains("ro-usr"));
}
