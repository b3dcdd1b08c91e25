//! Preflight: credentials, account and regions first, and (after the
//! `--skip-if-unchanged` check) refusal of an `ami_name` already taken.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::filter;
use crate::aws::{check_region, sdk_error};
use crate::build::{BuildState, Step, StepFuture};
use crate::error::{Error, Result};

/// Check credentials (STS `GetCallerIdentity`, unless the source says
/// `skip_credential_validation`) and every region name.
pub struct Preflight;

impl Step for Preflight {
    fn name(&self) -> &'static str {
        "preflight"
    }
    fn runs_when_reused(&self) -> bool {
        true
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            for r in state.source.all_regions() {
                check_region(&r).map_err(|m| {
                    Error::usage(format!("source {}: {m}", state.source.name))
                        .with_hint("fix `region` / `ami_regions` in the recipe")
                })?;
            }
            for r in state.source.region_kms_key_ids.keys() {
                if !state.source.all_regions().contains(r) {
                    return Err(Error::usage(format!(
                        "source {}: region_kms_key_ids names {r}, which is not in ami_regions",
                        state.source.name
                    ))
                    .with_hint("add the region to ami_regions or remove its key"));
                }
            }
            let step = state.ui.step(&format!("{}: preflight", state.label()));
            let region = state.region().to_owned();
            if state.source.access.skip_credential_validation {
                // Packer's skip_credential_validation: credentials are loaded
                // but not checked with STS GetCallerIdentity.
                let loaded = state.aws.check_credentials().await;
                return step.report(loaded, |_| {
                    format!(
                        "region {region}; credentials not validated (skip_credential_validation)"
                    )
                });
            }
            let account = state.aws.account_id(state.region()).await;
            let account = step.report(account, |a| format!("account {a}, region {region}"))?;
            state.account_id = Some(account);
            Ok(())
        })
    }
}

/// Refuse an `ami_name` already used in any target region, unless
/// `force_deregister`/`--force` (then remember the old images; they are
/// deregistered right before the new one takes the name, because AMI names
/// are unique per region).
pub struct NameCheck;

impl Step for NameCheck {
    fn name(&self) -> &'static str {
        "check image name"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            // No image will take the name (Packer skips the check too,
            // plugin#409).
            if state.source.skip_create_ami {
                return Ok(());
            }
            let name = state.source.ami_name.clone();
            let aws = state.aws.clone();
            let found: Vec<(String, String)> = stream::iter(state.source.image_regions())
                .map(|region| {
                    let ec2 = aws.ec2(&region);
                    let name = name.clone();
                    async move {
                        let out = ec2
                            .describe_images()
                            .owners("self")
                            .filters(filter("name", &[&name]))
                            .send()
                            .await
                            .map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
                        Ok::<_, Error>(
                            out.images()
                                .iter()
                                .filter_map(|i| i.image_id())
                                .map(|id| (region.clone(), id.to_owned()))
                                .collect::<Vec<_>>(),
                        )
                    }
                })
                .buffer_unordered(8)
                .try_concat()
                .await?;
            if found.is_empty() {
                return Ok(());
            }
            if state.options.force || state.source.force_deregister {
                state.ui.info(&format!(
                    "{}: will replace existing image(s) named {name:?}: {}",
                    state.label(),
                    found
                        .iter()
                        .map(|(r, id)| format!("{r}:{id}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                state.existing_named = found;
                return Ok(());
            }
            let list = found
                .iter()
                .map(|(r, id)| format!("{id} in {r}"))
                .collect::<Vec<_>>()
                .join(", ");
            Err(Error::usage(format!(
                "an image named {name:?} already exists: {list}"
            ))
            .with_hint("make ami_name unique (e.g. append {{timestamp}} or a version), or pass --force / set force_deregister = true to replace it"))
        })
    }
}
