//! Stop the instance so the image is file-system consistent without a
//! reboot during CreateImage.

use aws_sdk_ec2::types::InstanceStateName;

use super::launch::wait_instance;
use super::state_backoff;
use crate::aws::sdk_error;
use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;

pub struct Stop;

impl Step for Stop {
    fn name(&self) -> &'static str {
        "stop instance"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            // No image will be made: stopping would only cost time (Packer
            // skips it too, plugin#680).
            if state.source.skip_create_ami {
                return Ok(());
            }
            let step = state.ui.step(&format!("{}: stop instance", state.label()));
            let id = state.instance_id.clone().expect("instance launched");
            let ec2 = state.aws.ec2(state.region());
            let r = async {
                ec2.stop_instances()
                    .instance_ids(&id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ec2:StopInstances", &e))?;
                wait_instance(
                    &ec2,
                    &id,
                    InstanceStateName::Stopped,
                    state.source.state_timeout,
                    state_backoff(state),
                )
                .await
            }
            .await;
            step.report(r, |_| "stopped".into())
        })
    }
}
