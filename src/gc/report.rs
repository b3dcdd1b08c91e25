//! The plan and its results on stdout: a table for people, JSON for machines.

use std::io::Write;

use serde_json::json;

use super::plan::{Action, Plan};

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

pub fn write(plan: &Plan, format: OutputFormat, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &to_json(plan))?;
            writeln!(out)
        }
        OutputFormat::Table => write_table(plan, out),
    }
}

pub fn to_json(plan: &Plan) -> serde_json::Value {
    json!({
        "dry_run": plan.dry_run,
        "max_deletions": plan.max_deletions,
        "succeeded": plan.succeeded(),
        "summary": summary_json(plan),
        "regions": plan.regions.iter().map(|r| json!({
            "region": r.region,
            "status": if r.error.is_some() { "skipped" } else { "ok" },
            "error": r.error,
        })).collect::<Vec<_>>(),
        "decisions": plan.decisions().collect::<Vec<_>>(),
    })
}

fn summary_json(plan: &Plan) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for a in [
        Action::Keep,
        Action::Delete,
        Action::Deprecate,
        Action::Deferred,
        Action::Deleted,
        Action::Deprecated,
        Action::Failed,
        Action::Interrupted,
    ] {
        m.insert(a.as_str().into(), plan.count(a).into());
    }
    m.into()
}

fn write_table(plan: &Plan, out: &mut impl Write) -> std::io::Result<()> {
    let header = [
        "REGION",
        "AMI",
        "NAME",
        "CREATED",
        "AGE",
        "LAST LAUNCHED",
        "DECISION",
        "REASON",
    ];
    let rows: Vec<[String; 8]> = plan
        .decisions()
        .map(|d| {
            let mut reason = d.reason.clone();
            if !d.snapshot_results.is_empty() {
                reason = format!("{reason}; {}", d.snapshot_results.join(", "));
            }
            [
                d.region.clone(),
                d.image_id.clone(),
                d.name.clone(),
                d.created.get(..10).unwrap_or(&d.created).to_owned(),
                format!("{:.0}d", d.age_days.floor()),
                d.last_launched
                    .as_deref()
                    .map(|t| t.get(..10).unwrap_or(t).to_owned())
                    .unwrap_or_else(|| "-".into()),
                d.action.as_str().to_owned(),
                reason,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()).take(7) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 7 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s
    };
    writeln!(out, "{}", line(&header))?;
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

/// One paragraph for stderr: counts, the cap, skipped regions, failures.
pub fn summary(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::new();
    let verb = if plan.dry_run { "dry run" } else { "applied" };
    lines.push(format!(
        "gc {verb}: {} images looked at; {} kept, {} to delete, {} to deprecate, {} deleted, {} deprecated, {} failed, {} deferred",
        plan.decisions().count(),
        plan.count(Action::Keep),
        plan.count(Action::Delete),
        plan.count(Action::Deprecate),
        plan.count(Action::Deleted),
        plan.count(Action::Deprecated),
        plan.count(Action::Failed),
        plan.deferred(),
    ));
    if plan.deferred() > 0 {
        lines.push(format!(
            "--max-deletions {} reached: {} more images left for a later run (raise --max-deletions to do more at once)",
            plan.max_deletions, plan.deferred()
        ));
    }
    if plan.dry_run && plan.count(Action::Delete) + plan.count(Action::Deprecate) > 0 {
        lines.push("nothing was changed: run again with --apply to carry out this plan".into());
    }
    for r in plan.skipped_regions() {
        lines.push(format!(
            "region {} SKIPPED (nothing deleted there): {}",
            r.region,
            r.error.as_deref().unwrap_or("")
        ));
    }
    if plan.interrupted() {
        lines.push(format!(
            "INTERRUPTED: {} images not touched (images already started were finished, snapshots included); run gc again to go on",
            plan.count(Action::Interrupted)
        ));
    }
    for d in plan.decisions().filter(|d| d.action == Action::Failed) {
        lines.push(format!(
            "FAILED {} in {}: {}",
            d.image_id, d.region, d.reason
        ));
    }
    lines
}
