//! Publish: mark the images complete (with the fingerprint), then run the
//! post-processors and write `GITHUB_OUTPUT`.

use futures::stream::{self, StreamExt};

use crate::aws::sdk_error;
use crate::build::{manifest, outputs, tags, BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::recipe::{PostProcessor, ShellLocalPostProcessor};

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
                for (i, pp) in state.build.post_processors.iter().enumerate() {
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
                        PostProcessor::ShellLocal(p) => shell_local(state, i, p, &images).await?,
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

/// `post-processor "shell-local"`: Packer's variables plus the AMIs, in
/// `AMIBAKE_ARTIFACT_ID` (Packer's artifact ID: sorted `region:ami-id`
/// pairs joined by commas, as the manifest's `artifact_id`) and
/// `AMIBAKE_AMI_ID` (the build region's image).
async fn shell_local(
    state: &BuildState,
    position: usize,
    p: &ShellLocalPostProcessor,
    images: &[(String, crate::build::RegionImage)],
) -> Result<()> {
    let source = &state.source.name;
    if (!p.only.is_empty() && !p.only.contains(source)) || p.except.contains(source) {
        return Ok(());
    }
    let label = match &p.name {
        Some(n) => format!("post-processor {} (shell-local \"{n}\")", position + 1),
        None => format!("post-processor {} (shell-local)", position + 1),
    };
    let mut env = crate::provision::packer_env(source);
    env.push(("AMIBAKE_ARTIFACT_ID".into(), manifest::artifact_id(images)));
    if let Some((_, img)) = images.iter().find(|(r, _)| r == state.region()) {
        env.push(("AMIBAKE_AMI_ID".into(), img.ami_id.clone()));
    }
    let legacy = state.legacy_context(state.region());
    let run = crate::provision::local::LocalRun {
        ui: &state.ui,
        label: &label,
        prefix: p.name.as_deref().unwrap_or("shell-local"),
        builtin_env: env,
        legacy: &legacy,
        timeout: None,
    };
    crate::provision::local::run(&run, &p.shell).await
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
