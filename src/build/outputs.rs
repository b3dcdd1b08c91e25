//! Outputs for deployment tools: CloudFormation parameter files, SSM
//! parameters holding the AMI ID, and `GITHUB_OUTPUT`.

use std::io::Write;
use std::path::Path;

use aws_sdk_ssm::types::ParameterType;
use futures::stream::{self, StreamExt};
use serde_json::json;

use super::manifest::write_atomic;
use super::RegionImage;
use crate::aws::{sdk_error, Aws};
use crate::error::{Error, Result};
use crate::recipe::CfnParamFormat;

/// The parameter file text: `{"Parameters": {NAME: AMI}}` for
/// `aws cloudformation deploy --parameter-overrides file://F`, or
/// `[{"ParameterKey", "ParameterValue"}]` for `create-stack --parameters file://F`.
pub fn cfn_parameters(format: CfnParamFormat, name: &str, ami: &str) -> String {
    let v = match format {
        CfnParamFormat::Deploy => json!({ "Parameters": { name: ami } }),
        CfnParamFormat::CreateStack => json!([{ "ParameterKey": name, "ParameterValue": ami }]),
    };
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

pub fn write_cfn_parameters(
    path: &Path,
    format: CfnParamFormat,
    name: &str,
    ami: &str,
) -> Result<()> {
    write_atomic(path, &cfn_parameters(format, name, ami))
}

/// Put the AMI ID into `name` in every region (data type `aws:ec2:image`,
/// so CloudFormation and launch templates can reference it).
pub async fn put_ssm_parameters(
    aws: &Aws,
    name: &str,
    description: Option<&str>,
    images: &[(String, RegionImage)],
) -> Result<()> {
    let results: Vec<Result<()>> = stream::iter(images.iter().cloned())
        .map(|(region, img)| async move {
            aws.ssm(&region)
                .put_parameter()
                .name(name)
                .value(&img.ami_id)
                .r#type(ParameterType::String)
                .data_type("aws:ec2:image")
                .set_description(description.map(str::to_owned))
                .overwrite(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    sdk_error("ssm:PutParameter", &e)
                        .context(format!("parameter {name} in {region}"))
                })
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Append `key=value` lines to `path` (what `GITHUB_OUTPUT` names):
/// `ami_id` (build region), `ami_ids` (JSON region → AMI) and the same
/// prefixed with the source name.
pub fn write_github_output(
    path: &Path,
    source: &str,
    images: &[(String, RegionImage)],
) -> Result<()> {
    let ids: serde_json::Map<String, serde_json::Value> = images
        .iter()
        .map(|(r, i)| (r.clone(), json!(i.ami_id)))
        .collect();
    let ids = serde_json::Value::Object(ids).to_string();
    let first = images
        .first()
        .map(|(_, i)| i.ami_id.clone())
        .unwrap_or_default();
    let key = source.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let text =
        format!("ami_id={first}\nami_ids={ids}\n{key}_ami_id={first}\n{key}_ami_ids={ids}\n");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::build(format!("cannot open GITHUB_OUTPUT {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfn_formats() {
        let d: serde_json::Value =
            serde_json::from_str(&cfn_parameters(CfnParamFormat::Deploy, "AmiId", "ami-1"))
                .unwrap();
        assert_eq!(d, json!({"Parameters": {"AmiId": "ami-1"}}));
        let c: serde_json::Value = serde_json::from_str(&cfn_parameters(
            CfnParamFormat::CreateStack,
            "AmiId",
            "ami-1",
        ))
        .unwrap();
        assert_eq!(
            c,
            json!([{"ParameterKey": "AmiId", "ParameterValue": "ami-1"}])
        );
    }
}
