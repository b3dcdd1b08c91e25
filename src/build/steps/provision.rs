//! Run the build's provisioners through a provisioning session.

use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;
use crate::provision::ProvisionSession;
use crate::recipe::Provisioner;

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
                .with_account_id(state.account_id.clone())
                .with_legacy_context(state.legacy_context(state.region())),
            );
            let provisioners = rendered(state)?;
            session.run(&state.source.name, &provisioners).await
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

/// The provisioners with Packer's legacy `{{ }}` and `build.*` rendered in
/// commands, environment values and file destinations, now that the build's
/// values exist (local ones render their own, from the session's context).
fn rendered(state: &BuildState) -> Result<Vec<Provisioner>> {
    let region = state.region();
    let render = |what: &str, text: &str| state.render(what, text, region);
    state
        .build
        .provisioners
        .iter()
        .map(|p| {
            Ok(match p {
                Provisioner::Shell(s) => {
                    let mut s = s.clone();
                    for line in &mut s.inline {
                        *line = render("inline", line)?;
                    }
                    for (k, v) in &mut s.environment_vars {
                        *v = render(k, v)?;
                    }
                    Provisioner::Shell(s)
                }
                Provisioner::File(f) => {
                    let mut f = f.clone();
                    f.destination = render("destination", &f.destination)?;
                    Provisioner::File(f)
                }
                // They render their own: `execute_command` per script.
                Provisioner::ShellLocal(_) | Provisioner::Breakpoint(_) => p.clone(),
            })
        })
        .collect()
}
