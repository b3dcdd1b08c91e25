//! Packer's legacy template engine: the `{{ ... }}` actions that Packer still
//! renders inside strings of HCL2 templates, as the `amazon-ebs` builder does
//! (for example `ami_name = "web {{timestamp}}"` or
//! `tags = { Base = "{{ .SourceAMIName }}" }`).
//!
//! Packer runs these strings through Go's `text/template` with the function
//! map of packer-plugin-sdk (`template/interpolate/funcs.go`) plus the Amazon
//! plugin's `clean_resource_name`, and with the Amazon builder's "build
//! template data" (`BuildRegion`, `SourceAMI...`) as the template's data.
//! This module implements the part of Go's template language those strings
//! use: actions with trim markers and comments, pipelines, string and integer
//! literals, parentheses, niladic functions as arguments and field chains.
//! Control actions (`if`, `range`, variables, ...) are rejected, with a
//! message, because an HCL expression is the better place for logic.
//!
//! Templates are parsed once, when the recipe is loaded, so mistakes are
//! reported with a position before anything is launched; type and arity are
//! checked then too, because every value's type is known statically here.
//! Rendering happens later, possibly twice: once before the source image is
//! known (names that do not need it) and once during the build.

use std::collections::BTreeMap;
use std::fmt;

use time::{OffsetDateTime, UtcOffset};

/// A string with `{{ }}` actions, parsed once at load (so errors have
/// positions) and rendered later, when the values it reads are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Literal text and actions, in order; trim markers are already applied
    /// to the text and comments are gone.
    parts: Vec<Part>,
    /// Whether the source had no `{{` at all, so it renders to itself.
    literal: bool,
}

/// A mistake found while parsing: where the offending action starts and what
/// is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyError {
    /// Byte offset into the text where the action (`{{`) starts, so the
    /// loader can point at it inside the HCL string.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for LegacyError {}

/// What templates may read. `image` is None before the source image is
/// known; `build_region` is None outside a build.
#[derive(Debug, Clone)]
pub struct LegacyContext {
    /// The instant the run started (Packer's `InitTime`): `{{timestamp}}` is
    /// its Unix seconds, `{{isotime}}` and `{{strftime}}` format it in UTC.
    /// One instant for the whole run, so every name built from it agrees
    /// (and agrees with HCL's `timestamp()`).
    pub start: OffsetDateTime,
    /// `{{build_name}}`: the source block's name.
    pub build_name: String,
    /// `{{build_type}}`: the builder type, `amazon-ebs`.
    pub build_type: String,
    /// `{{ .BuildRegion }}`: the region the image is being built in.
    pub build_region: Option<String>,
    /// `{{ .SourceAMI }}` and friends: facts about the source image.
    pub image: Option<ImageFacts>,
    /// ``{{ build `ID` }}``: values that exist only while building (instance
    /// id, run id, ...), as Packer's generated data.
    pub build_vars: BTreeMap<String, String>,
    /// `{{packer_version}}`: the Packer version this tool answers for.
    pub packer_version: String,
}

/// Written by hand because `OffsetDateTime` has no default: a context made
/// this way reads the clock now, and names the builder `amazon-ebs`, the only
/// type amibake builds. Callers set `start` to the run's start instant.
impl Default for LegacyContext {
    fn default() -> Self {
        LegacyContext {
            start: OffsetDateTime::now_utc(),
            build_name: String::new(),
            build_type: "amazon-ebs".to_owned(),
            build_region: None,
            image: None,
            build_vars: BTreeMap::new(),
            packer_version: String::new(),
        }
    }
}

/// The source image as the Amazon builder describes it (its
/// `BuildInfoTemplate`), once the image has been looked up.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImageFacts {
    /// `.SourceAMI`: the image id, `ami-...`.
    pub id: String,
    /// `.SourceAMIName`.
    pub name: String,
    /// `.SourceAMIOwner`: the owner's account id.
    pub owner: String,
    /// `.SourceAMIOwnerName`: the owner alias (`amazon`), empty when none.
    pub owner_name: String,
    /// `.SourceAMICreationDate`, as EC2 reports it.
    pub creation_date: String,
    /// `.SourceAMITags.KEY`.
    pub tags: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------
// The parsed form

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Action {
        offset: usize,
        /// The action as written, for render errors.
        source: String,
        expr: Expr,
    },
}

/// A pipeline after parsing: `a | f x` is stored as `f(x, a)`, because Go
/// passes the previous result as the last argument.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Str(String),
    Int(i64),
    Field(Field),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    BuildRegion,
    Image(ImageField),
    /// `.SourceAMITags` itself (prints as Go prints a map).
    Tags,
    /// `.SourceAMITags.KEY`.
    Tag(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ImageField {
    Id,
    Name,
    Owner,
    OwnerName,
    CreationDate,
}

/// The fields of the Amazon builder's build template data, in the order the
/// error messages list them.
const FIELDS: &[&str] = &[
    "BuildRegion",
    "SourceAMI",
    "SourceAMICreationDate",
    "SourceAMIName",
    "SourceAMIOwner",
    "SourceAMIOwnerName",
    "SourceAMITags",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Build,
    BuildName,
    BuildType,
    CleanResourceName,
    Index,
    Isotime,
    Lower,
    PackerVersion,
    Pwd,
    Replace,
    ReplaceAll,
    Split,
    Strftime,
    Timestamp,
    Upper,
    Uuid,
}

/// Static types: every value a template handles is one of these, so calls
/// are checked when parsing instead of failing halfway through a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Map,
}

impl Ty {
    fn article(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Map => "a map",
        }
    }
}

/// A supported function: its parameters (name, type) and how many trailing
/// ones may be left out.
struct Sig {
    name: &'static str,
    func: Func,
    params: &'static [(&'static str, Ty)],
    optional: usize,
}

/// The functions of packer-plugin-sdk's `FuncGens` that make sense here, the
/// Amazon plugin's `clean_resource_name`, and Go's `index` (the only way to
/// read a tag whose key is not an identifier). Alphabetical.
const FUNCS: &[Sig] = &[
    sig("build", Func::Build, &[("key", Ty::Str)], 0),
    sig("build_name", Func::BuildName, &[], 0),
    sig("build_type", Func::BuildType, &[], 0),
    sig(
        "clean_resource_name",
        Func::CleanResourceName,
        &[("s", Ty::Str)],
        0,
    ),
    sig(
        "index",
        Func::Index,
        &[("map", Ty::Map), ("key", Ty::Str)],
        0,
    ),
    sig("isotime", Func::Isotime, &[("layout", Ty::Str)], 1),
    sig("lower", Func::Lower, &[("s", Ty::Str)], 0),
    sig("packer_version", Func::PackerVersion, &[], 0),
    sig("pwd", Func::Pwd, &[], 0),
    sig(
        "replace",
        Func::Replace,
        &[
            ("old", Ty::Str),
            ("new", Ty::Str),
            ("n", Ty::Int),
            ("s", Ty::Str),
        ],
        0,
    ),
    sig(
        "replace_all",
        Func::ReplaceAll,
        &[("old", Ty::Str), ("new", Ty::Str), ("s", Ty::Str)],
        0,
    ),
    sig(
        "split",
        Func::Split,
        &[("s", Ty::Str), ("sep", Ty::Str), ("index", Ty::Int)],
        0,
    ),
    sig("strftime", Func::Strftime, &[("format", Ty::Str)], 0),
    sig("timestamp", Func::Timestamp, &[], 0),
    sig("upper", Func::Upper, &[("s", Ty::Str)], 0),
    sig("uuid", Func::Uuid, &[], 0),
];

const fn sig(
    name: &'static str,
    func: Func,
    params: &'static [(&'static str, Ty)],
    optional: usize,
) -> Sig {
    Sig {
        name,
        func,
        params,
        optional,
    }
}

/// Go's layout for `time.RFC3339`: what `{{isotime}}` uses without a layout.
const RFC3339_LAYOUT: &str = "2006-01-02T15:04:05Z07:00";

/// What Go's `text/template` prints for a map key that is absent (its
/// default `missingkey` behaviour, which Packer does not change).
const NO_VALUE: &str = "<no value>";

/// Go's `isSpace` in text/template's lexer: the only characters trim markers
/// remove and the only separators inside actions.
const SPACE: &[char] = &[' ', '\t', '\r', '\n'];

fn is_space(c: char) -> bool {
    SPACE.contains(&c)
}

// ---------------------------------------------------------------------------
// Parsing

/// Parses `text`; every `{{ }}` action is checked now (functions, fields,
/// argument counts and types) so that rendering can fail only on values that
/// are missing or refused at run time.
pub fn parse(text: &str) -> Result<Template, LegacyError> {
    let mut parts = Vec::new();
    let mut literal = true;
    let mut pos = 0;
    let mut trim_next = false;
    while let Some(rel) = text[pos..].find("{{") {
        let start = pos + rel;
        literal = false;
        let action = parse_action(text, start)?;
        let mut chunk = &text[pos..start];
        if trim_next {
            chunk = chunk.trim_start_matches(SPACE);
        }
        if action.trim_left {
            chunk = chunk.trim_end_matches(SPACE);
        }
        push_text(&mut parts, chunk);
        if let Some(expr) = action.expr {
            parts.push(Part::Action {
                offset: start,
                source: text[start..action.end].to_owned(),
                expr,
            });
        }
        trim_next = action.trim_right;
        pos = action.end;
    }
    let mut rest = &text[pos..];
    if trim_next {
        rest = rest.trim_start_matches(SPACE);
    }
    push_text(&mut parts, rest);
    Ok(Template { parts, literal })
}

fn push_text(parts: &mut Vec<Part>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Part::Text(t)) = parts.last_mut() {
        t.push_str(s);
    } else {
        parts.push(Part::Text(s.to_owned()));
    }
}

struct Action {
    end: usize,
    trim_left: bool,
    trim_right: bool,
    /// None for a comment.
    expr: Option<Expr>,
}

/// Returns where the action ends and whether the closing delimiter carries
/// a trim marker (` -}}`: one space character, then `-}}`, as in Go).
fn at_right_delim(text: &str, p: usize) -> Option<(usize, bool)> {
    let rest = &text[p..];
    let mut chars = rest.chars();
    if chars.next().is_some_and(is_space) && rest[1..].starts_with("-}}") {
        return Some((p + 4, true));
    }
    if rest.starts_with("}}") {
        return Some((p + 2, false));
    }
    None
}

fn parse_action(text: &str, start: usize) -> Result<Action, LegacyError> {
    let err = |message: String| LegacyError {
        offset: start,
        message,
    };
    let mut p = start + 2;
    // `{{-` trims only when a space follows; `{{-3}}` is the number -3.
    let trim_left =
        text[p..].starts_with('-') && text[p + 1..].chars().next().is_some_and(is_space);
    if trim_left {
        p += 2;
    }
    if text[p..].starts_with("/*") {
        let Some(close) = text[p + 2..].find("*/") else {
            return Err(err("unclosed comment".into()));
        };
        p += 2 + close + 2;
        return match at_right_delim(text, p) {
            Some((end, trim_right)) => Ok(Action {
                end,
                trim_left,
                trim_right,
                expr: None,
            }),
            None => Err(err(
                "comment ends before closing delimiter: write {{/* ... */}} with nothing after */"
                    .into(),
            )),
        };
    }
    let (tokens, end, trim_right) = lex_action(text, p).map_err(err)?;
    let expr = Parser { tokens, at: 0 }.action().map_err(err)?;
    Ok(Action {
        end,
        trim_left,
        trim_right,
        expr: Some(expr),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Pipe,
    LParen,
    RParen,
    Str(String),
    Int(i64),
    Field(Vec<String>),
    Ident(String),
}

const UNCLOSED: &str = "unclosed action: no `}}` follows; a literal `{{` is written {{\"{{\"}}";

/// Splits an action into tokens, up to and including its closing delimiter.
fn lex_action(text: &str, mut p: usize) -> Result<(Vec<Tok>, usize, bool), String> {
    let mut toks = Vec::new();
    loop {
        if let Some((end, trim_right)) = at_right_delim(text, p) {
            return Ok((toks, end, trim_right));
        }
        let rest = &text[p..];
        let Some(c) = rest.chars().next() else {
            return Err(UNCLOSED.into());
        };
        match c {
            c if is_space(c) => p += 1,
            '|' => {
                toks.push(Tok::Pipe);
                p += 1;
            }
            '(' => {
                toks.push(Tok::LParen);
                p += 1;
            }
            ')' => {
                toks.push(Tok::RParen);
                p += 1;
            }
            '"' => {
                let (s, len) = lex_quoted(rest)?;
                toks.push(Tok::Str(s));
                p += len;
            }
            '`' => {
                let Some(close) = rest[1..].find('`') else {
                    return Err("unterminated raw string: no closing backquote".into());
                };
                // Go's strconv.Unquote drops carriage returns from raw strings.
                toks.push(Tok::Str(rest[1..1 + close].replace('\r', "")));
                p += close + 2;
            }
            '\'' => {
                return Err(
                    "character constants like 'a' are not supported; write a string: \"a\"".into(),
                )
            }
            '.' => {
                let next = rest[1..].chars().next();
                if next.is_some_and(is_ident_start) {
                    let (chain, len) = lex_field(rest)?;
                    toks.push(Tok::Field(chain));
                    p += len;
                } else if next.is_some_and(|c| c.is_ascii_digit()) {
                    let (n, len) = lex_number(rest)?;
                    toks.push(Tok::Int(n));
                    p += len;
                } else {
                    return Err(format!(
                        "`.` (the whole template data) cannot be used here; read one field, such as {{{{ .SourceAMIName }}}}; fields are {}",
                        field_list()
                    ));
                }
            }
            '$' => {
                return Err(
                    "template variables ($x) are not supported; compute values in HCL (locals) instead"
                        .into(),
                )
            }
            '+' | '-' | '0'..='9' => {
                let (n, len) = lex_number(rest)?;
                toks.push(Tok::Int(n));
                p += len;
            }
            c if is_ident_start(c) => {
                let len = rest
                    .find(|c: char| !is_ident_char(c))
                    .unwrap_or(rest.len());
                let name = &rest[..len];
                let after = &rest[len..];
                if after.starts_with('.') && after[1..].chars().next().is_some_and(is_ident_start)
                {
                    return Err(format!(
                        "`{name}{}`: fields of a function's result are not supported",
                        after.split(|c: char| is_space(c) || c == '}').next().unwrap_or("")
                    ));
                }
                check_terminator(after)?;
                toks.push(Tok::Ident(name.to_owned()));
                p += len;
            }
            ':' | '=' => {
                return Err(
                    "variable declarations (:=, =) are not supported; compute values in HCL (locals) instead"
                        .into(),
                )
            }
            ',' => {
                return Err("`,` belongs to range actions, which are not supported".into());
            }
            other => return Err(format!("unrecognized character in action: {other:?}")),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Go requires a word to be followed by a space, `|`, `(`, `)` or the end of
/// the action: `upper"x"` is an error there, so it is here.
fn check_terminator(after: &str) -> Result<(), String> {
    match after.chars().next() {
        None => Ok(()),
        Some(c) if is_space(c) || "|()".contains(c) || after.starts_with("}}") => Ok(()),
        Some(c) => Err(format!("bad character {c:?} right after a name")),
    }
}

/// `.A.B.C` as one token; `rest` starts at the first dot.
fn lex_field(rest: &str) -> Result<(Vec<String>, usize), String> {
    let mut chain = Vec::new();
    let mut p = 0;
    while rest[p..].starts_with('.') {
        let name_start = p + 1;
        if !rest[name_start..]
            .chars()
            .next()
            .is_some_and(is_ident_start)
        {
            return Err(format!("bad field syntax: `{}`", &rest[..name_start]));
        }
        let len = rest[name_start..]
            .find(|c: char| !is_ident_char(c))
            .unwrap_or(rest.len() - name_start);
        chain.push(rest[name_start..name_start + len].to_owned());
        p = name_start + len;
    }
    check_terminator(&rest[p..])?;
    Ok((chain, p))
}

/// A Go number literal. Only integers are accepted: no function here takes
/// anything else, and printing a float would need Go's float formatting.
fn lex_number(rest: &str) -> Result<(i64, usize), String> {
    let bytes = rest.as_bytes();
    let mut p = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        p = 1;
    }
    while p < bytes.len() {
        let b = bytes[p];
        let exp_sign =
            matches!(b, b'+' | b'-') && matches!(bytes[p - 1], b'e' | b'E' | b'p' | b'P');
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exp_sign {
            p += 1;
        } else {
            break;
        }
    }
    let word = &rest[..p];
    check_terminator(&rest[p..]).map_err(|_| format!("bad number syntax: `{word}`"))?;
    let (neg, body) = match word.as_bytes()[0] {
        b'-' => (true, &word[1..]),
        b'+' => (false, &word[1..]),
        _ => (false, word),
    };
    let body = body.replace('_', "");
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_owned())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_owned())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_owned())
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        (8, lower[1..].to_owned())
    } else {
        (10, lower.clone())
    };
    let floaty = digits.contains('.')
        || (radix == 10 && digits.contains('e'))
        || (radix == 16 && digits.contains('p'))
        || digits.ends_with('i');
    if floaty {
        return Err(format!(
            "`{word}`: only integer numbers are supported in legacy templates"
        ));
    }
    let value = if digits.is_empty() {
        None
    } else {
        i64::from_str_radix(&digits, radix).ok()
    };
    let Some(value) = value else {
        return Err(format!("bad number syntax: `{word}`"));
    };
    Ok((if neg { -value } else { value }, p))
}

/// A double-quoted Go string with its escapes; `rest` starts at the quote.
/// Returns the value and the length consumed.
fn lex_quoted(rest: &str) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut it = rest.char_indices().skip(1).peekable();
    let unterminated = || "unterminated quoted string".to_string();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\n' => return Err(unterminated()),
            '\\' => {
                let Some((_, e)) = it.next() else {
                    return Err(unterminated());
                };
                let mut take = |n: usize, radix: u32| -> Result<u32, String> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        let d = it
                            .next()
                            .and_then(|(_, c)| c.to_digit(radix))
                            .ok_or_else(|| format!("invalid escape \\{e} in string"))?;
                        v = v * radix + d;
                    }
                    Ok(v)
                };
                let ch = match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    '\\' => '\\',
                    '"' => '"',
                    'x' | '0'..='7' => {
                        let v = if e == 'x' {
                            take(2, 16)?
                        } else {
                            e.to_digit(8).unwrap_or(0) * 64 + take(2, 8)?
                        };
                        if v > 0x7f {
                            return Err(format!(
                                "the byte escape for {v:#x} would not be valid UTF-8; write the character itself or use \\u"
                            ));
                        }
                        char::from(v as u8)
                    }
                    'u' | 'U' => {
                        let v = take(if e == 'u' { 4 } else { 8 }, 16)?;
                        char::from_u32(v).ok_or_else(|| {
                            format!("invalid escape \\{e}: {v:#x} is not a character")
                        })?
                    }
                    other => return Err(format!("invalid escape \\{other} in string")),
                };
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    Err(unterminated())
}

/// One word of a command, before it is resolved.
#[derive(Debug)]
enum Operand {
    Str(String),
    Int(i64),
    Field(Vec<String>),
    Ident(String),
    Paren(Expr),
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn action(mut self) -> Result<Expr, String> {
        let expr = self.pipeline()?;
        match self.peek() {
            None => Ok(expr),
            Some(Tok::RParen) => Err("unexpected `)`: no `(` is open".into()),
            Some(t) => Err(format!("unexpected {t:?} in action")),
        }
    }

    /// `command ('|' command)*`, up to `)` or the end of the action.
    fn pipeline(&mut self) -> Result<Expr, String> {
        let mut piped: Option<Expr> = None;
        let mut stage = 0;
        loop {
            stage += 1;
            let mut operands = Vec::new();
            while let Some(tok) = self.peek() {
                let operand = match tok {
                    Tok::Pipe | Tok::RParen => break,
                    Tok::Str(s) => Operand::Str(s.clone()),
                    Tok::Int(n) => Operand::Int(*n),
                    Tok::Field(f) => Operand::Field(f.clone()),
                    Tok::Ident(i) => Operand::Ident(i.clone()),
                    Tok::LParen => {
                        self.at += 1;
                        let inner = self.pipeline()?;
                        if self.peek() != Some(&Tok::RParen) {
                            return Err("unclosed `(`".into());
                        }
                        Operand::Paren(inner)
                    }
                };
                self.at += 1;
                operands.push(operand);
            }
            if operands.is_empty() {
                return Err(if stage > 1 {
                    "missing command after `|`".into()
                } else if self.peek() == Some(&Tok::RParen) {
                    "missing value for command: legacy functions are called without parentheses, \
                     as in {{ timestamp }} or {{ upper (build_name) }}"
                        .into()
                } else {
                    "missing value for command: the action is empty".into()
                });
            }
            piped = Some(command(operands, piped, stage)?);
            if self.peek() == Some(&Tok::Pipe) {
                self.at += 1;
            } else {
                break;
            }
        }
        Ok(piped.expect("a pipeline has at least one command"))
    }
}

/// One command of a pipeline: a function call (with the previous stage's
/// value as its last argument) or a lone value.
fn command(operands: Vec<Operand>, piped: Option<Expr>, stage: usize) -> Result<Expr, String> {
    let mut operands = operands.into_iter();
    let first = operands.next().expect("commands are not empty");
    if let Operand::Ident(name) = first {
        let mut args = operands.map(argument).collect::<Result<Vec<_>, _>>()?;
        args.extend(piped);
        return call(&name, args);
    }
    let what = describe(&first);
    if piped.is_some() {
        return Err(format!(
            "{what} in pipeline stage {stage} is not a function, so it cannot take the value piped into it"
        ));
    }
    if operands.len() > 0 {
        return Err(format!(
            "{what} is not a function, so it cannot take arguments"
        ));
    }
    argument(first)
}

fn describe(op: &Operand) -> String {
    match op {
        Operand::Str(s) => format!("the string {s:?}"),
        Operand::Int(n) => format!("the number {n}"),
        Operand::Field(f) => format!("the field `.{}`", f.join(".")),
        Operand::Ident(i) => format!("`{i}`"),
        Operand::Paren(_) => "a parenthesized pipeline".into(),
    }
}

/// A word used as a value. A bare function name is a call without arguments,
/// as in Go: `{{ split build_name "-" 0 }}`.
fn argument(op: Operand) -> Result<Expr, String> {
    Ok(match op {
        Operand::Str(s) => Expr::Str(s),
        Operand::Int(n) => Expr::Int(n),
        Operand::Field(chain) => Expr::Field(field(&chain)?),
        Operand::Ident(name) => call(&name, Vec::new())?,
        Operand::Paren(e) => e,
    })
}

fn field_list() -> String {
    FIELDS
        .iter()
        .map(|f| format!(".{f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn field(chain: &[String]) -> Result<Field, String> {
    let head = chain[0].as_str();
    let image = |f| {
        if chain.len() > 1 {
            Err(format!(
                "`.{head}` is a string; it has no field `.{}`",
                chain[1]
            ))
        } else {
            Ok(Field::Image(f))
        }
    };
    match head {
        "BuildRegion" if chain.len() == 1 => Ok(Field::BuildRegion),
        "BuildRegion" => Err(format!(
            "`.BuildRegion` is a string; it has no field `.{}`",
            chain[1]
        )),
        "SourceAMI" => image(ImageField::Id),
        "SourceAMIName" => image(ImageField::Name),
        "SourceAMIOwner" => image(ImageField::Owner),
        "SourceAMIOwnerName" => image(ImageField::OwnerName),
        "SourceAMICreationDate" => image(ImageField::CreationDate),
        "SourceAMITags" => match chain {
            [_] => Ok(Field::Tags),
            [_, key] => Ok(Field::Tag(key.clone())),
            [_, key, next, ..] => Err(format!(
                "`.SourceAMITags.{key}` is a string; it has no field `.{next}`"
            )),
            [] => unreachable!("field chains are not empty"),
        },
        other => {
            let mut msg = format!(
                "`.{other}` is not a field of the amazon-ebs build template data; fields are {}",
                field_list()
            );
            if let Some(near) = FIELDS.iter().find(|f| f.eq_ignore_ascii_case(other)) {
                msg.push_str(&format!(
                    " (did you mean `.{near}`? field names are case-sensitive)"
                ));
            }
            Err(msg)
        }
    }
}

fn function_list() -> String {
    FUNCS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// A string literal argument, for hints that can name what the user wrote.
fn literal_arg(args: &[Expr]) -> Option<&str> {
    match args.first() {
        Some(Expr::Str(s)) => Some(s),
        _ => None,
    }
}

/// Functions Packer has that are refused here, with why and what to write
/// instead. None when `name` is not one of them.
fn refused(name: &str, args: &[Expr]) -> Option<String> {
    let var = literal_arg(args).unwrap_or("NAME");
    Some(match name {
        "template_dir" => "`template_dir` is not available in amibake recipes: Packer fills it from a \
             JSON template's path, and an HCL recipe has `path.root` for that; write \"${path.root}\" \
             instead"
            .into(),
        "env" => format!(
            "`env` is refused: Packer allows it only in variable defaults of JSON templates, so \
             the environment cannot leak into names and tags; read it in an HCL variable default, \
             variable \"{}\" {{ default = env(\"{var}\") }}, and write ${{var.{}}} here",
            var.to_ascii_lowercase(),
            var.to_ascii_lowercase()
        ),
        "user" => format!(
            "`user` reads JSON template user variables; in an HCL recipe write ${{var.{var}}} instead"
        ),
        "aws_secretsmanager" | "aws_secretsmanager_raw" => format!(
            "`{name}` is refused: Packer allows it only in the variables section of JSON templates; \
             read the secret in an HCL variable default with aws_secretsmanager(\"{var}\", \"key\") \
             and write ${{var.NAME}} here"
        ),
        "vault" | "consul_key" => format!(
            "`{name}` is refused: Packer allows it only in the variables section of JSON templates; \
             read the value in an HCL variable default and write ${{var.NAME}} here"
        ),
        "sed" => "`sed` was removed from Packer (it always fails there); use `replace` or \
             `replace_all`"
            .into(),
        "clean_ami_name" => "`clean_ami_name` was renamed `clean_resource_name` (Packer's `packer \
             fix` makes that change)"
            .into(),
        "and" | "call" | "html" | "js" | "len" | "not" | "or" | "print" | "printf" | "println"
        | "urlquery" | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "slice" => format!(
            "`{name}` is a Go template builtin that legacy templates here do not support; compute \
             the value in HCL (format(), ...) instead"
        ),
        "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break"
        | "continue" => format!(
            "`{name}` actions are not supported in legacy templates; use HCL conditionals and \
             `for` expressions instead"
        ),
        "true" | "false" | "nil" => format!("`{name}` is not a value any legacy function takes"),
        _ => return None,
    })
}

/// Resolves a function call and checks its arguments' count and types.
fn call(name: &str, args: Vec<Expr>) -> Result<Expr, String> {
    let Some(sig) = FUNCS.iter().find(|s| s.name == name) else {
        if let Some(msg) = refused(name, &args) {
            return Err(msg);
        }
        let mut msg = format!(
            "function `{name}` is not defined; legacy functions are {}",
            function_list()
        );
        let folded = |s: &str| s.replace('_', "").to_ascii_lowercase();
        if let Some(near) = FUNCS.iter().find(|s| folded(s.name) == folded(name)) {
            msg.push_str(&format!(" (did you mean `{}`?)", near.name));
        }
        return Err(msg);
    };
    let max = sig.params.len();
    let min = max - sig.optional;
    if args.len() < min || args.len() > max {
        let names = sig
            .params
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ");
        let takes = match (min, max) {
            (0, 0) => "no arguments".to_owned(),
            (a, b) if a == b => format!("{a} ({names})"),
            (a, b) => format!("{a} to {b} ({names})"),
        };
        return Err(format!(
            "wrong number of arguments for `{name}`: it takes {takes}, got {}{}",
            args.len(),
            if max == 0 && !args.is_empty() {
                "; a value piped into a function counts as its last argument"
            } else {
                ""
            }
        ));
    }
    for (i, (arg, (pname, want))) in args.iter().zip(sig.params).enumerate() {
        let got = ty_of(arg);
        if got != *want {
            return Err(format!(
                "argument {} of `{name}` ({pname}) must be {}, got {}",
                i + 1,
                want.article(),
                got.article()
            ));
        }
    }
    Ok(Expr::Call(sig.func, args))
}

fn ty_of(e: &Expr) -> Ty {
    match e {
        Expr::Str(_) | Expr::Call(..) => Ty::Str,
        Expr::Int(_) => Ty::Int,
        Expr::Field(Field::Tags) => Ty::Map,
        Expr::Field(_) => Ty::Str,
    }
}

// ---------------------------------------------------------------------------
// Queries and rendering

impl Template {
    /// No actions at all (not even a comment): the text renders to itself,
    /// so callers can use the string as it is.
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// Uses values known only during a build: the Amazon builder's template
    /// data (`.SourceAMI...`, `.BuildRegion`) or ``build `X` ``. Such strings are
    /// rendered once the source image is resolved, not at load.
    pub fn needs_build(&self) -> bool {
        fn uses(e: &Expr) -> bool {
            match e {
                Expr::Field(_) | Expr::Call(Func::Build, _) => true,
                Expr::Call(_, args) => args.iter().any(uses),
                Expr::Str(_) | Expr::Int(_) => false,
            }
        }
        self.parts.iter().any(|p| match p {
            Part::Action { expr, .. } => uses(expr),
            Part::Text(_) => false,
        })
    }

    /// Renders with `ctx`. Errors name the action and the value it needed
    /// (a source image not looked up yet, an absent build variable, ...).
    pub fn render(&self, ctx: &LegacyContext) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Action { source, expr, .. } => {
                    let v = eval(expr, ctx).map_err(|e| format!("{source}: {e}"))?;
                    v.write_to(&mut out);
                }
            }
        }
        Ok(out)
    }
}

enum Val<'a> {
    Str(String),
    Int(i64),
    Map(&'a BTreeMap<String, String>),
}

impl Val<'_> {
    /// Prints as Go's `text/template` does: strings as they are, integers in
    /// decimal, maps as `map[k1:v1 k2:v2]` with sorted keys.
    fn write_to(&self, out: &mut String) {
        match self {
            Val::Str(s) => out.push_str(s),
            Val::Int(n) => out.push_str(&n.to_string()),
            Val::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    out.push_str(v);
                }
                out.push(']');
            }
        }
    }
}

/// Argument accessors: parsing checked the types, so a mismatch here is a
/// bug in this module, reported rather than panicking.
fn str_arg(args: &[Val<'_>], i: usize) -> Result<String, String> {
    match args.get(i) {
        Some(Val::Str(s)) => Ok(s.clone()),
        _ => Err(format!(
            "internal error: argument {} is not a string",
            i + 1
        )),
    }
}

fn int_arg(args: &[Val<'_>], i: usize) -> Result<i64, String> {
    match args.get(i) {
        Some(Val::Int(n)) => Ok(*n),
        _ => Err(format!(
            "internal error: argument {} is not an integer",
            i + 1
        )),
    }
}

fn image<'a>(ctx: &'a LegacyContext, field: &str) -> Result<&'a ImageFacts, String> {
    ctx.image
        .as_ref()
        .ok_or_else(|| format!("`.{field}` is known only once the source image has been looked up"))
}

fn eval<'a>(e: &Expr, ctx: &'a LegacyContext) -> Result<Val<'a>, String> {
    Ok(match e {
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Int(n) => Val::Int(*n),
        Expr::Field(Field::BuildRegion) => Val::Str(ctx.build_region.clone().ok_or_else(|| {
            "`.BuildRegion` is known only during a build, once the region is chosen".to_string()
        })?),
        Expr::Field(Field::Image(f)) => {
            let (name, get): (&str, fn(&ImageFacts) -> &String) = match f {
                ImageField::Id => ("SourceAMI", |i| &i.id),
                ImageField::Name => ("SourceAMIName", |i| &i.name),
                ImageField::Owner => ("SourceAMIOwner", |i| &i.owner),
                ImageField::OwnerName => ("SourceAMIOwnerName", |i| &i.owner_name),
                ImageField::CreationDate => ("SourceAMICreationDate", |i| &i.creation_date),
            };
            Val::Str(get(image(ctx, name)?).clone())
        }
        Expr::Field(Field::Tags) => Val::Map(&image(ctx, "SourceAMITags")?.tags),
        // Go prints "<no value>" for a key the map lacks; Packer keeps that.
        Expr::Field(Field::Tag(k)) => Val::Str(
            image(ctx, &format!("SourceAMITags.{k}"))?
                .tags
                .get(k)
                .cloned()
                .unwrap_or_else(|| NO_VALUE.to_owned()),
        ),
        Expr::Call(f, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Val::Str(apply(*f, &args, ctx)?)
        }
    })
}

fn apply(f: Func, args: &[Val<'_>], ctx: &LegacyContext) -> Result<String, String> {
    // Packer's InitTime is UTC; formatting functions see the same.
    let utc = ctx.start.to_offset(UtcOffset::UTC);
    let known = |what: &str, v: &str| {
        if v.is_empty() {
            Err(format!("{what} is not available in this context"))
        } else {
            Ok(v.to_owned())
        }
    };
    match f {
        Func::Timestamp => Ok(ctx.start.unix_timestamp().to_string()),
        Func::Isotime => {
            let layout = if args.is_empty() {
                RFC3339_LAYOUT.to_owned()
            } else {
                str_arg(args, 0)?
            };
            crate::recipe::lang::functions::go_layout(&layout, utc)
                .into_result()
                .map_err(|e| format!("isotime: {e}"))
        }
        Func::Strftime => crate::recipe::lang::functions::strftime(&str_arg(args, 0)?, utc)
            .into_result()
            .map_err(|e| format!("strftime: {e}")),
        Func::Uuid => Ok(time_ordered_uuid()),
        Func::BuildName => known("build_name", &ctx.build_name),
        Func::BuildType => known("build_type", &ctx.build_type),
        Func::PackerVersion => known("packer_version", &ctx.packer_version),
        Func::Pwd => std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .map_err(|e| format!("pwd: cannot read the working directory: {e}")),
        Func::CleanResourceName => Ok(clean_resource_name(&str_arg(args, 0)?)),
        Func::Lower => Ok(go_lower(&str_arg(args, 0)?)),
        Func::Upper => Ok(go_upper(&str_arg(args, 0)?)),
        Func::Replace => {
            let (old, new, n, s) = (
                str_arg(args, 0)?,
                str_arg(args, 1)?,
                int_arg(args, 2)?,
                str_arg(args, 3)?,
            );
            // Go's strings.Replace: a negative count means all.
            Ok(if n < 0 {
                s.replace(&old, &new)
            } else {
                s.replacen(&old, &new, usize::try_from(n).unwrap_or(usize::MAX))
            })
        }
        Func::ReplaceAll => {
            let (old, new, s) = (str_arg(args, 0)?, str_arg(args, 1)?, str_arg(args, 2)?);
            Ok(s.replace(&old, &new))
        }
        Func::Split => split(&str_arg(args, 0)?, &str_arg(args, 1)?, int_arg(args, 2)?),
        Func::Build => {
            let key = str_arg(args, 0)?;
            ctx.build_vars.get(&key).cloned().ok_or_else(|| {
                if ctx.build_vars.is_empty() {
                    format!("build variable `{key}` is known only during a build")
                } else {
                    format!(
                        "build variable `{key}` does not exist; this build has {}",
                        ctx.build_vars
                            .keys()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            })
        }
        Func::Index => match (args.first(), args.get(1)) {
            // Go's `index` gives the zero value for an absent key.
            (Some(Val::Map(m)), Some(Val::Str(k))) => Ok(m.get(k).cloned().unwrap_or_default()),
            _ => Err("internal error: index takes a map and a key".into()),
        },
    }
}

/// The formatting functions live in the HCL function library and may say
/// "cannot fail" (a `String`, as Go's formatters) or leave room for errors (a
/// `Result`); this accepts either, so the two modules can evolve apart.
trait Formatted {
    fn into_result(self) -> Result<String, String>;
}

impl Formatted for String {
    fn into_result(self) -> Result<String, String> {
        Ok(self)
    }
}

impl Formatted for Result<String, String> {
    fn into_result(self) -> Result<String, String> {
        self
    }
}

/// The Amazon plugin's rule: every byte that is not an ASCII letter or digit
/// or one of `( ) [ ] space . / - ' @ _` (what EC2 allows in AMI names)
/// becomes `-`. Byte by byte, as Packer does, so a two-byte character gives
/// two dashes.
fn clean_resource_name(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"()[] ./-'@_".contains(&b) {
                char::from(b)
            } else {
                '-'
            }
        })
        .collect()
}

/// Go's `strings.Split(s, sep)[i]` with Packer's error when there are too few
/// pieces. An empty separator splits into characters, as in Go.
fn split(s: &str, sep: &str, i: i64) -> Result<String, String> {
    let pieces: Vec<&str> = if sep.is_empty() {
        s.char_indices()
            .map(|(at, c)| &s[at..at + c.len_utf8()])
            .collect()
    } else {
        s.split(sep).collect()
    };
    usize::try_from(i)
        .ok()
        .and_then(|i| pieces.get(i))
        .map(|p| (*p).to_owned())
        .ok_or_else(|| {
            format!(
                "the substring {i} was unavailable using the separator value, {sep}, only {} values were found",
                pieces.len()
            )
        })
}

/// Go maps each character to one character (simple case mapping); where
/// Rust's full mapping gives several, the character is kept, which is what
/// Go does for nearly all of them.
fn go_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            if !upper && c == '\u{130}' {
                return 'i';
            }
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn go_lower(s: &str) -> String {
    go_case(s, false)
}

fn go_upper(s: &str) -> String {
    go_case(s, true)
}

/// packer-plugin-sdk's `TimeOrderedUUID`: the current Unix time as the first
/// 32 bits (so names sort by creation), then 96 random bits, printed as
/// `8-4-4-4-12` hex. Not an RFC 4122 UUID, like Packer's.
fn time_ordered_uuid() -> String {
    let unix = OffsetDateTime::now_utc().unix_timestamp() as u32;
    let r = uuid::Uuid::new_v4();
    let b = r.as_bytes();
    // Skip bytes 6 and 8, which carry the v4 version and variant bits.
    let rnd = [
        b[0], b[1], b[2], b[3], b[4], b[5], b[7], b[9], b[10], b[11], b[12], b[13],
    ];
    let hex = |bs: &[u8]| bs.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{unix:08x}-{}-{}-{}-{}",
        hex(&rnd[0..2]),
        hex(&rnd[2..4]),
        hex(&rnd[4..6]),
        hex(&rnd[6..12])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ctx() -> LegacyContext {
        LegacyContext {
            start: datetime!(2017-10-18 02:06:30 UTC),
            build_name: "foo-bar".into(),
            build_type: "amazon-ebs".into(),
            build_region: Some("eu-central-1".into()),
            image: Some(ImageFacts {
                id: "ami-0123456789abcdef0".into(),
                name: "ubuntu/images/ubuntu-jammy-22.04-amd64-server-20240101".into(),
                owner: "099720109477".into(),
                owner_name: "amazon".into(),
                creation_date: "2024-01-01T00:00:00.000Z".into(),
                tags: BTreeMap::from([
                    ("Name".to_string(), "base".to_string()),
                    ("aws:team".to_string(), "platform".to_string()),
                ]),
            }),
            build_vars: BTreeMap::from([
                ("ID".to_string(), "i-0abc".to_string()),
                ("PackerRunUUID".to_string(), "run-1".to_string()),
            ]),
            packer_version: "1.11.2".into(),
        }
    }

    fn render(text: &str) -> String {
        parse(text)
            .unwrap_or_else(|e| panic!("parse {text:?}: {e}"))
            .render(&ctx())
            .unwrap_or_else(|e| panic!("render {text:?}: {e}"))
    }

    fn render_err(text: &str, c: &LegacyContext) -> String {
        parse(text)
            .unwrap_or_else(|e| panic!("parse {text:?}: {e}"))
            .render(c)
            .expect_err("render should fail")
    }

    fn parse_err(text: &str) -> LegacyError {
        parse(text).expect_err("parse should fail")
    }

    fn utc() -> OffsetDateTime {
        ctx().start
    }

    // --- text, literals and positions

    #[test]
    fn plain_text_is_literal() {
        let t = parse("just text }} with braces }").unwrap();
        assert!(t.is_literal());
        assert!(!t.needs_build());
        assert_eq!(t.render(&ctx()).unwrap(), "just text }} with braces }");
        assert!(parse("").unwrap().is_literal());
        assert_eq!(parse("").unwrap().render(&ctx()).unwrap(), "");
    }

    #[test]
    fn any_action_makes_it_non_literal() {
        assert!(!parse("a {{timestamp}}").unwrap().is_literal());
        assert!(!parse("a {{/* note */}}").unwrap().is_literal());
        assert!(!parse(r#"{{"{{"}}"#).unwrap().is_literal());
    }

    #[test]
    fn literal_braces_are_written_as_string_actions() {
        assert_eq!(render(r#"a {{"{{"}} b {{"}}"}}"#), "a {{ b }}");
        assert_eq!(render("{{`{{`}}timestamp}}"), "{{timestamp}}");
    }

    #[test]
    fn error_offset_is_where_the_action_starts() {
        let e = parse_err("web {{timestamp}} {{ nope }}");
        assert_eq!(e.offset, 18);
        assert!(e.message.contains("`nope`"), "{}", e.message);
        // Multi-byte text before the action: byte offsets, not characters.
        let e = parse_err("é {{ .Nope }}");
        assert_eq!(e.offset, 3);
        let e = parse_err("abc {{ timestamp");
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("unclosed action"), "{}", e.message);
        assert!(e.message.contains(r#"{{"{{"}}"#), "{}", e.message);
        assert!(e.to_string().contains("at byte 4"));
    }

    #[test]
    fn empty_actions_and_stray_parens() {
        assert!(parse_err("{{}}").message.contains("missing value"));
        assert!(parse_err("{{   }}").message.contains("missing value"));
        let e = parse_err("{{ timestamp() }}");
        assert!(e.message.contains("without parentheses"), "{}", e.message);
        assert!(parse_err("{{ timestamp ) }}").message.contains("`)`"));
        assert!(parse_err("{{ upper (build_name }}")
            .message
            .contains("unclosed `(`"));
        assert!(parse_err("{{ timestamp | }}")
            .message
            .contains("missing command after `|`"));
    }

    #[test]
    fn multi_line_actions_and_delimiters_in_strings() {
        assert_eq!(render("{{\n  upper\n  \"x\"\n}}"), "X");
        assert_eq!(render(r#"{{ "a }} b" }}"#), "a }} b");
    }

    // --- trim markers and comments

    #[test]
    fn trim_markers_remove_surrounding_whitespace() {
        assert_eq!(render("a  \n\t{{- build_name -}} \r\n b"), "afoo-barb");
        assert_eq!(render("a  {{- build_name }}  b"), "afoo-bar  b");
        assert_eq!(render("a  {{ build_name -}}  b"), "a  foo-barb");
        // The trim reaches across an action into text only, not into values.
        assert_eq!(render("{{ \" x \" -}}  y"), " x y");
    }

    #[test]
    fn a_dash_without_space_is_a_number_not_a_trim() {
        assert_eq!(render("a {{-3}} b"), "a -3 b");
        assert_eq!(render("a {{ 3}}"), "a 3");
    }

    #[test]
    fn comments_render_to_nothing() {
        assert_eq!(render("a{{/* note */}}b"), "ab");
        assert_eq!(render("a {{- /* note */ -}} b"), "ab");
        assert_eq!(render("a{{/* }} */}}b"), "ab");
        assert!(parse_err("{{/* open").message.contains("unclosed comment"));
        assert!(parse_err("{{/* c */ timestamp}}")
            .message
            .contains("comment ends before closing delimiter"));
        // Go recognizes a comment only right after the delimiter.
        assert!(parse_err("{{ /* c */ }}").message.contains("unrecognized"));
    }

    // --- literals

    #[test]
    fn string_escapes_follow_go() {
        assert_eq!(render(r#"{{ "a\tb\n\\\"" }}"#), "a\tb\n\\\"");
        assert_eq!(render(r#"{{ "\x41\101\u00e9\U0001F600" }}"#), "AAé😀");
        assert_eq!(render(r#"{{ "\a\b\f\v\r" }}"#), "\u{7}\u{8}\u{c}\u{b}\r");
        assert!(parse_err(r#"{{ "\q" }}"#)
            .message
            .contains("invalid escape"));
        assert!(parse_err(r#"{{ "\'" }}"#)
            .message
            .contains("invalid escape"));
        assert!(parse_err(r#"{{ "\xff" }}"#).message.contains("UTF-8"));
        assert!(parse_err(r#"{{ "\ud800" }}"#)
            .message
            .contains("not a character"));
        assert!(parse_err("{{ \"abc }}").message.contains("unterminated"));
        assert!(parse_err("{{ \"a\nb\" }}").message.contains("unterminated"));
    }

    #[test]
    fn raw_strings_keep_backslashes_and_drop_carriage_returns() {
        assert_eq!(render(r"{{ `a\nb` }}"), r"a\nb");
        assert_eq!(render("{{ `a\r\nb` }}"), "a\nb");
        assert!(parse_err("{{ `abc }}").message.contains("raw string"));
    }

    #[test]
    fn integers_print_in_decimal() {
        assert_eq!(render("{{ 42 }}"), "42");
        assert_eq!(render("{{ 0x10 }}"), "16");
        assert_eq!(
            render("{{ 0o17 }} {{ 017 }} {{ 0b11 }} {{ 1_000 }}"),
            "15 15 3 1000"
        );
        assert_eq!(render("{{ +5 }}"), "5");
        assert!(parse_err("{{ 1.5 }}").message.contains("only integer"));
        assert!(parse_err("{{ 1e3 }}").message.contains("only integer"));
        assert!(parse_err("{{ 12ab }}").message.contains("bad number"));
        assert!(parse_err("{{ - }}").message.contains("bad number"));
        assert!(parse_err("{{ 99999999999999999999 }}")
            .message
            .contains("bad number"));
    }

    #[test]
    fn unsupported_syntax_is_named() {
        assert!(parse_err("{{ 'a' }}")
            .message
            .contains("character constants"));
        assert!(parse_err("{{ $x := 1 }}").message.contains("variables"));
        assert!(parse_err("{{ x := 1 }}").message.contains(":="));
        assert!(parse_err("{{ . }}").message.contains("whole template data"));
        assert!(parse_err("{{ @ }}")
            .message
            .contains("unrecognized character"));
        assert!(parse_err("{{ upper\"x\" }}")
            .message
            .contains("bad character"));
        assert!(parse_err("{{ build_name.Foo }}")
            .message
            .contains("fields of a function's result"));
        for kw in ["if", "range", "with", "end", "define", "template", "block"] {
            let e = parse_err(&format!("{{{{ {kw} }}}}"));
            assert!(e.message.contains("not supported"), "{kw}: {}", e.message);
        }
        assert!(parse_err("{{ true }}").message.contains("not a value"));
    }

    // --- fields

    #[test]
    fn every_field_renders() {
        assert_eq!(render("{{ .BuildRegion }}"), "eu-central-1");
        assert_eq!(render("{{ .SourceAMI }}"), "ami-0123456789abcdef0");
        assert_eq!(
            render("{{ .SourceAMIName }}"),
            "ubuntu/images/ubuntu-jammy-22.04-amd64-server-20240101"
        );
        assert_eq!(render("{{ .SourceAMIOwner }}"), "099720109477");
        assert_eq!(render("{{ .SourceAMIOwnerName }}"), "amazon");
        assert_eq!(
            render("{{ .SourceAMICreationDate }}"),
            "2024-01-01T00:00:00.000Z"
        );
        assert_eq!(render("{{ .SourceAMITags.Name }}"), "base");
        assert_eq!(
            render("{{ .SourceAMITags }}"),
            "map[Name:base aws:team:platform]"
        );
    }

    #[test]
    fn absent_tags_print_like_go() {
        // Field syntax: Go's "<no value>"; index: the empty string.
        assert_eq!(render("[{{ .SourceAMITags.Missing }}]"), "[<no value>]");
        assert_eq!(render(r#"[{{ index .SourceAMITags "Missing" }}]"#), "[]");
        assert_eq!(
            render(r#"{{ index .SourceAMITags "aws:team" }}"#),
            "platform"
        );
        let mut c = ctx();
        c.image.as_mut().unwrap().tags.clear();
        assert_eq!(
            parse("{{ .SourceAMITags }}").unwrap().render(&c).unwrap(),
            "map[]"
        );
    }

    #[test]
    fn unknown_and_misused_fields_are_parse_errors() {
        let e = parse_err("x {{ .SourceAmi }}");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("`.SourceAmi`"), "{}", e.message);
        assert!(e.message.contains(".SourceAMITags"), "{}", e.message);
        assert!(
            e.message.contains("did you mean `.SourceAMI`"),
            "{}",
            e.message
        );
        assert!(parse_err("{{ .Name }}").message.contains(".BuildRegion"));
        assert!(parse_err("{{ .SourceAMI.Foo }}")
            .message
            .contains("is a string"));
        assert!(parse_err("{{ .BuildRegion.Foo }}")
            .message
            .contains("is a string"));
        assert!(parse_err("{{ .SourceAMITags.A.B }}")
            .message
            .contains("is a string"));
        assert!(parse_err("{{ .SourceAMI. }}").message.contains("bad field"));
        assert!(parse_err("{{ .SourceAMI \"x\" }}")
            .message
            .contains("cannot take arguments"));
    }

    #[test]
    fn missing_image_facts_fail_at_render() {
        let mut c = ctx();
        c.image = None;
        for f in [
            "SourceAMI",
            "SourceAMIName",
            "SourceAMIOwner",
            "SourceAMIOwnerName",
            "SourceAMICreationDate",
            "SourceAMITags",
            "SourceAMITags.Name",
        ] {
            let e = render_err(&format!("n {{{{ .{f} }}}}"), &c);
            assert!(e.contains(&format!("`.{f}`")), "{e}");
            assert!(e.contains("source image"), "{e}");
            assert!(e.starts_with(&format!("{{{{ .{f} }}}}:")), "{e}");
        }
        // Values that do not need the image still render.
        assert_eq!(
            parse("{{timestamp}}").unwrap().render(&c).unwrap(),
            "1508292390"
        );
        c.build_region = None;
        assert!(render_err("{{ .BuildRegion }}", &c).contains("`.BuildRegion`"));
    }

    // --- needs_build

    #[test]
    fn needs_build_sees_fields_and_build_anywhere() {
        let nb = |s: &str| parse(s).unwrap().needs_build();
        assert!(!nb(
            "web-{{timestamp}}-{{ isotime \"2006\" | clean_resource_name }}"
        ));
        assert!(!nb("{{ upper build_name }}"));
        assert!(nb("{{ .BuildRegion }}"));
        assert!(nb("{{ .SourceAMIName | clean_resource_name }}"));
        assert!(nb("x {{ upper (lower .SourceAMITags.Name) }}"));
        assert!(nb("{{ build `ID` }}"));
        assert!(nb("{{ \"ID\" | build | upper }}"));
        assert!(nb(r#"{{ index .SourceAMITags "k" }}"#));
    }

    // --- functions

    #[test]
    fn timestamp_is_the_start_in_unix_seconds() {
        assert_eq!(render("{{timestamp}}"), "1508292390");
        let mut c = ctx();
        c.start = datetime!(2017-10-18 04:06:30 +02:00);
        assert_eq!(
            parse("{{ timestamp }}").unwrap().render(&c).unwrap(),
            "1508292390"
        );
    }

    #[test]
    fn isotime_formats_the_start_in_utc() {
        let expected = crate::recipe::lang::functions::go_layout(RFC3339_LAYOUT, utc()).unwrap();
        assert_eq!(render("{{isotime}}"), expected);
        assert_eq!(render("{{ isotime `2006` }}"), "2017");
        assert_eq!(render("{{ \"2006\" | isotime }}"), "2017");
        // A start in another offset is formatted in UTC, as Packer's InitTime.
        let mut c = ctx();
        c.start = datetime!(2018-01-01 01:00:00 +03:00);
        assert_eq!(
            parse("{{ isotime `2006` }}").unwrap().render(&c).unwrap(),
            "2017"
        );
        assert!(parse_err("{{ isotime `2006` `01` }}")
            .message
            .contains("0 to 1 (layout)"));
        assert!(parse_err("{{ isotime 2006 }}")
            .message
            .contains("must be a string"));
    }

    #[test]
    fn strftime_formats_the_start() {
        assert_eq!(render("{{ strftime \"%Y\" }}"), "2017");
        assert!(parse_err("{{ strftime }}").message.contains("wrong number"));
        assert!(parse_err("{{ strftime 1 }}")
            .message
            .contains("must be a string"));
    }

    #[test]
    fn uuid_is_time_ordered() {
        let re =
            regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
                .unwrap();
        let a = render("{{uuid}}");
        let b = render("{{ uuid }}");
        assert!(re.is_match(&a), "{a}");
        assert_ne!(a, b);
        let secs = u32::from_str_radix(&a[..8], 16).unwrap() as i64;
        assert!((OffsetDateTime::now_utc().unix_timestamp() - secs).abs() < 60);
    }

    #[test]
    fn build_name_type_and_version() {
        assert_eq!(
            render("{{build_name}}/{{build_type}}/{{packer_version}}"),
            "foo-bar/amazon-ebs/1.11.2"
        );
        let mut c = ctx();
        c.build_name.clear();
        c.packer_version.clear();
        c.build_type.clear();
        assert!(render_err("{{build_name}}", &c).contains("build_name is not available"));
        assert!(render_err("{{packer_version}}", &c).contains("packer_version"));
        assert!(render_err("{{build_type}}", &c).contains("build_type"));
        assert_eq!(LegacyContext::default().build_type, "amazon-ebs");
        assert!(parse_err("{{ build_name \"x\" }}")
            .message
            .contains("no arguments"));
    }

    #[test]
    fn pwd_is_the_working_directory() {
        let wd = std::env::current_dir().unwrap();
        assert_eq!(render("{{pwd}}"), wd.to_string_lossy());
    }

    #[test]
    fn clean_resource_name_follows_the_amazon_plugin() {
        // The Amazon plugin's own test vector.
        assert_eq!(
            render(r#"{{ clean_resource_name "AMZamz09()./-_:&^ $%[]#'@" }}"#),
            "AMZamz09()./-_--- --[]-'@"
        );
        // Byte by byte: é is two bytes.
        assert_eq!(render(r#"{{ "café" | clean_resource_name }}"#), "caf--");
        let expected = crate::recipe::lang::functions::go_layout(RFC3339_LAYOUT, utc())
            .unwrap()
            .replace(':', "-");
        assert_eq!(
            render("mybuild-{{isotime | clean_resource_name}}"),
            format!("mybuild-{expected}")
        );
        assert!(!render("{{isotime | clean_resource_name}}").contains(':'));
    }

    #[test]
    fn lower_and_upper() {
        assert_eq!(render(r#"{{ lower "AbC-É" }}"#), "abc-é");
        assert_eq!(render(r#"{{ "AbC-é" | upper }}"#), "ABC-É");
        // Go keeps ß (no single-character upper case); İ lowers to i.
        assert_eq!(render(r#"{{ upper "ß" }} {{ lower "İ" }}"#), "ß i");
        assert!(parse_err("{{ upper 3 }}")
            .message
            .contains("must be a string"));
        assert!(parse_err("{{ upper }}").message.contains("wrong number"));
    }

    #[test]
    fn replace_and_replace_all_as_packer_tests_them() {
        assert_eq!(
            render(r#"{{ "foo-bar-baz" | replace "-" "/" 1}}"#),
            "foo/bar-baz"
        );
        assert_eq!(
            render(r#"{{ replace "-" "/" 1 "foo-bar-baz" }}"#),
            "foo/bar-baz"
        );
        assert_eq!(render(r#"{{ replace "-" "/" -1 "a-b-c" }}"#), "a/b/c");
        assert_eq!(render(r#"{{ replace "-" "/" 0 "a-b-c" }}"#), "a-b-c");
        assert_eq!(render(r#"{{ replace "" "-" 2 "abc" }}"#), "-a-bc");
        assert_eq!(
            render(r#"{{ "I Am Henry VIII" | replace_all " " "-" }}"#),
            "I-Am-Henry-VIII"
        );
        assert_eq!(
            render(r#"{{ replace_all " " "-" "I Am Henry VIII" }}"#),
            "I-Am-Henry-VIII"
        );
        assert_eq!(render(r#"{{ replace_all "" "-" "ab" }}"#), "-a-b-");
        assert_eq!(render(r#"{{ replace_all "-" "/" build_name }}"#), "foo/bar");
        let e = parse_err(r#"{{ replace "-" "/" "x" }}"#);
        assert!(e.message.contains("wrong number"), "{}", e.message);
        assert!(e.message.contains("old, new, n, s"), "{}", e.message);
        let e = parse_err(r#"{{ replace "-" "/" "1" "x" }}"#);
        assert!(
            e.message
                .contains("argument 3 of `replace` (n) must be an integer"),
            "{}",
            e.message
        );
    }

    #[test]
    fn split_as_packer_tests_it() {
        assert_eq!(render(r#"{{split build_name "-" 0}}"#), "foo");
        assert_eq!(render(r#"{{split build_name "-" 1}}"#), "bar");
        assert_eq!(render(r#"{{split "fixed-string" "-" 1}}"#), "string");
        assert_eq!(render(r#"{{split "héllo" "" 1}}"#), "é");
        let e = render_err(r#"{{split build_name "-" 2}}"#, &ctx());
        assert!(e.contains("only 2 values were found"), "{e}");
        assert!(render_err(r#"{{split build_name "-" -1}}"#, &ctx()).contains("unavailable"));
        // Piping puts the value last, where split wants its index.
        let e = parse_err(r#"{{ build_name | split "-" 0 }}"#);
        assert!(
            e.message
                .contains("argument 2 of `split` (sep) must be a string"),
            "{}",
            e.message
        );
    }

    #[test]
    fn build_reads_build_variables() {
        assert_eq!(render("{{ build `ID` }}"), "i-0abc");
        assert_eq!(render(r#"{{ build "PackerRunUUID" }}"#), "run-1");
        let e = render_err("{{ build `Host` }}", &ctx());
        assert!(
            e.contains("`Host`") && e.contains("ID, PackerRunUUID"),
            "{e}"
        );
        let mut c = ctx();
        c.build_vars.clear();
        assert!(render_err("{{ build `ID` }}", &c).contains("only during a build"));
        assert!(parse_err("{{ build }}").message.contains("wrong number"));
    }

    #[test]
    fn index_needs_a_map() {
        assert!(parse_err(r#"{{ index "x" "y" }}"#)
            .message
            .contains("must be a map"));
        assert!(parse_err(r#"{{ index .SourceAMITags }}"#)
            .message
            .contains("wrong number"));
    }

    // --- pipelines and arguments

    #[test]
    fn pipelines_pass_the_value_last() {
        assert_eq!(
            render(r#"{{ "A-b" | lower | replace_all "-" "_" | upper }}"#),
            "A_B"
        );
        assert_eq!(render("{{ build_name | upper }}"), "FOO-BAR");
        assert_eq!(render("{{ upper (build_name) }}"), "FOO-BAR");
        assert_eq!(
            render(r#"{{ upper (replace_all "-" "." (lower "A-B")) }}"#),
            "A.B"
        );
        assert_eq!(render(r#"{{ (upper "x") }}"#), "X");
        assert_eq!(render(r#"{{ ("x" | upper) | lower }}"#), "x");
        assert!(parse_err(r#"{{ "x" | "y" }}"#)
            .message
            .contains("pipeline stage 2"));
        assert!(parse_err(r#"{{ "x" | .SourceAMI }}"#)
            .message
            .contains("not a function"));
        assert!(parse_err(r#"{{ "x" "y" }}"#)
            .message
            .contains("cannot take arguments"));
        let e = parse_err(r#"{{ "x" | timestamp }}"#);
        assert!(e.message.contains("piped"), "{}", e.message);
    }

    #[test]
    fn ami_names_from_packer_docs() {
        assert_eq!(render("packer_AWS {{timestamp}}"), "packer_AWS 1508292390");
        assert_eq!(
            render("{{ .SourceAMIName }}-{{ .BuildRegion }}"),
            "ubuntu/images/ubuntu-jammy-22.04-amd64-server-20240101-eu-central-1"
        );
    }

    // --- unknown and refused functions

    #[test]
    fn unknown_functions_list_what_exists() {
        let e = parse_err("ok {{ frobnicate }}");
        assert_eq!(e.offset, 3);
        assert!(
            e.message.contains("`frobnicate` is not defined"),
            "{}",
            e.message
        );
        for name in [
            "build",
            "build_name",
            "build_type",
            "clean_resource_name",
            "isotime",
            "lower",
            "packer_version",
            "pwd",
            "replace",
            "replace_all",
            "split",
            "strftime",
            "timestamp",
            "upper",
            "uuid",
        ] {
            assert!(
                e.message.contains(name),
                "{name} missing from {}",
                e.message
            );
        }
        assert!(parse_err("{{ BuildName }}")
            .message
            .contains("did you mean `build_name`"));
        // An unknown name used as an argument is found too.
        assert!(parse_err("{{ upper nope }}").message.contains("`nope`"));
    }

    #[test]
    fn refused_functions_say_why_and_what_instead() {
        let e = parse_err("{{ template_dir }}").message;
        assert!(e.contains("path.root"), "{e}");
        let e = parse_err("{{ env `HOME` }}").message;
        assert!(
            e.contains("variable defaults") && e.contains("env(\"HOME\")"),
            "{e}"
        );
        let e = parse_err("{{ user `region` }}").message;
        assert!(e.contains("${var.region}"), "{e}");
        for f in [
            "aws_secretsmanager `s` `k`",
            "aws_secretsmanager_raw `s`",
            "vault `p` `k`",
            "consul_key `k`",
        ] {
            let e = parse_err(&format!("{{{{ {f} }}}}")).message;
            assert!(
                e.contains("variables section") && e.contains("var.NAME"),
                "{e}"
            );
        }
        assert!(parse_err("{{ aws_secretsmanager `db` `pw` }}")
            .message
            .contains("aws_secretsmanager(\"db\""));
        assert!(parse_err("{{ sed `s/a/b/` `x` }}")
            .message
            .contains("replace_all"));
        assert!(parse_err("{{ clean_ami_name `x` }}")
            .message
            .contains("clean_resource_name"));
        assert!(parse_err("{{ printf `%s` `x` }}")
            .message
            .contains("Go template builtin"));
    }
}
