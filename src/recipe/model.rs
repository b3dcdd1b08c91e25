//! The resolved recipe: what `build` and `gc` consume.
//!
//! Everything here is already evaluated: variables applied, defaults filled,
//! templates rendered, paths made absolute. `inspect` prints this structure as
//! JSON (with sensitive values replaced), so field names follow Packer's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// What a string reads as in `validate`/`inspect` when its value comes from
/// a data source that only `build` runs. Checks on such text are skipped;
/// `build` never sees it (it runs the data sources first).
pub const KNOWN_LATER: &str = "(known after data sources run)";

/// A whole recipe (one file or a directory of them), resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    /// The recipe file or directory as given on the command line.
    pub path: PathBuf,
    /// The name images are tagged with (`amibake:recipe`): the file name
    /// without `.pkr.hcl`/`.hcl`, or the directory's name.
    pub name: String,
    /// Variables with their final values (sensitive ones redacted on output).
    pub variables: BTreeMap<String, VariableValue>,
    pub sources: Vec<Source>,
    pub builds: Vec<Build>,
    /// Whether loading wanted AWS (data sources, `aws_secretsmanager()`):
    /// `build` then loads the recipe again with a [`super::Remote`].
    #[serde(skip)]
    pub needs_remote: bool,
    /// Strings derived from sensitive locals and secrets (data sources,
    /// `aws_secretsmanager()`), for redaction.
    #[serde(skip)]
    pub secrets: Vec<String>,
    /// Accepted-but-ignored options and similar notes, for `validate`.
    #[serde(skip)]
    pub warnings: Vec<super::Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VariableValue {
    pub value: serde_json::Value,
    pub sensitive: bool,
    /// Where the value came from: `default`, `env:PKR_VAR_x`, `var-file:F`, `--var`.
    pub origin: String,
}

impl Recipe {
    /// The raw values of `sensitive = true` variables and of everything
    /// derived from secrets, for redaction.
    pub fn sensitive_values(&self) -> Vec<String> {
        let mut out = self.secrets.clone();
        for v in self.variables.values().filter(|v| v.sensitive) {
            collect_strings(&v.value, &mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// `source "amazon-ebs" "NAME"`.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub name: String,
    /// Always `amazon-ebs` today.
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    pub instance_type: String,
    pub source_ami: SourceAmi,
    pub ami_name: String,
    pub ami_description: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub run_tags: BTreeMap<String, String>,
    pub run_volume_tags: BTreeMap<String, String>,
    pub snapshot_tags: BTreeMap<String, String>,
    /// `false` (Packer's default): `run_tags` are also put on the AMI and
    /// its snapshots, under the image's own `tags`.
    pub skip_ami_run_tags: bool,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub security_group_ids: Vec<String>,
    pub associate_public_ip_address: Option<bool>,
    /// Name of an existing instance profile; `None` means amibake creates a
    /// temporary one with `AmazonSSMManagedInstanceCore`.
    pub iam_instance_profile: Option<String>,
    /// User data, with `user_data_file` already read.
    pub user_data: Option<String>,
    pub launch_block_device_mappings: Vec<BlockDevice>,
    pub ami_block_device_mappings: Vec<BlockDevice>,
    pub metadata_options: MetadataOptions,
    /// `v2.0` or none.
    pub imds_support: Option<String>,
    pub encrypt_boot: Option<bool>,
    pub kms_key_id: Option<String>,
    pub region_kms_key_ids: BTreeMap<String, String>,
    /// Regions to copy the image to (the build region excluded).
    pub ami_regions: Vec<String>,
    pub ami_users: Vec<String>,
    pub ami_groups: Vec<String>,
    /// Accounts (and `all`) that may create volumes from the image's
    /// snapshots, in every region (Packer's `snapshot_users`/`_groups`).
    pub snapshot_users: Vec<String>,
    pub snapshot_groups: Vec<String>,
    pub ami_org_arns: Vec<String>,
    pub ami_ou_arns: Vec<String>,
    /// RFC 3339 UTC time.
    pub deprecate_at: Option<String>,
    pub force_deregister: bool,
    pub force_delete_snapshot: bool,
    pub skip_create_ami: bool,
    /// Packer's `skip_save_build_region`: the build region's image is only
    /// an intermediary (named `amibake-intermediary-BUILD_ID`), copied to
    /// every `ami_regions` region and then deleted with its snapshots.
    /// Load refuses it without another region.
    pub skip_save_build_region: bool,
    /// Packer's `deregistration_protection` block, enabled on every
    /// region's image once the whole build has succeeded.
    pub deregistration_protection: DeregistrationProtection,
    /// Packer's `snapshot_copy_duration_minutes`: CopyImage's
    /// `SnapshotCopyCompletionDurationMinutes` (a time-based copy) on every
    /// copy; `None` is AWS's best effort.
    pub snapshot_copy_duration_minutes: Option<i64>,
    /// Packer's `ena_support` (a trilean: `Some(false)` disables ENA) and
    /// `sriov_support`, set on the stopped instance before CreateImage.
    pub ena_support: Option<bool>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sriov_support: bool,
    /// How long to wait for one AWS state (instance running, image available,
    /// SSM online). From `aws_polling` (delay × attempts) or the default.
    #[serde(with = "duration_secs")]
    pub state_timeout: Duration,
    /// Cap on the poll interval, from `aws_polling.delay_seconds`.
    #[serde(with = "duration_secs")]
    pub max_poll_interval: Duration,
    /// Optional S3 bucket for large uploads and full command output; when
    /// `None` the build creates (and removes) its own.
    pub staging_bucket: Option<String>,
    pub retention: Option<Retention>,
    /// Packer's access options (credentials, role, EC2 endpoint, retries);
    /// empty: the command's credentials and settings.
    #[serde(skip_serializing_if = "Access::is_default")]
    pub access: Access,
    /// Where and how the instance runs beyond the fields above (network
    /// filters, placement, capacity reservations, credits, licenses).
    /// Flattened: `inspect` shows Packer's option names at the top level.
    #[serde(flatten)]
    pub run: RunOptions,
}

impl Source {
    /// The build region followed by every copy region, without duplicates.
    pub fn all_regions(&self) -> Vec<String> {
        let mut out = vec![self.region.clone()];
        for r in &self.ami_regions {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    /// Regions that keep an image: every region, less the build region
    /// with `skip_save_build_region`.
    pub fn image_regions(&self) -> Vec<String> {
        let mut out = self.all_regions();
        if self.skip_save_build_region {
            out.retain(|r| *r != self.region);
        }
        out
    }
}

/// `deregistration_protection { enabled, with_cooldown }`; as in Packer,
/// `with_cooldown = true` implies `enabled`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct DeregistrationProtection {
    pub enabled: bool,
    /// Once disabled, the image stays protected for 24 hours more.
    pub with_cooldown: bool,
}

/// A source's own way to reach AWS, as Packer's access configuration has it
/// (`profile`, `access_key`, `assume_role`, ...). `aws::access` turns it
/// into the source's clients; docs/recipes.md says how it ranks against the
/// command line and the environment.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Access {
    pub profile: Option<String>,
    pub access_key: Option<String>,
    #[serde(serialize_with = "redacted")]
    pub secret_key: Option<String>,
    #[serde(serialize_with = "redacted")]
    pub token: Option<String>,
    /// Absolute path of `shared_credentials_file` (`~` expanded).
    pub shared_credentials_file: Option<PathBuf>,
    pub assume_role: Option<AssumeRole>,
    /// `max_retries`: retries after the first attempt (Packer's meaning).
    pub max_retries: Option<u32>,
    /// `custom_endpoint_ec2`, with a scheme.
    pub custom_endpoint_ec2: Option<String>,
    pub skip_credential_validation: bool,
}

impl Access {
    pub fn is_default(&self) -> bool {
        *self == Access::default()
    }
}

/// `assume_role { ... }`: STS AssumeRole on top of the base credentials.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub transitive_tag_keys: Vec<String>,
}

/// Secrets never reach `inspect`'s JSON, whatever their origin.
fn redacted<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("<sensitive>"),
        None => s.serialize_none(),
    }
}

/// Where the build's base image comes from.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SourceAmi {
    /// A literal `ami-…` ID.
    Id { id: String },
    /// `resolve:ssm:/aws/service/...`: the parameter path (without the prefix).
    SsmParameter { parameter: String },
    /// `source_ami_filter`.
    Filter(AmiFilter),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AmiFilter {
    /// EC2 `DescribeImages` filters: name → accepted values.
    pub filters: BTreeMap<String, Vec<String>>,
    pub owners: Vec<String>,
    pub most_recent: bool,
    /// Also match deprecated images (DescribeImages' `IncludeDeprecated`).
    pub include_deprecated: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct BlockDevice {
    pub device_name: String,
    pub volume_size: Option<i32>,
    pub volume_type: Option<String>,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub delete_on_termination: Option<bool>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub no_device: bool,
    pub virtual_name: Option<String>,
}

/// Instance metadata options. amibake requires IMDSv2 tokens by default
/// (Packer defaults to optional); recipes can relax it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetadataOptions {
    pub http_endpoint: String,
    pub http_tokens: String,
    pub http_put_response_hop_limit: i32,
    pub instance_metadata_tags: String,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        MetadataOptions {
            http_endpoint: "enabled".into(),
            http_tokens: "required".into(),
            http_put_response_hop_limit: 1,
            instance_metadata_tags: "disabled".into(),
        }
    }
}

/// Packer's run options that decide where the instance runs and how it is
/// launched (its `run_config.go`), read by `recipe::network`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct RunOptions {
    /// `subnet_filter`: used when `subnet_id` is not set.
    pub subnet_filter: Option<SubnetFilter>,
    /// `vpc_filter`: must match exactly one VPC; used when `vpc_id` is not set.
    pub vpc_filter: Option<NetworkFilter>,
    /// `security_group_filter`: every matching group of the instance's VPC;
    /// used when `security_group_ids` is not set.
    pub security_group_filter: Option<NetworkFilter>,
    /// `availability_zone`: Placement.AvailabilityZone, and limits
    /// `subnet_filter` to that zone.
    pub availability_zone: Option<String>,
    pub placement: Placement,
    pub ebs_optimized: bool,
    /// `enable_unlimited_credits` (or the deprecated `enable_t2_unlimited`):
    /// burstable types launch with `unlimited` CPU credits, else `standard`.
    pub enable_unlimited_credits: bool,
    /// `none` (Packer's default) or `open`; `None` when a reservation is
    /// targeted by ID or group.
    pub capacity_reservation_preference: Option<String>,
    pub capacity_reservation_id: Option<String>,
    pub capacity_reservation_group_arn: Option<String>,
    /// `license_specifications { license_configuration_request { license_configuration_arn } }`.
    pub license_configuration_arns: Vec<String>,
    /// `enable_nitro_enclave`: RunInstances `EnclaveOptions.Enabled`.
    pub enable_nitro_enclave: bool,
}

/// An EC2 Describe* filter set: name → accepted values (AWS ANDs the
/// names and ORs each name's values).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct NetworkFilter {
    pub filters: BTreeMap<String, Vec<String>>,
}

/// `subnet_filter { filters, most_free, random }`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct SubnetFilter {
    pub filters: BTreeMap<String, Vec<String>>,
    /// Several matches: take the one with the most free IPv4 addresses
    /// (takes precedence over `random`).
    pub most_free: bool,
    /// Several matches: take one at random.
    pub random: bool,
}

/// `placement { host_resource_group_arn, host_id, tenancy }` (with the
/// deprecated top-level `tenancy` merged in).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Placement {
    pub host_resource_group_arn: Option<String>,
    pub host_id: Option<String>,
    /// `default`, `dedicated` or `host`.
    pub tenancy: Option<String>,
}

/// `retention { keep, min_age, keep_launched_within }`, read by `gc`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Retention {
    pub keep: u32,
    #[serde(with = "duration_secs")]
    pub min_age: Duration,
    #[serde(with = "duration_secs_opt")]
    pub keep_launched_within: Option<Duration>,
}

/// `build { ... }`.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    pub name: Option<String>,
    /// Names of the sources this build runs (`source.amazon-ebs.NAME` → `NAME`).
    pub sources: Vec<String>,
    /// Sources of other builders it names (`googlecompute.web`): `build`
    /// refuses them unless `-only`/`-except` leave them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub foreign_sources: Vec<String>,
    pub provisioners: Vec<Provisioner>,
    pub post_processors: Vec<PostProcessor>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Provisioner {
    Shell(ShellProvisioner),
    File(FileProvisioner),
    /// Runs on the machine running amibake, not on the instance.
    ShellLocal(ShellLocalProvisioner),
    Breakpoint(BreakpointProvisioner),
}

impl Provisioner {
    /// `shell`, `file`, ...: used in messages ("provisioner 2 (shell)").
    pub fn type_name(&self) -> &'static str {
        match self {
            Provisioner::Shell(_) => "shell",
            Provisioner::File(_) => "file",
            Provisioner::ShellLocal(_) => "shell-local",
            Provisioner::Breakpoint(_) => "breakpoint",
        }
    }
    pub fn common(&self) -> &ProvisionerCommon {
        match self {
            Provisioner::Shell(p) => &p.common,
            Provisioner::File(p) => &p.common,
            Provisioner::ShellLocal(p) => &p.common,
            Provisioner::Breakpoint(p) => &p.common,
        }
    }
}

/// Options every provisioner has.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ProvisionerCommon {
    /// `name = "..."`, else `None` (messages then use type and position).
    pub name: Option<String>,
    #[serde(with = "duration_secs")]
    pub pause_before: Duration,
    pub max_retries: u32,
    /// `only`/`except`: source names this provisioner is limited to / skips.
    pub only: Vec<String>,
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShellProvisioner {
    #[serde(flatten)]
    pub common: ProvisionerCommon,
    pub inline: Vec<String>,
    /// Absolute paths of `script` / `scripts`, in order.
    pub scripts: Vec<PathBuf>,
    /// `KEY=VALUE` pairs, exported before the commands.
    pub environment_vars: Vec<(String, String)>,
    /// Default `/bin/sh -e`, as Packer.
    pub inline_shebang: String,
    pub expect_disconnect: bool,
    /// Default 30 minutes; maps to SSM's `executionTimeout`.
    #[serde(with = "duration_secs")]
    pub timeout: Duration,
    /// Default `[0]`.
    pub valid_exit_codes: Vec<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileProvisioner {
    #[serde(flatten)]
    pub common: ProvisionerCommon,
    pub payload: FilePayload,
    /// Absolute path on the instance.
    pub destination: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilePayload {
    /// A local file or directory (absolute path).
    Source(PathBuf),
    /// Literal content.
    Content(String),
}

/// `provisioner "shell-local"`: Packer's shell-local, run on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct ShellLocalProvisioner {
    #[serde(flatten)]
    pub common: ProvisionerCommon,
    #[serde(flatten)]
    pub shell: LocalShell,
    /// Packer's common `timeout`: the script is killed after it.
    #[serde(with = "duration_secs_opt")]
    pub timeout: Option<Duration>,
}

/// What the shell-local provisioner and post-processor share (Packer's
/// `shell-local` package of packer-plugin-sdk).
#[derive(Debug, Clone, Serialize)]
pub struct LocalShell {
    /// `inline` (or the deprecated `command`): written to a temporary file
    /// under `inline_shebang` and run with `execute_command`.
    pub inline: Vec<String>,
    /// Absolute paths of `script` / `scripts`, in order.
    pub scripts: Vec<PathBuf>,
    /// `environment_vars` then `env` (later entries win), rendered into
    /// `{{.Vars}}` together with Packer's own variables.
    pub environment_vars: Vec<(String, String)>,
    /// Default `["/bin/sh", "-c", "{{.Vars}} {{.Script}}"]`. Elements are
    /// templates with `{{.Vars}}`, `{{.Script}}` (`{{.Command}}`) and the
    /// build's legacy values, rendered when the script runs.
    pub execute_command: Vec<String>,
    /// Default `/bin/sh -e`; empty writes no shebang line.
    pub inline_shebang: String,
    /// Go OS names (`linux`, `darwin`, ...); empty means every OS.
    pub only_on: Vec<String>,
    /// Default `[0]`.
    pub valid_exit_codes: Vec<i32>,
    /// Extension of the temporary file `inline` is written to (no dot).
    pub tempfile_extension: String,
    /// How one variable reads in `{{.Vars}}`; default `%s='%s' `.
    pub env_var_format: String,
}

/// `provisioner "breakpoint"`: pause until the user presses Enter.
#[derive(Debug, Clone, Serialize)]
pub struct BreakpointProvisioner {
    #[serde(flatten)]
    pub common: ProvisionerCommon,
    pub note: Option<String>,
    pub disable: bool,
}

/// `post-processor "shell-local"`.
#[derive(Debug, Clone, Serialize)]
pub struct ShellLocalPostProcessor {
    pub name: Option<String>,
    /// Source names this post-processor is limited to / skips.
    pub only: Vec<String>,
    pub except: Vec<String>,
    #[serde(flatten)]
    pub shell: LocalShell,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PostProcessor {
    /// Packer's manifest file, appended across runs.
    Manifest {
        output: PathBuf,
        strip_path: bool,
        custom_data: BTreeMap<String, String>,
    },
    /// A parameters file for `aws cloudformation deploy --parameter-overrides`
    /// (`format = "deploy"`, JSON object) or `create-stack --parameters`
    /// (`format = "create-stack"`, list of ParameterKey/ParameterValue).
    CloudformationParameters {
        output: PathBuf,
        parameter_name: String,
        format: CfnParamFormat,
        /// Only this region's AMI goes into the file (default: build region).
        region: Option<String>,
    },
    /// `PutParameter` of the AMI ID (data type `aws:ec2:image`) in every
    /// region the image exists in.
    SsmParameter {
        name: String,
        description: Option<String>,
    },
    /// Packer's shell-local, run on this machine with the AMI IDs.
    ShellLocal(Box<ShellLocalPostProcessor>),
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CfnParamFormat {
    Deploy,
    CreateStack,
}

mod duration_secs {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

mod duration_secs_opt {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_f64(d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}
