//! Collection functions: lists, sets and maps (cty's stdlib collection and
//! set functions, go-cty-funcs' `coalesce`, Packer's own `alltrue`,
//! `anytrue`, `index`, `length` and `sum`, Terraform's `matchkeys` and
//! `transpose`).
//!
//! Lists, tuples and sets are all `Value::List` here. Where cty would
//! convert a tuple to a list or set of one element type, [`unify`] does the
//! same for primitives (numbers and bools become strings when strings are
//! present; numbers mixed with bools have no common type). Set results are
//! deduplicated and ordered as cty orders sets ([`set_order`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::super::value::{Type, Value};
use super::{p, p_null, FnCtx, Func, Kind, ParamType};

const LIST: ParamType = ParamType::List;
const NUMBER: ParamType = ParamType::Number;

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "alltrue",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "true if every element of a list of bools is true (or the list is empty)",
        call: alltrue,
    },
    Func {
        name: "anytrue",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "true if any element of a list of bools is true",
        call: anytrue,
    },
    Func {
        name: "chunklist",
        params: &[p("list", LIST), p("size", NUMBER)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the list split into lists of at most `size` elements",
        call: chunklist,
    },
    Func {
        name: "coalesce",
        params: &[],
        variadic: Some(p_null("vals", ParamType::Any)),
        kind: Kind::Pure,
        doc: "the first argument that is neither null nor an empty string",
        call: coalesce,
    },
    Func {
        name: "coalescelist",
        params: &[],
        variadic: Some(p_null("vals", ParamType::Any)),
        kind: Kind::Pure,
        doc: "the first argument that is a non-empty list",
        call: coalescelist,
    },
    Func {
        name: "compact",
        params: &[p("list", ParamType::StringList)],
        variadic: None,
        kind: Kind::Pure,
        doc: "a list of strings without its empty and null elements",
        call: compact,
    },
    Func {
        name: "concat",
        params: &[],
        variadic: Some(p("seqs", LIST)),
        kind: Kind::Pure,
        doc: "the lists joined into one list, in order",
        call: concat,
    },
    Func {
        name: "contains",
        params: &[p("list", LIST), p("value", ParamType::Any)],
        variadic: None,
        kind: Kind::Pure,
        doc: "whether the list contains the value",
        call: contains,
    },
    Func {
        name: "distinct",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the list without duplicates, first occurrences kept in order",
        call: distinct,
    },
    Func {
        name: "element",
        params: &[p("list", LIST), p("index", NUMBER)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the element at an index, wrapping around (modulo the length)",
        call: element,
    },
    Func {
        name: "flatten",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "nested lists replaced by their elements, recursively",
        call: flatten,
    },
    Func {
        name: "index",
        params: &[p("list", LIST), p("value", ParamType::Any)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the position of the first element equal to the value",
        call: index,
    },
    Func {
        name: "keys",
        params: &[p("inputMap", ParamType::Map)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the keys of a map, sorted",
        call: keys,
    },
    Func {
        name: "length",
        params: &[p("value", ParamType::Any)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the number of elements of a list or map, or of characters of a string",
        call: length,
    },
    Func {
        name: "lookup",
        params: &[p("inputMap", ParamType::Map), p("key", ParamType::String)],
        variadic: Some(p("default", ParamType::Any)),
        kind: Kind::Pure,
        doc: "the map's element for a key, or the default when the key is absent",
        call: lookup,
    },
    Func {
        name: "matchkeys",
        params: &[p("values", LIST), p("keys", LIST), p("searchset", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the values whose corresponding keys are in the search set",
        call: matchkeys,
    },
    Func {
        name: "merge",
        params: &[],
        variadic: Some(p_null("maps", ParamType::Map)),
        kind: Kind::Pure,
        doc: "the maps merged into one, later keys winning",
        call: merge,
    },
    Func {
        name: "range",
        params: &[],
        variadic: Some(p("params", NUMBER)),
        kind: Kind::Pure,
        doc: "a list of numbers: range(limit), range(start, limit) or range(start, limit, step)",
        call: range,
    },
    Func {
        name: "reverse",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the list in reverse order",
        call: reverse,
    },
    Func {
        name: "setintersection",
        params: &[p("first_set", LIST)],
        variadic: Some(p("other_sets", LIST)),
        kind: Kind::Pure,
        doc: "the elements present in every given set, sorted",
        call: setintersection,
    },
    Func {
        name: "setproduct",
        params: &[],
        variadic: Some(p("sets", LIST)),
        kind: Kind::Pure,
        doc: "the cartesian product of the lists: every combination, as lists",
        call: setproduct,
    },
    Func {
        name: "setsubtract",
        params: &[p("a", LIST), p("b", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the elements of the first set that are not in the second, sorted",
        call: setsubtract,
    },
    Func {
        name: "setunion",
        params: &[p("first_set", LIST)],
        variadic: Some(p("other_sets", LIST)),
        kind: Kind::Pure,
        doc: "the elements present in any of the given sets, sorted",
        call: setunion,
    },
    Func {
        name: "slice",
        params: &[
            p("list", LIST),
            p("start_index", NUMBER),
            p("end_index", NUMBER),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "the elements from start (inclusive) to end (exclusive)",
        call: slice,
    },
    Func {
        name: "sort",
        params: &[p("list", ParamType::StringList)],
        variadic: None,
        kind: Kind::Pure,
        doc: "a list of strings sorted lexically",
        call: sort,
    },
    Func {
        name: "sum",
        params: &[p("list", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the sum of a list of numbers",
        call: sum,
    },
    Func {
        name: "transpose",
        params: &[p("values", ParamType::Map)],
        variadic: None,
        kind: Kind::Pure,
        doc: "a map of lists of strings with keys and values swapped",
        call: transpose,
    },
    Func {
        name: "values",
        params: &[p("mapping", ParamType::Map)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the values of a map, in the order of its sorted keys",
        call: values,
    },
    Func {
        name: "zipmap",
        params: &[p("keys", ParamType::StringList), p("values", LIST)],
        variadic: None,
        kind: Kind::Pure,
        doc: "a map built from a list of keys and a list of values",
        call: zipmap,
    },
];

// ---------------------------------------------------------------------------
// Shared helpers (also used by `types.rs`).

/// The elements of a list argument (already checked to be a list by `call`).
fn items(v: Value) -> Vec<Value> {
    match v {
        Value::List(l) => l,
        _ => Vec::new(),
    }
}

fn entries(v: Value) -> BTreeMap<String, Value> {
    match v {
        Value::Map(m) => m,
        _ => BTreeMap::new(),
    }
}

/// A whole number argument, as cty's `gocty.FromCtyValue(v, &int)` wants it.
fn whole(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("invalid {what}: value must be a whole number"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Str,
    Num,
    Bool,
    List,
    Map,
}

fn shape(v: &Value) -> Option<Shape> {
    match v {
        Value::String(_) => Some(Shape::Str),
        Value::Number(_) => Some(Shape::Num),
        Value::Bool(_) => Some(Shape::Bool),
        Value::List(_) => Some(Shape::List),
        Value::Map(_) => Some(Shape::Map),
        Value::Null | Value::Unknown(_) => None,
    }
}

/// The type values must be converted to so they share one element type, as
/// cty's type unification decides it for primitives: `Ok(None)` when they
/// already agree, `Ok(Some(String))` when strings are mixed with numbers or
/// bools, `Err` when there is no common type (numbers with bools, primitives
/// with collections, lists with maps).
pub(super) fn common_type<'a>(
    values: impl IntoIterator<Item = &'a Value>,
) -> Result<Option<Type>, ()> {
    let mut seen: Vec<Shape> = Vec::new();
    for s in values.into_iter().filter_map(shape) {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    if seen.len() <= 1 {
        return Ok(None);
    }
    let primitive = |s: &Shape| matches!(s, Shape::Str | Shape::Num | Shape::Bool);
    if seen.iter().all(primitive) && seen.contains(&Shape::Str) {
        Ok(Some(Type::String))
    } else {
        Err(())
    }
}

/// Convert values to a type from [`common_type`] (a no-op for `None`).
pub(super) fn convert_all(values: Vec<Value>, ty: &Option<Type>) -> Vec<Value> {
    match ty {
        None => values,
        Some(t) => values
            .into_iter()
            .map(|v| t.convert(v.clone()).unwrap_or(v))
            .collect(),
    }
}

/// The elements of a tuple converted to one element type (cty's conversion
/// of a tuple to `list(any)`).
pub(super) fn unify(values: Vec<Value>) -> Result<Vec<Value>, ()> {
    let ty = common_type(&values)?;
    Ok(convert_all(values, &ty))
}

/// Drop repeated elements, keeping the first of each.
pub(super) fn dedup(values: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Put set elements in cty's iteration order: strings lexically, numbers
/// numerically, false before true, nulls last. Sets of other elements have
/// no defined order in cty (it orders them by hash); they keep the order of
/// first appearance.
pub(super) fn set_order(values: &mut [Value]) {
    let shapes: Vec<Shape> = values.iter().filter_map(shape).collect();
    let Some(first) = shapes.first() else { return };
    if !shapes.iter().all(|s| s == first) || !matches!(first, Shape::Str | Shape::Num | Shape::Bool)
    {
        return;
    }
    values.sort_by(|a, b| match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    });
}

/// A list converted to a set: one element type, no duplicates, cty's order.
pub(super) fn to_set(values: Vec<Value>) -> Result<Vec<Value>, ()> {
    let mut out = dedup(unify(values)?);
    set_order(&mut out);
    Ok(out)
}

/// A sum of binary fractions rounded to 15 significant digits, so that
/// `0.1 + 0.2` is 0.3 as cty's arbitrary-precision arithmetic gives it.
fn tidy(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() || x.fract() == 0.0 {
        return x;
    }
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// The number of user-perceived characters (grapheme clusters) in a string,
/// which is what cty's `strlen` (and so `length`) counts. An approximation
/// of Unicode's segmentation rules covering what templates meet: CR LF,
/// combining marks, variation selectors, emoji modifiers and ZWJ sequences,
/// and flag pairs.
fn grapheme_count(s: &str) -> usize {
    fn extends(c: char) -> bool {
        matches!(c as u32,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
            | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
            | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
            | 0x0900..=0x0903 | 0x093A..=0x093C | 0x093E..=0x094F | 0x0951..=0x0957
            | 0x0962..=0x0963 | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E
            | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D | 0x20D0..=0x20FF
            | 0x302A..=0x302F | 0x3099..=0x309A | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F
            | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
    }
    fn regional(c: char) -> bool {
        matches!(c as u32, 0x1F1E6..=0x1F1FF)
    }
    let mut count = 0;
    let mut prev: Option<char> = None;
    let mut unpaired_flag = false;
    for c in s.chars() {
        let joins = match prev {
            None => false,
            Some('\r') => c == '\n',
            Some('\n') => false,
            Some('\u{200D}') => true,
            Some(_) => extends(c) || (regional(c) && unpaired_flag),
        };
        if regional(c) {
            unpaired_flag = !(joins && unpaired_flag);
        } else if !extends(c) {
            unpaired_flag = false;
        }
        if !joins {
            count += 1;
        }
        prev = Some(c);
    }
    count
}

// ---------------------------------------------------------------------------
// The functions.

fn bools(list: Value) -> Result<Vec<Option<bool>>, String> {
    items(list)
        .into_iter()
        .enumerate()
        .map(|(i, v)| match Type::Bool.convert(v) {
            Ok(Value::Bool(b)) => Ok(Some(b)),
            Ok(_) => Ok(None),
            Err(e) => Err(format!("element {i}: {e}")),
        })
        .collect()
}

fn alltrue(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    // A null element counts as false, as in Packer.
    Ok(Value::Bool(
        bools(list)?.into_iter().all(|b| b == Some(true)),
    ))
}

fn anytrue(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    Ok(Value::Bool(
        bools(list)?.into_iter().any(|b| b == Some(true)),
    ))
}

fn chunklist(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list, size] = <[Value; 2]>::try_from(args).map_err(|_| "bad arguments")?;
    let size = size
        .as_i64()
        .ok_or("invalid size: value must be a whole number")?;
    if size < 0 {
        return Err("the size argument must be positive".into());
    }
    let list = unify(items(list)).map_err(|_| "all elements must have the same type")?;
    if list.is_empty() {
        return Ok(Value::List(vec![]));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(list)]));
    }
    Ok(Value::List(
        list.chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

fn coalesce(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        return Err("at least one argument is required".into());
    }
    let ty = common_type(&args).map_err(|_| "all arguments must have the same type")?;
    let args = convert_all(args, &ty);
    args.into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| "no non-null, non-empty-string arguments".into())
}

fn coalescelist(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        return Err("at least one argument is required".into());
    }
    if args.iter().any(|v| !v.is_null() && v.as_list().is_none()) {
        return Err("coalescelist arguments must be lists or tuples".into());
    }
    args.into_iter()
        .find(|v| v.as_list().is_some_and(|l| !l.is_empty()))
        .ok_or_else(|| "no non-null arguments".into())
}

fn compact(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    Ok(Value::List(
        items(list)
            .into_iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .collect(),
    ))
}

fn concat(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        return Err("at least one argument is required".into());
    }
    Ok(Value::List(args.into_iter().flat_map(items).collect()))
}

fn contains(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list, value] = <[Value; 2]>::try_from(args).map_err(|_| "bad arguments")?;
    Ok(Value::Bool(items(list).contains(&value)))
}

fn distinct(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let list = unify(items(list)).map_err(|_| "all elements must have the same type")?;
    Ok(Value::List(dedup(list)))
}

fn element(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list, index] = <[Value; 2]>::try_from(args).map_err(|_| "bad arguments")?;
    let index = whole(&index, "index")?;
    let list = items(list);
    if list.is_empty() {
        return Err("cannot use element function with an empty list".into());
    }
    // cty ≥ 1.15: negative indices wrap around from the end too.
    let i = index.rem_euclid(list.len() as i64) as usize;
    Ok(list[i].clone())
}

fn flatten(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    fn walk(list: Vec<Value>, out: &mut Vec<Value>) {
        for v in list {
            match v {
                Value::List(inner) => walk(inner, out),
                other => out.push(other),
            }
        }
    }
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let mut out = Vec::new();
    walk(items(list), &mut out);
    Ok(Value::List(out))
}

fn index(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list, value] = <[Value; 2]>::try_from(args).map_err(|_| "bad arguments")?;
    let list = items(list);
    if list.is_empty() {
        return Err("cannot search an empty list".into());
    }
    list.iter()
        .position(|v| *v == value)
        .map(Value::from)
        .ok_or_else(|| "item not found".into())
}

fn keys(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [m] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    Ok(Value::List(
        entries(m).into_keys().map(Value::String).collect(),
    ))
}

fn length(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [v] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let n = match &v {
        Value::String(s) => grapheme_count(s),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        _ => {
            return Err("argument must be a string, a collection type, or a structural type".into())
        }
    };
    Ok(Value::from(n))
}

fn lookup(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.len() > 3 {
        return Err(format!("takes at most 3 arguments, {} given", args.len()));
    }
    let mut args = args.into_iter();
    let m = entries(args.next().unwrap_or(Value::Null));
    let key = args.next().unwrap_or(Value::Null);
    let key = key.as_str().unwrap_or_default();
    if let Some(v) = m.get(key) {
        return Ok(v.clone());
    }
    match args.next() {
        // (cty converts the default to a map's element type, but returns it
        // unchanged for an object; maps and objects are one thing here.)
        Some(default) => Ok(default),
        None => Err(format!("the given key does not exist in the map: {key:?}")),
    }
}

fn matchkeys(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [values, keys, search] = <[Value; 3]>::try_from(args).map_err(|_| "bad arguments")?;
    let (values, keys, search) = (items(values), items(keys), items(search));
    let ty = common_type(keys.iter().chain(&search))
        .map_err(|_| "keys and searchset must be of the same type")?;
    if values.len() != keys.len() {
        return Err("length of keys and values should be equal".into());
    }
    let keys = convert_all(keys, &ty);
    let search = convert_all(search, &ty);
    Ok(Value::List(
        values
            .into_iter()
            .zip(keys)
            .filter(|(_, k)| search.contains(k))
            .map(|(v, _)| v)
            .collect(),
    ))
}

fn merge(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for m in args {
        out.extend(entries(m));
    }
    Ok(Value::Map(out))
}

fn range(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let nums: Vec<f64> = args.iter().filter_map(Value::as_f64).collect();
    let (start, end, step) = match nums[..] {
        [end] => (0.0, end, if end < 0.0 { -1.0 } else { 1.0 }),
        [start, end] => (start, end, if end < start { -1.0 } else { 1.0 }),
        [start, end, step] => (start, end, step),
        _ => return Err("must have one, two, or three arguments".into()),
    };
    if step == 0.0 {
        return Err("step must not be zero".into());
    }
    let down = step < 0.0;
    if down && end > start {
        return Err("end must be less than start when step is negative".into());
    }
    if !down && end < start {
        return Err("end must be greater than start when step is positive".into());
    }
    let mut out = Vec::new();
    let mut num = start;
    while (down && num > end) || (!down && num < end) {
        if out.len() >= 1024 {
            return Err(concat!(
                "more than 1024 values were generated; either decrease the ",
                "difference between start and end or use a smaller step"
            )
            .into());
        }
        out.push(Value::Number(num));
        num = tidy(start + step * out.len() as f64);
    }
    Ok(Value::List(out))
}

fn reverse(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let mut list = items(list);
    list.reverse();
    Ok(Value::List(list))
}

/// The arguments of a set function as sets of one common element type.
fn sets(args: Vec<Value>) -> Result<Vec<Vec<Value>>, String> {
    let lists: Vec<Vec<Value>> = args.into_iter().map(items).collect();
    let ty = common_type(lists.iter().flatten())
        .map_err(|_| "given sets must all have compatible element types")?;
    Ok(lists
        .into_iter()
        .map(|l| dedup(convert_all(l, &ty)))
        .collect())
}

fn set_result(mut values: Vec<Value>) -> Result<Value, String> {
    set_order(&mut values);
    Ok(Value::List(values))
}

fn setintersection(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut sets = sets(args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = sets.collect();
    set_result(
        first
            .into_iter()
            .filter(|v| rest.iter().all(|s| s.contains(v)))
            .collect(),
    )
}

fn setproduct(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.len() < 2 {
        return Err("at least two arguments are required".into());
    }
    let mut lists = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        let l = unify(items(a))
            .map_err(|_| format!("argument {}: all elements must be of the same type", i + 1))?;
        lists.push(l);
    }
    // Every combination, the last list varying fastest (cty's order).
    let mut product: Vec<Vec<Value>> = vec![vec![]];
    for l in &lists {
        product = product
            .into_iter()
            .flat_map(|prefix| {
                l.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(Value::List(product.into_iter().map(Value::List).collect()))
}

fn setsubtract(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut sets = sets(args)?.into_iter();
    let a = sets.next().unwrap_or_default();
    let b = sets.next().unwrap_or_default();
    set_result(a.into_iter().filter(|v| !b.contains(v)).collect())
}

fn setunion(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let all: Vec<Value> = sets(args)?.into_iter().flatten().collect();
    set_result(dedup(all))
}

fn slice(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list, start, end] = <[Value; 3]>::try_from(args).map_err(|_| "bad arguments")?;
    let list = items(list);
    let len = list.len() as i64;
    let start = whole(&start, "start index")?;
    let end = whole(&end, "end index")?;
    if start < 0 {
        return Err("start index must not be less than zero".into());
    }
    if start > len {
        return Err("start index must not be greater than the length of the list".into());
    }
    if end < 0 {
        return Err("end index must not be less than zero".into());
    }
    if end > len {
        return Err("end index must not be greater than the length of the list".into());
    }
    if start > end {
        return Err("start index must not be greater than end index".into());
    }
    Ok(Value::List(list[start as usize..end as usize].to_vec()))
}

fn sort(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let mut strings = Vec::new();
    for (i, v) in items(list).into_iter().enumerate() {
        match v {
            Value::String(s) => strings.push(s),
            _ => {
                return Err(format!(
                    "given list element {i} is null; a null string cannot be sorted"
                ))
            }
        }
    }
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

fn sum(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [list] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let list = items(list);
    if list.is_empty() {
        return Err("cannot sum an empty list".into());
    }
    let mut total = 0.0;
    for v in list {
        match Type::Number.convert(v) {
            Ok(Value::Number(x)) => total += x,
            _ => return Err("argument must be list, set, or tuple of number values".into()),
        }
    }
    if total.is_nan() {
        return Err("can't compute sum of opposing infinities".into());
    }
    Ok(Value::Number(tidy(total)))
}

fn transpose(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [m] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, list) in entries(m) {
        let Value::List(list) = list else {
            return Err("input must be a map of lists of strings".into());
        };
        for v in list {
            let Some(s) = v.to_text() else {
                return Err("input must be a map of lists of strings".into());
            };
            out.entry(s).or_default().push(key.clone());
        }
    }
    Ok(Value::Map(
        out.into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, Value::List(v.into_iter().map(Value::String).collect()))
            })
            .collect(),
    ))
}

fn values(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [m] = <[Value; 1]>::try_from(args).map_err(|_| "bad arguments")?;
    Ok(Value::List(entries(m).into_values().collect()))
}

fn zipmap(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let [keys, values] = <[Value; 2]>::try_from(args).map_err(|_| "bad arguments")?;
    let (keys, values) = (items(keys), items(values));
    if keys.len() != values.len() {
        return Err(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        ));
    }
    let mut out = BTreeMap::new();
    for (i, (k, v)) in keys.into_iter().zip(values).enumerate() {
        match k {
            Value::String(k) => {
                out.insert(k, v);
            }
            _ => return Err(format!("keys list has null value at index {i}")),
        }
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::super::super::value::{Type, Value};
    use super::super::testing::{err, list, map, n, ok, s};

    fn strs(xs: &[&str]) -> Value {
        list(&xs.iter().map(|x| s(x)).collect::<Vec<_>>())
    }

    fn nums(xs: &[f64]) -> Value {
        list(&xs.iter().map(|x| n(*x)).collect::<Vec<_>>())
    }

    const T: Value = Value::Bool(true);
    const F: Value = Value::Bool(false);

    #[test]
    fn alltrue_and_anytrue() {
        assert_eq!(ok("alltrue", vec![list(&[T, s("true")])]), T);
        assert_eq!(ok("alltrue", vec![list(&[T, F])]), F);
        assert_eq!(ok("alltrue", vec![list(&[])]), T);
        assert_eq!(ok("alltrue", vec![list(&[T, Value::Null])]), F);
        assert_eq!(ok("anytrue", vec![list(&[F, s("true")])]), T);
        assert_eq!(ok("anytrue", vec![list(&[F, Value::Null])]), F);
        assert_eq!(ok("anytrue", vec![list(&[])]), F);
        let e = err("alltrue", vec![list(&[s("yes")])]);
        assert!(e.contains("element 0"), "{e}");
        let e = err("anytrue", vec![s("true")]);
        assert!(e.contains("a list required"), "{e}");
    }

    #[test]
    fn chunklist_splits() {
        let l = strs(&["a", "b", "c", "d", "e"]);
        assert_eq!(
            ok("chunklist", vec![l.clone(), n(2.0)]),
            list(&[strs(&["a", "b"]), strs(&["c", "d"]), strs(&["e"])])
        );
        assert_eq!(
            ok("chunklist", vec![l.clone(), n(0.0)]),
            list(std::slice::from_ref(&l))
        );
        assert_eq!(ok("chunklist", vec![list(&[]), n(3.0)]), list(&[]));
        assert_eq!(
            ok("chunklist", vec![list(&[s("a"), n(1.0)]), n(1.0)]),
            list(&[strs(&["a"]), strs(&["1"])])
        );
        assert!(err("chunklist", vec![l.clone(), n(-1.0)]).contains("must be positive"));
        assert!(err("chunklist", vec![l, n(1.5)]).contains("whole number"));
    }

    #[test]
    fn coalesce_skips_null_and_empty_strings() {
        assert_eq!(ok("coalesce", vec![s(""), s("b"), s("c")]), s("b"));
        assert_eq!(ok("coalesce", vec![Value::Null, n(0.0)]), n(0.0));
        assert_eq!(ok("coalesce", vec![Value::Null, F]), F);
        // Mixed primitives unify to string, as go-cty-funcs does.
        assert_eq!(ok("coalesce", vec![Value::Null, F, s("hello")]), s("false"));
        assert_eq!(ok("coalesce", vec![n(1.0), s("x")]), s("1"));
        assert!(err("coalesce", vec![s(""), s("")]).contains("no non-null, non-empty-string"));
        assert!(err("coalesce", vec![Value::Null]).contains("no non-null"));
        assert!(err("coalesce", vec![n(1.0), T]).contains("same type"));
        assert!(err("coalesce", vec![]).contains("at least one"));
    }

    #[test]
    fn coalescelist_takes_the_first_non_empty_list() {
        assert_eq!(
            ok(
                "coalescelist",
                vec![list(&[]), Value::Null, strs(&["a"]), strs(&["b"])]
            ),
            strs(&["a"])
        );
        assert!(err("coalescelist", vec![list(&[]), list(&[])]).contains("no non-null"));
        assert!(err("coalescelist", vec![s("a")]).contains("must be lists"));
        assert!(err("coalescelist", vec![]).contains("at least one"));
    }

    #[test]
    fn compact_drops_empty_and_null() {
        assert_eq!(
            ok("compact", vec![list(&[s("a"), s(""), Value::Null, n(1.0)])]),
            strs(&["a", "1"])
        );
        assert_eq!(ok("compact", vec![list(&[])]), list(&[]));
        assert!(err("compact", vec![list(&[list(&[])])]).contains("string required"));
    }

    #[test]
    fn concat_joins_lists() {
        assert_eq!(
            ok("concat", vec![strs(&["a"]), list(&[]), list(&[n(1.0), T])]),
            list(&[s("a"), n(1.0), T])
        );
        assert!(err("concat", vec![]).contains("at least one"));
        assert!(err("concat", vec![strs(&["a"]), s("b")]).contains("a list required"));
    }

    #[test]
    fn contains_compares_without_conversion() {
        let l = strs(&["a", "b"]);
        assert_eq!(ok("contains", vec![l.clone(), s("b")]), T);
        assert_eq!(ok("contains", vec![l.clone(), s("c")]), F);
        assert_eq!(ok("contains", vec![strs(&["1"]), n(1.0)]), F);
        assert_eq!(ok("contains", vec![list(&[strs(&["x"])]), strs(&["x"])]), T);
        assert_eq!(ok("contains", vec![list(&[]), s("a")]), F);
        assert!(err("contains", vec![l, Value::Null]).contains("must not be null"));
        assert!(err("contains", vec![map(&[]), s("a")]).contains("a list required"));
    }

    #[test]
    fn distinct_keeps_first_occurrences() {
        assert_eq!(
            ok("distinct", vec![strs(&["b", "a", "b", "c", "a"])]),
            strs(&["b", "a", "c"])
        );
        assert_eq!(ok("distinct", vec![list(&[s("1"), n(1.0)])]), strs(&["1"]));
        assert_eq!(ok("distinct", vec![list(&[])]), list(&[]));
        assert!(err("distinct", vec![list(&[n(1.0), T])]).contains("same type"));
    }

    #[test]
    fn element_wraps_around() {
        let l = strs(&["a", "b", "c"]);
        assert_eq!(ok("element", vec![l.clone(), n(1.0)]), s("b"));
        assert_eq!(ok("element", vec![l.clone(), n(3.0)]), s("a"));
        assert_eq!(ok("element", vec![l.clone(), n(7.0)]), s("b"));
        assert_eq!(ok("element", vec![l.clone(), s("2")]), s("c"));
        assert_eq!(ok("element", vec![l.clone(), n(-1.0)]), s("c"));
        assert_eq!(ok("element", vec![l.clone(), n(-4.0)]), s("c"));
        assert!(err("element", vec![list(&[]), n(0.0)]).contains("empty list"));
        assert!(err("element", vec![l, n(0.5)]).contains("whole number"));
    }

    #[test]
    fn flatten_is_recursive() {
        assert_eq!(
            ok(
                "flatten",
                vec![list(&[
                    strs(&["a", "b"]),
                    list(&[]),
                    s("c"),
                    list(&[list(&[s("d")]), Value::Null]),
                    map(&[("k", s("v"))]),
                ])]
            ),
            list(&[
                s("a"),
                s("b"),
                s("c"),
                s("d"),
                Value::Null,
                map(&[("k", s("v"))])
            ])
        );
        assert_eq!(ok("flatten", vec![list(&[])]), list(&[]));
        assert!(err("flatten", vec![s("a")]).contains("a list required"));
    }

    #[test]
    fn index_finds_the_first_position() {
        let l = strs(&["a", "b", "c", "b"]);
        assert_eq!(ok("index", vec![l.clone(), s("b")]), n(1.0));
        assert!(err("index", vec![l.clone(), s("z")]).contains("item not found"));
        assert!(err("index", vec![l, n(1.0)]).contains("item not found"));
        assert!(err("index", vec![list(&[]), s("a")]).contains("empty list"));
    }

    #[test]
    fn keys_and_values_in_key_order() {
        let m = map(&[("b", n(2.0)), ("a", n(1.0)), ("c", Value::Null)]);
        assert_eq!(ok("keys", vec![m.clone()]), strs(&["a", "b", "c"]));
        assert_eq!(ok("values", vec![m]), list(&[n(1.0), n(2.0), Value::Null]));
        assert_eq!(ok("keys", vec![map(&[])]), list(&[]));
        assert!(err("keys", vec![strs(&["a"])]).contains("a map required"));
        assert!(err("values", vec![Value::Null]).contains("must not be null"));
    }

    #[test]
    fn length_of_strings_lists_and_maps() {
        assert_eq!(ok("length", vec![s("hello")]), n(5.0));
        assert_eq!(ok("length", vec![s("")]), n(0.0));
        assert_eq!(ok("length", vec![s("héllo")]), n(5.0));
        assert_eq!(ok("length", vec![s("he\u{301}llo")]), n(5.0));
        assert_eq!(ok("length", vec![s("👾🕹️")]), n(2.0));
        assert_eq!(ok("length", vec![s("👍🏽")]), n(1.0));
        assert_eq!(ok("length", vec![s("👩‍👩‍👧")]), n(1.0));
        assert_eq!(ok("length", vec![s("🇫🇷🇩🇪")]), n(2.0));
        assert_eq!(ok("length", vec![s("a\r\nb")]), n(3.0));
        assert_eq!(ok("length", vec![strs(&["a", "b"])]), n(2.0));
        assert_eq!(ok("length", vec![map(&[("a", n(1.0))])]), n(1.0));
        assert!(err("length", vec![n(5.0)]).contains("must be a string, a collection"));
        assert!(err("length", vec![T]).contains("must be a string"));
        assert!(err("length", vec![Value::Null]).contains("must not be null"));
    }

    #[test]
    fn lookup_with_and_without_default() {
        let m = map(&[("a", s("ay")), ("b", s("bee"))]);
        assert_eq!(ok("lookup", vec![m.clone(), s("a"), s("what?")]), s("ay"));
        assert_eq!(
            ok("lookup", vec![m.clone(), s("c"), s("what?")]),
            s("what?")
        );
        assert_eq!(ok("lookup", vec![m.clone(), s("b")]), s("bee"));
        assert_eq!(ok("lookup", vec![m.clone(), s("c"), n(1.0)]), n(1.0));
        let e = err("lookup", vec![m.clone(), s("c")]);
        assert!(e.contains("the given key does not exist"), "{e}");
        let e = err("lookup", vec![m.clone(), s("c"), s("x"), s("y")]);
        assert!(e.contains("at most 3"), "{e}");
        assert!(err("lookup", vec![m.clone(), s("c"), Value::Null]).contains("must not be null"));
        assert!(err("lookup", vec![strs(&["a"]), s("a"), s("d")]).contains("a map required"));
        assert!(err("lookup", vec![m]).contains("at least 2"));
    }

    #[test]
    fn matchkeys_selects_by_key() {
        assert_eq!(
            ok(
                "matchkeys",
                vec![
                    strs(&["i-1", "i-2", "i-3"]),
                    strs(&["us-west", "us-east", "us-east"]),
                    strs(&["us-east"]),
                ]
            ),
            strs(&["i-2", "i-3"])
        );
        assert_eq!(
            ok(
                "matchkeys",
                vec![strs(&["a", "b"]), nums(&[1.0, 2.0]), strs(&["2"])]
            ),
            strs(&["b"])
        );
        assert_eq!(
            ok("matchkeys", vec![strs(&["a"]), strs(&["k"]), list(&[])]),
            list(&[])
        );
        let e = err(
            "matchkeys",
            vec![strs(&["a"]), strs(&["k", "l"]), strs(&["k"])],
        );
        assert!(e.contains("length of keys and values"), "{e}");
        let e = err("matchkeys", vec![strs(&["a"]), nums(&[1.0]), list(&[T])]);
        assert!(e.contains("same type"), "{e}");
    }

    #[test]
    fn merge_later_wins_and_skips_null() {
        assert_eq!(
            ok(
                "merge",
                vec![
                    map(&[("a", s("b")), ("c", s("d"))]),
                    Value::Null,
                    map(&[("e", s("f")), ("c", s("z"))]),
                ]
            ),
            map(&[("a", s("b")), ("c", s("z")), ("e", s("f"))])
        );
        assert_eq!(ok("merge", vec![]), map(&[]));
        assert_eq!(ok("merge", vec![Value::Null]), map(&[]));
        assert!(err("merge", vec![strs(&["a"])]).contains("a map required"));
    }

    #[test]
    fn range_follows_cty() {
        assert_eq!(ok("range", vec![n(3.0)]), nums(&[0.0, 1.0, 2.0]));
        assert_eq!(ok("range", vec![n(1.0), n(4.0)]), nums(&[1.0, 2.0, 3.0]));
        assert_eq!(
            ok("range", vec![n(1.0), n(8.0), n(2.0)]),
            nums(&[1.0, 3.0, 5.0, 7.0])
        );
        assert_eq!(
            ok("range", vec![n(1.0), n(4.0), n(0.5)]),
            nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
        );
        assert_eq!(ok("range", vec![n(4.0), n(1.0)]), nums(&[4.0, 3.0, 2.0]));
        assert_eq!(
            ok("range", vec![n(10.0), n(5.0), n(-2.0)]),
            nums(&[10.0, 8.0, 6.0])
        );
        assert_eq!(ok("range", vec![n(-3.0)]), nums(&[0.0, -1.0, -2.0]));
        assert_eq!(
            ok("range", vec![n(0.0), n(0.35), n(0.1)]),
            nums(&[0.0, 0.1, 0.2, 0.3])
        );
        assert_eq!(ok("range", vec![n(0.0)]), list(&[]));
        assert_eq!(ok("range", vec![s("2")]), nums(&[0.0, 1.0]));
        assert_eq!(ok("range", vec![n(1024.0)]).as_list().unwrap().len(), 1024);
        assert!(err("range", vec![n(1025.0)]).contains("more than 1024"));
        assert!(err("range", vec![n(1.0), n(5.0), n(0.0)]).contains("step must not be zero"));
        assert!(err("range", vec![n(1.0), n(5.0), n(-1.0)]).contains("less than start"));
        assert!(err("range", vec![n(5.0), n(1.0), n(1.0)]).contains("greater than start"));
        assert!(err("range", vec![]).contains("one, two, or three"));
        assert!(err("range", vec![n(1.0); 4]).contains("one, two, or three"));
    }

    #[test]
    fn reverse_reverses() {
        assert_eq!(
            ok("reverse", vec![strs(&["a", "b", "c"])]),
            strs(&["c", "b", "a"])
        );
        assert_eq!(ok("reverse", vec![list(&[])]), list(&[]));
        assert!(err("reverse", vec![s("abc")]).contains("a list required"));
    }

    #[test]
    fn set_functions_deduplicate_and_order_like_cty() {
        assert_eq!(
            ok(
                "setunion",
                vec![strs(&["b", "a"]), strs(&["c", "a"]), strs(&["d"])]
            ),
            strs(&["a", "b", "c", "d"])
        );
        assert_eq!(ok("setunion", vec![strs(&["b", "b"])]), strs(&["b"]));
        assert_eq!(
            ok("setunion", vec![nums(&[10.0, 2.0]), nums(&[1.0])]),
            nums(&[1.0, 2.0, 10.0])
        );
        assert_eq!(
            ok("setunion", vec![strs(&["a"]), nums(&[1.0])]),
            strs(&["1", "a"])
        );
        assert_eq!(
            ok(
                "setintersection",
                vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["b", "d"])]
            ),
            strs(&["b"])
        );
        assert_eq!(
            ok("setintersection", vec![strs(&["a"]), strs(&["b"])]),
            list(&[])
        );
        assert_eq!(
            ok(
                "setsubtract",
                vec![strs(&["c", "a", "b"]), strs(&["a", "c"])]
            ),
            strs(&["b"])
        );
        assert_eq!(
            ok("setsubtract", vec![strs(&["a"]), list(&[])]),
            strs(&["a"])
        );
        // Sets of collections keep the order of first appearance.
        assert_eq!(
            ok(
                "setunion",
                vec![list(&[strs(&["z"]), strs(&["a"])]), list(&[strs(&["z"])])]
            ),
            list(&[strs(&["z"]), strs(&["a"])])
        );
        let e = err("setunion", vec![nums(&[1.0]), list(&[T])]);
        assert!(e.contains("compatible element types"), "{e}");
        assert!(err("setsubtract", vec![strs(&["a"])]).contains("takes 2 arguments"));
        assert!(err("setintersection", vec![s("a")]).contains("a list required"));
    }

    #[test]
    fn setproduct_gives_every_combination() {
        assert_eq!(
            ok("setproduct", vec![strs(&["a", "b"]), strs(&["x", "y"])]),
            list(&[
                strs(&["a", "x"]),
                strs(&["a", "y"]),
                strs(&["b", "x"]),
                strs(&["b", "y"]),
            ])
        );
        assert_eq!(
            ok(
                "setproduct",
                vec![strs(&["a"]), list(&[n(1.0), s("2")]), strs(&["z"])]
            ),
            list(&[strs(&["a", "1", "z"]), strs(&["a", "2", "z"])])
        );
        assert_eq!(ok("setproduct", vec![strs(&["a"]), list(&[])]), list(&[]));
        assert!(err("setproduct", vec![strs(&["a"])]).contains("at least two"));
        assert!(err("setproduct", vec![strs(&["a"]), list(&[n(1.0), T])]).contains("same type"));
    }

    #[test]
    fn slice_checks_bounds() {
        let l = strs(&["a", "b", "c", "d"]);
        assert_eq!(
            ok("slice", vec![l.clone(), n(1.0), n(3.0)]),
            strs(&["b", "c"])
        );
        assert_eq!(ok("slice", vec![l.clone(), n(2.0), n(2.0)]), list(&[]));
        assert_eq!(ok("slice", vec![l.clone(), n(0.0), n(4.0)]), l);
        assert!(err("slice", vec![l.clone(), n(-1.0), n(2.0)])
            .contains("start index must not be less than zero"));
        assert!(err("slice", vec![l.clone(), n(5.0), n(5.0)])
            .contains("start index must not be greater than the length"));
        assert!(err("slice", vec![l.clone(), n(0.0), n(5.0)])
            .contains("end index must not be greater than the length"));
        assert!(err("slice", vec![l.clone(), n(3.0), n(1.0)])
            .contains("start index must not be greater than end index"));
        assert!(err("slice", vec![l, n(0.5), n(1.0)]).contains("whole number"));
    }

    #[test]
    fn sort_is_lexical() {
        assert_eq!(
            ok("sort", vec![strs(&["e", "d", "a", "x"])]),
            strs(&["a", "d", "e", "x"])
        );
        assert_eq!(
            ok("sort", vec![nums(&[10.0, 9.0, 1.0])]),
            strs(&["1", "10", "9"])
        );
        assert_eq!(
            ok("sort", vec![strs(&["b", "B", "a"])]),
            strs(&["B", "a", "b"])
        );
        assert_eq!(ok("sort", vec![list(&[])]), list(&[]));
        let e = err("sort", vec![list(&[s("a"), Value::Null])]);
        assert!(e.contains("element 1 is null"), "{e}");
    }

    #[test]
    fn sum_adds_numbers() {
        assert_eq!(ok("sum", vec![nums(&[10.0, 13.0, 6.0, 4.5])]), n(33.5));
        assert_eq!(ok("sum", vec![list(&[n(1.0), s("2")])]), n(3.0));
        assert_eq!(ok("sum", vec![nums(&[-1.0])]), n(-1.0));
        assert_eq!(ok("sum", vec![nums(&[0.1, 0.2])]), n(0.3));
        assert!(err("sum", vec![list(&[])]).contains("empty list"));
        assert!(err("sum", vec![list(&[s("a")])]).contains("number values"));
        assert!(err("sum", vec![list(&[n(1.0), Value::Null])]).contains("number values"));
        assert!(err("sum", vec![map(&[("a", n(1.0))])]).contains("a list required"));
    }

    #[test]
    fn transpose_swaps_keys_and_values() {
        assert_eq!(
            ok(
                "transpose",
                vec![map(&[
                    ("a", strs(&["1", "2"])),
                    ("b", strs(&["2", "3"])),
                    ("c", list(&[n(3.0)])),
                ])]
            ),
            map(&[
                ("1", strs(&["a"])),
                ("2", strs(&["a", "b"])),
                ("3", strs(&["b", "c"])),
            ])
        );
        assert_eq!(ok("transpose", vec![map(&[])]), map(&[]));
        let e = err("transpose", vec![map(&[("a", s("1"))])]);
        assert!(e.contains("map of lists of strings"), "{e}");
        let e = err("transpose", vec![map(&[("a", list(&[Value::Null]))])]);
        assert!(e.contains("map of lists of strings"), "{e}");
    }

    #[test]
    fn zipmap_pairs_keys_with_values() {
        assert_eq!(
            ok(
                "zipmap",
                vec![strs(&["a", "b"]), list(&[n(1.0), strs(&["x"])])]
            ),
            map(&[("a", n(1.0)), ("b", strs(&["x"]))])
        );
        assert_eq!(ok("zipmap", vec![list(&[]), list(&[])]), map(&[]));
        let e = err("zipmap", vec![strs(&["a"]), list(&[])]);
        assert!(
            e.contains("number of keys (1) does not match number of values (0)"),
            "{e}"
        );
        let e = err("zipmap", vec![list(&[Value::Null]), nums(&[1.0])]);
        assert!(e.contains("null value at index 0"), "{e}");
    }

    #[test]
    fn unknown_elements_make_unknown_results() {
        let v = ok("length", vec![list(&[Value::Unknown(Type::String)])]);
        assert!(v.is_unknown());
    }
}
