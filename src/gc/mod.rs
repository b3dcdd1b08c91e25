//! `amibake gc`: safe garbage collection of old images and their snapshots.
//!
//! The run is plan-then-act. For each region, concurrently and independently:
//! list the caller's own images that the selection accepts ([`select`]) and,
//! at the same time, everything that can refer to them ([`references`]); judge each
//! recipe's images by its retention policy ([`policy`]) and record a decision
//! with a reason ([`plan`]). Only then, with `--apply`, act ([`apply`]) —
//! paced below EC2's request rates. A region whose listing failed is skipped
//! entirely: gc never deletes on partial knowledge.

pub mod apply;
pub mod plan;
pub mod policy;
pub mod references;
pub mod report;
pub mod select;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures::{stream, StreamExt, TryStreamExt};
use time::OffsetDateTime;

use crate::aws::{sdk_error, Aws};
use crate::error::{Error, ErrorKind, Result};
use crate::interrupt::Interrupts;
use crate::recipe::Retention;
use crate::ui::Ui;

use plan::{Action, Decision, Plan, RegionPlan};
use policy::{PolicyOverrides, Verdict};
use select::{ImageInfo, Selection};

/// Everything a gc run needs, already validated.
#[derive(Debug, Clone)]
pub struct GcOptions {
    pub regions: Vec<String>,
    pub selection: Selection,
    pub overrides: PolicyOverrides,
    /// `retention` blocks from `--recipe-file`: (recipe, source) → retention.
    pub retention: BTreeMap<(String, String), Retention>,
    pub include_shared: bool,
    pub apply: bool,
    pub max_deletions: u32,
    pub deprecate_first: bool,
    pub grace: Duration,
    pub now: OffsetDateTime,
}

/// Calls in flight per region while checking launch permissions.
const ATTRIBUTE_CONCURRENCY: usize = 8;

/// Plan every region concurrently, cap, and apply when asked.
pub async fn run(aws: &Aws, opts: &GcOptions, ui: &Ui) -> Result<Plan> {
    run_until(aws, opts, ui, &Interrupts::none()).await
}

/// [`run`], stopping safely on `interrupts`: while planning at once (nothing
/// has changed yet), while applying after the images already started.
pub async fn run_until(
    aws: &Aws,
    opts: &GcOptions,
    ui: &Ui,
    interrupts: &Interrupts,
) -> Result<Plan> {
    let first = opts
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let account = aws.account_id(&first).await?;
    let step = ui.step(&format!("planning gc in {}", opts.regions.join(", ")));
    let planning = futures::future::join_all(opts.regions.iter().map(|region| {
        let account = account.clone();
        async move {
            match plan_region(aws, region, &account, opts).await {
                Ok(decisions) => RegionPlan {
                    region: region.clone(),
                    error: None,
                    decisions,
                },
                Err(e) => RegionPlan {
                    region: region.clone(),
                    error: Some(e.to_string()),
                    decisions: Vec::new(),
                },
            }
        }
    }));
    let regions = tokio::select! {
        regions = planning => regions,
        _ = interrupts.at_least(1) => {
            return Err(Error::new(
                ErrorKind::Interrupted,
                "interrupted while planning; nothing was changed",
            ))
        }
    };
    let mut plan = Plan {
        dry_run: !opts.apply,
        max_deletions: opts.max_deletions,
        regions,
    };
    plan.apply_cap();
    step.done(&format!(
        "{} images: {} to delete, {} to deprecate, {} kept, {} deferred",
        plan.decisions().count(),
        plan.count(Action::Delete),
        plan.count(Action::Deprecate),
        plan.count(Action::Keep),
        plan.deferred()
    ));
    for r in plan.skipped_regions() {
        ui.warn(&format!(
            "region {} skipped, nothing deleted there: {}",
            r.region,
            r.error.as_deref().unwrap_or("")
        ));
    }
    if opts.apply {
        apply::apply(aws, &mut plan, ui, interrupts).await;
    }
    Ok(plan)
}

/// Plan one region. Any listing error fails the whole region.
pub async fn plan_region(
    aws: &Aws,
    region: &str,
    account: &str,
    opts: &GcOptions,
) -> Result<Vec<Decision>> {
    let ec2 = aws.ec2(region);
    // List what refers to images while the images themselves are listed:
    // the two are independent, and DescribeImages is the slow one.
    let listing = references::list(aws, region);
    let images = select::list_images(&ec2, account, &opts.selection);
    tokio::pin!(listing, images);
    let mut listed = None;
    let images = loop {
        tokio::select! {
            l = &mut listing, if listed.is_none() => listed = Some(l),
            i = &mut images => break i?,
        }
    };
    if images.is_empty() {
        // Nothing to protect: an unfinished or failed listing does not matter.
        return Ok(Vec::new());
    }
    let listed = match listed {
        Some(l) => l?,
        None => listing.await?,
    };
    let ids: HashSet<String> = images.iter().map(|i| i.id.clone()).collect();
    let refs = listed.references(&ids);
    let now = opts.now;

    // Group by recipe and source; images picked by --filter without amibake
    // tags form one group per region.
    let mut groups: BTreeMap<(Option<String>, Option<String>), Vec<&ImageInfo>> = BTreeMap::new();
    for img in &images {
        groups
            .entry((img.recipe.clone(), img.source.clone()))
            .or_default()
            .push(img);
    }
    for g in groups.values_mut() {
        policy::sort_newest_first(g);
    }

    // Launch permissions cost one call per image, so they are checked only
    // where they change the outcome: images the policy would count among the
    // newest N, and changes up to the run's cap. Repeat until stable.
    let mut sharing: HashMap<String, Option<String>> = HashMap::new();
    loop {
        let judged = judge(&groups, opts, &refs, &sharing, now);
        let mut need = Vec::new();
        let mut verified_changes = 0usize;
        let mut changes: Vec<&ImageInfo> = Vec::new();
        for (img, verdict) in &judged {
            let known = opts.include_shared || sharing.contains_key(&img.id);
            match verdict {
                Verdict::Newest(_) if !known => need.push(*img),
                Verdict::Expired => {
                    if known {
                        verified_changes += 1;
                    } else {
                        changes.push(img);
                    }
                }
                _ => {}
            }
        }
        changes.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        let room = (opts.max_deletions as usize).saturating_sub(verified_changes);
        need.extend(changes.into_iter().take(room));
        if need.is_empty() {
            return Ok(decide(region, &judged, opts, &sharing, now));
        }
        let found: Vec<(String, Option<String>)> = stream::iter(need)
            .map(|img| {
                let ec2 = ec2.clone();
                async move {
                    Ok::<_, crate::Error>((
                        img.id.clone(),
                        launch_permissions(&ec2, &img.id).await?,
                    ))
                }
            })
            .buffer_unordered(ATTRIBUTE_CONCURRENCY)
            .try_collect()
            .await?;
        sharing.extend(found);
    }
}

fn judge<'a>(
    groups: &BTreeMap<(Option<String>, Option<String>), Vec<&'a ImageInfo>>,
    opts: &GcOptions,
    refs: &references::References,
    sharing: &HashMap<String, Option<String>>,
    now: OffsetDateTime,
) -> Vec<(&'a ImageInfo, Verdict)> {
    let mut out = Vec::new();
    for ((recipe, source), imgs) in groups {
        let retention = match (recipe, source) {
            (Some(r), Some(s)) => opts.retention.get(&(r.clone(), s.clone())),
            _ => None,
        }
        .or_else(|| {
            // A recipe file's only retention applies to images whose source tag is missing.
            recipe.as_ref().and_then(|r| {
                opts.retention
                    .iter()
                    .find(|((rr, _), _)| rr == r)
                    .map(|(_, v)| v)
            })
        });
        let policy = opts.overrides.resolve(retention);
        let verdicts = policy::evaluate(imgs, &policy, now, |img| in_use(img, opts, refs, sharing));
        out.extend(imgs.iter().copied().zip(verdicts));
    }
    out
}

/// Why an image must not be touched, if anything protects it.
fn in_use(
    img: &ImageInfo,
    opts: &GcOptions,
    refs: &references::References,
    sharing: &HashMap<String, Option<String>>,
) -> Option<String> {
    let mut reasons: Vec<String> = refs.reasons(&img.id).to_vec();
    if img.deregistration_protected {
        reasons.push("deregistration protection enabled".into());
    }
    if !opts.include_shared {
        if img.public {
            reasons.push("public (use --include-shared to collect shared images)".into());
        } else if let Some(Some(r)) = sharing.get(&img.id) {
            reasons.push(format!(
                "{r} (use --include-shared to collect shared images)"
            ));
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

fn decide(
    region: &str,
    judged: &[(&ImageInfo, Verdict)],
    opts: &GcOptions,
    sharing: &HashMap<String, Option<String>>,
    now: OffsetDateTime,
) -> Vec<Decision> {
    let grace = policy::format_duration(opts.grace);
    let mut out: Vec<Decision> = judged
        .iter()
        .map(|(img, verdict)| {
            let (action, reason) = match verdict {
                Verdict::InUse(r) | Verdict::Newest(r) | Verdict::Keep(r) => {
                    (Action::Keep, r.clone())
                }
                Verdict::Expired if !opts.include_shared && !sharing.contains_key(&img.id) => (
                    Action::Deferred,
                    format!(
                        "expired (deferred: --max-deletions {} reached; sharing not checked)",
                        opts.max_deletions
                    ),
                ),
                Verdict::Expired if !opts.deprecate_first => (Action::Delete, "expired".into()),
                Verdict::Expired => match img.deprecation {
                    Some(t) if t <= now - opts.grace => (
                        Action::Delete,
                        format!(
                            "deprecated since {} (grace {grace} passed)",
                            plan::rfc3339(t)
                        ),
                    ),
                    Some(t) if t <= now => (
                        Action::Keep,
                        format!(
                            "deprecated since {}; deletable after {}",
                            plan::rfc3339(t),
                            plan::rfc3339(t + opts.grace)
                        ),
                    ),
                    // Just deprecated by an earlier run (deprecation takes
                    // effect on the next minute): wait for the grace period.
                    Some(t) if t <= now + time::Duration::hours(1) => (
                        Action::Keep,
                        format!(
                            "deprecation scheduled for {}; deletable after {}",
                            plan::rfc3339(t),
                            plan::rfc3339(t + opts.grace)
                        ),
                    ),
                    // Not deprecated, or only far in the future: deprecate now.
                    _ => (
                        Action::Deprecate,
                        format!("expired; deprecate now, delete after {grace}"),
                    ),
                },
            };
            Decision::new(region, img, now, action, reason)
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.recipe.as_deref(),
            std::cmp::Reverse(a.created_at),
            &a.image_id,
        )
            .cmp(&(
                b.recipe.as_deref(),
                std::cmp::Reverse(b.created_at),
                &b.image_id,
            ))
    });
    out
}

/// Who besides the owner may launch the image: `None` when nobody.
async fn launch_permissions(ec2: &aws_sdk_ec2::Client, image_id: &str) -> Result<Option<String>> {
    let out = ec2
        .describe_image_attribute()
        .image_id(image_id)
        .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeImageAttribute", &e))?;
    let mut who = Vec::new();
    for p in out.launch_permissions() {
        if let Some(g) = p.group() {
            who.push(format!("shared with group {}", g.as_str()));
        }
        if let Some(u) = p.user_id() {
            who.push(format!("shared with account {u}"));
        }
        if let Some(o) = p.organization_arn() {
            who.push(format!("shared with organization {o}"));
        }
        if let Some(o) = p.organizational_unit_arn() {
            who.push(format!("shared with organizational unit {o}"));
        }
    }
    Ok((!who.is_empty()).then(|| who.join(", ")))
}
