//! Exit codes, retries, timeouts.

use std::time::Duration;

use amibake::error::ErrorKind;
use amibake::recipe::Provisioner;

use super::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_code_3_fails_with_name_position_code_and_tail_unless_valid() {
    let lab = Lab::start().await;
    let (mut s, _ui, _cap) = lab.session(None);
    let lines: Vec<String> = (1..=80).map(|i| format!("echo out-{i}")).collect();
    let mut script: Vec<&str> = lines.iter().map(String::as_str).collect();
    script.push("exit 3");
    let p = shell(Some("migrate"), &script);
    let provs = [inline(None, &["true"]), Provisioner::Shell(p.clone())];
    let err = s.run("main", &provs).await.unwrap_err();
    let msg = err.message();
    assert_eq!(err.kind(), ErrorKind::Build);
    assert!(msg.contains("provisioner 2 (shell \"migrate\")"), "{msg}");
    assert!(msg.contains("exit code 3"), "{msg}");
    assert!(msg.contains("last 50 lines"), "{msg}");
    assert!(
        msg.contains("| out-80") && msg.contains("| out-31") && !msg.contains("| out-30\n"),
        "{msg}"
    );

    let mut ok = p;
    ok.valid_exit_codes = vec![0, 3];
    s.run("main", &[Provisioner::Shell(ok)]).await.unwrap();
    s.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_retries_recovers_a_flaky_script() {
    let lab = Lab::start().await;
    let (mut s, _ui, cap) = lab.session(None);
    let mut p = shell(
        Some("flaky"),
        &[
            "n=$(cat /root/tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > /root/tries",
            "[ $n -ge 3 ] || { echo \"try $n fails\"; exit 1; }",
            "echo \"try $n works\"",
        ],
    );
    p.common.max_retries = 2;
    s.run("main", &[Provisioner::Shell(p.clone())])
        .await
        .unwrap();
    assert_eq!(
        output_of(&cap, "flaky"),
        ["try 1 fails", "try 2 fails", "try 3 works"]
    );
    assert_eq!(
        cap.lines()
            .iter()
            .filter(|l| l.contains("retrying"))
            .count(),
        2
    );

    std::fs::write(lab.path("/root/tries"), "0\n").unwrap();
    p.common.max_retries = 1;
    let err = s.run("main", &[Provisioner::Shell(p)]).await.unwrap_err();
    assert!(err.message().contains("exit code 1"), "{err}");
    s.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_reported_as_such_and_bad_timeouts_are_refused() {
    let lab = Lab::start().await;
    let (mut s, _ui, _cap) = lab.session(None);
    let mut p = shell(Some("slow"), &["echo starting", "sleep 60"]);
    p.timeout = Duration::from_secs(5);
    let err = s
        .run("main", &[Provisioner::Shell(p.clone())])
        .await
        .unwrap_err();
    let msg = err.message();
    assert!(
        msg.contains("timed out") && msg.contains("`timeout` of 5 s"),
        "{msg}"
    );
    assert!(msg.contains("| starting"), "{msg}");

    p.timeout = Duration::from_secs(3);
    let err = s.run("main", &[Provisioner::Shell(p)]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Usage);
    assert!(err.message().contains("outside what SSM accepts"), "{err}");
    s.cleanup().await.unwrap();
}
