//! The shell text amibake sends to the instance.
//!
//! Every user script runs inside a small wrapper that (1) writes the script
//! to a private directory, checking its SHA-256, (2) runs it with stdout and
//! stderr appended to a file there, and (3) prints the end of that file in a
//! framed form. The output file is what makes long outputs complete: Run
//! Command returns only the first 24,000 characters, so while the script runs
//! (and afterwards, when the tail is not enough) short "peek" commands fetch
//! new bytes by offset, inline when few, through S3 when many.
//!
//! All generated text is POSIX `sh`: the agent runs commands with `/bin/sh`.

use sha2::{Digest, Sha256};

use base64::Engine;

/// Bytes of output a command's stdout can carry inline: base64 of this fits
/// in Run Command's 24,000-character stdout with room for the framing.
pub const INLINE_OUTPUT_BYTES: u64 = 16_000;

/// Scripts and files up to this size travel inside the command (base64);
/// larger ones are staged in S3. Keeps `SendCommand` well under the
/// (undocumented, ~64 KB) parameter limit.
pub const INLINE_PAYLOAD_BYTES: usize = 24_000;

/// The exit code the wrapper uses when it could not fetch or verify a payload.
pub const TRANSFER_FAILED_EXIT: i32 = 86;

/// Quote `s` for `sh` (single quotes; a quote becomes `'\''`).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Check an environment variable name: a shell identifier.
pub fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a payload comes from on the instance.
pub enum PayloadSource<'a> {
    /// Inside the command, base64.
    Inline(&'a [u8]),
    /// A presigned GET URL.
    Url(&'a str),
}

/// Shell lines that put a payload at `path` (via `path.amibake-tmp`),
/// verify its SHA-256 and give it `mode`; on failure print a message naming
/// `what` and exit [`TRANSFER_FAILED_EXIT`].
pub fn fetch_payload(
    src: &PayloadSource<'_>,
    sha256: &str,
    path: &str,
    mode: u32,
    what: &str,
) -> String {
    let tmp = quote(&format!("{path}.amibake-tmp"));
    let qpath = quote(path);
    let what = quote(what);
    let fail = TRANSFER_FAILED_EXIT;
    let mut s = String::new();
    match src {
        PayloadSource::Inline(data) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(data);
            s.push_str(&format!("base64 -d >{tmp} <<'AMIBAKE_PAYLOAD'\n"));
            for chunk in b64.as_bytes().chunks(76) {
                s.push_str(std::str::from_utf8(chunk).unwrap());
                s.push('\n');
            }
            s.push_str("AMIBAKE_PAYLOAD\n");
            s.push_str(&format!(
                "[ $? -eq 0 ] || {{ echo \"amibake: could not decode \"{what} >&2; exit {fail}; }}\n"
            ));
        }
        PayloadSource::Url(url) => {
            s.push_str(&format!(
                "command -v curl >/dev/null || {{ echo 'amibake: curl is needed on the instance to fetch staged files' >&2; exit {fail}; }}\n\
                 curl -fsS --retry 5 -o {tmp} {} || {{ echo \"amibake: could not download \"{what} >&2; rm -f {tmp}; exit {fail}; }}\n",
                quote(url)
            ));
        }
    }
    s.push_str(&format!(
        "echo {} | sha256sum -c --status || {{ echo \"amibake: SHA-256 mismatch for \"{what}\": the transfer was corrupted\" >&2; rm -f {tmp}; exit {fail}; }}\n\
         chmod {mode:o} {tmp} && mv -f {tmp} {qpath} || exit {fail}\n",
        quote(&format!("{sha256}  {path}.amibake-tmp")),
    ));
    s
}

/// The wrapper around one user script (see the module docs).
///
/// `dir` is the step's private directory; `payload` fetches the script to
/// `$D/script` and, optionally, `export` lines to `$D/env`, sourced first.
/// It ends by printing the output's last [`INLINE_OUTPUT_BYTES`]
/// (`AMIBAKE-TAIL`). When the whole output fits in that tail (and the script did not ask
/// for a reboot with exit 194, after which the agent runs it again), the
/// wrapper then removes the step directory itself and says
/// `AMIBAKE-CLEAN`: the session needs nothing more from it, and saves the
/// separate removal command.
pub fn wrapper(dir: &str, payload: &str) -> String {
    let mut s = String::new();
    s.push_str(&format!("D={}\n", quote(dir)));
    s.push_str("umask 022\nmkdir -p \"$D\" && chmod 700 \"$D\" || exit 86\n");
    s.push_str(payload);
    s.push_str(
        "(\n[ -f \"$D/env\" ] && . \"$D/env\"\n\"$D/script\"\n) >>\"$D/out\" 2>&1 </dev/null\n",
    );
    s.push_str(&format!(
        "rc=$?\n\
         echo \"$rc\" >\"$D/rc\"\n\
         size=$(wc -c <\"$D/out\" | tr -d ' ')\n\
         start=0; [ \"$size\" -gt {max} ] && start=$((size - {max}))\n\
         echo \"AMIBAKE-TAIL $start $size\"\n\
         tail -c +$((start + 1)) \"$D/out\" | base64 | tr -d '\\n'; echo\n\
         if [ \"$start\" -eq 0 ] && [ \"$rc\" -ne 194 ]; then\n\
         rm -rf \"$D\" && echo AMIBAKE-CLEAN\n\
         P=\"${{D%/*}}\"; rmdir \"$P\" \"${{P%/*}}\" 2>/dev/null\n\
         fi\n\
         exit \"$rc\"\n",
        max = INLINE_OUTPUT_BYTES
    ));
    s
}

/// A command that reports the output file's size and returns the bytes
/// from `offset`: inline (base64) when at most [`INLINE_OUTPUT_BYTES`],
/// else uploaded (at most `max_upload` bytes) to `put_url` when given.
pub fn peek(dir: &str, offset: u64, put_url: Option<&str>, max_upload: u64) -> String {
    let mut s = format!(
        "D={}; off={offset}\n\
         size=0; [ -f \"$D/out\" ] && size=$(wc -c <\"$D/out\" | tr -d ' ')\n\
         rc=$(cat \"$D/rc\" 2>/dev/null); echo \"AMIBAKE-PEEK $off $size ${{rc:--}}\"\n\
         n=$((size - off))\n",
        quote(dir)
    );
    match put_url {
        Some(url) => s.push_str(&format!(
            "if [ \"$n\" -gt {inline} ]; then\n\
             [ \"$n\" -gt {max_upload} ] && n={max_upload}\n\
             tail -c +$((off + 1)) \"$D/out\" | head -c \"$n\" >\"$D/chunk\" && \
             curl -fsS --retry 5 -T \"$D/chunk\" {} && echo \"AMIBAKE-S3 $n\"; rm -f \"$D/chunk\"\n\
             elif [ \"$n\" -gt 0 ]; then\n",
            quote(url),
            inline = INLINE_OUTPUT_BYTES
        )),
        None => s.push_str(&format!(
            "[ \"$n\" -gt {inline} ] && n={inline}\nif [ \"$n\" -gt 0 ]; then\n",
            inline = INLINE_OUTPUT_BYTES
        )),
    }
    s.push_str(
        "tail -c +$((off + 1)) \"$D/out\" | head -c \"$n\" | base64 | tr -d '\\n'; echo\nfi\n",
    );
    s
}

/// What a peek (or the wrapper's final tail) reported.
#[derive(Debug, Default, PartialEq)]
pub struct Chunk {
    /// Offset of `data` in the output file.
    pub start: u64,
    /// The output file's size when looked at.
    pub size: u64,
    /// The exit code file, when the script has finished.
    pub rc: Option<i32>,
    pub data: Vec<u8>,
    /// Bytes uploaded to S3 instead of inline (fetch them from there).
    pub uploaded: Option<u64>,
    /// The wrapper removed its step directory after this (final) tail.
    pub cleaned: bool,
}

/// Parse the framed stdout of [`wrapper`] (`AMIBAKE-TAIL`) or [`peek`]
/// (`AMIBAKE-PEEK`). `None` if the frame is missing (the wrapper never got
/// that far, or SSM truncated the output).
pub fn parse_chunk(stdout: &str) -> Option<Chunk> {
    let mut lines = stdout.lines();
    let mut chunk = Chunk::default();
    loop {
        let line = lines.next()?;
        let mut f = line.split_whitespace();
        match f.next() {
            Some("AMIBAKE-TAIL") => {
                chunk.start = f.next()?.parse().ok()?;
                chunk.size = f.next()?.parse().ok()?;
                break;
            }
            Some("AMIBAKE-PEEK") => {
                chunk.start = f.next()?.parse().ok()?;
                chunk.size = f.next()?.parse().ok()?;
                chunk.rc = f.next().and_then(|r| r.parse().ok());
                break;
            }
            _ => continue,
        }
    }
    let body = lines.next().unwrap_or("").trim();
    if let Some(n) = body.strip_prefix("AMIBAKE-S3 ") {
        chunk.uploaded = Some(n.trim().parse().ok()?);
    } else if !body.is_empty() {
        if body.ends_with("--output truncated--") {
            return None;
        }
        chunk.data = base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?;
    }
    chunk.cleaned = lines.next().map(str::trim) == Some("AMIBAKE-CLEAN");
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn sh(script: &str) -> (i32, String, String) {
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn quote_survives_the_shell() {
        for v in [
            "plain",
            "it's",
            "a b\tc",
            "$(rm -rf /) `x` \"q\" \\ ;|&",
            "multi\nline",
            "",
        ] {
            let (_, out, _) = sh(&format!("printf %s {}", quote(v)));
            assert_eq!(out, v);
        }
    }

    #[test]
    fn env_names_are_identifiers() {
        assert!(valid_env_name("FOO_1"));
        assert!(valid_env_name("_x"));
        assert!(!valid_env_name("1X"));
        assert!(!valid_env_name("A-B"));
        assert!(!valid_env_name("A;rm"));
        assert!(!valid_env_name(""));
    }

    #[test]
    fn wrapper_runs_script_with_env_and_frames_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("step");
        let script = b"#!/bin/sh\necho \"hello $GREETING\"\necho err >&2\nexit 3\n";
        let payload = fetch_payload(
            &PayloadSource::Inline(script),
            &sha256_hex(script),
            &format!("{}/script", d.display()),
            0o700,
            "the script",
        );
        let env = format!("export GREETING={}\n", quote("it's $HOME"));
        let env_payload = fetch_payload(
            &PayloadSource::Inline(env.as_bytes()),
            &sha256_hex(env.as_bytes()),
            &format!("{}/env", d.display()),
            0o600,
            "the env",
        );
        let w = wrapper(d.to_str().unwrap(), &format!("{env_payload}{payload}"));
        let (rc, out, err) = sh(&w);
        assert_eq!(rc, 3, "{err}");
        let c = parse_chunk(&out).unwrap();
        assert_eq!(
            String::from_utf8(c.data).unwrap(),
            "hello it's $HOME\nerr\n"
        );
        assert_eq!((c.start, c.size), (0, 21));
        // Everything was in the tail: the wrapper removed its directory
        // (and the empty parent).
        assert!(c.cleaned);
        assert!(!d.exists() && !dir.path().exists());
    }

    fn wrapper_printing(d: &std::path::Path, script: &[u8]) -> (i32, String, String) {
        let payload = fetch_payload(
            &PayloadSource::Inline(script),
            &sha256_hex(script),
            &format!("{}/script", d.display()),
            0o700,
            "the script",
        );
        sh(&wrapper(d.to_str().unwrap(), &payload))
    }

    #[test]
    fn wrapper_keeps_its_directory_when_output_overflows_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("step");
        let (rc, out, err) = wrapper_printing(
            &d,
            b"#!/bin/sh\nhead -c 20000 /dev/zero | tr '\\0' x\nexit 3\n",
        );
        assert_eq!(rc, 3, "{err}");
        let c = parse_chunk(&out).unwrap();
        assert_eq!((c.start, c.size), (20_000 - INLINE_OUTPUT_BYTES, 20_000));
        assert!(!c.cleaned && d.join("out").exists());
        let p = parse_chunk(&sh(&peek(d.to_str().unwrap(), 6, None, 0)).1).unwrap();
        assert_eq!((p.start, p.size, p.rc), (6, 20_000, Some(3)));
        assert_eq!(p.data, vec![b'x'; INLINE_OUTPUT_BYTES as usize]);
    }

    #[test]
    fn wrapper_keeps_its_directory_for_a_reboot_request() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("step");
        let (rc, out, _) = wrapper_printing(&d, b"#!/bin/sh\necho rebooting\nexit 194\n");
        assert_eq!(rc, 194);
        assert!(!parse_chunk(&out).unwrap().cleaned && d.join("out").exists());
    }

    #[test]
    fn wrapper_refuses_a_corrupted_payload() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("step");
        let payload = fetch_payload(
            &PayloadSource::Inline(b"echo hi\n"),
            &sha256_hex(b"echo bye\n"),
            &format!("{}/script", d.display()),
            0o700,
            "the script",
        );
        let (rc, _, err) = sh(&wrapper(d.to_str().unwrap(), &payload));
        assert_eq!(rc, TRANSFER_FAILED_EXIT);
        assert!(err.contains("SHA-256 mismatch for the script"), "{err}");
    }

    #[test]
    fn peek_caps_inline_bytes_without_a_put_url() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("out"), vec![b'x'; 40_000]).unwrap();
        let p = parse_chunk(&sh(&peek(dir.path().to_str().unwrap(), 100, None, 0)).1).unwrap();
        assert_eq!((p.start, p.size, p.rc), (100, 40_000, None));
        assert_eq!(p.data.len() as u64, INLINE_OUTPUT_BYTES);
    }
}
