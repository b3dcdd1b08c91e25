//! Typed reading of one block's attributes and nested blocks.
//!
//! Each accessor records the name it asked for; [`Fields::finish`] then
//! reports every attribute or block nobody asked for, with the closest known
//! name as a hint. The schema is therefore the code that reads it and cannot
//! drift from it.

use std::collections::BTreeMap;
use std::ops::Range;

use hcl::edit::structure::{Attribute, Block, Body};
use hcl::edit::Span;
use hcl::Value;

use super::loader::{suggest, type_name, Loader};

pub(crate) struct Fields<'b> {
    body: &'b Body,
    /// What the block is called in messages: `source "amazon-ebs" "web"`.
    what: String,
    span: Option<Range<usize>>,
    known: Vec<&'static str>,
    /// Accepted for Packer compatibility but without effect, with the reason.
    ignored: Vec<(&'static str, &'static str)>,
}

impl<'b> Fields<'b> {
    pub fn new(body: &'b Body, what: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Fields {
            body,
            what: what.into(),
            span,
            known: Vec::new(),
            ignored: Vec::new(),
        }
    }

    pub fn of_block(block: &'b Block, what: impl Into<String>) -> Self {
        Self::new(&block.body, what, block.ident.span())
    }

    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    /// The attribute, registering its name as known.
    pub fn attr(&mut self, name: &'static str) -> Option<&'b Attribute> {
        self.known.push(name);
        self.body.get_attribute(name)
    }

    pub fn has(&mut self, name: &'static str) -> bool {
        self.attr(name).is_some()
    }

    /// Nested blocks of one kind, registering the name as known.
    pub fn blocks(&mut self, name: &'static str) -> Vec<&'b Block> {
        self.known.push(name);
        self.body.get_blocks(name).collect()
    }

    /// Accept `names` without effect; `finish` warns that they are ignored.
    pub fn ignore(&mut self, names: &[&'static str], why: &'static str) {
        for n in names {
            self.ignored.push((n, why));
        }
    }

    /// Evaluate an attribute.
    pub fn value(
        &mut self,
        l: &mut Loader,
        name: &'static str,
    ) -> Option<(Value, Option<Range<usize>>)> {
        let attr = self.attr(name)?;
        let v = l.eval(&attr.value)?;
        Some((v, attr.value.span()))
    }

    pub fn string(&mut self, l: &mut Loader, name: &'static str) -> Option<String> {
        let (v, span) = self.value(l, name)?;
        match as_string(&v) {
            Some(s) => Some(s),
            None => {
                l.error(
                    span,
                    format!("`{name}` must be a string, found {}", type_name(&v)),
                );
                None
            }
        }
    }

    /// A required string: reports its absence at the block.
    pub fn required_string(
        &mut self,
        l: &mut Loader,
        name: &'static str,
        hint: &str,
    ) -> Option<String> {
        if !self.has(name) {
            let what = self.what.clone();
            l.error(
                self.span(),
                format!("{what} is missing the required setting `{name}`"),
            )
            .hint = Some(hint.to_owned());
            return None;
        }
        self.string(l, name)
    }

    pub fn bool(&mut self, l: &mut Loader, name: &'static str) -> Option<bool> {
        let (v, span) = self.value(l, name)?;
        match &v {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => {
                l.error(
                    span,
                    format!("`{name}` must be true or false, found {}", type_name(&v)),
                );
                None
            }
        }
    }

    pub fn int(&mut self, l: &mut Loader, name: &'static str) -> Option<i64> {
        let (v, span) = self.value(l, name)?;
        let n = match &v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if n.is_none() {
            l.error(
                span,
                format!("`{name}` must be a whole number, found {}", type_name(&v)),
            );
        }
        n
    }

    pub fn string_list(&mut self, l: &mut Loader, name: &'static str) -> Option<Vec<String>> {
        let (v, span) = self.value(l, name)?;
        match to_string_list(&v) {
            Some(list) => Some(list),
            None => {
                l.error(
                    span,
                    format!(
                        "`{name}` must be a list of strings, found {}",
                        type_name(&v)
                    ),
                )
                .hint = Some(format!("write it as {name} = [\"a\", \"b\"]"));
                None
            }
        }
    }

    pub fn int_list(&mut self, l: &mut Loader, name: &'static str) -> Option<Vec<i64>> {
        let (v, span) = self.value(l, name)?;
        let list = match &v {
            Value::Array(a) => a.iter().map(|x| x.as_i64()).collect::<Option<Vec<_>>>(),
            _ => None,
        };
        if list.is_none() {
            l.error(
                span,
                format!(
                    "`{name}` must be a list of whole numbers, found {}",
                    type_name(&v)
                ),
            );
        }
        list
    }

    pub fn string_map(
        &mut self,
        l: &mut Loader,
        name: &'static str,
    ) -> Option<BTreeMap<String, String>> {
        let (v, span) = self.value(l, name)?;
        let map = match &v {
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| Some((k.clone(), as_string(v)?)))
                .collect::<Option<BTreeMap<_, _>>>(),
            _ => None,
        };
        if map.is_none() {
            l.error(
                span,
                format!("`{name}` must be a map of strings, found {}", type_name(&v)),
            )
            .hint = Some(format!("write it as {name} = {{ Key = \"value\" }}"));
        }
        map
    }

    pub fn duration(&mut self, l: &mut Loader, name: &'static str) -> Option<std::time::Duration> {
        let (v, span) = self.value(l, name)?;
        let text = match &v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => {
                l.error(
                    span,
                    format!(
                        "`{name}` must be a duration string like \"5m\", found {}",
                        type_name(&v)
                    ),
                );
                return None;
            }
        };
        match super::duration::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                l.error(span, format!("`{name}`: {e}"));
                None
            }
        }
    }

    /// The position of an attribute's value (for cross-field checks).
    pub fn value_span(&self, name: &str) -> Option<Range<usize>> {
        self.body.get_attribute(name).and_then(|a| a.value.span())
    }

    /// Report unknown attributes and blocks, duplicate attributes, and
    /// warn about ignored Packer options.
    pub fn finish(self, l: &mut Loader) {
        let mut seen = std::collections::HashSet::new();
        for attr in self.body.attributes() {
            let key = attr.key.as_str();
            if !seen.insert(key.to_owned()) {
                l.error(
                    attr.key.span(),
                    format!("`{key}` is set more than once in {}", self.what),
                );
                continue;
            }
            if self.known.contains(&key) {
                continue;
            }
            if let Some((_, why)) = self.ignored.iter().find(|(n, _)| *n == key) {
                l.warning(
                    attr.key.span(),
                    format!("`{key}` is accepted for Packer compatibility and ignored: {why}"),
                );
                continue;
            }
            let all = self
                .known
                .iter()
                .copied()
                .chain(self.ignored.iter().map(|(n, _)| *n));
            let d = l.error(
                attr.key.span(),
                format!("unknown attribute `{key}` in {}", self.what),
            );
            if let Some(s) = suggest(key, all) {
                d.hint = Some(format!("did you mean `{s}`?"));
            }
        }
        for block in self.body.blocks() {
            let name = block.ident.as_str();
            if self.known.contains(&name) {
                continue;
            }
            if let Some((_, why)) = self.ignored.iter().find(|(n, _)| *n == name) {
                l.warning(
                    block.ident.span(),
                    format!(
                        "block `{name}` is accepted for Packer compatibility and ignored: {why}"
                    ),
                );
                continue;
            }
            let all = self.known.iter().copied();
            let d = l.error(
                block.ident.span(),
                format!("unknown block `{name}` in {}", self.what),
            );
            if let Some(s) = suggest(name, all) {
                d.hint = Some(format!("did you mean `{s}`?"));
            }
        }
    }
}

/// Strings, numbers and bools convert to strings, as HCL's type system does.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn to_string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(a) => a.iter().map(as_string).collect(),
        _ => None,
    }
}
