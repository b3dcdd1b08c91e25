//! A source's own way to reach AWS: the clients for a recipe source with
//! access options (`profile`, `access_key`, `assume_role`, ...).
//!
//! Base credentials follow Packer's order (the recipe's keys, then the
//! environment's keys, then the profile's), except that an explicit
//! `--profile` replaces the recipe's credentials: a command-line flag wins
//! over the recipe, and the recipe over the environment. `assume_role` then
//! applies on top of whichever base credentials were chosen, as in Packer.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_types::os_shim_internal::{Env, Fs};

use super::{in_region, loader, max_attempts, sdk_error, Aws};
use crate::error::{Error, Result};
use crate::recipe::{Access, AssumeRole, Source};

impl Aws {
    /// The clients for `source` (its access options), and notes for the
    /// user about options that the command line or the environment
    /// overrode. Fails, before anything is created, when the profile or
    /// credentials file the recipe names does not exist.
    pub async fn for_source(&self, source: &Source) -> Result<(Aws, Vec<String>)> {
        let (name, access) = (&source.name, &source.access);
        let mut notes = Vec::new();
        let has_credentials = access.profile.is_some()
            || access.access_key.is_some()
            || access.shared_credentials_file.is_some();
        if !has_credentials
            && access.assume_role.is_none()
            && access.max_retries.is_none()
            && access.custom_endpoint_ec2.is_none()
        {
            return Ok((self.clone(), notes));
        }
        let attempts = access.max_retries.map_or_else(max_attempts, |r| r + 1);
        let mut loader = loader(&self.opts, attempts);
        let mut profile = self.profile.clone();
        match (&self.opts.profile, &access.access_key, &access.secret_key) {
            (Some(flag), _, _) => notes.extend(has_credentials.then(|| {
                format!("source {name}: --profile {flag} replaces the recipe's credentials (profile, access_key, shared_credentials_file)")
            })),
            (None, Some(key), Some(secret)) => {
                loader = loader.credentials_provider(Credentials::new(
                    key,
                    secret,
                    access.token.clone(),
                    None,
                    "recipe",
                ));
            }
            _ if access.profile.is_some() || access.shared_credentials_file.is_some() => {
                let chosen = access
                    .profile
                    .clone()
                    .or_else(|| std::env::var("AWS_PROFILE").ok())
                    .unwrap_or_else(|| "default".into());
                let files = profile_files(access.shared_credentials_file.as_deref());
                check_profile(name, &chosen, access, &files).await?;
                if environment_has_keys() {
                    notes.push(format!("source {name}: profile `{chosen}` is not used: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set, and as in Packer the environment's keys come before a profile; unset them to use the profile"));
                }
                loader = loader.profile_name(&chosen).profile_files(files);
                profile = Some(chosen);
            }
            _ => {}
        }
        let mut ec2_endpoint = access.custom_endpoint_ec2.clone();
        if let (Some(flag), Some(_)) = (&self.opts.endpoint_url, &ec2_endpoint) {
            notes.push(format!(
                "source {name}: --endpoint-url {flag} replaces custom_endpoint_ec2"
            ));
            ec2_endpoint = None;
        }
        let mut base = loader.load().await;
        if let Some(role) = &access.assume_role {
            // STS in the build region, which every source has even when
            // the command has no region of its own.
            let provider = AssumeRoleCredentials {
                sts: aws_sdk_sts::Client::new(&in_region(&base, &source.region)),
                role: role.clone(),
            };
            base = base
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        let aws = Aws {
            base,
            profile,
            opts: self.opts.clone(),
            ec2_endpoint,
        };
        Ok((aws, notes))
    }
}

/// The default shared config file with `credentials` (the recipe's
/// `shared_credentials_file`) in place of the default credentials file.
fn profile_files(credentials: Option<&Path>) -> EnvConfigFiles {
    match credentials {
        None => EnvConfigFiles::default(),
        Some(path) => EnvConfigFiles::builder()
            .include_default_config_file(true)
            .with_file(EnvConfigFileKind::Credentials, path)
            .build(),
    }
}

fn environment_has_keys() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()))
}

/// A profile the recipe names must exist: a typo would otherwise surface
/// as "no credentials" in the middle of a build, or be shadowed silently.
async fn check_profile(
    source: &str,
    profile: &str,
    access: &Access,
    files: &EnvConfigFiles,
) -> Result<()> {
    if let Some(path) = &access.shared_credentials_file {
        if !path.is_file() {
            return Err(Error::usage(format!(
                "source {source}: shared_credentials_file {} does not exist",
                path.display()
            ))
            .with_hint("fix the path in the recipe (relative paths are relative to the recipe's directory; ~ is your home)"));
        }
    }
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        files,
        Some(Cow::Owned(profile.to_owned())),
    )
    .await
    .map_err(|e| {
        Error::usage(format!(
            "source {source}: cannot read the AWS shared config files: {e}"
        ))
        .with_hint("fix the file's syntax (INI sections like [profile NAME])")
    })?;
    if set.get_profile(profile).is_some() {
        return Ok(());
    }
    let credentials = access
        .shared_credentials_file
        .clone()
        .or_else(|| std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from))
        .map_or_else(
            || "~/.aws/credentials".to_owned(),
            |p| p.display().to_string(),
        );
    let config = std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".into());
    let whose = if access.profile.is_some() {
        "the recipe's `profile`"
    } else {
        "AWS_PROFILE"
    };
    Err(Error::usage(format!(
        "source {source}: AWS profile `{profile}` ({whose}) is not defined in {credentials} or {config}"
    ))
    .with_hint(format!(
        "add [{profile}] to {credentials} (or [profile {profile}] to {config}), or name an existing profile; nothing was created"
    )))
}

/// STS AssumeRole with every parameter of Packer's `assume_role` block
/// (aws-config's own provider has no transitive tag keys). The SDK's
/// identity cache keeps the credentials until shortly before they expire.
#[derive(Debug)]
struct AssumeRoleCredentials {
    /// Signed with the base credentials.
    sts: aws_sdk_sts::Client,
    role: AssumeRole,
}

impl AssumeRoleCredentials {
    async fn assume(&self) -> provider::Result {
        let r = &self.role;
        let session_name = r.session_name.clone().unwrap_or_else(|| {
            let ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            format!("amibake-{ms}")
        });
        let mut req = self
            .sts
            .assume_role()
            .role_arn(&r.role_arn)
            .role_session_name(session_name)
            .set_external_id(r.external_id.clone())
            .set_policy(r.policy.clone())
            .set_duration_seconds(r.duration_seconds.map(|d| d as i32))
            .set_transitive_tag_keys(
                (!r.transitive_tag_keys.is_empty()).then(|| r.transitive_tag_keys.clone()),
            );
        for arn in &r.policy_arns {
            req = req.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
        }
        for (k, v) in &r.tags {
            let tag = Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(CredentialsError::invalid_configuration)?;
            req = req.tags(tag);
        }
        let out = req.send().await.map_err(|e| {
            CredentialsError::provider_error(
                sdk_error("sts:AssumeRole", &e)
                    .context(format!("cannot assume role {}", r.role_arn)),
            )
        })?;
        let c = out.credentials().ok_or_else(|| {
            CredentialsError::provider_error(Error::aws("sts:AssumeRole returned no credentials"))
        })?;
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            SystemTime::try_from(*c.expiration()).ok(),
            "AssumeRole",
        ))
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}
