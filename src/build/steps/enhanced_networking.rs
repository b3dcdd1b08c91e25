//! Packer's `ena_support` and `sriov_support`: set on the stopped instance
//! (ModifyInstanceAttribute) so that CreateImage gives the image the same
//! enhanced-networking attributes.

use aws_sdk_ec2::types::{AttributeBooleanValue, AttributeValue};

use crate::aws::sdk_error;
use crate::build::{BuildState, Step, StepFuture};
use crate::error::Result;

pub struct EnhancedNetworking;

impl Step for EnhancedNetworking {
    fn name(&self) -> &'static str {
        "enhanced networking"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            let src = &state.source;
            // No image, so nothing to give the attributes to (and the
            // instance was not stopped, which AWS requires).
            if src.skip_create_ami || (src.ena_support.is_none() && !src.sriov_support) {
                return Ok(());
            }
            let step = state
                .ui
                .step(&format!("{}: enhanced networking", state.label()));
            let id = state.instance_id.clone().expect("instance launched");
            let ec2 = state.aws.ec2(state.region());
            let r = async {
                if src.sriov_support {
                    ec2.modify_instance_attribute()
                        .instance_id(&id)
                        .sriov_net_support(AttributeValue::builder().value("simple").build())
                        .send()
                        .await
                        .map_err(|e| {
                            sdk_error("ec2:ModifyInstanceAttribute(sriovNetSupport)", &e)
                        })?;
                }
                // Packer's trilean: false disables ENA, unset leaves it.
                if let Some(on) = src.ena_support {
                    ec2.modify_instance_attribute()
                        .instance_id(&id)
                        .ena_support(AttributeBooleanValue::builder().value(on).build())
                        .send()
                        .await
                        .map_err(|e| sdk_error("ec2:ModifyInstanceAttribute(enaSupport)", &e))?;
                }
                Ok(())
            }
            .await;
            step.report(r, |_| {
                let mut done = Vec::new();
                if src.sriov_support {
                    done.push("SR-IOV enabled");
                }
                match src.ena_support {
                    Some(true) => done.push("ENA enabled"),
                    Some(false) => done.push("ENA disabled"),
                    None => {}
                }
                done.join(", ")
            })
        })
    }
}
