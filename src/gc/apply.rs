//! Carrying out a plan: deprecate, deregister, delete snapshots.
//!
//! EC2 refills DeregisterImage and DeleteSnapshot tokens at 5 per second per
//! region with a bucket of 100, shared with everything else in the account.
//! Each region gets its own [`TokenBucket`] per action with the same shape,
//! so gc never drives the account into `RequestLimitExceeded` by itself; when
//! AWS throttles anyway (another tool is busy), the bucket is emptied and the
//! call retried with jittered backoff.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::{stream, StreamExt};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::plan::{Action, Decision, Plan};
use crate::aws::{error_code, is_throttling, sdk_error, Aws};
use crate::error::{Error, Result};
use crate::interrupt::Interrupts;
use crate::poll::Backoff;
use crate::ui::Ui;

/// EC2 publishes a bucket of 100 refilled at 5/s for DeregisterImage and
/// DeleteSnapshot, shared by the whole account; gc stays under the refill
/// rate and keeps the burst allowance for builds running at the same time.
pub const BUCKET_CAPACITY: f64 = 10.0;
pub const REFILL_PER_SECOND: f64 = 4.5;
/// Images worked on at once per region; the buckets do the pacing.
const CONCURRENCY: usize = 4;
/// Retries on `RequestLimitExceeded` after the SDK's own retries gave up.
const THROTTLE_RETRIES: u32 = 6;

/// A token bucket: `capacity` calls at once, then `rate` per second.
#[derive(Debug)]
pub struct TokenBucket {
    state: Mutex<(f64, Instant)>,
    capacity: f64,
    rate: f64,
}

impl TokenBucket {
    pub fn new(capacity: f64, rate: f64) -> Self {
        TokenBucket {
            state: Mutex::new((capacity, Instant::now())),
            capacity,
            rate,
        }
    }

    /// Wait for a token and take it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate).min(self.capacity);
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// AWS said we are over its limit: someone else uses the same budget.
    pub async fn drain(&self) {
        let mut s = self.state.lock().await;
        s.0 = 0.0;
        s.1 = Instant::now();
    }
}

struct RegionBuckets {
    deregister: TokenBucket,
    delete_snapshot: TokenBucket,
    deprecate: TokenBucket,
}

/// Call `f` after taking a token, retrying with backoff on throttling.
async fn paced<T, E, R, F, Fut>(
    bucket: &TokenBucket,
    mut f: F,
) -> std::result::Result<T, SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(20));
    let mut attempt = 0;
    loop {
        bucket.acquire().await;
        match f().await {
            Err(e) if error_code(&e).is_some_and(is_throttling) && attempt < THROTTLE_RETRIES => {
                attempt += 1;
                bucket.drain().await;
                tokio::time::sleep(backoff.next_delay()).await;
            }
            other => return other,
        }
    }
}

/// Carry out every change in `plan`, region by region concurrently.
///
/// After an interrupt no new image is started, but an image already being
/// deleted is finished: stopping between its deregistration and its
/// snapshots would leave snapshots that no later gc run can find.
pub async fn apply(aws: &Aws, plan: &mut Plan, ui: &Ui, interrupts: &Interrupts) {
    let deprecate_at = aws_smithy_types::DateTime::from_secs(
        deprecation_time(OffsetDateTime::now_utc()).unix_timestamp(),
    );
    let regions = plan.regions.iter_mut().filter(|r| r.error.is_none());
    futures::future::join_all(regions.map(|r| {
        let region = r.region.clone();
        let ec2 = aws.ec2(&region);
        let ui = ui.clone();
        async move {
            let buckets = Arc::new(RegionBuckets {
                deregister: TokenBucket::new(BUCKET_CAPACITY, REFILL_PER_SECOND),
                delete_snapshot: TokenBucket::new(BUCKET_CAPACITY, REFILL_PER_SECOND),
                deprecate: TokenBucket::new(BUCKET_CAPACITY, REFILL_PER_SECOND),
            });
            // Snapshots still needed by an image this run keeps.
            let deleting: HashSet<String> = r
                .decisions
                .iter()
                .filter(|d| d.action == Action::Delete)
                .map(|d| d.image_id.clone())
                .collect();
            let mut kept_users: HashMap<String, String> = HashMap::new();
            for d in r
                .decisions
                .iter()
                .filter(|d| !deleting.contains(&d.image_id))
            {
                for s in &d.snapshots {
                    kept_users
                        .entry(s.clone())
                        .or_insert_with(|| d.image_id.clone());
                }
            }
            // Deletions and deprecations alike move the bar.
            let total = r.decisions.iter().filter(|d| d.action.is_change()).count();
            let changes = r.decisions.iter_mut().filter(|d| d.action.is_change());
            let bar = ui.bar(&format!("gc {region}"), total as u64);
            let kept_users = &kept_users;
            stream::iter(changes)
                .for_each_concurrent(CONCURRENCY, |d| {
                    let ec2 = ec2.clone();
                    let buckets = buckets.clone();
                    let ui = ui.clone();
                    let bar = bar.clone();
                    async move {
                        if interrupts.count() > 0 {
                            d.action = Action::Interrupted;
                            d.reason = format!("{}; not done: interrupted", d.reason);
                            bar.inc(1);
                            return;
                        }
                        let before = d.action;
                        let result = match before {
                            Action::Delete => delete_image(&ec2, &buckets, d, kept_users).await,
                            _ => deprecate_image(&ec2, &buckets, d, deprecate_at).await,
                        };
                        match result {
                            Ok(()) => {
                                d.action = if before == Action::Delete {
                                    Action::Deleted
                                } else {
                                    Action::Deprecated
                                };
                                ui.info(&format!(
                                    "{} {} in {}",
                                    d.action.as_str(),
                                    d.image_id,
                                    d.region
                                ));
                            }
                            Err(e) => {
                                d.action = Action::Failed;
                                d.reason = format!("{}; {}", d.reason, e.message());
                                ui.warn(&format!(
                                    "{} in {}: {}",
                                    d.image_id,
                                    d.region,
                                    e.message()
                                ));
                            }
                        }
                        bar.inc(1);
                    }
                })
                .await;
            bar.finish_and_clear();
        }
    }))
    .await;
}

/// EnableImageDeprecation wants a future time; AWS rounds to the minute.
fn deprecation_time(now: OffsetDateTime) -> OffsetDateTime {
    let t = now + time::Duration::minutes(1);
    t.replace_second(0)
        .unwrap_or(t)
        .replace_nanosecond(0)
        .unwrap_or(t)
        + time::Duration::minutes(1)
}

async fn deprecate_image(
    ec2: &aws_sdk_ec2::Client,
    b: &RegionBuckets,
    d: &mut Decision,
    at: aws_smithy_types::DateTime,
) -> Result<()> {
    paced(&b.deprecate, || {
        ec2.enable_image_deprecation()
            .image_id(&d.image_id)
            .deprecate_at(at)
            .send()
    })
    .await
    .map_err(|e| sdk_error("ec2:EnableImageDeprecation", &e))?;
    Ok(())
}

async fn delete_image(
    ec2: &aws_sdk_ec2::Client,
    b: &RegionBuckets,
    d: &mut Decision,
    kept_users: &HashMap<String, String>,
) -> Result<()> {
    match paced(&b.deregister, || {
        ec2.deregister_image().image_id(&d.image_id).send()
    })
    .await
    {
        Ok(_) => {}
        // Gone already (another run, or the console): nothing left to do but
        // its snapshots.
        Err(e)
            if error_code(&e) == Some("InvalidAMIID.NotFound")
                || error_code(&e) == Some("InvalidAMIID.Unavailable") => {}
        Err(e) => return Err(sdk_error("ec2:DeregisterImage", &e)),
    }
    let mut failed = None;
    for snap in d.snapshots.clone() {
        if let Some(user) = kept_users.get(&snap) {
            d.snapshot_results
                .push(format!("{snap}: kept, used by {user}"));
            continue;
        }
        let r = paced(&b.delete_snapshot, || {
            ec2.delete_snapshot().snapshot_id(&snap).send()
        })
        .await;
        let text = match r {
            Ok(_) => format!("{snap}: deleted"),
            Err(e) if error_code(&e) == Some("InvalidSnapshot.InUse") => {
                format!("{snap}: kept, still used by another image")
            }
            Err(e) if error_code(&e) == Some("InvalidSnapshot.NotFound") => {
                format!("{snap}: already gone")
            }
            Err(e) => {
                let err = sdk_error("ec2:DeleteSnapshot", &e);
                let t = format!("{snap}: {}", err.message());
                failed = Some(err);
                t
            }
        };
        d.snapshot_results.push(text);
    }
    match failed {
        Some(e) => Err(Error::aws(format!(
            "image deregistered but a snapshot was not deleted ({})",
            d.snapshot_results.join(", ")
        ))
        .with_hint(
            e.hint()
                .unwrap_or("delete the snapshot by hand with `aws ec2 delete-snapshot`")
                .to_owned(),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bucket_paces_after_burst() {
        let b = TokenBucket::new(3.0, 20.0);
        let start = Instant::now();
        for _ in 0..3 {
            b.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
        for _ in 0..5 {
            b.acquire().await;
        }
        // 3 at once, then 5 more at 20 per second: never sooner than 250 ms.
        let e = start.elapsed();
        assert!(e >= Duration::from_millis(245), "{e:?}");
    }

    #[test]
    fn deprecation_time_is_future_minute() {
        let now = OffsetDateTime::now_utc();
        let t = deprecation_time(now);
        assert!(t > now && t.second() == 0);
    }
}
