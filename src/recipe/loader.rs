//! The state shared while one template is read: where each offset is (for
//! file, line and column), the evaluation scope and functions, and the
//! diagnostics so far.
//!
//! Problems are collected, not returned: `validate` reports every problem in
//! one run, so each reader records what is wrong and carries on with what it
//! can.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::expr::Expression;

use super::diag::{Diagnostic, Severity};
use super::lang::files::SourceMap;
use super::lang::{Evaluator, FnCtx, Scope, Value};

pub(crate) struct Loader {
    pub map: SourceMap,
    /// `path.root`: relative paths in the template resolve against it.
    pub dir: PathBuf,
    pub diags: Vec<Diagnostic>,
    pub scope: Scope,
    pub fns: FnCtx,
    /// Strings derived from sensitive variables, locals and secrets, for
    /// redaction.
    pub secrets: Vec<String>,
    /// The region a source without `region` builds in (--region,
    /// AWS_REGION, AWS_DEFAULT_REGION).
    pub default_region: Option<String>,
    /// The source being read (for `{{build_name}}` at load).
    pub source_name: String,
}

impl Loader {
    pub fn new(map: SourceMap, dir: PathBuf, fns: FnCtx) -> Loader {
        Loader {
            map,
            dir,
            diags: Vec::new(),
            scope: Scope::default(),
            fns,
            secrets: Vec::new(),
            default_region: None,
            source_name: String::new(),
        }
    }

    /// What legacy `{{ }}` actions rendered at load may read.
    pub fn legacy_context(&self) -> super::render::legacy::LegacyContext {
        super::render::legacy::LegacyContext {
            start: self.fns.start,
            build_name: self.source_name.clone(),
            build_type: "amazon-ebs".into(),
            packer_version: super::VERSION.into(),
            ..Default::default()
        }
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
        let mut d = self.map.diagnostic(span, message);
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

    /// Evaluate an expression in the current scope, reporting an error at
    /// the sub-expression that caused it.
    pub fn eval(&mut self, expr: &Expression) -> Option<Value> {
        self.eval_marked(expr).map(|(v, _)| v)
    }

    /// Like [`Self::eval`], and whether the value was derived from a secret
    /// (a sensitive variable or local, a secret read from AWS): its strings
    /// are then also remembered for redaction.
    pub fn eval_marked(&mut self, expr: &Expression) -> Option<(Value, bool)> {
        let mut ev = Evaluator::new(&self.scope, &self.fns);
        let r = ev.eval(expr);
        let sensitive = ev.sensitive;
        match r {
            Ok(v) => {
                if sensitive {
                    self.remember_secret(&v);
                }
                Some((v, sensitive))
            }
            Err(e) => {
                let span = e.span.clone().or_else(|| hcl::edit::Span::span(expr));
                let d = self.error(span, e.message);
                d.hint = e.hint;
                None
            }
        }
    }

    /// Remember the strings of a value derived from a secret, unless
    /// redacting the secrets known already hides them (`"echo ${var.token}"`
    /// then reads `echo <sensitive>`, not `<sensitive>`).
    pub fn remember_secret(&mut self, v: &Value) {
        let mut found = Vec::new();
        collect_strings(v, &mut found);
        for s in found {
            if !self.secrets.iter().any(|known| s.contains(known.as_str())) {
                self.secrets.push(s);
            }
        }
    }

    /// A path from the recipe, made absolute against the template's directory.
    pub fn resolve_path(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.dir.join(path)
        }
    }
}

pub fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Number(_) | Value::Bool(_) => {}
        Value::List(items) => items.iter().for_each(|x| collect_strings(x, out)),
        Value::Map(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
