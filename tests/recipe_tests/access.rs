//! The access options of `amazon-ebs` (Packer's AccessConfig): read into
//! the model, secrets kept out of output, and what amibake cannot honour
//! refused at its position.

use amibake::recipe::{Inputs, Severity};

use super::malformed::{assert_error, BUILD};
use super::{TempRecipe, GOOD_SOURCE};

/// GOOD_SOURCE with `lines` inserted before `ami_name` (line 5 onwards).
fn source_with(lines: &str) -> String {
    GOOD_SOURCE.replace("  ami_name", &format!("{lines}\n  ami_name")) + BUILD
}

#[test]
fn access_options_are_read_with_packers_names_and_secrets_never_printed() {
    let r = TempRecipe::new(
        &(r#"
variable "secret" {
  type      = string
  sensitive = true
}
"#
        .to_owned()
            + &source_with(
                r#"  access_key = "AKIDRECIPE"
  secret_key = var.secret
  token      = var.secret
  shared_credentials_file = "creds/file"
  max_retries = 4
  custom_endpoint_ec2 = "ec2.example.com"
  skip_credential_validation = true
  insecure_skip_tls_verify = false
  mfa_code = ""
  vault_aws_engine {}
  assume_role {
    role_arn            = "arn:aws:iam::123456789012:role/builder"
    session_name        = "bake"
    external_id         = "ext-1"
    duration_seconds    = 1800
    policy              = jsonencode({ Version = "2012-10-17", Statement = [] })
    policy_arns         = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tags                = { team = "images", env = "ci" }
    transitive_tag_keys = ["team"]
  }"#,
            )),
    );
    let inputs = Inputs {
        vars: vec![("secret".into(), "s3cr3t-value".into())],
        ..Default::default()
    };
    let recipe = r.load(&inputs).unwrap_or_else(|d| panic!("{d}"));
    let a = &recipe.sources[0].access;
    assert_eq!(a.access_key.as_deref(), Some("AKIDRECIPE"));
    assert_eq!(a.secret_key.as_deref(), Some("s3cr3t-value"));
    assert_eq!(a.token.as_deref(), Some("s3cr3t-value"));
    assert_eq!(
        a.shared_credentials_file.as_deref(),
        Some(r.dir.path().join("creds/file").as_path()),
        "relative to the recipe's directory"
    );
    assert_eq!(a.max_retries, Some(4));
    assert_eq!(
        a.custom_endpoint_ec2.as_deref(),
        Some("https://ec2.example.com"),
        "an endpoint without a scheme is HTTPS, as in Packer's SDK"
    );
    assert!(a.skip_credential_validation);
    let role = a.assume_role.as_ref().unwrap();
    assert_eq!(role.role_arn, "arn:aws:iam::123456789012:role/builder");
    assert_eq!(role.session_name.as_deref(), Some("bake"));
    assert_eq!(role.external_id.as_deref(), Some("ext-1"));
    assert_eq!(role.duration_seconds, Some(1800));
    assert!(role.policy.as_deref().unwrap().contains("2012-10-17"));
    assert_eq!(role.policy_arns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert_eq!(role.tags["team"], "images");
    assert_eq!(role.transitive_tag_keys, ["team"]);
    // From a sensitive variable: redacted, and no warning about leaking.
    assert!(recipe
        .sensitive_values()
        .contains(&"s3cr3t-value".to_owned()));
    assert!(
        !recipe.warnings.iter().any(|w| w.message.contains("leak")),
        "{:?}",
        recipe.warnings
    );
    let json = serde_json::to_value(&recipe).unwrap();
    let access = json["sources"][0]["access"].to_string();
    assert!(!access.contains("s3cr3t-value"), "{access}");
    assert_eq!(json["sources"][0]["access"]["secret_key"], "<sensitive>");
    assert_eq!(json["sources"][0]["access"]["token"], "<sensitive>");
}

#[test]
fn keys_written_in_the_recipe_are_accepted_with_a_warning_and_redacted() {
    let r = TempRecipe::new(&source_with(
        "  access_key = \"AKIDLITERAL\"\n  secret_key = \"literal-secret\"\n  profile = \"ignored\"\n  decode_authorization_messages = true",
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|d| panic!("{d}"));
    let warnings: Vec<String> = recipe
        .warnings
        .iter()
        .filter(|w| w.severity == Severity::Warning)
        .map(|w| {
            format!(
                "{}:{} {} | {}",
                w.line,
                w.col,
                w.message,
                w.hint.clone().unwrap_or_default()
            )
        })
        .collect();
    let find = |s: &str| {
        warnings
            .iter()
            .find(|w| w.contains(s))
            .unwrap_or_else(|| panic!("no warning with {s:?} in {warnings:#?}"))
    };
    assert!(find("`secret_key` is written in the recipe").starts_with("6:16 "));
    assert!(find("keys in templates leak").contains("AWS_ACCESS_KEY_ID"));
    assert!(find("`profile` is not used").starts_with("7:13 "));
    assert!(find("decode_authorization_messages").contains("aws sts decode-authorization-message"));
    assert!(recipe
        .sensitive_values()
        .contains(&"literal-secret".to_owned()));
}

#[test]
fn access_options_amibake_cannot_honour_or_that_aws_refuses_are_errors_at_their_position() {
    let cases: &[(&str, usize, usize, &str, &str)] = &[
        ("  access_key = \"AKID\"", 5, 16, "`access_key` is set without `secret_key`", "both or neither"),
        ("  token = \"t\"", 5, 11, "`token` is the session token", "set all three"),
        ("  mfa_code = \"123456\"", 5, 14, "mfa_code is not supported", "aws sts get-session-token"),
        ("  insecure_skip_tls_verify = true", 5, 30, "insecure_skip_tls_verify is not supported", "SSL_CERT_FILE"),
        ("  vault_aws_engine {\n    name = \"builder\"\n  }", 5, 3, "vault_aws_engine is not supported", "vault read aws/creds/ROLE"),
        ("  max_retries = -1", 5, 17, "max_retries must be 0 or more", ""),
        ("  custom_endpoint_ec2 = \"ftp://x\"", 5, 25, "is not an http(s) URL", "https://ec2.example.com"),
        ("  assume_role {\n    session_name = \"x1\"\n  }", 5, 3, "missing the required setting `role_arn`", "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME"),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123:user/x\"\n  }", 6, 16, "is not an IAM role ARN", ""),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/b\"\n    duration_seconds = 60\n  }", 7, 24, "AWS accepts 900", ""),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/b\"\n    session_name = \"has space\"\n  }", 7, 20, "not a valid STS session name", ""),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/b\"\n    policy = \"{not json\"\n  }", 7, 14, "policy is not JSON", "jsonencode"),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/b\"\n    transitive_tag_keys = [\"team\"]\n  }", 7, 27, "transitive tag key `team` is not one of the session's tags", "add it to tags"),
        ("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/b\"\n    duration = 900\n  }", 7, 5, "unknown attribute `duration` in assume_role", ""),
    ];
    for (lines, line, col, message, hint) in cases {
        let hint = (!hint.is_empty()).then_some(*hint);
        assert_error(&source_with(lines), *line, *col, message, hint);
    }
}
