//! Packer's `deregistration_protection`: protect every region's image from
//! deregistration. Last step of the pipeline, so that a build failing
//! anywhere before can still deregister its images.

use futures::stream::{self, StreamExt};

use crate::aws::sdk_error;
use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;

#[derive(Default)]
pub struct Protect {
    /// (region, AMI) protected so far; a failed build lifts it again so
    /// cleanup can deregister them.
    protected: Vec<(String, String)>,
}

impl Step for Protect {
    fn name(&self) -> &'static str {
        "deregistration protection"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let p = state.source.deregistration_protection;
            let images = state.result().regions;
            if !p.enabled || images.is_empty() {
                return Ok(());
            }
            let step = state
                .ui
                .step(&format!("{}: deregistration protection", state.label()));
            let state: &BuildState = state;
            let results: Vec<Result<(String, String)>> = stream::iter(images)
                .map(|(region, img)| async move {
                    state
                        .aws
                        .ec2(&region)
                        .enable_image_deregistration_protection()
                        .image_id(&img.ami_id)
                        .with_cooldown(p.with_cooldown)
                        .send()
                        .await
                        .map_err(|e| sdk_error("ec2:EnableImageDeregistrationProtection", &e))?;
                    Ok((region, img.ami_id))
                })
                .buffer_unordered(8)
                .collect()
                .await;
            let mut first_err = None;
            for r in results {
                match r {
                    Ok(done) => self.protected.push(done),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            let r = match first_err {
                None => Ok(()),
                Some(e) => Err(e),
            };
            step.report(r, |_| {
                if p.with_cooldown {
                    "enabled with cooldown".to_owned()
                } else {
                    "enabled".to_owned()
                }
            })
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.succeeded {
                return Ok(());
            }
            for (region, ami) in &self.protected {
                state
                    .aws
                    .ec2(region)
                    .disable_image_deregistration_protection()
                    .image_id(ami)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2:DisableImageDeregistrationProtection", &e))?;
            }
            Ok(())
        })
    }
}
