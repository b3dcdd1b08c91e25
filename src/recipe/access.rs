//! The access options of `source "amazon-ebs"`: Packer's AccessConfig
//! (packer-plugin-amazon builder/common/access_config.go) read into
//! [`Access`]. Credentials, a role to assume, the EC2 endpoint and retries
//! act as in Packer; what amibake cannot honour the same way is refused
//! with what to do instead.

use std::path::PathBuf;
use std::sync::LazyLock;

use hcl::edit::Span;
use regex::Regex;

use super::fields::{as_string, Fields};
use super::loader::Loader;
use super::model::{Access, AssumeRole};
use super::source::is_later;

static ROLE_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$").unwrap());
/// STS's RoleSessionName rule.
static SESSION_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\w+=,.@-]{2,64}$").unwrap());

const KEYS_HINT: &str = "give credentials through the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or a profile and remove them from the recipe, or at least read them from a `sensitive = true` variable set with PKR_VAR_NAME";

/// Read the access options of one source.
pub(crate) fn read(l: &mut Loader, f: &mut Fields<'_>) -> Access {
    let profile = f.string(l, "profile");
    let access_key = f.string(l, "access_key");
    let secret_key = secret(l, f, "secret_key");
    let token = secret(l, f, "token");
    match (&access_key, &secret_key) {
        (Some(_), None) | (None, Some(_)) => {
            let (set, missing) = if access_key.is_some() {
                ("access_key", "secret_key")
            } else {
                ("secret_key", "access_key")
            };
            l.error(
                f.value_span(set),
                format!("`{set}` is set without `{missing}`"),
            )
            .hint = Some("set both or neither (Packer's rule)".into());
        }
        _ => {}
    }
    if token.is_some() && access_key.is_none() {
        l.error(
            f.value_span("token"),
            "`token` is the session token of `access_key`/`secret_key`, which are not set",
        )
        .hint = Some("set all three, or remove token".into());
    }
    if access_key.is_some() && profile.is_some() {
        l.warning(
            f.value_span("profile"),
            "`profile` is not used: `access_key`/`secret_key` come first, as in Packer",
        );
    }
    let shared_credentials_file = f
        .string(l, "shared_credentials_file")
        .filter(|p| !is_later(p))
        .map(|p| credentials_path(l, &p));
    let assume_role = read_assume_role(l, f);
    let max_retries = f.int(l, "max_retries").and_then(|n| {
        if n < 0 {
            l.error(f.value_span("max_retries"), "max_retries must be 0 or more");
        }
        // 0 is Packer's "use the default".
        u32::try_from(n).ok().filter(|n| *n > 0)
    });
    let custom_endpoint_ec2 = f
        .string(l, "custom_endpoint_ec2")
        .and_then(|url| endpoint(l, f, url));
    let skip_credential_validation = f.bool(l, "skip_credential_validation").unwrap_or(false);
    refuse_unsupported(l, f);
    Access {
        profile,
        access_key,
        secret_key,
        token,
        shared_credentials_file,
        assume_role,
        max_retries,
        custom_endpoint_ec2,
        skip_credential_validation,
    }
}

/// A key or token: always redacted, and a warning when it is written in
/// the recipe rather than taken from a sensitive variable (which the
/// environment can set without the secret ever being in a file).
fn secret(l: &mut Loader, f: &mut Fields<'_>, name: &'static str) -> Option<String> {
    let attr = f.attr(name)?;
    let span = attr.value.span();
    let (value, sensitive) = l.eval_marked(&attr.value)?;
    if value.is_null() {
        return None;
    }
    let Some(text) = as_string(&value) else {
        l.error(
            span,
            format!("`{name}` must be a string, found {}", value.type_name()),
        );
        return None;
    };
    l.remember_secret(&value);
    if !sensitive && !is_later(&text) {
        l.warning(
            span,
            format!("`{name}` is written in the recipe: keys in templates leak through version control, logs and copies"),
        )
        .hint = Some(KEYS_HINT.into());
    }
    Some(text)
}

/// `~` is the home directory, as Packer expands it; other relative paths
/// are relative to the template's directory, as every path in a recipe.
fn credentials_path(l: &Loader, p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => l.resolve_path(p),
    }
}

/// Packer's AWS SDK takes an endpoint without a scheme as HTTPS.
fn endpoint(l: &mut Loader, f: &Fields<'_>, url: String) -> Option<String> {
    if is_later(&url) {
        return Some(url);
    }
    let full = if url.contains("://") {
        url
    } else {
        format!("https://{url}")
    };
    let host = full
        .strip_prefix("https://")
        .or_else(|| full.strip_prefix("http://"));
    if !host.is_some_and(|h| !h.is_empty() && !h.starts_with('/')) {
        l.error(
            f.value_span("custom_endpoint_ec2"),
            format!("custom_endpoint_ec2 `{full}` is not an http(s) URL"),
        )
        .hint = Some("write it like \"https://ec2.example.com\"".into());
        return None;
    }
    Some(full)
}

fn read_assume_role(l: &mut Loader, f: &mut Fields<'_>) -> Option<AssumeRole> {
    let blocks = f.blocks("assume_role");
    if let Some(extra) = blocks.get(1) {
        l.error(extra.ident.span(), "only one assume_role block is allowed");
    }
    let block = blocks.first()?;
    let mut rf = Fields::of_block(block, "assume_role");
    let role_arn = rf.required_string(
        l,
        "role_arn",
        "add role_arn = \"arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME\"",
    );
    if let Some(arn) = role_arn.as_deref().filter(|a| !is_later(a)) {
        if !ROLE_ARN.is_match(arn) {
            l.error(
                rf.value_span("role_arn"),
                format!("`{arn}` is not an IAM role ARN"),
            )
            .hint = Some("role ARNs look like arn:aws:iam::123456789012:role/builder".into());
        }
    }
    let session_name = rf.string(l, "session_name");
    if let Some(n) = session_name.as_deref().filter(|n| !is_later(n)) {
        if !SESSION_NAME.is_match(n) {
            l.error(
                rf.value_span("session_name"),
                format!("session_name `{n}` is not a valid STS session name"),
            )
            .hint = Some("2 to 64 letters, digits and + = , . @ _ -".into());
        }
    }
    let external_id = rf.string(l, "external_id");
    let duration_seconds = rf.int(l, "duration_seconds").and_then(|d| {
        if !(900..=43200).contains(&d) {
            l.error(
                rf.value_span("duration_seconds"),
                format!(
                    "duration_seconds is {d}; AWS accepts 900 (15 minutes) to 43200 (12 hours)"
                ),
            );
        }
        u32::try_from(d).ok()
    });
    let policy = rf.string(l, "policy");
    if let Some(p) = policy.as_deref().filter(|p| !is_later(p)) {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(p) {
            l.error(rf.value_span("policy"), format!("policy is not JSON: {e}"))
                .hint = Some("write the session policy with jsonencode({ Version = \"2012-10-17\", Statement = [...] })".into());
        }
    }
    let policy_arns = rf.string_list(l, "policy_arns").unwrap_or_default();
    for arn in &policy_arns {
        if !arn.starts_with("arn:aws") || !arn.contains(":policy/") {
            l.error(
                rf.value_span("policy_arns"),
                format!("`{arn}` is not an IAM policy ARN"),
            );
        }
    }
    let tags = rf.string_map(l, "tags").unwrap_or_default();
    let transitive_tag_keys = rf.string_list(l, "transitive_tag_keys").unwrap_or_default();
    for k in &transitive_tag_keys {
        if !tags.contains_key(k) {
            l.error(
                rf.value_span("transitive_tag_keys"),
                format!("transitive tag key `{k}` is not one of the session's tags"),
            )
            .hint = Some("AWS passes on only session tags: add it to tags or remove it".into());
        }
    }
    rf.finish(l);
    Some(AssumeRole {
        role_arn: role_arn?,
        session_name,
        external_id,
        duration_seconds,
        policy,
        policy_arns,
        tags,
        transitive_tag_keys,
    })
}

/// The access options amibake does not act on as Packer does.
fn refuse_unsupported(l: &mut Loader, f: &mut Fields<'_>) {
    if f.string(l, "mfa_code").is_some_and(|c| !c.is_empty()) {
        // Packer hands the code to a profile whose role needs MFA
        // (`mfa_serial`); the AWS SDK for Rust has no such hook, and a
        // one-time code written into a template is stale within a minute.
        l.error(f.value_span("mfa_code"), "mfa_code is not supported: amibake cannot hand an MFA code to a profile's role assumption")
            .hint = Some("get MFA-backed temporary credentials before the build (`aws sts get-session-token --serial-number ARN --token-code CODE`, or `aws configure export-credentials --profile NAME --format env`), export them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, and remove mfa_code".into());
    }
    if f.bool(l, "insecure_skip_tls_verify") == Some(true) {
        l.error(f.value_span("insecure_skip_tls_verify"), "insecure_skip_tls_verify is not supported: amibake always verifies the endpoint's TLS certificate")
            .hint = Some("trust the endpoint's certificate instead (add its CA to the system trust store, or point SSL_CERT_FILE at a bundle that includes it) and remove insecure_skip_tls_verify".into());
    }
    for block in f.blocks("vault_aws_engine") {
        // Packer ignores an empty block.
        if !block.body.is_empty() {
            l.error(block.ident.span(), "vault_aws_engine is not supported: amibake does not read HashiCorp Vault")
                .hint = Some("read the credentials before the build (`vault read aws/creds/ROLE`, or `vault write aws/sts/ROLE` for a role), export them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, and remove vault_aws_engine".into());
        }
    }
    f.ignore(
        &["decode_authorization_messages"],
        "amibake shows AWS's errors as they are; decode an encoded authorization message with `aws sts decode-authorization-message --encoded-message MESSAGE`",
    );
}
