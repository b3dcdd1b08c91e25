//! The build pipeline: from a resolved recipe source to AMIs in every region.
//!
//! A build is an ordered list of [`Step`]s, each with a `run` and a
//! `cleanup`, as in Packer's multistep runner. Cleanups run in reverse order
//! on success, failure and interrupt, so every step undoes what it created
//! (on success only the temporary resources; on failure also the images).
//! Steps record what they create in [`BuildState`] *before* they wait on it,
//! so an interrupt that drops a step mid-wait still leaves cleanup enough to
//! find it; resources are also tagged `amibake:build-id` so that
//! `amibake cleanup` finds what a killed process left.

pub mod data;
pub mod fingerprint;
pub mod leftovers;
pub mod manifest;
pub mod outputs;
pub mod state;
pub mod steps;
pub mod tags;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use serde_json::json;

use crate::error::{Error, ErrorKind, Result};

pub use crate::interrupt::Interrupts;
pub use state::{BuildOptions, BuildResult, BuildState, OnError, RegionImage};

/// A boxed future borrowed from a step and the state, so steps can be
/// trait objects in one ordered `Vec`.
pub type StepFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One stage of the pipeline.
pub trait Step: Send {
    /// Short name shown in progress ("launch instance").
    fn name(&self) -> &'static str;
    /// Whether the step still runs when `--skip-if-unchanged` found existing
    /// images (only the publishing steps do).
    fn runs_when_reused(&self) -> bool {
        false
    }
    /// Do the work, recording every created resource in `state` as soon as
    /// it exists.
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>>;
    /// Undo what `run` created. Must be idempotent and tolerate a `run` that
    /// stopped half way. Errors are reported, and the remaining cleanups
    /// still run.
    fn cleanup<'a>(&'a mut self, _state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// Run `steps` in order, then their cleanups in reverse.
///
/// Returns the step error (or [`Error::interrupted`]). With
/// `--on-error=abort` a failed build skips cleanup and the error's hint
/// lists what was left and how to remove it.
pub async fn run_steps(
    steps: &mut [Box<dyn Step>],
    state: &mut BuildState,
    interrupts: &Interrupts,
) -> Result<()> {
    let started = Instant::now();
    let mut ran = 0;
    let mut outcome: Result<()> = Ok(());
    for (i, step) in steps.iter_mut().enumerate() {
        if state.reused && !step.runs_when_reused() {
            continue;
        }
        ran = i + 1;
        let name = step.name();
        state.ui.debug(&format!("{}: step {name}", state.label()));
        let result = tokio::select! {
            r = step.run(state) => r,
            _ = interrupts.at_least(1) => Err(Error::interrupted()),
        };
        if let Err(e) = result {
            outcome = Err(e.context(format!("{} ({name})", state.label())));
            break;
        }
    }
    state.succeeded = outcome.is_ok();
    state.duration = started.elapsed();

    let interrupted = matches!(&outcome, Err(e) if e.kind() == ErrorKind::Interrupted);
    if let Err(e) = &outcome {
        if state.options.on_error == OnError::Abort && !interrupted {
            let remains = state.remaining_resources();
            let hint = abort_hint(state, &remains);
            state.ui.event(
                "abort",
                &format!(
                    "--on-error=abort: kept {} resource(s) for debugging",
                    remains.len()
                ),
                json!({ "build_id": state.build_id, "resources": remains }),
            );
            return Err(Error::new(e.kind(), e.message().to_owned()).with_hint(hint));
        }
    }

    // Cleanups in reverse, including the step that failed (it may have
    // created something before failing). A second interrupt aborts them.
    let step_progress = if state.succeeded {
        None
    } else {
        Some(state.ui.step(&format!("{}: cleaning up", state.label())))
    };
    let cleanup = async {
        let mut failures = Vec::new();
        for step in steps[..ran].iter_mut().rev() {
            if state.reused && !step.runs_when_reused() {
                continue;
            }
            if let Err(e) = step.cleanup(state).await {
                state.ui.warn(&format!(
                    "{}: cleanup of {} failed: {}",
                    state.label(),
                    step.name(),
                    e
                ));
                failures.push(e);
            }
        }
        failures
    };
    let failures = tokio::select! {
        f = cleanup => Some(f),
        _ = interrupts.at_least(if interrupted { 2 } else { 1 }) => None,
    };
    match failures {
        None => {
            let remains = state.remaining_resources();
            if let Some(p) = step_progress {
                p.failed("aborted by a second interrupt");
            }
            return Err(Error::interrupted()
                .context("cleanup aborted")
                .with_hint(abort_hint(state, &remains)));
        }
        Some(f) if !f.is_empty() => {
            if let Some(p) = step_progress {
                p.failed(&format!("{} cleanup error(s)", f.len()));
            }
            let remains = state.remaining_resources();
            let first = f.into_iter().next().unwrap();
            let msg = match outcome {
                Err(e) => format!("{}; cleanup also failed: {}", e.message(), first.message()),
                Ok(()) => format!("{}: cleanup failed: {}", state.label(), first.message()),
            };
            return Err(Error::aws(msg).with_hint(abort_hint(state, &remains)));
        }
        Some(_) => {
            if let Some(p) = step_progress {
                p.done("nothing left behind");
            }
        }
    }
    outcome
}

fn abort_hint(state: &BuildState, remains: &[serde_json::Value]) -> String {
    let mut s = String::new();
    if remains.is_empty() {
        s.push_str("nothing was left behind");
    } else {
        s.push_str("left behind:\n");
        for r in remains {
            s.push_str(&format!(
                "    {} {} ({})  remove: {}\n",
                r["type"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or(""),
                r["region"].as_str().unwrap_or("global"),
                r["remove"].as_str().unwrap_or("")
            ));
        }
    }
    let mut regions = state.source.all_regions();
    regions.dedup();
    s.push_str(&format!(
        "\n  remove everything of this build with: amibake cleanup --build-id {} --regions {} --older-than 0s --apply",
        state.build_id,
        regions.join(",")
    ));
    s
}

/// Which sources of a recipe to build (`--only` / `--except`). As in
/// Packer, a pattern names a source as `NAME`, `amazon-ebs.NAME` or
/// `BUILD.amazon-ebs.NAME`, and may be a glob (`-only='*.web'`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub except: Vec<String>,
}

impl Selection {
    fn matches(pattern: &str, build: Option<&str>, name: &str) -> bool {
        let mut names = vec![
            name.to_owned(),
            format!("amazon-ebs.{name}"),
            format!("source.amazon-ebs.{name}"),
        ];
        if let Some(b) = build {
            names.push(format!("{b}.amazon-ebs.{name}"));
        }
        let glob = glob::Pattern::new(pattern).ok();
        names
            .iter()
            .any(|n| n == pattern || glob.as_ref().is_some_and(|g| g.matches(n)))
    }
    /// Whether another builder's source (`googlecompute.web`) is selected,
    /// by Packer's names for it.
    pub fn wants_foreign(&self, build: Option<&str>, key: &str) -> bool {
        let names: Vec<String> = [
            Some(key.to_owned()),
            Some(format!("source.{key}")),
            build.map(|b| format!("{b}.{key}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let hit = |pattern: &String| {
            let glob = glob::Pattern::new(pattern).ok();
            names
                .iter()
                .any(|n| n == pattern || glob.as_ref().is_some_and(|g| g.matches(n)))
        };
        (self.only.is_empty() || self.only.iter().any(hit)) && !self.except.iter().any(hit)
    }

    pub fn wants(&self, build: Option<&str>, name: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|o| Self::matches(o, build, name)))
            && !self.except.iter().any(|e| Self::matches(e, build, name))
    }
}

/// One finished or failed source build.
#[derive(Debug)]
pub struct Outcome {
    pub result: BuildResult,
    pub error: Option<Error>,
}

/// Build every selected source of `recipe`, all in parallel, each with its
/// own pipeline and build ID.
pub async fn run(
    aws: &crate::aws::Aws,
    ui: &crate::ui::Ui,
    recipe: &crate::recipe::Recipe,
    options: &BuildOptions,
    selection: &Selection,
    interrupts: &Interrupts,
) -> Result<Vec<Outcome>> {
    let mut states = Vec::new();
    for build in &recipe.builds {
        if let Some(key) = build
            .foreign_sources
            .iter()
            .find(|k| selection.wants_foreign(build.name.as_deref(), k))
        {
            return Err(Error::usage(format!("the build runs source `{key}`, which uses a builder amibake does not have"))
                .with_hint(format!("build the rest with --except={key} (Packer's -except={key} works too), or remove it from the build")));
        }
        for name in &build.sources {
            if !selection.wants(build.name.as_deref(), name) {
                continue;
            }
            let source = recipe
                .source(name)
                .cloned()
                .ok_or_else(|| Error::usage(format!("build refers to unknown source {name}")))?;
            // The source's own credentials, role and endpoint, if it has
            // any; a profile that does not exist fails here, before any build.
            let (source_aws, notes) = aws.for_source(&source).await?;
            for note in notes {
                ui.warn(&note);
            }
            states.push(BuildState::new(
                source_aws,
                ui.clone(),
                options.clone(),
                recipe.path.clone(),
                source,
                build.clone(),
            ));
        }
    }
    for n in selection.only.iter() {
        if !states
            .iter()
            .any(|s| Selection::matches(n, s.build.name.as_deref(), &s.source.name))
        {
            return Err(
                Error::usage(format!("--only {n}: no such source in the recipe")).with_hint(
                    format!(
                        "sources: {}",
                        recipe
                            .sources
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            );
        }
    }
    if states.is_empty() {
        return Err(Error::usage("no source selected to build")
            .with_hint("check --only/--except and the recipe's build blocks"));
    }
    let outcomes = futures::future::join_all(states.into_iter().map(|mut state| async move {
        let mut steps = steps::pipeline();
        let r = run_steps(&mut steps, &mut state, interrupts).await;
        Outcome {
            result: state.result(),
            error: r.err(),
        }
    }))
    .await;
    Ok(outcomes)
}

#[cfg(test)]
mod selection_tests {
    use super::Selection;

    fn sel(only: &[&str], except: &[&str]) -> Selection {
        Selection {
            only: only.iter().map(|s| s.to_string()).collect(),
            except: except.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_qualified_names_and_globs_select_as_in_packer() {
        assert!(sel(&["web"], &[]).wants(None, "web"));
        assert!(sel(&["amazon-ebs.web"], &[]).wants(None, "web"));
        assert!(sel(&["nightly.amazon-ebs.web"], &[]).wants(Some("nightly"), "web"));
        assert!(!sel(&["nightly.amazon-ebs.web"], &[]).wants(Some("weekly"), "web"));
        assert!(sel(&["*.web"], &[]).wants(None, "web"));
        assert!(sel(&["*.web"], &[]).wants(Some("nightly"), "web"));
        assert!(!sel(&["*.web"], &[]).wants(None, "db"));
        assert!(!sel(&[], &["amazon-ebs.w*"]).wants(None, "web"));
        assert!(sel(&[], &["amazon-ebs.w*"]).wants(None, "db"));
    }

    #[test]
    fn other_builders_sources_are_left_out_by_their_packer_names() {
        assert!(sel(&[], &[]).wants_foreign(None, "googlecompute.web"));
        assert!(!sel(&[], &["googlecompute.web"]).wants_foreign(None, "googlecompute.web"));
        assert!(!sel(&[], &["googlecompute.*"]).wants_foreign(Some("b"), "googlecompute.web"));
        assert!(!sel(&["amazon-ebs.*"], &[]).wants_foreign(None, "googlecompute.web"));
        assert!(sel(&["*.web"], &[]).wants_foreign(None, "googlecompute.web"));
    }
}
