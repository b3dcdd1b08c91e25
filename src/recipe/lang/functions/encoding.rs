//! Encodings: base64 (go-cty-funcs `encoding`, Packer's `base64gzip`,
//! `textencodebase64`/`textdecodebase64`), URL query escaping, CSV and
//! JSON (cty stdlib) and YAML (zclconf/go-cty-yaml).
//!
//! Output is byte-for-byte what Packer writes where that is knowable:
//! `jsonencode` escapes like Go's `encoding/json` (HTML characters
//! included), `yamlencode` lays documents out like go-cty-yaml's libyaml
//! emitter (block style, every string double-quoted or, when it has line
//! breaks, a literal block), `urlencode` is Go's `url.QueryEscape`.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::super::value::format_number;
use super::{p, p_null, str_arg, FnCtx, Func, Kind, ParamType, Value};

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "base64decode",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The UTF-8 text a base64 string encodes.",
        call: base64decode,
    },
    Func {
        name: "base64encode",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The base64 encoding of a string's UTF-8 bytes.",
        call: base64encode,
    },
    Func {
        name: "base64gzip",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "A string gzip-compressed, then base64-encoded.",
        call: base64gzip,
    },
    Func {
        name: "csvdecode",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The rows of CSV text as a list of maps keyed by the header row.",
        call: csvdecode,
    },
    Func {
        name: "jsondecode",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The value a JSON string represents.",
        call: jsondecode,
    },
    Func {
        name: "jsonencode",
        params: &[p_null("val", ParamType::Any)],
        variadic: None,
        kind: Kind::Pure,
        doc: "A value as compact JSON text (keys sorted).",
        call: jsonencode,
    },
    Func {
        name: "textdecodebase64",
        params: &[
            p("source", ParamType::String),
            p("encoding", ParamType::String),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "The text base64 bytes in a given character encoding represent.",
        call: textdecodebase64,
    },
    Func {
        name: "textencodebase64",
        params: &[
            p("string", ParamType::String),
            p("encoding", ParamType::String),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "A string encoded in a given character encoding, then base64-encoded.",
        call: textencodebase64,
    },
    Func {
        name: "urlencode",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "A string escaped for a URL query (spaces as `+`).",
        call: urlencode,
    },
    Func {
        name: "yamldecode",
        params: &[p("src", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The value a YAML document represents.",
        call: yamldecode,
    },
    Func {
        name: "yamlencode",
        params: &[p_null("value", ParamType::Any)],
        variadic: None,
        kind: Kind::Pure,
        doc: "A value as a YAML document (block style).",
        call: yamlencode,
    },
];

// ---------------------------------------------------------------- base64

/// Go's `base64.StdEncoding.DecodeString`: padding required, line breaks
/// ignored, non-zero trailing bits accepted.
pub(super) fn go_base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let cleaned: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    GO_STD.decode(cleaned)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64decode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args, 0);
    let bytes = go_base64_decode(s).map_err(|_| format!("failed to decode base64 data '{s}'"))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "the result of decoding the provided string is not valid UTF-8".into())
}

fn base64encode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(b64(str_arg(&args, 0).as_bytes())))
}

/// gzip as Packer's Go code writes it: a header with no name and no
/// time, the deflated data ended by a sync flush (as `Flush` does) and an
/// empty final stored block (as `Close` does), then CRC-32 and length.
fn base64gzip(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    let input = str_arg(&args, 0).as_bytes();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut deflate = Compress::new(Compression::new(6), false);
    let mut body = Vec::with_capacity(input.len() + 64);
    loop {
        let done = deflate.total_in() as usize;
        deflate
            .compress_vec(&input[done..], &mut body, FlushCompress::Sync)
            .map_err(|e| format!("failed to write gzip raw data: {e}"))?;
        if deflate.total_in() as usize == input.len() && body.len() < body.capacity() {
            break;
        }
        body.reserve(body.capacity().max(64));
    }
    out.extend_from_slice(&body);
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    let mut crc = Crc::new();
    crc.update(input);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(input.len() as u32).to_le_bytes());
    Ok(Value::String(b64(&out)))
}

// ------------------------------------------------------ text encodings

/// The character encodings `textencodebase64`/`textdecodebase64` know.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// UTF-16 with a byte order mark (big-endian when there is none).
    Utf16,
    Latin1,
    Ascii,
}

/// IANA names and aliases (matched without regard to case), with the
/// encoding's preferred name.
const ENCODINGS: &[(&[&str], TextEncoding, &str)] = &[
    (&["utf-8", "csutf8"], TextEncoding::Utf8, "UTF-8"),
    (
        &["utf-16le", "csutf16le"],
        TextEncoding::Utf16Le,
        "UTF-16LE",
    ),
    (
        &["utf-16be", "csutf16be"],
        TextEncoding::Utf16Be,
        "UTF-16BE",
    ),
    (&["utf-16", "csutf16"], TextEncoding::Utf16, "UTF-16"),
    (
        &[
            "iso-8859-1",
            "iso_8859-1:1987",
            "iso-ir-100",
            "iso_8859-1",
            "latin1",
            "l1",
            "ibm819",
            "cp819",
            "csisolatin1",
        ],
        TextEncoding::Latin1,
        "ISO-8859-1",
    ),
    (
        &[
            "us-ascii",
            "iso-ir-6",
            "ansi_x3.4-1968",
            "ansi_x3.4-1986",
            "iso_646.irv:1991",
            "iso646-us",
            "us",
            "ibm367",
            "cp367",
            "csascii",
        ],
        TextEncoding::Ascii,
        "US-ASCII",
    ),
];

fn lookup_encoding(name: &str) -> Result<(TextEncoding, &'static str), String> {
    let lower = name.to_ascii_lowercase();
    ENCODINGS
        .iter()
        .find(|(names, _, _)| names.contains(&lower.as_str()))
        .map(|(_, enc, canonical)| (*enc, *canonical))
        .ok_or_else(|| {
            let supported: Vec<&str> = ENCODINGS.iter().map(|(_, _, c)| *c).collect();
            format!(
                "{name:?} is not a supported IANA encoding name or alias; supported: {}",
                supported.join(", ")
            )
        })
}

fn textencodebase64(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (enc, name) = lookup_encoding(str_arg(&args, 1))?;
    let s = str_arg(&args, 0);
    let unrepresentable =
        || format!("the given string contains characters that cannot be represented in {name}");
    let bytes: Vec<u8> = match enc {
        TextEncoding::Utf8 => s.as_bytes().to_vec(),
        TextEncoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Utf16 => [0xfe, 0xff]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        TextEncoding::Latin1 => s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| unrepresentable()))
            .collect::<Result<_, _>>()?,
        TextEncoding::Ascii => {
            if !s.is_ascii() {
                return Err(unrepresentable());
            }
            s.as_bytes().to_vec()
        }
    };
    Ok(Value::String(b64(&bytes)))
}

fn textdecodebase64(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let (enc, name) = lookup_encoding(str_arg(&args, 1))?;
    let source = str_arg(&args, 0);
    let bytes = go_base64_decode(source).map_err(|e| {
        let offset = match e {
            base64::DecodeError::InvalidByte(at, _)
            | base64::DecodeError::InvalidLastSymbol(at, _) => at,
            _ => source.len(),
        };
        format!("the given value has an invalid base64 symbol at offset {offset}")
    })?;
    let undefined = || format!("the given string contains symbols that are not defined for {name}");
    let utf16 = |bytes: &[u8], big: bool| -> Result<String, String> {
        if bytes.len() % 2 != 0 {
            return Err(undefined());
        }
        let units = bytes.chunks(2).map(|c| {
            let pair = [c[0], c[1]];
            if big {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| undefined())
    };
    let text = match enc {
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|_| undefined())?,
        TextEncoding::Utf16Le => utf16(&bytes, false)?,
        TextEncoding::Utf16Be => utf16(&bytes, true)?,
        TextEncoding::Utf16 => match bytes.as_slice() {
            [0xff, 0xfe, rest @ ..] => utf16(rest, false)?,
            [0xfe, 0xff, rest @ ..] => utf16(rest, true)?,
            rest => utf16(rest, true)?,
        },
        TextEncoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        TextEncoding::Ascii => {
            if !bytes.is_ascii() {
                return Err(undefined());
            }
            String::from_utf8(bytes).map_err(|_| undefined())?
        }
    };
    // golang.org/x/text decodes undefined input to U+FFFD, which Packer
    // then refuses; a U+FFFD in the input is refused the same way.
    if text.contains('\u{fffd}') {
        return Err(undefined());
    }
    Ok(Value::String(text))
}

// ------------------------------------------------------------------ url

/// Go's `url.QueryEscape`.
fn urlencode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut out = String::new();
    for b in str_arg(&args, 0).bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::String(out))
}

// ------------------------------------------------------------------ csv

/// `csvdecode`: Go's `encoding/csv` reader with its defaults (RFC 4180,
/// strict quotes, blank lines skipped, every record as wide as the
/// header), as cty's stdlib uses it.
fn csvdecode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut reader = CsvReader::new(str_arg(&args, 0));
    let header = match reader.record() {
        None => return Err("missing header line".into()),
        Some(Err(e)) => return Err(e),
        Some(Ok((_, h))) => h,
    };
    for (i, name) in header.iter().enumerate() {
        if header[..i].contains(name) {
            return Err(format!("duplicate column name {name:?}"));
        }
    }
    let mut rows = Vec::new();
    while let Some(record) = reader.record() {
        let (line, fields) = record?;
        if fields.len() != header.len() {
            return Err(format!(
                "CSV parse error on line {line}: wrong number of fields"
            ));
        }
        let row: BTreeMap<String, Value> = header
            .iter()
            .cloned()
            .zip(fields.into_iter().map(Value::String))
            .collect();
        rows.push(Value::Map(row));
    }
    Ok(Value::List(rows))
}

struct CsvReader {
    /// The input's lines, each ending in "\n" ("\r\n" and a missing final
    /// newline normalised), as Go's reader sees them.
    lines: Vec<String>,
    /// The index of the next line to read.
    next: usize,
}

impl CsvReader {
    fn new(s: &str) -> Self {
        let lines = s
            .split_inclusive('\n')
            .map(|raw| {
                let mut l = raw.to_string();
                if l.ends_with("\r\n") {
                    l.truncate(l.len() - 2);
                    l.push('\n');
                } else if !l.ends_with('\n') {
                    if l.ends_with('\r') {
                        l.pop();
                    }
                    l.push('\n');
                }
                l
            })
            .collect();
        CsvReader { lines, next: 0 }
    }

    /// The next record and the (1-based) line it starts on; `None` at the
    /// end of the input.
    fn record(&mut self) -> Option<Result<(usize, Vec<String>), String>> {
        while self.lines.get(self.next)? == "\n" {
            self.next += 1;
        }
        let start = self.next + 1;
        let mut li = self.next;
        self.next += 1;
        let mut pos = 0;
        let mut fields = Vec::new();
        let err =
            |line: usize, what: &str| Some(Err(format!("CSV parse error on line {line}: {what}")));
        'fields: loop {
            let rest = &self.lines[li][pos..];
            if !rest.starts_with('"') {
                let end = rest.find(',').unwrap_or(rest.len() - 1);
                let field = &rest[..end];
                if field.contains('"') {
                    return err(li + 1, "bare \" in non-quoted-field");
                }
                fields.push(field.to_string());
                if rest.as_bytes()[end] == b',' {
                    pos += end + 1;
                    continue;
                }
                return Some(Ok((start, fields)));
            }
            // A quoted field, perhaps over several lines.
            pos += 1;
            let mut field = String::new();
            loop {
                let line = &self.lines[li];
                let rest = &line[pos..];
                let Some(i) = rest.find('"') else {
                    field.push_str(rest);
                    if self.next >= self.lines.len() {
                        return err(li + 1, "extraneous or missing \" in quoted-field");
                    }
                    li = self.next;
                    self.next += 1;
                    pos = 0;
                    continue;
                };
                field.push_str(&rest[..i]);
                pos += i + 1;
                let after = &line[pos..];
                if after.starts_with('"') {
                    field.push('"');
                    pos += 1;
                } else if after.starts_with(',') {
                    pos += 1;
                    fields.push(field);
                    continue 'fields;
                } else if after == "\n" {
                    fields.push(field);
                    return Some(Ok((start, fields)));
                } else {
                    return err(li + 1, "extraneous or missing \" in quoted-field");
                }
            }
        }
    }
}

// ----------------------------------------------------------------- json

fn jsondecode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    use serde::de::DeserializeSeed as _;
    let src = str_arg(&args, 0);
    let mut de = serde_json::Deserializer::from_str(src);
    let v = JsonSeed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Reads JSON into a [`Value`], refusing duplicate object keys as cty
/// does.
struct JsonSeed;

impl<'de> serde::de::DeserializeSeed<'de> for JsonSeed {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonSeed {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(JsonSeed)? {
            items.push(v);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(JsonSeed)?;
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate {k:?} property in JSON object"
                )));
            }
            out.insert(k, v);
        }
        Ok(Value::Map(out))
    }
}

fn jsonencode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut out = String::new();
    write_json(&args[0], &mut out)?;
    Ok(Value::String(out))
}

/// A number as cty writes it (`big.Float.Text('f', -1)`): no exponent,
/// whole numbers without a fraction.
fn number_text(n: f64) -> String {
    if n.is_infinite() {
        if n > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{n}")
    }
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(*n)),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Unknown(_) => return Err("value is not known".into()),
    }
    Ok(())
}

/// A JSON string as Go's `encoding/json` writes it, HTML-safe.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ----------------------------------------------------------------- yaml

fn yamlencode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let mut e = YamlEmitter::new();
    e.node(&args[0], NodeCtx::ROOT)?;
    // Document end (implicit), then stream end.
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    Ok(Value::String(e.out))
}

/// Where a node is being written (libyaml's emitter contexts).
#[derive(Clone, Copy, Default)]
struct NodeCtx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl NodeCtx {
    const ROOT: NodeCtx = NodeCtx {
        root: true,
        mapping: false,
        simple_key: false,
    };
    const ITEM: NodeCtx = NodeCtx {
        root: false,
        mapping: false,
        simple_key: false,
    };
    const VALUE: NodeCtx = NodeCtx {
        root: false,
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: NodeCtx = NodeCtx {
        root: false,
        mapping: true,
        simple_key: true,
    };
}

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

/// The parts of libyaml's emitter (as go-cty-yaml carries it) that the
/// events go-cty-yaml sends reach: block sequences and mappings, `[]`/`{}`
/// when empty, plain scalars for null, bools and numbers, double-quoted
/// strings (folded past column 80) and literal blocks for strings with
/// line breaks.
struct YamlEmitter {
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
}

/// libyaml's view of a scalar's text.
struct ScalarInfo {
    multiline: bool,
    block_allowed: bool,
}

fn is_yaml_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_yaml_printable(c: char) -> bool {
    matches!(u32::from(c), 0x0a | 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd) && c != '\u{feff}'
}

/// What libyaml's scalar analysis decides for our styles: whether the text
/// has line breaks, and whether a literal block can carry it (not with a
/// trailing space, a space before a line break, or characters that must
/// be escaped).
fn analyze_scalar(s: &str) -> ScalarInfo {
    let mut info = ScalarInfo {
        multiline: false,
        block_allowed: !s.is_empty() && !s.ends_with(' '),
    };
    let mut previous_space = false;
    for c in s.chars() {
        if !is_yaml_printable(c) {
            info.block_allowed = false;
        }
        if is_yaml_break(c) {
            info.multiline = true;
            if previous_space {
                info.block_allowed = false;
            }
        }
        previous_space = c == ' ';
    }
    info
}

impl YamlEmitter {
    fn new() -> Self {
        YamlEmitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            open_ended: false,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn node(&mut self, v: &Value, ctx: NodeCtx) -> Result<(), String> {
        match v {
            Value::Null => self.plain("null", ctx),
            Value::Bool(b) => self.plain(if *b { "true" } else { "false" }, ctx),
            Value::Number(n) => {
                let text = if n.is_infinite() {
                    if *n > 0.0 { "+.Inf" } else { "-.Inf" }.to_string()
                } else {
                    format!("{n}")
                };
                self.plain(&text, ctx)
            }
            Value::String(s) => self.string(s, ctx),
            Value::List(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::List(items) => {
                self.increase_indent(false, ctx.mapping && !self.indention);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, NodeCtx::ITEM)?;
                }
                self.pop_indent();
            }
            Value::Map(m) => {
                self.increase_indent(false, false);
                for (k, item) in m {
                    self.write_indent();
                    let info = analyze_scalar(k);
                    if !info.multiline && k.len() <= 128 {
                        self.string(k, NodeCtx::SIMPLE_KEY);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.string(k, NodeCtx::VALUE);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(item, NodeCtx::VALUE)?;
                }
                self.pop_indent();
            }
            Value::Unknown(_) => return Err("cannot serialize unknown value as YAML".into()),
        }
        Ok(())
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn plain(&mut self, text: &str, ctx: NodeCtx) {
        self.increase_indent(true, false);
        if !self.whitespace {
            self.put(' ');
        }
        for c in text.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = false;
        if ctx.root {
            self.open_ended = true;
        }
        self.pop_indent();
    }

    fn string(&mut self, s: &str, ctx: NodeCtx) {
        let info = analyze_scalar(s);
        let literal = s.contains('\n') && info.block_allowed && !ctx.simple_key;
        self.increase_indent(true, false);
        if literal {
            self.literal(s);
        } else {
            self.double_quoted(s, !ctx.simple_key);
        }
        self.pop_indent();
    }

    fn double_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !is_yaml_printable(c) || c == '\u{feff}' || is_yaml_break(c) || c == '"' || c == '\\'
            {
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(e) => self.put(e),
                    None => {
                        let v = u32::from(c);
                        let text = if v <= 0xff {
                            format!("x{v:02X}")
                        } else if v <= 0xffff {
                            format!("u{v:04X}")
                        } else {
                            format!("U{v:08X}")
                        };
                        for d in text.chars() {
                            self.put(d);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < s.len() - 1 {
                    self.write_indent();
                    if matches!(chars.peek(), Some((_, ' '))) {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let first = s.chars().next().unwrap_or('x');
        if first == ' ' || is_yaml_break(first) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let mut rev = s.chars().rev();
        let last = rev.next();
        let before_last = rev.next();
        let chomp = match (last, before_last) {
            (Some(l), _) if !is_yaml_break(l) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(b)) if is_yaml_break(b) => Some("+"),
            _ => None,
        };
        self.open_ended = false;
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_yaml_break(c) {
                if c == '\n' {
                    self.put_break();
                } else {
                    self.out.push(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

fn yamldecode(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    use serde::de::DeserializeSeed as _;
    let src = str_arg(&args, 0);
    let parsed = YamlSeed { src }
        .deserialize(serde_norway::Deserializer::from_str(src))
        .map_err(|e| e.to_string())?;
    parsed.into_value()
}

/// A YAML node with go-cty-yaml's scalar resolution applied.
enum Yaml {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// A plain `<<`: a merge key.
    Merge,
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
}

impl Yaml {
    fn into_value(self) -> Result<Value, String> {
        Ok(match self {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(b),
            Yaml::Number(n) => Value::Number(n),
            Yaml::String(s) => Value::String(s),
            Yaml::Merge => Value::str("<<"),
            Yaml::Seq(items) => Value::List(
                items
                    .into_iter()
                    .map(Yaml::into_value)
                    .collect::<Result<_, _>>()?,
            ),
            Yaml::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let key = match k {
                        Yaml::Merge => {
                            merge_into(&mut out, v.into_value()?)?;
                            continue;
                        }
                        Yaml::String(s) => s,
                        Yaml::Number(n) => format_number(n),
                        Yaml::Bool(b) => b.to_string(),
                        Yaml::Null => return Err("mapping key cannot be null".into()),
                        Yaml::Seq(_) | Yaml::Map(_) => {
                            return Err("only strings are allowed as mapping keys".into())
                        }
                    };
                    out.insert(key, v.into_value()?);
                }
                Value::Map(out)
            }
        })
    }
}

fn friendly_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "tuple",
        Value::Map(_) => "object",
        Value::Unknown(_) => "dynamic",
    }
}

/// A `<<` merge: a mapping's entries, or each mapping's in a sequence,
/// copied in (replacing keys already there, as go-cty-yaml does).
fn merge_into(out: &mut BTreeMap<String, Value>, v: Value) -> Result<(), String> {
    match v {
        Value::Map(m) => out.extend(m),
        Value::List(items) => {
            for item in items {
                match item {
                    Value::Map(m) => out.extend(m),
                    other => {
                        return Err(format!(
                            "cannot merge {} (from sequence) into mapping",
                            friendly_type(&other)
                        ))
                    }
                }
            }
        }
        other => {
            return Err(format!(
                "cannot merge {} into mapping",
                friendly_type(&other)
            ))
        }
    }
    Ok(())
}

/// Reads YAML through serde_norway, which resolves plain scalars by YAML
/// 1.2's core schema; go-cty-yaml resolves them more like YAML 1.1
/// (`yes`/`no`/`on`/`off`/`y`/`n` are bools, `1_000` is a number,
/// timestamps become RFC 3339), so plain scalars that come back as
/// strings are resolved again here. A scalar is plain when the text it
/// was read from is not between quotes in the source.
struct YamlSeed<'s> {
    src: &'s str,
}

impl<'de, 's> serde::de::DeserializeSeed<'de> for YamlSeed<'s> {
    type Value = Yaml;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(self)
    }
}

impl YamlSeed<'_> {
    /// Whether `v`, borrowed from the source, was written quoted or with
    /// an explicit string tag (so it is a string whatever it says).
    fn is_literal_string(&self, v: &str) -> bool {
        let base = self.src.as_ptr() as usize;
        let at = v.as_ptr() as usize;
        if at < base || at + v.len() > base + self.src.len() {
            return true;
        }
        let start = at - base;
        let end = start + v.len();
        let bytes = self.src.as_bytes();
        if start > 0 && end < bytes.len() {
            let q = bytes[start - 1];
            if (q == b'"' || q == b'\'') && bytes[end] == q {
                return true;
            }
        }
        let before = self.src[..start].trim_end_matches([' ', '\t']);
        before.ends_with("!!str")
            || before.ends_with("!<tag:yaml.org,2002:str>")
            || before.ends_with("!!binary")
    }
}

impl<'de> serde::de::Visitor<'de> for YamlSeed<'_> {
    type Value = Yaml;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Yaml, E> {
        Ok(Yaml::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Yaml, E> {
        Ok(Yaml::Number(n as f64))
    }
    fn visit_i128<E>(self, n: i128) -> Result<Yaml, E> {
        Ok(Yaml::Number(n as f64))
    }
    fn visit_u128<E>(self, n: u128) -> Result<Yaml, E> {
        Ok(Yaml::Number(n as f64))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Yaml, E> {
        if n.is_nan() {
            return Err(E::custom("floating point NaN is not supported"));
        }
        Ok(Yaml::Number(n))
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Yaml, E> {
        if self.is_literal_string(v) {
            Ok(Yaml::String(v.to_string()))
        } else {
            resolve_plain(v).map_err(E::custom)
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::String(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(YamlSeed { src: self.src })? {
            items.push(v);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key_seed(YamlSeed { src: self.src })? {
            let v = map.next_value_seed(YamlSeed { src: self.src })?;
            entries.push((k, v));
        }
        Ok(Yaml::Map(entries))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Yaml, A::Error> {
        let (tag, _) = data.variant::<String>()?;
        Err(serde::de::Error::custom(format!("unsupported tag {tag:?}")))
    }
}

/// go-cty-yaml's resolution of a plain (unquoted, untagged) scalar.
fn resolve_plain(src: &str) -> Result<Yaml, String> {
    if src == "<<" {
        return Ok(Yaml::Merge);
    }
    match src {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Yaml::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Ok(Yaml::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Ok(Yaml::Bool(false))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Yaml::Number(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Yaml::Number(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Err("floating point NaN is not supported".into()),
        _ => {}
    }
    let first = src.as_bytes()[0];
    if first == b'.' {
        if is_yaml_float(src) {
            if let Ok(n) = src.parse::<f64>() {
                return Ok(Yaml::Number(n));
            }
        }
        return Ok(Yaml::String(src.to_string()));
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Ok(Yaml::String(src.to_string()));
    }
    if let Some(t) = parse_yaml_timestamp(src) {
        return Ok(Yaml::String(t));
    }
    let is_int = is_yaml_int(src);
    if !is_int && !is_yaml_float(src) {
        return Ok(Yaml::String(src.to_string()));
    }
    let plain = src.replace('_', "");
    if is_decimal(&plain) {
        if let Ok(n) = plain.parse::<f64>() {
            return Ok(Yaml::Number(n));
        }
    }
    let (neg, digits) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    let parsed = if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = digits.strip_prefix("0o") {
        u64::from_str_radix(oct, 8).ok()
    } else {
        None
    };
    match parsed {
        Some(n) if !neg => Ok(Yaml::Number(n as f64)),
        Some(n) if n <= 1 << 63 => Ok(Yaml::Number(-(n as f64))),
        _ => Err(format!(
            "cannot parse {src:?} as tag:yaml.org,2002:{}",
            if is_int { "int" } else { "float" }
        )),
    }
}

/// `[-+]?(0o[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+)`
fn is_yaml_int(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let all = |t: &str, f: fn(&u8) -> bool| !t.is_empty() && t.as_bytes().iter().all(f);
    if let Some(o) = body.strip_prefix("0o") {
        if all(o, |b| matches!(b, b'0'..=b'7' | b'_')) {
            return true;
        }
    }
    if let Some(h) = body.strip_prefix("0x") {
        if all(h, |b| b.is_ascii_hexdigit() || *b == b'_') {
            return true;
        }
    }
    all(body, |b| b.is_ascii_digit() || *b == b'_')
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_yaml_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exp_ok = exp.map_or(true, |e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exp_ok
}

/// A decimal number cty's `ParseNumberVal` reads (sign, digits, point,
/// exponent).
fn is_decimal(s: &str) -> bool {
    is_yaml_float(s) && s.bytes().any(|b| b.is_ascii_digit())
}

/// go-cty-yaml's timestamps (`2006-1-2`, `2006-1-2T15:4:5.999Z07:00`, the
/// same with `t` or a space and no zone), as RFC 3339 text with the
/// fraction dropped; `None` when `s` is not one.
fn parse_yaml_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    // One or two digits, then the rest.
    fn num(s: &str) -> Option<(u32, &str)> {
        let n = s.bytes().take(2).take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        Some((s[..n].parse().ok()?, &s[n..]))
    }
    let year: i32 = s[..4].parse().ok()?;
    let (month, rest) = num(&s[5..])?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = num(rest)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > days[month as usize - 1] {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if rest.is_empty() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = rest.as_bytes()[0];
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (hour, rest) = num(&rest[1..])?;
    let rest = rest.strip_prefix(':')?;
    let (minute, rest) = num(rest)?;
    let rest = rest.strip_prefix(':')?;
    let (second, mut rest) = num(rest)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    let zone = if sep == b' ' {
        if !rest.is_empty() {
            return None;
        }
        "Z".to_string()
    } else if rest == "Z" {
        "Z".to_string()
    } else {
        let zb = rest.as_bytes();
        if zb.len() != 6 || !matches!(zb[0], b'+' | b'-') || zb[3] != b':' {
            return None;
        }
        let hh: u32 = rest[1..3].parse().ok()?;
        let mm: u32 = rest[4..6].parse().ok()?;
        if !rest[1..3].bytes().all(|b| b.is_ascii_digit())
            || !rest[4..6].bytes().all(|b| b.is_ascii_digit())
            || hh > 24
            || mm > 60
        {
            return None;
        }
        if hh == 0 && mm == 0 {
            "Z".to_string()
        } else {
            rest.to_string()
        }
    };
    Some(format!("{date}T{time}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, err, list, map, n, ok, s};
    use super::super::Type;
    use super::Value;

    fn text(name: &str, args: Vec<Value>) -> String {
        match ok(name, args) {
            Value::String(s) => s,
            other => panic!("{name}: not a string: {other}"),
        }
    }

    fn b(x: bool) -> Value {
        Value::Bool(x)
    }

    // ------------------------------------------------------------ base64

    #[test]
    fn base64encode_and_decode_round_trip() {
        assert_eq!(
            text("base64encode", vec![s("Hello World")]),
            "SGVsbG8gV29ybGQ="
        );
        assert_eq!(text("base64encode", vec![s("")]), "");
        assert_eq!(text("base64encode", vec![s("\u{2713}")]), "4pyT");
        assert_eq!(
            text("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
            "Hello World"
        );
        assert_eq!(text("base64decode", vec![s("4pyT")]), "\u{2713}");
        assert_eq!(text("base64decode", vec![s("")]), "");
        // Line breaks are ignored, as by Go's decoder.
        assert_eq!(
            text("base64decode", vec![s("SGVsbG8g\r\nV29ybGQ=\n")]),
            "Hello World"
        );
        // Numbers are converted to strings first.
        assert_eq!(text("base64encode", vec![n(12.0)]), "MTI=");
    }

    #[test]
    fn base64decode_errors() {
        assert_eq!(
            err("base64decode", vec![s("this is not base64")]),
            "base64decode(): failed to decode base64 data 'this is not base64'"
        );
        // Padding is required.
        assert!(err("base64decode", vec![s("SGVsbG8")]).contains("failed to decode"));
        // Bytes that are not UTF-8.
        assert_eq!(
            err("base64decode", vec![s("/w==")]),
            "base64decode(): the result of decoding the provided string is not valid UTF-8"
        );
        assert!(err("base64decode", vec![Value::Null]).contains("must not be null"));
    }

    #[test]
    fn base64gzip_matches_packer_byte_for_byte() {
        // The vectors of Packer's encoding_test.go.
        assert_eq!(
            text("base64gzip", vec![s("test")]),
            "H4sIAAAAAAAA/ypJLS4BAAAA//8BAAD//wx+f9gEAAAA"
        );
        assert_eq!(
            text("base64gzip", vec![s("helloworld")]),
            "H4sIAAAAAAAA/8pIzcnJL88vykkBAAAA//8BAAD//60g6/kKAAAA"
        );
    }

    #[test]
    fn base64gzip_decompresses_to_the_input() {
        use base64::Engine as _;
        use std::io::Read as _;
        for input in [
            "",
            "a",
            &"lorem ipsum dolor sit amet ".repeat(500),
            "\u{2713} \u{e9}",
        ] {
            let encoded = text("base64gzip", vec![s(input)]);
            let raw = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap();
            let mut out = String::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out, input);
        }
    }

    // ---------------------------------------------------- text encodings

    #[test]
    fn textencodebase64_encodes_in_the_named_encoding() {
        let enc = |t: &str, e: &str| text("textencodebase64", vec![s(t), s(e)]);
        // Packer's documentation example.
        assert_eq!(
            enc("Hello World", "UTF-16LE"),
            "SABlAGwAbABvACAAVwBvAHIAbABkAA=="
        );
        assert_eq!(
            enc("Hello World", "utf-16le"),
            "SABlAGwAbABvACAAVwBvAHIAbABkAA=="
        );
        assert_eq!(enc("Hi", "UTF-16BE"), "AEgAaQ==");
        assert_eq!(enc("Hi", "UTF-16"), "/v8ASABp");
        assert_eq!(enc("Hello World", "UTF-8"), "SGVsbG8gV29ybGQ=");
        assert_eq!(enc("\u{e9}", "ISO-8859-1"), "6Q==");
        assert_eq!(enc("\u{e9}", "latin1"), "6Q==");
        assert_eq!(enc("Hi", "US-ASCII"), "SGk=");
        // Outside the basic plane: a surrogate pair.
        assert_eq!(enc("\u{1f600}", "UTF-16LE"), "PdgA3g==");
    }

    #[test]
    fn textdecodebase64_decodes_from_the_named_encoding() {
        let dec = |t: &str, e: &str| text("textdecodebase64", vec![s(t), s(e)]);
        assert_eq!(
            dec("SABlAGwAbABvACAAVwBvAHIAbABkAA==", "UTF-16LE"),
            "Hello World"
        );
        assert_eq!(dec("AEgAaQ==", "UTF-16BE"), "Hi");
        assert_eq!(dec("/v8ASABp", "UTF-16"), "Hi");
        assert_eq!(dec("//5IAGkA", "UTF-16"), "Hi");
        assert_eq!(dec("AEgAaQ==", "UTF-16"), "Hi");
        assert_eq!(dec("6Q==", "ISO-8859-1"), "\u{e9}");
        assert_eq!(dec("SGVsbG8gV29ybGQ=", "csUTF8"), "Hello World");
        assert_eq!(dec("PdgA3g==", "UTF-16LE"), "\u{1f600}");
    }

    #[test]
    fn text_encoding_errors() {
        let e = err("textencodebase64", vec![s("x"), s("EBCDIC")]);
        assert!(
            e.starts_with(
                "textencodebase64(): \"EBCDIC\" is not a supported IANA encoding name or alias"
            ),
            "{e}"
        );
        for name in ["UTF-8", "UTF-16LE", "UTF-16BE", "ISO-8859-1"] {
            assert!(e.contains(name), "{e}");
        }
        let e = err("textdecodebase64", vec![s("AA=="), s("utf8")]);
        assert!(e.contains("not a supported IANA encoding"), "{e}");
        assert_eq!(
            err("textencodebase64", vec![s("\u{2713}"), s("ISO-8859-1")]),
            "textencodebase64(): the given string contains characters that cannot be represented in ISO-8859-1"
        );
        assert!(err("textencodebase64", vec![s("\u{e9}"), s("ascii")]).contains("not a supported"));
        assert!(err("textencodebase64", vec![s("\u{e9}"), s("us-ascii")])
            .contains("cannot be represented in US-ASCII"));
        assert_eq!(
            err("textdecodebase64", vec![s("/w=="), s("UTF-8")]),
            "textdecodebase64(): the given string contains symbols that are not defined for UTF-8"
        );
        // An odd number of bytes, and an unpaired surrogate.
        assert!(err("textdecodebase64", vec![s("SABl"), s("UTF-16LE")])
            .contains("not defined for UTF-16LE"));
        assert!(err("textdecodebase64", vec![s("Pdg="), s("UTF-16LE")])
            .contains("not defined for UTF-16LE"));
        assert!(err("textdecodebase64", vec![s("gA=="), s("US-ASCII")])
            .contains("not defined for US-ASCII"));
        assert_eq!(
            err("textdecodebase64", vec![s("SG!s"), s("UTF-8")]),
            "textdecodebase64(): the given value has an invalid base64 symbol at offset 2"
        );
    }

    // --------------------------------------------------------------- url

    #[test]
    fn urlencode_is_go_query_escape() {
        let u = |x: &str| text("urlencode", vec![s(x)]);
        assert_eq!(u("Hello World!"), "Hello+World%21");
        assert_eq!(u("\u{2603}"), "%E2%98%83");
        assert_eq!(
            u("foo:bar@localhost?foo=bar&bar=baz"),
            "foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"
        );
        assert_eq!(u("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(u("a/b+c%d\n"), "a%2Fb%2Bc%25d%0A");
        assert_eq!(u(""), "");
    }

    // --------------------------------------------------------------- csv

    fn csv(src: &str) -> Result<Value, String> {
        call_fn("csvdecode", vec![s(src)])
    }

    #[test]
    fn csvdecode_reads_rows_by_header() {
        assert_eq!(
            csv("a,b\n1,2\n3,4\n").unwrap(),
            list(&[
                map(&[("a", s("1")), ("b", s("2"))]),
                map(&[("a", s("3")), ("b", s("4"))])
            ])
        );
        // No final newline, CRLF line ends, blank lines skipped.
        assert_eq!(
            csv("a,b\r\n\r\n1,2\r\n\n3,4").unwrap(),
            list(&[
                map(&[("a", s("1")), ("b", s("2"))]),
                map(&[("a", s("3")), ("b", s("4"))])
            ])
        );
        // Quoted fields: commas, doubled quotes, line breaks; spaces kept.
        assert_eq!(
            csv("name, note\n\"Smith, J\",\"say \"\"hi\"\"\nthere\"\n,\n").unwrap(),
            list(&[
                map(&[("name", s("Smith, J")), (" note", s("say \"hi\"\nthere"))]),
                map(&[("name", s("")), (" note", s(""))]),
            ])
        );
        // Only a header: no rows.
        assert_eq!(csv("a,b\n").unwrap(), list(&[]));
        assert_eq!(csv("\"a\"\n\"\"\n").unwrap(), list(&[map(&[("a", s(""))])]));
    }

    #[test]
    fn csvdecode_errors() {
        assert_eq!(csv("").unwrap_err(), "csvdecode(): missing header line");
        assert_eq!(csv("\n\n").unwrap_err(), "csvdecode(): missing header line");
        assert_eq!(
            csv("a,b\n1,2\n3\n").unwrap_err(),
            "csvdecode(): CSV parse error on line 3: wrong number of fields"
        );
        assert_eq!(
            csv("a,b\n1,2,3\n").unwrap_err(),
            "csvdecode(): CSV parse error on line 2: wrong number of fields"
        );
        assert_eq!(
            csv("a,b\n1,x\"y\n").unwrap_err(),
            "csvdecode(): CSV parse error on line 2: bare \" in non-quoted-field"
        );
        assert_eq!(
            csv("a,b\n\"1\"x,2\n").unwrap_err(),
            "csvdecode(): CSV parse error on line 2: extraneous or missing \" in quoted-field"
        );
        assert!(csv("a\n\"abc\ndef")
            .unwrap_err()
            .contains("extraneous or missing \" in quoted-field"));
        assert_eq!(
            csv("a,a\n1,2\n").unwrap_err(),
            "csvdecode(): duplicate column name \"a\""
        );
    }

    // -------------------------------------------------------------- json

    fn jsonenc(v: Value) -> String {
        text("jsonencode", vec![v])
    }

    #[test]
    fn jsonencode_writes_compact_sorted_json() {
        assert_eq!(
            jsonenc(map(&[("hello", s("world"))])),
            r#"{"hello":"world"}"#
        );
        assert_eq!(
            jsonenc(map(&[
                ("b", list(&[n(1.0), n(1.5), n(-0.25), b(true), Value::Null])),
                ("a", map(&[])),
                ("c", list(&[])),
            ])),
            r#"{"a":{},"b":[1,1.5,-0.25,true,null],"c":[]}"#
        );
        assert_eq!(jsonenc(n(1e21)), "1000000000000000000000");
        assert_eq!(jsonenc(n(123456789.0)), "123456789");
        assert_eq!(jsonenc(s("")), r#""""#);
        assert_eq!(jsonenc(Value::Null), "null");
        assert_eq!(jsonenc(b(false)), "false");
    }

    #[test]
    fn jsonencode_escapes_strings_like_go() {
        assert_eq!(
            jsonenc(s("<a href=\"x\">&</a>")),
            r#""\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e""#
        );
        assert_eq!(jsonenc(s("a\\b\n\r\t\u{8}\u{c}")), r#""a\\b\n\r\t\b\f""#);
        assert_eq!(jsonenc(s("\u{1}\u{1f}\u{7f}")), "\"\\u0001\\u001f\u{7f}\"");
        assert_eq!(jsonenc(s("\u{2028}\u{2029}")), r#""\u2028\u2029""#);
        assert_eq!(
            jsonenc(s("h\u{e9}llo \u{1f600}")),
            "\"h\u{e9}llo \u{1f600}\""
        );
        assert_eq!(jsonenc(map(&[("<k>", n(1.0))])), r#"{"\u003ck\u003e":1}"#);
    }

    #[test]
    fn jsonencode_of_partly_unknown_values_is_unknown() {
        let v = ok(
            "jsonencode",
            vec![list(&[s("a"), Value::Unknown(Type::String)])],
        );
        assert!(v.is_unknown());
    }

    fn jsondec(src: &str) -> Result<Value, String> {
        call_fn("jsondecode", vec![s(src)])
    }

    #[test]
    fn jsondecode_reads_any_json_value() {
        assert_eq!(
            jsondec(r#"{"hello": "world"}"#).unwrap(),
            map(&[("hello", s("world"))])
        );
        assert_eq!(jsondec("true").unwrap(), b(true));
        assert_eq!(jsondec(" null ").unwrap(), Value::Null);
        assert_eq!(jsondec("1e3").unwrap(), n(1000.0));
        assert_eq!(jsondec("-2.5").unwrap(), n(-2.5));
        assert_eq!(
            jsondec(r#"[1, "a", null, {"x": [true]}]"#).unwrap(),
            list(&[n(1.0), s("a"), Value::Null, map(&[("x", list(&[b(true)]))])])
        );
        assert_eq!(jsondec(r#""\u003c\n""#).unwrap(), s("<\n"));
        // What jsonencode writes, jsondecode reads back.
        let v = map(&[
            ("a", list(&[n(1.5), s("<&>"), Value::Null])),
            ("b", map(&[])),
        ]);
        assert_eq!(jsondec(&jsonenc(v.clone())).unwrap(), v);
    }

    #[test]
    fn jsondecode_errors() {
        assert!(jsondec("").is_err());
        assert!(jsondec("{").is_err());
        assert!(jsondec("nope").is_err());
        assert!(jsondec("[1] [2]").is_err());
        assert!(jsondec("{'a': 1}").is_err());
        let e = jsondec(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(e.contains("duplicate \"a\" property in JSON object"), "{e}");
    }

    // -------------------------------------------------------------- yaml

    fn yamlenc(v: Value) -> String {
        text("yamlencode", vec![v])
    }

    #[test]
    fn yamlencode_matches_packer_documentation() {
        assert_eq!(
            yamlenc(map(&[("a", s("b")), ("c", s("d"))])),
            "\"a\": \"b\"\n\"c\": \"d\"\n"
        );
        assert_eq!(
            yamlenc(map(&[
                ("foo", list(&[n(1.0), n(2.0), n(3.0)])),
                ("bar", s("baz"))
            ])),
            "\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n"
        );
        assert_eq!(
            yamlenc(map(&[
                (
                    "foo",
                    list(&[n(1.0), map(&[("a", s("b")), ("c", s("d"))]), n(3.0)])
                ),
                ("bar", s("baz")),
            ])),
            "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n"
        );
    }

    #[test]
    fn yamlencode_top_level_values_like_go_cty_yaml() {
        // The vectors of go-cty-yaml's encode tests.
        assert_eq!(yamlenc(b(true)), "true\n...\n");
        assert_eq!(yamlenc(s("")), "\"\"\n");
        assert_eq!(yamlenc(s("hello")), "\"hello\"\n");
        assert_eq!(yamlenc(n(0.0)), "0\n...\n");
        assert_eq!(yamlenc(Value::Null), "null\n...\n");
        assert_eq!(yamlenc(map(&[])), "{}\n");
        assert_eq!(yamlenc(list(&[])), "[]\n");
        assert_eq!(yamlenc(list(&[s("b")])), "- \"b\"\n");
        assert_eq!(yamlenc(n(f64::INFINITY)), "+.Inf\n...\n");
        assert_eq!(yamlenc(n(-2.5)), "-2.5\n...\n");
    }

    #[test]
    fn yamlencode_nests_blocks() {
        assert_eq!(
            yamlenc(map(&[(
                "a",
                map(&[("b", n(1.0)), ("c", map(&[("d", Value::Null)]))])
            )])),
            "\"a\":\n  \"b\": 1\n  \"c\":\n    \"d\": null\n"
        );
        assert_eq!(
            yamlenc(list(&[list(&[n(1.0), n(2.0)]), list(&[n(3.0)]), list(&[])])),
            "- - 1\n  - 2\n- - 3\n- []\n"
        );
        assert_eq!(
            yamlenc(map(&[
                ("a", list(&[])),
                ("b", map(&[])),
                ("c", list(&[list(&[s("x")])]))
            ])),
            "\"a\": []\n\"b\": {}\n\"c\":\n- - \"x\"\n"
        );
        assert_eq!(
            yamlenc(list(&[map(&[
                ("a", list(&[n(1.0), n(2.0)])),
                ("b", map(&[("c", b(false))]))
            ])])),
            "- \"a\":\n  - 1\n  - 2\n  \"b\":\n    \"c\": false\n"
        );
    }

    #[test]
    fn yamlencode_writes_multi_line_strings_as_literal_blocks() {
        assert_eq!(yamlenc(map(&[("a", s("x\ny"))])), "\"a\": |-\n  x\n  y\n");
        assert_eq!(yamlenc(map(&[("a", s("x\ny\n"))])), "\"a\": |\n  x\n  y\n");
        assert_eq!(yamlenc(map(&[("a", s("x\n\n"))])), "\"a\": |+\n  x\n\n");
        assert_eq!(yamlenc(s("x\n\ny")), "|-\n  x\n\n  y\n");
        assert_eq!(yamlenc(s(" x\ny")), "|2-\n   x\n  y\n");
        assert_eq!(yamlenc(list(&[s("a\nb")])), "- |-\n  a\n  b\n");
        assert_eq!(
            yamlenc(map(&[("k", map(&[("l", s("#!/bin/sh\necho hi\n"))]))])),
            "\"k\":\n  \"l\": |\n    #!/bin/sh\n    echo hi\n"
        );
        // Where a literal block cannot say it, the string is double-quoted.
        assert_eq!(yamlenc(s("a \nb")), "\"a \\nb\"\n");
        assert_eq!(yamlenc(s("a\tb\nc")), "\"a\\tb\\nc\"\n");
        assert_eq!(yamlenc(s("a\nb ")), "\"a\\nb \"\n");
        assert_eq!(yamlenc(s("a\r\nb")), "\"a\\r\\nb\"\n");
    }

    #[test]
    fn yamlencode_escapes_in_double_quotes() {
        assert_eq!(yamlenc(s("say \"hi\" \\o/")), "\"say \\\"hi\\\" \\\\o/\"\n");
        assert_eq!(yamlenc(s("tab\there")), "\"tab\\there\"\n");
        assert_eq!(
            yamlenc(s("\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{2028}\u{feff}")),
            "\"\\0\\a\\e\\x7F\\N\\L\\uFEFF\"\n"
        );
        // Unicode is written as it is, except outside the basic plane.
        assert_eq!(
            yamlenc(s("h\u{e9}llo \u{2713}")),
            "\"h\u{e9}llo \u{2713}\"\n"
        );
        assert_eq!(yamlenc(s("\u{1f600}")), "\"\\U0001F600\"\n");
        // Strings that look like other things stay strings.
        assert_eq!(
            yamlenc(list(&[s("true"), s("1"), s("null"), s("- x"), s("")])),
            "- \"true\"\n- \"1\"\n- \"null\"\n- \"- x\"\n- \"\"\n"
        );
    }

    #[test]
    fn yamlencode_keys() {
        assert_eq!(yamlenc(map(&[("a\"b", n(1.0))])), "\"a\\\"b\": 1\n");
        assert_eq!(yamlenc(map(&[("", n(1.0))])), "\"\": 1\n");
        // A key with a line break, or longer than 128 bytes, is a complex key.
        assert_eq!(
            yamlenc(map(&[("a\nb", s("c"))])),
            "? |-\n  a\n  b\n: \"c\"\n"
        );
        let long = "k".repeat(129);
        assert_eq!(
            yamlenc(map(&[(long.as_str(), n(1.0))])),
            format!("? \"{long}\"\n: 1\n")
        );
        let ok_len = "k".repeat(128);
        assert_eq!(
            yamlenc(map(&[(ok_len.as_str(), n(1.0))])),
            format!("\"{ok_len}\": 1\n")
        );
    }

    #[test]
    fn yamlencode_folds_long_double_quoted_strings() {
        let words = vec!["word"; 30].join(" ");
        let got = yamlenc(map(&[("k", s(&words))]));
        // Folded at the first space past column 80, continued two spaces in.
        let first = format!("\"k\": \"{}", vec!["word"; 16].join(" "));
        assert_eq!(first.len(), 85);
        assert_eq!(
            got,
            format!("{first}\n  {}\"\n", vec!["word"; 14].join(" "))
        );
        // A folded line that starts with a space keeps it with a backslash.
        let spaced = format!("{} {}", "x".repeat(90), " y");
        assert_eq!(
            yamlenc(s(&spaced)),
            format!("\"{}\n  \\ y\"\n", "x".repeat(90))
        );
        // Keys are never folded.
        let key = vec!["key"; 30].join(" ");
        assert_eq!(
            yamlenc(map(&[(key.as_str(), n(1.0))])),
            format!("\"{key}\": 1\n")
        );
    }

    #[test]
    fn yamlencode_output_reads_back() {
        let v = map(&[
            (
                "list",
                list(&[n(1.0), n(2.5), b(true), Value::Null, s("yes")]),
            ),
            ("script", s("#!/bin/sh\nset -e\n\necho \"done\"\n")),
            ("nested", map(&[("empty", list(&[])), ("s", s("a: b # c"))])),
            ("long", s(&vec!["lorem ipsum"; 20].join(" "))),
        ]);
        let yaml = yamlenc(v.clone());
        assert_eq!(ok("yamldecode", vec![s(&yaml)]), v);
    }

    fn yamldec(src: &str) -> Result<Value, String> {
        call_fn("yamldecode", vec![s(src)])
    }

    #[test]
    fn yamldecode_reads_documents() {
        assert_eq!(
            yamldec("a: 1\nb: true\nc:\n  - foo\n  - <<\n  - baz\n").unwrap(),
            map(&[
                ("a", n(1.0)),
                ("b", b(true)),
                ("c", list(&[s("foo"), s("<<"), s("baz")]))
            ])
        );
        assert_eq!(
            yamldec("{a: 1, b: true}").unwrap(),
            map(&[("a", n(1.0)), ("b", b(true))])
        );
        assert_eq!(
            yamldec("[a, b, true]").unwrap(),
            list(&[s("a"), s("b"), b(true)])
        );
        assert_eq!(yamldec("{}").unwrap(), map(&[]));
        assert_eq!(yamldec("[]").unwrap(), list(&[]));
        assert_eq!(yamldec("hello").unwrap(), s("hello"));
        assert_eq!(yamldec("\"hello\"").unwrap(), s("hello"));
        assert_eq!(yamldec("'it''s'").unwrap(), s("it's"));
        assert_eq!(yamldec("|\n  hello\n  world").unwrap(), s("hello\nworld"));
        assert_eq!(yamldec(">\n  hello\n  world").unwrap(), s("hello world"));
        assert_eq!(yamldec("---\na: b\n...\n").unwrap(), map(&[("a", s("b"))]));
        assert_eq!(yamldec("a: \"x\\ty\"").unwrap(), map(&[("a", s("x\ty"))]));
    }

    #[test]
    fn yamldecode_resolves_plain_scalars_like_go_cty_yaml() {
        let one = |src: &str| yamldec(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        // YAML 1.1 booleans are booleans when plain...
        for t in [
            "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON",
        ] {
            assert_eq!(one(t), b(true), "{t}");
        }
        for f in ["false", "no", "NO", "n", "N", "off", "Off", "OFF"] {
            assert_eq!(one(f), b(false), "{f}");
        }
        // ...and strings when quoted or tagged.
        assert_eq!(one("'yes'"), s("yes"));
        assert_eq!(one("\"no\""), s("no"));
        assert_eq!(
            one("[\"on\", 'off', on]"),
            list(&[s("on"), s("off"), b(true)])
        );
        assert_eq!(one("!!str true"), s("true"));
        assert_eq!(one("yesterday"), s("yesterday"));
        for null in ["", "~", "null", "Null", "NULL", "# only a comment\n"] {
            assert_eq!(one(null), Value::Null, "{null:?}");
        }
        assert_eq!(one("'null'"), s("null"));
        // Numbers.
        assert_eq!(one("12"), n(12.0));
        assert_eq!(one("-12"), n(-12.0));
        assert_eq!(one("+12"), n(12.0));
        assert_eq!(one("1.5"), n(1.5));
        assert_eq!(one(".5"), n(0.5));
        assert_eq!(one("1e3"), n(1000.0));
        assert_eq!(one("1_000"), n(1000.0));
        assert_eq!(one("0017"), n(17.0));
        assert_eq!(one("0x1F"), n(31.0));
        assert_eq!(one("-0x1F"), n(-31.0));
        assert_eq!(one("0o17"), n(15.0));
        assert_eq!(one(".inf"), n(f64::INFINITY));
        assert_eq!(one("-.Inf"), n(f64::NEG_INFINITY));
        assert_eq!(one("'12'"), s("12"));
        assert_eq!(one("1.2.3"), s("1.2.3"));
        assert_eq!(one("12:30"), s("12:30"));
        assert_eq!(one("-x"), s("-x"));
        // Timestamps become RFC 3339 strings.
        assert_eq!(one("2006-1-2"), s("2006-01-02T00:00:00Z"));
        assert_eq!(
            one("2001-12-14t21:59:43.10-05:00"),
            s("2001-12-14T21:59:43-05:00")
        );
        assert_eq!(one("2001-12-14T21:59:43Z"), s("2001-12-14T21:59:43Z"));
        assert_eq!(one("2001-12-14T21:59:43+00:00"), s("2001-12-14T21:59:43Z"));
        assert_eq!(one("2001-12-14 21:59:43.10"), s("2001-12-14T21:59:43Z"));
        assert_eq!(one("'2006-1-2'"), s("2006-1-2"));
        assert_eq!(one("2006-02-30"), s("2006-02-30"));
        assert_eq!(
            one("2001-12-14 21:59:43.10 -5"),
            s("2001-12-14 21:59:43.10 -5")
        );
    }

    #[test]
    fn yamldecode_keys_aliases_and_merges() {
        assert_eq!(
            yamldec("1: a\ntrue: b\nyes: c\n'no': d\n").unwrap(),
            map(&[("1", s("a")), ("true", s("c")), ("no", s("d"))])
        );
        // Keys resolve like values: a plain `y` is the bool true.
        assert_eq!(
            yamldec("y: 1\n'n': 2\n").unwrap(),
            map(&[("true", n(1.0)), ("n", n(2.0))])
        );
        // A repeated key: the last one wins.
        assert_eq!(yamldec("a: 1\na: 2\n").unwrap(), map(&[("a", n(2.0))]));
        assert_eq!(
            yamldec("foo: &bar\n  - x\nbar: *bar\n").unwrap(),
            map(&[("foo", list(&[s("x")])), ("bar", list(&[s("x")]))])
        );
        assert_eq!(
            yamldec("foo: &bar\n  a: b\nbar:\n  <<: *bar\n  c: d\n").unwrap(),
            map(&[
                ("foo", map(&[("a", s("b"))])),
                ("bar", map(&[("a", s("b")), ("c", s("d"))])),
            ])
        );
        assert_eq!(
            yamldec("p: &p {a: 1}\nq: &q {b: 2}\nz:\n  <<: [*p, *q]\n  a: 3\n").unwrap(),
            map(&[
                ("p", map(&[("a", n(1.0))])),
                ("q", map(&[("b", n(2.0))])),
                ("z", map(&[("a", n(3.0)), ("b", n(2.0))])),
            ])
        );
        assert_eq!(
            yamldec("- &foo a\n- b\n- *foo\n").unwrap(),
            list(&[s("a"), s("b"), s("a")])
        );
        // A quoted "<<" is an ordinary key.
        assert_eq!(yamldec("'<<': 1\n").unwrap(), map(&[("<<", n(1.0))]));
    }

    #[test]
    fn yamldecode_errors() {
        assert!(yamldec(".nan")
            .unwrap_err()
            .contains("floating point NaN is not supported"));
        assert_eq!(yamldec("'.nan'").unwrap(), s(".nan"));
        assert!(yamldec("~: a\n")
            .unwrap_err()
            .contains("mapping key cannot be null"));
        assert!(yamldec("[a]: b\n")
            .unwrap_err()
            .contains("only strings are allowed as mapping keys"));
        assert!(yamldec("a: &x 1\n<<: *x\n")
            .unwrap_err()
            .contains("cannot merge number into mapping"));
        assert!(yamldec("a\n---\nb\n").is_err());
        assert!(yamldec("a: [").is_err());
        assert!(yamldec("a: b\nc\n").is_err());
        assert!(yamldec("!foo bar").unwrap_err().contains("unsupported tag"));
        assert!(yamldec("x: *nope\n").is_err());
        assert_eq!(yamldec("_").unwrap(), s("_"));
        assert!(yamldec("+_")
            .unwrap_err()
            .contains("cannot parse \"+_\" as tag:yaml.org,2002:int"));
        assert!(yamldec(Value::Null.to_string().as_str()).is_ok());
        assert!(err("yamldecode", vec![Value::Null]).contains("must not be null"));
    }

    #[test]
    fn yamlencode_of_partly_unknown_values_is_unknown() {
        let v = ok(
            "yamlencode",
            vec![map(&[("a", Value::Unknown(Type::String))])],
        );
        assert!(v.is_unknown());
    }
}
