//! String functions: cty's stdlib string, regexp and format families and
//! Packer's own `startswith`, `endswith` and `strcontains`, plus amibake's
//! `clean_resource_name`.
//!
//! Go semantics matter here: `upper`/`lower`/`title` map one character to
//! one character (Go's simple case mapping), `substr`, `strrev` and the
//! widths of `format` count grapheme clusters, regular expressions are RE2
//! (Go's `regexp`: `\d`, `\w`, `\s` and `\b` are ASCII-only) and `%q`/`%v`
//! quote as Go's `encoding/json` does.

use std::collections::BTreeMap;

use regex::{Captures, Regex};

use super::super::value::{format_number, parse_number, Value};
use super::{p, p_null, str_arg, FnCtx, Func, Kind, ParamType};

const S: ParamType = ParamType::String;
const N: ParamType = ParamType::Number;

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "chomp",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string without its trailing newlines",
        call: chomp,
    },
    Func {
        name: "clean_resource_name",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with characters AMI names do not allow replaced by `-`",
        call: clean_resource_name,
    },
    Func {
        name: "endswith",
        params: &[p("str", S), p("suffix", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "whether the string ends with the suffix",
        call: endswith,
    },
    Func {
        name: "format",
        params: &[p("format", S)],
        variadic: Some(p_null("args", ParamType::Any)),
        kind: Kind::Pure,
        doc: "the arguments formatted by a printf-style spec",
        call: format,
    },
    Func {
        name: "formatlist",
        params: &[p("format", S)],
        variadic: Some(p_null("args", ParamType::Any)),
        kind: Kind::Pure,
        doc: "a list of strings, formatting list arguments element by element",
        call: formatlist,
    },
    Func {
        name: "indent",
        params: &[p("spaces", N), p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with every line but the first indented by that many spaces",
        call: indent,
    },
    Func {
        name: "join",
        params: &[p("separator", S)],
        variadic: Some(p("lists", ParamType::StringList)),
        kind: Kind::Pure,
        doc: "the elements of the lists joined by the separator",
        call: join,
    },
    Func {
        name: "lower",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string in lower case",
        call: lower,
    },
    Func {
        name: "regex",
        params: &[p("pattern", S), p("string", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the first match of the pattern (its captures as a list or map)",
        call: regex_fn,
    },
    Func {
        name: "regex_replace",
        params: &[p("str", S), p("substr", S), p("replace", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with every match of the pattern replaced (`$1`, `${name}` expand)",
        call: regex_replace,
    },
    Func {
        name: "regexall",
        params: &[p("pattern", S), p("string", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "every match of the pattern, as a list",
        call: regexall,
    },
    Func {
        name: "replace",
        params: &[p("str", S), p("substr", S), p("replace", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with every occurrence of the substring replaced",
        call: replace,
    },
    Func {
        name: "split",
        params: &[p("separator", S), p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the parts of the string between the separators, as a list",
        call: split,
    },
    Func {
        name: "startswith",
        params: &[p("str", S), p("prefix", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "whether the string starts with the prefix",
        call: startswith,
    },
    Func {
        name: "strcontains",
        params: &[p("str", S), p("substr", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "whether the string contains the substring",
        call: strcontains,
    },
    Func {
        name: "strrev",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with its characters in reverse order",
        call: strrev,
    },
    Func {
        name: "substr",
        params: &[p("str", S), p("offset", N), p("length", N)],
        variadic: None,
        kind: Kind::Pure,
        doc: "part of the string, by character offset (negative: from the end) and length (-1: the rest)",
        call: substr,
    },
    Func {
        name: "title",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string with the first letter of each word in upper case",
        call: title,
    },
    Func {
        name: "trim",
        params: &[p("str", S), p("cutset", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string without any of the cutset's characters at either end",
        call: trim,
    },
    Func {
        name: "trimprefix",
        params: &[p("str", S), p("prefix", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string without the prefix, if it has it",
        call: trimprefix,
    },
    Func {
        name: "trimspace",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string without whitespace at either end",
        call: trimspace,
    },
    Func {
        name: "trimsuffix",
        params: &[p("str", S), p("suffix", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string without the suffix, if it has it",
        call: trimsuffix,
    },
    Func {
        name: "upper",
        params: &[p("str", S)],
        variadic: None,
        kind: Kind::Pure,
        doc: "the string in upper case",
        call: upper,
    },
];

// ---------------------------------------------------------------------------
// Argument helpers

/// A whole number argument, as cty's conversion to a Go `int` requires.
fn whole(v: &Value, name: &str) -> Result<i64, String> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64 => Ok(n as i64),
        _ => Err(format!("{name} must be a whole number")),
    }
}

fn string(s: impl Into<String>) -> Result<Value, String> {
    Ok(Value::String(s.into()))
}

// ---------------------------------------------------------------------------
// Simple string functions

fn chomp(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // cty: `(?:\r\n?|\n)*\z` replaced by nothing, i.e. every trailing CR/LF.
    string(str_arg(&args, 0).trim_end_matches(['\r', '\n']))
}

fn clean_resource_name(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // amibake's rule: keep what AMI names allow, replace the rest with `-`.
    let s: String = str_arg(&args, 0)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "()[]./-'@_ ".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    string(s)
}

fn endswith(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(str_arg(&args, 0).ends_with(str_arg(&args, 1))))
}

fn startswith(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(
        str_arg(&args, 0).starts_with(str_arg(&args, 1)),
    ))
}

fn strcontains(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(str_arg(&args, 0).contains(str_arg(&args, 1))))
}

fn indent(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let spaces = whole(&args[0], "spaces")?;
    if spaces < 0 {
        return Err("spaces must not be negative".into());
    }
    let pad = format!("\n{}", " ".repeat(spaces as usize));
    string(str_arg(&args, 1).replace('\n', &pad))
}

fn join(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let sep = str_arg(&args, 0);
    let lists = &args[1..];
    if lists.is_empty() {
        return Err("at least one list is required".into());
    }
    let mut items: Vec<&str> = Vec::new();
    for (li, list) in lists.iter().enumerate() {
        for (ei, v) in list.as_list().unwrap_or_default().iter().enumerate() {
            match v.as_str() {
                Some(s) => items.push(s),
                None if lists.len() > 1 => {
                    return Err(format!(
                        "element {ei} of list {} is null; cannot concatenate null values",
                        li + 1
                    ))
                }
                None => {
                    return Err(format!(
                        "element {ei} is null; cannot concatenate null values"
                    ))
                }
            }
        }
    }
    string(items.join(sep))
}

fn replace(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Packer's `replace` is cty's: a plain substring, never a regular
    // expression (Terraform's `/.../` form is not Packer's; use
    // `regex_replace`).
    let (s, sub, rep) = (str_arg(&args, 0), str_arg(&args, 1), str_arg(&args, 2));
    if sub.is_empty() {
        // Go's strings.Replace with an empty old string inserts the
        // replacement before every character and at the end.
        let mut out = String::with_capacity(s.len() + rep.len());
        out.push_str(rep);
        for c in s.chars() {
            out.push(c);
            out.push_str(rep);
        }
        return string(out);
    }
    string(s.replace(sub, rep))
}

fn split(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (sep, s) = (str_arg(&args, 0), str_arg(&args, 1));
    let parts: Vec<Value> = if sep.is_empty() {
        // Go's strings.Split with an empty separator: one element per
        // character (none for the empty string).
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    Ok(Value::List(parts))
}

fn strrev(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    string(
        graphemes(str_arg(&args, 0))
            .into_iter()
            .rev()
            .collect::<String>(),
    )
}

fn substr(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // cty's SubstrFunc, step by step (grapheme clusters, no range errors).
    let s = str_arg(&args, 0);
    let mut offset = whole(&args[1], "offset")?;
    let length = whole(&args[2], "length")?;
    let g = graphemes(s);
    if offset < 0 {
        offset += g.len() as i64;
    } else if length == 0 {
        return string("");
    }
    // An offset still negative after counting from the end starts at 0;
    // one past the end gives the empty string.
    let start = offset.max(0) as usize;
    if start >= g.len() {
        return string("");
    }
    let rest = &g[start..];
    // Any negative length means "the rest". A zero length with a negative
    // offset is not short-circuited in cty and also takes the rest.
    let take = if length <= 0 {
        rest.len()
    } else {
        (length as usize).min(rest.len())
    };
    string(rest[..take].concat())
}

fn title(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Go's strings.Title: the character after a separator goes to title case.
    let mut prev = ' ';
    let out: String = str_arg(&args, 0)
        .chars()
        .map(|c| {
            let r = if go_is_separator(prev) {
                to_title(c)
            } else {
                c
            };
            prev = c;
            r
        })
        .collect();
    string(out)
}

fn trim(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let cutset = str_arg(&args, 1);
    string(str_arg(&args, 0).trim_matches(|c| cutset.contains(c)))
}

fn trimprefix(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (s, p) = (str_arg(&args, 0), str_arg(&args, 1));
    string(s.strip_prefix(p).unwrap_or(s))
}

fn trimsuffix(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (s, p) = (str_arg(&args, 0), str_arg(&args, 1));
    string(s.strip_suffix(p).unwrap_or(s))
}

fn trimspace(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Rust's White_Space set is Go's unicode.IsSpace set.
    string(str_arg(&args, 0).trim())
}

fn lower(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    string(str_arg(&args, 0).chars().map(to_lower).collect::<String>())
}

fn upper(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    string(str_arg(&args, 0).chars().map(to_upper).collect::<String>())
}

// ---------------------------------------------------------------------------
// Go's one-to-one case mappings (unicode.ToUpper/ToLower/ToTitle): Rust's
// mappings are the full ones ("ß" -> "SS"); where those give several
// characters Go's simple mapping is used instead.

fn greek_iota_upper(c: char) -> Option<char> {
    let u = c as u32;
    let m = match u {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => u + 8,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        _ => return None,
    };
    char::from_u32(m)
}

fn to_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => greek_iota_upper(c).unwrap_or(c),
    }
}

fn to_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn to_title(c: char) -> char {
    match c as u32 {
        0x01C4..=0x01C6 => '\u{01C5}',
        0x01C7..=0x01C9 => '\u{01C8}',
        0x01CA..=0x01CC => '\u{01CB}',
        0x01F1..=0x01F3 => '\u{01F2}',
        _ => to_upper(c),
    }
}

/// Go's strings.Title word separators.
fn go_is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

// ---------------------------------------------------------------------------
// Grapheme clusters (cty counts "characters" this way). No segmentation
// crate is available, so this follows UAX #29's main rules: CR LF, combining
// marks and other extenders, emoji ZWJ sequences and flag pairs.

fn is_extend(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
        | 0x0711 | 0x0730..=0x074A | 0x07A6..=0x07B0 | 0x07EB..=0x07F3
        | 0x0816..=0x082D | 0x0859..=0x085B | 0x08D3..=0x08E1 | 0x08E3..=0x0903
        | 0x093A..=0x093C | 0x093E..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0981..=0x0983 | 0x09BC | 0x09BE..=0x09CD | 0x09D7 | 0x09E2..=0x09E3
        | 0x0A01..=0x0A03 | 0x0A3C..=0x0A51 | 0x0A70..=0x0A71 | 0x0A75
        | 0x0A81..=0x0A83 | 0x0ABC | 0x0ABE..=0x0ACD | 0x0AE2..=0x0AE3
        | 0x0B01..=0x0B03 | 0x0B3C | 0x0B3E..=0x0B57 | 0x0B62..=0x0B63
        | 0x0B82 | 0x0BBE..=0x0BCD | 0x0BD7 | 0x0C00..=0x0C04 | 0x0C3E..=0x0C56
        | 0x0C62..=0x0C63 | 0x0C81..=0x0C83 | 0x0CBC | 0x0CBE..=0x0CD6
        | 0x0CE2..=0x0CE3 | 0x0D00..=0x0D03 | 0x0D3B..=0x0D3C | 0x0D3E..=0x0D4D
        | 0x0D57 | 0x0D62..=0x0D63 | 0x0D81..=0x0D83 | 0x0DCA..=0x0DDF
        | 0x0DF2..=0x0DF3 | 0x0E31 | 0x0E33..=0x0E3A | 0x0E47..=0x0E4E | 0x0EB1
        | 0x0EB3..=0x0EBC | 0x0EC8..=0x0ECD | 0x0F18..=0x0F19 | 0x0F35 | 0x0F37
        | 0x0F39 | 0x0F3E..=0x0F3F | 0x0F71..=0x0F84 | 0x0F86..=0x0F87
        | 0x0F8D..=0x0FBC | 0x102B..=0x103E | 0x1056..=0x1059 | 0x135D..=0x135F
        | 0x1712..=0x1714 | 0x17B4..=0x17D3 | 0x180B..=0x180D | 0x1A55..=0x1A7F
        | 0x1AB0..=0x1AFF | 0x1B00..=0x1B04 | 0x1B34..=0x1B44 | 0x1DC0..=0x1DFF
        | 0x200C..=0x200D | 0x20D0..=0x20FF | 0x2CEF..=0x2CF1 | 0x2DE0..=0x2DFF
        | 0x302A..=0x302F | 0x3099..=0x309A | 0xA66F..=0xA672 | 0xA674..=0xA67D
        | 0xA69E..=0xA69F | 0xA8E0..=0xA8F1 | 0xFB1E | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F | 0xFF9E..=0xFF9F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
        | 0xE0100..=0xE01EF)
}

fn is_pictographic(c: char) -> bool {
    matches!(c as u32, 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139
        | 0x2194..=0x21AA | 0x231A..=0x23FF | 0x24C2 | 0x25AA..=0x27BF
        | 0x2934..=0x2935 | 0x2B05..=0x2B55 | 0x3030 | 0x303D | 0x3297 | 0x3299
        | 0x1F000..=0x1F1E5 | 0x1F200..=0x1FAFF)
}

fn is_regional(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

pub(super) fn graphemes(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut regional_run = 0;
    for (i, c) in s.char_indices() {
        let join = match prev {
            None => false,
            Some('\r') => c == '\n',
            Some(p) if p.is_control() => false,
            Some(p) => {
                !c.is_control()
                    && (is_extend(c)
                        || (p == '\u{200D}' && is_pictographic(c))
                        || (is_regional(p) && is_regional(c) && regional_run % 2 == 1))
            }
        };
        if !join && i > 0 {
            out.push(&s[start..i]);
            start = i;
        }
        regional_run = if is_regional(c) { regional_run + 1 } else { 0 };
        prev = Some(c);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn grapheme_count(s: &str) -> usize {
    graphemes(s).len()
}

// ---------------------------------------------------------------------------
// Go quoting

/// Go's `strconv.Quote` (`%q` of a string in Go's own messages).
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        go_escape_char(c, '"', &mut out);
    }
    out.push('"');
    out
}

/// Go's `%q` of a rune: `'x'`.
fn go_quote_rune(c: char) -> String {
    let mut out = String::from("'");
    go_escape_char(c, '\'', &mut out);
    out.push('\'');
    out
}

fn go_escape_char(c: char, quote: char, out: &mut String) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0C' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0B' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if (c as u32) < 0x20 || c == '\x7F' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{FEFF}' => {
            if (c as u32) < 0x10000 {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push_str(&format!("\\U{:08x}", c as u32));
            }
        }
        c => out.push(c),
    }
}

/// A string as Go's `encoding/json` writes it (cty's JSON): HTML-sensitive
/// characters and the JS line separators escaped as `\u....`.
fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value as cty's JSON marshalling writes it (`%#v`, `%v` of collections).
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null | Value::Unknown(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::String(s) => go_json_string(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                go_json(x, out);
            }
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------------------
// format / formatlist: cty's format language.

#[derive(Default)]
struct Verb<'a> {
    raw: &'a str,
    offset: usize,
    arg: usize,
    mode: char,
    zero: bool,
    sharp: bool,
    plus: bool,
    minus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn format(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    format_string(str_arg(&args, 0), &args[1..]).map(Value::String)
}

fn formatlist(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let spec = str_arg(&args, 0);
    let rest = &args[1..];
    if rest.is_empty() {
        return Ok(Value::List(vec![Value::String(format_string(spec, rest)?)]));
    }
    // Lists (and tuples and sets) are iterated in lockstep; everything else,
    // null lists included, is repeated.
    let mut len: Option<(usize, usize)> = None;
    for (i, a) in rest.iter().enumerate() {
        if let Value::List(items) = a {
            match len {
                None => len = Some((items.len(), i)),
                Some((l, j)) if l != items.len() => {
                    return Err(format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {l}",
                        i + 1,
                        items.len(),
                        j + 1
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let n = len.map_or(1, |(l, _)| l);
    let mut out = Vec::with_capacity(n);
    for it in 0..n {
        let call_args: Vec<Value> = rest
            .iter()
            .map(|a| match a {
                Value::List(items) => items[it].clone(),
                other => other.clone(),
            })
            .collect();
        let s = format_string(spec, &call_args)
            .map_err(|e| format!("error on format iteration {it}: {e}"))?;
        out.push(Value::String(s));
    }
    Ok(Value::List(out))
}

/// cty's formatFSM: `%[flags][width][.precision][[n]]verb`, `%%`.
fn format_string(spec: &str, args: &[Value]) -> Result<String, String> {
    let b = spec.as_bytes();
    let end = b.len();
    let mut out = String::with_capacity(spec.len());
    let mut next_arg = 1;
    let mut highest = 0;
    let mut lit_start = 0;
    let mut p = 0;
    let unexpected = |p: usize| -> String {
        let c = spec[p..].chars().next().unwrap_or('\u{FFFD}');
        format!(
            "unrecognized format character {} at offset {p}",
            go_quote_rune(c)
        )
    };
    let eof = || format!("invalid format string starting at offset {end}");
    while p < end {
        if b[p] != b'%' {
            p += 1;
            continue;
        }
        out.push_str(&spec[lit_start..p]);
        let ts = p;
        p += 1;
        if p == end {
            return Err(eof());
        }
        if b[p] == b'%' {
            out.push('%');
            p += 1;
            lit_start = p;
            continue;
        }
        let mut v = Verb {
            offset: ts,
            arg: next_arg,
            ..Verb::default()
        };
        // flags
        while p < end {
            match b[p] {
                b'0' => v.zero = true,
                b'#' => v.sharp = true,
                b'-' => v.minus = true,
                b'+' => v.plus = true,
                b' ' => v.space = true,
                _ => break,
            }
            p += 1;
        }
        // width: a number without a leading zero
        if p < end && (b'1'..=b'9').contains(&b[p]) {
            let mut w = 0usize;
            while p < end && b[p].is_ascii_digit() {
                w = w.saturating_mul(10).saturating_add((b[p] - b'0') as usize);
                p += 1;
            }
            v.width = Some(w);
        }
        // precision: '.' and any digits
        if p < end && b[p] == b'.' {
            p += 1;
            let mut pr = 0usize;
            while p < end && b[p].is_ascii_digit() {
                pr = pr.saturating_mul(10).saturating_add((b[p] - b'0') as usize);
                p += 1;
            }
            v.prec = Some(pr);
        }
        // explicit argument index
        if p < end && b[p] == b'[' {
            p += 1;
            if p == end {
                return Err(eof());
            }
            if !(b'1'..=b'9').contains(&b[p]) {
                return Err(unexpected(p));
            }
            let mut n = 0usize;
            while p < end && b[p].is_ascii_digit() {
                n = n.saturating_mul(10).saturating_add((b[p] - b'0') as usize);
                p += 1;
            }
            if p == end {
                return Err(eof());
            }
            if b[p] != b']' {
                return Err(unexpected(p));
            }
            p += 1;
            v.arg = n;
        }
        if p == end {
            return Err(eof());
        }
        if !b[p].is_ascii_alphabetic() {
            return Err(unexpected(p));
        }
        v.mode = b[p] as char;
        p += 1;
        v.raw = &spec[ts..p];
        lit_start = p;
        highest = highest.max(v.arg);
        format_append(&v, &mut out, args)?;
        next_arg = v.arg + 1;
    }
    out.push_str(&spec[lit_start..]);
    if highest < args.len() {
        return Err(if highest == 0 {
            "too many arguments; no verbs in format string".to_string()
        } else {
            format!("too many arguments; only {highest} used by format string")
        });
    }
    Ok(out)
}

fn format_append(v: &Verb, out: &mut String, args: &[Value]) -> Result<(), String> {
    let raw = go_quote(v.raw);
    let Some(a) = args.get(v.arg - 1) else {
        return Err(format!(
            "not enough arguments for {raw} at {}: need index {} but have {} total",
            v.offset,
            v.arg,
            args.len()
        ));
    };
    let bad = |why: &str| format!("unsupported value for {raw} at {}: {why}", v.offset);
    if v.mode != 'v' && a.is_null() {
        return Err(bad("null value cannot be formatted"));
    }
    match v.mode {
        'v' => {
            let s = match a {
                Value::String(s) if !v.sharp => s.clone(),
                Value::Number(n) if !v.sharp => go_float(n.abs(), 'g', None, *n < 0.0),
                other => {
                    let mut j = String::new();
                    go_json(other, &mut j);
                    j
                }
            };
            out.push_str(&pad_width(v, s));
        }
        't' => {
            let b = match a {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                Value::String(_) => return Err(bad("a bool is required")),
                _ => return Err(bad("bool required")),
            };
            out.push_str(if b { "true" } else { "false" });
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = match a {
                Value::Number(n) => *n,
                Value::String(s) => parse_number(s).ok_or_else(|| bad("a number is required"))?,
                _ => return Err(bad("number required")),
            };
            if matches!(v.mode, 'b' | 'd' | 'o' | 'x' | 'X') {
                if n.fract() != 0.0 {
                    return Err(bad("an integer is required"));
                }
                out.push_str(&go_int_verb(v, n));
            } else {
                out.push_str(&go_float_verb(v, n));
            }
        }
        's' | 'q' => {
            let mut s = match a {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => a.to_text().unwrap_or_default(),
                _ => return Err(bad("string required")),
            };
            if let Some(pr) = v.prec.filter(|&pr| pr > 0) {
                s = graphemes(&s).into_iter().take(pr).collect();
            }
            if v.mode == 'q' {
                let mut j = String::new();
                go_json_string(&s, &mut j);
                s = j;
            }
            out.push_str(&pad_width(v, s));
        }
        m => {
            return Err(format!(
                "unsupported format verb {} in {raw} at offset {}",
                go_quote_rune(m),
                v.offset
            ))
        }
    }
    Ok(())
}

/// cty's formatPadWidth: width in grapheme clusters, `0` pads with zeros,
/// `-` pads on the right.
fn pad_width(v: &Verb, s: String) -> String {
    let Some(w) = v.width else { return s };
    let n = grapheme_count(&s);
    if n >= w {
        return s;
    }
    let pad = (if v.zero { "0" } else { " " }).repeat(w - n);
    if v.minus {
        s + &pad
    } else {
        pad + &s
    }
}

/// The digits of a whole number in a base (2, 8, 10 or 16), exactly.
fn whole_digits(abs: f64, base: u32) -> String {
    if abs < 3.0e38 {
        let u = abs as u128;
        return match base {
            2 => format!("{u:b}"),
            8 => format!("{u:o}"),
            16 => format!("{u:x}"),
            _ => u.to_string(),
        };
    }
    if base == 10 {
        return format!("{abs:.0}");
    }
    // abs = mantissa * 2^exp exactly; write it in binary, then regroup.
    let bits = abs.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i64 - 1075;
    let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let bin = format!("{mant:b}{}", "0".repeat(exp.max(0) as usize));
    if base == 2 {
        return bin;
    }
    let group = if base == 8 { 3 } else { 4 };
    let lead = (group - bin.len() % group) % group;
    let padded = format!("{}{bin}", "0".repeat(lead));
    let digits: String = padded
        .as_bytes()
        .chunks(group)
        .map(|ch| {
            let d = ch.iter().fold(0u32, |acc, b| acc * 2 + (b - b'0') as u32);
            char::from_digit(d, base).unwrap_or('0')
        })
        .collect();
    digits.trim_start_matches('0').to_string()
}

/// Go's big.Int formatting of `%b %d %o %x %X` with flags, width and
/// precision (minimum digits).
fn go_int_verb(v: &Verb, n: f64) -> String {
    let base = match v.mode {
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    let mut digits = whole_digits(n.abs(), base);
    if v.mode == 'X' {
        digits = digits.to_uppercase();
    }
    let sign = if n < 0.0 {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let prefix = match (v.sharp, v.mode) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let mut zeros = 0;
    if let Some(pr) = v.prec {
        if digits.len() < pr {
            zeros = pr - digits.len();
        } else if digits == "0" && pr == 0 {
            return String::new();
        }
    }
    let (mut left, mut right) = (0, 0);
    let length = sign.len() + prefix.len() + zeros + digits.len();
    if let Some(w) = v.width.filter(|&w| w > length) {
        let d = w - length;
        if v.minus {
            right = d;
        } else if v.zero && v.prec.is_none() {
            zeros = d;
        } else {
            left = d;
        }
    }
    format!(
        "{}{sign}{prefix}{}{digits}{}",
        " ".repeat(left),
        "0".repeat(zeros),
        " ".repeat(right)
    )
}

/// Go's big.Float formatting of `%e %E %f %g %G` with flags and width.
fn go_float_verb(v: &Verb, n: f64) -> String {
    let body = if n.is_infinite() {
        "Inf".to_string()
    } else {
        let prec = match v.mode {
            'g' | 'G' => v.prec,
            _ => Some(v.prec.unwrap_or(6)),
        };
        go_float(n.abs(), v.mode, prec, false)
    };
    let sign = if n.is_sign_negative() && n != 0.0 {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let len = sign.len() + body.len();
    let pad = v.width.map_or(0, |w| w.saturating_sub(len));
    // Go's fmt drops the `0` flag when `-` is given.
    if v.zero && !v.minus && !n.is_infinite() {
        format!("{sign}{}{body}", "0".repeat(pad))
    } else if v.minus {
        format!("{sign}{body}{}", " ".repeat(pad))
    } else {
        format!("{}{sign}{body}", " ".repeat(pad))
    }
}

/// A number's decimal digits (no trailing zeros) and exponent such that the
/// value is 0.DIGITS * 10^exp; rounded to `sig` significant digits, or the
/// shortest that round-trips.
fn decimal(abs: f64, sig: Option<usize>) -> (String, i32) {
    let s = match sig {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), abs),
        None => format!("{abs:e}"),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0').to_string();
    let exp: i32 = exp.parse().unwrap_or(0);
    if digits.is_empty() {
        return (String::new(), 0);
    }
    (digits, exp + 1)
}

fn fmt_e(digits: &str, dexp: i32, frac: usize, upper: bool) -> String {
    let d = digits.as_bytes();
    let mut out = String::new();
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if frac > 0 {
        out.push('.');
        for i in 1..=frac {
            out.push(d.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let exp = if d.is_empty() { 0 } else { dexp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
    out
}

fn fmt_f(digits: &str, dexp: i32, frac: usize) -> String {
    let d = digits.as_bytes();
    let digit = |i: i32| -> char {
        if i >= 0 && (i as usize) < d.len() {
            d[i as usize] as char
        } else {
            '0'
        }
    };
    let mut out = String::new();
    if dexp > 0 {
        for i in 0..dexp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if frac > 0 {
        out.push('.');
        for i in 0..frac as i32 {
            out.push(digit(dexp + i));
        }
    }
    out
}

/// Go's `(*big.Float).Text(mode, prec)` for a non-negative finite number
/// (`prec` None = shortest), with a leading `-` when `neg`.
fn go_float(abs: f64, mode: char, prec: Option<usize>, neg: bool) -> String {
    if abs.is_infinite() {
        return (if neg { "-Inf" } else { "+Inf" }).to_string();
    }
    let upper = mode.is_ascii_uppercase();
    let body = match mode.to_ascii_lowercase() {
        'f' => format!("{:.*}", prec.unwrap_or(6), abs),
        'e' => {
            let frac = prec.unwrap_or(6);
            let (digits, dexp) = decimal(abs, Some(frac + 1));
            fmt_e(&digits, dexp, frac, upper)
        }
        _ => {
            let shortest = prec.is_none();
            let p = prec.map(|p| p.max(1));
            let (digits, dexp) = decimal(abs, p);
            if digits.is_empty() {
                "0".to_string()
            } else {
                let mut p = p.unwrap_or(digits.len());
                let mut eprec = p;
                if eprec > digits.len() && digits.len() as i32 >= dexp {
                    eprec = digits.len();
                }
                if shortest {
                    eprec = 6;
                }
                let exp = dexp - 1;
                if exp < -4 || exp >= eprec as i32 {
                    if p > digits.len() {
                        p = digits.len();
                    }
                    fmt_e(&digits, dexp, p - 1, upper)
                } else {
                    if p as i32 > dexp {
                        p = digits.len();
                    }
                    fmt_f(&digits, dexp, (p as i32 - dexp).max(0) as usize)
                }
            }
        }
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

// ---------------------------------------------------------------------------
// Regular expressions: RE2 syntax as Go's regexp reads it.

/// Translate a Go (RE2) pattern into the regex crate's dialect: Perl classes
/// and word boundaries are ASCII-only in Go, `[` inside a class and `&&`,
/// `--`, `~~` are literal in Go, and `\Q...\E` quotes.
fn translate_pattern(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            if e == 'Q' && !in_class {
                let mut lit = String::new();
                while i < chars.len() && !(chars[i] == '\\' && chars.get(i + 1) == Some(&'E')) {
                    lit.push(chars[i]);
                    i += 1;
                }
                i = (i + 2).min(chars.len());
                out.push_str(&regex::escape(&lit));
                class_start = false;
                continue;
            }
            let rep = match (e, in_class) {
                ('d', false) => "[0-9]",
                ('D', _) => "[^0-9]",
                ('w', false) => "[0-9A-Za-z_]",
                ('W', _) => "[^0-9A-Za-z_]",
                ('s', false) => "[\\t\\n\\x0C\\r ]",
                ('S', _) => "[^\\t\\n\\x0C\\r ]",
                ('d', true) => "0-9",
                ('w', true) => "0-9A-Za-z_",
                ('s', true) => "\\t\\n\\x0C\\r ",
                ('b', false) => "(?-u:\\b)",
                ('B', false) => "(?-u:\\B)",
                _ => "",
            };
            if rep.is_empty() {
                out.push('\\');
                out.push(e);
            } else {
                out.push_str(rep);
            }
            class_start = false;
            continue;
        }
        if in_class {
            match c {
                ']' if !class_start => in_class = false,
                '[' if chars.get(i + 1) == Some(&':') => {
                    // POSIX class [:name:] is the same in both dialects.
                    if let Some(end) = (i + 2..chars.len().saturating_sub(1))
                        .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
                    {
                        out.extend(&chars[i..=end + 1]);
                        i = end + 2;
                        class_start = false;
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    class_start = false;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    class_start = false;
                    continue;
                }
                '-' if chars.get(i + 1) == Some(&'-') => {
                    out.push_str("\\-");
                    i += 1;
                    class_start = false;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            class_start = false;
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            class_start = true;
            out.push(c);
            i += 1;
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn compile(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&translate_pattern(pattern))
        .octal(true)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let last = msg
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&msg)
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            format!("invalid regexp pattern: {last} in {pattern}")
        })
}

/// Go's all-matches iteration: an empty match right after the previous
/// match is skipped.
fn go_captures<'h>(re: &Regex, s: &'h str) -> Vec<Captures<'h>> {
    let mut out = Vec::new();
    let mut prev_end: Option<usize> = None;
    for c in re.captures_iter(s) {
        let m = c.get(0).expect("group 0");
        let skip = m.start() == m.end() && prev_end == Some(m.start());
        prev_end = Some(m.end());
        if !skip {
            out.push(c);
        }
    }
    out
}

enum Shape {
    Whole,
    List,
    Map,
}

fn result_shape(re: &Regex) -> Result<Shape, String> {
    let (mut named, mut unnamed) = (0, 0);
    for n in re.capture_names().skip(1) {
        if n.is_some() {
            named += 1;
        } else {
            unnamed += 1;
        }
    }
    match (named, unnamed) {
        (0, 0) => Ok(Shape::Whole),
        (0, _) => Ok(Shape::List),
        (_, 0) => Ok(Shape::Map),
        _ => Err("invalid regexp pattern: cannot mix both named and unnamed capture groups".into()),
    }
}

fn capture_value(re: &Regex, c: &Captures, shape: &Shape) -> Value {
    let get = |i: usize| c.get(i).map_or(Value::Null, |m| Value::str(m.as_str()));
    match shape {
        Shape::Whole => get(0),
        Shape::List => Value::List((1..c.len()).map(get).collect()),
        Shape::Map => Value::Map(
            re.capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), get(i))))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn regex_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let re = compile(str_arg(&args, 0))?;
    let shape = result_shape(&re)?;
    let c = re
        .captures(str_arg(&args, 1))
        .ok_or("pattern did not match any part of the given string")?;
    Ok(capture_value(&re, &c, &shape))
}

fn regexall(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let re = compile(str_arg(&args, 0))?;
    let shape = result_shape(&re)?;
    Ok(Value::List(
        go_captures(&re, str_arg(&args, 1))
            .iter()
            .map(|c| capture_value(&re, c, &shape))
            .collect(),
    ))
}

fn regex_replace(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (s, pat, rep) = (str_arg(&args, 0), str_arg(&args, 1), str_arg(&args, 2));
    let re = compile(pat)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for c in go_captures(&re, s) {
        let m = c.get(0).expect("group 0");
        out.push_str(&s[last..m.start()]);
        go_expand(&re, &c, rep, &mut out);
        last = m.end();
    }
    out.push_str(&s[last..]);
    string(out)
}

/// Go's `Regexp.Expand`: `$name` / `${name}` (a name is the longest run of
/// letters, digits and `_`; all digits without a leading zero is a group
/// number), `$$` is `$`, anything else after `$` leaves the `$` as is.
fn go_expand(re: &Regex, c: &Captures, template: &str, out: &mut String) {
    let is_name = |ch: char| ch == '_' || ch.is_alphanumeric();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let (name, after) = if let Some(r) = rest.strip_prefix('{') {
            match r.find('}') {
                Some(j) if j > 0 && r[..j].chars().all(is_name) => (&r[..j], &r[j + 1..]),
                _ => ("", rest),
            }
        } else {
            let j = rest.find(|ch: char| !is_name(ch)).unwrap_or(rest.len());
            (&rest[..j], &rest[j..])
        };
        if name.is_empty() {
            out.push('$');
            continue;
        }
        rest = after;
        let numeric =
            name.bytes().all(|b| b.is_ascii_digit()) && !(name.len() > 1 && name.starts_with('0'));
        let m = if numeric {
            name.parse::<usize>().ok().and_then(|n| c.get(n))
        } else {
            re.capture_names()
                .position(|n| n == Some(name))
                .and_then(|i| c.get(i))
        };
        if let Some(m) = m {
            out.push_str(m.as_str());
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, err, list, map, n, ok, s};
    use super::*;

    fn fmt(spec: &str, args: &[Value]) -> Result<String, String> {
        let mut a = vec![s(spec)];
        a.extend_from_slice(args);
        call_fn("format", a).map(|v| v.as_str().unwrap().to_string())
    }

    fn f(spec: &str, args: &[Value]) -> String {
        fmt(spec, args).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    fn fe(spec: &str, args: &[Value]) -> String {
        match fmt(spec, args) {
            Ok(v) => panic!("{spec}: expected an error, got {v}"),
            Err(e) => e,
        }
    }

    #[test]
    fn chomp_removes_every_trailing_newline() {
        assert_eq!(ok("chomp", vec![s("hello\n")]), s("hello"));
        assert_eq!(ok("chomp", vec![s("hello\r\n")]), s("hello"));
        assert_eq!(ok("chomp", vec![s("hello\n\n\r\n\r")]), s("hello"));
        assert_eq!(ok("chomp", vec![s("a\nb")]), s("a\nb"));
        assert_eq!(ok("chomp", vec![s("")]), s(""));
    }

    #[test]
    fn clean_resource_name_keeps_ami_name_characters() {
        assert_eq!(
            ok(
                "clean_resource_name",
                vec![s("my image: v1.2 (arm64) [x]/@'_-")]
            ),
            s("my image- v1.2 (arm64) [x]/@'_-")
        );
        assert_eq!(ok("clean_resource_name", vec![s("a*b{c}é")]), s("a-b-c--"));
    }

    #[test]
    fn prefix_suffix_and_contains() {
        assert_eq!(
            ok("startswith", vec![s("hello world"), s("hello")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("startswith", vec![s("hello world"), s("world")]),
            Value::Bool(false)
        );
        assert_eq!(ok("startswith", vec![s("abc"), s("")]), Value::Bool(true));
        assert_eq!(
            ok("endswith", vec![s("hello world"), s("world")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("endswith", vec![s("hello world"), s("hello")]),
            Value::Bool(false)
        );
        assert_eq!(
            ok("strcontains", vec![s("hello world"), s("wor")]),
            Value::Bool(true)
        );
        assert_eq!(
            ok("strcontains", vec![s("hello world"), s("wod")]),
            Value::Bool(false)
        );
        // Arguments convert to strings as in cty.
        assert_eq!(ok("startswith", vec![n(123.0), s("12")]), Value::Bool(true));
    }

    #[test]
    fn indent_pads_all_but_the_first_line() {
        assert_eq!(
            ok("indent", vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")]),
            s("[\n    foo,\n    bar,\n  ]\n  ")
        );
        assert_eq!(ok("indent", vec![n(0.0), s("a\nb")]), s("a\nb"));
        assert!(err("indent", vec![n(1.5), s("a")]).contains("whole number"));
        assert!(err("indent", vec![n(-1.0), s("a")]).contains("negative"));
    }

    #[test]
    fn join_takes_one_or_more_lists() {
        let l = list(&[s("foo"), s("bar"), s("baz")]);
        assert_eq!(ok("join", vec![s(", "), l.clone()]), s("foo, bar, baz"));
        assert_eq!(ok("join", vec![s(", "), list(&[s("foo")])]), s("foo"));
        assert_eq!(
            ok("join", vec![s("-"), l, list(&[s("x")])]),
            s("foo-bar-baz-x")
        );
        assert_eq!(ok("join", vec![s(","), list(&[])]), s(""));
        assert_eq!(
            ok("join", vec![s(","), list(&[n(1.0), Value::Bool(true)])]),
            s("1,true")
        );
        let e = err("join", vec![s(",")]);
        assert!(e.contains("at least one list is required"), "{e}");
        let e = err("join", vec![s(","), list(&[s("a"), Value::Null])]);
        assert!(e.contains("element 1 is null"), "{e}");
        let e = err("join", vec![s(","), list(&[s("a")]), list(&[Value::Null])]);
        assert!(e.contains("element 0 of list 2 is null"), "{e}");
        let e = err("join", vec![s(","), s("abc")]);
        assert!(e.contains("required"), "{e}");
        let e = err("join", vec![s(","), list(&[list(&[])])]);
        assert!(e.contains("string required"), "{e}");
    }

    #[test]
    fn lower_upper_map_character_by_character() {
        assert_eq!(ok("lower", vec![s("HELLO")]), s("hello"));
        assert_eq!(ok("lower", vec![s("АЛЛО!")]), s("алло!"));
        assert_eq!(ok("upper", vec![s("hello")]), s("HELLO"));
        assert_eq!(ok("upper", vec![s("алло!")]), s("АЛЛО!"));
        // Go's simple mappings: one character stays one character.
        assert_eq!(ok("upper", vec![s("straße")]), s("STRAßE"));
        assert_eq!(ok("lower", vec![s("İ")]), s("i"));
        assert_eq!(ok("lower", vec![s("ΣΑΣ")]), s("σασ"));
        assert_eq!(ok("upper", vec![n(1.5)]), s("1.5"));
    }

    #[test]
    fn replace_is_a_plain_substring_replacement() {
        assert_eq!(
            ok("replace", vec![s("1 + 2 + 3"), s("+"), s("-")]),
            s("1 - 2 - 3")
        );
        assert_eq!(
            ok(
                "replace",
                vec![s("hello world"), s("world"), s("everybody")]
            ),
            s("hello everybody")
        );
        // No regex form in Packer's replace: slashes are literal.
        assert_eq!(
            ok(
                "replace",
                vec![s("hello world"), s("/w.*d/"), s("everybody")]
            ),
            s("hello world")
        );
        assert_eq!(ok("replace", vec![s("a/b/"), s("/b/"), s("-")]), s("a-"));
        assert_eq!(
            ok("replace", vec![s("😸😸😸😾😾😾"), s("😾"), s("😸")]),
            s("😸😸😸😸😸😸")
        );
        assert_eq!(ok("replace", vec![s("hello"), s("l"), s("")]), s("heo"));
        assert_eq!(ok("replace", vec![s("ab"), s(""), s("-")]), s("-a-b-"));
    }

    #[test]
    fn split_follows_go() {
        assert_eq!(
            ok("split", vec![s(","), s("foo,bar,baz")]),
            list(&[s("foo"), s("bar"), s("baz")])
        );
        assert_eq!(ok("split", vec![s(","), s("foo")]), list(&[s("foo")]));
        assert_eq!(ok("split", vec![s(","), s("")]), list(&[s("")]));
        assert_eq!(ok("split", vec![s(","), s("a,")]), list(&[s("a"), s("")]));
        assert_eq!(
            ok("split", vec![s(""), s("abc")]),
            list(&[s("a"), s("b"), s("c")])
        );
        assert_eq!(ok("split", vec![s(""), s("")]), list(&[]));
    }

    #[test]
    fn strrev_reverses_characters() {
        assert_eq!(ok("strrev", vec![s("hello")]), s("olleh"));
        assert_eq!(ok("strrev", vec![s("a ☃")]), s("☃ a"));
        assert_eq!(ok("strrev", vec![s("")]), s(""));
        // Combining marks stay with their letter, emoji sequences together.
        assert_eq!(ok("strrev", vec![s("noe\u{308}l")]), s("le\u{308}on"));
        assert_eq!(ok("strrev", vec![s("a💃🏿b")]), s("b💃🏿a"));
        assert_eq!(ok("strrev", vec![s("🇬🇧🇫🇷")]), s("🇫🇷🇬🇧"));
    }

    #[test]
    fn substr_counts_characters() {
        let sub = |st: &str, o: f64, l: f64| ok("substr", vec![s(st), n(o), n(l)]);
        assert_eq!(sub("hello world", 1.0, 4.0), s("ello"));
        assert_eq!(sub("hello", 0.0, 2.0), s("he"));
        assert_eq!(sub("hello", 1.0, -1.0), s("ello"));
        assert_eq!(sub("hello", 1.0, -10.0), s("ello"));
        assert_eq!(sub("hello", 1.0, 10.0), s("ello"));
        assert_eq!(sub("hello", -3.0, -1.0), s("llo"));
        assert_eq!(sub("hello", -3.0, 2.0), s("ll"));
        assert_eq!(sub("hello", 10.0, 10.0), s(""));
        assert_eq!(sub("hello", 5.0, 1.0), s(""));
        assert_eq!(sub("hello", 2.0, 0.0), s(""));
        // cty's quirks: a negative offset past the start begins at 0, and a
        // zero length after a negative offset takes the rest.
        assert_eq!(sub("hello", -10.0, 2.0), s("he"));
        assert_eq!(sub("hello", -3.0, 0.0), s("llo"));
        assert_eq!(sub("noël", 0.0, 3.0), s("noë"));
        assert_eq!(sub("noël", 3.0, -1.0), s("l"));
        assert_eq!(sub("noël", -2.0, -1.0), s("ël"));
        let accented = "wé\u{301}\u{301}é\u{301}\u{301}é\u{301}\u{301}!";
        assert_eq!(sub(accented, 2.0, 2.0), s("é\u{301}\u{301}é\u{301}\u{301}"));
        assert_eq!(sub(accented, 3.0, 2.0), s("é\u{301}\u{301}!"));
        assert_eq!(sub(accented, -2.0, -1.0), s("é\u{301}\u{301}!"));
        assert_eq!(sub("😸😾", 1.0, 1.0), s("😾"));
        assert_eq!(sub("", 0.0, 1.0), s(""));
        let e = err("substr", vec![s("abc"), n(0.5), n(1.0)]);
        assert!(e.contains("offset must be a whole number"), "{e}");
        let e = err("substr", vec![s("abc"), n(0.0), s("x")]);
        assert!(e.contains("\"length\""), "{e}");
    }

    #[test]
    fn title_capitalizes_each_word() {
        assert_eq!(ok("title", vec![s("hello world")]), s("Hello World"));
        assert_eq!(
            ok("title", vec![s("hello-world foo_bar x.y")]),
            s("Hello-World Foo_bar X.Y")
        );
        assert_eq!(ok("title", vec![s("ALREADY up")]), s("ALREADY Up"));
        assert_eq!(ok("title", vec![s("élan vital")]), s("Élan Vital"));
        assert_eq!(ok("title", vec![s("ǆemal")]), s("ǅemal"));
        assert_eq!(ok("title", vec![s("")]), s(""));
    }

    #[test]
    fn trim_family() {
        assert_eq!(ok("trim", vec![s("?!hello?!"), s("!?")]), s("hello"));
        assert_eq!(ok("trim", vec![s("foobar"), s("far")]), s("oob"));
        assert_eq!(
            ok("trim", vec![s("   hello! world.!  "), s("! ")]),
            s("hello! world.")
        );
        assert_eq!(ok("trim", vec![s("abc"), s("")]), s("abc"));
        assert_eq!(
            ok("trimprefix", vec![s("helloworld"), s("hello")]),
            s("world")
        );
        assert_eq!(
            ok("trimprefix", vec![s("helloworld"), s("cat")]),
            s("helloworld")
        );
        assert_eq!(
            ok("trimprefix", vec![s("hellohello"), s("hello")]),
            s("hello")
        );
        assert_eq!(
            ok("trimsuffix", vec![s("helloworld"), s("world")]),
            s("hello")
        );
        assert_eq!(
            ok("trimsuffix", vec![s("helloworld"), s("cat")]),
            s("helloworld")
        );
        assert_eq!(ok("trimspace", vec![s("  hello\n\t")]), s("hello"));
        assert_eq!(ok("trimspace", vec![s("\u{a0}\u{3000}x\u{2029}")]), s("x"));
        assert_eq!(ok("trimspace", vec![s("a b")]), s("a b"));
    }

    #[test]
    fn regex_shapes_its_result_by_the_captures() {
        assert_eq!(
            ok(
                "regex",
                vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")]
            ),
            s("aaabbbccc")
        );
        assert_eq!(
            ok(
                "regex",
                vec![s("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), s("2019-02-01")]
            ),
            list(&[s("2019"), s("02"), s("01")])
        );
        assert_eq!(
            ok(
                "regex",
                vec![
                    s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                    s("https://terraform.io/docs/")
                ]
            ),
            map(&[("authority", s("terraform.io")), ("scheme", s("https"))])
        );
        // A group that did not take part is null.
        assert_eq!(
            ok("regex", vec![s("(a)|(b)"), s("b")]),
            list(&[Value::Null, s("b")])
        );
        let e = err("regex", vec![s("[a-z]+"), s("12345")]);
        assert!(
            e.contains("pattern did not match any part of the given string"),
            "{e}"
        );
        let e = err("regex", vec![s("(?P<x>a)(b)"), s("ab")]);
        assert!(
            e.contains("cannot mix both named and unnamed capture groups"),
            "{e}"
        );
        let e = err("regex", vec![s("(a"), s("a")]);
        assert!(e.starts_with("regex(): invalid regexp pattern"), "{e}");
    }

    #[test]
    fn regex_classes_are_ascii_as_in_go() {
        assert_eq!(
            ok("regexall", vec![s("\\d+"), s("12٣4")]),
            list(&[s("12"), s("4")])
        );
        assert_eq!(
            ok("regexall", vec![s("\\w+"), s("héllo")]),
            list(&[s("h"), s("llo")])
        );
        assert_eq!(
            ok("regexall", vec![s("[\\d.]+"), s("v1.2x")]),
            list(&[s("1.2")])
        );
        assert_eq!(ok("regex", vec![s("\\bfoo\\b"), s("a foo b")]), s("foo"));
        assert_eq!(ok("regex", vec![s("[[]+"), s("a[[b")]), s("[["));
        assert_eq!(ok("regex", vec![s("[a&&b]+"), s("x&&a")]), s("&&a"));
        assert_eq!(ok("regex", vec![s("\\Qa.b\\E"), s("axb a.b")]), s("a.b"));
        assert_eq!(ok("regex", vec![s("[[:digit:]]+"), s("ab12")]), s("12"));
        assert_eq!(ok("regex", vec![s("[^]a]+"), s("]]xyz")]), s("xyz"));
    }

    #[test]
    fn regexall_lists_every_match() {
        assert_eq!(
            ok("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]),
            list(&[s("abcd"), s("efgh")])
        );
        assert_eq!(ok("regexall", vec![s("[a-z]+"), s("123")]), list(&[]));
        assert_eq!(
            ok("regexall", vec![s("(\\w)=(\\d)"), s("a=1 b=2")]),
            list(&[list(&[s("a"), s("1")]), list(&[s("b"), s("2")])])
        );
        assert_eq!(
            ok("regexall", vec![s("(?P<k>\\w)=(?P<v>\\d)"), s("a=1")]),
            list(&[map(&[("k", s("a")), ("v", s("1"))])])
        );
        // Go skips an empty match right after a match.
        assert_eq!(
            ok("regexall", vec![s("a*"), s("baaab")]),
            list(&[s(""), s("aaa"), s("")])
        );
    }

    #[test]
    fn regex_replace_expands_like_go() {
        let rr = |a: &str, b: &str, c: &str| ok("regex_replace", vec![s(a), s(b), s(c)]);
        assert_eq!(
            rr("hello world", "world", "everybody"),
            s("hello everybody")
        );
        assert_eq!(rr("hello world", "w.*d", "everybody"), s("hello everybody"));
        assert_eq!(rr("-ab-axxb-", "a(x*)b", "T"), s("-T-T-"));
        assert_eq!(rr("-ab-axxb-", "a(x*)b", "${1}W"), s("-W-xxW-"));
        // `$1W` names the group "1W", which does not exist.
        assert_eq!(rr("-ab-axxb-", "a(x*)b", "$1W"), s("---"));
        assert_eq!(rr("-ab-axxb-", "a(x*)b", "$1"), s("--xx-"));
        assert_eq!(rr("a=1", "(?P<k>\\w)=(?P<v>\\d)", "$v=${k}"), s("1=a"));
        assert_eq!(rr("ab", "(a)", "$$1"), s("$1b"));
        assert_eq!(rr("ab", "(a)", "$01"), s("b"));
        assert_eq!(rr("ab", "(a)", "x$"), s("x$b"));
        assert_eq!(rr("ab", "(a)", "${}"), s("${}b"));
        assert_eq!(rr("baaab", "a*", "-"), s("-b-b-"));
        let e = err("regex_replace", vec![s("a"), s("("), s("")]);
        assert!(e.contains("invalid regexp pattern"), "{e}");
    }

    #[test]
    fn format_strings() {
        assert_eq!(f("Hello, %s!", &[s("Ander")]), "Hello, Ander!");
        assert_eq!(f("There are %d lights", &[n(4.0)]), "There are 4 lights");
        assert_eq!(f("", &[]), "");
        assert_eq!(f("100%% successful", &[]), "100% successful");
        assert_eq!(f("%%%v", &[Value::Bool(false)]), "%false");
        assert_eq!(
            f("Hello, %[2]s!", &[s("Stephen"), s("Ermintrude")]),
            "Hello, Ermintrude!"
        );
        assert_eq!(f("%[2]s %s", &[s("a"), s("b"), s("c")]), "b c");
        assert_eq!(f("%q", &[s("Hello\nWorld")]), "\"Hello\\nWorld\"");
        assert_eq!(f("%q", &[s("<a&b>")]), "\"\\u003ca\\u0026b\\u003e\"");
        assert_eq!(f("%s", &[Value::Bool(false)]), "false");
        assert_eq!(f("%q", &[Value::Bool(false)]), "\"false\"");
        assert_eq!(f("%s", &[n(1.5)]), "1.5");
        assert_eq!(f("%10s|", &[s("hello")]), "     hello|");
        assert_eq!(f("%-10s|", &[s("hello")]), "hello     |");
        assert_eq!(f("%4s", &[s("💃🏿")]), "   💃🏿");
        assert_eq!(f("%6q", &[s("💃🏿")]), "   \"💃🏿\"");
        assert_eq!(f("%.2s", &[s("hello")]), "he");
        assert_eq!(f("%.2q", &[s("hello")]), "\"he\"");
        assert_eq!(f("%.5s", &[s("日本語日本語")]), "日本語日本");
        assert_eq!(f("%.10s", &[s("hello")]), "hello");
        assert_eq!(f("%.0s", &[s("hello")]), "hello");
        assert_eq!(f("%4.2s", &[s("hello")]), "  he");
        assert_eq!(f("%-4.2s|", &[s("hello")]), "he  |");
        assert_eq!(f("%05s", &[s("ab")]), "000ab");
    }

    #[test]
    fn format_default_and_json_forms() {
        assert_eq!(f("string %v", &[s("hello")]), "string hello");
        assert_eq!(f("string %#v", &[s("hello")]), "string \"hello\"");
        assert_eq!(f("number %v", &[n(2.0)]), "number 2");
        assert_eq!(f("number %#v", &[n(2.0)]), "number 2");
        assert_eq!(f("%v", &[n(1.5)]), "1.5");
        assert_eq!(f("%v", &[n(1e6)]), "1e+06");
        assert_eq!(f("%v", &[n(123456.0)]), "123456");
        assert_eq!(f("bool %v", &[Value::Bool(true)]), "bool true");
        assert_eq!(f("object %v", &[map(&[])]), "object {}");
        assert_eq!(f("tuple %v", &[list(&[])]), "tuple []");
        assert_eq!(
            f(
                "%v",
                &[map(&[("b", list(&[n(1.0), s("x<")])), ("a", Value::Null)])]
            ),
            "{\"a\":null,\"b\":[1,\"x\\u003c\"]}"
        );
        assert_eq!(f("%v", &[Value::Null]), "null");
        assert_eq!(f("%5v|", &[n(42.0)]), "   42|");
    }

    #[test]
    fn format_numbers() {
        assert_eq!(f("%d green bottles", &[n(10.0)]), "10 green bottles");
        assert_eq!(f("%[2]d things", &[n(1.0), n(10.0)]), "10 things");
        assert_eq!(f("%+d", &[n(10.0)]), "+10");
        assert_eq!(f("% d", &[n(10.0)]), " 10");
        assert_eq!(f("%5d|", &[n(10.0)]), "   10|");
        assert_eq!(f("%-5d|", &[n(10.0)]), "10   |");
        assert_eq!(f("%05d", &[n(-42.0)]), "-0042");
        assert_eq!(f("%.4d", &[n(7.0)]), "0007");
        assert_eq!(f("%d", &[s("12")]), "12");
        assert_eq!(f("%d", &[n(1e20)]), "100000000000000000000");
        assert_eq!(f("%b", &[n(5.0)]), "101");
        assert_eq!(f("%o", &[n(9.0)]), "11");
        assert_eq!(f("%#o", &[n(9.0)]), "011");
        assert_eq!(f("%x", &[n(254.0)]), "fe");
        assert_eq!(f("%X", &[n(254.0)]), "FE");
        assert_eq!(f("%#x", &[n(-254.0)]), "-0xfe");
        assert_eq!(
            f("%x", &[n(2f64.powi(130))]),
            format!("4{}", "0".repeat(32))
        );
        assert_eq!(f("%f things", &[n(10.0)]), "10.000000 things");
        assert_eq!(f("%+f", &[n(10.0)]), "+10.000000");
        assert_eq!(f("% f", &[n(-10.0)]), "-10.000000");
        assert_eq!(f("%.1f", &[s("1.06")]), "1.1");
        assert_eq!(f("%.2f", &[n(1.23456)]), "1.23");
        assert_eq!(f("%8.2f|", &[n(1.23456)]), "    1.23|");
        assert_eq!(f("%-8.2f|", &[n(1.23456)]), "1.23    |");
        assert_eq!(f("%08.2f", &[n(-1.23456)]), "-0001.23");
        assert_eq!(f("%e", &[n(1000.0)]), "1.000000e+03");
        assert_eq!(f("%E", &[n(1000.0)]), "1.000000E+03");
        assert_eq!(f("%.2e", &[n(0.000123)]), "1.23e-04");
        assert_eq!(f("%g", &[n(1000.0)]), "1000");
        assert_eq!(f("%G", &[n(1000.0)]), "1000");
        assert_eq!(f("%g", &[s("0.00000000000000000000001")]), "1e-23");
        assert_eq!(f("%G", &[s("0.00000000000000000000001")]), "1E-23");
        assert_eq!(f("%g", &[n(0.0001)]), "0.0001");
        assert_eq!(f("%g", &[n(0.00001)]), "1e-05");
        assert_eq!(f("%g", &[n(100000.0)]), "100000");
        assert_eq!(f("%g", &[n(1234567.0)]), "1.234567e+06");
        assert_eq!(f("%.3g", &[n(1.23456)]), "1.23");
        assert_eq!(f("%.3g", &[n(1234.5)]), "1.23e+03");
        assert_eq!(f("%.10g", &[n(0.5)]), "0.5");
        assert_eq!(f("%g", &[n(0.0)]), "0");
        assert_eq!(f("%t", &[Value::Bool(true)]), "true");
        assert_eq!(
            f(
                "This statement is %[2]t",
                &[Value::Bool(true), Value::Bool(false)]
            ),
            "This statement is false"
        );
        assert_eq!(f("%t", &[s("false")]), "false");
    }

    #[test]
    fn format_errors() {
        let e = fe("%s is not in the args list", &[]);
        assert!(
            e.ends_with("not enough arguments for \"%s\" at 0: need index 1 but have 0 total"),
            "{e}"
        );
        let e = fe("%[3]s", &[Value::Bool(true), Value::Bool(true)]);
        assert!(
            e.ends_with("not enough arguments for \"%[3]s\" at 0: need index 3 but have 2 total"),
            "{e}"
        );
        let e = fe("%[0]s", &[Value::Bool(true)]);
        assert!(
            e.ends_with("unrecognized format character '0' at offset 2"),
            "{e}"
        );
        let e = fe("%v %v %v", &[Value::Bool(true), Value::Bool(true)]);
        assert!(
            e.ends_with("not enough arguments for \"%v\" at 6: need index 3 but have 2 total"),
            "{e}"
        );
        let e = fe("%z is not a valid sequence", &[n(10.0)]);
        assert!(
            e.ends_with("unsupported format verb 'z' in \"%z\" at offset 0"),
            "{e}"
        );
        let e = fe("%012z", &[n(10.0)]);
        assert!(
            e.ends_with("unsupported format verb 'z' in \"%012z\" at offset 0"),
            "{e}"
        );
        let e = fe("%☠ x", &[n(10.0)]);
        assert!(
            e.ends_with("unrecognized format character '☠' at offset 1"),
            "{e}"
        );
        let e = fe("abc%", &[]);
        assert!(
            e.ends_with("invalid format string starting at offset 4"),
            "{e}"
        );
        let e = fe("%5", &[n(1.0)]);
        assert!(
            e.ends_with("invalid format string starting at offset 2"),
            "{e}"
        );
        let e = fe("no format verbs at all", &[n(10.0)]);
        assert!(
            e.ends_with("too many arguments; no verbs in format string"),
            "{e}"
        );
        let e = fe("only one verb %d", &[n(10.0), n(11.0)]);
        assert!(
            e.ends_with("too many arguments; only 1 used by format string"),
            "{e}"
        );
        let e = fe("%d", &[Value::Bool(true)]);
        assert!(
            e.ends_with("unsupported value for \"%d\" at 0: number required"),
            "{e}"
        );
        let e = fe("%d", &[n(1.5)]);
        assert!(
            e.ends_with("unsupported value for \"%d\" at 0: an integer is required"),
            "{e}"
        );
        let e = fe("%s", &[Value::Null]);
        assert!(
            e.ends_with("unsupported value for \"%s\" at 0: null value cannot be formatted"),
            "{e}"
        );
        let e = fe("%s", &[map(&[])]);
        assert!(e.ends_with("string required"), "{e}");
        let e = fe("%t", &[n(1.0)]);
        assert!(e.ends_with("bool required"), "{e}");
        let e = err("format", vec![Value::Null]);
        assert!(e.contains("must not be null"), "{e}");
    }

    #[test]
    fn formatlist_iterates_lists_in_lockstep() {
        let fl = |args: Vec<Value>| ok("formatlist", args);
        assert_eq!(
            fl(vec![
                s("Hello, %s!"),
                list(&[s("Valentina"), s("Ander"), s("Olivia"), s("Sam")])
            ]),
            list(&[
                s("Hello, Valentina!"),
                s("Hello, Ander!"),
                s("Hello, Olivia!"),
                s("Hello, Sam!")
            ])
        );
        assert_eq!(
            fl(vec![
                s("%s, %s!"),
                s("Salutations"),
                list(&[s("Valentina"), s("Ander")])
            ]),
            list(&[s("Salutations, Valentina!"), s("Salutations, Ander!")])
        );
        assert_eq!(
            fl(vec![
                s("%s %s"),
                list(&[s("hello"), s("goodbye")]),
                list(&[s("world"), s("universe")])
            ]),
            list(&[s("hello world"), s("goodbye universe")])
        );
        assert_eq!(fl(vec![s("hello")]), list(&[s("hello")]));
        assert_eq!(fl(vec![s("100%%")]), list(&[s("100%")]));
        assert_eq!(fl(vec![s("%s"), s("hello")]), list(&[s("hello")]));
        assert_eq!(fl(vec![s("%v"), list(&[])]), list(&[]));
        assert_eq!(fl(vec![s("%v"), Value::Null]), list(&[s("null")]));
        assert_eq!(
            fl(vec![
                s("%v=%v"),
                map(&[("a", n(1.0))]),
                list(&[n(1.0), n(2.0)])
            ]),
            list(&[s("{\"a\":1}=1"), s("{\"a\":1}=2")])
        );
        let e = err(
            "formatlist",
            vec![s("%s %s"), list(&[s("a"), s("b")]), list(&[s("c")])],
        );
        assert!(
            e.ends_with(
                "argument 2 has length 1, which is inconsistent with argument 1 of length 2"
            ),
            "{e}"
        );
        let e = err("formatlist", vec![s("%s"), map(&[])]);
        assert!(
            e.ends_with(
                "error on format iteration 0: unsupported value for \"%s\" at 0: string required"
            ),
            "{e}"
        );
        let e = err("formatlist", vec![s("%d"), list(&[n(1.0), s("x")])]);
        assert!(e.contains("error on format iteration 1:"), "{e}");
    }

    #[test]
    fn graphemes_cover_the_common_clusters() {
        assert_eq!(graphemes("a\r\nb"), vec!["a", "\r\n", "b"]);
        assert_eq!(graphemes("e\u{301}x"), vec!["e\u{301}", "x"]);
        assert_eq!(graphemes("👩\u{200D}💻!"), vec!["👩\u{200D}💻", "!"]);
        assert_eq!(graphemes("🇬🇧🇫"), vec!["🇬🇧", "🇫"]);
        assert_eq!(graphemes("\n\u{301}"), vec!["\n", "\u{301}"]);
        assert!(graphemes("").is_empty());
    }
}
