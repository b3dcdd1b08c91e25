//! Type conversion functions: `tobool`, `tolist`, `tomap`, `tonumber`,
//! `toset`, `tostring` (Terraform's `MakeToFunc`, with its messages), and
//! the rows of `can`, `try` and `convert`, which the evaluator implements
//! (they take unevaluated expressions or a type expression).
//!
//! Every conversion accepts null and returns null, as in Terraform.

use super::super::value::{Type, Value};
use super::collection::{to_set, unify};
use super::{p, p_null, special, FnCtx, Func, Kind, ParamType};

const ANY: ParamType = ParamType::Any;

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "can",
        params: &[p_null("expression", ANY)],
        variadic: None,
        kind: Kind::Special,
        doc: "whether the expression evaluates without an error",
        call: special,
    },
    Func {
        name: "convert",
        params: &[p_null("value", ANY), p("type", ANY)],
        variadic: None,
        kind: Kind::Special,
        doc: "the value converted to a type constraint such as list(string)",
        call: special,
    },
    Func {
        name: "tobool",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a bool (\"true\" and \"false\" are accepted)",
        call: tobool,
    },
    Func {
        name: "tolist",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a list of one element type",
        call: tolist,
    },
    Func {
        name: "tomap",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a map of one element type",
        call: tomap,
    },
    Func {
        name: "tonumber",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a number (numeric strings are accepted)",
        call: tonumber,
    },
    Func {
        name: "toset",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a set: one element type, no duplicates, sorted",
        call: toset,
    },
    Func {
        name: "tostring",
        params: &[p_null("v", ANY)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the value converted to a string (numbers and bools only)",
        call: tostring,
    },
    Func {
        name: "try",
        params: &[],
        variadic: Some(p_null("expressions", ANY)),
        kind: Kind::Special,
        doc: "the value of the first expression that evaluates without an error",
        call: special,
    },
];

fn one(args: Vec<Value>) -> Value {
    args.into_iter().next().unwrap_or(Value::Null)
}

fn cannot(v: &Value, to: &str) -> String {
    format!("cannot convert {} to {to}", v.type_name())
}

fn tobool(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        v @ (Value::Null | Value::Bool(_)) => Ok(v),
        Value::String(s) => Type::Bool.convert(Value::String(s.clone())).map_err(|_| {
            format!(
                "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
            )
        }),
        other => Err(cannot(&other, "bool")),
    }
}

fn tonumber(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        v @ (Value::Null | Value::Number(_)) => Ok(v),
        Value::String(s) => Type::Number.convert(Value::String(s.clone())).map_err(|_| {
            format!(
                "cannot convert {s:?} to number; \
                 given string must be a decimal representation of a number"
            )
        }),
        other => Err(cannot(&other, "number")),
    }
}

fn tostring(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        Value::Null => Ok(Value::Null),
        v => v
            .to_text()
            .map(Value::String)
            .ok_or_else(|| cannot(&v, "string")),
    }
}

fn tolist(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        Value::Null => Ok(Value::Null),
        Value::List(items) => unify(items).map(Value::List).map_err(|_| {
            "cannot convert to a list of any single type: the elements have no common type".into()
        }),
        other => Err(cannot(&other, "list")),
    }
}

fn toset(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        Value::Null => Ok(Value::Null),
        Value::List(items) => to_set(items).map(Value::List).map_err(|_| {
            "cannot convert to a set of any single type: the elements have no common type".into()
        }),
        other => Err(cannot(&other, "set")),
    }
}

fn tomap(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match one(args) {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let (keys, values): (Vec<String>, Vec<Value>) = m.into_iter().unzip();
            let values = unify(values).map_err(|_| {
                "cannot convert to a map of any single type: the elements have no common type"
                    .to_string()
            })?;
            Ok(Value::Map(keys.into_iter().zip(values).collect()))
        }
        other => Err(cannot(&other, "map")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::value::{Type, Value};
    use super::super::testing::{err, list, map, n, ok, s};

    const T: Value = Value::Bool(true);
    const F: Value = Value::Bool(false);

    #[test]
    fn every_conversion_passes_null_through() {
        for f in ["tobool", "tolist", "tomap", "tonumber", "toset", "tostring"] {
            assert_eq!(ok(f, vec![Value::Null]), Value::Null, "{f}");
        }
    }

    #[test]
    fn tobool_accepts_bools_and_their_strings() {
        assert_eq!(ok("tobool", vec![T]), T);
        assert_eq!(ok("tobool", vec![s("false")]), F);
        let e = err("tobool", vec![s("yes")]);
        assert!(e.contains("cannot convert \"yes\" to bool"), "{e}");
        assert!(err("tobool", vec![n(1.0)]).contains("cannot convert a number to bool"));
        assert!(err("tobool", vec![list(&[])]).contains("cannot convert a list to bool"));
    }

    #[test]
    fn tonumber_accepts_numbers_and_numeric_strings() {
        assert_eq!(ok("tonumber", vec![n(1.5)]), n(1.5));
        assert_eq!(ok("tonumber", vec![s("42")]), n(42.0));
        assert_eq!(ok("tonumber", vec![s("-1e3")]), n(-1000.0));
        let e = err("tonumber", vec![s("x")]);
        assert!(e.contains("cannot convert \"x\" to number"), "{e}");
        assert!(err("tonumber", vec![T]).contains("cannot convert a bool to number"));
    }

    #[test]
    fn tostring_accepts_primitives_only() {
        assert_eq!(ok("tostring", vec![s("a")]), s("a"));
        assert_eq!(ok("tostring", vec![n(5.0)]), s("5"));
        assert_eq!(ok("tostring", vec![n(2.5)]), s("2.5"));
        assert_eq!(ok("tostring", vec![T]), s("true"));
        let e = err("tostring", vec![list(&[s("a")])]);
        assert!(e.contains("cannot convert a list to string"), "{e}");
        assert!(err("tostring", vec![map(&[])]).contains("cannot convert an object to string"));
    }

    #[test]
    fn tolist_unifies_element_types() {
        assert_eq!(
            ok("tolist", vec![list(&[s("a"), n(1.0), T])]),
            list(&[s("a"), s("1"), s("true")])
        );
        assert_eq!(
            ok("tolist", vec![list(&[n(2.0), n(1.0)])]),
            list(&[n(2.0), n(1.0)])
        );
        assert_eq!(ok("tolist", vec![list(&[])]), list(&[]));
        assert!(err("tolist", vec![list(&[n(1.0), T])]).contains("no common type"));
        assert!(err("tolist", vec![s("a")]).contains("cannot convert a string to list"));
        assert!(err("tolist", vec![map(&[])]).contains("cannot convert an object to list"));
    }

    #[test]
    fn toset_deduplicates_and_orders_like_cty() {
        assert_eq!(
            ok("toset", vec![list(&[s("c"), s("a"), s("b"), s("a")])]),
            list(&[s("a"), s("b"), s("c")])
        );
        assert_eq!(
            ok("toset", vec![list(&[n(10.0), n(2.0), n(2.0)])]),
            list(&[n(2.0), n(10.0)])
        );
        assert_eq!(ok("toset", vec![list(&[s("1"), n(1.0)])]), list(&[s("1")]));
        assert!(err("toset", vec![list(&[n(1.0), T])]).contains("no common type"));
        assert!(err("toset", vec![n(1.0)]).contains("cannot convert a number to set"));
    }

    #[test]
    fn tomap_unifies_element_types() {
        assert_eq!(
            ok("tomap", vec![map(&[("a", n(1.0)), ("b", s("x"))])]),
            map(&[("a", s("1")), ("b", s("x"))])
        );
        assert_eq!(ok("tomap", vec![map(&[])]), map(&[]));
        assert!(
            err("tomap", vec![map(&[("a", n(1.0)), ("b", list(&[]))])]).contains("no common type")
        );
        assert!(err("tomap", vec![list(&[])]).contains("cannot convert a list to map"));
    }

    #[test]
    fn special_rows_are_left_to_the_evaluator() {
        for f in ["can", "try", "convert"] {
            let row = super::super::lookup(f).unwrap();
            assert_eq!(row.kind, super::Kind::Special, "{f}");
        }
        assert!(ok("tostring", vec![Value::Unknown(Type::Any)]).is_unknown());
    }
}
