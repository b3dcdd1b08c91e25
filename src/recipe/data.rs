//! `data "TYPE" "NAME" { ... }`: Packer's data sources, one row per kind.
//!
//! Reading a data block checks its arguments against its row. What it
//! returns comes from a [`DataFetch`] given to [`super::load_with`]: `build`
//! passes one that calls AWS, once per data block and before anything is
//! launched; `validate` passes none (as `packer validate` without
//! `-evaluate-datasources`), and every result is then an unknown value of the
//! kind's output type, so the rest of the template is still checked.

use std::collections::BTreeMap;

use hcl::edit::structure::Block;

use super::fields::Fields;
use super::lang::value::ObjectAttr;
use super::lang::{Type, Value};
use super::loader::Loader;

/// Runs data sources. Implemented outside `recipe/` (it needs the SDK).
pub trait DataFetch: Send + Sync {
    /// Evaluate one data block of `kind` with its checked arguments; the
    /// result is an object with the kind's attributes.
    fn fetch(&self, kind: &str, args: &BTreeMap<String, Value>) -> Result<Value, String>;
}

/// One kind of data source: its arguments (name, type, required) and the
/// attributes it returns.
pub struct DataKind {
    pub kind: &'static str,
    pub args: &'static [(&'static str, ArgType, bool)],
    pub outputs: &'static [(&'static str, OutType)],
    /// Results are secrets: redacted wherever they appear.
    pub sensitive: bool,
    pub doc: &'static str,
}

#[derive(Clone, Copy)]
pub enum ArgType {
    String,
    Bool,
    StringList,
    /// `filters = { name = "x" or ["x", "y"] }`.
    Filters,
    StringMap,
    Any,
}

#[derive(Clone, Copy)]
pub enum OutType {
    String,
    Number,
    StringMap,
    Any,
}

/// Arguments of the AWS access configuration that Packer's amazon data
/// sources also accept; amibake uses the command's credentials and region
/// for them, as for the sources.
const ACCESS: &[&str] = &[
    "access_key",
    "secret_key",
    "token",
    "profile",
    "shared_credentials_file",
    "assume_role",
    "custom_endpoint_ec2",
    "skip_credential_validation",
    "skip_metadata_api_check",
    "insecure_skip_tls_verify",
    "max_retries",
    "mfa_code",
    "skip_region_validation",
    "vault_aws_engine",
    "decode_authorization_messages",
    "aws_polling",
];

pub static DATA_SOURCES: &[DataKind] = &[
    DataKind {
        kind: "amazon-ami",
        args: &[
            ("filters", ArgType::Filters, false),
            ("owners", ArgType::StringList, false),
            ("most_recent", ArgType::Bool, false),
            ("include_deprecated", ArgType::Bool, false),
            ("region", ArgType::String, false),
        ],
        outputs: &[
            ("id", OutType::String),
            ("name", OutType::String),
            ("creation_date", OutType::String),
            ("owner", OutType::String),
            ("owner_name", OutType::String),
            ("tags", OutType::StringMap),
        ],
        sensitive: false,
        doc: "the AMI that matches `filters` and `owners` (DescribeImages)",
    },
    DataKind {
        kind: "amazon-parameterstore",
        args: &[
            ("name", ArgType::String, true),
            ("with_decryption", ArgType::Bool, false),
            ("region", ArgType::String, false),
        ],
        outputs: &[
            ("value", OutType::String),
            ("version", OutType::Number),
            ("arn", OutType::String),
        ],
        sensitive: false,
        doc: "an SSM parameter's value (GetParameter)",
    },
    DataKind {
        kind: "amazon-secretsmanager",
        args: &[
            ("name", ArgType::String, true),
            ("key", ArgType::String, false),
            ("version_id", ArgType::String, false),
            ("version_stage", ArgType::String, false),
            ("region", ArgType::String, false),
        ],
        outputs: &[
            ("value", OutType::String),
            ("secret_string", OutType::String),
            ("secret_binary", OutType::String),
            ("version_id", OutType::String),
        ],
        sensitive: true,
        doc: "a Secrets Manager secret (GetSecretValue); every result is sensitive",
    },
    DataKind {
        kind: "null",
        args: &[("input", ArgType::Any, true)],
        outputs: &[("output", OutType::Any)],
        sensitive: false,
        doc: "`output` is `input` (for tests and plumbing)",
    },
    DataKind {
        kind: "http",
        args: &[
            ("url", ArgType::String, true),
            ("request_headers", ArgType::StringMap, false),
            ("method", ArgType::String, false),
            ("request_body", ArgType::String, false),
        ],
        outputs: &[
            ("url", OutType::String),
            ("request_headers", OutType::StringMap),
            ("body", OutType::String),
        ],
        sensitive: false,
        doc: "one HTTP request (2xx, text or JSON); `request_headers` holds the response's headers, as in Packer",
    },
];

pub fn kind(name: &str) -> Option<&'static DataKind> {
    DATA_SOURCES.iter().find(|k| k.kind == name)
}

impl DataKind {
    /// The value of a data block not run yet: its attributes, all unknown.
    pub fn unknown(&self) -> Value {
        Value::Unknown(Type::Object(
            self.outputs
                .iter()
                .map(|(n, t)| {
                    (
                        n.to_string(),
                        ObjectAttr {
                            ty: match t {
                                OutType::String => Type::String,
                                OutType::Number => Type::Number,
                                OutType::StringMap => Type::Map(Box::new(Type::String)),
                                OutType::Any => Type::Any,
                            },
                            optional: false,
                            default: None,
                        },
                    )
                })
                .collect(),
        ))
    }
}

/// Read a data block's arguments against its kind. `None` when they have
/// errors (reported) or are not all known yet.
pub(crate) fn read_args(
    l: &mut Loader,
    k: &DataKind,
    block: &Block,
    what: &str,
) -> Option<BTreeMap<String, Value>> {
    let mark = l.mark();
    let mut f = Fields::of_block(block, what.to_owned());
    let mut args = BTreeMap::new();
    let mut known = true;
    for (name, ty, required) in k.args {
        if *required && !f.is_set(l, name) {
            let span = f.span();
            l.error(span, format!("{what} needs `{name}`"));
            continue;
        }
        let Some((v, span)) = f.value(l, name) else {
            continue;
        };
        known &= v.is_wholly_known();
        let ok = match ty {
            ArgType::String => v.to_text().is_some() || v.is_unknown(),
            ArgType::Bool => {
                matches!(v, Value::Bool(_) | Value::Unknown(_))
                    || matches!(v.as_str(), Some("true" | "false"))
            }
            ArgType::StringList => {
                matches!(&v, Value::List(xs) if xs.iter().all(|x| x.to_text().is_some() || x.is_unknown()))
                    || v.is_unknown()
            }
            ArgType::Filters | ArgType::StringMap => matches!(v, Value::Map(_) | Value::Unknown(_)),
            ArgType::Any => true,
        };
        if !ok {
            l.error(
                span,
                format!("`{name}` of {what} has the wrong type: {}", v.type_name()),
            );
            continue;
        }
        args.insert(name.to_string(), v);
    }
    if k.kind == "amazon-ami" {
        // Packer's filter block form: filter { name = "...", values = [...] } is
        // not part of amazon-ami; owners are needed as for source_ami_filter.
        if !args.contains_key("owners") && !l.errors_since(mark) {
            l.error(f.span(), format!("{what} needs `owners`"))
                .hint = Some("without owners anyone's public image could match; use owners = [\"amazon\"] or an account ID".into());
        }
    }
    if k.kind.starts_with("amazon-") {
        f.ignore(ACCESS, "amibake uses the credentials and region of the command (--profile, --region, the environment); `region` is honoured");
    }
    f.finish(l);
    if l.errors_since(mark) || !known {
        return None;
    }
    Some(args)
}

/// The data source table as docs/recipes.md embeds it.
pub fn docs_table() -> String {
    let mut out = String::from("| data source | arguments (required in bold) | attributes | what it reads |\n|---|---|---|---|\n");
    for k in DATA_SOURCES {
        let args: Vec<String> = k
            .args
            .iter()
            .map(|(n, _, req)| {
                if *req {
                    format!("**`{n}`**")
                } else {
                    format!("`{n}`")
                }
            })
            .collect();
        let outs: Vec<String> = k.outputs.iter().map(|(n, _)| format!("`{n}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            k.kind,
            args.join(", "),
            outs.join(", "),
            k.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_list_exactly_the_data_sources() {
        crate::recipe::lang::functions::tests::check_docs_section(
            "data-sources",
            &super::docs_table(),
        );
    }
}
