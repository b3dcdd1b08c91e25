//! Input variables: declarations, the sources of their values, precedence,
//! type conversion and validation.
//!
//! Precedence, lowest to highest (Packer's order, with amibake's own
//! environment prefix above Packer's):
//! 1. `default` in the `variable` block (or a legacy `variables { }` block)
//! 2. `PKR_VAR_name` in the environment
//! 3. `AMIBAKE_VAR_name` in the environment
//! 4. `*.auto.pkrvars.hcl` / `*.auto.pkrvars.json` beside the template (name order)
//! 5. `--var-file FILE`, in the order given
//! 6. `--var name=value`, in the order given

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Body};
use hcl::edit::Span;

use super::diag::{suggest, Diagnostic, Severity};
use super::fields::Fields;
use super::lang::{Evaluator, Scope, Type, Value};
use super::loader::{collect_strings, Loader};
use super::model::VariableValue;
use super::Inputs;

/// One declared variable.
pub(crate) struct Declared<'b> {
    pub name: String,
    pub ty: Type,
    pub sensitive: bool,
    pub nullable: bool,
    pub default: Option<Value>,
    pub span: Option<Range<usize>>,
    pub validations: Vec<&'b Block>,
}

/// Read every `variable` block and every attribute of `variables { }`.
pub(crate) fn declare<'b>(l: &mut Loader, body: &'b Body) -> Vec<Declared<'b>> {
    let mut out: Vec<Declared<'b>> = Vec::new();
    // Defaults may call env() (as Packer allows) but reference nothing.
    let empty = Scope::default();
    let mut default_fns = l.fns.clone();
    default_fns.allow_env = true;
    let mut push = |l: &mut Loader, d: Declared<'b>| {
        if out.iter().any(|x| x.name == d.name) {
            l.error(
                d.span.clone(),
                format!("variable `{}` is declared more than once", d.name),
            )
            .hint = Some("every variable is declared once, in one file".into());
        } else {
            out.push(d);
        }
    };
    for block in body.get_blocks("variable") {
        let Some(name) = single_label(l, block, "variable", "variable \"region\" { ... }") else {
            continue;
        };
        let mut f = Fields::of_block(block, format!("variable \"{name}\""));
        let ty = match f.attr("type") {
            None => Type::Any,
            Some(attr) => {
                let mut ev = Evaluator::new(&empty, &default_fns);
                match super::lang::types::parse_type(&attr.value, &mut ev) {
                    Ok(t) => t,
                    Err(msg) => {
                        l.error(attr.value.span(), format!("variable `{name}`: {msg}"));
                        Type::Any
                    }
                }
            }
        };
        let default = f.attr("default").and_then(|attr| {
            let v = eval_alone(l, &attr.value, &empty, &default_fns)?;
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
        let nullable = f.bool(l, "nullable").unwrap_or(true);
        let _ = f.string(l, "description");
        let validations = f.blocks("validation");
        f.finish(l);
        push(
            l,
            Declared {
                name,
                ty,
                sensitive,
                nullable,
                default,
                span: block.ident.span(),
                validations,
            },
        );
    }
    // Packer's older form: variables { name = default, ... }.
    for block in body.get_blocks("variables") {
        for attr in block.body.attributes() {
            let default = eval_alone(l, &attr.value, &empty, &default_fns);
            push(
                l,
                Declared {
                    name: attr.key.as_str().to_owned(),
                    ty: Type::Any,
                    sensitive: false,
                    nullable: true,
                    default,
                    span: attr.key.span(),
                    validations: Vec::new(),
                },
            );
        }
        for inner in block.body.blocks() {
            l.error(inner.ident.span(), "a `variables` block holds attributes only")
                .hint = Some("declare a variable with options as variable \"NAME\" { type = ..., default = ... }".into());
        }
    }
    out
}

/// Evaluate with a scope of its own (defaults and var files see no
/// variables), reporting errors through the loader.
fn eval_alone(
    l: &mut Loader,
    expr: &Expression,
    scope: &Scope,
    fns: &super::lang::FnCtx,
) -> Option<Value> {
    let mut ev = Evaluator::new(scope, fns);
    match ev.eval(expr) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span.clone().or_else(|| expr.span());
            let d = l.error(span, e.message);
            d.hint = e.hint.or_else(|| {
                Some("variable defaults cannot refer to other variables or locals".into())
            });
            None
        }
    }
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

enum Raw {
    Value(Value),
    /// From the command line or environment: a string for string variables,
    /// an HCL expression (`["a","b"]`, `3`, `true`) for the others.
    Text(String),
}

/// Assign every declared variable its final value, declare `var` in the
/// scope, then run validations.
pub(crate) fn resolve(
    l: &mut Loader,
    declared: &[Declared<'_>],
    inputs: &Inputs,
    auto_var_files: &[PathBuf],
) -> BTreeMap<String, VariableValue> {
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
    for file in auto_var_files.iter().chain(&inputs.var_files) {
        read_var_file(l, file, declared, &mut chosen);
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

    let mut out: BTreeMap<String, (Value, String, bool)> = BTreeMap::new();
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
            Raw::Text(t) => text_value(l, &d.ty, &t),
        };
        match value {
            Ok(Value::Null) if !d.nullable => {
                l.error(
                    d.span.clone(),
                    format!(
                        "variable `{}` from {origin} is null, but it is declared nullable = false",
                        d.name
                    ),
                );
            }
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

    // A variable without a value (its error is reported) reads as unknown,
    // so expressions using it are still checked without repeating the error.
    let mut vars: BTreeMap<String, Value> = out
        .iter()
        .map(|(k, (v, _, _))| (k.clone(), v.clone()))
        .collect();
    for d in declared {
        vars.entry(d.name.clone())
            .or_insert_with(|| Value::Unknown(d.ty.clone()));
    }
    l.scope.set("var", Value::Map(vars));
    for (k, (v, _, sensitive)) in &out {
        if *sensitive {
            l.scope.sensitive.insert(format!("var.{k}"));
            collect_strings(v, &mut l.secrets);
        }
    }
    for d in declared {
        if out.contains_key(&d.name) {
            for block in &d.validations {
                validate(l, &d.name, block);
            }
        }
    }
    out.into_iter()
        .map(|(k, (v, origin, sensitive))| {
            (
                k,
                VariableValue {
                    value: v.to_json(),
                    sensitive,
                    origin,
                },
            )
        })
        .collect()
}

fn text_value(l: &Loader, ty: &Type, text: &str) -> Result<Value, String> {
    if matches!(ty, Type::String) {
        return Ok(Value::String(text.to_owned()));
    }
    let expr = match hcl::edit::parser::parse_expr(text) {
        Ok(e) => e,
        // Unquoted words for `any` variables are strings, as in Packer.
        Err(_) if matches!(ty, Type::Any) => return Ok(Value::String(text.to_owned())),
        Err(e) => {
            return Err(format!(
                "`{text}` is not a valid {ty} value: {}",
                e.message().lines().next().unwrap_or("")
            ))
        }
    };
    // A bare word for `any` is a string too (it would read as a reference).
    if matches!(ty, Type::Any) && matches!(expr, Expression::Variable(_)) {
        return Ok(Value::String(text.to_owned()));
    }
    let scope = Scope::default();
    let v = Evaluator::new(&scope, &l.fns)
        .eval(&expr)
        .map_err(|e| e.message)?;
    ty.convert(v)
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
            l.diags.push(Diagnostic::error(
                file,
                1,
                1,
                format!("cannot read variable file: {e}"),
            ));
            return;
        }
    };
    let pairs: Vec<(String, Value, usize)> = if file.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text) {
            Ok(m) => m
                .into_iter()
                .map(|(k, v)| (k, Value::from_json(&v), 1))
                .collect(),
            Err(e) => {
                l.diags.push(Diagnostic::error(
                    file,
                    e.line(),
                    e.column(),
                    format!("invalid JSON variable file: {e}"),
                ));
                return;
            }
        }
    } else {
        let body = match hcl::edit::parser::parse_body(&text) {
            Ok(b) => b,
            Err(e) => {
                let loc = e.location();
                l.diags.push(Diagnostic::error(
                    file,
                    loc.line(),
                    loc.column(),
                    format!("syntax error: {}", e.message().lines().next().unwrap_or("")),
                ));
                return;
            }
        };
        let line_of = |off: usize| text[..off.min(text.len())].matches('\n').count() + 1;
        let scope = Scope::default();
        let mut pairs = Vec::new();
        for attr in body.attributes() {
            let line = attr.key.span().map(|s| line_of(s.start)).unwrap_or(1);
            match Evaluator::new(&scope, &l.fns).eval(&attr.value) {
                Ok(v) => pairs.push((attr.key.as_str().to_owned(), v, line)),
                Err(e) => {
                    let line = e.span.map(|s| line_of(s.start)).unwrap_or(line);
                    l.diags.push(Diagnostic::error(file, line, 1, e.message));
                }
            }
        }
        for b in body.blocks() {
            let line = b.ident.span().map(|s| line_of(s.start)).unwrap_or(1);
            l.diags.push(
                Diagnostic::error(
                    file,
                    line,
                    1,
                    format!(
                        "variable files hold `name = value` lines only, found a `{}` block",
                        b.ident.as_str()
                    ),
                )
                .with_hint("blocks belong in *.pkr.hcl template files"),
            );
        }
        pairs
    };
    for (name, value, line) in pairs {
        if declared.iter().any(|d| d.name == name) {
            chosen.insert(name, (Raw::Value(value), origin.clone()));
        } else {
            // Packer warns here rather than failing: a shared var file may
            // serve several templates.
            let mut d = Diagnostic::error(
                file,
                line,
                1,
                format!("variable file sets `{name}`, which the recipe does not declare; ignored"),
            );
            d.severity = Severity::Warning;
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
        Some(Value::Bool(true)) | Some(Value::Unknown(_)) | None => {}
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
                    other.type_name()
                ),
            );
        }
    }
}
