//! Adaptive polling for AWS states.
//!
//! AWS has no push notifications for the states a build waits on, so we
//! poll; but a fixed interval is either slow (Packer's 5–15 s) or wasteful.
//! [`Backoff`] starts fast and grows geometrically to a cap, with jitter so
//! concurrent waiters do not call in lockstep.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::{Error, Result};

/// Geometric backoff between `initial` and `max`, with ±10 % jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    next: Duration,
    max: Duration,
    factor: f64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            next: initial,
            max,
            factor: 1.5,
        }
    }
    /// For waits whose end is usually seconds away (state transitions).
    pub fn for_state() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
    /// For commands on an instance: notice completion within a few hundred ms
    /// without exceeding a handful of calls per second.
    pub fn for_command() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_millis(1000))
    }
    /// Start again from the initial delay (after progress was seen).
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
    /// The delay to sleep now; advances the schedule.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = self.max.min(base.mul_f64(self.factor));
        let jitter = rand::rng().random_range(0.9..1.1);
        base.mul_f64(jitter)
    }
}

/// The result of one look at a state.
pub enum Check<T> {
    /// The wait is over.
    Done(T),
    /// Not yet; the string describes the state seen, for the timeout message.
    Pending(String),
}

/// Call `check` until it returns `Done`, sleeping per `backoff`, for at most
/// `timeout`. The timeout error names `what` and the last state seen.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut backoff: Backoff,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<T>>>,
{
    let start = Instant::now();
    loop {
        let last = match check().await? {
            Check::Done(v) => return Ok(v),
            Check::Pending(state) => state,
        };
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(Error::build(format!(
                "timed out after {:.0?} waiting for {what} (last state: {last})",
                elapsed
            )));
        }
        let delay = backoff.next_delay().min(timeout - elapsed);
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let delays: Vec<_> = (0..6).map(|_| b.next_delay()).collect();
        assert!(delays[0] < Duration::from_millis(111));
        assert!(delays[5] >= Duration::from_millis(360) && delays[5] <= Duration::from_millis(440));
        b.reset();
        assert!(b.next_delay() < Duration::from_millis(111));
    }

    #[tokio::test]
    async fn wait_until_reports_last_state_on_timeout() {
        let err = wait_until(
            "the thing",
            Duration::from_millis(50),
            Backoff::for_state(),
            || async { Ok(Check::<()>::Pending("pending".into())) },
        )
        .await
        .unwrap_err();
        assert!(
            err.message().contains("the thing") && err.message().contains("last state: pending"),
            "{err}"
        );
    }
}
