//! Resolve the base image: a literal ID, a `resolve:ssm:` parameter, or a
//! `source_ami_filter`.

use aws_sdk_ec2::types::Image;

use super::filter;
use crate::aws::{error_code, sdk_error};
use crate::build::{BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::recipe::render::legacy::ImageFacts;
use crate::recipe::{AmiFilter, SourceAmi as Spec};

pub struct SourceAmi;

impl Step for SourceAmi {
    fn name(&self) -> &'static str {
        "source image"
    }
    fn runs_when_reused(&self) -> bool {
        true
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let step = state.ui.step(&format!("{}: source image", state.label()));
            let region = state.region().to_owned();
            let ec2 = state.aws.ec2(&region);
            let result = match &state.source.source_ami {
                Spec::Id { id } => by_id(&ec2, id, &region).await,
                Spec::SsmParameter { parameter } => {
                    let ssm = state.aws.ssm(&region);
                    let out = ssm
                        .get_parameter()
                        .name(parameter)
                        .send()
                        .await
                        .map_err(|e| match error_code(&e) {
                            Some("ParameterNotFound") => Error::build(format!(
                                "source_ami: SSM parameter {parameter} does not exist in {region}"
                            ))
                            .with_hint("check the parameter path, e.g. /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
                            _ => sdk_error("ssm:GetParameter", &e),
                        })?;
                    match out.parameter().and_then(|p| p.value()) {
                        Some(v) => by_id(&ec2, v, &region).await,
                        None => Err(Error::build(format!(
                            "SSM parameter {parameter} has no value"
                        ))),
                    }
                }
                Spec::Filter(f) => by_filter(&ec2, f, &region, "source_ami_filter").await,
            };
            let image = step.report(result, |i| i.image_id().unwrap_or_default().to_owned())?;
            let facts = facts(&image);
            state.source_ami_id = Some(facts.id.clone());
            state.source_image = Some(facts);
            Ok(())
        })
    }
}

/// What templates may read of the source image (`{{ .SourceAMIName }}`,
/// `build.SourceAMIOwner`, ...), as Packer's `BuildInfoTemplate` has it.
pub(crate) fn facts(image: &Image) -> ImageFacts {
    ImageFacts {
        id: image.image_id().unwrap_or_default().to_owned(),
        name: image.name().unwrap_or_default().to_owned(),
        owner: image.owner_id().unwrap_or_default().to_owned(),
        owner_name: image.image_owner_alias().unwrap_or_default().to_owned(),
        creation_date: image.creation_date().unwrap_or_default().to_owned(),
        tags: image
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
    }
}

async fn by_id(ec2: &aws_sdk_ec2::Client, id: &str, region: &str) -> Result<Image> {
    let not_found = || {
        Error::build(format!("source_ami {id} does not exist in {region} (or is not shared with this account)"))
            .with_hint("check the AMI ID and region, or use source_ami_filter / resolve:ssm: to always get a current image")
    };
    match ec2.describe_images().image_ids(id).send().await {
        Ok(out) if !out.images().is_empty() => Ok(out.images()[0].clone()),
        Ok(_) => Err(not_found()),
        Err(e)
            if matches!(
                error_code(&e),
                Some("InvalidAMIID.NotFound") | Some("InvalidAMIID.Malformed")
            ) =>
        {
            Err(not_found())
        }
        Err(e) => Err(sdk_error("ec2:DescribeImages", &e)),
    }
}

/// The image `f` selects, as Packer's `source_ami_filter` and
/// `data "amazon-ami"` do; `what` names the filter in errors.
pub(crate) async fn by_filter(
    ec2: &aws_sdk_ec2::Client,
    f: &AmiFilter,
    region: &str,
    what: &str,
) -> Result<Image> {
    let mut req = ec2
        .describe_images()
        .set_owners(if f.owners.is_empty() {
            None
        } else {
            Some(f.owners.clone())
        })
        .set_include_deprecated(f.include_deprecated.then_some(true));
    for (name, values) in &f.filters {
        let vals: Vec<&str> = values.iter().map(String::as_str).collect();
        req = req.filters(filter(name, &vals));
    }
    let images: Vec<Image> = req
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
    let describe = || {
        let mut parts: Vec<String> = f
            .filters
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join("|")))
            .collect();
        parts.push(format!("owners={}", f.owners.join(",")));
        parts.join(", ")
    };
    if images.is_empty() {
        return Err(Error::build(format!(
            "{what} matched no image in {region} ({})",
            describe()
        ))
        .with_hint("loosen the filter (check the name pattern and owners) or verify it with `aws ec2 describe-images`"));
    }
    if images.len() > 1 && !f.most_recent {
        return Err(Error::build(format!(
            "{what} matched {} images in {region} ({})",
            images.len(),
            describe()
        ))
        .with_hint("set most_recent = true to take the newest, or narrow the filter"));
    }
    let best = images
        .into_iter()
        .max_by(|a, b| {
            a.creation_date()
                .unwrap_or("")
                .cmp(b.creation_date().unwrap_or(""))
        })
        .expect("non-empty");
    Ok(best)
}
