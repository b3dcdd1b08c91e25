//! `dynamic "NAME" { for_each = ..., iterator = ..., labels = [...],
//! content { ... } }`, expanded body to body before any schema reads it
//! (as HCL's `dynblock` extension does), so a reader never sees `dynamic`.
//!
//! Each element of `for_each` produces one `NAME` block whose content has
//! every `ITERATOR.key` / `ITERATOR.value` reference replaced by the
//! element's literal value. Nested `dynamic` blocks are expanded after their
//! parent, so they may use the outer iterator.

use hcl::edit::expr::{Array, Expression, Object, ObjectKey, ObjectValue, TraversalOperator};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::visit_mut::{self, VisitMut};
use hcl::edit::{Decorated, Ident, Span};

use super::value::Value;
use crate::recipe::loader::Loader;

/// Expand every `dynamic` block of `body` (recursively, nested blocks too).
pub(crate) fn expand(l: &mut Loader, body: &Body) -> Body {
    let mut out = Body::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => out.push(a.clone()),
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                for generated in expand_one(l, b) {
                    out.push(generated);
                }
            }
            Structure::Block(b) => {
                let mut nb = b.clone();
                nb.body = expand(l, &b.body);
                out.push(nb);
            }
        }
    }
    out
}

fn expand_one(l: &mut Loader, block: &Block) -> Vec<Block> {
    let [label] = block.labels.as_slice() else {
        l.error(
            block.ident.span(),
            "a `dynamic` block needs one label: the block type it generates",
        )
        .hint = Some("write it as dynamic \"tag\" { for_each = ..., content { ... } }".into());
        return Vec::new();
    };
    let kind = label.as_str().to_owned();
    let Some(for_each) = block.body.get_attribute("for_each") else {
        l.error(
            block.ident.span(),
            format!("dynamic \"{kind}\" needs `for_each`"),
        );
        return Vec::new();
    };
    let iterator = match block.body.get_attribute("iterator") {
        Some(a) => match &a.value {
            Expression::Variable(v) => v.as_str().to_owned(),
            other => {
                l.error(other.span(), "`iterator` must be a plain name");
                return Vec::new();
            }
        },
        None => kind.clone(),
    };
    let contents: Vec<&Block> = block.body.get_blocks("content").collect();
    let [content] = contents.as_slice() else {
        l.error(
            block.ident.span(),
            format!("dynamic \"{kind}\" needs exactly one `content` block"),
        );
        return Vec::new();
    };
    for attr in block.body.attributes() {
        if !matches!(attr.key.as_str(), "for_each" | "iterator" | "labels") {
            l.error(
                attr.key.span(),
                format!(
                    "unknown attribute `{}` in dynamic \"{kind}\"",
                    attr.key.as_str()
                ),
            )
            .hint =
                Some("a dynamic block has for_each, iterator, labels and one content block".into());
        }
    }
    let Some(collection) = l.eval(&for_each.value) else {
        return Vec::new();
    };
    let pairs: Vec<(Value, Value)> = match collection {
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i), v))
            .collect(),
        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        // Not known before the build: no blocks to check yet.
        Value::Unknown(_) => return Vec::new(),
        Value::Null => Vec::new(),
        other => {
            l.error(
                for_each.value.span(),
                format!(
                    "`for_each` must be a list, set or map, found {}",
                    other.type_name()
                ),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        let mut body = content.body.clone();
        let mut sub = Substitute {
            iterator: &iterator,
            key: &key,
            value: &value,
        };
        sub.visit_body_mut(&mut body);
        let mut generated = Block::new(Ident::new(kind.clone()));
        if let Some(labels) = block.body.get_attribute("labels") {
            let mut le = labels.value.clone();
            sub.visit_expr_mut(&mut le);
            match l.eval(&le) {
                Some(Value::List(ls)) => {
                    for x in ls {
                        generated
                            .labels
                            .push(x.to_text().unwrap_or_default().into());
                    }
                }
                Some(other) => {
                    l.error(
                        labels.value.span(),
                        format!(
                            "`labels` must be a list of strings, found {}",
                            other.type_name()
                        ),
                    );
                }
                None => {}
            }
        }
        generated.body = expand(l, &body);
        out.push(generated);
    }
    out
}

/// Replaces `ITER.key`, `ITER.value` (and `ITER.value.x[...]`) with literals.
struct Substitute<'a> {
    iterator: &'a str,
    key: &'a Value,
    value: &'a Value,
}

impl VisitMut for Substitute<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expression) {
        if let Expression::Traversal(t) = expr {
            if matches!(&t.expr, Expression::Variable(v) if v.as_str() == self.iterator) {
                let which = match t.operators.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(a)) if a.as_str() == "key" => Some(self.key),
                    Some(TraversalOperator::GetAttr(a)) if a.as_str() == "value" => {
                        Some(self.value)
                    }
                    _ => None,
                };
                if let Some(v) = which {
                    let literal = to_expr(v);
                    if t.operators.len() == 1 {
                        *expr = literal;
                    } else {
                        t.expr = literal;
                        t.operators.remove(0);
                        for op in t.operators.iter_mut() {
                            if let TraversalOperator::Index(e) = op.value_mut() {
                                self.visit_expr_mut(e);
                            }
                        }
                    }
                    return;
                }
            }
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// A value written back as an HCL literal.
fn to_expr(v: &Value) -> Expression {
    match v {
        Value::Null | Value::Unknown(_) => Expression::Null(Decorated::new(hcl::edit::expr::Null)),
        Value::Bool(b) => Expression::from(*b),
        Value::Number(n) => match v.as_i64() {
            Some(i) => Expression::from(i),
            None => Expression::from(*n),
        },
        Value::String(s) => Expression::from(s.as_str()),
        Value::List(items) => {
            let mut a = Array::new();
            for x in items {
                a.push(to_expr(x));
            }
            Expression::from(a)
        }
        Value::Map(m) => {
            let mut o = Object::new();
            for (k, x) in m {
                o.insert(
                    ObjectKey::Expression(Expression::from(k.as_str())),
                    ObjectValue::new(to_expr(x)),
                );
            }
            Expression::from(o)
        }
    }
}
