//! Waiting until an instance is a managed, reachable SSM instance.

use std::time::Duration;

use aws_sdk_ssm::types::{InstanceInformationStringFilter, PingStatus};

use crate::aws::sdk_error;
use crate::error::{Error, Result};
use crate::poll::{wait_until, Backoff, Check};

/// What `DescribeInstanceInformation` says about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnlineState {
    /// Not registered with SSM (yet).
    Unregistered,
    /// Registered, with this ping status (`Online`, `ConnectionLost`, `Inactive`).
    Ping(String),
}

/// Look once at the SSM registration of `instance_id`.
pub async fn online_state(ssm: &aws_sdk_ssm::Client, instance_id: &str) -> Result<OnlineState> {
    let filter = InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(instance_id)
        .build()
        .map_err(|e| Error::build(e.to_string()))?;
    let out = ssm
        .describe_instance_information()
        .filters(filter)
        .send()
        .await
        .map_err(|e| sdk_error("ssm:DescribeInstanceInformation", &e))?;
    let info = out
        .instance_information_list()
        .iter()
        .find(|i| i.instance_id() == Some(instance_id));
    Ok(match info.and_then(|i| i.ping_status()) {
        None => OnlineState::Unregistered,
        Some(p) => OnlineState::Ping(p.as_str().to_owned()),
    })
}

/// Wait until the SSM agent on `instance_id` reports `Online`.
///
/// The timeout message lists the usual causes, because "never came online"
/// is the most common first-build failure and AWS says nothing about why.
pub async fn wait_online(
    ssm: &aws_sdk_ssm::Client,
    instance_id: &str,
    timeout: Duration,
    max_interval: Duration,
) -> Result<()> {
    // Registration takes seconds to minutes: check in proportion to the
    // time waited (notice within ~5 %), capped by the recipe's interval.
    let backoff = Backoff::proportional(
        Duration::from_millis(100),
        max_interval.max(Duration::from_millis(200)),
        0.05,
    );
    wait_until(&format!("instance {instance_id} to come online in Systems Manager"), timeout, backoff, || async {
        Ok(match online_state(ssm, instance_id).await? {
            OnlineState::Ping(p) if p == PingStatus::Online.as_str() => Check::Done(()),
            OnlineState::Ping(p) => Check::Pending(format!("PingStatus {p}")),
            OnlineState::Unregistered => Check::Pending("not registered with SSM".into()),
        })
    })
    .await
    .map_err(|e| {
        e.with_hint(
            "usual causes: the AMI has no SSM agent (use Amazon Linux, Ubuntu or Windows AMIs, or install amazon-ssm-agent in user_data); \
             the subnet has no route to the ssm, ssmmessages and ec2messages endpoints (needs a NAT/internet gateway or VPC endpoints); \
             the instance profile lacks the AmazonSSMManagedInstanceCore policy",
        )
    })
}
