//! Each malformed recipe reports a specific message at a specific place.

use amibake::recipe::Inputs;

use super::{TempRecipe, GOOD_SOURCE};

/// Load `text`; assert that some error is at `line:col` and contains
/// `message` (and, when given, that its hint contains `hint`).
pub(super) fn assert_error(text: &str, line: usize, col: usize, message: &str, hint: Option<&str>) {
    let r = TempRecipe::new(text);
    let diags = r
        .load(&Inputs::default())
        .expect_err("the recipe should be refused");
    let found = diags.iter().find(|d| d.message.contains(message));
    let Some(d) = found else {
        panic!("no error containing {message:?}; got:\n{diags}");
    };
    assert_eq!(
        (d.line, d.col),
        (line, col),
        "position of {message:?}; all:\n{diags}"
    );
    if let Some(h) = hint {
        let got = d.hint.as_deref().unwrap_or("");
        assert!(got.contains(h), "hint {got:?} should contain {h:?}");
    }
    // Every diagnostic renders as FILE:LINE:COL: error: MESSAGE.
    assert!(d
        .to_string()
        .starts_with(&format!("{}:{line}:{col}: error: ", r.path.display())));
}

fn with_build(source: &str, build: &str) -> String {
    format!("{source}\n{build}")
}

pub(super) const BUILD: &str = "build {\n  sources = [\"source.amazon-ebs.web\"]\n}\n";

macro_rules! malformed {
    ($($name:ident: $text:expr => ($line:expr, $col:expr, $msg:expr $(, hint = $hint:expr)?);)*) => {
        $(
            #[test]
            fn $name() {
                #[allow(unused_mut, unused_assignments)]
                let mut hint: Option<&str> = None;
                $(hint = Some($hint);)?
                assert_error(&$text, $line, $col, $msg, hint);
            }
        )*
    };
}

malformed! {
    syntax_error_missing_value:
        "source \"amazon-ebs\" \"web\" {\n  region = \n}\n" => (2, 12, "syntax error");
    syntax_error_unclosed_block:
        "build {\n  sources = [\"x\"]\n" => (2, 19, "syntax error");
    unknown_top_level_block:
        with_build(GOOD_SOURCE, "builds {\n}\n") => (8, 1, "unknown block `builds`", hint = "did you mean `build`?");
    unknown_attribute_with_suggestion:
        "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instnce_type = \"t3.micro\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = \"web-image\"\n}\n".to_owned() + BUILD
        => (3, 3, "unknown attribute `instnce_type`", hint = "did you mean `instance_type`?");
    unknown_nested_block:
        "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  ami_name = \"web-image\"\n  source_ami_filters {\n  }\n}\n".to_owned() + BUILD
        => (5, 3, "unknown block `source_ami_filters`", hint = "did you mean `source_ami_filter`?");
    wrong_type_list_expected:
        GOOD_SOURCE.replace("  ami_name", "  ami_regions = \"eu-west-1\"\n  ami_name") + BUILD => (5, 17, "`ami_regions` must be a list of strings, found a string");
    wrong_type_bool_expected:
        GOOD_SOURCE.replace("  ami_name", "  encrypt_boot = \"yes\"\n  ami_name") + BUILD => (5, 18, "`encrypt_boot` must be true or false");
    wrong_type_map_expected:
        GOOD_SOURCE.replace("  ami_name", "  tags = [\"a\"]\n  ami_name") + BUILD => (5, 10, "`tags` must be a map of strings");
    missing_region:
        "source \"amazon-ebs\" \"web\" {\n  instance_type = \"t3.micro\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = \"web-image\"\n}\n".to_owned() + BUILD
        => (1, 1, "missing the required setting `region`");
    missing_instance_type:
        "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = \"web-image\"\n}\n".to_owned() + BUILD
        => (1, 1, "missing the required setting `instance_type`");
    missing_source_ami:
        "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  ami_name = \"web-image\"\n}\n".to_owned() + BUILD
        => (1, 1, "needs a source AMI", hint = "source_ami_filter");
    malformed_region_name:
        GOOD_SOURCE.replace("\"us-east-1\"", "\"us-east-one\"") + BUILD => (2, 19, "unknown AWS region `us-east-one`", hint = "");
    unknown_copy_region:
        GOOD_SOURCE.replace("  ami_name", "  ami_regions = [\"eu-wset-1\"]\n  ami_name") + BUILD => (5, 17, "unknown AWS region `eu-wset-1`; did you mean `eu-west-1`?");
    ami_name_too_short:
        GOOD_SOURCE.replace("\"web-image\"", "\"ab\"") + BUILD => (5, 19, "AWS requires 3 to 128");
    ami_name_too_long_after_templating:
        format!("variable \"suffix\" {{\n  default = \"{}\"\n}}\n", "x".repeat(130)) + &GOOD_SOURCE.replace("\"web-image\"", "\"web-${var.suffix}\"") + BUILD
        => (8, 19, "134 characters long");
    ami_name_bad_character:
        GOOD_SOURCE.replace("\"web-image\"", "\"web:image\"") + BUILD => (5, 19, "contains `:`");
    ami_name_too_long:
        GOOD_SOURCE.replace("\"web-image\"", &format!("\"{}\"", "a".repeat(129))) + BUILD => (5, 19, "129 characters long");
    legacy_template_unsupported:
        GOOD_SOURCE.replace("\"web-image\"", "\"web-{{user `x`}}\"") + BUILD => (5, 19, "`user` reads JSON template user variables; in an HCL recipe write ${var.x} instead");
    duplicate_source_names:
        format!("{GOOD_SOURCE}{GOOD_SOURCE}{BUILD}") => (7, 21, "source `web` is declared more than once");
    build_names_unknown_source:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.wbe\"]\n}\n") => (9, 13, "unknown source `source.amazon-ebs.wbe`", hint = "did you mean `source.amazon-ebs.web`?");
    undefined_variable_reference:
        "variable \"region\" {\n  default = \"us-east-1\"\n}\n".to_owned() + &GOOD_SOURCE.replace("\"us-east-1\"", "var.regoin") + BUILD
        => (5, 19, "undefined variable `var.regoin`", hint = "did you mean `var.region`?");
    undefined_variable_in_template:
        GOOD_SOURCE.replace("\"web-image\"", "\"web-${var.version}\"") + BUILD => (5, 26, "undefined variable `var.version`");
    undefined_local:
        GOOD_SOURCE.replace("\"web-image\"", "\"web-${local.stamp}\"") + BUILD => (5, 26, "undefined local value `local.stamp`");
    unset_variable:
        "variable \"vpc\" {\n  type = string\n}\n".to_owned() + GOOD_SOURCE + BUILD => (1, 1, "variable `vpc` is not set", hint = "--var vpc=VALUE");
    failed_variable_validation:
        "variable \"size\" {\n  type = string\n  default = \"huge\"\n  validation {\n    condition = contains([\"small\", \"large\"], var.size)\n    error_message = \"size must be small or large\"\n  }\n}\n".to_owned() + GOOD_SOURCE + BUILD
        => (5, 17, "invalid value for variable `size`: size must be small or large");
    variable_default_wrong_type:
        "variable \"count\" {\n  type = number\n  default = \"many\"\n}\n".to_owned() + GOOD_SOURCE + BUILD => (3, 13, "a number is required, found the string \"many\"");
    unknown_variable_type:
        "variable \"x\" {\n  type = strin\n  default = \"a\"\n}\n".to_owned() + GOOD_SOURCE + BUILD => (2, 10, "unknown type `strin`");
    resolve_ssm_not_a_path:
        GOOD_SOURCE.replace("\"ami-0123456789abcdef0\"", "\"resolve:ssm:not a path\"") + BUILD => (4, 19, "not a valid SSM parameter reference");
    source_ami_not_an_id:
        GOOD_SOURCE.replace("\"ami-0123456789abcdef0\"", "\"ubuntu-22.04\"") + BUILD => (4, 19, "neither an AMI ID nor resolve:ssm:PARAMETER");
    source_ami_and_filter_conflict:
        GOOD_SOURCE.replace("  ami_name", "  source_ami_filter {\n    owners = [\"amazon\"]\n  }\n  ami_name") + BUILD => (4, 19, "`source_ami` and `source_ami_filter` cannot both be set");
    filter_without_owners:
        "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  ami_name = \"web-image\"\n  source_ami_filter {\n    filters = { name = \"al2023-*\" }\n  }\n}\n".to_owned() + BUILD
        => (5, 3, "source_ami_filter needs `owners`", hint = "Packer refuses this too");
    script_with_inline:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    inline = [\"echo hi\"]\n    script = \"setup.sh\"\n  }\n}\n") => (12, 14, "`inline` and `script` cannot both be set");
    file_source_with_content:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"file\" {\n    source = \"a.txt\"\n    content = \"x\"\n    destination = \"/etc/a.txt\"\n  }\n}\n") => (12, 15, "`source` and `content` cannot both be set");
    unreadable_script_path:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    script = \"scripts/missing.sh\"\n  }\n}\n") => (11, 14, "cannot read script", hint = "relative to the recipe's directory");
    unreadable_file_source:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"file\" {\n    source = \"files/app.conf\"\n    destination = \"/etc/app.conf\"\n  }\n}\n") => (11, 14, "no such file or directory");
    relative_file_destination:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"file\" {\n    content = \"x\"\n    destination = \"app.conf\"\n  }\n}\n") => (12, 19, "must be an absolute path");
    unsupported_provisioner:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"ansible\" {\n  }\n}\n") => (10, 15, "provisioner 1 (`ansible`) is not supported yet");
    shell_local_inline_with_script:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell-local\" {\n    command = \"echo hi\"\n    inline = [\"echo hi\"]\n  }\n}\n") => (12, 14, "`command` and `inline` cannot both be set");
    shell_local_without_commands:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  post-processor \"shell-local\" {\n  }\n}\n") => (10, 3, "needs `inline`, `script` or `scripts`");
    shell_local_unknown_os:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell-local\" {\n    inline = [\"true\"]\n    only_on = [\"macos\"]\n  }\n}\n") => (12, 15, "`only_on` names unknown OS `macos`", hint = "darwin");
    shell_local_linux_pathing:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell-local\" {\n    script = \"recipe.pkr.hcl\"\n    use_linux_pathing = true\n  }\n}\n") => (12, 25, "only applies when Packer runs on Windows", hint = "Packer refuses it outside Windows");
    shell_local_remote_template_field:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell-local\" {\n    inline = [\"true\"]\n    execute_command = [\"sh\", \"-c\", \"{{ .Vars }} {{ .Path }}\"]\n  }\n}\n") => (12, 23, "Path", hint = "{{.Script}}");
    shell_local_env_var_format:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell-local\" {\n    inline = [\"true\"]\n    env_var_format = \"%s \"\n  }\n}\n") => (12, 22, "needs two", hint = "two %s");
    breakpoint_unknown_attribute:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"breakpoint\" {\n    notes = \"x\"\n  }\n}\n") => (11, 5, "unknown attribute `notes` in provisioner 1 (breakpoint)", hint = "did you mean `note`?");
    timeout_out_of_ssm_range:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    inline = [\"true\"]\n    timeout = \"72h\"\n  }\n}\n") => (12, 15, "outside 5s..48h", hint = "silently uses 1 hour");
    bad_duration:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    inline = [\"true\"]\n    pause_before = \"5 minutes\"\n  }\n}\n") => (12, 20, "is not a duration");
    winrm_communicator_refused:
        GOOD_SOURCE.replace("  ami_name", "  communicator = \"winrm\"\n  ami_name") + BUILD => (5, 18, "Windows images are not supported yet", hint = "AWS Systems Manager");
    kms_key_without_encrypt_boot:
        GOOD_SOURCE.replace("  ami_name", "  kms_key_id = \"alias/x\"\n  ami_name") + BUILD => (5, 16, "`kms_key_id` requires `encrypt_boot = true`");
    region_kms_key_not_in_ami_regions:
        GOOD_SOURCE.replace("  ami_name", "  encrypt_boot = true\n  region_kms_key_ids = { \"eu-west-1\" = \"alias/x\" }\n  ami_name") + BUILD => (6, 24, "`eu-west-1`, which is not in ami_regions");
    skip_save_build_region_without_copies:
        GOOD_SOURCE.replace("  ami_name", "  skip_save_build_region = true\n  ami_regions = [\"us-east-1\"]\n  ami_name") + BUILD => (5, 28, "needs another region in ami_regions", hint = "add the regions to copy to");
    snapshot_copy_duration_not_in_steps_of_15:
        GOOD_SOURCE.replace("  ami_name", "  snapshot_copy_duration_minutes = 20\n  ami_name") + BUILD => (5, 36, "15 to 2880 minutes, in steps of 15", hint = "multiple of 15");
    snapshot_copy_duration_too_long:
        GOOD_SOURCE.replace("  ami_name", "  snapshot_copy_duration_minutes = 2895\n  ami_name") + BUILD => (5, 36, "15 to 2880 minutes");
    ami_users_not_account_ids:
        GOOD_SOURCE.replace("  ami_name", "  ami_users = [\"12345\"]\n  ami_name") + BUILD => (5, 15, "not a 12-digit AWS account ID");
    deprecate_at_in_the_past:
        GOOD_SOURCE.replace("  ami_name", "  deprecate_at = \"2001-01-01T00:00:00Z\"\n  ami_name") + BUILD => (5, 18, "is in the past");
    undefined_function:
        GOOD_SOURCE.replace("\"web-image\"", "\"web-${nowtime()}\"") + BUILD => (5, 26, "undefined function `nowtime`", hint = "formatdate");
    duplicate_attribute:
        GOOD_SOURCE.replace("  ami_name", "  region = \"us-east-2\"\n  ami_name") + BUILD => (5, 3, "redefined attribute");
    unknown_post_processor:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  post-processor \"docker-push\" {\n  }\n}\n") => (10, 18, "unsupported post-processor `docker-push`");
    environment_vars_not_pairs:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    inline = [\"true\"]\n    environment_vars = [\"NOEQUALS\"]\n  }\n}\n") => (12, 24, "is not NAME=VALUE");
    ssm_parameter_post_processor_bad_name:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  post-processor \"ssm-parameter\" {\n    name = \"my param\"\n  }\n}\n") => (11, 12, "is not a valid SSM parameter name");
    ssm_parameter_reserved_prefix:
        with_build(GOOD_SOURCE, "build {\n  sources = [\"source.amazon-ebs.web\"]\n  post-processor \"ssm-parameter\" {\n    name = \"/awsinaction/ami-id\"\n  }\n}\n") => (11, 12, "may not begin with `aws` or `ssm`", hint = "AWS reserves those prefixes");
    no_build_block:
        GOOD_SOURCE => (1, 1, "the recipe has no build block");
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-one\"\n  instnce_type = \"t3.micro\"\n  source_ami = \"resolve:ssm:bad path\"\n  ami_name = \"x\"\n}\nbuild {\n  sources = [\"source.amazon-ebs.nope\"]\n}\n";
    let r = TempRecipe::new(text);
    let diags = r.load(&Inputs::default()).unwrap_err();
    let positions: Vec<(usize, usize)> = diags.iter().map(|d| (d.line, d.col)).collect();
    for expected in [(1, 1), (2, 12), (3, 3), (4, 16), (5, 14), (8, 13)] {
        assert!(
            positions.contains(&expected),
            "missing {expected:?} in:\n{diags}"
        );
    }
    assert!(diags.len() >= 6);
}

#[test]
fn ignored_packer_options_are_warnings_not_errors() {
    let r = TempRecipe::new(
        &(GOOD_SOURCE.replace("  ami_name", "  ssh_username = \"ec2-user\"\n  ami_name") + BUILD),
    );
    let recipe = r
        .load(&Inputs::default())
        .expect("ignored options are accepted");
    assert_eq!(recipe.warnings.len(), 1);
    assert!(recipe.warnings[0]
        .message
        .contains("`ssh_username` is accepted for Packer compatibility and ignored"));
    assert_eq!((recipe.warnings[0].line, recipe.warnings[0].col), (5, 3));
}
