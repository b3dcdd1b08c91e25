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

use super::diag::suggest;
use super::lang::Value;
use super::loader::Loader;
use super::model::KNOWN_LATER;

pub(crate) struct Fields<'b> {
    body: &'b Body,
    /// What the block is called in messages: `source "amazon-ebs" "web"`.
    what: String,
    span: Option<Range<usize>>,
    known: Vec<&'static str>,
    /// Accepted for Packer compatibility but without effect, with the reason.
    ignored: Vec<(&'static str, &'static str)>,
    /// Whole families of such options (`ssh_*`), with the reason.
    ignored_prefixes: Vec<(&'static str, &'static str)>,
}

impl<'b> Fields<'b> {
    pub fn new(body: &'b Body, what: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Fields {
            body,
            what: what.into(),
            span,
            known: Vec::new(),
            ignored: Vec::new(),
            ignored_prefixes: Vec::new(),
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

    /// Accept every option starting with `prefix` without effect.
    pub fn ignore_prefix(&mut self, prefix: &'static str, why: &'static str) {
        self.ignored_prefixes.push((prefix, why));
    }

    fn ignored_reason(&self, name: &str) -> Option<&'static str> {
        self.ignored
            .iter()
            .find(|(n, _)| *n == name)
            .or_else(|| {
                self.ignored_prefixes
                    .iter()
                    .find(|(p, _)| name.starts_with(p))
            })
            .map(|(_, why)| *why)
    }

    /// Evaluate an attribute. `null` means unset, as everywhere in HCL
    /// (`subnet_id = var.private ? "subnet-1" : null`).
    pub fn value(
        &mut self,
        l: &mut Loader,
        name: &'static str,
    ) -> Option<(Value, Option<Range<usize>>)> {
        let attr = self.attr(name)?;
        let v = l.eval(&attr.value)?;
        if v.is_null() {
            return None;
        }
        if l.fns.fetch.is_some() && !v.is_wholly_known() {
            // Building: data sources have run, so what is still unknown
            // would only be known by a step that needs this value first.
            l.error(attr.value.span(), format!("`{name}` depends on a value amibake cannot know before it is needed"))
                .hint = Some("build.* values are strings for tags, descriptions and provisioners; use them there".into());
            return None;
        }
        Some((v, attr.value.span()))
    }

    /// Whether the attribute is set to something other than null or "". (A value
    /// that fails to evaluate counts as set: its error is reported anyway.)
    pub fn is_set(&mut self, l: &mut Loader, name: &'static str) -> bool {
        match self.attr(name) {
            None => false,
            Some(attr) => {
                !matches!(&attr.value, hcl::edit::expr::Expression::Null(_)) && {
                    let saved = l.diags.len();
                    let null = l
                        .eval(&attr.value)
                        .is_some_and(|v| v.is_null() || v.as_str() == Some(""));
                    l.diags.truncate(saved);
                    !null
                }
            }
        }
    }

    /// A string option. An empty string is unset, as for every string
    /// option of Packer's plugins (Go's zero value): templates write
    /// `default = ""` for "not given".
    pub fn string(&mut self, l: &mut Loader, name: &'static str) -> Option<String> {
        let (v, span) = self.value(l, name)?;
        match as_string(&v) {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None => {
                l.error(
                    span,
                    format!("`{name}` must be a string, found {}", v.type_name()),
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
        if !self.is_set(l, name) {
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
            Value::Unknown(_) => None,
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => {
                l.error(
                    span,
                    format!("`{name}` must be true or false, found {}", v.type_name()),
                );
                None
            }
        }
    }

    pub fn int(&mut self, l: &mut Loader, name: &'static str) -> Option<i64> {
        let (v, span) = self.value(l, name)?;
        let n = match &v {
            Value::Unknown(_) => return None,
            Value::Number(_) => v.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if n.is_none() {
            l.error(
                span,
                format!("`{name}` must be a whole number, found {}", v.type_name()),
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
                        v.type_name()
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
            Value::Unknown(_) => return None,
            Value::List(a) => a.iter().map(|x| x.as_i64()).collect::<Option<Vec<_>>>(),
            _ => None,
        };
        if list.is_none() {
            l.error(
                span,
                format!(
                    "`{name}` must be a list of whole numbers, found {}",
                    v.type_name()
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
            Value::Unknown(_) => Some(BTreeMap::new()),
            Value::Map(o) => o
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| Some((k.clone(), as_string(v)?)))
                .collect::<Option<BTreeMap<_, _>>>(),
            _ => None,
        };
        if map.is_none() {
            l.error(
                span,
                format!("`{name}` must be a map of strings, found {}", v.type_name()),
            )
            .hint = Some(format!("write it as {name} = {{ Key = \"value\" }}"));
        }
        map
    }

    pub fn duration(&mut self, l: &mut Loader, name: &'static str) -> Option<std::time::Duration> {
        let (v, span) = self.value(l, name)?;
        let text = match &v {
            Value::Unknown(_) => return None,
            Value::Number(_) | Value::String(_) => as_string(&v)?,
            _ => {
                l.error(
                    span,
                    format!(
                        "`{name}` must be a duration string like \"5m\", found {}",
                        v.type_name()
                    ),
                );
                return None;
            }
        };
        match crate::duration::parse(&text) {
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

    /// Report unknown attributes and blocks and duplicate attributes, and
    /// give one notice per reason for the ignored Packer options present
    /// (a template full of `ssh_*` settings gets one line, not twenty).
    pub fn finish(self, l: &mut Loader) {
        let mut seen = std::collections::HashSet::new();
        // (reason, the options present, where the first one is)
        let mut ignored: Vec<IgnoredGroup> = Vec::new();
        let mut note_ignored =
            |name: &str, why: &'static str, span: Option<Range<usize>>| match ignored
                .iter_mut()
                .find(|(w, _, _)| *w == why)
            {
                Some((_, names, _)) => names.push(format!("`{name}`")),
                None => ignored.push((why, vec![format!("`{name}`")], span)),
            };
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
            if let Some(why) = self.ignored_reason(key) {
                note_ignored(key, why, attr.key.span());
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
            if let Some(why) = self.ignored_reason(name) {
                note_ignored(name, why, block.ident.span());
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
        for (why, names, span) in ignored {
            let (list, verb) = match names.len() {
                1 => (names[0].clone(), "is"),
                _ => (names.join(", "), "are"),
            };
            l.warning(
                span,
                format!(
                    "{list} {verb} accepted for Packer compatibility and ignored in {}: {why}",
                    self.what
                ),
            );
        }
    }
}

/// Strings, numbers and bools convert to strings, as HCL's type system does.
/// Ignored options of one reason: the reason, their names, the first's place.
type IgnoredGroup = (&'static str, Vec<String>, Option<Range<usize>>);

/// A value that is known only at build time reads as [`KNOWN_LATER`], so
/// that `validate` and `inspect` can go on; checks skip such text.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::Unknown(_) => Some(KNOWN_LATER.to_owned()),
        v => v.to_text(),
    }
}

pub fn to_string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Unknown(_) => Some(Vec::new()),
        Value::List(a) => a.iter().filter(|x| !x.is_null()).map(as_string).collect(),
        _ => None,
    }
}
