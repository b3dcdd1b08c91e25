//! The plan: one decision, with its reason, per image looked at.

use serde::Serialize;
use time::OffsetDateTime;

use super::select::ImageInfo;

/// What gc does (or did) to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Keep,
    /// Deregister, then delete its snapshots.
    Delete,
    /// `--deprecate-first`: mark deprecated now, delete after the grace period.
    Deprecate,
    /// Would be deleted or deprecated, but `--max-deletions` was reached.
    Deferred,
    /// Carried out by `--apply`.
    Deleted,
    Deprecated,
    /// `--apply` tried and AWS refused; the reason says why.
    Failed,
    /// `--apply` was stopped (Ctrl-C, SIGTERM) before it got to this image;
    /// nothing was done to it.
    Interrupted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Delete => "delete",
            Action::Deprecate => "deprecate",
            Action::Deferred => "deferred",
            Action::Deleted => "deleted",
            Action::Deprecated => "deprecated",
            Action::Failed => "failed",
            Action::Interrupted => "interrupted",
        }
    }
    /// Counts toward `--max-deletions`.
    pub fn is_change(self) -> bool {
        matches!(self, Action::Delete | Action::Deprecate)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub region: String,
    pub image_id: String,
    pub name: String,
    pub recipe: Option<String>,
    /// RFC 3339.
    pub created: String,
    pub age_days: f64,
    pub last_launched: Option<String>,
    pub action: Action,
    pub reason: String,
    pub snapshots: Vec<String>,
    /// What `--apply` did to each snapshot, if anything.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snapshot_results: Vec<String>,
    #[serde(skip)]
    pub created_at: OffsetDateTime,
}

impl Decision {
    pub fn new(
        region: &str,
        img: &ImageInfo,
        now: OffsetDateTime,
        action: Action,
        reason: String,
    ) -> Self {
        Decision {
            region: region.to_owned(),
            image_id: img.id.clone(),
            name: img.name.clone(),
            recipe: img.recipe.clone(),
            created: rfc3339(img.created),
            age_days: ((now - img.created).as_seconds_f64() / 86400.0 * 10.0).round() / 10.0,
            last_launched: img.last_launched.map(rfc3339),
            action,
            reason,
            snapshots: img.snapshots.clone(),
            snapshot_results: Vec::new(),
            created_at: img.created,
        }
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One region's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct RegionPlan {
    pub region: String,
    /// `None` when planned; the error when the region was skipped.
    pub error: Option<String>,
    pub decisions: Vec<Decision>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub dry_run: bool,
    pub max_deletions: u32,
    pub regions: Vec<RegionPlan>,
}

impl Plan {
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.regions.iter().flat_map(|r| r.decisions.iter())
    }
    pub fn count(&self, action: Action) -> usize {
        self.decisions().filter(|d| d.action == action).count()
    }
    /// Changes left for a later run because of `--max-deletions`.
    pub fn deferred(&self) -> usize {
        self.count(Action::Deferred)
    }
    pub fn skipped_regions(&self) -> Vec<&RegionPlan> {
        self.regions.iter().filter(|r| r.error.is_some()).collect()
    }
    /// Did everything planned happen (no skipped region, no failure)?
    pub fn succeeded(&self) -> bool {
        self.skipped_regions().is_empty() && self.count(Action::Failed) == 0 && !self.interrupted()
    }

    /// `--apply` was stopped before it carried out the whole plan.
    pub fn interrupted(&self) -> bool {
        self.count(Action::Interrupted) > 0
    }

    /// Apply `--max-deletions` over all regions: the oldest changes first,
    /// the rest deferred with a reason saying so.
    pub fn apply_cap(&mut self) {
        let mut changes: Vec<(OffsetDateTime, String, usize, usize)> = Vec::new();
        for (ri, r) in self.regions.iter().enumerate() {
            for (di, d) in r.decisions.iter().enumerate() {
                if d.action.is_change() {
                    changes.push((d.created_at, d.image_id.clone(), ri, di));
                }
            }
        }
        changes.sort();
        let cap = self.max_deletions as usize;
        for &(_, _, ri, di) in changes.iter().skip(cap) {
            let d = &mut self.regions[ri].decisions[di];
            d.reason = format!(
                "{} (deferred: --max-deletions {} reached)",
                d.reason, self.max_deletions
            );
            d.action = Action::Deferred;
        }
    }
}
