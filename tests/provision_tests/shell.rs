//! Shell provisioners: inline commands, environment, output, secrets, reboots.

use std::time::Duration;

use amibake::recipe::Provisioner;
use amibake::ui::Redactor;

use super::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_commands_run_as_root_with_quoted_environment() {
    let lab = Lab::start().await;
    let (mut s, _ui, cap) = lab.session(None);
    let mut p = shell(
        Some("setup"),
        &[
            "mkdir -p /opt/app",
            "printf '%s|%s' \"$GREETING\" \"$(id -u)\" > /opt/app/hello",
            "echo wrote hello",
        ],
    );
    p.environment_vars = vec![("GREETING".into(), "it's $HOME `x` \"q\"".into())];
    s.run("main", &[Provisioner::Shell(p)]).await.unwrap();
    s.cleanup().await.unwrap();

    assert_eq!(lab.read("/opt/app/hello"), b"it's $HOME `x` \"q\"|0");
    assert_eq!(output_of(&cap, "setup"), ["wrote hello"]);
    assert!(
        !lab.path("/var/lib/amibake").exists(),
        "step files must not stay on the instance (they would be baked into the image)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_of_a_200000_line_script_reaches_the_user_in_order() {
    let lab = Lab::start().await;
    let (mut s, _ui, cap) = lab.session(None);
    // Output arrives while the script runs (it pauses half-way) and after.
    let p = inline(
        Some("noisy"),
        &[
            "i=1; while [ $i -le 100000 ]; do echo \"line $i\"; i=$((i+1)); done",
            "sleep 3",
            "seq 100001 200000 | sed 's/^/line /'",
            "printf 'no newline at the end'",
        ],
    );
    s.run("main", &[p]).await.unwrap();
    s.cleanup().await.unwrap();

    let lines = output_of(&cap, "noisy");
    assert_eq!(lines.len(), 200_001, "last: {:?}", lines.last());
    for (i, l) in lines.iter().take(200_000).enumerate() {
        assert_eq!(l, &format!("line {}", i + 1));
    }
    assert_eq!(lines[200_000], "no newline at the end");
    let buckets = lab.emu.s3(REGION).list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "staging bucket left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensitive_value_appears_nowhere() {
    let lab = Lab::start().await;
    let secret = "s3cr3t-T0ken-value";
    let (mut s, ui, cap) = lab.session(None);
    ui.set_redactor(Redactor::new(vec![secret.to_string()]));
    let mut p = shell(
        Some("secretive"),
        &[
            "echo \"token is $API_TOKEN\"",
            "echo \"$API_TOKEN\" > /root/token",
            "echo \"failing with $API_TOKEN\" >&2",
            "exit 4",
        ],
    );
    p.environment_vars = vec![("API_TOKEN".into(), secret.into())];
    let err = s.run("main", &[Provisioner::Shell(p)]).await.unwrap_err();
    s.cleanup().await.unwrap();

    // It really reached the script...
    assert_eq!(lab.read("/root/token"), format!("{secret}\n").as_bytes());
    // ...but not the user, the error, or SSM's command history.
    let all = cap.lines().join("\n");
    assert!(all.contains("token is <sensitive>"), "{all}");
    assert!(!all.contains(secret), "{all}");
    let msg = err.to_string();
    assert!(
        msg.contains("failing with <sensitive>") && !msg.contains(secret),
        "{msg}"
    );
    let history = serde_json::to_string(&lab.emu.recorded_commands(&lab.instance_id)).unwrap();
    assert!(
        !history.contains(secret),
        "secret sent in SSM command parameters"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_194_reboots_and_reruns_then_continues() {
    let lab = Lab::start().await;
    let (mut s, _ui, cap) = lab.session(None);
    let provs = [
        inline(Some("kernel"), &[
            "if [ ! -f /root/rebooted ]; then echo before reboot; touch /root/rebooted; exit 194; fi",
            "echo after reboot",
        ]),
        inline(Some("next"), &["echo next > /root/next"]),
    ];
    s.run("main", &provs).await.unwrap();
    s.cleanup().await.unwrap();
    assert_eq!(output_of(&cap, "kernel"), ["before reboot", "after reboot"]);
    assert_eq!(lab.read("/root/next"), b"next\n");
    assert_eq!(lab.emu.instance(&lab.instance_id)["reboots"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_disconnect_waits_for_the_instance_to_come_back() {
    // The script ends while the instance is still rebooting.
    let lab = Lab::start_with(EmulatorOptions::new().delay("instance_rebooting", 6.0)).await;
    let (mut s, _ui, cap) = lab.session(None);
    let mut p = shell(Some("reboot"), &["sleep 1", "echo rebooting"]);
    p.expect_disconnect = true;
    let provs = [
        Provisioner::Shell(p),
        inline(Some("after"), &["echo ok > /root/after"]),
    ];
    let ec2 = lab.emu.ec2(REGION);
    let id = lab.instance_id.clone();
    let reboot = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ec2.reboot_instances()
            .instance_ids(id)
            .send()
            .await
            .unwrap();
    });
    s.run("main", &provs).await.unwrap();
    reboot.await.unwrap();
    s.cleanup().await.unwrap();
    let all = cap.lines().join("\n");
    assert!(
        all.contains("waiting for the instance to reconnect"),
        "{all}"
    );
    assert_eq!(lab.read("/root/after"), b"ok\n");
}
