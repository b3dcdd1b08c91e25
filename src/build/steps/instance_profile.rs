//! A temporary IAM role and instance profile so the instance can register
//! with Systems Manager, unless the recipe names `iam_instance_profile`.
//!
//! The role gets only `AmazonSSMManagedInstanceCore`. IAM is eventually
//! consistent: `RunInstances` may refuse a fresh profile for seconds; the
//! launch step retries that specific error instead of sleeping here.

use crate::aws::{error_code, sdk_error};
use crate::build::{tags, BuildState, Step, StepFuture};
use crate::error::Result;

pub const SSM_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
/// Roles and profiles live under this path so `amibake cleanup` can list
/// them cheaply.
pub const IAM_PATH: &str = "/amibake/";

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub struct InstanceProfile;

impl Step for InstanceProfile {
    fn name(&self) -> &'static str {
        "instance profile"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if let Some(p) = &state.source.iam_instance_profile {
                state.launch_profile = Some(p.clone());
                return Ok(());
            }
            let step = state
                .ui
                .step(&format!("{}: temporary instance profile", state.label()));
            let name = format!("amibake-{}", state.build_id);
            // Recorded first: cleanup tolerates a half-made profile.
            state.temp_profile = Some(name.clone());
            let iam = state.aws.iam(state.region());
            let tags = tags::iam_tags(state);
            let r: Result<()> = async {
                iam.create_role()
                    .role_name(&name)
                    .path(IAM_PATH)
                    .assume_role_policy_document(ASSUME_ROLE_POLICY)
                    .description(format!("amibake build {} (temporary)", state.build_id))
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("iam:CreateRole", &e))?;
                let attach = async {
                    iam.attach_role_policy()
                        .role_name(&name)
                        .policy_arn(SSM_POLICY_ARN)
                        .send()
                        .await
                        .map_err(|e| sdk_error("iam:AttachRolePolicy", &e))
                };
                let profile = async {
                    iam.create_instance_profile()
                        .instance_profile_name(&name)
                        .path(IAM_PATH)
                        .set_tags(Some(tags.clone()))
                        .send()
                        .await
                        .map_err(|e| sdk_error("iam:CreateInstanceProfile", &e))?;
                    iam.add_role_to_instance_profile()
                        .instance_profile_name(&name)
                        .role_name(&name)
                        .send()
                        .await
                        .map_err(|e| sdk_error("iam:AddRoleToInstanceProfile", &e))
                };
                futures::try_join!(attach, profile)?;
                Ok(())
            }
            .await;
            step.report(r, |_| name.clone())?;
            state.launch_profile = Some(name);
            Ok(())
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.released {
                return Ok(());
            }
            match &state.temp_profile {
                Some(name) => delete_role_and_profile(&state.aws.iam(state.region()), name).await,
                None => Ok(()),
            }
        })
    }
}

/// Remove a role/profile pair of the same name, tolerating parts that do
/// not exist. Also used by `amibake cleanup`.
pub async fn delete_role_and_profile(iam: &aws_sdk_iam::Client, name: &str) -> Result<()> {
    let profile = async {
        match iam
            .remove_role_from_instance_profile()
            .instance_profile_name(name)
            .role_name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("NoSuchEntity") => {}
            Err(e) => return Err(sdk_error("iam:RemoveRoleFromInstanceProfile", &e)),
        }
        match iam
            .delete_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(()),
            Err(e) => Err(sdk_error("iam:DeleteInstanceProfile", &e)),
        }
    };
    let detach = async {
        match iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(SSM_POLICY_ARN)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(()),
            Err(e) => Err(sdk_error("iam:DetachRolePolicy", &e)),
        }
    };
    futures::try_join!(profile, detach)?;
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some("NoSuchEntity") => Ok(()),
        Err(e) => Err(sdk_error("iam:DeleteRole", &e)),
    }
}
