//! Packer's `breakpoint` provisioner: pause the build so a person can look
//! at the instance, and go on when they press Enter.
//!
//! A pause needs someone to answer it: only when stdin and stderr are both
//! terminals does amibake wait. In CI (or with `disable = true`) it says so
//! once and goes on, where Packer would fail to read an answer or wait.

use std::io::IsTerminal;

use crate::error::{Error, Result};
use crate::recipe::BreakpointProvisioner;
use crate::ui::Ui;

/// Where the breakpoint is and how to reach the instance.
pub struct Place<'a> {
    /// `provisioner 3 (breakpoint)`.
    pub label: &'a str,
    /// The note, rendered.
    pub note: Option<&'a str>,
    pub instance_id: &'a str,
    pub region: &'a str,
}

/// Pause at `p` on a terminal; a notice otherwise.
pub async fn pause(ui: &Ui, p: &BreakpointProvisioner, at: &Place<'_>) -> Result<()> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    pause_with(ui, p.disable, interactive, at, || {
        std::io::stdin().read_line(&mut String::new()).map(|_| ())
    })
    .await
}

/// [`pause`] with the terminal test and the wait for Enter given (tests).
async fn pause_with(
    ui: &Ui,
    disable: bool,
    interactive: bool,
    at: &Place<'_>,
    wait_for_enter: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> Result<()> {
    let note = at
        .note
        .filter(|n| !n.is_empty())
        .map(|n| format!(" with note \"{n}\""))
        .unwrap_or_default();
    let shell = format!(
        "aws ssm start-session --target {} --region {}",
        at.instance_id, at.region
    );
    if disable {
        ui.info(&format!("{}: disabled{note}; continuing", at.label));
        return Ok(());
    }
    if !interactive {
        ui.info(&format!(
            "{}: not pausing{note}: stdin and stderr are not both a terminal; continuing (a shell on the instance: {shell})",
            at.label
        ));
        return Ok(());
    }
    ui.info(&format!("{}: pausing{note}", at.label));
    ui.info(&format!("    a shell on the instance: {shell}"));
    ui.info("    press Enter to continue");
    // A thread of its own, not tokio's blocking pool: an interrupted build
    // drops this wait, and the runtime would otherwise wait for the read to
    // end (for someone to press Enter) before the process can exit.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(wait_for_enter());
    });
    rx.await
        .map_err(|_| Error::build(format!("{}: waiting for Enter failed", at.label)))?
        .map_err(|e| Error::build(format!("{}: reading from the terminal: {e}", at.label)))?;
    ui.info(&format!("{}: continuing", at.label));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Place<'static> = Place {
        label: "provisioner 2 (breakpoint)",
        note: Some("check nginx"),
        instance_id: "i-0123456789abcdef0",
        region: "eu-west-1",
    };

    #[tokio::test]
    async fn on_a_terminal_it_names_the_instance_and_waits_for_enter() {
        let (ui, cap) = Ui::capture(false);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let waiting = pause_with(&ui, false, true, &AT, move || {
            rx.recv().unwrap();
            Ok(())
        });
        tokio::pin!(waiting);
        // Not done until Enter arrives.
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), &mut waiting)
                .await
                .is_err()
        );
        tx.send(()).unwrap();
        waiting.await.unwrap();
        let lines = cap.lines().join("\n");
        assert!(
            lines.contains("(breakpoint): pausing with note \"check nginx\""),
            "{lines}"
        );
        assert!(
            lines.contains("aws ssm start-session --target i-0123456789abcdef0 --region eu-west-1"),
            "{lines}"
        );
        assert!(lines.contains("press Enter"), "{lines}");
        assert!(
            lines.ends_with("provisioner 2 (breakpoint): continuing"),
            "{lines}"
        );
    }

    #[tokio::test]
    async fn without_a_terminal_or_when_disabled_it_goes_on_with_one_notice() {
        for (disable, interactive, expect) in [
            (
                false,
                false,
                "not pausing with note \"check nginx\": stdin and stderr are not both a terminal",
            ),
            (true, true, "disabled with note \"check nginx\"; continuing"),
        ] {
            let (ui, cap) = Ui::capture(false);
            pause_with(&ui, disable, interactive, &AT, || panic!("must not wait"))
                .await
                .unwrap();
            let lines = cap.lines();
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(lines[0].contains(expect), "{lines:?}");
        }
    }
}
