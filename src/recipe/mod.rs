//! The recipe language: Packer-compatible HCL2 in, a resolved [`Recipe`] out.
//!
//! Three layers, each only importing the one below it:
//! - [`lang`]: HCL2 as Packer evaluates it (files and directories, values
//!   with unknown-until-build as a first-class value, the evaluator, the
//!   function table, `dynamic` blocks). It knows no Packer block.
//! - the block readers (`variables`, `data`, `source`, `build`, on top of
//!   `fields`): what each block means, checked against Packer's options.
//! - [`model`]: plain data with Packer's names, what `build`, `gc` and
//!   `inspect` consume.
//!
//! This file only knows the order of the passes: files → variables →
//! locals and data sources (one graph) → sources → builds. Each pass records
//! problems and goes on, so `validate` reports everything at once; the
//! result is returned only when no error was found.

mod access;
mod build;
pub mod data;
pub mod diag;
mod fields;
pub(crate) mod filters;
pub mod ignored;
mod image_options;
pub mod lang;
mod loader;
mod local;
pub mod model;
mod network;
pub mod render;
mod source;
mod variables;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::{Block, Body};
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;

pub use crate::duration::parse as parse_duration;
pub use data::DataFetch;
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use lang::functions::Fetch;
pub use local::{exec_pieces, host_os, ExecPiece};
pub use model::*;
pub use network::is_burstable;
pub use source::check_ami_name;

use fields::Fields;
use lang::{FnCtx, Value};
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
    /// `--region`: the region of sources that name none (before
    /// AWS_REGION and AWS_DEFAULT_REGION from `env`).
    pub region: Option<String>,
}

/// What loading may call outside the files: AWS for data sources and
/// `aws_secretsmanager()`. `build` passes it; `validate` does not, and those
/// values are then unknown.
#[derive(Clone)]
pub struct Remote {
    pub data: Arc<dyn DataFetch>,
    pub secrets: Arc<dyn Fetch>,
}

/// Read, evaluate and check a recipe (a file or a directory of `*.pkr.hcl`
/// files) without calling AWS. Every problem found is returned, not just the
/// first; warnings of a good recipe are in `Recipe::warnings`.
pub fn load(path: &Path, inputs: &Inputs) -> Result<Recipe, Diagnostics> {
    load_with(path, inputs, None)
}

/// [`load`], running data sources through `remote` when given.
pub fn load_with(
    path: &Path,
    inputs: &Inputs,
    remote: Option<Remote>,
) -> Result<Recipe, Diagnostics> {
    let template = lang::files::read(path)?;
    let mut fns = FnCtx::new(
        template.root.clone(),
        inputs.env.iter().cloned().collect(),
        build_time(),
    );
    fns.fetch = remote.as_ref().map(|r| r.secrets.clone());
    let mut l = Loader::new(template.map, template.root.clone(), fns);
    l.default_region = inputs.region.clone().or_else(|| {
        ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|k| {
            inputs
                .env
                .iter()
                .find(|(n, v)| n == k && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
    });
    let recipe = read_body(
        &mut l,
        &template.body,
        inputs,
        &template.auto_var_files,
        remote.as_ref(),
        path,
    );
    let (errors, warnings): (Vec<_>, Vec<_>) = l
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match recipe {
        Some(mut r) if errors.is_empty() => {
            r.warnings = warnings;
            r.needs_remote = remote.is_none()
                && (l.fns.wanted_fetch.get() || template.body.get_blocks("data").next().is_some());
            r.secrets.extend(l.secrets);
            r.secrets.sort();
            r.secrets.dedup();
            Ok(r)
        }
        _ => {
            let mut all = errors;
            all.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
            all.dedup();
            Err(Diagnostics(all))
        }
    }
}

/// The instant this run started, shared by `timestamp()`, `{{timestamp}}`
/// and `{{isotime}}`, as in Packer.
pub fn build_time() -> time::OffsetDateTime {
    use std::sync::OnceLock;
    static START: OnceLock<time::OffsetDateTime> = OnceLock::new();
    *START.get_or_init(|| {
        time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap()
    })
}

/// The version templates see as `packer.version`: amibake's own.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Top-level blocks amibake reads, and the ones it accepts without effect.
const TOP_BLOCKS: &[&str] = &[
    "variable",
    "variables",
    "locals",
    "local",
    "data",
    "source",
    "build",
    "packer",
];

fn read_body(
    l: &mut Loader,
    body: &Body,
    inputs: &Inputs,
    auto_var_files: &[PathBuf],
    remote: Option<&Remote>,
    path: &Path,
) -> Option<Recipe> {
    for attr in body.attributes() {
        l.error(
            attr.key.span(),
            format!(
                "`{}` cannot be set at the top level of a template",
                attr.key.as_str()
            ),
        )
        .hint = Some(
            "variable values go in *.pkrvars.hcl files (--var-file) or in a variable's default"
                .into(),
        );
    }
    for block in body.blocks() {
        let name = block.ident.as_str();
        match name {
            n if TOP_BLOCKS.contains(&n) => {}
            "hcp_packer_registry" => {
                l.warning(block.ident.span(), "`hcp_packer_registry` is accepted and ignored: amibake publishes no HCP Packer metadata")
                    .hint = Some("the AMI IDs are in amibake's outputs (stdout, --output json, the manifest post-processor)".into());
            }
            other => {
                let d = l.error(
                    block.ident.span(),
                    format!("unknown block `{other}` at the top level"),
                );
                d.hint = diag::suggest(other, TOP_BLOCKS.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
            }
        }
    }

    let declared = variables::declare(l, body);
    let variables = variables::resolve(l, &declared, inputs, auto_var_files);
    declare_context(l);
    read_locals_and_data(l, body, remote);

    // Sources: amazon-ebs ones are read; others are remembered so that a
    // build that would run them is refused by name.
    let mut tops: BTreeMap<String, &Block> = BTreeMap::new();
    let mut foreign: BTreeSet<String> = BTreeSet::new();
    for block in body.get_blocks("source") {
        if block.labels.len() != 2 {
            l.error(
                block.ident.span(),
                "a `source` block needs two labels: the type and a name",
            )
            .hint = Some("write it as source \"amazon-ebs\" \"web\" { ... }".into());
            continue;
        }
        let (kind, name) = (block.labels[0].as_str(), block.labels[1].as_str());
        let key = format!("{kind}.{name}");
        if tops.contains_key(&key) || foreign.contains(&key) {
            l.error(
                block.labels[1].span(),
                format!("source `{name}` is declared more than once"),
            )
            .hint = Some("give every source block a unique name".into());
            continue;
        }
        if kind == "amazon-ebs" {
            tops.insert(key, block);
        } else {
            foreign.insert(key);
        }
    }
    if tops.is_empty() && foreign.is_empty() {
        l.error(None, "the recipe has no source block").hint =
            Some("add source \"amazon-ebs\" \"NAME\" { region = ..., instance_type = ..., source_ami = ..., ami_name = ... }".into());
    }
    let build_blocks: Vec<&Block> = body.get_blocks("build").collect();
    if build_blocks.is_empty() && !tops.is_empty() {
        l.error(None, "the recipe has no build block").hint = Some(format!(
            "add build {{ sources = [\"source.{}\"] }}",
            tops.keys()
                .next()
                .map(String::as_str)
                .unwrap_or("amazon-ebs.NAME")
        ));
    }

    let mut sources: Vec<Source> = Vec::new();
    // A top-level source is read when a build lists it; one used only
    // through build-level `source` blocks is read merged with each, as
    // Packer does (alone it may lack what those blocks fill in).
    let mut plain: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let filled: BTreeSet<String> = build_blocks
        .iter()
        .flat_map(|b| b.body.get_blocks("source"))
        .filter_map(|s| s.labels.first())
        .map(|label| label.as_str().trim_start_matches("source.").to_owned())
        .collect();
    for (key, block) in &tops {
        if filled.contains(key) {
            continue;
        }
        let name = block.labels[1].as_str().to_owned();
        let body = lang::dynamic::expand(l, &block.body);
        set_source_context(l, &name);
        let read = source::read(l, name, &body, block.ident.span()).map(|s| {
            sources.push(s);
            sources.len() - 1
        });
        plain.insert(key.clone(), read);
    }
    let mut builds = Vec::new();
    let mut used = Vec::new();
    for (i, block) in build_blocks.iter().enumerate() {
        let mut ctx = build::Context {
            tops: &tops,
            plain: &mut plain,
            foreign: &foreign,
            sources: &mut sources,
            index: i,
            used: &mut used,
        };
        builds.extend(build::read(l, block, &mut ctx));
    }
    for (key, block) in &tops {
        if !used.contains(key)
            && !builds.iter().any(|b: &Build| {
                b.sources
                    .iter()
                    .any(|s| Some(s.as_str()) == key.strip_prefix("amazon-ebs."))
            })
        {
            l.warning(
                block.ident.span(),
                format!("source `{key}` is not used by any build"),
            );
        }
    }
    if !foreign.is_empty() {
        let unused: Vec<&String> = foreign.iter().filter(|f| !used.contains(f)).collect();
        if !unused.is_empty() {
            l.warning(
                None,
                format!(
                    "source{} {} {} not amazon-ebs and no build uses {}; ignored",
                    if unused.len() == 1 { "" } else { "s" },
                    unused
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if unused.len() == 1 { "is" } else { "are" },
                    if unused.len() == 1 { "it" } else { "them" },
                ),
            );
        }
    }
    let name = crate::build::tags::recipe_name(path);
    Some(Recipe {
        path: path.to_owned(),
        name,
        variables,
        sources,
        builds,
        needs_remote: false,
        secrets: Vec::new(),
        warnings: Vec::new(),
    })
}

/// `path`, `packer`, and placeholders for what only a build knows: `build.*`
/// reads as the legacy template (`{{ .SourceAMIName }}`) that the build
/// renders when the value exists, exactly where Packer renders it.
fn declare_context(l: &mut Loader) {
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    l.scope.set(
        "path",
        Value::Map(BTreeMap::from([
            (
                "root".to_owned(),
                Value::String(l.dir.display().to_string()),
            ),
            ("cwd".to_owned(), Value::String(cwd)),
        ])),
    );
    l.scope.set(
        "packer",
        Value::Map(BTreeMap::from([
            ("version".to_owned(), Value::str(VERSION)),
            (
                "versionFingerprint".to_owned(),
                Value::str(format!("amibake-{VERSION}")),
            ),
        ])),
    );
}

/// `source.name`/`source.type` and `build.*` while a source (or a build
/// for one source) is read.
pub(crate) fn set_source_context(l: &mut Loader, name: &str) {
    l.source_name = name.to_owned();
    l.scope.set(
        "source",
        Value::Map(BTreeMap::from([
            ("name".to_owned(), Value::str(name)),
            ("type".to_owned(), Value::str("amazon-ebs")),
        ])),
    );
    let mut b: BTreeMap<String, Value> = render::BUILD_FIELDS
        .iter()
        .map(|(k, placeholder)| (k.to_string(), Value::str(*placeholder)))
        .collect();
    b.insert("name".into(), Value::str(name));
    l.scope.set("build", Value::Map(b));
}

/// Locals and data sources may refer to each other in any order: they are
/// one graph, evaluated in dependency order. A cycle is one error naming it.
fn read_locals_and_data(l: &mut Loader, body: &Body, remote: Option<&Remote>) {
    enum Node<'b> {
        Local {
            name: String,
            expr: &'b Expression,
            sensitive: bool,
        },
        Data {
            kind: String,
            name: String,
            block: &'b Block,
        },
    }
    let mut nodes: Vec<(String, Node, Option<std::ops::Range<usize>>)> = Vec::new();
    for block in body.get_blocks("locals") {
        for attr in block.body.attributes() {
            let name = attr.key.as_str().to_owned();
            nodes.push((
                format!("local.{name}"),
                Node::Local {
                    name,
                    expr: &attr.value,
                    sensitive: false,
                },
                attr.key.span(),
            ));
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
        let sensitive = f.bool(l, "sensitive").unwrap_or(false);
        match f.attr("expression") {
            Some(attr) => nodes.push((
                format!("local.{name}"),
                Node::Local {
                    name,
                    expr: &attr.value,
                    sensitive,
                },
                block.ident.span(),
            )),
            None => {
                l.error(
                    block.ident.span(),
                    format!("local \"{name}\" needs `expression`"),
                );
            }
        }
        f.finish(l);
    }
    for block in body.get_blocks("data") {
        if block.labels.len() != 2 {
            l.error(
                block.ident.span(),
                "a `data` block needs two labels: the type and a name",
            )
            .hint = Some("write it as data \"amazon-ami\" \"ubuntu\" { ... }".into());
            continue;
        }
        let (kind, name) = (
            block.labels[0].as_str().to_owned(),
            block.labels[1].as_str().to_owned(),
        );
        if data::kind(&kind).is_none() {
            let d = l.error(
                block.labels[0].span(),
                format!("data source type `{kind}` is not supported"),
            );
            d.hint = Some(if kind.starts_with("hcp-packer") {
                "amibake does not read HCP Packer; pass the image ID with --var or use data \"amazon-ami\"".into()
            } else {
                format!(
                    "amibake has data sources {}",
                    data::DATA_SOURCES
                        .iter()
                        .map(|k| k.kind)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            continue;
        }
        nodes.push((
            format!("data.{kind}.{name}"),
            Node::Data { kind, name, block },
            block.ident.span(),
        ));
    }
    let mut seen = BTreeSet::new();
    for (key, _, span) in &nodes {
        if !seen.insert(key.clone()) {
            l.error(span.clone(), format!("`{key}` is defined more than once"));
        }
    }
    // Declare every name first (as unknown) so references resolve while
    // the order is worked out; values replace them as they are computed.
    let mut data_root: BTreeMap<String, Value> = BTreeMap::new();
    for (_, node, _) in &nodes {
        match node {
            Node::Local { name, .. } => {
                l.scope
                    .set_attr("local", name, Value::Unknown(lang::Type::Any))
            }
            Node::Data { kind, name, .. } => {
                let unknown = data::kind(kind)
                    .map(|k| k.unknown())
                    .unwrap_or(Value::Unknown(lang::Type::Any));
                if let Value::Map(m) = data_root
                    .entry(kind.clone())
                    .or_insert_with(|| Value::Map(BTreeMap::new()))
                {
                    m.insert(name.clone(), unknown);
                }
            }
        }
    }
    if !l.scope.roots.contains_key("local") {
        l.scope.set("local", Value::Map(BTreeMap::new()));
    }
    l.scope.set("data", Value::Map(data_root));
    for k in data::DATA_SOURCES.iter().filter(|k| k.sensitive) {
        l.scope.sensitive.insert(format!("data.{}", k.kind));
    }

    let keys: Vec<String> = nodes.iter().map(|(k, _, _)| k.clone()).collect();
    let deps: Vec<Vec<usize>> = nodes
        .iter()
        .map(|(_, node, _)| {
            let mut r = Refs::default();
            match node {
                Node::Local { expr, .. } => r.visit_expr(expr),
                Node::Data { block, .. } => r.visit_body(&block.body),
            }
            r.found
                .iter()
                .filter_map(|k| keys.iter().position(|x| x == k))
                .collect()
        })
        .collect();
    let order = match topo_order(&deps) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<&str> = cycle.iter().map(|&i| keys[i].as_str()).collect();
            l.error(
                nodes[cycle[0]].2.clone(),
                format!(
                    "these refer to each other in a cycle: {}",
                    names.join(" → ")
                ),
            )
            .hint = Some("break the cycle: one of them must not depend on the others".into());
            return;
        }
    };
    for i in order {
        match &nodes[i].1 {
            Node::Local {
                name,
                expr,
                sensitive,
            } => {
                if let Some((v, marked)) = l.eval_marked(expr) {
                    if *sensitive || marked {
                        l.scope.sensitive.insert(format!("local.{name}"));
                        l.remember_secret(&v);
                    }
                    l.scope.set_attr("local", name, v);
                }
            }
            Node::Data { kind, name, block } => {
                let k = data::kind(kind).expect("checked above");
                let what = format!("data \"{kind}\" \"{name}\"");
                let Some(args) = data::read_args(l, k, block, &what) else {
                    continue;
                };
                let Some(remote) = remote else { continue };
                match remote.data.fetch(kind, &args) {
                    Ok(v) => {
                        if k.sensitive {
                            l.remember_secret(&v);
                        }
                        if let Some(Value::Map(root)) = l.scope.roots.get_mut("data") {
                            if let Some(Value::Map(m)) = root.get_mut(kind) {
                                m.insert(name.clone(), v);
                            }
                        }
                    }
                    Err(e) => {
                        l.error(block.ident.span(), format!("{what}: {e}"));
                    }
                }
            }
        }
    }
}

/// Depth-first topological order; on a cycle, the nodes of one cycle.
fn topo_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = stack.iter().position(|&x| x == i).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        stack.push(i);
        for &d in &deps[i] {
            visit(d, deps, marks, stack, out)?;
        }
        stack.pop();
        marks[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; deps.len()];
    let mut out = Vec::with_capacity(deps.len());
    for i in 0..deps.len() {
        visit(i, deps, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// The `local.NAME` and `data.TYPE.NAME` an expression refers to.
#[derive(Default)]
struct Refs {
    found: Vec<String>,
}

impl Visit for Refs {
    fn visit_traversal(&mut self, node: &hcl::edit::expr::Traversal) {
        if let Expression::Variable(root) = &node.expr {
            let names: Vec<&str> = node
                .operators
                .iter()
                .map_while(|op| match op.value() {
                    TraversalOperator::GetAttr(a) => Some(a.as_str()),
                    _ => None,
                })
                .collect();
            match (root.as_str(), names.as_slice()) {
                ("local", [name, ..]) => self.found.push(format!("local.{name}")),
                ("data", [kind, name, ..]) => self.found.push(format!("data.{kind}.{name}")),
                _ => {}
            }
        }
        visit::visit_traversal(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::topo_order;

    #[test]
    fn orders_dependencies_first_and_finds_cycles() {
        assert_eq!(
            topo_order(&[vec![1], vec![], vec![0]]).unwrap(),
            vec![1, 0, 2]
        );
        let cycle = topo_order(&[vec![1], vec![2], vec![0]]).unwrap_err();
        assert_eq!(cycle, vec![0, 1, 2, 0]);
    }
}
