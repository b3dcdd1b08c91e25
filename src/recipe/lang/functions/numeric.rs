//! Numeric functions: cty's stdlib number family as Packer registers it.
//!
//! Numbers are f64 here (cty's are 512-bit floats); results print the same
//! for everything a template realistically computes.

use super::super::value::Value;
use super::{p, FnCtx, Func, Kind, ParamType};

const N: ParamType = ParamType::Number;

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "abs",
        params: &[p("num", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the number without its sign",
        call: abs,
    },
    Func {
        name: "ceil",
        params: &[p("num", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the smallest whole number greater than or equal to the number",
        call: ceil,
    },
    Func {
        name: "floor",
        params: &[p("num", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the greatest whole number less than or equal to the number",
        call: floor,
    },
    Func {
        name: "log",
        params: &[p("num", N), p("base", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the logarithm of the number in the base",
        call: log,
    },
    Func {
        name: "max",
        params: &[],
        variadic: Some(p("numbers", N)),
        kind: Kind::Pure,
        doc: "the greatest of the numbers",
        call: max,
    },
    Func {
        name: "min",
        params: &[],
        variadic: Some(p("numbers", N)),
        kind: Kind::Pure,
        doc: "the smallest of the numbers",
        call: min,
    },
    Func {
        name: "parseint",
        params: &[p("number", ParamType::Any), p("base", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the integer a string represents in a base from 2 to 62",
        call: parseint,
    },
    Func {
        name: "pow",
        params: &[p("num", N), p("power", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the number raised to the power",
        call: pow,
    },
    Func {
        name: "signum",
        params: &[p("num", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "-1, 0 or 1: the sign of the (whole) number",
        call: signum,
    },
];

fn num(args: &[Value], i: usize) -> f64 {
    args[i].as_f64().unwrap_or(0.0)
}

/// A float result; NaN is not a number cty can hold.
fn float(x: f64) -> Result<Value, String> {
    if x.is_nan() {
        Err("result is not a number".into())
    } else {
        Ok(Value::Number(x))
    }
}

/// Whole-number results never carry a negative zero (cty's come from
/// big.Int, which has none).
fn whole(x: f64) -> Value {
    Value::Number(if x == 0.0 { 0.0 } else { x })
}

fn abs(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(whole(num(&args, 0).abs()))
}

fn ceil(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(whole(num(&args, 0).ceil()))
}

fn floor(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(whole(num(&args, 0).floor()))
}

fn log(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // cty: math.Log(num) / math.Log(base), in float64.
    float(num(&args, 0).ln() / num(&args, 1).ln())
}

fn pow(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    float(num(&args, 0).powf(num(&args, 1)))
}

fn max(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        return Err("must pass at least one number".into());
    }
    Ok(Value::Number(
        args.iter()
            .filter_map(Value::as_f64)
            .fold(f64::NEG_INFINITY, f64::max),
    ))
}

fn min(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        return Err("must pass at least one number".into());
    }
    Ok(Value::Number(
        args.iter()
            .filter_map(Value::as_f64)
            .fold(f64::INFINITY, f64::min),
    ))
}

fn signum(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // cty converts the argument to a Go int first, so only whole numbers
    // are accepted.
    let n = num(&args, 0);
    if n.fract() != 0.0 || !n.is_finite() {
        return Err("num must be a whole number".into());
    }
    Ok(Value::Number(if n < 0.0 {
        -1.0
    } else if n > 0.0 {
        1.0
    } else {
        0.0
    }))
}

/// cty's friendly type names, for `parseint`'s type error.
fn friendly_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "tuple",
        Value::Map(_) => "object",
        Value::Null | Value::Unknown(_) => "dynamic",
    }
}

fn parseint(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let Value::String(text) = &args[0] else {
        return Err(format!(
            "first argument must be a string, not {}",
            friendly_type(&args[0])
        ));
    };
    let base = num(&args, 1);
    if base.fract() != 0.0 || !(2.0..=62.0).contains(&base) {
        return Err("base must be a whole number between 2 and 62 inclusive".into());
    }
    let base = base as u32;
    let fail = || {
        format!(
            "cannot parse {} as a base {base} integer",
            super::string::go_quote(text)
        )
    };
    // Go's big.Int SetString with an explicit base: an optional sign, then
    // digits only (no prefix, no underscores); letters are case-insensitive
    // up to base 36, then a-z are 10..35 and A-Z 36..61.
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    if digits.is_empty() {
        return Err(fail());
    }
    let mut exact: Option<u128> = Some(0);
    let mut approx = 0f64;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(fail()),
        };
        if d >= base {
            return Err(fail());
        }
        exact = exact
            .and_then(|x| x.checked_mul(base as u128))
            .and_then(|x| x.checked_add(d as u128));
        approx = approx * base as f64 + d as f64;
    }
    let magnitude = exact.map_or(approx, |x| x as f64);
    Ok(whole(if neg { -magnitude } else { magnitude }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, list, n, ok, s};

    #[test]
    fn abs_drops_the_sign() {
        assert_eq!(ok("abs", vec![n(23.0)]), n(23.0));
        assert_eq!(ok("abs", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("abs", vec![n(-12.4)]), n(12.4));
        assert_eq!(ok("abs", vec![s("-3")]), n(3.0));
        assert!(err("abs", vec![s("x")]).contains("\"num\""));
    }

    #[test]
    fn ceil_and_floor_round_to_whole_numbers() {
        assert_eq!(ok("ceil", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("ceil", vec![n(5.1)]), n(6.0));
        assert_eq!(ok("ceil", vec![n(-5.1)]), n(-5.0));
        assert_eq!(ok("floor", vec![n(5.0)]), n(5.0));
        assert_eq!(ok("floor", vec![n(4.9)]), n(4.0));
        assert_eq!(ok("floor", vec![n(-4.1)]), n(-5.0));
        // No negative zero ("-0") from rounding a small negative number up.
        let v = ok("ceil", vec![n(-0.5)]);
        assert_eq!(v.to_text().unwrap(), "0");
        assert_eq!(ok("ceil", vec![n(f64::INFINITY)]), n(f64::INFINITY));
    }

    #[test]
    fn log_in_any_base() {
        assert_eq!(
            ok("log", vec![n(50.0), n(10.0)]).as_f64().unwrap(),
            50f64.ln() / 10f64.ln()
        );
        assert_eq!(ok("log", vec![n(16.0), n(2.0)]), n(4.0));
        assert_eq!(ok("log", vec![n(1.0), n(10.0)]), n(0.0));
        assert_eq!(ok("log", vec![n(0.0), n(10.0)]), n(f64::NEG_INFINITY));
        assert!(err("log", vec![n(-1.0), n(10.0)]).contains("not a number"));
    }

    #[test]
    fn max_and_min_take_one_or_more_numbers() {
        assert_eq!(ok("max", vec![n(12.0), n(54.0), n(3.0)]), n(54.0));
        assert_eq!(ok("min", vec![n(12.0), n(54.0), n(3.0)]), n(3.0));
        assert_eq!(ok("max", vec![n(-1.5)]), n(-1.5));
        assert_eq!(ok("min", vec![s("7"), n(8.0)]), n(7.0));
        assert!(err("max", vec![]).contains("must pass at least one number"));
        assert!(err("min", vec![]).contains("must pass at least one number"));
        // A list is not spread (that takes `...` in the call).
        assert!(err("max", vec![list(&[n(1.0)])]).contains("\"numbers\""));
    }

    #[test]
    fn parseint_reads_bases_2_to_62() {
        assert_eq!(ok("parseint", vec![s("100"), n(10.0)]), n(100.0));
        assert_eq!(ok("parseint", vec![s("FF"), n(16.0)]), n(255.0));
        assert_eq!(ok("parseint", vec![s("ff"), n(16.0)]), n(255.0));
        assert_eq!(ok("parseint", vec![s("-10"), n(16.0)]), n(-16.0));
        assert_eq!(ok("parseint", vec![s("+101"), n(2.0)]), n(5.0));
        assert_eq!(
            ok("parseint", vec![s("1011111011101111"), n(2.0)]),
            n(48879.0)
        );
        assert_eq!(
            ok("parseint", vec![s("aA"), n(62.0)]),
            n((10 * 62 + 36) as f64)
        );
        assert_eq!(
            ok("parseint", vec![s("zZ"), n(36.0)]),
            n((35 * 36 + 35) as f64)
        );
        assert_eq!(
            ok("parseint", vec![s("-0"), n(10.0)]).to_text().unwrap(),
            "0"
        );
        assert_eq!(
            ok(
                "parseint",
                vec![s("ffffffffffffffffffffffffffffffffff"), n(16.0)]
            ),
            n(16f64.powi(34) - 1.0)
        );
        let e = err("parseint", vec![s("12"), n(2.0)]);
        assert!(
            e.ends_with("cannot parse \"12\" as a base 2 integer"),
            "{e}"
        );
        let e = err("parseint", vec![s("0x10"), n(16.0)]);
        assert!(
            e.contains("cannot parse \"0x10\" as a base 16 integer"),
            "{e}"
        );
        assert!(err("parseint", vec![s(""), n(10.0)]).contains("cannot parse"));
        assert!(err("parseint", vec![s("-"), n(10.0)]).contains("cannot parse"));
        assert!(err("parseint", vec![s("1_000"), n(10.0)]).contains("cannot parse"));
        assert!(err("parseint", vec![s(" 1"), n(10.0)]).contains("cannot parse"));
        let e = err("parseint", vec![s("10"), n(1.0)]);
        assert!(
            e.contains("base must be a whole number between 2 and 62 inclusive"),
            "{e}"
        );
        assert!(err("parseint", vec![s("10"), n(63.0)]).contains("between 2 and 62"));
        assert!(err("parseint", vec![s("10"), n(2.5)]).contains("between 2 and 62"));
        let e = err("parseint", vec![n(10.0), n(10.0)]);
        assert!(
            e.ends_with("first argument must be a string, not number"),
            "{e}"
        );
    }

    #[test]
    fn pow_raises() {
        assert_eq!(ok("pow", vec![n(3.0), n(2.0)]), n(9.0));
        assert_eq!(ok("pow", vec![n(4.0), n(0.0)]), n(1.0));
        assert_eq!(ok("pow", vec![n(2.0), n(-1.0)]), n(0.5));
        assert_eq!(ok("pow", vec![n(4.0), n(0.5)]), n(2.0));
        assert!(err("pow", vec![n(-8.0), n(0.5)]).contains("not a number"));
    }

    #[test]
    fn signum_gives_the_sign_of_whole_numbers() {
        assert_eq!(ok("signum", vec![n(-13.0)]), n(-1.0));
        assert_eq!(ok("signum", vec![n(0.0)]), n(0.0));
        assert_eq!(ok("signum", vec![n(344.0)]), n(1.0));
        let e = err("signum", vec![n(-0.5)]);
        assert!(e.contains("whole number"), "{e}");
    }
}
