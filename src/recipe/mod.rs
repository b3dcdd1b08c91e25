//! The recipe language: Packer-compatible HCL2 in, a resolved [`Recipe`] out.
//!
//! Reading happens in passes over one parsed body: variables (with their
//! inputs and validations), locals, sources, builds. Each pass records
//! problems in the [`loader::Loader`] and goes on, so `validate` can report
//! everything at once; the result is returned only when no error was found.

mod build;
pub mod diag;
mod duration;
mod fields;
mod functions;
mod loader;
pub mod model;
mod source;
mod variables;

use std::path::{Path, PathBuf};

use hcl::edit::structure::Body;
use hcl::edit::Span;
use hcl::Value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use duration::parse as parse_duration;
pub use model::*;
pub use source::check_ami_name;

use fields::Fields;
use loader::Loader;

/// Variable inputs from outside the recipe, in the order they were given.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--var NAME=VALUE`, in order.
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in order.
    pub var_files: Vec<PathBuf>,
    /// The process environment (for `AMIBAKE_VAR_*`, `PKR_VAR_*`, `env()`).
    pub env: Vec<(String, String)>,
}

/// Read, evaluate and check a recipe. Every problem found is returned, not
/// just the first; warnings of a good recipe are in `Recipe::warnings`.
pub fn load(path: &Path, inputs: &Inputs) -> Result<Recipe, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics::single(
            Diagnostic::error(path, 1, 1, format!("cannot read recipe: {e}"))
                .with_hint("check the path; recipes are .hcl files"),
        )
    })?;
    load_str(path, &text, inputs)
}

/// [`load`] for text already in memory (`path` is used in messages and to
/// resolve relative paths).
pub fn load_str(path: &Path, text: &str, inputs: &Inputs) -> Result<Recipe, Diagnostics> {
    let mut l = Loader::new(path, text);
    let body = match hcl::edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            let loc = e.location();
            return Err(Diagnostics::single(
                Diagnostic::error(
                    path,
                    loc.line(),
                    loc.column(),
                    format!("syntax error: {}", first_line(e.message())),
                )
                .with_hint(format!("near: {}", e.line().trim())),
            ));
        }
    };
    functions::set_env(&inputs.env);
    functions::declare(&mut l.ctx, false);
    let recipe = read_body(&mut l, &body, inputs);
    let (errors, warnings): (Vec<_>, Vec<_>) = l
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match recipe {
        Some(mut r) if errors.is_empty() => {
            r.warnings = warnings;
            Ok(r)
        }
        _ => {
            let mut all = errors;
            all.sort_by_key(|d| (d.line, d.col));
            Err(Diagnostics(all))
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn read_body(l: &mut Loader, body: &Body, inputs: &Inputs) -> Option<Recipe> {
    let mut top = Fields::new(body, "the recipe", None);
    // Blocks are read below in dependency order; registering them here
    // makes `finish` report only the truly unknown ones.
    let _ = top.blocks("variable");
    let _ = top.blocks("locals");
    let _ = top.blocks("local");
    let source_blocks = top.blocks("source");
    let build_blocks = top.blocks("build");
    let _ = top.blocks("packer");
    top.finish(l);

    let declared = variables::declare(l, body);
    l.var_names = declared.iter().map(|d| d.name.clone()).collect();
    let variables = variables::resolve(l, &declared, inputs);
    read_locals(l, body);
    let path_obj: hcl::Map<String, Value> = [
        (
            "root".to_owned(),
            Value::String(l.dir.display().to_string()),
        ),
        (
            "cwd".to_owned(),
            Value::String(
                std::env::current_dir()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
        ),
    ]
    .into_iter()
    .collect();
    l.ctx.declare_var("path", Value::Object(path_obj));

    let mut sources: Vec<Source> = Vec::new();
    let mut source_names: Vec<String> = Vec::new();
    for block in &source_blocks {
        if let Some(name) = block.labels.get(1).map(|x| x.as_str().to_owned()) {
            if source_names.contains(&name) {
                l.error(
                    block.labels[1].span(),
                    format!("source `{name}` is declared more than once"),
                )
                .hint = Some("give every source block a unique name".into());
                continue;
            }
            source_names.push(name);
        }
        if let Some(s) = source::read(l, block) {
            sources.push(s);
        }
    }
    if source_blocks.is_empty() {
        l.error(None, "the recipe has no source block").hint =
            Some("add source \"amazon-ebs\" \"NAME\" { region = ..., instance_type = ..., source_ami = ..., ami_name = ... }".into());
    }
    let builds: Vec<Build> = build_blocks
        .iter()
        .filter_map(|b| build::read(l, b, &source_names))
        .collect();
    if build_blocks.is_empty() && !source_blocks.is_empty() {
        l.error(None, "the recipe has no build block").hint = Some(format!(
            "add build {{ sources = [\"source.amazon-ebs.{}\"] }}",
            source_names.first().map(String::as_str).unwrap_or("NAME")
        ));
    }
    Some(Recipe {
        path: l.file.clone(),
        variables,
        sources,
        builds,
        warnings: Vec::new(),
    })
}

/// `locals { a = ... }` and `local "a" { expression = ... }`. Locals may
/// refer to each other in any order, so they are evaluated in rounds until
/// no more can be.
fn read_locals(l: &mut Loader, body: &Body) {
    let mut pending: Vec<(
        String,
        &hcl::edit::expr::Expression,
        Option<std::ops::Range<usize>>,
    )> = Vec::new();
    for block in body.get_blocks("locals") {
        for attr in block.body.attributes() {
            pending.push((attr.key.as_str().to_owned(), &attr.value, attr.key.span()));
        }
        for inner in block.body.blocks() {
            l.error(inner.ident.span(), "locals blocks hold attributes only");
        }
    }
    for block in body.get_blocks("local") {
        let Some(name) =
            variables::single_label(l, block, "local", "local \"name\" { expression = ... }")
        else {
            continue;
        };
        let mut f = Fields::of_block(block, format!("local \"{name}\""));
        match f.attr("expression") {
            Some(attr) => pending.push((name, &attr.value, block.ident.span())),
            None => {
                l.error(
                    block.ident.span(),
                    format!("local \"{name}\" needs `expression`"),
                );
            }
        }
        let _ = f.bool(l, "sensitive");
        f.finish(l);
    }
    l.local_names = pending.iter().map(|(n, _, _)| n.clone()).collect();
    let mut values: hcl::Map<String, Value> = hcl::Map::new();
    l.ctx.declare_var("local", Value::Object(values.clone()));
    loop {
        let before = pending.len();
        let mut still = Vec::new();
        for (name, expr, span) in pending {
            let saved = l.diags.len();
            match l.eval(expr) {
                Some(v) => {
                    values.insert(name, v);
                    // Later locals in this round may already use it.
                    l.ctx.declare_var("local", Value::Object(values.clone()));
                }
                None => {
                    // Possibly waiting on another local: retry next round.
                    l.diags.truncate(saved);
                    still.push((name, expr, span));
                }
            }
        }
        pending = still;
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    // What is left failed for a real reason (or a cycle): evaluating it
    // again records why.
    for (_, expr, _) in pending {
        let _ = l.eval(expr);
    }
}
