//! A temporary security group with no inbound rules (SSM needs none; the
//! default egress rule lets the agent reach its endpoints) in the VPC the
//! network step chose, unless the recipe names `security_group_ids` or a
//! `security_group_filter`.

use std::time::Duration;

use aws_sdk_ec2::types::ResourceType;

use super::network::uses_own_groups;
use super::{filter, state_backoff};
use crate::aws::{error_code, sdk_error};
use crate::build::{tags, BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::poll::{wait_until, Check};

pub struct SecurityGroup;

impl Step for SecurityGroup {
    fn name(&self) -> &'static str {
        "security group"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if uses_own_groups(state) {
                // The network step found them.
                return Ok(());
            }
            let step = state
                .ui
                .step(&format!("{}: temporary security group", state.label()));
            let ec2 = state.aws.ec2(state.region());
            let r = async {
                let vpc = state
                    .network
                    .vpc_id
                    .clone()
                    .ok_or_else(|| Error::build("no VPC for the temporary security group"))?;
                let mut t = tags::build_tags(state);
                t.insert("Name".into(), format!("amibake {}", state.build_id));
                let out = ec2
                    .create_security_group()
                    .group_name(format!("amibake-{}", state.build_id))
                    .description(format!(
                        "amibake build {} (temporary, no inbound rules)",
                        state.build_id
                    ))
                    .vpc_id(vpc)
                    .tag_specifications(tags::spec(ResourceType::SecurityGroup, &t))
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2:CreateSecurityGroup", &e))?;
                out.group_id()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::aws("ec2:CreateSecurityGroup returned no group ID"))
            }
            .await;
            let id = step.report(r, |id| id.clone())?;
            state.temp_security_group = Some(id.clone());
            state.security_group_ids = vec![id];
            Ok(())
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.released {
                return Ok(());
            }
            if uses_own_groups(state) {
                return Ok(());
            }
            let ec2 = state.aws.ec2(state.region());
            let ids = match &state.temp_security_group {
                Some(id) => vec![id.clone()],
                // Interrupted during CreateSecurityGroup: find it by tag.
                None => ec2
                    .describe_security_groups()
                    .filters(filter(
                        &format!("tag:{}", tags::BUILD_ID),
                        &[&state.build_id],
                    ))
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", &e))?
                    .security_groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_owned))
                    .collect(),
            };
            for id in ids {
                delete_security_group(&ec2, &id, state.source.state_timeout, state_backoff(state))
                    .await?;
            }
            Ok(())
        })
    }
}

/// Delete a group, retrying while a terminating instance still holds it.
pub async fn delete_security_group(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    timeout: Duration,
    backoff: crate::poll::Backoff,
) -> Result<()> {
    wait_until(
        &format!("security group {id} to be deletable"),
        timeout,
        backoff,
        || async {
            match ec2.delete_security_group().group_id(id).send().await {
                Ok(_) => Ok(Check::Done(())),
                Err(e) if error_code(&e) == Some("InvalidGroup.NotFound") => Ok(Check::Done(())),
                Err(e) if error_code(&e) == Some("DependencyViolation") => {
                    Ok(Check::Pending("still in use".into()))
                }
                Err(e) => Err(sdk_error("ec2:DeleteSecurityGroup", &e)),
            }
        },
    )
    .await
}
