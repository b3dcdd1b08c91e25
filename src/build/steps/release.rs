//! Release the build instance and its temporaries (instance profile,
//! security group) as soon as the image exists, while the copies run.
//!
//! Once the image in the build region is available nothing needs the
//! instance any more, and copying takes longer than terminating it, so
//! doing it then takes the shutdown off the build's critical path. The
//! steps' own cleanups stay in place (and are skipped once this succeeded),
//! so an interrupt or error half way still removes everything. With
//! `--on-error=abort` nothing is released early: a failed copy then still
//! leaves every resource for debugging.

use aws_sdk_ec2::types::InstanceStateName;

use super::instance_profile::delete_role_and_profile;
use super::launch::wait_instance;
use super::security_group::delete_security_group;
use super::state_backoff;
use crate::build::BuildState;
use crate::error::Result;

/// Terminate the instance, then delete the temporary security group (once
/// the instance is gone) and, meanwhile, the temporary role and profile.
pub(crate) async fn release(state: &BuildState) -> Result<()> {
    let ec2 = state.aws.ec2(state.region());
    let mut terminating = None;
    if let Some(id) = &state.instance_id {
        if super::launch::terminate(&ec2, std::slice::from_ref(id)).await? {
            terminating = Some(id.clone());
        }
    }
    // The security group can go once the instance is terminated.
    let group = async {
        let Some(group) = &state.temp_security_group else {
            return Ok(());
        };
        if let Some(id) = &terminating {
            wait_instance(
                &ec2,
                id,
                InstanceStateName::Terminated,
                state.source.state_timeout,
                state_backoff(state),
            )
            .await?;
        }
        delete_security_group(
            &ec2,
            group,
            state.source.state_timeout,
            state_backoff(state),
        )
        .await
    };
    // The instance is shutting down: nothing on it needs its role any more.
    let profile = async {
        match &state.temp_profile {
            Some(name) => delete_role_and_profile(&state.aws.iam(state.region()), name).await,
            None => Ok(()),
        }
    };
    let (a, b) = futures::join!(group, profile);
    a.and(b)
}
