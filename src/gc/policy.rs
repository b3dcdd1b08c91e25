//! Retention policy: which unprotected images a group keeps.
//!
//! Pure functions over [`ImageInfo`], so the rules are unit-tested without
//! AWS. A group is one recipe (and source) in one region.

use std::time::Duration;

use time::OffsetDateTime;

use super::select::ImageInfo;
use crate::error::{Error, Result};
use crate::recipe::Retention;

/// AWS reports `LastLaunchedTime` up to 24 hours late; a launch that old may
/// not show yet, so the window is widened by this much.
pub const LAUNCH_REPORT_SLACK: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Newest images kept, counted among images not in use.
    pub keep: u32,
    /// Images younger than this are never touched.
    pub min_age: Duration,
    /// Images launched within this window (plus the reporting slack) are kept.
    pub keep_launched_within: Option<Duration>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            keep: 3,
            min_age: Duration::from_secs(7 * 86400),
            keep_launched_within: Some(Duration::from_secs(14 * 86400)),
        }
    }
}

/// Policy flags given on the command line; each overrides the recipe's
/// `retention` block, which overrides the defaults.
#[derive(Debug, Clone, Default)]
pub struct PolicyOverrides {
    pub keep: Option<u32>,
    pub min_age: Option<Duration>,
    pub keep_launched_within: Option<Duration>,
}

impl PolicyOverrides {
    pub fn resolve(&self, retention: Option<&Retention>) -> Policy {
        let mut p = Policy::default();
        if let Some(r) = retention {
            p.keep = r.keep;
            p.min_age = r.min_age;
            if r.keep_launched_within.is_some() {
                p.keep_launched_within = r.keep_launched_within;
            }
        }
        if let Some(k) = self.keep {
            p.keep = k;
        }
        if let Some(m) = self.min_age {
            p.min_age = m;
        }
        if let Some(w) = self.keep_launched_within {
            p.keep_launched_within = Some(w);
        }
        p
    }
}

/// The policy's verdict on one image.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Protected because something uses it; does not count toward `keep`.
    InUse(String),
    /// One of the newest N that are not in use: the rollback targets.
    Newest(String),
    /// Kept by the policy for another reason (too young, launched lately).
    Keep(String),
    /// Nothing keeps it.
    Expired,
}

/// Judge one group. `images` must be sorted newest first; `in_use(image)`
/// returns why an image is protected, if it is. Returns a verdict per image,
/// in the same order.
pub fn evaluate(
    images: &[&ImageInfo],
    policy: &Policy,
    now: OffsetDateTime,
    mut in_use: impl FnMut(&ImageInfo) -> Option<String>,
) -> Vec<Verdict> {
    let mut kept = 0u32;
    images
        .iter()
        .map(|img| {
            if let Some(reason) = in_use(img) {
                return Verdict::InUse(reason);
            }
            if kept < policy.keep {
                kept += 1;
                return Verdict::Newest(format!("newest {}", policy.keep));
            }
            let age = now - img.created;
            if age < policy.min_age {
                return Verdict::Keep(format!("younger than {}", format_duration(policy.min_age)));
            }
            if let (Some(window), Some(launched)) = (policy.keep_launched_within, img.last_launched)
            {
                if now - launched < window + LAUNCH_REPORT_SLACK {
                    return Verdict::Keep(format!(
                        "launched within {} (+24h reporting slack)",
                        format_duration(window)
                    ));
                }
            }
            Verdict::Expired
        })
        .collect()
}

/// Sort newest first (ties by ID so plans are stable).
pub fn sort_newest_first(images: &mut [&ImageInfo]) {
    images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
}

/// A duration from the command line ([`crate::duration`]'s grammar).
pub fn parse_duration(text: &str) -> Result<Duration> {
    crate::duration::parse(text).map_err(|e| {
        Error::usage(e).with_hint("write a number with a unit: 30m, 12h, 7d, 2w, 1h30m")
    })
}

/// `7d`, `36h`, `90m`, `30s`: the largest unit that divides exactly.
pub fn format_duration(d: Duration) -> String {
    crate::duration::format(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration as TD;

    fn img(id: &str, age_days: i64, now: OffsetDateTime) -> ImageInfo {
        ImageInfo {
            id: id.into(),
            name: id.into(),
            created: now - TD::days(age_days),
            last_launched: None,
            deprecation: None,
            deregistration_protected: false,
            public: false,
            snapshots: vec![],
            recipe: Some("r".into()),
            source: None,
            tags: vec![],
        }
    }

    #[test]
    fn keeps_newest_among_unprotected() {
        let now = OffsetDateTime::now_utc();
        let imgs: Vec<ImageInfo> = (0..6).map(|i| img(&format!("i{i}"), 10 + i, now)).collect();
        let refs: Vec<&ImageInfo> = imgs.iter().collect();
        let v = evaluate(&refs, &Policy::default(), now, |i| {
            (i.id == "i0").then(|| "used".into())
        });
        assert_eq!(v[0], Verdict::InUse("used".into()));
        assert_eq!(v[1], Verdict::Newest("newest 3".into()));
        assert_eq!(v[3], Verdict::Newest("newest 3".into()));
        assert_eq!(v[4], Verdict::Expired);
        assert_eq!(v[5], Verdict::Expired);
    }

    #[test]
    fn young_and_recently_launched_are_kept() {
        let now = OffsetDateTime::now_utc();
        let mut a = img("a", 3, now);
        let mut b = img("b", 30, now);
        b.last_launched = Some(now - TD::days(14) - TD::hours(20)); // within 14d + 24h
        let mut c = img("c", 40, now);
        c.last_launched = Some(now - TD::days(16));
        a.created = now - TD::days(3);
        let refs = vec![&a, &b, &c];
        let p = Policy {
            keep: 0,
            ..Policy::default()
        };
        let v = evaluate(&refs, &p, now, |_| None);
        assert_eq!(v[0], Verdict::Keep("younger than 7d".into()));
        assert!(matches!(&v[1], Verdict::Keep(r) if r.starts_with("launched within 14d")));
        assert_eq!(v[2], Verdict::Expired);
    }

    #[test]
    fn overrides_beat_retention() {
        let r = Retention {
            keep: 5,
            min_age: Duration::from_secs(86400),
            keep_launched_within: None,
        };
        let o = PolicyOverrides {
            keep: Some(1),
            ..Default::default()
        };
        let p = o.resolve(Some(&r));
        assert_eq!((p.keep, p.min_age), (1, Duration::from_secs(86400)));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604800));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("7 days").is_err());
        assert_eq!(format_duration(Duration::from_secs(604800)), "7d");
        assert_eq!(format_duration(Duration::from_secs(5400)), "90m");
    }
}
