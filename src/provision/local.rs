//! Packer's `shell-local`, run on the machine running amibake: by the
//! provisioning session (`provisioner "shell-local"`) and by the publish
//! step (`post-processor "shell-local"`).
//!
//! It does what packer-plugin-sdk's `shell-local` does: `inline` commands
//! go to a temporary file under `inline_shebang` (mode 700, removed
//! afterwards); each script runs through `execute_command`, whose elements
//! are templates where `{{.Vars}}` is every variable formatted with
//! `env_var_format` (Packer's and the recipe's, sorted by name, single quotes
//! escaped) and `{{.Script}}` the script's absolute path. The variables
//! reach the script only through `{{.Vars}}`, as in Packer; the process
//! inherits amibake's own environment.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::error::{Error, Result};
use crate::recipe::render::{legacy::LegacyContext, render_text};
use crate::recipe::{exec_pieces, host_os, ExecPiece, LocalShell};
use crate::ui::Ui;

use super::session::{append_tail, TAIL_LINES};

/// How long output is still read after the script exited: a background
/// process it started may hold the pipes open forever (Packer would hang).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// Who runs a local shell and with what.
pub struct LocalRun<'a> {
    pub ui: &'a Ui,
    /// `provisioner 3 (shell-local "notify")`, for messages.
    pub label: &'a str,
    /// Output line prefix: the name or the type.
    pub prefix: &'a str,
    /// Variables Packer (or amibake) defines, before the recipe's own (which
    /// may override them, as in Packer).
    pub builtin_env: Vec<(String, String)>,
    /// What the build's legacy templates (`{{ build `ID` }}`, `build.*`) in
    /// commands, values and `execute_command` render from.
    pub legacy: &'a LegacyContext,
    /// Packer's common provisioner `timeout`.
    pub timeout: Option<Duration>,
}

/// Run every script of `shell` in order; the first one whose exit code is
/// not in `valid_exit_codes` fails with the end of its output.
pub async fn run(r: &LocalRun<'_>, shell: &LocalShell) -> Result<()> {
    if !shell.only_on.is_empty() && !shell.only_on.iter().any(|os| os == host_os()) {
        r.ui.info(&format!(
            "{}: skipped: only_on is {}, and this machine runs {}",
            r.label,
            shell.only_on.join(", "),
            host_os()
        ));
        return Ok(());
    }
    let render = |what: &str, text: &str| {
        render_text(text, r.legacy).map_err(|e| Error::build(format!("{}: {what}: {e}", r.label)))
    };
    // The inline file lives until every script ran (dropping it deletes it).
    let mut inline_file = None;
    let mut scripts: Vec<(String, PathBuf)> = Vec::new();
    if !shell.inline.is_empty() {
        let mut text = format!("#!{}\n", shell.inline_shebang);
        for line in &shell.inline {
            text.push_str(&render("inline", line)?);
            text.push('\n');
        }
        let file = write_inline(&text, &shell.tempfile_extension)
            .map_err(|e| Error::build(format!("{}: writing the inline script: {e}", r.label)))?;
        scripts.push(("inline commands".into(), file.to_path_buf()));
        inline_file = Some(file);
    }
    for path in &shell.scripts {
        scripts.push((format!("script {}", path.display()), path.clone()));
    }
    let mut env = BTreeMap::new();
    for (k, v) in &r.builtin_env {
        env.insert(k.clone(), v.clone());
    }
    for (k, v) in &shell.environment_vars {
        env.insert(k.clone(), render(k, v)?);
    }
    let vars = flatten_vars(&env, &shell.env_var_format);
    for (what, path) in &scripts {
        let argv = command_line(&shell.execute_command, &vars, path, &render)?;
        r.ui.debug(&format!("{}: running {argv:?}", r.label));
        let (status, tail) = execute(r, &argv).await?;
        let code = exit_code(status);
        if !shell.valid_exit_codes.contains(&code) {
            let mut msg = format!(
                "{} ({what}) failed with exit code {code}{}",
                r.label,
                signal_note(status)
            );
            append_tail(&mut msg, &tail);
            return Err(Error::build(r.ui.redact(&msg)).with_hint(format!(
                "the script ran on this machine ({}); valid_exit_codes lists the codes that count as success ({:?})",
                host_os(),
                shell.valid_exit_codes
            )));
        }
    }
    drop(inline_file);
    Ok(())
}

/// The inline commands as an executable temporary file, closed (a file
/// still open for writing cannot be executed) and removed when dropped.
fn write_inline(text: &str, extension: &str) -> std::io::Result<tempfile::TempPath> {
    use std::io::Write;
    let suffix = if extension.is_empty() {
        String::new()
    } else {
        format!(".{extension}")
    };
    let mut file = tempfile::Builder::new()
        .prefix("packer-shell")
        .suffix(&suffix)
        .tempfile()?;
    file.write_all(text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(file.into_temp_path())
}

/// `{{.Vars}}`: every variable through `format` (Go's `%s` twice: name,
/// value), sorted by name; a single quote in a value becomes `'"'"'` so
/// that the default `%s='%s' ` quotes it safely, as Packer does.
fn flatten_vars(env: &BTreeMap<String, String>, format: &str) -> String {
    env.iter()
        .map(|(k, v)| go_format(format, &[k, &v.replace('\'', r#"'"'"'"#)]))
        .collect()
}

/// Go's `Sprintf` for a format of only `%s` and `%%` (checked at load).
fn go_format(format: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match (c, c == '%') {
            (_, true) => match chars.next() {
                Some('s') => out.push_str(args.next().copied().unwrap_or_default()),
                Some(other) => out.push(other),
                None => out.push('%'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// `execute_command` with the build's templates rendered and `{{.Vars}}`
/// and `{{.Script}}` filled in.
fn command_line(
    template: &[String],
    vars: &str,
    script: &Path,
    render: &dyn Fn(&str, &str) -> Result<String>,
) -> Result<Vec<String>> {
    let script = std::path::absolute(script).unwrap_or_else(|_| script.to_owned());
    template
        .iter()
        .map(|element| {
            exec_pieces(element)
                .into_iter()
                .map(|p| match p {
                    ExecPiece::Text(t) => render("execute_command", &t),
                    ExecPiece::Vars => Ok(vars.to_owned()),
                    ExecPiece::Script => Ok(script.display().to_string()),
                })
                .collect::<Result<String>>()
        })
        .collect()
}

/// Start `argv`, show its output line by line (stdout and stderr, in the
/// order they arrive), and wait for it within the timeout. Returns the exit
/// status and the last lines of output.
async fn execute(r: &LocalRun<'_>, argv: &[String]) -> Result<(ExitStatus, Vec<String>)> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::build(format!(
            "{}: execute_command is empty",
            r.label
        )));
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // An interrupted build drops this future: the script must not outlive it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::build(format!("{}: cannot run `{program}`: {e}", r.label)).with_hint(
                "execute_command's first element must be a program on this machine (default /bin/sh)",
            )
        })?;
    let lines = Lines {
        ui: r.ui,
        prefix: r.prefix,
        tail: Mutex::new(VecDeque::new()),
    };
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let output = async { tokio::join!(lines.pump(out), lines.pump(err)) };
    tokio::pin!(output);
    let wait = async {
        tokio::select! {
            status = child.wait() => {
                // Output written just before exiting is still in the pipes.
                let _ = tokio::time::timeout(DRAIN_AFTER_EXIT, &mut output).await;
                status
            }
            _ = &mut output => child.wait().await,
        }
    };
    let status = match r.timeout {
        Some(limit) => match tokio::time::timeout(limit, wait).await {
            Ok(s) => s,
            Err(_) => {
                let _ = child.kill().await;
                let mut msg = format!(
                    "{}: timed out: it ran longer than its `timeout` of {:.0?}, so it was killed",
                    r.label, limit
                );
                append_tail(&mut msg, &lines.tail());
                return Err(Error::build(r.ui.redact(&msg)).with_hint(
                    "raise `timeout`, or find out from the output above why the script hangs",
                ));
            }
        },
        None => wait.await,
    }
    .map_err(|e| Error::build(format!("{}: waiting for `{program}`: {e}", r.label)))?;
    Ok((status, lines.tail()))
}

/// Output lines shown as they come and the last ones kept for a failure
/// message (raw: the message is redacted as a whole).
struct Lines<'a> {
    ui: &'a Ui,
    prefix: &'a str,
    tail: Mutex<VecDeque<String>>,
}

impl Lines<'_> {
    async fn pump(&self, stream: impl AsyncRead + Unpin) {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&buf);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            self.ui.output_line(self.prefix, text);
            let mut tail = self.tail.lock().unwrap();
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(text.to_owned());
        }
    }

    fn tail(&self) -> Vec<String> {
        self.tail.lock().unwrap().iter().cloned().collect()
    }
}

/// The exit code as Go reports it: -1 for a process killed by a signal.
fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

fn signal_note(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!(" (killed by signal {sig})");
        }
    }
    let _ = status;
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run_captured(
        shell: &LocalShell,
        timeout: Option<Duration>,
    ) -> (Result<()>, Vec<String>) {
        let (ui, cap) = Ui::capture(false);
        let ctx = LegacyContext {
            build_name: "web".into(),
            ..Default::default()
        };
        let r = LocalRun {
            ui: &ui,
            label: "provisioner 1 (shell-local)",
            prefix: "shell-local",
            builtin_env: vec![("PACKER_BUILD_NAME".into(), "web".into())],
            legacy: &ctx,
            timeout,
        };
        let res = run(&r, shell).await;
        (res, cap.lines())
    }

    #[test]
    fn vars_are_sorted_quoted_and_formatted() {
        let env = BTreeMap::from([
            ("B".to_string(), "it's".to_string()),
            ("A".to_string(), "1".to_string()),
        ]);
        assert_eq!(flatten_vars(&env, "%s='%s' "), r#"A='1' B='it'"'"'s' "#);
        assert_eq!(
            flatten_vars(&env, "export %s=%s; 100%% "),
            r#"export A=1; 100% export B=it'"'"'s; 100% "#
        );
    }

    #[tokio::test]
    async fn inline_runs_with_vars_and_shows_both_streams() {
        let mut shell = LocalShell::inline(&[
            "echo \"name=$PACKER_BUILD_NAME q=$Q\"",
            "echo oops >&2",
            "echo {{build_name}}",
        ]);
        shell.environment_vars = vec![("Q".into(), "a 'quoted' $value".into())];
        let (res, lines) = run_captured(&shell, None).await;
        res.unwrap();
        assert!(
            lines.contains(&"    shell-local: name=web q=a 'quoted' $value".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"    shell-local: oops".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"    shell-local: web".to_string()),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_exit_code_fails_with_the_tail_unless_valid() {
        let mut shell = LocalShell::inline(&["echo before", "exit 3"]);
        let (res, _) = run_captured(&shell, None).await;
        let e = res.unwrap_err();
        assert!(
            e.message()
                .contains("(inline commands) failed with exit code 3"),
            "{e}"
        );
        assert!(e.message().contains("| before"), "{e}");
        shell.valid_exit_codes = vec![0, 3];
        run_captured(&shell, None).await.0.unwrap();
    }

    #[tokio::test]
    async fn only_on_another_os_skips_with_a_notice() {
        let mut shell = LocalShell::inline(&["exit 1"]);
        shell.only_on = vec![if host_os() == "solaris" {
            "linux"
        } else {
            "solaris"
        }
        .into()];
        let (res, lines) = run_captured(&shell, None).await;
        res.unwrap();
        assert!(
            lines.iter().any(|l| l.contains("skipped: only_on")),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn a_timeout_kills_the_script() {
        let shell = LocalShell::inline(&["echo started", "sleep 30"]);
        let started = std::time::Instant::now();
        let (res, _) = run_captured(&shell, Some(Duration::from_millis(300))).await;
        let e = res.unwrap_err();
        assert!(e.message().contains("timed out"), "{e}");
        assert!(e.message().contains("| started"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_background_process_holding_the_output_does_not_hang_the_build() {
        let shell = LocalShell::inline(&["sleep 30 &", "echo done"]);
        let started = std::time::Instant::now();
        let (res, lines) = run_captured(&shell, None).await;
        res.unwrap();
        assert!(lines.contains(&"    shell-local: done".to_string()));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_missing_program_says_what_to_fix() {
        let mut shell = LocalShell::inline(&["true"]);
        shell.execute_command = vec!["/nonexistent/sh".into(), "{{.Script}}".into()];
        let e = run_captured(&shell, None).await.0.unwrap_err();
        assert!(e.message().contains("cannot run `/nonexistent/sh`"), "{e}");
        assert!(e.hint().unwrap().contains("execute_command"));
    }
}
