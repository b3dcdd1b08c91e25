//! Evaluating hcl-edit expressions to [`Value`]s, as HCL does.
//!
//! The evaluator works on hcl-edit's syntax tree directly, so every error
//! carries the span of the sub-expression that caused it. Unknown values
//! propagate (an operator or call with an unknown operand is unknown), and
//! `try`/`can` evaluate their arguments lazily, which a library of eager
//! functions cannot express. A reference to a sensitive variable or local
//! marks the result sensitive ([`Evaluator::sensitive`]), so derived values
//! are redacted too.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use hcl::edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl::edit::template::{Directive, Element, Template};
use hcl::edit::Span;

use super::functions::{self, FnCtx, Kind};
use super::value::{format_number, Type, Value};

/// The names an expression can refer to: `var`, `local`, `data`, `path`,
/// `source`, `build`, `packer`, each an object. What is not known yet is
/// [`Value::Unknown`] inside them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub roots: BTreeMap<String, Value>,
    /// `var.NAME` / `local.NAME` whose values are secret.
    pub sensitive: BTreeSet<String>,
}

impl Scope {
    pub fn set(&mut self, root: &str, value: Value) {
        self.roots.insert(root.to_owned(), value);
    }

    /// Set one attribute of a root object (`local.x`), creating the root.
    pub fn set_attr(&mut self, root: &str, name: &str, value: Value) {
        let entry = self
            .roots
            .entry(root.to_owned())
            .or_insert_with(|| Value::Map(BTreeMap::new()));
        if let Value::Map(m) = entry {
            m.insert(name.to_owned(), value);
        }
    }
}

/// An evaluation error at a place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Option<Range<usize>>,
    pub hint: Option<String>,
    /// A reference to something never declared: HCL reports these even
    /// inside `try`/`can`, because the expression is invalid as written.
    pub is_static: bool,
}

impl EvalError {
    fn new(message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        EvalError {
            message: message.into(),
            span,
            hint: None,
            is_static: false,
        }
    }
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

type Res = Result<Value, EvalError>;

/// One evaluation: the scope and functions, plus what it found out (whether
/// a sensitive value was read).
pub struct Evaluator<'a> {
    scope: &'a Scope,
    ctx: &'a FnCtx,
    /// `for` iteration variables, innermost last.
    bound: Vec<(String, Value)>,
    /// Set when a sensitive variable or local (or a secret) was read.
    pub sensitive: bool,
    /// Whether `templatefile` may be called (not from inside a template file).
    allow_templatefile: bool,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a Scope, ctx: &'a FnCtx) -> Self {
        Evaluator {
            scope,
            ctx,
            bound: Vec::new(),
            sensitive: false,
            allow_templatefile: true,
        }
    }

    pub fn eval(&mut self, expr: &Expression) -> Res {
        let span = expr.span();
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(n.value().as_f64().unwrap_or(f64::NAN))),
            Expression::String(s) => Ok(Value::String(s.value().to_string())),
            Expression::Array(items) => items
                .iter()
                .map(|e| self.eval(e))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            Expression::Object(obj) => {
                let mut out = BTreeMap::new();
                let mut unknown_key = false;
                for (key, value) in obj.iter() {
                    let k = match key {
                        ObjectKey::Ident(id) => id.as_str().to_owned(),
                        ObjectKey::Expression(e) => {
                            // A bare name in parentheses is a reference;
                            // anything else evaluates to the key.
                            let v = self.eval(e)?;
                            if v.is_unknown() {
                                unknown_key = true;
                                continue;
                            }
                            v.to_text().ok_or_else(|| {
                                EvalError::new(
                                    format!("object keys must be strings, found {}", v.type_name()),
                                    e.span(),
                                )
                            })?
                        }
                    };
                    let v = self.eval(value.expr())?;
                    out.insert(k, v);
                }
                if unknown_key {
                    return Ok(Value::Unknown(Type::Any));
                }
                Ok(Value::Map(out))
            }
            Expression::StringTemplate(t) => self.template(t.iter(), span),
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), span),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(name) => self.variable(name.as_str(), span),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                let b = match cond {
                    Value::Bool(b) => b,
                    Value::String(ref s) if s == "true" || s == "false" => s == "true",
                    Value::Unknown(_) => {
                        // Both sides are still checked.
                        self.eval(&c.true_expr)?;
                        self.eval(&c.false_expr)?;
                        return Ok(Value::Unknown(Type::Any));
                    }
                    other => {
                        return Err(EvalError::new(
                            format!(
                                "the condition must be true or false, found {}",
                                other.type_name()
                            ),
                            c.cond_expr.span(),
                        ))
                    }
                };
                if b {
                    self.eval(&c.true_expr)
                } else {
                    self.eval(&c.false_expr)
                }
            }
            Expression::FuncCall(call) => self.call(call, span),
            Expression::Traversal(t) => {
                let base = match &t.expr {
                    Expression::Variable(root) => self.root_attr(
                        root.as_str(),
                        t.expr.span(),
                        t.operators.first().map(|o| o.value()),
                    )?,
                    other => (self.eval(other)?, 0),
                };
                let (mut v, skip) = base;
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                let mut i = skip;
                while i < ops.len() {
                    match ops[i] {
                        TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => {
                            let rest = &ops[i + 1..];
                            let items = match v {
                                Value::Null => vec![],
                                Value::List(items) => items,
                                Value::Unknown(_) => return Ok(Value::Unknown(Type::Any)),
                                other => vec![other],
                            };
                            let mut out = Vec::with_capacity(items.len());
                            for item in items {
                                let mut x = item;
                                for op in rest {
                                    x = self.step(x, op, span.clone())?;
                                }
                                out.push(x);
                            }
                            return Ok(Value::List(out));
                        }
                        op => {
                            v = self.step(v, op, span.clone())?;
                        }
                    }
                    i += 1;
                }
                Ok(v)
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                match (u.operator.value(), v) {
                    (_, Value::Unknown(t)) => Ok(Value::Unknown(t)),
                    (UnaryOperator::Neg, v) => {
                        let n = number(&v).ok_or_else(|| {
                            EvalError::new(
                                format!("cannot negate {}", v.type_name()),
                                u.expr.span(),
                            )
                        })?;
                        Ok(Value::Number(-n))
                    }
                    (UnaryOperator::Not, v) => match boolean(&v) {
                        Some(b) => Ok(Value::Bool(!b)),
                        None => Err(EvalError::new(
                            format!("`!` needs a bool, found {}", v.type_name()),
                            u.expr.span(),
                        )),
                    },
                }
            }
            Expression::BinaryOp(b) => {
                let lhs = self.eval(&b.lhs_expr)?;
                let rhs = self.eval(&b.rhs_expr)?;
                binary(*b.operator.value(), lhs, rhs).map_err(|m| EvalError::new(m, span))
            }
            Expression::ForExpr(f) => self.for_expr(f, span),
        }
    }

    /// A bare name: a root object, or a `for` variable.
    fn variable(&mut self, name: &str, span: Option<Range<usize>>) -> Res {
        if let Some((_, v)) = self.bound.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        match self.scope.roots.get(name) {
            Some(v) => Ok(v.clone()),
            None => {
                let known: Vec<&str> = self
                    .scope
                    .roots
                    .keys()
                    .map(String::as_str)
                    .chain(self.bound.iter().map(|(n, _)| n.as_str()))
                    .collect();
                let mut e = EvalError::new(format!("unknown name `{name}`"), span);
                e.is_static = true;
                e.hint = Some(
                    match crate::recipe::diag::suggest(name, known.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("names available here: {}", known.join(", ")),
                    },
                );
                Err(e)
            }
        }
    }

    /// `var.x`, `local.x`, `data.t.n`...: the root and its first attribute,
    /// with "undefined variable" messages that name what is declared.
    /// Returns the value and how many operators were consumed.
    fn root_attr(
        &mut self,
        root: &str,
        span: Option<Range<usize>>,
        first: Option<&TraversalOperator>,
    ) -> Result<(Value, usize), EvalError> {
        let base = self.variable(root, span.clone())?;
        let Some(TraversalOperator::GetAttr(attr)) = first else {
            return Ok((base, 0));
        };
        if self.bound.iter().any(|(n, _)| n == root) {
            return Ok((base, 0));
        }
        if root == "data" {
            // Every attribute of a secret-reading data source is secret.
            if self
                .scope
                .sensitive
                .contains(&format!("data.{}", attr.as_str()))
            {
                self.sensitive = true;
            }
            return Ok((base, 0));
        }
        if !matches!(root, "var" | "local") {
            return Ok((base, 0));
        }
        let name = attr.as_str();
        let Value::Map(m) = &base else {
            return Ok((base, 0));
        };
        match m.get(name) {
            Some(v) => {
                if self.scope.sensitive.contains(&format!("{root}.{name}")) {
                    self.sensitive = true;
                }
                Ok((v.clone(), 1))
            }
            None => {
                let (what, hint) = match root {
                    "var" => (
                        "variable",
                        format!("declare it: variable \"{name}\" {{ type = string }}"),
                    ),
                    _ => (
                        "local value",
                        format!("define it in a locals block: locals {{ {name} = ... }}"),
                    ),
                };
                let mut e = EvalError::new(
                    format!("undefined {what} `{root}.{name}`"),
                    span.or(attr.span()),
                );
                e.is_static = true;
                e.hint = Some(
                    match crate::recipe::diag::suggest(name, m.keys().map(String::as_str)) {
                        Some(s) => format!("did you mean `{root}.{s}`?"),
                        None => hint,
                    },
                );
                Err(e)
            }
        }
    }

    /// One traversal step: `.name`, `[index]`, `.0`.
    fn step(&mut self, v: Value, op: &TraversalOperator, span: Option<Range<usize>>) -> Res {
        match op {
            TraversalOperator::GetAttr(name) => {
                get_attr(v, name.as_str()).map_err(|m| EvalError::new(m, name.span().or(span)))
            }
            TraversalOperator::LegacyIndex(i) => {
                index(v, Value::Number(*i.value() as f64)).map_err(|m| EvalError::new(m, span))
            }
            TraversalOperator::Index(e) => {
                let key = self.eval(e)?;
                index(v, key).map_err(|m| EvalError::new(m, e.span().or(span)))
            }
            TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => {
                unreachable!("splats are handled by the traversal loop")
            }
        }
    }

    fn template<'t>(
        &mut self,
        elements: impl Iterator<Item = &'t Element>,
        span: Option<Range<usize>>,
    ) -> Res {
        let elements: Vec<&Element> = elements.collect();
        // "${x}" alone is x itself, not its string form (HCL's unwrapping).
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.eval(&i.expr);
        }
        let mut out = String::new();
        let mut unknown = false;
        self.render(&elements, &mut out, &mut unknown, span)?;
        Ok(if unknown {
            Value::Unknown(Type::String)
        } else {
            Value::String(out)
        })
    }

    fn render(
        &mut self,
        elements: &[&Element],
        out: &mut String,
        unknown: &mut bool,
        span: Option<Range<usize>>,
    ) -> Result<(), EvalError> {
        let mut strip_next = false;
        for (i, el) in elements.iter().enumerate() {
            let strip_after = match elements.get(i + 1) {
                Some(Element::Interpolation(x)) => x.strip.strip_start(),
                Some(Element::Directive(d)) => directive_strip_start(d),
                _ => false,
            };
            match el {
                Element::Literal(s) => {
                    let mut text: &str = s.value();
                    if strip_next {
                        text = text.trim_start();
                    }
                    if strip_after {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                    strip_next = false;
                }
                Element::Interpolation(x) => {
                    let v = self.eval(&x.expr)?;
                    match v {
                        Value::Unknown(_) => *unknown = true,
                        Value::Null => {
                            return Err(EvalError::new(
                                "cannot include a null value in a string template",
                                x.expr.span().or(span.clone()),
                            ))
                        }
                        v if !v.is_wholly_known() => *unknown = true,
                        v => match v.to_text() {
                            Some(t) => out.push_str(&t),
                            None => {
                                return Err(EvalError::new(
                                    format!(
                                        "cannot include {} in a string template",
                                        v.type_name()
                                    ),
                                    x.expr.span().or(span.clone()),
                                )
                                .hint("use join(), jsonencode() or an index to turn it into text"))
                            }
                        },
                    }
                    strip_next = x.strip.strip_end();
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(dir) => {
                        let c = self.eval(&dir.if_expr.cond_expr)?;
                        match boolean(&c) {
                            Some(true) => self.render(
                                &dir.if_expr.template.iter().collect::<Vec<_>>(),
                                out,
                                unknown,
                                span.clone(),
                            )?,
                            Some(false) => {
                                if let Some(e) = &dir.else_expr {
                                    self.render(
                                        &e.template.iter().collect::<Vec<_>>(),
                                        out,
                                        unknown,
                                        span.clone(),
                                    )?
                                }
                            }
                            None if c.is_unknown() => *unknown = true,
                            None => {
                                return Err(EvalError::new(
                                    format!("%{{if}} needs a bool, found {}", c.type_name()),
                                    dir.if_expr.cond_expr.span(),
                                ))
                            }
                        }
                        strip_next = dir.endif_expr.strip.strip_end();
                    }
                    Directive::For(dir) => {
                        let f = &dir.for_expr;
                        let coll = self.eval(&f.collection_expr)?;
                        let pairs = match iter_pairs(coll) {
                            Ok(Some(p)) => p,
                            Ok(None) => {
                                *unknown = true;
                                continue;
                            }
                            Err(m) => return Err(EvalError::new(m, f.collection_expr.span())),
                        };
                        let body: Vec<&Element> = f.template.iter().collect();
                        for (k, v) in pairs {
                            let n = self.bound.len();
                            if let Some(kv) = &f.key_var {
                                self.bound.push((kv.as_str().to_owned(), k));
                            }
                            self.bound.push((f.value_var.as_str().to_owned(), v));
                            let r = self.render(&body, out, unknown, span.clone());
                            self.bound.truncate(n);
                            r?;
                        }
                        strip_next = dir.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        Ok(())
    }

    fn for_expr(&mut self, f: &ForExpr, span: Option<Range<usize>>) -> Res {
        let coll = self.eval(&f.intro.collection_expr)?;
        let Some(pairs) =
            iter_pairs(coll).map_err(|m| EvalError::new(m, f.intro.collection_expr.span()))?
        else {
            return Ok(Value::Unknown(Type::Any));
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let n = self.bound.len();
            if let Some(kv) = &f.intro.key_var {
                self.bound.push((kv.as_str().to_owned(), k));
            }
            self.bound.push((f.intro.value_var.as_str().to_owned(), v));
            let r = self.for_item(
                f,
                &mut list,
                &mut map,
                &mut groups,
                &mut unknown,
                span.clone(),
            );
            self.bound.truncate(n);
            r?;
        }
        if unknown {
            return Ok(Value::Unknown(Type::Any));
        }
        Ok(match (&f.key_expr, f.grouping) {
            (None, _) => Value::List(list),
            (Some(_), false) => Value::Map(map),
            (Some(_), true) => Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ),
        })
    }

    fn for_item(
        &mut self,
        f: &ForExpr,
        list: &mut Vec<Value>,
        map: &mut BTreeMap<String, Value>,
        groups: &mut BTreeMap<String, Vec<Value>>,
        unknown: &mut bool,
        span: Option<Range<usize>>,
    ) -> Result<(), EvalError> {
        if let Some(cond) = &f.cond {
            match self.eval(&cond.expr)? {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(()),
                Value::Unknown(_) => {
                    *unknown = true;
                    return Ok(());
                }
                other => {
                    return Err(EvalError::new(
                        format!(
                            "a for condition must be true or false, found {}",
                            other.type_name()
                        ),
                        cond.expr.span(),
                    ))
                }
            }
        }
        let value = self.eval(&f.value_expr)?;
        match &f.key_expr {
            None => list.push(value),
            Some(ke) => {
                let key = self.eval(ke)?;
                if key.is_unknown() {
                    *unknown = true;
                    return Ok(());
                }
                let k = key.to_text().ok_or_else(|| {
                    EvalError::new(
                        format!("for keys must be strings, found {}", key.type_name()),
                        ke.span(),
                    )
                })?;
                if f.grouping {
                    groups.entry(k).or_default().push(value);
                } else if map.insert(k.clone(), value).is_some() {
                    return Err(EvalError::new(
                        format!("duplicate key `{k}` in a for expression"),
                        ke.span().or(span),
                    )
                    .hint("add `...` after the value to group values with the same key"));
                }
            }
        }
        Ok(())
    }

    fn call(&mut self, call: &FuncCall, span: Option<Range<usize>>) -> Res {
        let name = call.name.name.as_str();
        if call.name.is_namespaced() {
            return Err(EvalError::new(
                format!(
                    "namespaced function calls like `{}::{name}` are not supported",
                    call.name
                        .namespace
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join("::")
                ),
                span,
            ));
        }
        let args: Vec<&Expression> = call.args.iter().collect();
        match name {
            "try" => return self.try_(&args, span),
            "can" => return self.can(&args, span),
            "convert" => return self.convert(&args, span),
            "templatefile" => return self.templatefile(&args, span),
            _ => {}
        }
        let Some(f) = functions::lookup(name) else {
            let mut e = EvalError::new(
                format!("undefined function `{name}`"),
                call.name.name.span().or(span),
            );
            e.is_static = true;
            e.hint = crate::recipe::diag::suggest(name, functions::table().iter().map(|f| f.name))
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some("Packer's functions are listed in docs/recipes.md#functions (for example timestamp(), formatdate(), regex_replace())".into()));
            return Err(e);
        };
        let mut values = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let v = self.eval(a)?;
            if i + 1 == args.len() && call.args.expand_final() {
                match v {
                    Value::List(items) => values.extend(items),
                    Value::Unknown(_) => return Ok(Value::Unknown(Type::Any)),
                    other => {
                        return Err(EvalError::new(
                            format!("`...` expands a list, found {}", other.type_name()),
                            a.span(),
                        ))
                    }
                }
            } else {
                values.push(v);
            }
        }
        if f.kind == Kind::Remote && self.ctx.fetch.is_some() {
            self.sensitive = true;
        }
        functions::call(f, self.ctx, values).map_err(|m| {
            let e = EvalError::new(m, span);
            match f.kind {
                Kind::Unavailable(_) => e.hint("see docs/recipes.md#functions"),
                _ => e,
            }
        })
    }

    /// `try(a, b, ...)`: the first argument that evaluates without error.
    /// One that is not wholly known yet makes the result unknown, because it
    /// might still fail (HCL's rule).
    fn try_(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> Res {
        if args.is_empty() {
            return Err(EvalError::new("try() needs at least one argument", span));
        }
        let mut last = None;
        for a in args {
            match self.eval(a) {
                Ok(v) if v.is_wholly_known() => return Ok(v),
                Ok(_) => return Ok(Value::Unknown(Type::Any)),
                Err(e) if e.is_static => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        let e = last.expect("at least one argument");
        Err(EvalError::new(
            format!(
                "no expression in try() succeeded; the last error: {}",
                e.message
            ),
            span,
        ))
    }

    /// `can(expr)`: whether it evaluates without error; unknown while it
    /// is not wholly known.
    fn can(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> Res {
        let [a] = args else {
            return Err(EvalError::new("can() takes 1 argument", span));
        };
        match self.eval(a) {
            Ok(v) if v.is_wholly_known() => Ok(Value::Bool(true)),
            Ok(_) => Ok(Value::Unknown(Type::Bool)),
            Err(e) if e.is_static => Err(e),
            Err(_) => Ok(Value::Bool(false)),
        }
    }

    /// `convert(value, type)`: the second argument is a type expression.
    fn convert(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> Res {
        let [value, ty] = args else {
            return Err(EvalError::new(
                "convert() takes 2 arguments: a value and a type",
                span,
            ));
        };
        let ty = super::types::parse_type(ty, self).map_err(|m| EvalError::new(m, ty.span()))?;
        let v = self.eval(value)?;
        ty.convert(v)
            .map_err(|m| EvalError::new(format!("convert(): {m}"), value.span()))
    }

    /// `templatefile(path, vars)`: the file is an HCL template evaluated
    /// with only `vars` in scope (and the functions, except templatefile).
    fn templatefile(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> Res {
        if !self.allow_templatefile {
            return Err(EvalError::new(
                "templatefile() cannot be called from a template file",
                span,
            ));
        }
        let [path, vars] = args else {
            return Err(EvalError::new(
                "templatefile() takes 2 arguments: a path and a map of variables",
                span,
            ));
        };
        let p = self.eval(path)?;
        let vars = self.eval(vars)?;
        if !p.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown(Type::String));
        }
        let Some(p) = p.as_str() else {
            return Err(EvalError::new(
                "templatefile(): the path must be a string",
                path.span(),
            ));
        };
        let Value::Map(vars) = vars else {
            return Err(EvalError::new(
                "templatefile(): the variables must be a map",
                span,
            ));
        };
        let file = self.ctx.basedir.join(p);
        let text = std::fs::read_to_string(&file).map_err(|e| {
            EvalError::new(
                format!("templatefile(): cannot read `{}`: {e}", file.display()),
                path.span(),
            )
        })?;
        let template = hcl::edit::parser::parse_template(&text).map_err(|e| {
            EvalError::new(
                format!(
                    "templatefile(): `{}` line {}: {}",
                    file.display(),
                    e.location().line(),
                    e.message().lines().next().unwrap_or("")
                ),
                span.clone(),
            )
        })?;
        let scope = Scope {
            roots: vars,
            sensitive: BTreeSet::new(),
        };
        let mut inner = Evaluator::new(&scope, self.ctx);
        inner.allow_templatefile = false;
        let r = inner.eval_template(&template).map_err(|e| EvalError {
            message: format!("templatefile(): `{}`: {}", file.display(), e.message),
            span: span.clone(),
            hint: e.hint,
            is_static: false,
        });
        self.sensitive |= inner.sensitive;
        r
    }

    /// A whole template (a template file's text).
    pub fn eval_template(&mut self, t: &Template) -> Res {
        let elements: Vec<&Element> = t.iter().collect();
        let mut out = String::new();
        let mut unknown = false;
        self.render(&elements, &mut out, &mut unknown, None)?;
        Ok(if unknown {
            Value::Unknown(Type::String)
        } else {
            Value::String(out)
        })
    }
}

fn directive_strip_start(d: &Directive) -> bool {
    match d {
        Directive::If(x) => x.if_expr.strip.strip_start(),
        Directive::For(x) => x.for_expr.strip.strip_start(),
    }
}

/// What a `for` iterates over: (key, value) pairs; `None` when unknown.
fn iter_pairs(coll: Value) -> Result<Option<Vec<(Value, Value)>>, String> {
    match coll {
        Value::List(items) => Ok(Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
        )),
        Value::Map(m) => Ok(Some(
            m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        )),
        Value::Unknown(_) => Ok(None),
        Value::Null => Err("cannot iterate over null".into()),
        other => Err(format!("cannot iterate over {}", other.type_name())),
    }
}

fn get_attr(v: Value, name: &str) -> Result<Value, String> {
    match v {
        Value::Map(mut m) => m
            .remove(name)
            .ok_or_else(|| format!("this object has no attribute `{name}`")),
        Value::Unknown(_) => Ok(Value::Unknown(Type::Any)),
        Value::Null => Err(format!("cannot read `{name}` of null")),
        other => Err(format!(
            "cannot read attribute `{name}` of {}",
            other.type_name()
        )),
    }
}

fn index(v: Value, key: Value) -> Result<Value, String> {
    match (v, key) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => Ok(Value::Unknown(Type::Any)),
        (Value::List(items), k) => {
            let i = number(&k).filter(|n| n.fract() == 0.0).ok_or_else(|| {
                format!(
                    "a list index must be a whole number, found {}",
                    k.type_name()
                )
            })?;
            let len = items.len();
            if i < 0.0 || i as usize >= len {
                return Err(format!(
                    "index {} is out of range for a list of {len}",
                    format_number(i)
                ));
            }
            Ok(items.into_iter().nth(i as usize).expect("checked"))
        }
        (Value::Map(mut m), k) => {
            let key = k
                .to_text()
                .ok_or_else(|| format!("a map key must be a string, found {}", k.type_name()))?;
            m.remove(&key)
                .ok_or_else(|| format!("the map has no element for the key \"{key}\""))
        }
        (Value::Null, _) => Err("cannot index null".into()),
        (other, _) => Err(format!("cannot index {}", other.type_name())),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => super::value::parse_number(s),
        _ => None,
    }
}

fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// HCL's binary operators. Operands are converted as HCL converts them
/// (numeric strings to numbers, "true"/"false" to bools); equality compares
/// without conversion.
fn binary(op: BinaryOperator, lhs: Value, rhs: Value) -> Result<Value, String> {
    use BinaryOperator as B;
    let result_type = match op {
        B::Eq | B::NotEq | B::Less | B::LessEq | B::Greater | B::GreaterEq | B::And | B::Or => {
            Type::Bool
        }
        _ => Type::Number,
    };
    if !lhs.is_wholly_known() || !rhs.is_wholly_known() {
        return Ok(Value::Unknown(result_type));
    }
    match op {
        B::Eq => return Ok(Value::Bool(lhs == rhs)),
        B::NotEq => return Ok(Value::Bool(lhs != rhs)),
        B::And | B::Or => {
            let (a, b) = (boolean(&lhs), boolean(&rhs));
            let (Some(a), Some(b)) = (a, b) else {
                return Err(format!(
                    "`{}` needs bools, found {} and {}",
                    if op == B::And { "&&" } else { "||" },
                    lhs.type_name(),
                    rhs.type_name()
                ));
            };
            return Ok(Value::Bool(if op == B::And { a && b } else { a || b }));
        }
        _ => {}
    }
    let (Some(a), Some(b)) = (number(&lhs), number(&rhs)) else {
        return Err(format!(
            "arithmetic and comparison need numbers, found {} and {}",
            lhs.type_name(),
            rhs.type_name()
        ));
    };
    Ok(match op {
        B::Less => Value::Bool(a < b),
        B::LessEq => Value::Bool(a <= b),
        B::Greater => Value::Bool(a > b),
        B::GreaterEq => Value::Bool(a >= b),
        B::Plus => Value::Number(a + b),
        B::Minus => Value::Number(a - b),
        B::Mul => Value::Number(a * b),
        B::Div => {
            if b == 0.0 {
                return Err("division by zero".into());
            }
            Value::Number(a / b)
        }
        B::Mod => {
            if b == 0.0 {
                return Err("modulo by zero".into());
            }
            Value::Number(a % b)
        }
        _ => unreachable!("handled above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::lang::functions::testing::ctx;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.set(
            "var",
            Value::Map(BTreeMap::from([
                ("name".to_owned(), Value::str("web")),
                ("token".to_owned(), Value::str("s3cret")),
                (
                    "disks".to_owned(),
                    Value::List(vec![
                        Value::Map(BTreeMap::from([("size".to_owned(), Value::Number(8.0))])),
                        Value::Map(BTreeMap::from([("size".to_owned(), Value::Number(20.0))])),
                    ]),
                ),
            ])),
        );
        s.set(
            "data",
            Value::Map(BTreeMap::from([(
                "later".to_owned(),
                Value::Unknown(Type::String),
            )])),
        );
        s.sensitive.insert("var.token".into());
        s
    }

    fn eval(text: &str) -> Res {
        let expr = hcl::edit::parser::parse_expr(text).unwrap();
        let s = scope();
        let c = ctx();
        Evaluator::new(&s, &c).eval(&expr)
    }

    #[test]
    fn templates_directives_and_strip_markers() {
        assert_eq!(eval(r#""a-${var.name}-b""#), Ok(Value::str("a-web-b")));
        assert_eq!(
            eval(r#""${1 + 2}""#),
            Ok(Value::Number(3.0)),
            "a lone interpolation keeps its type"
        );
        assert_eq!(
            eval(r#""%{ for d in var.disks }${d.size},%{ endfor }""#),
            Ok(Value::str("8,20,"))
        );
        assert_eq!(
            eval(r#""%{ if var.name == "web" }yes%{ else }no%{ endif }""#),
            Ok(Value::str("yes"))
        );
        assert_eq!(
            eval(r#""a   ${~ var.name ~}   b""#),
            Ok(Value::str("awebb"))
        );
        assert!(eval(r#""x${[1]}""#)
            .unwrap_err()
            .message
            .contains("cannot include a list"));
    }

    #[test]
    fn collections_splats_and_for_expressions() {
        assert_eq!(eval("var.disks[*].size"), Ok(Value::from(vec![8.0, 20.0])));
        assert_eq!(eval("var.disks.*.size"), Ok(Value::from(vec![8.0, 20.0])));
        assert_eq!(eval("var.disks[1].size"), Ok(Value::Number(20.0)));
        assert_eq!(
            eval("[for d in var.disks : d.size * 2 if d.size > 10]"),
            Ok(Value::from(vec![40.0]))
        );
        assert_eq!(
            eval(r#"{ for i, d in var.disks : "d${i}" => d.size }"#),
            Ok(Value::Map(BTreeMap::from([
                ("d0".to_owned(), Value::Number(8.0)),
                ("d1".to_owned(), Value::Number(20.0))
            ])))
        );
        assert_eq!(
            eval(r#"{ for d in var.disks : "all" => d.size... }"#),
            Ok(Value::Map(BTreeMap::from([(
                "all".to_owned(),
                Value::from(vec![8.0, 20.0])
            )])))
        );
        assert!(eval("var.disks[5]")
            .unwrap_err()
            .message
            .contains("out of range"));
    }

    #[test]
    fn operators_convert_as_hcl_does() {
        assert_eq!(eval(r#""3" + 4"#), Ok(Value::Number(7.0)));
        assert_eq!(eval("5 % 3 == 2 && !false"), Ok(Value::Bool(true)));
        assert_eq!(
            eval(r#"1 == "1""#),
            Ok(Value::Bool(false)),
            "equality does not convert"
        );
        assert!(eval("1 / 0").is_err());
        assert_eq!(eval("max([1, 5, 3]...)"), Ok(Value::Number(5.0)));
    }

    #[test]
    fn unknown_values_propagate_and_keep_try_and_can_honest() {
        assert_eq!(
            eval(r#""x-${data.later}""#),
            Ok(Value::Unknown(Type::String))
        );
        assert_eq!(eval("upper(data.later)"), Ok(Value::Unknown(Type::Any)));
        assert_eq!(eval("data.later == \"a\""), Ok(Value::Unknown(Type::Bool)));
        assert_eq!(eval("can(data.later)"), Ok(Value::Unknown(Type::Bool)));
        assert_eq!(
            eval("try(data.later, \"x\")"),
            Ok(Value::Unknown(Type::Any))
        );
        assert_eq!(eval("try(var.disks[9].size, 1)"), Ok(Value::Number(1.0)));
        assert_eq!(eval("can(var.disks[9])"), Ok(Value::Bool(false)));
        // A name never declared is an error even inside try, as in HCL.
        let e = eval("try(var.nope, 1)").unwrap_err();
        assert!(e.message.contains("undefined variable `var.nope`"), "{e:?}");
    }

    #[test]
    fn reading_a_sensitive_value_marks_the_result() {
        let expr = hcl::edit::parser::parse_expr(r#""Bearer ${var.token}""#).unwrap();
        let (s, c) = (scope(), ctx());
        let mut ev = Evaluator::new(&s, &c);
        assert_eq!(ev.eval(&expr), Ok(Value::str("Bearer s3cret")));
        assert!(ev.sensitive);
        let expr = hcl::edit::parser::parse_expr(r#""${var.name}""#).unwrap();
        let mut ev = Evaluator::new(&s, &c);
        ev.eval(&expr).unwrap();
        assert!(!ev.sensitive);
    }

    #[test]
    fn attributes_of_secret_data_sources_are_sensitive() {
        let mut s = scope();
        s.set(
            "data",
            Value::Map(BTreeMap::from([(
                "amazon-secretsmanager".to_owned(),
                Value::Map(BTreeMap::from([(
                    "db".to_owned(),
                    Value::Map(BTreeMap::from([("value".to_owned(), Value::str("pw"))])),
                )])),
            )])),
        );
        s.sensitive.insert("data.amazon-secretsmanager".into());
        let c = ctx();
        let expr =
            hcl::edit::parser::parse_expr("base64encode(data.amazon-secretsmanager.db.value)")
                .unwrap();
        let mut ev = Evaluator::new(&s, &c);
        assert_eq!(ev.eval(&expr), Ok(Value::str("cHc=")));
        assert!(ev.sensitive);
    }

    #[test]
    fn convert_takes_a_type_expression() {
        assert_eq!(eval(r#"convert("5", number)"#), Ok(Value::Number(5.0)));
        assert_eq!(
            eval(r#"convert(["a", "a"], set(string))"#),
            Ok(Value::from(vec!["a"]))
        );
        assert!(eval(r#"convert("x", number)"#).is_err());
    }
}
