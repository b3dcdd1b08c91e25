//! Wait until the instance is Online in Systems Manager.

use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;
use crate::provision::wait_online;

pub struct SsmOnline;

impl Step for SsmOnline {
    fn name(&self) -> &'static str {
        "wait for Systems Manager"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let step = state
                .ui
                .step(&format!("{}: wait for Systems Manager", state.label()));
            let id = state.instance_id.clone().expect("instance launched");
            let r = wait_online(
                &state.aws.ssm(state.region()),
                &id,
                state.source.state_timeout,
                state.source.max_poll_interval,
            )
            .await;
            step.report(r, |_| "online".into())
        })
    }
}
