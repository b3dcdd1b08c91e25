//! One build's provisioning of one instance: runs the recipe's provisioners in
//! order and removes what it staged.
//!
//! IN PROGRESS: the public API is final; the implementation is being written.

use std::time::Duration;

use crate::aws::Aws;
use crate::error::{Error, Result};
use crate::recipe::Provisioner;
use crate::ui::Ui;

/// Provisions one instance over SSM Run Command.
pub struct ProvisionSession {
    #[allow(dead_code)]
    aws: Aws,
    #[allow(dead_code)]
    region: String,
    #[allow(dead_code)]
    instance_id: String,
    #[allow(dead_code)]
    build_id: String,
    #[allow(dead_code)]
    recipe_name: String,
    #[allow(dead_code)]
    staging_bucket: Option<String>,
    #[allow(dead_code)]
    state_timeout: Duration,
    #[allow(dead_code)]
    ui: Ui,
}

impl ProvisionSession {
    /// `staging_bucket`: the recipe's bucket for large uploads and long output;
    /// `None` means the session creates (and `cleanup` removes) its own.
    /// `state_timeout` bounds waits for the instance to come back online.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        aws: &Aws,
        region: &str,
        instance_id: &str,
        build_id: &str,
        recipe_name: &str,
        staging_bucket: Option<String>,
        state_timeout: Duration,
        ui: Ui,
    ) -> Self {
        ProvisionSession {
            aws: aws.clone(),
            region: region.to_owned(),
            instance_id: instance_id.to_owned(),
            build_id: build_id.to_owned(),
            recipe_name: recipe_name.to_owned(),
            staging_bucket,
            state_timeout,
            ui,
        }
    }

    /// Run `provisioners` in order on the instance for source `source_name`
    /// (provisioners whose `only`/`except` exclude it are skipped).
    pub async fn run(&mut self, _source_name: &str, provisioners: &[Provisioner]) -> Result<()> {
        if provisioners.is_empty() {
            return Ok(());
        }
        Err(Error::build("provisioning is not implemented yet"))
    }

    /// Cancel a command still running and remove staged objects (and the
    /// staging bucket when this session created it). Safe to call twice.
    pub async fn cleanup(&mut self) -> Result<()> {
        Ok(())
    }
}
