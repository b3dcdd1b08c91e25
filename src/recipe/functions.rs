//! The HCL functions recipes use in names, tags and validations.
//!
//! These follow Packer's (and so Terraform's) semantics. `timestamp()` is
//! fixed once per process, as in Packer, so that an AMI name and its tags
//! computed from it agree.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Expression, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Names of the available functions, for the "undefined function" hint.
pub const NAMES: &[&str] = &[
    "can",
    "clean_resource_name",
    "coalesce",
    "contains",
    "endswith",
    "env",
    "formatdate",
    "join",
    "length",
    "lower",
    "regex",
    "replace",
    "split",
    "startswith",
    "substr",
    "timestamp",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "upper",
    "uuidv4",
];

/// The instant this run started, shared by `timestamp()` and `{{timestamp}}`.
pub fn build_time() -> OffsetDateTime {
    static START: OnceLock<OffsetDateTime> = OnceLock::new();
    *START.get_or_init(|| OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
}

thread_local! {
    /// The environment `env()` reads: the one captured in [`super::Inputs`],
    /// so tests can give a recipe an environment without touching the process.
    static ENV: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

pub fn set_env(env: &[(String, String)]) {
    ENV.with(|e| *e.borrow_mut() = env.iter().cloned().collect());
}

/// Declare every function; `env()` only when `with_env` (variable defaults).
pub fn declare(ctx: &mut Context<'static>, with_env: bool) {
    let s = || ParamType::String;
    ctx.declare_func("timestamp", FuncDef::builder().build(timestamp));
    ctx.declare_func("uuidv4", FuncDef::builder().build(uuidv4));
    ctx.declare_func(
        "formatdate",
        FuncDef::builder().params([s(), s()]).build(formatdate),
    );
    ctx.declare_func(
        "lower",
        FuncDef::builder()
            .param(s())
            .build(|a| str1(a, |x| x.to_lowercase())),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder()
            .param(s())
            .build(|a| str1(a, |x| x.to_uppercase())),
    );
    ctx.declare_func(
        "trimspace",
        FuncDef::builder()
            .param(s())
            .build(|a| str1(a, |x| x.trim().to_owned())),
    );
    ctx.declare_func(
        "clean_resource_name",
        FuncDef::builder().param(s()).build(clean_resource_name),
    );
    ctx.declare_func(
        "replace",
        FuncDef::builder().params([s(), s(), s()]).build(replace),
    );
    ctx.declare_func(
        "trimprefix",
        FuncDef::builder().params([s(), s()]).build(trimprefix),
    );
    ctx.declare_func(
        "trimsuffix",
        FuncDef::builder().params([s(), s()]).build(trimsuffix),
    );
    ctx.declare_func(
        "startswith",
        FuncDef::builder().params([s(), s()]).build(startswith),
    );
    ctx.declare_func(
        "endswith",
        FuncDef::builder().params([s(), s()]).build(endswith),
    );
    ctx.declare_func(
        "substr",
        FuncDef::builder()
            .params([s(), ParamType::Number, ParamType::Number])
            .build(substr),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .params([s(), ParamType::array_of(ParamType::Any)])
            .build(join),
    );
    ctx.declare_func("split", FuncDef::builder().params([s(), s()]).build(split));
    ctx.declare_func(
        "coalesce",
        FuncDef::builder()
            .variadic_param(ParamType::Any)
            .build(coalesce),
    );
    ctx.declare_func(
        "length",
        FuncDef::builder().param(ParamType::Any).build(length),
    );
    ctx.declare_func(
        "contains",
        FuncDef::builder()
            .params([ParamType::array_of(ParamType::Any), ParamType::Any])
            .build(contains),
    );
    ctx.declare_func("regex", FuncDef::builder().params([s(), s()]).build(regex));
    if with_env {
        ctx.declare_func("env", FuncDef::builder().param(s()).build(env));
    }
}

fn arg_str(args: &FuncArgs, i: usize) -> String {
    args[i].as_str().unwrap_or_default().to_owned()
}

fn str1(args: FuncArgs, f: fn(&str) -> String) -> Result<Value, String> {
    Ok(Value::String(f(&arg_str(&args, 0))))
}

fn timestamp(_: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(
        build_time().format(&Rfc3339).map_err(|e| e.to_string())?,
    ))
}

fn uuidv4(_: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}

fn env(args: FuncArgs) -> Result<Value, String> {
    let name = arg_str(&args, 0);
    Ok(Value::String(
        ENV.with(|e| e.borrow().get(&name).cloned())
            .unwrap_or_default(),
    ))
}

fn clean_resource_name(args: FuncArgs) -> Result<Value, String> {
    // Packer's rule: keep what AMI names allow, replace the rest with `-`.
    let s: String = arg_str(&args, 0)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "()[]./-'@_ ".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok(Value::String(s))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    let (s, sub, rep) = (arg_str(&args, 0), arg_str(&args, 1), arg_str(&args, 2));
    // Terraform semantics: a substring wrapped in slashes is a regex.
    if sub.len() >= 2 && sub.starts_with('/') && sub.ends_with('/') {
        let re = regex::Regex::new(&sub[1..sub.len() - 1]).map_err(|e| e.to_string())?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

fn trimprefix(args: FuncArgs) -> Result<Value, String> {
    let (s, p) = (arg_str(&args, 0), arg_str(&args, 1));
    Ok(Value::String(s.strip_prefix(&p).unwrap_or(&s).to_owned()))
}

fn trimsuffix(args: FuncArgs) -> Result<Value, String> {
    let (s, p) = (arg_str(&args, 0), arg_str(&args, 1));
    Ok(Value::String(s.strip_suffix(&p).unwrap_or(&s).to_owned()))
}

fn startswith(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Bool(
        arg_str(&args, 0).starts_with(&arg_str(&args, 1)),
    ))
}

fn endswith(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Bool(arg_str(&args, 0).ends_with(&arg_str(&args, 1))))
}

fn substr(args: FuncArgs) -> Result<Value, String> {
    let chars: Vec<char> = arg_str(&args, 0).chars().collect();
    let offset = args[1].as_i64().ok_or("offset must be a whole number")?;
    let length = args[2].as_i64().ok_or("length must be a whole number")?;
    let start = if offset < 0 {
        chars.len() as i64 + offset
    } else {
        offset
    }
    .clamp(0, chars.len() as i64) as usize;
    let end = if length < 0 {
        chars.len()
    } else {
        (start + length as usize).min(chars.len())
    };
    Ok(Value::String(chars[start..end].iter().collect()))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let sep = arg_str(&args, 0);
    let items = args[1].as_array().ok_or("second argument must be a list")?;
    let parts: Result<Vec<String>, String> = items
        .iter()
        .map(|v| {
            super::fields::as_string(v).ok_or_else(|| "join needs a list of strings".to_owned())
        })
        .collect();
    Ok(Value::String(parts?.join(&sep)))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let (sep, s) = (arg_str(&args, 0), arg_str(&args, 1));
    if sep.is_empty() {
        return Err("separator must not be empty".into());
    }
    Ok(Value::Array(
        s.split(sep.as_str())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    ))
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.iter()
        .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty argument".to_owned())
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        other => {
            return Err(format!(
                "cannot take the length of {}",
                super::loader::type_name(other)
            ))
        }
    };
    Ok(Value::from(n as u64))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    let list = args[0].as_array().ok_or("first argument must be a list")?;
    Ok(Value::Bool(list.contains(&args[1])))
}

/// Terraform's `regex(pattern, string)`: the first match, an error if none.
fn regex(args: FuncArgs) -> Result<Value, String> {
    let re = regex::Regex::new(&arg_str(&args, 0)).map_err(|e| format!("invalid pattern: {e}"))?;
    let s = arg_str(&args, 1);
    let caps = re
        .captures(&s)
        .ok_or_else(|| "pattern did not match".to_owned())?;
    Ok(match caps.len() {
        1 => Value::String(caps[0].to_owned()),
        _ => Value::Array(
            caps.iter()
                .skip(1)
                .map(|m| Value::String(m.map(|m| m.as_str()).unwrap_or("").to_owned()))
                .collect(),
        ),
    })
}

fn formatdate(args: FuncArgs) -> Result<Value, String> {
    let spec = arg_str(&args, 0);
    let ts = OffsetDateTime::parse(&arg_str(&args, 1), &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))?;
    format_date(&spec, ts).map(Value::String)
}

/// Terraform's `formatdate` mini-language: YYYY YY MMMM MMM MM M DD D EEEE EEE
/// hh h HH H mm m ss s AA aa ZZZZZ ZZZZ ZZZ Z and 'quoted literals'.
pub fn format_date(spec: &str, t: OffsetDateTime) -> Result<String, String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '\'')
                .ok_or("unterminated quote in date format")?;
            out.extend(&chars[i + 1..i + 1 + end]);
            i += end + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let month = u8::from(t.month());
        let piece = match (c, run) {
            ('Y', 4) => format!("{:04}", t.year()),
            ('Y', 2) => format!("{:02}", t.year() % 100),
            ('M', 4) => MONTHS[month as usize - 1].to_owned(),
            ('M', 3) => MONTHS[month as usize - 1][..3].to_owned(),
            ('M', 2) => format!("{month:02}"),
            ('M', 1) => month.to_string(),
            ('D', 2) => format!("{:02}", t.day()),
            ('D', 1) => t.day().to_string(),
            ('E', 4) => t.weekday().to_string(),
            ('E', 3) => t.weekday().to_string()[..3].to_owned(),
            ('h', 2) => format!("{:02}", t.hour()),
            ('h', 1) => t.hour().to_string(),
            ('H', 2) => format!("{hour12:02}"),
            ('H', 1) => hour12.to_string(),
            ('m', 2) => format!("{:02}", t.minute()),
            ('m', 1) => t.minute().to_string(),
            ('s', 2) => format!("{:02}", t.second()),
            ('s', 1) => t.second().to_string(),
            ('A', 2) => (if t.hour() < 12 { "AM" } else { "PM" }).to_owned(),
            ('a', 2) => (if t.hour() < 12 { "am" } else { "pm" }).to_owned(),
            ('Z', 1) => "Z".to_owned(),
            ('Z', 3) => "UTC".to_owned(),
            ('Z', 4) => "+0000".to_owned(),
            ('Z', 5) => "+00:00".to_owned(),
            _ => {
                return Err(format!(
                    "invalid date format sequence `{}`",
                    chars[i..i + run].iter().collect::<String>()
                ))
            }
        };
        out.push_str(&piece);
        i += run;
    }
    Ok(out)
}

/// `can(expr)` must not evaluate its argument eagerly (that is its point),
/// which hcl-rs functions cannot express; so `can(...)` calls are replaced by
/// the boolean outcome before evaluation.
pub fn rewrite_can(expr: Expression, ctx: &Context<'static>) -> Expression {
    let r = |e: Expression| rewrite_can(e, ctx);
    match expr {
        Expression::FuncCall(mut call)
            if call.name.namespace.is_empty()
                && call.name.name.as_str() == "can"
                && call.args.len() == 1 =>
        {
            let arg = rewrite_can(call.args.remove(0), ctx);
            Expression::Bool(arg.evaluate(ctx).is_ok())
        }
        Expression::FuncCall(mut call) => {
            call.args = call.args.into_iter().map(r).collect();
            Expression::FuncCall(call)
        }
        Expression::Parenthesis(inner) => Expression::Parenthesis(Box::new(r(*inner))),
        Expression::Conditional(mut c) => {
            c.cond_expr = r(c.cond_expr);
            c.true_expr = r(c.true_expr);
            c.false_expr = r(c.false_expr);
            Expression::Conditional(c)
        }
        Expression::Operation(op) => Expression::Operation(Box::new(match *op {
            hcl::expr::Operation::Unary(mut u) => {
                u.expr = r(u.expr);
                hcl::expr::Operation::Unary(u)
            }
            hcl::expr::Operation::Binary(mut b) => {
                b.lhs_expr = r(b.lhs_expr);
                b.rhs_expr = r(b.rhs_expr);
                hcl::expr::Operation::Binary(b)
            }
        })),
        Expression::Array(items) => Expression::Array(items.into_iter().map(r).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formatdate_follows_terraform_tokens() {
        let t = datetime!(2026-03-05 14:07:09 UTC);
        assert_eq!(
            format_date("YYYY-MM-DD'T'hh:mm:ssZ", t).unwrap(),
            "2026-03-05T14:07:09Z"
        );
        assert_eq!(
            format_date("DD MMM YYYY HH:mm AA", t).unwrap(),
            "05 Mar 2026 02:07 PM"
        );
        assert_eq!(format_date("EEEE", t).unwrap(), "Thursday");
        assert!(format_date("YYY", t).is_err());
    }
}
