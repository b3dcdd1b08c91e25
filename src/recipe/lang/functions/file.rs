//! Files, paths, the environment and secrets: go-cty-funcs' filesystem
//! family (`abspath`, `basename`, `dirname`, `file`, `filebase64`,
//! `fileexists`, `fileset`, `pathexpand`) and Packer's own `env`,
//! `aws_secretsmanager`, `aws_secretsmanager_raw`, `vault`, `consul_key` and
//! `templatefile`.
//!
//! Paths are handled as Go's `path/filepath` handles them on Unix: cleaned
//! lexically (`a/./b/../c` is `a/c`), a leading `~/` is the home directory
//! (`HOME` from the run's environment), and relative paths given to the file
//! readers are resolved against the recipe's directory (`FnCtx::basedir`).

use std::fs;
use std::io::ErrorKind;

use base64::Engine;

use super::super::value::Value;
use super::{p, p_null, str_arg, FnCtx, Func, Kind, ParamType};

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "abspath",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "The path made absolute against the working directory, cleaned.",
        call: abspath,
    },
    Func {
        name: "aws_secretsmanager",
        params: &[p("name", ParamType::String), p_null("key", ParamType::String)],
        variadic: None,
        kind: Kind::Remote,
        doc: "One key of an AWS Secrets Manager secret (null or \"\": a plaintext or one-key secret).",
        call: aws_secretsmanager,
    },
    Func {
        name: "aws_secretsmanager_raw",
        params: &[p("name", ParamType::String)],
        variadic: None,
        kind: Kind::Remote,
        doc: "An AWS Secrets Manager secret's whole string (raw JSON for key/value secrets).",
        call: aws_secretsmanager_raw,
    },
    Func {
        name: "basename",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The last element of a path.",
        call: basename,
    },
    Func {
        name: "consul_key",
        params: &[p("key", ParamType::String)],
        variadic: None,
        kind: Kind::Unavailable(
            "pass the value with --var (read it with `consul kv get KEY`)",
        ),
        doc: "A Consul key's value (not available: pass it with --var).",
        call: unavailable,
    },
    Func {
        name: "dirname",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "A path without its last element.",
        call: dirname,
    },
    Func {
        name: "env",
        params: &[p("key", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "An environment variable, \"\" when unset (variable defaults only).",
        call: env,
    },
    Func {
        name: "file",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "A file's contents as UTF-8 text.",
        call: file,
    },
    Func {
        name: "filebase64",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "A file's contents, Base64-encoded.",
        call: filebase64,
    },
    Func {
        name: "fileexists",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "Whether a regular file exists at the path (a directory is an error).",
        call: fileexists,
    },
    Func {
        name: "fileset",
        params: &[p("path", ParamType::String), p("pattern", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "The files under a directory matching a glob (`*`, `**`, `?`, `[a-z]`, `{a,b}`), sorted.",
        call: fileset,
    },
    Func {
        name: "pathexpand",
        params: &[p("path", ParamType::String)],
        variadic: None,
        kind: Kind::Impure,
        doc: "The path with a leading `~` replaced by the home directory.",
        call: pathexpand,
    },
    Func {
        name: "templatefile",
        params: &[p("path", ParamType::String), p("vars", ParamType::Map)],
        variadic: None,
        kind: Kind::Special,
        doc: "A file rendered as an HCL template with the given variables.",
        call: super::special,
    },
    Func {
        name: "vault",
        params: &[p("path", ParamType::String), p("key", ParamType::String)],
        variadic: None,
        kind: Kind::Unavailable(
            "pass the value with --var (read it with `vault kv get -field=KEY PATH`), \
             or keep the secret in AWS Secrets Manager and read it with \
             aws_secretsmanager() or a data \"amazon-secretsmanager\" block",
        ),
        doc: "A Vault KV secret (not available: pass it with --var).",
        call: unavailable,
    },
];

/// Never runs: `call()` refuses `Kind::Unavailable` rows with their advice.
fn unavailable(_: &FnCtx, _: Vec<Value>) -> Result<Value, String> {
    Err("not available in amibake".into())
}

// ---------------------------------------------------------------------------
// Lexical paths, as Go's path/filepath on Unix

/// Go's `filepath.Clean`: one `/` between elements, no `.` elements, `..`
/// resolved lexically (dropped at the root), `.` for an empty result.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join`: the non-empty elements joined with `/`, cleaned
/// (an absolute second element does not restart the path).
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go's `filepath.Rel` for two cleaned paths of the same kind (both
/// absolute here): `target` as seen from `base`.
fn rel(base: &str, target: &str) -> String {
    let split = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(str::to_owned)
            .collect()
    };
    let (b, t) = (split(base), split(target));
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); b.len() - common];
    parts.extend(t[common..].iter().cloned());
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The home directory: `HOME` from the run's environment, else the
/// process's idea of it.
fn home_dir(ctx: &FnCtx) -> Result<String, String> {
    if let Some(h) = ctx.env.get("HOME").filter(|h| !h.is_empty()) {
        return Ok(h.clone());
    }
    std::env::home_dir()
        .map(|h| h.to_string_lossy().into_owned())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| "cannot find the home directory: HOME is not set".to_owned())
}

/// go-homedir's `Expand`: `~` or `~/…` becomes the home directory (the
/// result cleaned); other paths are returned as they are.
fn expand_home(ctx: &FnCtx, path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_owned());
    };
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\')) {
        return Err("cannot expand user-specific home dir".into());
    }
    Ok(join(&home_dir(ctx)?, rest))
}

/// A path argument of the file readers: `~` expanded, relative paths joined
/// to the recipe's directory, cleaned.
fn resolve(ctx: &FnCtx, path: &str) -> Result<String, String> {
    let path = expand_home(ctx, path).map_err(|e| format!("failed to expand ~: {e}"))?;
    Ok(if path.starts_with('/') {
        clean(&path)
    } else {
        join(&ctx.basedir.to_string_lossy(), &path)
    })
}

fn basename(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Go's filepath.Base: trailing slashes ignored, "." for "", "/" for "/".
    let path = str_arg(&args, 0);
    if path.is_empty() {
        return Ok(Value::str("."));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::str("/"));
    }
    Ok(Value::str(trimmed.rsplit('/').next().unwrap_or(trimmed)))
}

fn dirname(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Go's filepath.Dir: everything up to the last `/`, cleaned.
    let path = str_arg(&args, 0);
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

fn abspath(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    // Go's filepath.Abs: relative to the process's working directory (not
    // the recipe's), as Packer's abspath is.
    let path = str_arg(&args, 0);
    if path.starts_with('/') {
        return Ok(Value::String(clean(path)));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| format!("cannot determine the working directory: {e}"))?;
    Ok(Value::String(join(&cwd.to_string_lossy(), path)))
}

fn pathexpand(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    expand_home(ctx, str_arg(&args, 0)).map(Value::String)
}

fn env(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if !ctx.allow_env {
        return Err("can only be used in variable defaults, as in Packer".into());
    }
    let value = ctx.env.get(str_arg(&args, 0)).cloned();
    Ok(Value::String(value.unwrap_or_default()))
}

/// A file's bytes, with go-cty-funcs' messages.
fn read(ctx: &FnCtx, path: &str) -> Result<Vec<u8>, String> {
    let full = resolve(ctx, path)?;
    fs::read(&full).map_err(|e| match e.kind() {
        ErrorKind::NotFound => format!("no file exists at {full}"),
        _ => format!("failed to read {full}"),
    })
}

fn file(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let path = str_arg(&args, 0);
    let bytes = read(ctx, path)?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        format!(
            "contents of {path} are not valid UTF-8; use the filebase64 function \
             to obtain the Base64 encoded contents"
        )
    })
}

fn filebase64(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let bytes = read(ctx, str_arg(&args, 0))?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

fn fileexists(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let full = resolve(ctx, str_arg(&args, 0))?;
    match fs::metadata(&full) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(_) => Err(format!("failed to stat {full}")),
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(m) => Err(format!(
            "{full} is not a regular file, but {:?}",
            mode_string(&m)
        )),
    }
}

/// A file mode as Go's `FileMode.String` writes it (`drwxr-xr-x`).
fn mode_string(m: &fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let ft = m.file_type();
        let mode = m.permissions().mode();
        let mut s = String::new();
        for (on, c) in [
            (ft.is_dir(), 'd'),
            (ft.is_symlink(), 'L'),
            (ft.is_block_device() || ft.is_char_device(), 'D'),
            (ft.is_fifo(), 'p'),
            (ft.is_socket(), 'S'),
            (mode & 0o4000 != 0, 'u'),
            (mode & 0o2000 != 0, 'g'),
            (ft.is_char_device(), 'c'),
            (mode & 0o1000 != 0, 't'),
        ] {
            if on {
                s.push(c);
            }
        }
        for (i, c) in "rwxrwxrwx".chars().enumerate() {
            s.push(if mode & (1 << (8 - i)) != 0 { c } else { '-' });
        }
        s
    }
    #[cfg(not(unix))]
    {
        if m.is_dir() {
            "d---------".to_owned()
        } else {
            "----------".to_owned()
        }
    }
}

fn fileset(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let path = str_arg(&args, 0);
    let base = if path.starts_with('/') {
        clean(path)
    } else {
        join(&ctx.basedir.to_string_lossy(), path)
    };
    let pattern = join(&base, str_arg(&args, 1));
    let mut found = Vec::new();
    glob(&pattern, &mut found).map_err(|e| format!("failed to glob pattern ({pattern}): {e}"))?;
    let mut out = Vec::new();
    for m in found {
        let meta = fs::metadata(&m).map_err(|e| format!("failed to stat ({m}): {e}"))?;
        if meta.is_file() {
            out.push(rel(&base, &m));
        }
    }
    out.sort();
    out.dedup();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}

// ---------------------------------------------------------------------------
// Globbing, as doublestar (v1) does it for go-cty-funcs' fileset

const BAD_PATTERN: &str = "syntax error in pattern";

/// Every path matching `pattern` (cleaned, `/`-separated), files and
/// directories. A component `**` matches zero or more directories (symbolic
/// links to directories are not descended into); other components match
/// one directory entry each, hidden ones included.
fn glob(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    let comps: Vec<&str> = pattern.split('/').collect();
    let (start, comps) = match comps.split_first() {
        Some((&"", rest)) => ("/".to_owned(), rest),
        _ => (".".to_owned(), &comps[..]),
    };
    glob_in(start, comps, out)
}

fn is_pattern(comp: &str) -> bool {
    comp.contains(['*', '?', '[', '{', '\\'])
}

fn glob_in(mut dir: String, comps: &[&str], out: &mut Vec<String>) -> Result<(), String> {
    // Leading literal components are a path, not a pattern.
    let literal = comps.iter().take_while(|c| !is_pattern(c)).count();
    for c in &comps[..literal] {
        dir = join(&dir, c);
    }
    let comps = &comps[literal..];
    let Ok(meta) = fs::metadata(&dir) else {
        return Ok(());
    };
    let Some((&first, rest)) = comps.split_first() else {
        out.push(dir);
        return Ok(());
    };
    if !meta.is_dir() {
        return Ok(());
    }
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut entries: Vec<(String, bool)> = entries
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (name, is_dir)
        })
        .collect();
    entries.sort();
    if first == "**" {
        // Deeper: every real subdirectory, still under `**`.
        for (name, is_dir) in &entries {
            let path = join(&dir, name);
            if rest.is_empty() {
                out.push(path.clone());
            }
            if *is_dir {
                glob_in(path, comps, out)?;
            }
        }
        if rest.is_empty() {
            return Ok(());
        }
        // Zero directories: the next component matches here.
        return match_entries(&dir, &entries, rest, out);
    }
    match_entries(&dir, &entries, comps, out)
}

fn match_entries(
    dir: &str,
    entries: &[(String, bool)],
    comps: &[&str],
    out: &mut Vec<String>,
) -> Result<(), String> {
    let (first, rest) = comps.split_first().expect("a component");
    let pat: Vec<char> = first.chars().collect();
    for (name, _) in entries {
        let name_chars: Vec<char> = name.chars().collect();
        if match_component(&pat, &name_chars)? {
            let path = join(dir, name);
            if rest.is_empty() {
                out.push(path);
            } else {
                glob_in(path, rest, out)?;
            }
        }
    }
    Ok(())
}

/// Whether one path component matches a pattern component: `*` any run of
/// characters, `?` one character, `[abc]`/`[a-z]` (negated with `^` or `!`)
/// one character of a class, `{a,b}` one of the alternatives, `\x` the
/// character x.
fn match_component(p: &[char], n: &[char]) -> Result<bool, String> {
    let Some((&c, rest)) = p.split_first() else {
        return Ok(n.is_empty());
    };
    match c {
        '*' => {
            // `**` inside a component is `*`.
            let rest = {
                let mut r = rest;
                while let Some(('*', more)) = r.split_first() {
                    r = more;
                }
                r
            };
            for i in 0..=n.len() {
                if match_component(rest, &n[i..])? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        '?' => match n.split_first() {
            Some((_, n_rest)) => match_component(rest, n_rest),
            None => Ok(false),
        },
        '\\' => {
            let (&lit, rest) = rest.split_first().ok_or(BAD_PATTERN)?;
            match n.split_first() {
                Some((&x, n_rest)) if x == lit => match_component(rest, n_rest),
                _ => Ok(false),
            }
        }
        '[' => {
            let (class, after) = split_class(rest)?;
            match n.split_first() {
                Some((&x, n_rest)) if class_matches(class, x)? => match_component(after, n_rest),
                _ => Ok(false),
            }
        }
        '{' => {
            let (alternatives, after) = split_braces(rest)?;
            for alt in alternatives {
                let mut candidate: Vec<char> = alt.to_vec();
                candidate.extend_from_slice(after);
                if match_component(&candidate, n)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => match n.split_first() {
            Some((&x, n_rest)) if x == c => match_component(rest, n_rest),
            _ => Ok(false),
        },
    }
}

/// The inside of a `[...]` class (after `[`) and what follows its `]`.
fn split_class(p: &[char]) -> Result<(&[char], &[char]), String> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => i += 2,
            ']' => return Ok((&p[..i], &p[i + 1..])),
            _ => i += 1,
        }
    }
    Err(BAD_PATTERN.into())
}

fn class_matches(class: &[char], x: char) -> Result<bool, String> {
    let (negated, mut items) = match class.split_first() {
        Some(('^' | '!', rest)) => (true, rest),
        _ => (false, class),
    };
    if items.is_empty() {
        return Err(BAD_PATTERN.into());
    }
    let mut hit = false;
    // One character of a class, `\` escaping the next.
    fn one(items: &mut &[char]) -> Result<char, String> {
        match *items {
            ['\\', c, rest @ ..] => {
                *items = rest;
                Ok(*c)
            }
            ['\\'] | ['-', ..] | [] => Err(BAD_PATTERN.into()),
            [c, rest @ ..] => {
                *items = rest;
                Ok(*c)
            }
        }
    }
    while !items.is_empty() {
        let lo = one(&mut items)?;
        let hi = if let Some(('-', rest)) = items.split_first() {
            items = rest;
            one(&mut items)?
        } else {
            lo
        };
        if lo <= x && x <= hi {
            hit = true;
        }
    }
    Ok(hit != negated)
}

/// The alternatives of a `{a,b}` group (after `{`), split at commas outside
/// nested groups, and what follows its `}`.
fn split_braces(p: &[char]) -> Result<(Vec<&[char]>, &[char]), String> {
    let mut depth = 0;
    let mut start = 0;
    let mut alternatives = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => i += 1,
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '}' => {
                alternatives.push(&p[start..i]);
                return Ok((alternatives, &p[i + 1..]));
            }
            ',' if depth == 0 => {
                alternatives.push(&p[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    Err(BAD_PATTERN.into())
}

// ---------------------------------------------------------------------------
// Secrets

fn fetch_secret(ctx: &FnCtx, name: &str) -> Result<Option<String>, String> {
    if name.is_empty() {
        return Err("a secret name must be provided".into());
    }
    match &ctx.fetch {
        Some(f) => f.secret(name, None).map(Some),
        None => Ok(None),
    }
}

fn aws_secretsmanager(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let key = str_arg(&args, 1);
    let Some(secret) = fetch_secret(ctx, str_arg(&args, 0))? else {
        return Ok(Value::Unknown(super::super::value::Type::String));
    };
    secret_value(&secret, key).map(Value::String)
}

fn aws_secretsmanager_raw(ctx: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    match fetch_secret(ctx, str_arg(&args, 0))? {
        Some(secret) => Ok(Value::String(secret)),
        None => Ok(Value::Unknown(super::super::value::Type::String)),
    }
}

/// Packer's reading of a secret string (packer-plugin-sdk's secretsmanager):
/// text that is not JSON is the value whatever the key; a JSON object gives
/// the key's value, or with no key its only value (several are an error);
/// string and number values only (numbers written as whole numbers).
fn secret_value(secret: &str, key: &str) -> Result<String, String> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(secret) else {
        return Ok(secret.to_owned());
    };
    let serde_json::Value::Object(obj) = json else {
        return Err("the secret is JSON but not a key/value object".into());
    };
    let value = if key.is_empty() {
        if obj.len() > 1 {
            return Err("the secret has several keys and no key was given".into());
        }
        obj.values().next()
    } else {
        obj.get(key)
    };
    match value {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(format!("{:.0}", n.as_f64().unwrap_or(0.0))),
        Some(other) => Err(format!("unsupported secret value type: {other}")),
        None => Err(format!("no secret found for key {key:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, call_with, ctx, list, map, s};
    use super::super::Fetch;
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A fresh directory under the temp dir, removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "amibake-file-fns-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, rel: &str, bytes: &[u8]) {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }

        fn ctx(&self) -> FnCtx {
            let mut c = ctx();
            c.basedir = self.0.clone();
            c.env = HashMap::from([("HOME".to_owned(), "/home/baker".to_owned())]);
            c
        }

        fn path(&self) -> String {
            self.0.to_string_lossy().into_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn basename_and_dirname_are_gos() {
        let cases = [
            ("foo/bar/baz.txt", "baz.txt", "foo/bar"),
            ("/foo/bar/", "bar", "/foo/bar"),
            ("baz.txt", "baz.txt", "."),
            ("", ".", "."),
            ("/", "/", "/"),
            ("//", "/", "/"),
            ("/a", "a", "/"),
            ("a/../b/./c", "c", "b"),
            ("./x", "x", "."),
        ];
        for (path, base, dir) in cases {
            assert_eq!(
                call_fn("basename", vec![s(path)]),
                Ok(s(base)),
                "basename {path:?}"
            );
            assert_eq!(
                call_fn("dirname", vec![s(path)]),
                Ok(s(dir)),
                "dirname {path:?}"
            );
        }
    }

    #[test]
    fn abspath_is_against_the_working_directory() {
        let cwd = std::env::current_dir()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            call_fn("abspath", vec![s("a/../b")]),
            Ok(s(&format!("{cwd}/b")))
        );
        assert_eq!(call_fn("abspath", vec![s(".")]), Ok(s(&cwd)));
        assert_eq!(call_fn("abspath", vec![s("/x//y/./z/..")]), Ok(s("/x/y")));
    }

    #[test]
    fn pathexpand_replaces_a_leading_tilde() {
        let d = TempDir::new();
        let c = d.ctx();
        let f = |p: &str| call_with(&c, "pathexpand", vec![s(p)]);
        assert_eq!(f("~"), Ok(s("/home/baker")));
        assert_eq!(f("~/.ssh/id_rsa"), Ok(s("/home/baker/.ssh/id_rsa")));
        assert_eq!(f("~/a/../b"), Ok(s("/home/baker/b")));
        // Anything else is returned as it is, uncleaned.
        assert_eq!(f("/etc/../hosts"), Ok(s("/etc/../hosts")));
        assert_eq!(f("a/~/b"), Ok(s("a/~/b")));
        assert_eq!(f(""), Ok(s("")));
        let e = f("~root/x").unwrap_err();
        assert!(e.contains("cannot expand user-specific home dir"), "{e}");
    }

    #[test]
    fn env_reads_the_run_environment_in_variable_defaults_only() {
        let mut c = ctx();
        c.env = HashMap::from([("REGION".to_owned(), "eu-west-1".to_owned())]);
        let e = call_with(&c, "env", vec![s("REGION")]).unwrap_err();
        assert_eq!(
            e,
            "env(): can only be used in variable defaults, as in Packer"
        );
        c.allow_env = true;
        assert_eq!(call_with(&c, "env", vec![s("REGION")]), Ok(s("eu-west-1")));
        assert_eq!(call_with(&c, "env", vec![s("MISSING")]), Ok(s("")));
    }

    #[test]
    fn file_reads_utf8_relative_to_the_recipe() {
        let d = TempDir::new();
        d.write("scripts/setup.sh", "#!/bin/sh\necho héllo\n".as_bytes());
        d.write("blob.bin", &[0xff, 0xfe, 0x00]);
        let c = d.ctx();
        let f = |name: &str, p: &str| call_with(&c, name, vec![s(p)]);
        assert_eq!(
            f("file", "scripts/setup.sh"),
            Ok(s("#!/bin/sh\necho héllo\n"))
        );
        assert_eq!(
            f("file", "./scripts/../scripts/setup.sh"),
            Ok(s("#!/bin/sh\necho héllo\n"))
        );
        let abs = format!("{}/scripts/setup.sh", d.path());
        assert_eq!(f("file", &abs), Ok(s("#!/bin/sh\necho héllo\n")));
        let e = f("file", "blob.bin").unwrap_err();
        assert!(
            e.contains("contents of blob.bin are not valid UTF-8"),
            "{e}"
        );
        assert!(e.contains("filebase64"), "{e}");
        let e = f("file", "nope.txt").unwrap_err();
        assert_eq!(
            e,
            format!("file(): no file exists at {}/nope.txt", d.path())
        );
        let e = f("file", "scripts").unwrap_err();
        assert_eq!(e, format!("file(): failed to read {}/scripts", d.path()));
        // A leading ~ is the home directory.
        let e = f("file", "~/nope").unwrap_err();
        assert!(e.contains("no file exists at /home/baker/nope"), "{e}");
    }

    #[test]
    fn filebase64_reads_any_bytes() {
        let d = TempDir::new();
        d.write("blob.bin", &[0xff, 0xfe, 0x00]);
        d.write("empty", b"");
        let c = d.ctx();
        assert_eq!(
            call_with(&c, "filebase64", vec![s("blob.bin")]),
            Ok(s("//4A"))
        );
        assert_eq!(call_with(&c, "filebase64", vec![s("empty")]), Ok(s("")));
        let e = call_with(&c, "filebase64", vec![s("missing")]).unwrap_err();
        assert!(e.starts_with("filebase64(): no file exists at"), "{e}");
    }

    #[test]
    fn fileexists_is_true_for_files_only() {
        let d = TempDir::new();
        d.write("a/b.txt", b"x");
        let c = d.ctx();
        let f = |p: &str| call_with(&c, "fileexists", vec![s(p)]);
        assert_eq!(f("a/b.txt"), Ok(Value::Bool(true)));
        assert_eq!(f(&format!("{}/a/b.txt", d.path())), Ok(Value::Bool(true)));
        assert_eq!(f("a/c.txt"), Ok(Value::Bool(false)));
        assert_eq!(f("nowhere/c.txt"), Ok(Value::Bool(false)));
        let e = f("a").unwrap_err();
        assert!(
            e.contains(&format!("{}/a is not a regular file, but \"d", d.path())),
            "{e}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(d.0.join("a"), fs::Permissions::from_mode(0o750)).unwrap();
            let e = f("a").unwrap_err();
            assert!(e.ends_with("but \"drwxr-x---\""), "{e}");
        }
    }

    #[test]
    fn fileset_globs_like_doublestar() {
        let d = TempDir::new();
        for f in [
            "files/hello.txt",
            "files/world.txt",
            "files/.hidden.txt",
            "files/readme.md",
            "files/sub/deep.txt",
            "files/sub/deeper/deepest.txt",
            "files/sub/deeper/notes.md",
            "files/a1.conf",
            "files/b2.conf",
            "files/c3.conf",
            "other/x.txt",
        ] {
            d.write(f, b"x");
        }
        fs::create_dir_all(d.0.join("files/empty.txt.d")).unwrap();
        let c = d.ctx();
        let f = |path: &str, pattern: &str| {
            call_with(&c, "fileset", vec![s(path), s(pattern)])
                .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        };
        let l = |items: &[&str]| list(&items.iter().map(|x| s(x)).collect::<Vec<_>>());
        assert_eq!(
            f("files", "*.txt"),
            l(&[".hidden.txt", "hello.txt", "world.txt"])
        );
        assert_eq!(
            f("files", "**/*.txt"),
            l(&[
                ".hidden.txt",
                "hello.txt",
                "sub/deep.txt",
                "sub/deeper/deepest.txt",
                "world.txt"
            ])
        );
        assert_eq!(
            f("files", "**"),
            l(&[
                ".hidden.txt",
                "a1.conf",
                "b2.conf",
                "c3.conf",
                "hello.txt",
                "readme.md",
                "sub/deep.txt",
                "sub/deeper/deepest.txt",
                "sub/deeper/notes.md",
                "world.txt"
            ])
        );
        assert_eq!(f("files", "sub/**/*.md"), l(&["sub/deeper/notes.md"]));
        assert_eq!(f("files", "?ello.txt"), l(&["hello.txt"]));
        assert_eq!(f("files", "[ab]?.conf"), l(&["a1.conf", "b2.conf"]));
        assert_eq!(f("files", "[^a]*.conf"), l(&["b2.conf", "c3.conf"]));
        assert_eq!(f("files", "[!a-b]*.conf"), l(&["c3.conf"]));
        assert_eq!(
            f("files", "{hello,world}.txt"),
            l(&["hello.txt", "world.txt"])
        );
        assert_eq!(
            f("files", "*.{md,conf}"),
            l(&["a1.conf", "b2.conf", "c3.conf", "readme.md"])
        );
        assert_eq!(f("files", "hello.txt"), l(&["hello.txt"]));
        // Directories are not listed; nothing matching is an empty set.
        assert_eq!(f("files", "*.d"), l(&[]));
        assert_eq!(f("files", "*.nothing"), l(&[]));
        assert_eq!(f("missing", "*"), l(&[]));
        // Paths are relative to `path`, which is relative to the recipe.
        assert_eq!(f(".", "files/sub/*.txt"), l(&["files/sub/deep.txt"]));
        assert_eq!(f("files", "../other/*.txt"), l(&["../other/x.txt"]));
        assert_eq!(f(&format!("{}/files/sub", d.path()), "*"), l(&["deep.txt"]));
        let e = call_with(&c, "fileset", vec![s("files"), s("[z-")]).unwrap_err();
        assert!(
            e.contains("failed to glob pattern") && e.contains("syntax error"),
            "{e}"
        );
        let e = call_with(&c, "fileset", vec![s("files"), s("{a,b")]).unwrap_err();
        assert!(e.contains("syntax error"), "{e}");
    }

    #[test]
    fn component_matching() {
        let m = |p: &str, n: &str| {
            let p: Vec<char> = p.chars().collect();
            let n: Vec<char> = n.chars().collect();
            match_component(&p, &n)
        };
        assert_eq!(m("*", ""), Ok(true));
        assert_eq!(m("a**b", "axxb"), Ok(true));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("\\*", "a"), Ok(false));
        assert_eq!(m("[\\]]", "]"), Ok(true));
        assert_eq!(m("{a,{b,c}d}x", "cdx"), Ok(true));
        assert_eq!(m("{a,}x", "x"), Ok(true));
        assert_eq!(m("é?", "éa"), Ok(true));
        assert!(m("[]", "a").is_err());
        assert!(m("a\\", "a").is_err());
    }

    #[derive(Debug)]
    struct Secrets(HashMap<String, String>);

    impl Fetch for Secrets {
        fn secret(&self, name: &str, key: Option<&str>) -> Result<String, String> {
            assert_eq!(key, None, "the functions read the whole secret");
            self.0
                .get(name)
                .cloned()
                .ok_or_else(|| format!("ResourceNotFoundException: {name}"))
        }
    }

    fn secrets_ctx() -> FnCtx {
        let mut c = ctx();
        let secrets = [
            ("plain", "hunter2"),
            ("one", r#"{"password":"s3cret"}"#),
            (
                "multi",
                r#"{"test":"kitchen","shell":"powershell","port":5432,"ok":true}"#,
            ),
            ("list", r#"["a"]"#),
        ];
        c.fetch = Some(Arc::new(Secrets(
            secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )));
        c
    }

    #[test]
    fn aws_secretsmanager_reads_like_packer() {
        let c = secrets_ctx();
        let f = |name: &str, key: Value| call_with(&c, "aws_secretsmanager", vec![s(name), key]);
        assert_eq!(f("plain", Value::Null), Ok(s("hunter2")));
        assert_eq!(f("plain", s("")), Ok(s("hunter2")));
        assert_eq!(f("plain", s("anything")), Ok(s("hunter2")));
        assert_eq!(f("one", Value::Null), Ok(s("s3cret")));
        assert_eq!(f("one", s("password")), Ok(s("s3cret")));
        assert_eq!(f("multi", s("shell")), Ok(s("powershell")));
        assert_eq!(f("multi", s("port")), Ok(s("5432")));
        let e = f("multi", Value::Null).unwrap_err();
        assert!(e.contains("several keys and no key was given"), "{e}");
        let e = f("multi", s("nope")).unwrap_err();
        assert!(e.contains(r#"no secret found for key "nope""#), "{e}");
        let e = f("multi", s("ok")).unwrap_err();
        assert!(e.contains("unsupported secret value type"), "{e}");
        assert!(f("list", Value::Null).is_err());
        let e = f("absent", Value::Null).unwrap_err();
        assert!(e.contains("ResourceNotFoundException"), "{e}");
        let e = f("", Value::Null).unwrap_err();
        assert!(e.contains("a secret name must be provided"), "{e}");
        assert!(call_with(&c, "aws_secretsmanager", vec![s("one")]).is_err());
    }

    #[test]
    fn aws_secretsmanager_raw_returns_the_whole_string() {
        let c = secrets_ctx();
        let f = |name: &str| call_with(&c, "aws_secretsmanager_raw", vec![s(name)]);
        assert_eq!(f("plain"), Ok(s("hunter2")));
        assert_eq!(
            f("multi"),
            Ok(s(
                r#"{"test":"kitchen","shell":"powershell","port":5432,"ok":true}"#
            ))
        );
        assert!(f("absent").is_err());
    }

    #[test]
    fn remote_functions_are_unknown_without_fetch() {
        // `validate` makes no AWS call.
        let v = call_fn("aws_secretsmanager", vec![s("one"), Value::Null]).unwrap();
        assert!(v.is_unknown());
        let v = call_fn("aws_secretsmanager_raw", vec![s("one")]).unwrap();
        assert!(v.is_unknown());
    }

    #[test]
    fn vault_and_consul_say_what_to_do_instead() {
        let e = call_fn("vault", vec![s("secret/data/app"), s("password")]).unwrap_err();
        assert!(e.starts_with("vault() is not available in amibake"), "{e}");
        assert!(e.contains("--var") && e.contains("vault kv get"), "{e}");
        assert!(e.contains("aws_secretsmanager()"), "{e}");
        let e = call_fn("consul_key", vec![s("app/db")]).unwrap_err();
        assert!(
            e.starts_with("consul_key() is not available in amibake"),
            "{e}"
        );
        assert!(e.contains("consul kv get") && e.contains("--var"), "{e}");
    }

    #[test]
    fn templatefile_is_left_to_the_evaluator() {
        let f = super::super::lookup("templatefile").unwrap();
        assert_eq!(f.kind, Kind::Special);
        assert_eq!(f.params.len(), 2);
        let e = call_fn("templatefile", vec![s("x.tpl"), map(&[])]).unwrap_err();
        assert!(e.contains("evaluator"), "{e}");
    }
}
