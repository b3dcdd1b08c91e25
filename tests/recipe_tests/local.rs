//! `shell-local` (provisioner and post-processor) and `breakpoint` read
//! with Packer's defaults and checks.

use amibake::recipe::{Inputs, PostProcessor, Provisioner};

use super::{TempRecipe, GOOD_SOURCE};

fn with_build(build: &str) -> String {
    format!("{GOOD_SOURCE}\nbuild {{\n  sources = [\"source.amazon-ebs.web\"]\n{build}}}\n")
}

#[test]
fn shell_local_provisioner_has_packers_defaults_and_scripts_beside_the_recipe() {
    let r = TempRecipe::new(&with_build(
        "  provisioner \"shell-local\" {\n    scripts = [\"local/a.sh\"]\n    environment_vars = [\"A=1\", \"B={{ build `ID` }}\"]\n    env = { A = \"2\" }\n    only = [\"amazon-ebs.web\"]\n    timeout = \"90s\"\n  }\n  provisioner \"shell-local\" {\n    command = \"echo hi\"\n    execute_command = [\"bash\", \"-c\", \"{{.Vars}} {{.Script}}\"]\n    tempfile_extension = \".sh\"\n    only_on = [\"linux\", \"darwin\"]\n    valid_exit_codes = [0, 2]\n  }\n  provisioner \"breakpoint\" {\n    note = \"look at ${source.name}\"\n    disable = true\n  }\n",
    ));
    let script = r.file("local/a.sh", "#!/bin/sh\necho a\n");
    make_executable(&script);
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|d| panic!("{d}"));
    assert!(recipe.warnings.is_empty(), "{:?}", recipe.warnings);
    let p = &recipe.builds[0].provisioners;
    let Provisioner::ShellLocal(a) = &p[0] else {
        panic!("{:?}", p[0])
    };
    assert_eq!(a.shell.scripts, vec![script]);
    assert!(a.shell.inline.is_empty());
    assert_eq!(
        a.shell.execute_command,
        ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"]
    );
    assert_eq!(a.shell.inline_shebang, "/bin/sh -e");
    assert_eq!(a.shell.valid_exit_codes, [0]);
    assert_eq!(a.shell.env_var_format, "%s='%s' ");
    // env comes after environment_vars, so it wins when the runner dedupes.
    assert_eq!(
        a.shell.environment_vars,
        [
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "{{ build `ID` }}".to_string()),
            ("A".to_string(), "2".to_string())
        ]
    );
    assert_eq!(a.common.only, ["web"]);
    assert_eq!(a.timeout, Some(std::time::Duration::from_secs(90)));
    let Provisioner::ShellLocal(b) = &p[1] else {
        panic!("{:?}", p[1])
    };
    assert_eq!(
        b.shell.inline,
        ["echo hi"],
        "`command` is one inline command"
    );
    assert_eq!(b.shell.execute_command[0], "bash");
    assert_eq!(b.shell.tempfile_extension, "sh");
    assert_eq!(b.shell.only_on, ["linux", "darwin"]);
    assert_eq!(b.shell.valid_exit_codes, [0, 2]);
    assert_eq!(b.timeout, None);
    let Provisioner::Breakpoint(c) = &p[2] else {
        panic!("{:?}", p[2])
    };
    assert_eq!(c.note.as_deref(), Some("look at web"));
    assert!(c.disable);
}

#[test]
fn shell_local_post_processor_reads_packers_options() {
    let r = TempRecipe::new(&with_build(
        "  post-processor \"shell-local\" {\n    name = \"notify\"\n    inline = [\"echo $AMIBAKE_ARTIFACT_ID\"]\n    execute_command = [\"{{.Vars}} sh {{.Script}}\"]\n    except = [\"source.amazon-ebs.web\"]\n    keep_input_artifact = false\n  }\n",
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|d| panic!("{d}"));
    let PostProcessor::ShellLocal(p) = &recipe.builds[0].post_processors[0] else {
        panic!("{:?}", recipe.builds[0].post_processors)
    };
    assert_eq!(p.name.as_deref(), Some("notify"));
    assert_eq!(p.except, ["web"]);
    // Packer's post-processor runs a one-element execute_command with sh -c.
    assert_eq!(
        p.shell.execute_command,
        ["sh", "-c", "{{.Vars}} sh {{.Script}}"]
    );
    // keep_input_artifact has no effect in Packer either: a notice.
    assert_eq!(recipe.warnings.len(), 1, "{:?}", recipe.warnings);
    assert!(recipe.warnings[0].message.contains("keep_input_artifact"));
}

#[test]
fn a_script_the_default_execute_command_cannot_run_is_a_warning() {
    let r = TempRecipe::new(&with_build(
        "  provisioner \"shell-local\" {\n    script = \"notify.sh\"\n  }\n",
    ));
    r.file("notify.sh", "echo hi\n");
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(recipe.warnings.len(), 1, "{:?}", recipe.warnings);
    let w = &recipe.warnings[0];
    assert!(w.message.contains("is not executable"), "{}", w.message);
    assert!(w.hint.as_deref().unwrap_or("").contains("chmod +x"));
    assert_eq!((w.line, w.col), (11, 14));
}

fn make_executable(p: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}
