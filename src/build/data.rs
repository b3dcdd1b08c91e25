//! Data sources and `aws_secretsmanager()` against AWS: the [`Remote`] that
//! `amibake build` gives the recipe loader, so they are evaluated once,
//! before anything is launched.
//!
//! The loader is synchronous (it is also what `validate` runs, with no
//! runtime at all); these calls block their worker thread on the build's
//! runtime (`block_in_place`), which is multi-threaded.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::aws::{error_code, sdk_error, Aws};
use crate::recipe::lang::Value;
use crate::recipe::{AmiFilter, DataFetch, Fetch, Remote};

/// AWS for the recipe loader, in the build's default region.
#[derive(Clone, Debug)]
pub struct AwsRemote {
    aws: Aws,
    region: String,
}

impl AwsRemote {
    pub fn remote(aws: Aws, region: String) -> Remote {
        let r = Arc::new(AwsRemote { aws, region });
        Remote {
            data: r.clone(),
            secrets: r,
        }
    }

    fn block<T>(&self, fut: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fut))
    }

    fn region_of(&self, args: &BTreeMap<String, Value>) -> String {
        text(args, "region").unwrap_or_else(|| self.region.clone())
    }

    fn secret_value(
        &self,
        region: &str,
        name: &str,
        version_id: Option<String>,
        stage: Option<String>,
    ) -> Result<(String, Option<String>, String), String> {
        let sm = self.aws.secretsmanager(region);
        let out = self
            .block(
                sm.get_secret_value()
                    .secret_id(name)
                    .set_version_id(version_id)
                    .set_version_stage(stage)
                    .send(),
            )
            .map_err(|e| match error_code(&e) {
                Some("ResourceNotFoundException") => {
                    format!("secret `{name}` does not exist in {region}")
                }
                _ => sdk_error("secretsmanager:GetSecretValue", &e).to_string(),
            })?;
        let string = out.secret_string().unwrap_or_default().to_owned();
        let binary = out
            .secret_binary()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
        Ok((
            string,
            binary,
            out.version_id().unwrap_or_default().to_owned(),
        ))
    }
}

fn text(args: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    args.get(name)
        .and_then(Value::to_text)
        .filter(|s| !s.is_empty())
}

fn flag(args: &BTreeMap<String, Value>, name: &str) -> bool {
    matches!(args.get(name), Some(Value::Bool(true)))
        || args.get(name).and_then(Value::as_str) == Some("true")
}

/// One key of a secret's JSON object, as Packer's amazon-secretsmanager
/// data source and function read it.
fn secret_key(secret: &str, key: &str) -> Result<String, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(secret)
        .map_err(|_| format!("the secret is not a JSON object, so it has no key `{key}`"))?;
    match map.get(key) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(format!("the secret has no key `{key}`")),
    }
}

impl DataFetch for AwsRemote {
    fn fetch(&self, kind: &str, args: &BTreeMap<String, Value>) -> Result<Value, String> {
        let region = self.region_of(args);
        match kind {
            "amazon-ami" => {
                let mut filters = BTreeMap::new();
                if let Some(Value::Map(m)) = args.get("filters") {
                    for (k, v) in m {
                        let vals = match v {
                            Value::List(xs) => xs.iter().filter_map(Value::to_text).collect(),
                            // Packer splits a string at commas (as for source_ami_filter).
                            other => other
                                .to_text()
                                .map(|t| crate::recipe::filters::split_values(&t))
                                .unwrap_or_default(),
                        };
                        filters.insert(k.clone(), vals);
                    }
                }
                let f = AmiFilter {
                    filters,
                    owners: match args.get("owners") {
                        Some(Value::List(xs)) => xs.iter().filter_map(Value::to_text).collect(),
                        _ => Vec::new(),
                    },
                    most_recent: flag(args, "most_recent"),
                    include_deprecated: flag(args, "include_deprecated"),
                };
                let ec2 = self.aws.ec2(&region);
                let image = self
                    .block(super::steps::source_ami::by_filter(&ec2, &f, &region, "data \"amazon-ami\""))
                    .map_err(|e| e.to_string())?;
                let facts = super::steps::source_ami::facts(&image);
                Ok(Value::Map(BTreeMap::from([
                    ("id".into(), Value::String(facts.id)),
                    ("name".into(), Value::String(facts.name)),
                    ("creation_date".into(), Value::String(facts.creation_date)),
                    ("owner".into(), Value::String(facts.owner)),
                    ("owner_name".into(), Value::String(facts.owner_name)),
                    (
                        "tags".into(),
                        Value::Map(facts.tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
                    ),
                ])))
            }
            "amazon-parameterstore" => {
                let name = text(args, "name").unwrap_or_default();
                let ssm = self.aws.ssm(&region);
                let out = self
                    .block(ssm.get_parameter().name(&name).with_decryption(flag(args, "with_decryption")).send())
                    .map_err(|e| match error_code(&e) {
                        Some("ParameterNotFound") => format!("SSM parameter `{name}` does not exist in {region}"),
                        _ => sdk_error("ssm:GetParameter", &e).to_string(),
                    })?;
                let p = out.parameter().ok_or_else(|| format!("SSM parameter `{name}` has no value"))?;
                Ok(Value::Map(BTreeMap::from([
                    ("value".into(), Value::String(p.value().unwrap_or_default().to_owned())),
                    ("version".into(), Value::Number(p.version() as f64)),
                    ("arn".into(), Value::String(p.arn().unwrap_or_default().to_owned())),
                ])))
            }
            "amazon-secretsmanager" => {
                let name = text(args, "name").unwrap_or_default();
                let (string, binary, version_id) =
                    self.secret_value(&region, &name, text(args, "version_id"), text(args, "version_stage"))?;
                let value = match text(args, "key") {
                    Some(key) => secret_key(&string, &key)?,
                    None => string.clone(),
                };
                Ok(Value::Map(BTreeMap::from([
                    ("value".into(), Value::String(value)),
                    ("secret_string".into(), Value::String(string)),
                    ("secret_binary".into(), Value::String(binary.unwrap_or_default())),
                    ("version_id".into(), Value::String(version_id)),
                ])))
            }
            "null" => Ok(Value::Map(BTreeMap::from([(
                "output".into(),
                args.get("input").cloned().unwrap_or(Value::Null),
            )]))),
            other => Err(format!(
                "data \"{other}\" cannot be evaluated by amibake's build yet; use a variable (--var) for this value"
            )),
        }
    }
}

impl Fetch for AwsRemote {
    fn secret(&self, name: &str, key: Option<&str>) -> Result<String, String> {
        let (string, _, _) = self.secret_value(&self.region, name, None, None)?;
        match key {
            Some(k) => secret_key(&string, k),
            None => Ok(string),
        }
    }
}
