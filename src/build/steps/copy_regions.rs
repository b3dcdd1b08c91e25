//! Copy the image to every `ami_regions` region at once (bounded
//! concurrency), one progress bar per region. If one copy fails, the others
//! are cancelled and the build fails; cleanup removes every copy.

use aws_sdk_ec2::types::ResourceType;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;

use super::create_image::{deregister_replaced, finish_image, remove_build_images};
use super::{delete_image, release, snapshot_ids, state_backoff, wait_image_available};
use crate::aws::sdk_error;
use crate::build::{tags, BuildState, OnError, RegionImage, Step, StepFuture};
use crate::error::{Error, Result};

/// Concurrent copies. CopyImage's bucket refills at 1/s per region, so
/// parallel regions are independent; 8 keeps us polite.
const MAX_PARALLEL_COPIES: usize = 8;

pub struct CopyRegions;

impl Step for CopyRegions {
    fn name(&self) -> &'static str {
        "copy to regions"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            // Nothing needs the instance any more: remove it and the
            // temporaries while the copies run (not with --on-error=abort,
            // which keeps everything of a failed build).
            let early = state.options.on_error != OnError::Abort;
            let (copied, released) = {
                let state: &BuildState = state;
                let release = async {
                    if !early {
                        return None;
                    }
                    let step = state
                        .ui
                        .step(&format!("{}: remove build instance", state.label()));
                    let r = release::release(state).await;
                    match &r {
                        Ok(()) => step.done("instance terminated, temporaries removed"),
                        // The steps' cleanups try again and report.
                        Err(e) => step.failed(e.message()),
                    }
                    Some(r.is_ok())
                };
                futures::join!(copy_all(state), release)
            };
            if released == Some(true) {
                state.released = true;
            }
            copied?;
            if state.source.skip_save_build_region && !state.source.skip_create_ami {
                drop_intermediary(state).await?;
            }
            Ok(())
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.succeeded {
                return Ok(());
            }
            let results: Vec<Result<()>> = stream::iter(targets(state))
                .map(|region| async move { remove_build_images(state, &region).await })
                .buffer_unordered(MAX_PARALLEL_COPIES)
                .collect()
                .await;
            results.into_iter().collect()
        })
    }
}

/// `skip_save_build_region`: every copy is available, so the build
/// region's intermediary image and its snapshots go (as in Packer).
async fn drop_intermediary(state: &BuildState) -> Result<()> {
    let region = state.region();
    let Some(img) = state.image(region) else {
        return Ok(());
    };
    let step = state.ui.step(&format!(
        "{}: delete intermediary image {} (skip_save_build_region)",
        state.label(),
        img.ami_id
    ));
    let r = delete_image(&state.aws.ec2(region), &img.ami_id, &img.snapshot_ids).await;
    if r.is_ok() {
        state.remove_image(region);
    }
    step.report(r, |_| "deleted with its snapshots".to_owned())
}

/// Copy to every target region at once; the first failure cancels the rest.
async fn copy_all(state: &BuildState) -> Result<()> {
    let targets = targets(state);
    if targets.is_empty() || state.source.skip_create_ami {
        return Ok(());
    }
    let step = state.ui.step(&format!(
        "{}: copy to {} region(s)",
        state.label(),
        targets.len()
    ));
    let src = state.image(state.region()).expect("image created");
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let results: Vec<(String, Result<RegionImage>)> = stream::iter(targets)
        .map(|region| {
            let src = src.clone();
            let cancel_rx = cancel_rx.clone();
            let cancel_tx = &cancel_tx;
            async move {
                let bar = state.ui.bar(&format!("copy to {region}"), 1);
                let r = tokio::select! {
                    r = copy_one(state, &region, &src.ami_id, &bar) => r,
                    _ = cancelled(cancel_rx) => Err(Error::build("cancelled: another copy failed")),
                };
                match &r {
                    Ok(img) => {
                        bar.inc(1);
                        bar.finish_with_message(format!("copy to {region}: {}", img.ami_id));
                        state.ui.event(
                            "copy_done",
                            &format!("{}: copied to {region}: {}", state.label(), img.ami_id),
                            serde_json::json!({"region": region, "ami_id": img.ami_id}),
                        );
                    }
                    Err(e) => {
                        bar.abandon_with_message(format!("copy to {region}: failed"));
                        let _ = cancel_tx.send(true);
                        state.ui.event(
                            "copy_failed",
                            &format!(
                                "{}: copy to {region} failed: {}",
                                state.label(),
                                e.message()
                            ),
                            serde_json::json!({"region": region}),
                        );
                    }
                }
                (region, r)
            }
        })
        .buffer_unordered(MAX_PARALLEL_COPIES)
        .collect()
        .await;
    // Report the first real failure, not the cancellations.
    let mut failures: Vec<(String, Error)> = results
        .into_iter()
        .filter_map(|(r, res)| res.err().map(|e| (r, e)))
        .collect();
    failures.sort_by_key(|(_, e)| e.message().starts_with("cancelled"));
    match failures.into_iter().next() {
        None => {
            step.done("all copies available");
            Ok(())
        }
        Some((region, e)) => {
            step.failed(&format!("copy to {region} failed"));
            Err(e.context(format!("copy to {region}")))
        }
    }
}

fn targets(state: &BuildState) -> Vec<String> {
    state
        .source
        .all_regions()
        .into_iter()
        .filter(|r| r != state.region())
        .collect()
}

async fn cancelled(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn copy_one(
    state: &BuildState,
    region: &str,
    source_ami: &str,
    bar: &indicatif::ProgressBar,
) -> Result<RegionImage> {
    let src = &state.source;
    let ec2 = state.aws.ec2(region);
    deregister_replaced(state, region).await?;
    // Packer semantics: an empty key means the region's default key, which
    // AWS selects when KmsKeyId is left out (an empty KmsKeyId is refused).
    let kms = src
        .region_kms_key_ids
        .get(region)
        .filter(|k| !k.is_empty())
        .cloned();
    let encrypted = src.encrypt_boot == Some(true) || kms.is_some();
    let out = ec2
        .copy_image()
        .source_image_id(source_ami)
        .source_region(state.region())
        .name(&src.ami_name)
        .set_description(state.description(region)?)
        .set_encrypted(encrypted.then_some(true))
        .set_kms_key_id(kms)
        .set_snapshot_copy_completion_duration_minutes(src.snapshot_copy_duration_minutes)
        .tag_specifications(tags::spec(
            ResourceType::Image,
            &tags::for_image(state, &src.tags, region)?,
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CopyImage", &e))?;
    let ami = out
        .image_id()
        .ok_or_else(|| Error::aws("ec2:CopyImage returned no image ID"))?
        .to_owned();
    state.set_image(
        region,
        RegionImage {
            ami_id: ami.clone(),
            snapshot_ids: vec![],
        },
    );
    bar.set_message(format!("copy to {region}: {ami} pending"));
    let image = wait_image_available(&ec2, &ami, src.state_timeout, state_backoff(state)).await?;
    let img = RegionImage {
        ami_id: ami,
        snapshot_ids: snapshot_ids(&image),
    };
    state.set_image(region, img.clone());
    finish_image(state, region, &img).await?;
    Ok(img)
}
