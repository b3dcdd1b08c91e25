//! Launch the temporary instance and wait until it runs; terminate it in
//! cleanup.

use std::time::Duration;

use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, CapacityReservationPreference, CapacityReservationSpecification,
    CapacityReservationTarget, CreditSpecificationRequest, EbsBlockDevice, HttpTokensState,
    IamInstanceProfileSpecification, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceMetadataTagsState, InstanceNetworkInterfaceSpecification, InstanceStateName,
    InstanceType, LicenseConfigurationRequest, Placement, ResourceType, Tenancy, VolumeType,
};
use base64::Engine;

use super::network::NetworkPlan;
use super::{filter, state_backoff};
use crate::aws::{error_code, sdk_error};
use crate::build::{tags, BuildState, Step, StepFuture};
use crate::error::{Error, Result};
use crate::poll::{wait_until, Backoff, Check};
use crate::recipe::{BlockDevice, RunOptions};

/// How long a fresh instance profile may stay invisible to EC2. AWS
/// documents "a few seconds"; Packer users report up to a minute.
const IAM_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Launch;

impl Step for Launch {
    fn name(&self) -> &'static str {
        "launch instance"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let step = state
                .ui
                .step(&format!("{}: launch instance", state.label()));
            let r = launch(state, &step).await;
            step.report(r, |_| state.instance_id.clone().unwrap_or_default())
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.released {
                return Ok(());
            }
            let ec2 = state.aws.ec2(state.region());
            let ids = match &state.instance_id {
                Some(id) => vec![id.clone()],
                // Interrupted during RunInstances: find it by tag.
                None => instances_of_build(&ec2, &state.build_id).await?,
            };
            if ids.is_empty() {
                return Ok(());
            }
            if !terminate(&ec2, &ids).await? {
                return Ok(());
            }
            // Only a temporary security group needs the instance gone
            // before it can be deleted; otherwise do not wait.
            if state.temp_security_group.is_some() {
                for id in &ids {
                    wait_instance(
                        &ec2,
                        id,
                        InstanceStateName::Terminated,
                        state.source.state_timeout,
                        state_backoff(state),
                    )
                    .await?;
                }
            }
            Ok(())
        })
    }
}

async fn launch(state: &mut BuildState, step: &crate::ui::StepProgress) -> Result<()> {
    let src = &state.source;
    let ec2 = state.aws.ec2(state.region());
    let ami = state.source_ami_id.clone().expect("source image resolved");
    let mut instance_tags = tags::merged(state, &src.run_tags, state.region())?;
    instance_tags
        .entry("Name".into())
        .or_insert_with(|| format!("amibake {}/{}", state.recipe_name, src.name));
    let volume_tags = tags::merged(state, &src.run_volume_tags, state.region())?;
    let mo = &src.metadata_options;
    let metadata = InstanceMetadataOptionsRequest::builder()
        .http_endpoint(InstanceMetadataEndpointState::from(
            mo.http_endpoint.as_str(),
        ))
        .http_tokens(HttpTokensState::from(mo.http_tokens.as_str()))
        .http_put_response_hop_limit(mo.http_put_response_hop_limit)
        .instance_metadata_tags(InstanceMetadataTagsState::from(
            mo.instance_metadata_tags.as_str(),
        ))
        .build();
    let mut req = ec2
        .run_instances()
        .image_id(&ami)
        .instance_type(InstanceType::from(src.instance_type.as_str()))
        .min_count(1)
        .max_count(1)
        .metadata_options(metadata)
        .tag_specifications(tags::spec(ResourceType::Instance, &instance_tags))
        .tag_specifications(tags::spec(ResourceType::Volume, &volume_tags))
        .set_block_device_mappings(if src.launch_block_device_mappings.is_empty() {
            None
        } else {
            Some(
                src.launch_block_device_mappings
                    .iter()
                    .map(block_device)
                    .collect(),
            )
        });
    if let Some(p) = &state.launch_profile {
        req = req.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
    }
    if let Some(ud) = &src.user_data {
        req = req.user_data(base64::engine::general_purpose::STANDARD.encode(ud));
    }
    let subnet = state.network.subnet_id.clone();
    if let (Some(public), Some(s)) = (src.associate_public_ip_address, &subnet) {
        let nic = InstanceNetworkInterfaceSpecification::builder()
            .device_index(0)
            .associate_public_ip_address(public)
            .delete_on_termination(true)
            .set_groups(Some(state.security_group_ids.clone()))
            .subnet_id(s);
        req = req.network_interfaces(nic.build());
    } else {
        req = req
            .set_security_group_ids(Some(state.security_group_ids.clone()))
            .set_subnet_id(subnet);
    }
    req = run_options(req, &src.instance_type, &src.run, &state.network);

    // Retry only the IAM propagation race, with backoff.
    let retried = std::sync::atomic::AtomicU32::new(0);
    let out = wait_until(
        "the new instance profile to be usable by EC2",
        IAM_PROPAGATION_TIMEOUT,
        // Propagation usually takes about a second: notice it within ~10 %.
        Backoff::proportional(Duration::from_millis(100), Duration::from_secs(3), 0.1),
        || {
            let req = req.clone();
            let retried = &retried;
            async move {
                match req.send().await {
                    Ok(out) => Ok(Check::Done(out)),
                    Err(e) if is_iam_propagation(&e) => {
                        retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        Ok(Check::Pending(
                            "Invalid IAM Instance Profile (IAM propagation)".into(),
                        ))
                    }
                    Err(e) => Err(launch_error(&e)),
                }
            }
        },
    )
    .await?;
    let retried = retried.into_inner();
    if retried > 0 {
        state.ui.debug(&format!(
            "{}: RunInstances retried {retried} time(s) while IAM propagated the profile",
            state.label()
        ));
    }
    let id = out
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or_else(|| Error::aws("ec2:RunInstances returned no instance"))?
        .to_owned();
    state.instance_id = Some(id.clone());
    step.set_message(&format!("{id} pending"));
    wait_instance(
        &ec2,
        &id,
        InstanceStateName::Running,
        state.source.state_timeout,
        state_backoff(state),
    )
    .await
}

/// Packer's run options that RunInstances carries: placement, EBS
/// optimisation, the CPU credit option of burstable types (`standard`
/// unless unlimited is asked, as Packer sets it), capacity reservations
/// and license configurations.
fn run_options(
    mut req: RunInstancesFluentBuilder,
    instance_type: &str,
    run: &RunOptions,
    network: &NetworkPlan,
) -> RunInstancesFluentBuilder {
    let p = &run.placement;
    if network.availability_zone.is_some()
        || p.tenancy.is_some()
        || p.host_resource_group_arn.is_some()
        || p.host_id.is_some()
    {
        req = req.placement(
            Placement::builder()
                .set_availability_zone(network.availability_zone.clone())
                .set_tenancy(p.tenancy.as_deref().map(Tenancy::from))
                .set_host_resource_group_arn(p.host_resource_group_arn.clone())
                .set_host_id(p.host_id.clone())
                .build(),
        );
    }
    req = req.ebs_optimized(run.ebs_optimized);
    if run.enable_nitro_enclave {
        req = req.enclave_options(
            aws_sdk_ec2::types::EnclaveOptionsRequest::builder()
                .enabled(true)
                .build(),
        );
    }
    if crate::recipe::is_burstable(instance_type) {
        let credits = if run.enable_unlimited_credits {
            "unlimited"
        } else {
            "standard"
        };
        req = req.credit_specification(
            CreditSpecificationRequest::builder()
                .cpu_credits(credits)
                .build(),
        );
    }
    let target = (run.capacity_reservation_id.is_some()
        || run.capacity_reservation_group_arn.is_some())
    .then(|| {
        CapacityReservationTarget::builder()
            .set_capacity_reservation_id(run.capacity_reservation_id.clone())
            .set_capacity_reservation_resource_group_arn(run.capacity_reservation_group_arn.clone())
            .build()
    });
    if target.is_some() || run.capacity_reservation_preference.is_some() {
        req = req.capacity_reservation_specification(
            CapacityReservationSpecification::builder()
                .set_capacity_reservation_preference(
                    run.capacity_reservation_preference
                        .as_deref()
                        .map(CapacityReservationPreference::from),
                )
                .set_capacity_reservation_target(target)
                .build(),
        );
    }
    for arn in &run.license_configuration_arns {
        req = req.license_specifications(
            LicenseConfigurationRequest::builder()
                .license_configuration_arn(arn)
                .build(),
        );
    }
    req
}

fn is_iam_propagation<R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_ec2::operation::run_instances::RunInstancesError,
        R,
    >,
) -> bool {
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    match e.as_service_error() {
        Some(se) => {
            se.code() == Some("InvalidParameterValue")
                && se
                    .message()
                    .map(|m| m.to_ascii_lowercase().contains("iam instance profile"))
                    .unwrap_or(false)
        }
        None => false,
    }
}

fn launch_error<R: std::fmt::Debug>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_ec2::operation::run_instances::RunInstancesError,
        R,
    >,
) -> Error {
    let err = sdk_error("ec2:RunInstances", e);
    match error_code(e) {
        Some("InsufficientInstanceCapacity") => err.with_hint(
            "AWS has no capacity for this instance type here right now; try another instance_type or subnet (availability zone)",
        ),
        Some("InvalidParameterValue") | Some("InvalidParameterCombination") | Some("Unsupported") => err.with_hint(
            "check instance_type, subnet_id, block devices and metadata options in the recipe against the source image",
        ),
        Some("VcpuLimitExceeded") | Some("InstanceLimitExceeded") => {
            err.with_hint("the account's instance quota is used up; terminate unused instances or request a quota increase")
        }
        _ => err,
    }
}

/// Wait for an instance state; fail at once if it ends up terminated
/// while we wait for anything else.
/// Ask EC2 to terminate instances; `false` when they are gone already.
/// Every cleanup path (the launch step, `release`, `amibake cleanup`) ends
/// instances through here.
pub(crate) async fn terminate(ec2: &aws_sdk_ec2::Client, ids: &[String]) -> Result<bool> {
    match ec2
        .terminate_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if error_code(&e) == Some("InvalidInstanceID.NotFound") => Ok(false),
        Err(e) => Err(sdk_error("ec2:TerminateInstances", &e)),
    }
}

/// [`terminate`] one instance and wait until it is `terminated` (what a
/// security group it uses needs before it can be deleted).
pub(crate) async fn terminate_and_wait(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    timeout: std::time::Duration,
    backoff: crate::poll::Backoff,
) -> Result<()> {
    if terminate(ec2, &[id.to_owned()]).await? {
        wait_instance(ec2, id, InstanceStateName::Terminated, timeout, backoff).await?;
    }
    Ok(())
}

pub async fn wait_instance(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    want: InstanceStateName,
    timeout: Duration,
    backoff: Backoff,
) -> Result<()> {
    let what = format!("instance {id} to be {}", want.as_str());
    wait_until(&what, timeout, backoff, || {
        let want = want.clone();
        async move {
            let out = match ec2.describe_instances().instance_ids(id).send().await {
                Ok(o) => o,
                Err(e) if error_code(&e) == Some("InvalidInstanceID.NotFound") => {
                    return Ok(Check::Pending("not visible yet".into()))
                }
                Err(e) => return Err(sdk_error("ec2:DescribeInstances", &e)),
            };
            let inst = out.reservations().iter().flat_map(|r| r.instances()).next();
            let Some(inst) = inst else {
                return Ok(Check::Pending("not visible yet".into()));
            };
            let st = inst.state().and_then(|s| s.name()).cloned();
            match st {
                Some(s) if s == want => Ok(Check::Done(())),
                Some(InstanceStateName::Terminated) | Some(InstanceStateName::ShuttingDown)
                    if want != InstanceStateName::Terminated =>
                {
                    let reason = inst
                        .state_reason()
                        .and_then(|r| r.message())
                        .unwrap_or("no reason given");
                    Err(Error::build(format!("instance {id} terminated unexpectedly: {reason}"))
                        .with_hint("check the instance's console output and the source image; a full volume or bad user_data are common causes"))
                }
                Some(s) => Ok(Check::Pending(s.as_str().to_owned())),
                None => Ok(Check::Pending("unknown".into())),
            }
        }
    })
    .await
}

/// Non-terminated instances tagged with this build's ID.
pub(crate) async fn instances_of_build(
    ec2: &aws_sdk_ec2::Client,
    build_id: &str,
) -> Result<Vec<String>> {
    let out = ec2
        .describe_instances()
        .filters(filter(&format!("tag:{}", tags::BUILD_ID), &[build_id]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped", "shutting-down"],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInstances", &e))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect())
}

/// The recipe's block device as an EC2 mapping (launch and image).
pub(crate) fn block_device(b: &BlockDevice) -> BlockDeviceMapping {
    let mut m = BlockDeviceMapping::builder().device_name(&b.device_name);
    if b.no_device {
        return m.no_device("").build();
    }
    if let Some(v) = &b.virtual_name {
        return m.virtual_name(v).build();
    }
    let ebs = EbsBlockDevice::builder()
        .set_volume_size(b.volume_size)
        .set_volume_type(b.volume_type.as_deref().map(VolumeType::from))
        .set_iops(b.iops)
        .set_throughput(b.throughput)
        .set_delete_on_termination(Some(b.delete_on_termination.unwrap_or(true)))
        .set_encrypted(b.encrypted)
        .set_kms_key_id(b.kms_key_id.clone())
        .set_snapshot_id(b.snapshot_id.clone())
        .build();
    m = m.ebs(ebs);
    m.build()
}
