//! Decide where the instance runs before anything is created, as Packer's
//! `StepNetworkInfo` and the filter half of its `StepSecurityGroup` do:
//! the VPC (`vpc_id`, `vpc_filter`, the subnet's, or the default VPC when
//! a group has to be made or found in it), the subnet (`subnet_id`,
//! `subnet_filter` limited to that VPC and to `availability_zone`, or the
//! freest subnet of the VPC when `associate_public_ip_address` is set
//! without one), the availability zone, and the security groups of
//! `security_group_filter`. A filter that matches nothing fails the build
//! here, naming the filter, while nothing exists yet.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, LocationType, Subnet};

use super::filter;
use crate::aws::{error_code, sdk_error};
use crate::build::{BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::recipe::{NetworkFilter, SubnetFilter};

/// Where the instance runs, as decided before launch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkPlan {
    /// The instance's VPC, when known (the temporary security group is
    /// made in it).
    pub vpc_id: Option<String>,
    /// `None`: RunInstances picks the default subnet.
    pub subnet_id: Option<String>,
    /// Sent as Placement.AvailabilityZone.
    pub availability_zone: Option<String>,
}

pub struct Network;

impl Step for Network {
    fn name(&self) -> &'static str {
        "network"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let step = state.ui.step(&format!("{}: network", state.label()));
            let r = resolve(state).await;
            let (plan, groups) = step.report(r, |(plan, groups)| describe(plan, groups))?;
            state.network = plan;
            state.security_group_ids = groups;
            Ok(())
        })
    }
}

/// Whether the recipe names its security groups (IDs or a filter), so no
/// temporary group is made.
pub fn uses_own_groups(state: &BuildState) -> bool {
    !state.source.security_group_ids.is_empty() || state.source.run.security_group_filter.is_some()
}

fn describe(plan: &NetworkPlan, groups: &[String]) -> String {
    let parts: Vec<String> = [
        plan.vpc_id.clone(),
        plan.subnet_id.clone(),
        plan.availability_zone.clone(),
    ]
    .into_iter()
    .flatten()
    .chain((!groups.is_empty()).then(|| groups.join(",")))
    .collect();
    if parts.is_empty() {
        "default subnet".into()
    } else {
        parts.join(" ")
    }
}

/// The plan and the recipe's security groups (empty: make a temporary one).
async fn resolve(state: &BuildState) -> Result<(NetworkPlan, Vec<String>)> {
    let src = &state.source;
    let run = &src.run;
    let ec2 = state.aws.ec2(state.region());
    let region = state.region();
    let mut plan = NetworkPlan {
        vpc_id: src.vpc_id.clone(),
        subnet_id: src.subnet_id.clone(),
        availability_zone: run.availability_zone.clone(),
    };
    if plan.vpc_id.is_none() {
        if let Some(f) = &run.vpc_filter {
            plan.vpc_id = Some(find_vpc(&ec2, f, region).await?);
        }
    }
    if plan.subnet_id.is_none() {
        if let Some(f) = &run.subnet_filter {
            let s = find_subnet(&ec2, f, &plan, region).await?;
            plan.subnet_id = s.subnet_id().map(str::to_owned);
        }
    }
    // Packer: a public IP setting without a subnet takes the freest subnet
    // of the VPC (the default VPC if none is given).
    if plan.subnet_id.is_none() && src.associate_public_ip_address.is_some() {
        let vpc = match &plan.vpc_id {
            Some(v) => v.clone(),
            None => default_vpc(&ec2, region).await?,
        };
        let s = freest_subnet_of(state, &ec2, &vpc).await?;
        plan.subnet_id = s.subnet_id().map(str::to_owned);
        plan.vpc_id = Some(vpc);
    }
    if plan.subnet_id.is_none() {
        if let Some(vpc) = &plan.vpc_id {
            // Without a subnet EC2 launches into the default VPC; Packer
            // then fails at RunInstances (its vpc_id "requires subnet_id").
            require_default(&ec2, vpc, region).await?;
        }
    }
    if let Some(subnet) = plan.subnet_id.clone() {
        if plan.vpc_id.is_none() || plan.availability_zone.is_none() {
            let s = describe_subnet(&ec2, &subnet, region).await?;
            plan.vpc_id = plan.vpc_id.or(s.vpc_id().map(str::to_owned));
            plan.availability_zone = plan
                .availability_zone
                .or(s.availability_zone().map(str::to_owned));
        }
    }
    let groups = if !src.security_group_ids.is_empty() {
        src.security_group_ids.clone()
    } else if let Some(f) = &run.security_group_filter {
        let vpc = match &plan.vpc_id {
            Some(v) => v.clone(),
            None => default_vpc(&ec2, region).await?,
        };
        let groups = find_groups(&ec2, f, &vpc, region).await?;
        plan.vpc_id = Some(vpc);
        groups
    } else {
        if plan.vpc_id.is_none() {
            // The temporary security group is made in the default VPC.
            plan.vpc_id = Some(default_vpc(&ec2, region).await?);
        }
        Vec::new()
    };
    Ok((plan, groups))
}

/// The EC2 filters of a recipe's filter map, plus amibake's own.
fn ec2_filters(user: &BTreeMap<String, Vec<String>>, extra: &[(&str, &str)]) -> Vec<Filter> {
    user.iter()
        .map(|(k, v)| {
            Filter::builder()
                .name(k)
                .set_values(Some(v.clone()))
                .build()
        })
        .chain(extra.iter().map(|(k, v)| filter(k, &[v])))
        .collect()
}

/// `{ tag:Class = "build", state = "available" }`: a filter map as the
/// recipe wrote it, for messages.
fn show(filters: &BTreeMap<String, Vec<String>>) -> String {
    let parts: Vec<String> = filters
        .iter()
        .map(|(k, v)| format!("{k} = \"{}\"", v.join(",")))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

async fn find_vpc(ec2: &aws_sdk_ec2::Client, f: &NetworkFilter, region: &str) -> Result<String> {
    let vpcs: Vec<_> = ec2
        .describe_vpcs()
        .set_filters(Some(ec2_filters(&f.filters, &[])))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVpcs", &e))?;
    match vpcs.as_slice() {
        [one] => Ok(one.vpc_id().unwrap_or_default().to_owned()),
        [] => Err(Error::build(format!(
            "vpc_filter {} matched no VPC in {region}",
            show(&f.filters)
        ))
        .with_hint("check the filters and the region (aws ec2 describe-vpcs --filters ... shows what they match), or set vpc_id")),
        many => Err(Error::build(format!(
            "vpc_filter {} matched {} VPCs in {region} ({}); exactly one must match",
            show(&f.filters),
            many.len(),
            many.iter().filter_map(|v| v.vpc_id()).collect::<Vec<_>>().join(", ")
        ))
        .with_hint("make the filters more specific, or set vpc_id")),
    }
}

async fn find_subnet(
    ec2: &aws_sdk_ec2::Client,
    f: &SubnetFilter,
    plan: &NetworkPlan,
    region: &str,
) -> Result<Subnet> {
    let mut extra = vec![("state", "available")];
    if let Some(v) = &plan.vpc_id {
        extra.push(("vpc-id", v));
    }
    if let Some(az) = &plan.availability_zone {
        extra.push(("availability-zone", az));
    }
    let subnets = describe_subnets(ec2, ec2_filters(&f.filters, &extra)).await?;
    let mut within = String::new();
    if let Some(v) = &plan.vpc_id {
        within += &format!(" in {v}");
    }
    if let Some(az) = &plan.availability_zone {
        within += &format!(" in availability zone {az}");
    }
    if subnets.is_empty() {
        return Err(Error::build(format!(
            "subnet_filter {} matched no available subnet in {region}{within}",
            show(&f.filters)
        ))
        .with_hint("check the filters, vpc_id/vpc_filter and availability_zone (aws ec2 describe-subnets --filters ... shows what they match), or set subnet_id"));
    }
    if subnets.len() > 1 && !f.most_free && !f.random {
        return Err(Error::build(format!(
            "subnet_filter {} matched {} subnets in {region}{within} ({})",
            show(&f.filters),
            subnets.len(),
            subnets
                .iter()
                .filter_map(|s| s.subnet_id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_hint("make the filters more specific, or set most_free = true or random = true in subnet_filter"));
    }
    let chosen = if f.most_free {
        most_free(subnets)
    } else if f.random {
        let i = rand::random_range(0..subnets.len());
        subnets.into_iter().nth(i)
    } else {
        subnets.into_iter().next()
    };
    Ok(chosen.expect("at least one subnet"))
}

/// The subnet with the most free IPv4 addresses.
fn most_free(subnets: Vec<Subnet>) -> Option<Subnet> {
    subnets
        .into_iter()
        .max_by_key(|s| s.available_ip_address_count().unwrap_or(0))
}

async fn describe_subnets(ec2: &aws_sdk_ec2::Client, filters: Vec<Filter>) -> Result<Vec<Subnet>> {
    ec2.describe_subnets()
        .set_filters(Some(filters))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSubnets", &e))
}

/// The freest available subnet of `vpc`, preferring zones that offer the
/// instance type (Packer asks DescribeInstanceTypeOfferings; without that
/// permission it takes the freest subnet anywhere, and so does amibake).
async fn freest_subnet_of(
    state: &BuildState,
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
) -> Result<Subnet> {
    let subnets = describe_subnets(
        ec2,
        ec2_filters(&BTreeMap::new(), &[("vpc-id", vpc), ("state", "available")]),
    )
    .await?;
    let zones: Vec<&str> = subnets
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    let offered = ec2
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(filter("instance-type", &[&state.source.instance_type]))
        .filters(filter("location", &zones))
        .send()
        .await;
    let subnets = match offered {
        Ok(out) => {
            let offering: Vec<&str> = out
                .instance_type_offerings()
                .iter()
                .filter_map(|o| o.location())
                .collect();
            let fit: Vec<Subnet> = subnets
                .iter()
                .filter(|s| s.availability_zone().is_some_and(|z| offering.contains(&z)))
                .cloned()
                .collect();
            if fit.is_empty() {
                subnets
            } else {
                fit
            }
        }
        Err(e) => {
            state.ui.warn(&format!(
                "{}: cannot tell which zones offer {} ({}); taking the freest subnet of {vpc}",
                state.label(),
                state.source.instance_type,
                sdk_error("ec2:DescribeInstanceTypeOfferings", &e).message()
            ));
            subnets
        }
    };
    most_free(subnets).ok_or_else(|| {
        Error::build(format!(
            "VPC {vpc} in {} has no available subnet for associate_public_ip_address",
            state.region()
        ))
        .with_hint("set subnet_id or subnet_filter to a subnet with a route to the SSM endpoints")
    })
}

async fn describe_subnet(ec2: &aws_sdk_ec2::Client, subnet: &str, region: &str) -> Result<Subnet> {
    let out = ec2
        .describe_subnets()
        .subnet_ids(subnet)
        .send()
        .await
        .map_err(|e| match error_code(&e) {
            Some("InvalidSubnetID.NotFound") => {
                Error::build(format!("subnet {subnet} does not exist in {region}"))
                    .with_hint("check subnet_id and region in the recipe")
            }
            _ => sdk_error("ec2:DescribeSubnets", &e),
        })?;
    out.subnets()
        .first()
        .cloned()
        .ok_or_else(|| Error::build(format!("subnet {subnet} not found in {region}")))
}

/// `vpc` without a subnet only works when it is the default VPC.
async fn require_default(ec2: &aws_sdk_ec2::Client, vpc: &str, region: &str) -> Result<()> {
    let out = ec2
        .describe_vpcs()
        .vpc_ids(vpc)
        .send()
        .await
        .map_err(|e| match error_code(&e) {
            Some("InvalidVpcID.NotFound") => {
                Error::build(format!("VPC {vpc} does not exist in {region}"))
                    .with_hint("check vpc_id and region in the recipe")
            }
            _ => sdk_error("ec2:DescribeVpcs", &e),
        })?;
    if out.vpcs().first().and_then(|v| v.is_default()) == Some(true) {
        return Ok(());
    }
    Err(Error::build(format!(
        "VPC {vpc} is not the default VPC of {region}, and no subnet in it is chosen"
    ))
    .with_hint("add subnet_id or subnet_filter (a subnet of that VPC with a route to the SSM endpoints); without one EC2 launches into the default VPC"))
}

async fn default_vpc(ec2: &aws_sdk_ec2::Client, region: &str) -> Result<String> {
    let out = ec2
        .describe_vpcs()
        .filters(filter("isDefault", &["true"]))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVpcs", &e))?;
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::build(format!("region {region} has no default VPC"))
                .with_hint("set subnet_id or subnet_filter (or vpc_id/vpc_filter) in the recipe to a subnet with a route to the SSM endpoints")
        })
}

async fn find_groups(
    ec2: &aws_sdk_ec2::Client,
    f: &NetworkFilter,
    vpc: &str,
    region: &str,
) -> Result<Vec<String>> {
    let groups: Vec<_> = ec2
        .describe_security_groups()
        .set_filters(Some(ec2_filters(&f.filters, &[("vpc-id", vpc)])))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", &e))?;
    let ids: Vec<String> = groups
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Err(Error::build(format!(
            "security_group_filter {} matched no security group in {vpc} ({region})",
            show(&f.filters)
        ))
        .with_hint("the groups must be in the instance's VPC; check the filters, or set security_group_ids"));
    }
    Ok(ids)
}
