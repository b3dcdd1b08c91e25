//! What makes an image "in use" in one region.
//!
//! gc must never delete an image something still launches from. Every
//! listing here is paginated, and any failure fails the whole gathering: the
//! caller then skips the region, because deleting on partial knowledge is how
//! other tools broke production (see docs/gc.md).

use std::collections::{HashMap, HashSet};

use aws_sdk_ec2::types::Filter;
use futures::{stream, StreamExt, TryStreamExt};

use crate::aws::{error_code, sdk_error, Aws};
use crate::error::Result;

/// How many listing calls run at once per region (Describe* refill at 20/s).
const CONCURRENCY: usize = 8;

/// Why each candidate image is in use: image ID → reasons.
#[derive(Debug, Default)]
pub struct References {
    pub by_image: HashMap<String, Vec<String>>,
}

impl References {
    fn add(&mut self, candidates: &HashSet<String>, text: &str, reason: impl Fn(&str) -> String) {
        for id in ami_ids_in(text) {
            if candidates.contains(id) {
                let r = reason(id);
                let list = self.by_image.entry(id.to_owned()).or_default();
                if !list.contains(&r) {
                    list.push(r);
                }
            }
        }
    }

    pub fn reasons(&self, id: &str) -> &[String] {
        self.by_image.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Every `ami-…` ID inside `text` (values may be lists or JSON).
pub fn ami_ids_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("ami-") {
        let start = i + pos;
        let mut end = start + 4;
        while end < bytes.len() && bytes[end].is_ascii_hexdigit() {
            end += 1;
        }
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after_ok = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok && after_ok && matches!(end - start - 4, 8 | 17) {
            out.push(&text[start..end]);
        }
        i = end.max(start + 4);
    }
    out
}

/// Everything in one region that can refer to an image, listed in full.
/// Listing does not depend on which images are candidates, so it can run
/// while the images themselves are being listed.
pub struct Listings {
    instances: Vec<(String, String, String)>,
    templates: Vec<TemplateVersion>,
    configurations: Vec<(String, String)>,
    params: Vec<(String, String)>,
    stacks: Vec<StackParameter>,
    /// `resolve:ssm:` selectors of launch templates that are not plain
    /// parameter names in `params`, resolved (`None`: no such parameter).
    resolved: HashMap<String, Option<String>>,
}

/// List every reference source in `region`; any failure fails the whole
/// listing.
pub async fn list(aws: &Aws, region: &str) -> Result<Listings> {
    let ec2 = aws.ec2(region);
    let ssm = aws.ssm(region);
    let cfn = aws.cloudformation(region);
    let autoscaling = aws.autoscaling(region);
    let (instances, templates, configurations, params, stacks) = tokio::try_join!(
        instances(&ec2),
        launch_template_versions(&ec2),
        launch_configurations(&autoscaling),
        ssm_parameters(&ssm),
        stack_parameters(&cfn),
    )?;

    // Selectors that need their own GetParameter: versioned or labelled
    // ones, and parameters whose value holds no AMI ID (not in `params`).
    let param_names: HashSet<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    let mut selectors = HashSet::new();
    for v in &templates {
        if let Some(sel) = v.image.strip_prefix("resolve:ssm:") {
            let unversioned = if sel.starts_with("arn:") {
                sel.matches(':').count() <= 5
            } else {
                !sel.contains(':')
            };
            if !(unversioned && param_names.contains(sel)) {
                selectors.insert(sel.to_owned());
            }
        }
    }
    let resolved = stream::iter(selectors)
        .map(|sel| {
            let ssm = ssm.clone();
            async move {
                let v = resolve_parameter(&ssm, &sel).await?;
                Ok::<_, crate::Error>((sel, v))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(Listings {
        instances,
        templates,
        configurations,
        params,
        stacks,
        resolved,
    })
}

impl Listings {
    /// Why each of `candidates` is in use.
    pub fn references(&self, candidates: &HashSet<String>) -> References {
        let mut refs = References::default();
        for (instance, state, image) in &self.instances {
            refs.add(candidates, image, |_| {
                format!("in use by instance {instance} ({state})")
            });
        }
        for (name, image) in &self.configurations {
            refs.add(candidates, image, |_| {
                format!("in use by launch configuration {name}")
            });
        }
        for (name, value) in &self.params {
            refs.add(candidates, value, |_| {
                format!("referenced by SSM parameter {name}")
            });
        }
        let param_values: HashMap<&str, &str> = self
            .params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        for s in &self.stacks {
            let mut text = s.value.clone();
            if let Some(r) = &s.resolved {
                text.push(' ');
                text.push_str(r);
            }
            // An `AWS::SSM::Parameter::Value<…>` parameter holds a parameter name.
            if let Some(v) = param_values.get(s.value.as_str()) {
                text.push(' ');
                text.push_str(v);
            }
            refs.add(candidates, &text, |_| {
                format!(
                    "referenced by CloudFormation stack {} parameter {}",
                    s.stack, s.key
                )
            });
        }
        // Launch template image IDs, with `resolve:ssm:` aliases resolved.
        for v in &self.templates {
            let via = v.image.strip_prefix("resolve:ssm:");
            let image = match via {
                Some(sel) => match param_values.get(sel) {
                    Some(val) => val.to_string(),
                    None => self
                        .resolved
                        .get(sel)
                        .cloned()
                        .flatten()
                        .unwrap_or_default(),
                },
                None => v.image.clone(),
            };
            refs.add(candidates, &image, |_| match via {
                Some(sel) => format!(
                    "in use by launch template {} ({}) version {} via resolve:ssm:{sel}",
                    v.id, v.name, v.version
                ),
                None => format!(
                    "in use by launch template {} ({}) version {}",
                    v.id, v.name, v.version
                ),
            });
        }
        refs
    }
}

/// (instance ID, state, image ID) of every instance not terminated.
async fn instances(ec2: &aws_sdk_ec2::Client) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .set_values(Some(
                    ["pending", "running", "shutting-down", "stopping", "stopped"]
                        .map(String::from)
                        .to_vec(),
                ))
                .build(),
        )
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("ec2:DescribeInstances", &e))?;
        for r in page.reservations() {
            for i in r.instances() {
                let state = i
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default();
                if state == "terminated" {
                    continue;
                }
                out.push((
                    i.instance_id().unwrap_or("").to_owned(),
                    state,
                    i.image_id().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    Ok(out)
}

struct TemplateVersion {
    id: String,
    name: String,
    version: i64,
    image: String,
}

/// Every version of every launch template: Terraform and CloudFormation keep
/// old versions and do not move the default, so "default" and "latest" are
/// not enough.
async fn launch_template_versions(ec2: &aws_sdk_ec2::Client) -> Result<Vec<TemplateVersion>> {
    let mut ids = Vec::new();
    let mut pages = ec2
        .describe_launch_templates()
        .max_results(200)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("ec2:DescribeLaunchTemplates", &e))?;
        for t in page.launch_templates() {
            if let Some(id) = t.launch_template_id() {
                ids.push(id.to_owned());
            }
        }
    }
    let per_template: Vec<Vec<TemplateVersion>> = stream::iter(ids)
        .map(|id| {
            let ec2 = ec2.clone();
            async move {
                let mut out = Vec::new();
                let mut pages = ec2
                    .describe_launch_template_versions()
                    .launch_template_id(&id)
                    .resolve_alias(true)
                    .max_results(200)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page =
                        page.map_err(|e| sdk_error("ec2:DescribeLaunchTemplateVersions", &e))?;
                    for v in page.launch_template_versions() {
                        let image = v
                            .launch_template_data()
                            .and_then(|d| d.image_id())
                            .unwrap_or("")
                            .to_owned();
                        if image.is_empty() {
                            continue;
                        }
                        out.push(TemplateVersion {
                            id: id.clone(),
                            name: v.launch_template_name().unwrap_or("").to_owned(),
                            version: v.version_number().unwrap_or(0),
                            image,
                        });
                    }
                }
                Ok::<_, crate::Error>(out)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(per_template.into_iter().flatten().collect())
}

/// (name, image ID) of every Auto Scaling launch configuration. AWS no longer
/// lets new accounts create them, but older accounts still scale groups from
/// them, and a group whose image is gone cannot launch a replacement.
async fn launch_configurations(
    autoscaling: &aws_sdk_autoscaling::Client,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut pages = autoscaling
        .describe_launch_configurations()
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("autoscaling:DescribeLaunchConfigurations", &e))?;
        for c in page.launch_configurations() {
            out.push((
                c.launch_configuration_name().unwrap_or("").to_owned(),
                c.image_id().unwrap_or("").to_owned(),
            ));
        }
    }
    Ok(out)
}

/// (name, value) of every SSM parameter whose value mentions an AMI ID.
async fn ssm_parameters(ssm: &aws_sdk_ssm::Client) -> Result<Vec<(String, String)>> {
    let mut names = Vec::new();
    let mut pages = ssm
        .describe_parameters()
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("ssm:DescribeParameters", &e))?;
        for p in page.parameters() {
            // SecureString values are never image IDs EC2 can resolve.
            if p.r#type().map(|t| t.as_str()) == Some("SecureString") {
                continue;
            }
            if let Some(n) = p.name() {
                names.push(n.to_owned());
            }
        }
    }
    let batches: Vec<Vec<String>> = names.chunks(10).map(|c| c.to_vec()).collect();
    let values: Vec<Vec<(String, String)>> = stream::iter(batches)
        .map(|batch| {
            let ssm = ssm.clone();
            async move {
                let out = ssm
                    .get_parameters()
                    .set_names(Some(batch))
                    .send()
                    .await
                    .map_err(|e| sdk_error("ssm:GetParameters", &e))?;
                // Parameters deleted since the listing come back as invalid:
                // they refer to nothing any more.
                Ok::<_, crate::Error>(
                    out.parameters()
                        .iter()
                        .filter_map(|p| Some((p.name()?.to_owned(), p.value()?.to_owned())))
                        .filter(|(_, v)| !ami_ids_in(v).is_empty())
                        .collect(),
                )
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(values.into_iter().flatten().collect())
}

/// The value a `resolve:ssm:` selector points at (`None`: no such parameter).
async fn resolve_parameter(ssm: &aws_sdk_ssm::Client, selector: &str) -> Result<Option<String>> {
    match ssm.get_parameter().name(selector).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_owned)),
        Err(e)
            if matches!(
                error_code(&e),
                Some("ParameterNotFound" | "ParameterVersionNotFound")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(sdk_error("ssm:GetParameter", &e)),
    }
}

struct StackParameter {
    stack: String,
    key: String,
    value: String,
    resolved: Option<String>,
}

/// Parameters of every stack that exists (DescribeStacks omits deleted ones).
async fn stack_parameters(cfn: &aws_sdk_cloudformation::Client) -> Result<Vec<StackParameter>> {
    let mut out = Vec::new();
    let mut pages = cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("cloudformation:DescribeStacks", &e))?;
        for s in page.stacks() {
            if s.stack_status().map(|st| st.as_str()) == Some("DELETE_COMPLETE") {
                continue;
            }
            for p in s.parameters() {
                out.push(StackParameter {
                    stack: s.stack_name().unwrap_or("").to_owned(),
                    key: p.parameter_key().unwrap_or("").to_owned(),
                    value: p.parameter_value().unwrap_or("").to_owned(),
                    resolved: p.resolved_value().map(str::to_owned),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ami_ids() {
        assert_eq!(
            ami_ids_in("ami-0123456789abcdef0,ami-12345678 xami-12345678 ami-123"),
            vec!["ami-0123456789abcdef0", "ami-12345678"]
        );
        assert!(ami_ids_in("resolve:ssm:/x").is_empty());
    }
}
