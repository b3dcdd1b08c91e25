//! Adaptive polling for AWS states.
//!
//! AWS has no push notifications for the states a build waits on, so we
//! poll; but a fixed interval is either slow (Packer's 5–15 s) or wasteful.
//! [`Backoff`] starts fast and grows to a cap, with jitter so concurrent
//! waiters do not call in lockstep. It grows either geometrically or, for
//! state waits, in proportion to the time already waited
//! ([`Backoff::proportional`]): a wait that has lasted 4 s is checked about
//! every 200 ms, one that has lasted 4 min every few seconds, so a
//! transition is noticed within a small share of its own duration whatever
//! that duration is (the share bounds how late, relative to the wait).

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::{Error, Result};

/// Backoff between `initial` and `max`, with ±10 % jitter: geometric, or
/// proportional to the time waited so far.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    next: Duration,
    max: Duration,
    factor: f64,
    /// Proportional mode: the share of the time waited since the instant.
    share: Option<(f64, Instant)>,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            next: initial,
            max,
            factor: 1.5,
            share: None,
        }
    }
    /// Sleep `share` of the time waited so far (counted from now, or from
    /// [`Backoff::since`]), at least `min` and at most `max`. A state that
    /// changes after T is then noticed at most about `share`·T late, with
    /// about T/min + ln(T/(min/share))/share calls: 0.05 means 5 % late.
    pub fn proportional(min: Duration, max: Duration, share: f64) -> Self {
        Backoff {
            share: Some((share, Instant::now())),
            ..Self::new(min, max)
        }
    }
    /// Count the time waited from `start` (e.g. when the operation whose
    /// effect we wait for was requested), not from now.
    pub fn since(mut self, start: Instant) -> Self {
        if let Some((share, _)) = self.share {
            self.share = Some((share, start));
        }
        self
    }
    /// For waits whose end is usually seconds away (state transitions).
    pub fn for_state() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
    /// Start again from the initial delay (after progress was seen).
    pub fn reset(&mut self) {
        self.next = self.initial;
        if let Some((share, _)) = self.share {
            self.share = Some((share, Instant::now()));
        }
    }
    /// The delay to sleep now; advances the schedule.
    pub fn next_delay(&mut self) -> Duration {
        let jitter = rand::rng().random_range(0.9..1.1);
        if let Some((share, since)) = self.share {
            let base = since.elapsed().mul_f64(share).clamp(self.initial, self.max);
            return base.mul_f64(jitter);
        }
        let base = self.next;
        self.next = self.max.min(base.mul_f64(self.factor));
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

    #[test]
    fn proportional_follows_time_waited() {
        let start = Instant::now() - Duration::from_secs(40);
        let mut b = Backoff::proportional(Duration::from_millis(100), Duration::from_secs(5), 0.05)
            .since(start);
        let d = b.next_delay();
        assert!(
            d >= Duration::from_millis(1800) && d <= Duration::from_millis(2200),
            "{d:?}"
        );
        let mut fresh =
            Backoff::proportional(Duration::from_millis(100), Duration::from_secs(5), 0.05);
        assert!(fresh.next_delay() <= Duration::from_millis(110));
        let mut capped =
            Backoff::proportional(Duration::from_millis(100), Duration::from_secs(1), 0.05)
                .since(Instant::now() - Duration::from_secs(3600));
        assert!(capped.next_delay() <= Duration::from_millis(1100));
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
