//! AWS configuration shared by every command.
//!
//! Credentials, profile and endpoint come from aws-config's standard chain so
//! that amibake behaves like the AWS CLI; the only additions are the global
//! `--region`, `--profile` and `--endpoint-url` flags and a retry policy
//! suited to long-running builds (throttling is expected, not fatal).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{Error, Result};

mod access;

/// The global options that decide how we reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

/// A loaded base configuration from which per-region clients are made.
#[derive(Clone, Debug)]
pub struct Aws {
    base: SdkConfig,
    /// `--profile` / `AWS_PROFILE`, or the recipe's profile: named in
    /// credential errors.
    profile: Option<String>,
    /// The command's options, from which a source with its own access
    /// options derives its clients ([`access`]).
    opts: AwsOptions,
    /// A source's `custom_endpoint_ec2`: EC2 calls only go there.
    ec2_endpoint: Option<String>,
}

/// Attempts per call. Throttling (`RequestLimitExceeded`, `Throttling`,
/// `ThrottlingException`) is retried by the SDK's standard mode with
/// exponential backoff and jitter; ten attempts survive sustained throttling
/// while still failing a dead endpoint within seconds.
const MAX_ATTEMPTS: u32 = 10;

/// aws-config's standard chain with the command's options and a retry
/// policy of `max_attempts` attempts per call.
fn loader(opts: &AwsOptions, max_attempts: u32) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard()
            .with_max_attempts(max_attempts)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(5)),
    );
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

impl Aws {
    /// Load credentials and settings through aws-config's standard chain
    /// (environment, shared profiles, SSO, assume-role, instance metadata).
    pub async fn load(opts: &AwsOptions) -> Result<Aws> {
        let base = loader(opts, max_attempts()).load().await;
        Ok(Aws {
            base,
            profile: opts
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok()),
            opts: opts.clone(),
            ec2_endpoint: None,
        })
    }

    /// Wrap an already built configuration (used by tests).
    pub fn from_config(base: SdkConfig) -> Aws {
        Aws {
            base,
            profile: None,
            opts: AwsOptions::default(),
            ec2_endpoint: None,
        }
    }

    /// The region from `--region`, `AWS_REGION` or the profile, if any.
    pub fn default_region(&self) -> Option<String> {
        self.base.region().map(|r| r.to_string())
    }

    /// The configuration for one region.
    pub fn config(&self, region: &str) -> SdkConfig {
        in_region(&self.base, region)
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let mut conf = aws_sdk_ec2::config::Builder::from(&self.config(region));
        if let Some(url) = &self.ec2_endpoint {
            conf = conf.endpoint_url(url);
        }
        aws_sdk_ec2::Client::from_conf(conf.build())
    }
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.config(region))
    }
    pub fn iam(&self, region: &str) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config(region))
    }
    pub fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config(region))
    }
    pub fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.config(region))
    }
    pub fn cloudformation(&self, region: &str) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.config(region))
    }
    pub fn autoscaling(&self, region: &str) -> aws_sdk_autoscaling::Client {
        aws_sdk_autoscaling::Client::new(&self.config(region))
    }
    /// S3 with path-style addressing: virtual-host names break against
    /// loopback endpoints and bucket names with dots.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Check that credentials exist and work, and return the account ID.
    ///
    /// The credential chain is asked first, on its own: an STS call without
    /// credentials fails as a dispatch failure whose text is about the
    /// network, not about what the user has to fix.
    pub async fn account_id(&self, region: &str) -> Result<String> {
        self.check_credentials().await?;
        let out = self
            .sts(region)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_error("sts:GetCallerIdentity", &e))?;
        out.account
            .ok_or_else(|| Error::aws("sts:GetCallerIdentity returned no account"))
    }
}

impl Aws {
    /// Ask the credential chain for credentials, without calling AWS
    /// (beyond what the chain itself calls: SSO, STS AssumeRole).
    pub async fn check_credentials(&self) -> Result<()> {
        let profile = self.profile.as_deref();
        let Some(provider) = self.base.credentials_provider() else {
            return Err(no_credentials(profile));
        };
        provider
            .provide_credentials()
            .await
            .map_err(|e| credentials_error(e, profile))?;
        Ok(())
    }
}

fn in_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

fn max_attempts() -> u32 {
    std::env::var("AMIBAKE_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_ATTEMPTS)
}

/// What went wrong loading credentials, in the user's terms.
fn credentials_error(err: CredentialsError, profile: Option<&str>) -> Error {
    // Each provider's reason is detail for `-v`, not the headline.
    tracing::debug!("credential chain: {}", causes(&err));
    match err {
        CredentialsError::CredentialsNotLoaded(_) => no_credentials(profile),
        other => {
            Error::aws(format!("could not load AWS credentials: {}", causes(&other))).with_hint(
                "check the profile in ~/.aws/config (or --profile), and refresh an expired SSO session with `aws sso login`",
            )
        }
    }
}

fn no_credentials(profile: Option<&str>) -> Error {
    match profile {
        Some(p) => Error::aws(format!("no AWS credentials found for profile `{p}`")).with_hint(
            format!("check that ~/.aws/config or ~/.aws/credentials defines `{p}` (for SSO, run `aws sso login --profile {p}`), or choose another with --profile; -v shows why each credential source failed"),
        ),
        None => Error::aws("no AWS credentials found").with_hint(
            "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws sso login`, or pass --profile NAME; -v shows why each credential source failed",
        ),
    }
}

/// The AWS error code of a failed call (`InvalidAMIID.NotFound`, ...), if any.
pub fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

/// Whether an AWS error code means "slow down" (EC2, IAM/STS/CloudFormation,
/// SSM spell it differently).
pub fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException"
    )
}

/// An error and its sources, `outer: inner: innermost`, each by its Display.
fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Turn an SDK error into a user-facing error naming the operation, with a
/// hint for the codes users commonly hit.
pub fn sdk_error<E, R>(operation: &str, err: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = match err {
        SdkError::ServiceError(se) => (
            se.err().code().unwrap_or("Unknown").to_owned(),
            se.err().message().unwrap_or("").to_owned(),
        ),
        SdkError::DispatchFailure(df) => (
            "DispatchFailure".to_owned(),
            format!(
                "could not reach the AWS endpoint: {}",
                match df.as_connector_error() {
                    Some(ce) => causes(ce),
                    None => format!("{df:?}"),
                }
            ),
        ),
        SdkError::TimeoutError(_) => ("Timeout".to_owned(), "the call timed out".to_owned()),
        SdkError::ResponseError(re) => (
            "ResponseError".to_owned(),
            format!("unreadable response: {:?}", re.raw()),
        ),
        other => (
            "Error".to_owned(),
            format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(other)
            ),
        ),
    };
    let mut e = Error::aws(format!("{operation} failed: {code}: {message}"));
    if let Some(hint) = hint_for(&code) {
        e = e.with_hint(hint);
    }
    e
}

fn hint_for(code: &str) -> Option<&'static str> {
    Some(match code {
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            "the credentials in use lack this permission; check the IAM policy of the caller (docs/build.md and docs/gc.md list the permissions amibake needs)"
        }
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" | "UnrecognizedClientException" => {
            "the credentials are invalid or expired; refresh them (e.g. `aws sso login`) or pass --profile"
        }
        c if is_throttling(c) => {
            "AWS kept throttling after repeated retries; try again later or run fewer amibake jobs at once"
        }
        "DispatchFailure" => "check --endpoint-url / AWS_ENDPOINT_URL and your network connection",
        "OptInRequired" => "the region is not enabled for this account; enable it in the AWS console or remove it",
        _ => return None,
    })
}

/// AWS partitions' region names that amibake knows. A region outside this
/// list is refused with a did-you-mean hint, because a typo here would
/// otherwise surface as an opaque DNS or signature error.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Check a region name: `Ok(())` or a message with a suggestion.
pub fn check_region(region: &str) -> std::result::Result<(), String> {
    if KNOWN_REGIONS.contains(&region) {
        return Ok(());
    }
    let best = KNOWN_REGIONS
        .iter()
        .map(|r| (strsim::levenshtein(r, region), r))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, r)| format!("did you mean `{r}`?"));
    Err(match best {
        Some(s) => format!("unknown AWS region `{region}`; {s}"),
        None => format!("unknown AWS region `{region}`; expected a name like `us-east-1`"),
    })
}
