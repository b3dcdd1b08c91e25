//! Input variables: declarations, the sources of their values, precedence,
//! type conversion and validation.
//!
//! Precedence, lowest to highest (Packer's order, with amibake's own
//! environment prefix above Packer's):
//! 1. `default` in the `variable` block
//! 2. `PKR_VAR_name` in the environment
//! 3. `AMIBAKE_VAR_name` in the environment
//! 4. `*.auto.pkrvars.hcl` / `*.auto.pkrvars.json` beside the recipe (name order)
//! 5. `--var-file FILE`, in the order given
//! 6. `--var name=value`, in the order given

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::structure::{Block, Body};
use hcl::edit::Span;
use hcl::Value;

use super::fields::Fields;
use super::loader::{suggest, type_name, Loader};
use super::model::VariableValue;
use super::Inputs;

/// One `variable` block.
pub(crate) struct Declared<'b> {
    pub name: String,
    pub ty: VarType,
    pub sensitive: bool,
    pub default: Option<Value>,
    pub span: Option<Range<usize>>,
    pub validations: Vec<&'b Block>,
}

/// The declared type; values from the command line are converted to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VarType {
    Any,
    String,
    Number,
    Bool,
    List(Box<VarType>),
    Map(Box<VarType>),
}

impl VarType {
    fn parse(text: &str) -> Option<VarType> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        Some(match t.as_str() {
            "any" => VarType::Any,
            "string" => VarType::String,
            "number" => VarType::Number,
            "bool" => VarType::Bool,
            _ => {
                let (outer, inner) = t.strip_suffix(')')?.split_once('(')?;
                let inner = Box::new(VarType::parse(inner)?);
                match outer {
                    "list" | "set" | "tuple" => VarType::List(inner),
                    "map" | "object" => VarType::Map(inner),
                    _ => return None,
                }
            }
        })
    }

    fn describe(&self) -> String {
        match self {
            VarType::Any => "any".into(),
            VarType::String => "string".into(),
            VarType::Number => "number".into(),
            VarType::Bool => "bool".into(),
            VarType::List(t) => format!("list({})", t.describe()),
            VarType::Map(t) => format!("map({})", t.describe()),
        }
    }

    /// Convert a value to this type as HCL does (numbers and bools to
    /// strings, numeric strings to numbers), or say why not.
    fn convert(&self, v: Value) -> Result<Value, String> {
        let mismatch = |v: &Value| format!("expected {}, found {}", self.describe(), type_name(v));
        match (self, v) {
            (VarType::Any, v) => Ok(v),
            (_, Value::Null) => Ok(Value::Null),
            (VarType::String, v) => super::fields::as_string(&v)
                .map(Value::String)
                .ok_or_else(|| mismatch(&v)),
            (VarType::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (VarType::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(hcl::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| mismatch(&Value::String(s))),
            (VarType::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (VarType::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (VarType::List(t), Value::Array(a)) => a
                .into_iter()
                .map(|x| t.convert(x))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            (VarType::Map(t), Value::Object(o)) => o
                .into_iter()
                .map(|(k, x)| t.convert(x).map(|x| (k, x)))
                .collect::<Result<hcl::Map<_, _>, _>>()
                .map(Value::Object),
            (_, v) => Err(mismatch(&v)),
        }
    }
}

/// Read every `variable` block of the body.
pub(crate) fn declare<'b>(l: &mut Loader, body: &'b Body) -> Vec<Declared<'b>> {
    let mut out: Vec<Declared<'b>> = Vec::new();
    let mut default_ctx = hcl::eval::Context::new();
    super::functions::declare(&mut default_ctx, true);
    for block in body.get_blocks("variable") {
        let Some(name) = single_label(l, block, "variable", "variable \"region\" { ... }") else {
            continue;
        };
        if out.iter().any(|d| d.name == name) {
            l.error(
                block.ident.span(),
                format!("variable `{name}` is declared more than once"),
            );
            continue;
        }
        let mut f = Fields::of_block(block, format!("variable \"{name}\""));
        let ty = match f.attr("type") {
            None => VarType::Any,
            Some(attr) => {
                let text = attr.value.to_string();
                VarType::parse(&text).unwrap_or_else(|| {
                    l.error(
                        attr.value.span(),
                        format!("unknown type `{}` for variable `{name}`", text.trim()),
                    )
                    .hint = Some("use string, number, bool, list(string) or map(string)".into());
                    VarType::Any
                })
            }
        };
        // Defaults may call env() (as Packer allows) but reference nothing.
        let default = f.attr("default").and_then(|attr| {
            let saved = std::mem::replace(&mut l.ctx, default_ctx.clone());
            let v = l.eval(&attr.value);
            l.ctx = saved;
            let v = v?;
            match ty.convert(v) {
                Ok(v) => Some(v),
                Err(e) => {
                    l.error(
                        attr.value.span(),
                        format!("default of variable `{name}`: {e}"),
                    );
                    None
                }
            }
        });
        let sensitive = f.bool(l, "sensitive").unwrap_or(false);
        let _ = f.string(l, "description");
        let _ = f.attr("nullable");
        let validations = f.blocks("validation");
        f.finish(l);
        out.push(Declared {
            name,
            ty,
            sensitive,
            default,
            span: block.ident.span(),
            validations,
        });
    }
    out
}

/// A block's single label, or an error showing the expected form.
pub(crate) fn single_label(
    l: &mut Loader,
    block: &Block,
    kind: &str,
    example: &str,
) -> Option<String> {
    if block.labels.len() != 1 {
        l.error(
            block.ident.span(),
            format!("a `{kind}` block needs exactly one label"),
        )
        .hint = Some(format!("write it as {example}"));
        return None;
    }
    Some(block.labels[0].as_str().to_owned())
}

/// Assign every declared variable its final value, then run validations.
pub(crate) fn resolve(
    l: &mut Loader,
    declared: &[Declared<'_>],
    inputs: &Inputs,
) -> BTreeMap<String, VariableValue> {
    // (name → (value or raw string, origin, where to report a bad value))
    let mut chosen: BTreeMap<String, (Raw, String)> = BTreeMap::new();
    for d in declared {
        if let Some(v) = &d.default {
            chosen.insert(d.name.clone(), (Raw::Value(v.clone()), "default".into()));
        }
    }
    for prefix in ["PKR_VAR_", "AMIBAKE_VAR_"] {
        for (k, v) in &inputs.env {
            if let Some(name) = k.strip_prefix(prefix) {
                // Only declared variables are set from the environment.
                if declared.iter().any(|d| d.name == name) {
                    chosen.insert(name.to_owned(), (Raw::Text(v.clone()), format!("env:{k}")));
                }
            }
        }
    }
    let mut files: Vec<PathBuf> = auto_var_files(&l.dir);
    files.extend(inputs.var_files.iter().cloned());
    for file in files {
        read_var_file(l, &file, declared, &mut chosen);
    }
    for (name, value) in &inputs.vars {
        if !declared.iter().any(|d| &d.name == name) {
            let hint = match suggest(name, declared.iter().map(|d| d.name.as_str())) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "declare it in the recipe with a variable block".into(),
            };
            l.error(
                None,
                format!("--var sets `{name}`, which the recipe does not declare"),
            )
            .hint = Some(hint);
            continue;
        }
        chosen.insert(name.clone(), (Raw::Text(value.clone()), "--var".into()));
    }

    let mut out = BTreeMap::new();
    for d in declared {
        let Some((raw, origin)) = chosen.remove(&d.name) else {
            l.error(d.span.clone(), format!("variable `{}` is not set", d.name))
                .hint = Some(format!(
                "pass --var {0}=VALUE, set AMIBAKE_VAR_{0}, or give it a default",
                d.name
            ));
            continue;
        };
        let value = match raw {
            Raw::Value(v) => d.ty.convert(v),
            Raw::Text(t) => text_value(&d.ty, &t),
        };
        match value {
            Ok(v) => {
                out.insert(d.name.clone(), (v, origin, d.sensitive));
            }
            Err(e) => {
                l.error(
                    d.span.clone(),
                    format!("variable `{}` from {origin}: {e}", d.name),
                );
            }
        }
    }

    let var_object: hcl::Map<String, Value> = out
        .iter()
        .map(|(k, (v, _, _))| (k.clone(), v.clone()))
        .collect();
    l.ctx.declare_var("var", Value::Object(var_object));
    for d in declared {
        if !out.contains_key(&d.name) {
            continue;
        }
        for block in &d.validations {
            validate(l, &d.name, block);
        }
    }
    out.into_iter()
        .map(|(k, (v, origin, sensitive))| {
            let value = serde_json::to_value(&v).unwrap_or(serde_json::Value::Null);
            (
                k,
                VariableValue {
                    value,
                    sensitive,
                    origin,
                },
            )
        })
        .collect()
}

enum Raw {
    Value(Value),
    /// From the command line or environment: a string for string variables,
    /// an HCL expression (`["a","b"]`, `3`, `true`) for the others.
    Text(String),
}

fn text_value(ty: &VarType, text: &str) -> Result<Value, String> {
    if matches!(ty, VarType::String) {
        return Ok(Value::String(text.to_owned()));
    }
    let expr: hcl::Expression = match text.parse() {
        Ok(e) => e,
        // Unquoted words for `any` variables are strings, as in Packer.
        Err(_) if matches!(ty, VarType::Any) => return Ok(Value::String(text.to_owned())),
        Err(e) => {
            return Err(format!(
                "`{text}` is not a valid {} value: {e}",
                ty.describe()
            ))
        }
    };
    let v = hcl::eval::Evaluate::evaluate(&expr, &hcl::eval::Context::new())
        .map_err(|e| e.to_string())?;
    ty.convert(v)
}

fn auto_var_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    n.ends_with(".auto.pkrvars.hcl") || n.ends_with(".auto.pkrvars.json")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn read_var_file(
    l: &mut Loader,
    file: &Path,
    declared: &[Declared<'_>],
    chosen: &mut BTreeMap<String, (Raw, String)>,
) {
    let origin = format!("var-file:{}", file.display());
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            l.diags.push(super::Diagnostic::error(
                file,
                1,
                1,
                format!("cannot read variable file: {e}"),
            ));
            return;
        }
    };
    let pairs: Vec<(String, Value)> = if file.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text) {
            Ok(m) => m
                .into_iter()
                .map(|(k, v)| (k, hcl::to_value(v).unwrap_or(Value::Null)))
                .collect(),
            Err(e) => {
                l.diags.push(super::Diagnostic::error(
                    file,
                    e.line(),
                    e.column(),
                    format!("invalid JSON variable file: {e}"),
                ));
                return;
            }
        }
    } else {
        let mut sub = Loader::new(file, &text);
        let body = match hcl::edit::parser::parse_body(&text) {
            Ok(b) => b,
            Err(e) => {
                let loc = e.location();
                l.diags.push(super::Diagnostic::error(
                    file,
                    loc.line(),
                    loc.column(),
                    format!("syntax error: {}", e.message()),
                ));
                return;
            }
        };
        super::functions::declare(&mut sub.ctx, false);
        let mut pairs = Vec::new();
        for attr in body.attributes() {
            if let Some(v) = sub.eval(&attr.value) {
                pairs.push((attr.key.as_str().to_owned(), v));
            }
        }
        l.diags.append(&mut sub.diags);
        pairs
    };
    for (name, value) in pairs {
        if declared.iter().any(|d| d.name == name) {
            chosen.insert(name, (Raw::Value(value), origin.clone()));
        } else {
            // Packer warns here rather than failing: a shared var file may
            // serve several recipes.
            let mut d = super::Diagnostic::error(
                file,
                1,
                1,
                format!("variable file sets `{name}`, which the recipe does not declare; ignored"),
            );
            d.severity = super::diag::Severity::Warning;
            l.diags.push(d);
        }
    }
}

fn validate(l: &mut Loader, name: &str, block: &Block) {
    let mut f = Fields::of_block(block, format!("validation of variable `{name}`"));
    let Some(cond) = f.attr("condition") else {
        l.error(block.ident.span(), "a validation block needs a `condition`");
        return;
    };
    let message = f
        .string(l, "error_message")
        .unwrap_or_else(|| format!("invalid value for variable `{name}`"));
    f.finish(l);
    match l.eval(&cond.value) {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            l.error(
                cond.value.span(),
                format!("invalid value for variable `{name}`: {message}"),
            );
        }
        Some(other) => {
            l.error(
                cond.value.span(),
                format!(
                    "validation condition must be true or false, found {}",
                    type_name(&other)
                ),
            );
        }
        None => {}
    }
}
