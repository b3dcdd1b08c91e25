//! Readers of what runs on the user's machine rather than on the instance:
//! Packer's `shell-local` (provisioner and post-processor, one option set
//! from packer-plugin-sdk's `shell-local` package) and `breakpoint`.

use hcl::edit::structure::Block;

use super::build::{read_commands, read_common, read_env, read_only_except, Commands};
use super::fields::Fields;
use super::loader::Loader;
use super::model::*;

/// Packer's default `execute_command` on every OS but Windows.
const DEFAULT_EXECUTE_COMMAND: [&str; 3] = ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"];
/// Packer's default `inline_shebang` on every OS but Windows.
const DEFAULT_SHEBANG: &str = "/bin/sh -e";
/// Packer's default `env_var_format` on every OS but Windows.
const DEFAULT_ENV_VAR_FORMAT: &str = "%s='%s' ";
/// The OS names `only_on` accepts (Go's `GOOS` values Packer checks against).
const ONLY_ON_NAMES: &[&str] = &[
    "darwin", "freebsd", "linux", "openbsd", "solaris", "windows",
];

/// The name Packer's `only_on` uses for the OS amibake runs on (Go's
/// `runtime.GOOS`: Rust says `macos` where Go says `darwin`).
pub fn host_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

impl LocalShell {
    /// `inline` commands with Packer's defaults for everything else.
    pub fn inline(lines: &[&str]) -> LocalShell {
        LocalShell {
            inline: lines.iter().map(|s| s.to_string()).collect(),
            scripts: vec![],
            environment_vars: vec![],
            execute_command: DEFAULT_EXECUTE_COMMAND.map(String::from).to_vec(),
            inline_shebang: DEFAULT_SHEBANG.into(),
            only_on: vec![],
            valid_exit_codes: vec![0],
            tempfile_extension: String::new(),
            env_var_format: DEFAULT_ENV_VAR_FORMAT.into(),
        }
    }
}

/// `provisioner "shell-local"`.
pub(super) fn read_shell_local(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Option<ShellLocalProvisioner> {
    let mut f = Fields::of_block(block, format!("provisioner {position} (shell-local)"));
    let mark = l.mark();
    let common = read_common(l, &mut f, source_names);
    let timeout = f.duration(l, "timeout");
    let shell = read_local_shell(l, &mut f, false);
    f.finish(l);
    if l.errors_since(mark) {
        return None;
    }
    Some(ShellLocalProvisioner {
        common,
        shell,
        timeout,
    })
}

/// `post-processor "shell-local"`, read from the caller's `Fields` (it
/// finishes them). `keep_input_artifact` has no effect in Packer either: the
/// AMIs always stay.
pub(super) fn read_shell_local_post_processor(
    l: &mut Loader,
    f: &mut Fields<'_>,
    _position: usize,
    source_names: &[String],
) -> Option<ShellLocalPostProcessor> {
    let name = f.string(l, "name");
    let (only, except) = read_only_except(l, f, source_names);
    let shell = read_local_shell(l, f, true);
    f.ignore(
        &["keep_input_artifact"],
        "shell-local always keeps the AMIs it was given, as in Packer",
    );
    Some(ShellLocalPostProcessor {
        name,
        only,
        except,
        shell,
    })
}

/// `provisioner "breakpoint"`: `note` and `disable`.
pub(super) fn read_breakpoint(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Option<BreakpointProvisioner> {
    let mut f = Fields::of_block(block, format!("provisioner {position} (breakpoint)"));
    let mark = l.mark();
    let common = read_common(l, &mut f, source_names);
    let note = f
        .string(l, "note")
        .and_then(|n| super::source::check_at_build(l, f.value_span("note"), n));
    let disable = f.bool(l, "disable").unwrap_or(false);
    f.finish(l);
    if l.errors_since(mark) {
        return None;
    }
    Some(BreakpointProvisioner {
        common,
        note,
        disable,
    })
}

/// The options shared by the provisioner and the post-processor, with
/// Packer's defaults and checks (`shell-local/config.go`).
fn read_local_shell(l: &mut Loader, f: &mut Fields<'_>, post_processor: bool) -> LocalShell {
    let Commands { inline, scripts } = read_commands(l, f, true);
    let environment_vars = read_env(l, f);
    let span = f.value_span("execute_command");
    let mut execute_command = f.string_list(l, "execute_command").unwrap_or_default();
    if execute_command.len() == 1 && post_processor {
        // Packer's post-processor once took one string and ran it with
        // `sh -c`; a one-element list still means that.
        execute_command.splice(0..0, ["sh".to_owned(), "-c".to_owned()]);
    }
    if execute_command.is_empty() {
        execute_command = DEFAULT_EXECUTE_COMMAND.map(String::from).to_vec();
    }
    for element in &execute_command {
        for piece in exec_pieces(element) {
            if let ExecPiece::Text(t) = piece {
                if super::source::check_at_build(l, span.clone(), t).is_none() {
                    if let Some(d) = l.diags.last_mut() {
                        d.hint = Some("execute_command also has {{.Vars}} (the environment variables) and {{.Script}} (the script's path), as in Packer's shell-local".into());
                    }
                }
            }
        }
    }
    // Packer treats an empty shebang as unset.
    let inline_shebang = f
        .string(l, "inline_shebang")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SHEBANG.into());
    let only_on = f.string_list(l, "only_on").unwrap_or_default();
    for os in &only_on {
        if !ONLY_ON_NAMES.contains(&os.as_str()) {
            l.error(
                f.value_span("only_on"),
                format!("`only_on` names unknown OS `{os}`"),
            )
            .hint = Some(format!(
                "Packer's OS names are {}",
                ONLY_ON_NAMES.join(", ")
            ));
        }
    }
    if f.bool(l, "use_linux_pathing") == Some(true) {
        l.error(
            f.value_span("use_linux_pathing"),
            format!("`use_linux_pathing` only applies when Packer runs on Windows with WSL, and amibake runs on {}", host_os()),
        )
        .hint = Some("remove it: Packer refuses it outside Windows too (it cannot turn a Unix path into a WSL path)".into());
    }
    let valid_exit_codes = f
        .int_list(l, "valid_exit_codes")
        .map(|v| v.into_iter().map(|n| n as i32).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![0]);
    let tempfile_extension = f
        .string(l, "tempfile_extension")
        .map(|e| e.trim_start_matches('.').to_owned())
        .unwrap_or_default();
    let env_var_format = f
        .string(l, "env_var_format")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_ENV_VAR_FORMAT.into());
    if let Err(msg) = check_env_var_format(&env_var_format) {
        l.error(f.value_span("env_var_format"), msg).hint =
            Some("write two %s, for the name and the value, e.g. \"export %s='%s'; \"".into());
    }
    let default_command = execute_command == DEFAULT_EXECUTE_COMMAND;
    for path in &scripts {
        if default_command && !is_executable(path) {
            l.warning(
                f.value_span("script").or_else(|| f.value_span("scripts")),
                format!(
                    "script `{}` is not executable: the default execute_command runs it directly, as Packer does, so it will fail with \"Permission denied\"",
                    path.display()
                ),
            )
            .hint = Some(format!("chmod +x {}, or set execute_command = [\"/bin/sh\", \"-c\", \"{{{{.Vars}}}} /bin/sh {{{{.Script}}}}\"]", path.display()));
        }
    }
    LocalShell {
        inline,
        scripts,
        environment_vars,
        execute_command,
        inline_shebang,
        only_on,
        valid_exit_codes,
        tempfile_extension,
        env_var_format,
    }
}

/// Exactly two `%s` (name, value) and otherwise only `%%`: what Go's
/// `Sprintf` would fill in without `%!` noise.
fn check_env_var_format(fmt: &str) -> Result<(), String> {
    let mut slots = 0;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('s') => slots += 1,
                Some('%') => {}
                other => {
                    return Err(format!(
                        "env_var_format `{fmt}` uses `%{}`; only %s (and %%) are supported",
                        other.map(String::from).unwrap_or_default()
                    ))
                }
            }
        }
    }
    if slots == 2 {
        Ok(())
    } else {
        Err(format!(
            "env_var_format `{fmt}` has {slots} %s; it needs two: the name, then the value"
        ))
    }
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &std::path::Path) -> bool {
    true
}

/// One part of an `execute_command` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecPiece {
    /// Text, possibly with the build's legacy `{{ }}` actions.
    Text(String),
    /// `{{.Vars}}`: the environment variables, formatted.
    Vars,
    /// `{{.Script}}` or `{{.Command}}`: the script's absolute path.
    Script,
}

/// Split an `execute_command` element into text and the two values only
/// shell-local fills in, honouring Go's trim markers (`{{- .Vars -}}`).
pub fn exec_pieces(element: &str) -> Vec<ExecPiece> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"\{\{(-[ \t\r\n])?[ \t\r\n]*\.(Vars|Script|Command)[ \t\r\n]*([ \t\r\n]-)?\}\}",
        )
        .unwrap()
    });
    let mut out = Vec::new();
    let mut text = String::new();
    let mut trim_next = false;
    let mut last = 0;
    for c in re.captures_iter(element) {
        let m = c.get(0).unwrap();
        let mut before = &element[last..m.start()];
        if trim_next {
            before = before.trim_start();
        }
        text.push_str(before);
        if c.get(1).is_some() {
            text.truncate(text.trim_end().len());
        }
        if !text.is_empty() {
            out.push(ExecPiece::Text(std::mem::take(&mut text)));
        }
        out.push(match &c[2] {
            "Vars" => ExecPiece::Vars,
            _ => ExecPiece::Script,
        });
        trim_next = c.get(3).is_some();
        last = m.end();
    }
    let mut rest = &element[last..];
    if trim_next {
        rest = rest.trim_start();
    }
    if !rest.is_empty() {
        out.push(ExecPiece::Text(rest.to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_pieces_split_vars_and_script_with_trim_markers() {
        use ExecPiece::*;
        assert_eq!(
            exec_pieces("{{.Vars}} {{.Script}}"),
            [Vars, Text(" ".into()), Script]
        );
        assert_eq!(
            exec_pieces("a {{- .Vars -}}  b{{ .Command }}c"),
            [
                Text("a".into()),
                Vars,
                Text("b".into()),
                Script,
                Text("c".into())
            ]
        );
        assert_eq!(
            exec_pieces("{{ build `ID` }}"),
            [Text("{{ build `ID` }}".into())]
        );
    }

    #[test]
    fn env_var_format_needs_two_string_slots() {
        assert!(check_env_var_format("%s='%s' ").is_ok());
        assert!(check_env_var_format("export %s=\"%s\"; 100%% ").is_ok());
        assert!(check_env_var_format("%s ").is_err());
        assert!(check_env_var_format("%s=%q ").is_err());
    }
}
