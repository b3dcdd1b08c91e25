//! The function library: one table, [`FUNCTIONS`], in alphabetical order.
//!
//! It is Packer's library (`hcl2template/functions.go`: cty's stdlib, the
//! go-cty-funcs families and Packer's own), with Packer's semantics: same
//! arguments, same results, same errors. The table is the only list of
//! function names: the evaluator looks functions up here, "did you mean"
//! suggests from here, and docs/recipes.md's function table is rendered from
//! it (a test fails when the two differ).
//!
//! Arguments are converted to each parameter's type before a function runs,
//! and a call with an argument that is not wholly known returns an unknown
//! value without running (cty's rule), so implementations see only known,
//! converted values. `try` and `can` evaluate their arguments lazily and are
//! implemented by the evaluator; `templatefile` needs the evaluator too.

mod collection;
mod crypto;
mod datetime;
mod encoding;
mod file;
mod net;
mod numeric;
mod string;
mod types;

use std::collections::HashMap;
use std::path::PathBuf;

use time::OffsetDateTime;

pub use datetime::{format_date, go_layout, strftime};

use super::value::{Type, Value};

/// What a function needs from outside its arguments. Passed in, never
/// global, so tests and several recipes in one process do not interfere.
#[derive(Debug, Clone)]
pub struct FnCtx {
    /// The directory file functions resolve relative paths against (Packer:
    /// the directory of the template).
    pub basedir: PathBuf,
    /// The environment `env()` reads.
    pub env: HashMap<String, String>,
    /// The instant this run started: `timestamp()` and `{{timestamp}}` agree.
    pub start: OffsetDateTime,
    /// `env()` is allowed only in variable defaults, as in Packer.
    pub allow_env: bool,
    /// Whether functions that reach outside (AWS) may run; when not,
    /// they return unknown values (`validate` makes no AWS call).
    pub fetch: Option<std::sync::Arc<dyn Fetch>>,
    /// Set when a remote function returned unknown for want of `fetch`:
    /// the build must load the recipe again with AWS at hand.
    pub wanted_fetch: std::cell::Cell<bool>,
}

/// Functions that read from AWS (`aws_secretsmanager`) go through this; the
/// implementation lives outside `recipe/` (it needs the SDK).
pub trait Fetch: Send + Sync + std::fmt::Debug {
    /// A secret's string (`key` = None) or one key of its JSON object.
    fn secret(&self, name: &str, key: Option<&str>) -> Result<String, String>;
}

impl FnCtx {
    pub fn new(basedir: PathBuf, env: HashMap<String, String>, start: OffsetDateTime) -> FnCtx {
        FnCtx {
            basedir,
            env,
            start,
            allow_env: false,
            fetch: None,
            wanted_fetch: std::cell::Cell::new(false),
        }
    }
}

/// How a function relates to the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Same arguments, same result.
    Pure,
    /// Reads the clock, randomness, files or the environment.
    Impure,
    /// Evaluated by the evaluator itself (`try`, `can`, `templatefile`).
    Special,
    /// Reads AWS: unknown in `validate`, called in `build`; the result is
    /// sensitive.
    Remote,
    /// Exists in Packer but cannot here; calling it is an error with this
    /// advice.
    Unavailable(&'static str),
}

/// One parameter: its name (for messages), the type arguments are converted
/// to, and whether null is accepted.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    pub allow_null: bool,
}

/// Parameter types. `Any` takes the value as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Any,
    String,
    Number,
    Bool,
    /// A list or tuple (sets are lists here), elements unconverted.
    List,
    /// A list of strings (each element converted).
    StringList,
    /// A map or object.
    Map,
}

impl ParamType {
    fn ty(self) -> Option<Type> {
        Some(match self {
            ParamType::Any | ParamType::List | ParamType::Map => return None,
            ParamType::String => Type::String,
            ParamType::Number => Type::Number,
            ParamType::Bool => Type::Bool,
            ParamType::StringList => Type::List(Box::new(Type::String)),
        })
    }
}

pub const fn p(name: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        ty,
        allow_null: false,
    }
}

pub const fn p_null(name: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        ty,
        allow_null: true,
    }
}

/// The signature every implementation has: converted arguments in, a value
/// or a message (without the function's name; the caller adds it) out.
pub type Impl = fn(&FnCtx, Vec<Value>) -> Result<Value, String>;

/// One row of the function table.
pub struct Func {
    pub name: &'static str,
    pub params: &'static [Param],
    /// A parameter that may repeat after the fixed ones.
    pub variadic: Option<Param>,
    pub kind: Kind,
    /// One line for the docs table.
    pub doc: &'static str,
    pub call: Impl,
}

/// Packer's function library, alphabetical. Each family file exports its
/// rows; this is the only place they are joined.
pub fn table() -> &'static [&'static Func] {
    use std::sync::OnceLock;
    static TABLE: OnceLock<Vec<&'static Func>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all: Vec<&'static Func> = [
            collection::FUNCS,
            crypto::FUNCS,
            datetime::FUNCS,
            encoding::FUNCS,
            file::FUNCS,
            net::FUNCS,
            numeric::FUNCS,
            string::FUNCS,
            types::FUNCS,
        ]
        .into_iter()
        .flatten()
        .collect();
        all.sort_by_key(|f| f.name);
        all
    })
}

pub fn lookup(name: &str) -> Option<&'static Func> {
    let t = table();
    t.binary_search_by_key(&name, |f| f.name).ok().map(|i| t[i])
}

/// Call a function with evaluated arguments: arity, null and type checks,
/// the unknown rule, then the implementation. Errors read like Packer's
/// ("Invalid value for \"str\" parameter: ...") prefixed by the call.
pub fn call(f: &Func, ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if let Kind::Unavailable(why) = f.kind {
        return Err(format!("{}() is not available in amibake: {why}", f.name));
    }
    let n = f.params.len();
    if args.len() < n || (f.variadic.is_none() && args.len() > n) {
        let want = match f.variadic {
            Some(_) => format!("at least {n}"),
            None => n.to_string(),
        };
        return Err(format!(
            "{}() takes {want} argument{}, {} given",
            f.name,
            if n == 1 && f.variadic.is_none() {
                ""
            } else {
                "s"
            },
            args.len()
        ));
    }
    let mut converted = Vec::with_capacity(args.len());
    let mut unknown = false;
    for (i, v) in args.into_iter().enumerate() {
        let param = f
            .params
            .get(i)
            .copied()
            .or(f.variadic)
            .expect("arity checked");
        if !v.is_wholly_known() {
            unknown = true;
            converted.push(v);
            continue;
        }
        if v.is_null() {
            if !param.allow_null {
                return Err(format!(
                    "invalid value for \"{}\" parameter of {}(): argument must not be null",
                    param.name, f.name
                ));
            }
            converted.push(v);
            continue;
        }
        let v = match (param.ty, &v) {
            (ParamType::List, Value::List(_)) | (ParamType::Map, Value::Map(_)) => v,
            (ParamType::List, other) | (ParamType::Map, other) => {
                return Err(format!(
                    "invalid value for \"{}\" parameter of {}(): {} required, found {}",
                    param.name,
                    f.name,
                    if param.ty == ParamType::List {
                        "a list"
                    } else {
                        "a map"
                    },
                    other.type_name()
                ))
            }
            (t, _) => match t.ty() {
                None => v,
                Some(ty) => ty.convert(v).map_err(|e| {
                    format!(
                        "invalid value for \"{}\" parameter of {}(): {e}",
                        param.name, f.name
                    )
                })?,
            },
        };
        converted.push(v);
    }
    if unknown {
        return Ok(Value::Unknown(Type::Any));
    }
    if f.kind == Kind::Remote && ctx.fetch.is_none() {
        ctx.wanted_fetch.set(true);
        return Ok(Value::Unknown(Type::String));
    }
    (f.call)(ctx, converted).map_err(|e| format!("{}(): {e}", f.name))
}

/// The function table as the markdown docs/recipes.md embeds (between
/// `<!-- functions:begin -->` and `<!-- functions:end -->`); a test keeps the
/// two the same.
pub fn docs_table() -> String {
    let mut out = String::from("| function | returns | notes |\n|---|---|---|\n");
    for f in table() {
        let mut params: Vec<String> = f.params.iter().map(|p| p.name.to_owned()).collect();
        if let Some(v) = f.variadic {
            params.push(format!("{}...", v.name));
        }
        let note = match f.kind {
            Kind::Pure | Kind::Special => "",
            Kind::Impure => "reads the clock, files, randomness or the environment",
            Kind::Remote => "reads AWS: unknown in `validate`, evaluated by `build`; sensitive",
            Kind::Unavailable(_) => "**not available**: an error says what to use instead",
        };
        out.push_str(&format!(
            "| `{}({})` | {} | {} |\n",
            f.name,
            params.join(", "),
            f.doc.replace('|', "\\|"),
            note
        ));
    }
    out
}

/// The string argument `i` (converted by [`call`] already), or "" when an
/// optional one is absent.
pub(super) fn str_arg(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// A stand-in implementation for rows the evaluator handles itself.
pub(super) fn special(_: &FnCtx, _: Vec<Value>) -> Result<Value, String> {
    Err("evaluated by the expression evaluator".into())
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the family tests: call a function by name as a recipe would.
    use super::*;

    pub fn ctx() -> FnCtx {
        FnCtx::new(
            std::env::temp_dir(),
            HashMap::new(),
            time::macros::datetime!(2026-03-05 14:07:09 UTC),
        )
    }

    pub fn call_with(ctx: &FnCtx, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let f = lookup(name).unwrap_or_else(|| panic!("no function {name}"));
        call(f, ctx, args)
    }

    pub fn call_fn(name: &str, args: Vec<Value>) -> Result<Value, String> {
        call_with(&ctx(), name, args)
    }

    /// The result of a call that must succeed.
    pub fn ok(name: &str, args: Vec<Value>) -> Value {
        call_fn(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The message of a call that must fail.
    pub fn err(name: &str, args: Vec<Value>) -> String {
        match call_fn(name, args) {
            Err(e) => e,
            Ok(v) => panic!("{name}: expected an error, got {v}"),
        }
    }

    pub fn s(x: &str) -> Value {
        Value::str(x)
    }

    pub fn n(x: f64) -> Value {
        Value::Number(x)
    }

    pub fn list(items: &[Value]) -> Value {
        Value::List(items.to_vec())
    }

    pub fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn the_table_is_sorted_without_duplicates() {
        let names: Vec<_> = table().iter().map(|f| f.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    /// docs/recipes.md shows exactly this table. `AMIBAKE_BLESS_DOCS=1 cargo
    /// test docs_` rewrites it.
    #[test]
    fn docs_list_exactly_the_function_table() {
        crate::recipe::lang::functions::tests::check_docs_section("functions", &docs_table());
    }

    /// Assert that docs/recipes.md holds `body` between the `NAME:begin`
    /// and `NAME:end` markers (or write it there when blessing).
    pub(crate) fn check_docs_section(name: &str, body: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recipes.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = (
            format!("<!-- {name}:begin -->\n"),
            format!("<!-- {name}:end -->"),
        );
        let a = text
            .find(&begin)
            .unwrap_or_else(|| panic!("docs/recipes.md has no {begin}"))
            + begin.len();
        let b = text[a..]
            .find(&end)
            .unwrap_or_else(|| panic!("docs/recipes.md has no {end}"))
            + a;
        if text[a..b] == *body {
            return;
        }
        if std::env::var_os("AMIBAKE_BLESS_DOCS").is_some() {
            std::fs::write(&path, format!("{}{body}{}", &text[..a], &text[b..])).unwrap();
            return;
        }
        panic!("docs/recipes.md's {name} table differs from the code; run AMIBAKE_BLESS_DOCS=1 cargo test --lib docs_");
    }

    #[test]
    fn unknown_arguments_give_unknown_results_without_running() {
        let v = call_fn("upper", vec![Value::Unknown(Type::String)]).unwrap();
        assert!(v.is_unknown());
    }

    #[test]
    fn arity_and_null_are_checked_before_running() {
        let e = call_fn("upper", vec![]).unwrap_err();
        assert!(e.contains("takes 1 argument"), "{e}");
        let e = call_fn("upper", vec![Value::Null]).unwrap_err();
        assert!(e.contains("must not be null"), "{e}");
    }
}
