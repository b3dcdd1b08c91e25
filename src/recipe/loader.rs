//! The state shared while one recipe file is read: its text (for line and
//! column numbers), the evaluation context, and the diagnostics so far.
//!
//! Problems are collected, not returned: `validate` reports every problem in
//! one run, so each reader records what is wrong and carries on with what it
//! can.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::expr::{Expression as EditExpr, TraversalOperator};
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate};
use hcl::Value;

use super::diag::{Diagnostic, Severity};

pub(crate) struct Loader {
    pub file: PathBuf,
    /// The directory relative paths in the recipe are resolved against.
    pub dir: PathBuf,
    line_starts: Vec<usize>,
    pub diags: Vec<Diagnostic>,
    pub ctx: Context<'static>,
    /// Declared variable and local names, for "did you mean" on references.
    pub var_names: BTreeSet<String>,
    pub local_names: BTreeSet<String>,
}

impl Loader {
    pub fn new(file: &Path, src: &str) -> Loader {
        let dir = file
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Loader {
            file: file.to_owned(),
            dir,
            line_starts,
            diags: Vec::new(),
            ctx: Context::new(),
            var_names: BTreeSet::new(),
            local_names: BTreeSet::new(),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        (line, offset - start + 1)
    }

    pub fn error(
        &mut self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(span, Severity::Error, message.into())
    }

    pub fn warning(
        &mut self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(span, Severity::Warning, message.into())
    }

    fn push(
        &mut self,
        span: Option<Range<usize>>,
        severity: Severity,
        message: String,
    ) -> &mut Diagnostic {
        let (line, col) = span.map(|s| self.position(s.start)).unwrap_or((1, 1));
        let mut d = Diagnostic::error(&self.file, line, col, message);
        d.severity = severity;
        self.diags.push(d);
        self.diags.last_mut().unwrap()
    }

    /// A mark to ask later whether a block added errors ([`Self::errors_since`]).
    pub fn mark(&self) -> usize {
        self.diags.len()
    }

    /// Whether an error was recorded after `mark`: a block with errors yields
    /// no model value, but reading goes on so every problem is reported.
    pub fn errors_since(&self, mark: usize) -> bool {
        self.diags[mark..]
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Evaluate an expression, reporting undefined references and evaluation
    /// errors at the expression's position.
    pub fn eval(&mut self, expr: &EditExpr) -> Option<Value> {
        if !self.check_references(expr) {
            return None;
        }
        let converted =
            super::functions::rewrite_can(hcl::Expression::from(expr.clone()), &self.ctx);
        match converted.evaluate(&self.ctx) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = e.kind().to_string();
                let d = self.error(expr.span(), msg.clone());
                if msg.starts_with("undefined function") {
                    d.hint = Some(format!(
                        "functions available: {}",
                        super::functions::NAMES.join(", ")
                    ));
                }
                None
            }
        }
    }

    /// Report `var.x` / `local.x` references to names that were never
    /// declared, with their own position and a suggestion. Returns false when
    /// any was found (the expression then is not evaluated).
    pub fn check_references(&mut self, expr: &EditExpr) -> bool {
        let mut refs = References::default();
        refs.visit_expr(expr);
        let mut ok = true;
        for (root, name, span) in refs.found {
            let (known, what) = match root.as_str() {
                "var" => (&self.var_names, "variable"),
                "local" => (&self.local_names, "local value"),
                _ => continue,
            };
            if known.contains(&name) {
                continue;
            }
            let suggestion = suggest(&name, known.iter().map(String::as_str));
            let hint = match (&suggestion, root.as_str()) {
                (Some(s), _) => format!("did you mean `{root}.{s}`?"),
                (None, "var") => format!("declare it: variable \"{name}\" {{ type = string }}"),
                _ => format!("define it in a locals block: locals {{ {name} = ... }}"),
            };
            let d = self.error(span, format!("undefined {what} `{root}.{name}`"));
            d.hint = Some(hint);
            ok = false;
        }
        ok
    }

    /// A path from the recipe, made absolute against the recipe's directory.
    pub fn resolve_path(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.dir.join(path)
        }
    }
}

/// Collects `root.name` traversals (`var.region`, `local.stamp`).
#[derive(Default)]
struct References {
    found: Vec<(String, String, Option<Range<usize>>)>,
}

impl Visit for References {
    fn visit_traversal(&mut self, node: &hcl::edit::expr::Traversal) {
        if let EditExpr::Variable(root) = &node.expr {
            if let Some(op) = node.operators.first() {
                if let TraversalOperator::GetAttr(name) = op.value() {
                    self.found.push((
                        root.as_str().to_owned(),
                        name.as_str().to_owned(),
                        node.span(),
                    ));
                }
            }
        }
        visit::visit_traversal(self, node);
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(name.len().min(c.len()) / 4))
        .min()
        .map(|(_, c)| c.to_owned())
}

/// A short description of a value's type for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
