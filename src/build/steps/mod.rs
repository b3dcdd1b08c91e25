//! The steps of a build, in pipeline order, and helpers they share.

pub mod copy_regions;
pub mod create_image;
pub mod enhanced_networking;
pub mod instance_profile;
pub mod launch;
pub mod network;
pub mod preflight;
pub mod protect;
pub mod provision;
pub mod publish;
pub mod release;
pub mod reuse;
pub mod security_group;
pub mod source_ami;
pub mod ssm_online;
pub mod stop;

use std::time::Duration;

use aws_sdk_ec2::types::{Filter, Image, ImageState};

use super::{BuildState, Step};
use crate::aws::{error_code, sdk_error};
use crate::error::{Error, Result};
use crate::poll::{wait_until, Backoff, Check};

/// The whole pipeline for one source, in order.
pub fn pipeline() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(preflight::Preflight),
        Box::new(source_ami::SourceAmi),
        Box::new(reuse::Reuse),
        Box::new(preflight::NameCheck),
        Box::new(network::Network),
        Box::new(instance_profile::InstanceProfile),
        Box::new(security_group::SecurityGroup),
        Box::new(launch::Launch),
        Box::new(ssm_online::SsmOnline),
        Box::new(provision::Provision::default()),
        Box::new(stop::Stop),
        Box::new(enhanced_networking::EnhancedNetworking),
        Box::new(create_image::CreateImage),
        Box::new(copy_regions::CopyRegions),
        Box::new(publish::Publish),
        Box::new(protect::Protect::default()),
    ]
}

/// Share of the time already waited that a state wait sleeps between
/// checks: a transition is noticed at most ~5 % of its duration late (about
/// 20 calls in the first 2 s, then ~1 per 5 % of growth; AWS's Describe*
/// budget refills at 20/s per region).
pub(crate) const STATE_POLL_SHARE: f64 = 0.05;

/// A backoff for a state wait that starts now, capped by the recipe's
/// `aws_polling` delay.
pub(crate) fn state_backoff(state: &BuildState) -> Backoff {
    let max = state
        .source
        .max_poll_interval
        .clamp(Duration::from_millis(200), Duration::from_secs(15));
    Backoff::proportional(Duration::from_millis(100), max, STATE_POLL_SHARE)
}

/// An EC2 filter with one or more values.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// Snapshot IDs behind an image's block device mappings.
pub fn snapshot_ids(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_owned))
        .collect()
}

/// Wait until `ami_id` is `available`; fail at once if it fails.
pub(crate) async fn wait_image_available(
    ec2: &aws_sdk_ec2::Client,
    ami_id: &str,
    timeout: Duration,
    backoff: Backoff,
) -> Result<Image> {
    wait_until(&format!("image {ami_id} to become available"), timeout, backoff, || async {
        let out = match ec2.describe_images().image_ids(ami_id).send().await {
            Ok(o) => o,
            // Eventual consistency: a fresh image may not be visible yet.
            Err(e) if error_code(&e) == Some("InvalidAMIID.NotFound") => {
                return Ok(Check::Pending("not visible yet".into()))
            }
            Err(e) => return Err(sdk_error("ec2:DescribeImages", &e)),
        };
        let Some(image) = out.images().first() else {
            return Ok(Check::Pending("not visible yet".into()));
        };
        match image.state() {
            Some(ImageState::Available) => Ok(Check::Done(image.clone())),
            Some(ImageState::Failed) | Some(ImageState::Error) | Some(ImageState::Invalid) => {
                let reason = image
                    .state_reason()
                    .and_then(|r| r.message())
                    .unwrap_or("no reason given");
                Err(Error::build(format!(
                    "image {ami_id} failed: {reason}"
                ))
                .with_hint("this is an AWS-side failure; run the build again, and if it repeats check the source image and KMS key permissions"))
            }
            Some(s) => Ok(Check::Pending(s.as_str().to_owned())),
            None => Ok(Check::Pending("unknown".into())),
        }
    })
    .await
}

/// Deregister an image and delete its snapshots; missing ones are fine
/// (cleanup is idempotent). Works on pending images too, which cancels a
/// copy in progress.
pub async fn delete_image(
    ec2: &aws_sdk_ec2::Client,
    ami_id: &str,
    known_snapshots: &[String],
) -> Result<()> {
    let mut snaps: Vec<String> = known_snapshots.to_vec();
    match ec2.describe_images().image_ids(ami_id).send().await {
        Ok(out) => {
            for img in out.images() {
                for s in snapshot_ids(img) {
                    if !snaps.contains(&s) {
                        snaps.push(s);
                    }
                }
            }
        }
        Err(e) if error_code(&e) == Some("InvalidAMIID.NotFound") => {}
        Err(e) => return Err(sdk_error("ec2:DescribeImages", &e)),
    }
    match ec2
        .deregister_image()
        .image_id(ami_id)
        .delete_associated_snapshots(true)
        .send()
        .await
    {
        Ok(out) => {
            for r in out.delete_snapshot_results() {
                if r.return_code().map(|c| c.as_str()) == Some("success") {
                    if let Some(id) = r.snapshot_id() {
                        snaps.retain(|s| s != id);
                    }
                }
            }
        }
        Err(e)
            if matches!(
                error_code(&e),
                Some("InvalidAMIID.NotFound") | Some("InvalidAMIID.Unavailable")
            ) => {}
        Err(e) => return Err(sdk_error("ec2:DeregisterImage", &e)),
    }
    for s in snaps {
        delete_snapshot(ec2, &s).await?;
    }
    Ok(())
}

/// Delete a snapshot; one already gone counts as deleted.
pub(crate) async fn delete_snapshot(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<()> {
    match ec2.delete_snapshot().snapshot_id(id).send().await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some("InvalidSnapshot.NotFound") => Ok(()),
        Err(e) => Err(sdk_error("ec2:DeleteSnapshot", &e)),
    }
}

/// Images (any state) owned by us and tagged with this build's ID.
pub(crate) async fn images_of_build(
    ec2: &aws_sdk_ec2::Client,
    build_id: &str,
) -> Result<Vec<Image>> {
    let out = ec2
        .describe_images()
        .owners("self")
        .filters(filter(
            &format!("tag:{}", super::tags::BUILD_ID),
            &[build_id],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
    Ok(out.images().to_vec())
}
