//! Interrupting the amibake binary the way a user or a scheduler does.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// What an interrupted run printed and how it ended.
pub struct Interrupted {
    /// Whether `marker` appeared (and the signal was sent).
    pub signalled: bool,
    /// Every stderr line, joined.
    pub log: String,
    /// Exit status and stdout (stderr is in `log`).
    pub output: Output,
}

/// Run `cmd` and send it `signal` (`TERM`, `INT`) as soon as a stderr line
/// contains `marker`: the point in the run the test wants to interrupt.
pub async fn interrupt_when(mut cmd: Command, marker: &str, signal: &str) -> Interrupted {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start amibake");
    let pid = child.id().to_string();
    let stderr = child.stderr.take().unwrap();
    let (marker, signal) = (marker.to_owned(), format!("-{signal}"));
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut signalled = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !signalled && line.contains(&marker) {
                let sent = Command::new("kill").args([&signal, &pid]).status();
                assert!(sent.unwrap().success(), "kill {signal} {pid}");
                signalled = true;
            }
            seen.push(line);
        }
        (signalled, seen.join("\n"))
    });
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let (signalled, log) = reader.join().unwrap();
    Interrupted {
        signalled,
        log,
        output,
    }
}
