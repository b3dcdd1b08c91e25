//! Values and types as Packer's HCL evaluates them.
//!
//! This is cty's model (what Packer and Terraform use) reduced to what
//! templates need: strings, numbers, bools, lists (tuples and sets are lists
//! here), maps (objects are maps), null, and **unknown**. An unknown value
//! stands for something known only later (a data source that `validate` does
//! not run, `build.SourceAMIName` before the source image is looked up). It
//! flows through operators and functions as cty's `UnknownVal` does, so
//! everything around it is still checked.

use std::collections::BTreeMap;
use std::fmt;

/// A value of the HCL language.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// Lists, tuples and sets.
    List(Vec<Value>),
    /// Maps and objects; keys are kept sorted, as cty iterates them.
    Map(BTreeMap<String, Value>),
    /// Known only later; of this type.
    Unknown(Type),
}

/// A type constraint (`variable "x" { type = ... }`, function parameters).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `any`: whatever the value is.
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, ObjectAttr>),
    Tuple(Vec<Type>),
}

/// One attribute of an `object({...})` type.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: Type,
    /// `optional(T)` / `optional(T, default)`.
    pub optional: bool,
    pub default: Option<Value>,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// Whether no part of the value is unknown (cty's `IsWhollyKnown`).
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A whole number, if the value is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A short description of the value's type for messages ("a string").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "an object",
            Value::Unknown(_) => "a value known only at build time",
        }
    }

    /// The value as a string the way HCL converts primitives: numbers in
    /// their shortest form, bools as `true`/`false`. `None` for the rest.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// JSON, as `jsonencode` and `inspect` write it. Unknown values become
    /// null (callers check `is_wholly_known` first where it matters).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => json_number(*n),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The type a value has, as precisely as a value says (lists of mixed
    /// elements are tuples, maps objects).
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null | Value::Unknown(_) => match self {
                Value::Unknown(t) => t.clone(),
                _ => Type::Any,
            },
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::Tuple(items.iter().map(Value::type_of).collect()),
            Value::Map(m) => Type::Object(
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            ObjectAttr {
                                ty: v.type_of(),
                                optional: false,
                                default: None,
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}
impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Number(n as f64)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// Numbers print as integers when they are whole, else in their shortest
/// round-tripping form (what cty's string conversion does).
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

fn json_number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Display for Value {
    /// HCL-ish rendering for messages and `inspect`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unknown(t) => write!(f, "(known after build: {t})"),
            other => write!(f, "{}", other.to_json()),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(f, "any"),
            Type::String => write!(f, "string"),
            Type::Number => write!(f, "number"),
            Type::Bool => write!(f, "bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                write!(f, "tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "])")
            }
            Type::Object(attrs) => {
                write!(f, "object({{")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if a.optional {
                        write!(f, "{k} = optional({})", a.ty)?;
                    } else {
                        write!(f, "{k} = {}", a.ty)?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

impl Type {
    /// Convert a value to this type as HCL does: numbers and bools to
    /// strings, numeric and boolean strings back, element by element for
    /// collections, attribute by attribute for objects (missing optional
    /// attributes get their default or null; extra ones are dropped).
    pub fn convert(&self, v: Value) -> Result<Value, String> {
        let mismatch = |v: &Value| format!("{self} required, found {}", v.type_name());
        match (self, v) {
            (Type::Any, v) => Ok(v),
            (_, Value::Null) => Ok(Value::Null),
            (t, Value::Unknown(_)) => Ok(Value::Unknown(t.clone())),
            (Type::String, v) => v.to_text().map(Value::String).ok_or_else(|| mismatch(&v)),
            (Type::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (Type::Number, Value::String(s)) => parse_number(&s)
                .map(Value::Number)
                .ok_or_else(|| format!("a number is required, found the string \"{s}\"")),
            (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::List(t), Value::List(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, x)| t.convert(x).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            (Type::Set(t), Value::List(items)) => {
                let mut out: Vec<Value> = Vec::new();
                for (i, x) in items.into_iter().enumerate() {
                    let x = t.convert(x).map_err(|e| format!("element {i}: {e}"))?;
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
                Ok(Value::List(out))
            }
            (Type::Tuple(ts), Value::List(items)) => {
                if ts.len() != items.len() {
                    return Err(format!(
                        "a tuple of {} elements is required, found {}",
                        ts.len(),
                        items.len()
                    ));
                }
                ts.iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (t, x))| t.convert(x).map_err(|e| format!("element {i}: {e}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            }
            (Type::Map(t), Value::Map(m)) => m
                .into_iter()
                .map(|(k, x)| {
                    t.convert(x)
                        .map(|x| (k.clone(), x))
                        .map_err(|e| format!("element \"{k}\": {e}"))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Map),
            (Type::Object(attrs), Value::Map(mut m)) => {
                let mut out = BTreeMap::new();
                for (name, a) in attrs {
                    match m.remove(name) {
                        Some(Value::Null) | None if a.optional => {
                            let d = a.default.clone().unwrap_or(Value::Null);
                            out.insert(name.clone(), a.ty.convert(d)?);
                        }
                        Some(x) => {
                            let x =
                                a.ty.convert(x)
                                    .map_err(|e| format!("attribute \"{name}\": {e}"))?;
                            out.insert(name.clone(), x);
                        }
                        None => return Err(format!("attribute \"{name}\" is required")),
                    }
                }
                Ok(Value::Map(out))
            }
            (_, v) => Err(mismatch(&v)),
        }
    }

    /// Whether values of this type are written as HCL expressions on the
    /// command line (`--var list='["a"]'`) rather than taken as text.
    pub fn is_primitive_string(&self) -> bool {
        matches!(self, Type::String)
    }
}

/// HCL's string-to-number conversion: decimal, optional sign and exponent.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn numbers_print_as_hcl_does() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(-10.0), "-10");
    }

    #[test]
    fn primitives_convert_both_ways() {
        assert_eq!(
            Type::String.convert(Value::Number(8.0)),
            Ok(Value::str("8"))
        );
        assert_eq!(
            Type::Number.convert(Value::str("1.5")),
            Ok(Value::Number(1.5))
        );
        assert_eq!(
            Type::Bool.convert(Value::str("true")),
            Ok(Value::Bool(true))
        );
        assert!(Type::Number.convert(Value::str("ten")).is_err());
        assert!(Type::String.convert(Value::List(vec![])).is_err());
        assert_eq!(
            Type::String.convert(Value::Unknown(Type::Any)),
            Ok(Value::Unknown(Type::String))
        );
    }

    #[test]
    fn objects_fill_optional_attributes_and_drop_extra_ones() {
        let ty = Type::Object(
            [
                (
                    "name".to_string(),
                    ObjectAttr {
                        ty: Type::String,
                        optional: false,
                        default: None,
                    },
                ),
                (
                    "size".to_string(),
                    ObjectAttr {
                        ty: Type::Number,
                        optional: true,
                        default: Some(Value::Number(8.0)),
                    },
                ),
            ]
            .into_iter()
            .collect(),
        );
        let v = ty
            .convert(obj(&[
                ("name", Value::str("a")),
                ("extra", Value::Bool(true)),
            ]))
            .unwrap();
        assert_eq!(
            v,
            obj(&[("name", Value::str("a")), ("size", Value::Number(8.0))])
        );
        let err = ty
            .convert(obj(&[("size", Value::Number(1.0))]))
            .unwrap_err();
        assert!(err.contains("\"name\" is required"), "{err}");
    }

    #[test]
    fn sets_drop_duplicates() {
        let v = Type::Set(Box::new(Type::String))
            .convert(Value::from(vec!["a", "b", "a"]))
            .unwrap();
        assert_eq!(v, Value::from(vec!["a", "b"]));
    }

    #[test]
    fn unknown_is_not_wholly_known_anywhere_inside() {
        let v = Value::List(vec![Value::str("a"), Value::Unknown(Type::String)]);
        assert!(!v.is_wholly_known());
        assert!(Value::from(vec!["a"]).is_wholly_known());
    }
}
