//! `--skip-if-unchanged`: reuse finished images whose fingerprint matches.

use aws_sdk_ec2::types::Image;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{filter, snapshot_ids};
use crate::aws::sdk_error;
use crate::build::{fingerprint, tags, BuildState, RegionImage, Step, StepFuture};
use crate::error::{Error, Result};

pub struct Reuse;

impl Step for Reuse {
    fn name(&self) -> &'static str {
        "fingerprint"
    }
    fn runs_when_reused(&self) -> bool {
        true
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let ami = state.source_ami_id.clone().expect("source image resolved");
            let fp = fingerprint::compute(&state.source, &state.build, &ami)?;
            state.fingerprint = Some(fp.clone());
            if !state.options.skip_if_unchanged {
                return Ok(());
            }
            let aws = state.aws.clone();
            let found: Vec<Option<(String, RegionImage)>> =
                stream::iter(state.source.image_regions())
                    .map(|region| {
                        let ec2 = aws.ec2(&region);
                        let fp = fp.clone();
                        async move {
                            let out = ec2
                                .describe_images()
                                .owners("self")
                                .filters(filter(&format!("tag:{}", tags::FINGERPRINT), &[&fp]))
                                .filters(filter("state", &["available"]))
                                .send()
                                .await
                                .map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
                            let newest: Option<&Image> = out.images().iter().max_by(|a, b| {
                                a.creation_date()
                                    .unwrap_or("")
                                    .cmp(b.creation_date().unwrap_or(""))
                            });
                            Ok::<_, Error>(newest.and_then(|i| {
                                i.image_id().map(|id| {
                                    (
                                        region.clone(),
                                        RegionImage {
                                            ami_id: id.to_owned(),
                                            snapshot_ids: snapshot_ids(i),
                                        },
                                    )
                                })
                            }))
                        }
                    })
                    .buffer_unordered(8)
                    .try_collect()
                    .await?;
            if found.iter().all(Option::is_some) {
                for (r, img) in found.into_iter().flatten() {
                    state.set_image(&r, img);
                }
                state.reused = true;
                state.ui.info(&format!(
                    "{}: unchanged ({}); reusing existing images, nothing launched",
                    state.label(),
                    &fp[..19]
                ));
            } else {
                state.ui.info(&format!(
                    "{}: changed or missing in some region; building",
                    state.label()
                ));
            }
            Ok(())
        })
    }
}
