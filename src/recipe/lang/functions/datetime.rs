//! Dates and times: cty's `formatdate` and `timeadd`, Packer's `timestamp`,
//! `legacy_isotime`, `legacy_strftime`, `rfc3339_parse` and
//! `unix_timestamp_parse`.
//!
//! A timestamp given as an argument keeps its UTC offset, as in Go (so
//! `formatdate("ZZZZ", "2018-01-02T23:12:01-08:00")` is `-0800`); the run's
//! start time is read in UTC, as Packer's clock is. The formatters are public
//! because other code renders dates with them: [`format_date`] (the
//! `formatdate` mini-language), [`go_layout`] (Go reference-time layouts, for
//! `legacy_isotime` and the legacy `{{isotime}}`), [`strftime`] (for
//! `legacy_strftime` and `{{strftime}}`); so is [`parse_go_duration`].

use std::collections::BTreeMap;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use super::super::value::Value;
use super::{p, str_arg, FnCtx, Func, Kind, ParamType};

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "formatdate",
        params: &[p("format", ParamType::String), p("time", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "An RFC 3339 timestamp reformatted with `YYYY-MM-DD`-style letters.",
        call: formatdate,
    },
    Func {
        name: "legacy_isotime",
        params: &[],
        variadic: Some(p("format", ParamType::String)),
        kind: Kind::Impure,
        doc: "The run's start time in a Go layout (`\"2006-01-02\"`), RFC 3339 without one.",
        call: legacy_isotime,
    },
    Func {
        name: "legacy_strftime",
        params: &[],
        variadic: Some(p("format", ParamType::String)),
        kind: Kind::Impure,
        doc: "The run's start time in a strftime format (`\"%Y-%m-%d\"`), RFC 3339 without one.",
        call: legacy_strftime,
    },
    Func {
        name: "rfc3339_parse",
        params: &[p("timestamp", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "An RFC 3339 timestamp as an object: year, month, day, hour, …, unix.",
        call: rfc3339_parse,
    },
    Func {
        name: "timeadd",
        params: &[
            p("timestamp", ParamType::String),
            p("duration", ParamType::String),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "An RFC 3339 timestamp plus a Go duration (`\"1h30m\"`, `\"-24h\"`).",
        call: timeadd,
    },
    Func {
        name: "timestamp",
        params: &[],
        variadic: None,
        kind: Kind::Impure,
        doc: "The time the run started, RFC 3339 in UTC.",
        call: timestamp,
    },
    Func {
        name: "unix_timestamp_parse",
        params: &[p("unix_timestamp", ParamType::Number)],
        variadic: None,
        kind: Kind::Pure,
        doc: "Unix seconds as an object: year, month, day, hour, …, rfc3339.",
        call: unix_timestamp_parse,
    },
];

/// Go's `time.RFC3339`, the format every RFC 3339 result here is written in
/// (whole seconds, `Z` for UTC).
const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

fn start_utc(ctx: &FnCtx) -> OffsetDateTime {
    ctx.start.to_offset(UtcOffset::UTC)
}

fn formatdate(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let t = parse_rfc3339(str_arg(&args, 1), b'T')?;
    format_date(str_arg(&args, 0), t).map(Value::String)
}

fn timeadd(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let t = parse_rfc3339(str_arg(&args, 0), b'T')?;
    let nanos = parse_go_duration(str_arg(&args, 1))?;
    // Go durations fit an i64 of nanoseconds (parse_go_duration checks).
    let d = time::Duration::nanoseconds(nanos as i64);
    let sum = t
        .checked_add(d)
        .ok_or("the result is outside the years -9999 to 9999")?;
    Ok(Value::String(go_format(RFC3339, sum)))
}

fn timestamp(ctx: &FnCtx, _: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(go_format(RFC3339, start_utc(ctx))))
}

/// Packer's legacy functions take the format as an optional variadic
/// argument: none gives RFC 3339, more than one is an error.
fn legacy_format(args: &[Value]) -> Result<Option<&str>, String> {
    match args {
        [] => Ok(None),
        [f] => Ok(Some(f.as_str().unwrap_or_default())),
        more => Err(format!("takes at most 1 argument, {} given", more.len())),
    }
}

fn legacy_isotime(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let layout = legacy_format(&args)?.unwrap_or(RFC3339);
    go_layout(layout, start_utc(ctx)).map(Value::String)
}

fn legacy_strftime(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let t = start_utc(ctx);
    Ok(Value::String(match legacy_format(&args)? {
        None => go_format(RFC3339, t),
        Some(f) => strftime(f, t),
    }))
}

fn rfc3339_parse(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let text = str_arg(&args, 0);
    // RFC 3339 §5.6 allows a space instead of `T`; Packer accepts both.
    let t = parse_rfc3339(text, b'T')
        .or_else(|_| parse_rfc3339(text, b' '))
        .map_err(|_| format!("{text:?} is not a valid RFC3339 timestamp"))?;
    let mut m = date_parts(t);
    m.insert("unix".into(), Value::Number(t.unix_timestamp() as f64));
    Ok(Value::Map(m))
}

fn unix_timestamp_parse(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let n = args.first().and_then(Value::as_f64).unwrap_or_default();
    if n.fract() != 0.0 || !n.is_finite() || n.abs() >= 9.2e18 {
        return Err(
            "unix_timestamp must be a whole number of seconds representable as a 64-bit integer"
                .into(),
        );
    }
    let t = OffsetDateTime::from_unix_timestamp(n as i64)
        .map_err(|_| format!("{} is outside the years -9999 to 9999", n as i64))?;
    let mut m = date_parts(t);
    m.insert("rfc3339".into(), Value::String(go_format(RFC3339, t)));
    Ok(Value::Map(m))
}

/// The attributes `rfc3339_parse` and `unix_timestamp_parse` share, read in
/// the timestamp's own offset; weekdays count from Sunday = 0, as Go's.
fn date_parts(t: OffsetDateTime) -> BTreeMap<String, Value> {
    let (iso_year, iso_week, _) = t.to_iso_week_date();
    let num = |x: i64| Value::Number(x as f64);
    let mut m = BTreeMap::new();
    m.insert("year".into(), num(t.year().into()));
    m.insert("year_day".into(), num(t.ordinal().into()));
    m.insert("day".into(), num(t.day().into()));
    m.insert("month".into(), num(u8::from(t.month()).into()));
    m.insert("month_name".into(), Value::str(month_name(t.month())));
    m.insert(
        "weekday".into(),
        num(t.weekday().number_days_from_sunday().into()),
    );
    m.insert("weekday_name".into(), Value::str(weekday_name(t.weekday())));
    m.insert("hour".into(), num(t.hour().into()));
    m.insert("minute".into(), num(t.minute().into()));
    m.insert("second".into(), num(t.second().into()));
    m.insert("iso_year".into(), num(iso_year.into()));
    m.insert("iso_week".into(), num(iso_week.into()));
    m
}

fn month_name(m: Month) -> &'static str {
    const NAMES: [&str; 12] = [
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
    NAMES[u8::from(m) as usize - 1]
}

fn weekday_name(d: Weekday) -> &'static str {
    const NAMES: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    NAMES[d.number_days_from_sunday() as usize]
}

// ---------------------------------------------------------------------------
// RFC 3339 parsing

/// Parse a timestamp as Go's `time.Parse(time.RFC3339, …)` does (with `sep`
/// between date and time; a space separator also accepts a run of spaces):
/// fixed-width fields except the hour (one or two digits), an optional
/// fraction of a second after `.` or `,`, then `Z` or `±hh:mm`. Errors are
/// worded as cty words them for `formatdate` and `timeadd`.
fn parse_rfc3339(text: &str, sep: u8) -> Result<OffsetDateTime, String> {
    let bad = |what: &str| format!("not a valid RFC3339 timestamp: {what}");
    let mut rest = text;

    // A fixed-width number: `width` digits, or an error naming the field.
    fn fixed(rest: &mut &str, width: usize, what: &str) -> Result<u32, String> {
        let r = *rest;
        let b = r.as_bytes();
        if b.len() < width || !b[..width].iter().all(u8::is_ascii_digit) {
            return Err(field_error(r, what));
        }
        *rest = &r[width..];
        Ok(r[..width].parse().expect("digits"))
    }
    fn field_error(rest: &str, what: &str) -> String {
        if rest.is_empty() {
            format!("not a valid RFC3339 timestamp: end of string before {what}")
        } else {
            format!("not a valid RFC3339 timestamp: cannot use {rest:?} as {what}")
        }
    }
    fn literal<'a>(rest: &mut &'a str, c: char) -> Result<(), String> {
        let r: &'a str = rest;
        match r.strip_prefix(c) {
            Some(after) => {
                *rest = after;
                Ok(())
            }
            None if r.is_empty() => Err(format!(
                "not a valid RFC3339 timestamp: end of string where \"{c}\" is expected"
            )),
            None => Err(format!(
                "not a valid RFC3339 timestamp: found {r:?} where \"{c}\" is expected"
            )),
        }
    }

    let year = fixed(&mut rest, 4, "year")?;
    literal(&mut rest, '-')?;
    let month = fixed(&mut rest, 2, "month")?;
    if !(1..=12).contains(&month) {
        return Err(bad("month out of range"));
    }
    literal(&mut rest, '-')?;
    let day = fixed(&mut rest, 2, "day of month")?;
    if !(1..=31).contains(&day) {
        return Err(bad("day out of range"));
    }
    if sep == b'T' {
        rest = rest
            .strip_prefix('T')
            .ok_or_else(|| bad("missing required time introducer 'T'"))?;
    } else {
        if !rest.starts_with(' ') {
            return Err(bad("missing the space between date and time"));
        }
        rest = rest.trim_start_matches(' ');
    }
    // Go reads the 24-hour field with one or two digits.
    let digits = rest.bytes().take(2).take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(field_error(rest, "hour"));
    }
    let hour: u32 = rest[..digits].parse().expect("digits");
    rest = &rest[digits..];
    if hour > 23 {
        return Err(bad("hour out of range"));
    }
    literal(&mut rest, ':')?;
    let minute = fixed(&mut rest, 2, "minute")?;
    if minute > 59 {
        return Err(bad("minute out of range"));
    }
    literal(&mut rest, ':')?;
    let second = fixed(&mut rest, 2, "second")?;
    if second > 59 {
        return Err(bad("second out of range"));
    }
    let mut nanos = 0u32;
    let b = rest.as_bytes();
    if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
        let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Truncated to nanoseconds, as Go does.
        let kept = &rest[1..1 + n.min(9)];
        nanos = kept.parse::<u32>().expect("digits") * 10u32.pow(9 - kept.len() as u32);
        rest = &rest[1 + n..];
    }
    let offset = if let Some(r) = rest.strip_prefix('Z') {
        rest = r;
        UtcOffset::UTC
    } else {
        let b = rest.as_bytes();
        let shaped = b.len() >= 6
            && (b[0] == b'+' || b[0] == b'-')
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit()
            && b[3] == b':'
            && b[4].is_ascii_digit()
            && b[5].is_ascii_digit();
        if !shaped {
            return Err(field_error(rest, "UTC offset"));
        }
        let h: i8 = rest[1..3].parse().expect("digits");
        let m: i8 = rest[4..6].parse().expect("digits");
        if h > 24 || m > 59 {
            return Err(bad("time zone offset out of range"));
        }
        let sign = if b[0] == b'-' { -1 } else { 1 };
        rest = &rest[6..];
        UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad("UTC offset out of range"))?
    };
    if !rest.is_empty() {
        return Err(bad(&format!("extra text: {rest:?}")));
    }
    let month = Month::try_from(month as u8).expect("checked");
    let date = Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|_| bad("day out of range"))?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| bad("time out of range"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

// ---------------------------------------------------------------------------
// Go durations

/// A Go duration (`time.ParseDuration`): an optional sign, then one or more
/// decimal numbers each with a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`),
/// like `"1h30m"`, `"-24h"`, `"1.5h"`, `"300ms"`; `"0"` needs no unit.
/// Returns signed nanoseconds, limited to what an i64 holds (as in Go).
pub fn parse_go_duration(text: &str) -> Result<i128, String> {
    let invalid = || format!("invalid duration {text:?}");
    const LIMIT: u128 = 1 << 63;
    let mut s = text;
    let mut neg = false;
    if let Some(r) = s.strip_prefix('-') {
        neg = true;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        // Whole part.
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut whole: u128 = 0;
        for c in s[..n].bytes() {
            whole = whole * 10 + u128::from(c - b'0');
            if whole > LIMIT {
                return Err(invalid());
            }
        }
        let had_whole = n > 0;
        s = &s[n..];
        // Fraction: digits past what an i64 holds are ignored, as in Go.
        let mut frac: u128 = 0;
        let mut scale = 1f64;
        let mut had_frac = false;
        if let Some(r) = s.strip_prefix('.') {
            s = r;
            let n = s.bytes().take_while(u8::is_ascii_digit).count();
            had_frac = n > 0;
            let mut overflow = false;
            for c in s[..n].bytes() {
                if overflow {
                    continue;
                }
                let next = frac * 10 + u128::from(c - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = next;
                scale *= 10.0;
            }
            s = &s[n..];
        }
        if !had_whole && !had_frac {
            return Err(invalid());
        }
        // Unit: everything up to the next number.
        let n = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if n == 0 {
            return Err(format!("missing unit in duration {text:?}"));
        }
        let unit: u128 = match &s[..n] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => return Err(format!("unknown unit {other:?} in duration {text:?}")),
        };
        s = &s[n..];
        let mut v = whole.checked_mul(unit).ok_or_else(invalid)?;
        if v > LIMIT {
            return Err(invalid());
        }
        if frac > 0 {
            // Go computes the fractional part in floating point.
            v += (frac as f64 * (unit as f64 / scale)) as u128;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if !neg && total == LIMIT {
        return Err(invalid());
    }
    let total = total as i128;
    Ok(if neg { -total } else { total })
}

// ---------------------------------------------------------------------------
// formatdate

/// cty's `formatdate` mini-language: `YYYY YY MMMM MMM MM M DD D EEEE EEE hh
/// h HH H mm m ss s AA aa ZZZZZ ZZZZ ZZZ Z`, text in single quotes taken
/// literally (`''` is a quote), other non-letters copied. Any other run of a
/// letter is an error. Reads `t` in its own offset.
pub fn format_date(spec: &str, t: OffsetDateTime) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // `''` is a quote; otherwise literal text up to the closing quote,
            // with `''` inside standing for one quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err("unterminated literal '".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&x) => {
                        out.push(x);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let tok: String = chars[i..i + run].iter().collect();
        let verb = |why: &str| Err(format!("invalid date format verb {tok:?}: {why}"));
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let piece = match (c, run) {
            ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
            ('Y', 4) => format!("{:04}", t.year()),
            ('Y', _) => return verb("year must either be \"YY\" or \"YYYY\""),
            ('M', 1) => u8::from(t.month()).to_string(),
            ('M', 2) => format!("{:02}", u8::from(t.month())),
            ('M', 3) => month_name(t.month())[..3].to_owned(),
            ('M', 4) => month_name(t.month()).to_owned(),
            ('M', _) => return verb("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\""),
            ('D', 1) => t.day().to_string(),
            ('D', 2) => format!("{:02}", t.day()),
            ('D', _) => return verb("day of month must either be \"D\" or \"DD\""),
            ('E', 3) => weekday_name(t.weekday())[..3].to_owned(),
            ('E', 4) => weekday_name(t.weekday()).to_owned(),
            ('E', _) => return verb("day of week must either be \"EEE\" or \"EEEE\""),
            ('h', 1) => t.hour().to_string(),
            ('h', 2) => format!("{:02}", t.hour()),
            ('h', _) => return verb("24-hour must either be \"h\" or \"hh\""),
            ('H', 1) => hour12.to_string(),
            ('H', 2) => format!("{hour12:02}"),
            ('H', _) => return verb("12-hour must either be \"H\" or \"HH\""),
            ('A', 2) => (if t.hour() < 12 { "AM" } else { "PM" }).to_owned(),
            ('a', 2) => (if t.hour() < 12 { "am" } else { "pm" }).to_owned(),
            ('A' | 'a', _) => return verb(&format!("must be \"{c}{c}\"")),
            ('m', 1) => t.minute().to_string(),
            ('m', 2) => format!("{:02}", t.minute()),
            ('m', _) => return verb("minute must either be \"m\" or \"mm\""),
            ('s', 1) => t.second().to_string(),
            ('s', 2) => format!("{:02}", t.second()),
            ('s', _) => return verb("second must either be \"s\" or \"ss\""),
            ('Z', 1) => go_format("Z07:00", t),
            ('Z', 3) if t.offset().is_utc() => "UTC".to_owned(),
            ('Z', 3 | 4) => go_format("-0700", t),
            ('Z', 5) => go_format("-07:00", t),
            ('Z', _) => return verb("timezone must be Z, ZZZZ, or ZZZZZ"),
            _ => return Err(format!("invalid date format verb {tok:?}")),
        };
        out.push_str(&piece);
        i += run;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Go layouts

/// One element of a Go layout (`time/format.go`'s std values).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    /// `MST`: the zone's name; offsets without a name print as `-0700`.
    Tz,
    /// A numeric offset: `Z` for UTC when `z`, with `:` when `colon`, with
    /// minutes unless `short`, with seconds when `seconds`.
    Offset {
        z: bool,
        colon: bool,
        short: bool,
        seconds: bool,
    },
    /// `.000`/`.999` (or with `,`): `digits` places, trailing zeros trimmed
    /// when `trim`.
    Frac {
        digits: usize,
        trim: bool,
        sep: char,
    },
}

/// Split `layout` at its first layout element: the text before it, the
/// element, and the text after (Go's `nextStdChunk`).
fn next_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout[i..].starts_with(s);
    let lower_after = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    let offset = |z, colon, short, seconds| Std::Offset {
        z,
        colon,
        short,
        seconds,
    };
    for i in 0..b.len() {
        let found = move |std: Std, len: usize| Some((&layout[..i], Some(std), &layout[i + len..]));
        let hit = match b[i] {
            b'J' if at(i, "January") => found(Std::LongMonth, 7),
            b'J' if at(i, "Jan") && !lower_after(i + 3) => found(Std::Month, 3),
            b'M' if at(i, "Monday") => found(Std::LongWeekDay, 6),
            b'M' if at(i, "Mon") && !lower_after(i + 3) => found(Std::WeekDay, 3),
            b'M' if at(i, "MST") => found(Std::Tz, 3),
            b'0' if matches!(b.get(i + 1), Some(b'1'..=b'6')) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][(b[i + 1] - b'1') as usize];
                found(std, 2)
            }
            b'0' if at(i, "002") => found(Std::ZeroYearDay, 3),
            b'1' if at(i, "15") => found(Std::Hour, 2),
            b'1' => found(Std::NumMonth, 1),
            b'2' if at(i, "2006") => found(Std::LongYear, 4),
            b'2' => found(Std::Day, 1),
            // `_2006` is a literal `_` and the year.
            b'_' if at(i, "_2006") => Some((&layout[..=i], Some(Std::LongYear), &layout[i + 5..])),
            b'_' if at(i, "_2") => found(Std::UnderDay, 2),
            b'_' if at(i, "__2") => found(Std::UnderYearDay, 3),
            b'3' => found(Std::Hour12, 1),
            b'4' => found(Std::Minute, 1),
            b'5' => found(Std::Second, 1),
            b'P' if at(i, "PM") => found(Std::PM, 2),
            b'p' if at(i, "pm") => found(Std::Pm, 2),
            b'-' if at(i, "-070000") => found(offset(false, false, false, true), 7),
            b'-' if at(i, "-07:00:00") => found(offset(false, true, false, true), 9),
            b'-' if at(i, "-0700") => found(offset(false, false, false, false), 5),
            b'-' if at(i, "-07:00") => found(offset(false, true, false, false), 6),
            b'-' if at(i, "-07") => found(offset(false, false, true, false), 3),
            b'Z' if at(i, "Z070000") => found(offset(true, false, false, true), 7),
            b'Z' if at(i, "Z07:00:00") => found(offset(true, true, false, true), 9),
            b'Z' if at(i, "Z0700") => found(offset(true, false, false, false), 5),
            b'Z' if at(i, "Z07:00") => found(offset(true, true, false, false), 6),
            b'Z' if at(i, "Z07") => found(offset(true, false, true, false), 3),
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let digit = b[i + 1];
                let n = b[i + 1..].iter().take_while(|&&x| x == digit).count();
                // Only a fraction when the run of digits ends here.
                if b.get(i + 1 + n).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    let std = Std::Frac {
                        digits: n,
                        trim: digit == b'9',
                        sep: c as char,
                    };
                    found(std, 1 + n)
                }
            }
            _ => None,
        };
        if let Some(hit) = hit {
            return hit;
        }
    }
    (layout, None, "")
}

/// Format `t` with a Go reference-time layout, every element Go knows:
/// `2006 06 January Jan 01 1 Monday Mon 02 2 _2 002 __2 15 03 3 04 4 05 5
/// PM pm MST Z07:00 Z0700 Z07 Z070000 Z07:00:00 -07:00 -0700 -07 -070000
/// -07:00:00 .000 .999 ,000 ,999`; other text is copied. Like Go's
/// `Time.Format` it cannot fail; the `Result` leaves room for callers that
/// validate layouts.
pub fn go_layout(layout: &str, t: OffsetDateTime) -> Result<String, String> {
    Ok(go_format(layout, t))
}

fn go_format(layout: &str, t: OffsetDateTime) -> String {
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let (prefix, std, suffix) = next_chunk(rest);
        out.push_str(prefix);
        let Some(std) = std else { break };
        rest = suffix;
        go_element(&mut out, std, t);
    }
    out
}

/// A number at least `width` digits wide, the sign before the padding (Go's
/// `appendInt`).
fn padded(n: i64, width: usize) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{:0width$}", n.unsigned_abs())
}

fn go_element(out: &mut String, std: Std, t: OffsetDateTime) {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let yday = t.ordinal();
    let piece = match std {
        Std::LongYear => padded(t.year().into(), 4),
        Std::Year => format!("{:02}", t.year().unsigned_abs() % 100),
        Std::LongMonth => month_name(t.month()).to_owned(),
        Std::Month => month_name(t.month())[..3].to_owned(),
        Std::NumMonth => u8::from(t.month()).to_string(),
        Std::ZeroMonth => format!("{:02}", u8::from(t.month())),
        Std::LongWeekDay => weekday_name(t.weekday()).to_owned(),
        Std::WeekDay => weekday_name(t.weekday())[..3].to_owned(),
        Std::Day => t.day().to_string(),
        Std::UnderDay => format!("{:>2}", t.day()),
        Std::ZeroDay => format!("{:02}", t.day()),
        Std::UnderYearDay => format!("{yday:>3}"),
        Std::ZeroYearDay => format!("{yday:03}"),
        Std::Hour => format!("{:02}", t.hour()),
        Std::Hour12 => hour12.to_string(),
        Std::ZeroHour12 => format!("{hour12:02}"),
        Std::Minute => t.minute().to_string(),
        Std::ZeroMinute => format!("{:02}", t.minute()),
        Std::Second => t.second().to_string(),
        Std::ZeroSecond => format!("{:02}", t.second()),
        Std::PM => (if t.hour() >= 12 { "PM" } else { "AM" }).to_owned(),
        Std::Pm => (if t.hour() >= 12 { "pm" } else { "am" }).to_owned(),
        Std::Tz => {
            let secs = t.offset().whole_seconds();
            if secs == 0 {
                "UTC".to_owned()
            } else {
                let mins = secs.abs() / 60;
                let sign = if secs < 0 { '-' } else { '+' };
                format!("{sign}{:02}{:02}", mins / 60, mins % 60)
            }
        }
        Std::Offset {
            z,
            colon,
            short,
            seconds,
        } => {
            let secs = t.offset().whole_seconds();
            if z && secs == 0 {
                "Z".to_owned()
            } else {
                let abs = secs.abs();
                let mut s = String::from(if secs < 0 { '-' } else { '+' });
                s.push_str(&format!("{:02}", abs / 3600));
                if !short {
                    if colon {
                        s.push(':');
                    }
                    s.push_str(&format!("{:02}", abs / 60 % 60));
                }
                if seconds {
                    if colon {
                        s.push(':');
                    }
                    s.push_str(&format!("{:02}", abs % 60));
                }
                s
            }
        }
        Std::Frac { digits, trim, sep } => {
            let nanos = t.nanosecond();
            if trim && (digits == 0 || nanos == 0) {
                String::new()
            } else {
                let all = format!("{nanos:09}");
                let mut frac = &all[..digits.min(9)];
                if trim {
                    frac = frac.trim_end_matches('0');
                }
                if frac.is_empty() {
                    String::new()
                } else {
                    format!("{sep}{frac}")
                }
            }
        }
    };
    out.push_str(&piece);
}

// ---------------------------------------------------------------------------
// strftime

/// Format `t` with strftime directives. Packer's library (jehiah/go-strftime)
/// knows `%A %a %B %b %d %H %I %L %M %m %p %S %Y %y %Z %z %%`; the other
/// common ones are supported too: `%C %c %D %e %F %h %j %k %l %n %R %r %T %t
/// %U %u %V %v %W %w %X %x`. An unknown directive is copied as it is (`%Q`),
/// and so is a `%` at the end.
pub fn strftime(format: &str, t: OffsetDateTime) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let go = |layout: &str| go_format(layout, t);
        let yday0 = i64::from(t.ordinal()) - 1;
        let wday = i64::from(t.weekday().number_days_from_sunday());
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let piece = match d {
            'A' => go("Monday"),
            'a' => go("Mon"),
            'B' => go("January"),
            'b' | 'h' => go("Jan"),
            'C' => format!("{:02}", t.year().div_euclid(100)),
            'c' => go("Mon Jan _2 15:04:05 2006"),
            'D' | 'x' => go("01/02/06"),
            'd' => go("02"),
            'e' => go("_2"),
            'F' => go("2006-01-02"),
            'H' => go("15"),
            'I' => go("03"),
            'j' => go("002"),
            'k' => format!("{:>2}", t.hour()),
            'L' => go(".000"),
            'l' => format!("{hour12:>2}"),
            'M' => go("04"),
            'm' => go("01"),
            'n' => "\n".to_owned(),
            'p' => go("PM"),
            'R' => go("15:04"),
            'r' => go("03:04:05 PM"),
            'S' => go("05"),
            'T' | 'X' => go("15:04:05"),
            't' => "\t".to_owned(),
            'U' => format!("{:02}", (yday0 + 7 - wday) / 7),
            'u' => t.weekday().number_from_monday().to_string(),
            'V' => format!("{:02}", t.iso_week()),
            'v' => go("_2-Jan-2006"),
            'W' => format!("{:02}", (yday0 + 7 - (wday + 6) % 7) / 7),
            'w' => wday.to_string(),
            'Y' => go("2006"),
            'y' => go("06"),
            'Z' => go("MST"),
            'z' => go("-0700"),
            '%' => "%".to_owned(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, call_with, ctx, err, list, map, n, ok, s};
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formatdate_follows_cty() {
        let f = |spec: &str, ts: &str| ok("formatdate", vec![s(spec), s(ts)]);
        // Terraform's documented examples.
        assert_eq!(
            f("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z"),
            s("02 Jan 2018 23:12 UTC")
        );
        assert_eq!(
            f("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z"),
            s("Tuesday, 02-Jan-18 23:12:01 UTC")
        );
        assert_eq!(
            f("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"),
            s("Tue, 02 Jan 2018 23:12:01 -0800")
        );
        assert_eq!(f("MMM DD, YYYY", "2018-01-02T23:12:01Z"), s("Jan 02, 2018"));
        assert_eq!(f("HH:mmaa", "2018-01-02T23:12:01Z"), s("11:12pm"));
        assert_eq!(f("h'h'mm", "2018-01-02T23:12:01-08:00"), s("23h12"));
        // Every verb.
        assert_eq!(
            f(
                "YYYY YY MMMM MMM MM M DD D EEEE EEE",
                "2026-03-05T04:07:09Z"
            ),
            s("2026 26 March Mar 03 3 05 5 Thursday Thu")
        );
        assert_eq!(
            f("hh h HH H mm m ss s AA aa", "2026-03-05T04:07:09Z"),
            s("04 4 04 4 07 7 09 9 AM am")
        );
        assert_eq!(f("H HH", "2026-03-05T00:00:00Z"), s("12 12"));
        assert_eq!(
            f("Z|ZZZ|ZZZZ|ZZZZZ", "2026-03-05T04:07:09Z"),
            s("Z|UTC|+0000|+00:00")
        );
        assert_eq!(
            f("Z|ZZZ|ZZZZ|ZZZZZ", "2026-03-05T04:07:09+05:30"),
            s("+05:30|+0530|+0530|+05:30")
        );
        // Quotes: '' is a quote, inside and outside literals; literal at the end.
        assert_eq!(
            f("'o''clock' ''hh", "2026-03-05T04:07:09Z"),
            s("o'clock '04")
        );
        assert_eq!(f("YYYY'T'", "2026-03-05T04:07:09Z"), s("2026T"));
        // Non-letters are copied, including non-ASCII.
        assert_eq!(f("DD.MM — YYYY", "2026-03-05T04:07:09Z"), s("05.03 — 2026"));
        assert_eq!(f("", "2026-03-05T04:07:09Z"), s(""));
        // Fractions are accepted and ignored.
        assert_eq!(f("ss", "2026-03-05T04:07:09.999Z"), s("09"));
    }

    #[test]
    fn formatdate_errors_are_ctys() {
        let e = err("formatdate", vec![s("YYY"), s("2026-03-05T04:07:09Z")]);
        assert!(
            e.contains(r#"invalid date format verb "YYY": year must either be "YY" or "YYYY""#),
            "{e}"
        );
        let e = err("formatdate", vec![s("q"), s("2026-03-05T04:07:09Z")]);
        assert!(e.ends_with(r#"invalid date format verb "q""#), "{e}");
        let e = err("formatdate", vec![s("ZZ"), s("2026-03-05T04:07:09Z")]);
        assert!(e.contains("timezone must be Z, ZZZZ, or ZZZZZ"), "{e}");
        let e = err("formatdate", vec![s("'abc"), s("2026-03-05T04:07:09Z")]);
        assert!(e.contains("unterminated literal '"), "{e}");
        let cases = [
            ("2026-03-05", "missing required time introducer 'T'"),
            (
                "2026-03-05 04:07:09Z",
                "missing required time introducer 'T'",
            ),
            ("abc", r#"cannot use "abc" as year"#),
            ("2026", r#"end of string where "-" is expected"#),
            (
                "2026/03/05T04:07:09Z",
                r#"found "/03/05T04:07:09Z" where "-" is expected"#,
            ),
            (
                "2026-3-05T04:07:09Z",
                r#"cannot use "3-05T04:07:09Z" as month"#,
            ),
            ("2026-13-05T04:07:09Z", "month out of range"),
            ("2026-02-30T04:07:09Z", "day out of range"),
            ("2026-03-05T24:07:09Z", "hour out of range"),
            ("2026-03-05T04:07:09", "end of string before UTC offset"),
            (
                "2026-03-05T04:07:09+0100",
                r#"cannot use "+0100" as UTC offset"#,
            ),
            ("2026-03-05T04:07:09Zjunk", r#"extra text: "junk""#),
        ];
        for (ts, want) in cases {
            let e = err("formatdate", vec![s("YYYY"), s(ts)]);
            assert!(
                e.starts_with("formatdate(): not a valid RFC3339 timestamp"),
                "{ts}: {e}"
            );
            assert!(e.contains(want), "{ts}: {e}");
        }
        // Go reads a one-digit hour.
        assert_eq!(
            ok("formatdate", vec![s("hh"), s("2026-03-05T4:07:09Z")]),
            s("04")
        );
    }

    #[test]
    fn format_date_is_public_for_other_renderers() {
        let t = datetime!(2026-03-05 14:07:09 UTC);
        assert_eq!(
            format_date("YYYY-MM-DD'T'hh:mm:ssZ", t).unwrap(),
            "2026-03-05T14:07:09Z"
        );
        assert_eq!(
            format_date("DD MMM YYYY HH:mm AA", t).unwrap(),
            "05 Mar 2026 02:07 PM"
        );
        assert!(format_date("YYY", t).is_err());
    }

    #[test]
    fn timeadd_adds_go_durations() {
        let f = |ts: &str, d: &str| call_fn("timeadd", vec![s(ts), s(d)]);
        assert_eq!(
            f("2017-11-22T00:00:00Z", "10m"),
            Ok(s("2017-11-22T00:10:00Z"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00Z", "-24h"),
            Ok(s("2017-11-21T00:00:00Z"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00Z", "1h30m"),
            Ok(s("2017-11-22T01:30:00Z"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00Z", "1.5h"),
            Ok(s("2017-11-22T01:30:00Z"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00Z", "8760h"),
            Ok(s("2018-11-22T00:00:00Z"))
        );
        // The offset is kept; fractions of a second are not written.
        assert_eq!(
            f("2017-11-22T23:00:00+01:00", "2h"),
            Ok(s("2017-11-23T01:00:00+01:00"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00.75Z", "300ms"),
            Ok(s("2017-11-22T00:00:01Z"))
        );
        assert_eq!(
            f("2017-11-22T00:00:00Z", "0"),
            Ok(s("2017-11-22T00:00:00Z"))
        );
        let e = f("2017-11-22T00:00:00Z", "1d").unwrap_err();
        assert_eq!(e, r#"timeadd(): unknown unit "d" in duration "1d""#);
        let e = f("2017-11-22T00:00:00Z", "10").unwrap_err();
        assert_eq!(e, r#"timeadd(): missing unit in duration "10""#);
        let e = f("2017-11-22", "1h").unwrap_err();
        assert!(e.contains("not a valid RFC3339 timestamp"), "{e}");
        let e = f("9999-12-31T23:00:00Z", "2h").unwrap_err();
        assert!(e.contains("outside the years"), "{e}");
    }

    #[test]
    fn go_durations_parse_as_go_does() {
        const S: i128 = 1_000_000_000;
        assert_eq!(parse_go_duration("1h30m"), Ok(5400 * S));
        assert_eq!(parse_go_duration("-24h"), Ok(-86400 * S));
        assert_eq!(parse_go_duration("+10m"), Ok(600 * S));
        assert_eq!(parse_go_duration("1.5h"), Ok(5400 * S));
        assert_eq!(parse_go_duration("300ms"), Ok(300_000_000));
        assert_eq!(parse_go_duration("2h45m"), Ok(9900 * S));
        assert_eq!(parse_go_duration("1ns"), Ok(1));
        assert_eq!(parse_go_duration("1us"), Ok(1_000));
        assert_eq!(parse_go_duration("1µs"), Ok(1_000));
        assert_eq!(parse_go_duration("1μs"), Ok(1_000));
        assert_eq!(parse_go_duration(".5s"), Ok(S / 2));
        assert_eq!(parse_go_duration("1.s"), Ok(S));
        assert_eq!(
            parse_go_duration("1h1m1s1ms1us1ns"),
            Ok(3661 * S + 1_001_001)
        );
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("-0"), Ok(0));
        assert_eq!(parse_go_duration("0s"), Ok(0));
        assert_eq!(
            parse_go_duration("9223372036854775807ns"),
            Ok(i64::MAX.into())
        );
        assert_eq!(
            parse_go_duration("-9223372036854775808ns"),
            Ok(i64::MIN.into())
        );
        for bad in [
            "",
            "-",
            ".",
            "h",
            "1",
            "1.5",
            "1d",
            "1h 30m",
            "9223372036854775808ns",
            "3000000h",
            "1hh",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_go_duration("abc"),
            Err(r#"invalid duration "abc""#.into())
        );
        assert_eq!(
            parse_go_duration("1hh"),
            Err(r#"unknown unit "hh" in duration "1hh""#.into())
        );
    }

    #[test]
    fn timestamp_is_the_start_in_utc() {
        assert_eq!(ok("timestamp", vec![]), s("2026-03-05T14:07:09Z"));
        let mut c = ctx();
        c.start = datetime!(2026-03-05 23:30:00.5 -02:00);
        assert_eq!(
            call_with(&c, "timestamp", vec![]),
            Ok(s("2026-03-06T01:30:00Z"))
        );
        assert!(call_fn("timestamp", vec![s("x")]).is_err());
    }

    #[test]
    fn legacy_isotime_formats_the_start_with_go_layouts() {
        assert_eq!(ok("legacy_isotime", vec![]), s("2026-03-05T14:07:09Z"));
        assert_eq!(ok("legacy_isotime", vec![s("01-02-2006")]), s("03-05-2026"));
        assert_eq!(
            ok("legacy_isotime", vec![s("Mon Jan 02, 2006")]),
            s("Thu Mar 05, 2026")
        );
        assert_eq!(
            ok("legacy_isotime", vec![s("20060102150405")]),
            s("20260305140709")
        );
        assert_eq!(
            ok("legacy_isotime", vec![s("no tokens here")]),
            s("no tokens here")
        );
        let e = err("legacy_isotime", vec![s("2006"), s("01")]);
        assert!(e.contains("at most 1 argument, 2 given"), "{e}");
    }

    #[test]
    fn go_layout_knows_every_element() {
        let t = datetime!(2026-03-05 14:07:09.123456789 +05:30);
        let cases = [
            ("2006 06 _2006", "2026 26 _2026"),
            ("January Jan 01 1", "March Mar 03 3"),
            ("Monday Mon", "Thursday Thu"),
            ("02 2 _2 002 __2", "05 5  5 064  64"),
            ("15 03 3 04 4 05 5 PM pm", "14 02 2 07 7 09 9 PM pm"),
            ("MST", "+0530"),
            (
                "Z07:00 Z0700 Z07 Z070000 Z07:00:00",
                "+05:30 +0530 +05 +053000 +05:30:00",
            ),
            (
                "-07:00 -0700 -07 -070000 -07:00:00",
                "+05:30 +0530 +05 +053000 +05:30:00",
            ),
            (
                "05.000 05.999 05,000 .000000000 .99",
                "09.123 09.123 09,123 .123456789 .12",
            ),
            ("Month Janet Monk", "Month Janet Monk"),
            ("3:04PM", "2:07PM"),
            ("05.0000x", "09.1234x"),
            // Not a fraction (a digit follows the zeros): `01` is the month.
            (".0001", ".0003"),
        ];
        for (layout, want) in cases {
            assert_eq!(go_layout(layout, t).unwrap(), want, "{layout}");
        }
        let utc = datetime!(2009-01-03 00:04:05 UTC);
        let cases = [
            (RFC3339, "2009-01-03T00:04:05Z"),
            (
                "Mon, 02 Jan 2006 15:04:05 MST",
                "Sat, 03 Jan 2009 00:04:05 UTC",
            ),
            ("Z07:00 -07:00 Z07", "Z +00:00 Z"),
            ("3 03 PM", "12 12 AM"),
            ("05.999 .9", "05 "),
            ("05.000", "05.000"),
            ("2 _2 __2 002", "3  3   3 003"),
        ];
        for (layout, want) in cases {
            assert_eq!(go_layout(layout, utc).unwrap(), want, "{layout}");
        }
        let west = datetime!(0033-12-31 23:59:59 -07:00);
        assert_eq!(
            go_layout("2006 06 MST Z07:00", west).unwrap(),
            "0033 33 -0700 -07:00"
        );
    }

    #[test]
    fn legacy_strftime_formats_the_start() {
        assert_eq!(ok("legacy_strftime", vec![]), s("2026-03-05T14:07:09Z"));
        assert_eq!(
            ok("legacy_strftime", vec![s("%Y-%m-%d %H:%M:%S")]),
            s("2026-03-05 14:07:09")
        );
        assert_eq!(
            ok("legacy_strftime", vec![s("build-%Y%m%d")]),
            s("build-20260305")
        );
        let e = err("legacy_strftime", vec![s("%Y"), s("%m")]);
        assert!(e.contains("at most 1 argument"), "{e}");
    }

    #[test]
    fn strftime_directives() {
        let t = datetime!(2026-03-05 14:07:09.5 UTC);
        let cases = [
            ("%A %a %B %b %h", "Thursday Thu March Mar Mar"),
            ("%C %c", "20 Thu Mar  5 14:07:09 2026"),
            ("%D %d %e %F", "03/05/26 05  5 2026-03-05"),
            ("%H %I %j %k %l", "14 02 064 14  2"),
            ("%M %m %p %R %r", "07 03 PM 14:07 02:07:09 PM"),
            ("%S %T %U %u %V %v", "09 14:07:09 09 4 10  5-Mar-2026"),
            ("%W %w %X %x %Y %y", "09 4 14:07:09 03/05/26 2026 26"),
            ("%Z %z %L", "UTC +0000 .500"),
            ("a%nb%tc", "a\nb\tc"),
            // As jehiah/go-strftime: unknown directives and a final % are copied.
            ("%0%1%%%2", "%0%1%%2"),
            ("100%", "100%"),
            ("%Q%é", "%Q%é"),
            ("aaabbb0123456789%Y", "aaabbb01234567892026"),
        ];
        for (f, want) in cases {
            assert_eq!(strftime(f, t), want, "{f}");
        }
        let t = datetime!(2026-01-01 00:00:00 +05:30);
        assert_eq!(
            strftime("%U %W %V %I %l %p %z %Z", t),
            "00 00 01 12 12 AM +0530 +0530"
        );
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        assert_eq!(strftime("%V", datetime!(2027-01-01 00:00 UTC)), "53");
    }

    fn parts(pairs: &[(&str, Value)], extra: (&str, Value)) -> Value {
        let mut all: Vec<(&str, Value)> = pairs.to_vec();
        all.push(extra);
        map(&all)
    }

    #[test]
    fn rfc3339_parse_returns_packers_object() {
        let july = [
            ("year", n(2023.0)),
            ("year_day", n(206.0)),
            ("day", n(25.0)),
            ("month", n(7.0)),
            ("month_name", s("July")),
            ("weekday", n(2.0)),
            ("weekday_name", s("Tuesday")),
            ("hour", n(23.0)),
            ("minute", n(43.0)),
            ("second", n(16.0)),
            ("iso_year", n(2023.0)),
            ("iso_week", n(30.0)),
        ];
        let want = parts(&july, ("unix", n(1690328596.0)));
        for ts in [
            "2023-07-25T23:43:16Z",
            "2023-07-25 23:43:16Z",
            "2023-07-25T23:43:16.512345Z",
        ] {
            assert_eq!(ok("rfc3339_parse", vec![s(ts)]), want, "{ts}");
        }
        let december = [
            ("year", n(1996.0)),
            ("year_day", n(354.0)),
            ("day", n(19.0)),
            ("month", n(12.0)),
            ("month_name", s("December")),
            ("weekday", n(4.0)),
            ("weekday_name", s("Thursday")),
            ("hour", n(16.0)),
            ("minute", n(39.0)),
            ("second", n(57.0)),
            ("iso_year", n(1996.0)),
            ("iso_week", n(51.0)),
        ];
        let want = parts(&december, ("unix", n(851042397.0)));
        for ts in ["1996-12-19T16:39:57-08:00", "1996-12-19 16:39:57.25-08:00"] {
            assert_eq!(ok("rfc3339_parse", vec![s(ts)]), want, "{ts}");
        }
        let e = err("rfc3339_parse", vec![s("abcdef")]);
        assert_eq!(
            e,
            r#"rfc3339_parse(): "abcdef" is not a valid RFC3339 timestamp"#
        );
        assert!(call_fn("rfc3339_parse", vec![s("2023-07-25")]).is_err());
    }

    #[test]
    fn unix_timestamp_parse_returns_packers_object() {
        let v = ok("unix_timestamp_parse", vec![n(1690328596.0)]);
        let m = v.as_map().unwrap();
        assert_eq!(m["rfc3339"], s("2023-07-25T23:43:16Z"));
        assert_eq!(m["year"], n(2023.0));
        assert_eq!(m["year_day"], n(206.0));
        assert_eq!(m["weekday_name"], s("Tuesday"));
        assert_eq!(m["iso_week"], n(30.0));
        assert!(!m.contains_key("unix"));
        assert_eq!(m.len(), 13);
        let v = ok("unix_timestamp_parse", vec![n(-1.0)]);
        assert_eq!(v.as_map().unwrap()["rfc3339"], s("1969-12-31T23:59:59Z"));
        // Numeric strings convert, as cty converts them.
        let v = ok("unix_timestamp_parse", vec![s("0")]);
        assert_eq!(v.as_map().unwrap()["rfc3339"], s("1970-01-01T00:00:00Z"));
        let e = err("unix_timestamp_parse", vec![n(1.5)]);
        assert!(e.contains("whole number of seconds"), "{e}");
        let e = err("unix_timestamp_parse", vec![n(1e18)]);
        assert!(e.contains("outside the years"), "{e}");
        assert!(call_fn("unix_timestamp_parse", vec![s("soon")]).is_err());
        assert!(call_fn("unix_timestamp_parse", vec![list(&[])]).is_err());
    }
}
