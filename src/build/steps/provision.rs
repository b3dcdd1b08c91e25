//! Run the build's provisioners through a provisioning session.

use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;
use crate::provision::ProvisionSession;

#[derive(Default)]
pub struct Provision {
    session: Option<ProvisionSession>,
}

impl Step for Provision {
    fn name(&self) -> &'static str {
        "provision"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let id = state.instance_id.clone().expect("instance launched");
            let session = self.session.insert(
                ProvisionSession::new(
                    &state.aws,
                    state.region(),
                    &id,
                    &state.build_id,
                    &state.recipe_name,
                    state.source.staging_bucket.clone(),
                    state.source.state_timeout,
                    state.ui.clone(),
                )
                .with_account_id(state.account_id.clone()),
            );
            session
                .run(&state.source.name, &state.build.provisioners)
                .await
        })
    }

    fn cleanup<'a>(&'a mut self, _state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            match self.session.as_mut() {
                Some(s) => s.cleanup().await,
                None => Ok(()),
            }
        })
    }
}
