//! `amibake validate` and `amibake inspect` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;

use super::{root, TempRecipe, GOOD_SOURCE};

fn amibake() -> Command {
    let mut c = Command::cargo_bin("amibake").unwrap();
    c.current_dir(root()).env_remove("AWS_PROFILE");
    c
}

#[test]
fn validate_accepts_every_shipped_recipe() {
    amibake()
        .args(["validate", "recipes/etherpad.hcl", "recipes/minimal.hcl"])
        .assert()
        .success()
        .stdout("recipes/etherpad.hcl: ok\nrecipes/minimal.hcl: ok\n");
}

#[test]
fn validate_reports_every_problem_with_positions_and_exits_2() {
    let r = TempRecipe::new("source \"amazon-ebs\" \"web\" {\n  region = \"us-east-one\"\n  instnce_type = \"t3.micro\"\n}\nbuild {\n  sources = [\"source.amazon-ebs.web\"]\n}\n");
    let file = r.path.display().to_string();
    amibake()
        .args(["validate", &file])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{file}:2:12: error: unknown AWS region `us-east-one`; did you mean `us-east-1`?"
        )))
        .stderr(predicate::str::contains(format!(
            "{file}:3:3: error: unknown attribute `instnce_type`"
        )))
        .stderr(predicate::str::contains(
            "  hint: did you mean `instance_type`?",
        ))
        .stderr(predicate::str::contains("problems found"));
}

#[test]
fn validate_of_a_missing_file_says_so() {
    amibake()
        .args(["validate", "recipes/nope.hcl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "recipes/nope.hcl:1:1: error: cannot read recipe",
        ));
}

#[test]
fn inspect_prints_resolved_json_with_variables_applied() {
    let out = amibake()
        .args([
            "inspect",
            "recipes/etherpad.hcl",
            "--var",
            "region=eu-central-1",
            "--var",
            "copy_regions=[\"us-west-2\",\"eu-west-1\"]",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let s = &v["sources"][0];
    assert_eq!(s["region"], "eu-central-1");
    assert_eq!(
        s["ami_regions"],
        serde_json::json!(["us-west-2", "eu-west-1"])
    );
    assert_eq!(s["source_ami"]["kind"], "ssm_parameter");
    assert_eq!(s["metadata_options"]["http_tokens"], "required");
    assert_eq!(v["variables"]["region"]["origin"], "--var");
    assert_eq!(v["builds"][0]["provisioners"][0]["type"], "shell");
    assert_eq!(v["builds"][0]["post_processors"][0]["type"], "manifest");
}

#[test]
fn inspect_never_shows_sensitive_values() {
    let r = TempRecipe::new(&format!(
        "variable \"token\" {{\n  default = \"tok-12345\"\n  sensitive = true\n}}\n{}build {{\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {{\n    inline = [\"echo ${{var.token}}\"]\n  }}\n}}\n",
        GOOD_SOURCE
    ));
    amibake()
        .args(["inspect", &r.path.display().to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains("tok-12345").not())
        .stdout(predicate::str::contains("echo <sensitive>"));
}

#[test]
fn inspect_of_a_bad_recipe_fails_with_the_problems() {
    amibake()
        .args(["inspect", "recipes/etherpad.hcl", "--var", "region=mars-1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("unknown AWS region `mars-1`"))
        .stderr(predicate::str::contains(
            "invalid value for variable `region`: The region must look like us-east-1.",
        ));
}

#[test]
fn malformed_var_flag_is_a_usage_error() {
    amibake()
        .args(["validate", "recipes/minimal.hcl", "--var", "novalue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--var `novalue` is not NAME=VALUE",
        ))
        .stderr(predicate::str::contains(
            "hint: write it as --var region=eu-west-1",
        ));
}

#[test]
fn version_and_help_work() {
    amibake()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("amibake "));
    amibake()
        .args(["validate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
}
