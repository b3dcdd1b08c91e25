//! Ctrl-C and SIGTERM, counted, so long-running commands can stop safely:
//! the first signal asks for an orderly stop, the second for an immediate one.

use tokio::sync::watch;

/// Counts SIGINT/SIGTERM. A build stops at the first and still cleans up,
/// and aborts the cleanup at the second; gc finishes the images it is
/// working on at the first and stops at once at the second.
#[derive(Clone)]
pub struct Interrupts {
    rx: watch::Receiver<u32>,
}

impl Interrupts {
    /// Listen for Ctrl-C and SIGTERM for the rest of the process.
    pub fn from_signals() -> Interrupts {
        let (tx, rx) = watch::channel(0u32);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            loop {
                #[cfg(unix)]
                let got = tokio::select! {
                    r = tokio::signal::ctrl_c() => r.is_ok(),
                    _ = async {
                        match term.as_mut() {
                            Some(t) => { t.recv().await; }
                            None => std::future::pending::<()>().await,
                        }
                    } => true,
                };
                #[cfg(not(unix))]
                let got = tokio::signal::ctrl_c().await.is_ok();
                if !got {
                    break;
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        Interrupts { rx }
    }

    /// Never fires (library use and tests).
    pub fn none() -> Interrupts {
        let (tx, rx) = watch::channel(0u32);
        std::mem::forget(tx);
        Interrupts { rx }
    }

    /// A handle tests can trigger.
    pub fn manual() -> (watch::Sender<u32>, Interrupts) {
        let (tx, rx) = watch::channel(0u32);
        (tx, Interrupts { rx })
    }

    /// Resolve once at least `n` interrupts were received.
    pub async fn at_least(&self, n: u32) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|v| *v >= n).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    pub fn count(&self) -> u32 {
        *self.rx.borrow()
    }
}
