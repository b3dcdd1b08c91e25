//! Publish: mark the images complete (with the fingerprint), then run the
//! post-processors and write `GITHUB_OUTPUT`.

use futures::stream::{self, StreamExt};

use crate::aws::sdk_error;
use crate::build::{manifest, outputs, tags, BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::recipe::PostProcessor;

pub struct Publish;

impl Step for Publish {
    fn name(&self) -> &'static str {
        "publish"
    }
    fn runs_when_reused(&self) -> bool {
        true
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let images = state.result().regions;
            if images.is_empty() {
                return Ok(());
            }
            let step = state.ui.step(&format!("{}: publish", state.label()));
            let r = async {
                if !state.reused {
                    mark_complete(state, &images).await?;
                }
                for pp in &state.build.post_processors {
                    match pp {
                        PostProcessor::Manifest {
                            output,
                            custom_data,
                            ..
                        } => {
                            manifest::append(
                                output,
                                &state.source.name,
                                &images,
                                &state.options.run_id,
                                custom_data,
                            )
                            .await?;
                        }
                        PostProcessor::CloudformationParameters {
                            output,
                            parameter_name,
                            format,
                            region,
                        } => {
                            let region =
                                region.clone().unwrap_or_else(|| state.region().to_owned());
                            let ami = images
                                .iter()
                                .find(|(r, _)| *r == region)
                                .map(|(_, i)| i.ami_id.clone())
                                .ok_or_else(|| {
                                    Error::usage(format!(
                                        "cloudformation-parameters: no image in region {region}"
                                    ))
                                    .with_hint(
                                        "set region to the build region or one of ami_regions",
                                    )
                                })?;
                            outputs::write_cfn_parameters(output, *format, parameter_name, &ami)?;
                        }
                        PostProcessor::SsmParameter { name, description } => {
                            outputs::put_ssm_parameters(
                                &state.aws,
                                name,
                                description.as_deref(),
                                &images,
                            )
                            .await?;
                        }
                    }
                }
                match &state.options.github_output {
                    Some(path) => outputs::write_github_output(path, &state.source.name, &images),
                    None => Ok(()),
                }
            }
            .await;
            step.report(r, |_| String::new())
        })
    }
}

/// Tag every image `amibake:complete` and with the fingerprint: from now
/// on `amibake cleanup` leaves it alone and `--skip-if-unchanged` may
/// reuse it.
async fn mark_complete(
    state: &BuildState,
    images: &[(String, crate::build::RegionImage)],
) -> Result<()> {
    let mut t = std::collections::BTreeMap::new();
    t.insert(tags::COMPLETE.to_owned(), "true".to_owned());
    if let Some(fp) = &state.fingerprint {
        t.insert(tags::FINGERPRINT.to_owned(), fp.clone());
    }
    let results: Vec<Result<()>> = stream::iter(images.iter().cloned())
        .map(|(region, img)| {
            let t = t.clone();
            async move {
                state
                    .aws
                    .ec2(&region)
                    .create_tags()
                    .resources(&img.ami_id)
                    .set_tags(Some(tags::ec2_tags(&t)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("ec2:CreateTags", &e))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}
