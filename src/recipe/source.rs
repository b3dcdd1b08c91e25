//! `source "amazon-ebs" "NAME" { ... }`: Packer's option names, AWS's rules.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use std::ops::Range;

use hcl::edit::structure::{Block, Body};
use hcl::edit::Span;
use regex::Regex;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::fields::Fields;
use super::loader::Loader;
use super::model::*;

/// How long one AWS state may take when `aws_polling` does not say.
const DEFAULT_STATE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(5);

static INSTANCE_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$").unwrap());
static SSM_PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(/[A-Za-z0-9_.\-]+)+(:[A-Za-z0-9_.\-]+)?$|^[A-Za-z0-9_.\-]+(:[A-Za-z0-9_.\-]+)?$")
        .unwrap()
});

/// Read one `amazon-ebs` source named `name` from `body` (a top-level
/// source block's body, or one merged with a build-level `source` block).
pub(crate) fn read(
    l: &mut Loader,
    name: String,
    body: &Body,
    span: Option<Range<usize>>,
) -> Option<Source> {
    let mut f = Fields::new(body, format!("source \"amazon-ebs\" \"{name}\""), span);
    let mark = l.mark();

    // Packer takes the region from the environment when the template has
    // none; so does amibake (then also from --region).
    let region = if f.is_set(l, "region") {
        f.string(l, "region")
    } else if let Some(r) = l.default_region.clone() {
        Some(r)
    } else {
        f.required_string(
            l,
            "region",
            "add region = \"us-east-1\" (or use a variable), or give --region / AWS_REGION",
        )
    };
    if let Some(r) = &region {
        if !is_later(r) {
            if let Err(msg) = crate::aws::check_region(r) {
                l.error(f.value_span("region"), msg);
            }
        }
    }
    let instance_type = f.required_string(l, "instance_type", "add instance_type = \"t3.micro\"");
    if let Some(t) = &instance_type {
        if !is_later(t) && !is_instance_type(t) {
            l.error(
                f.value_span("instance_type"),
                format!("`{t}` is not an EC2 instance type"),
            )
            .hint = Some("instance types look like `t3.micro` or `m7g.large`".into());
        }
    }
    let source_ami = read_source_ami(l, &mut f);

    let skip_create_ami = f.bool(l, "skip_create_ami").unwrap_or(false);
    let ami_name = if skip_create_ami && !f.has("ami_name") {
        Some(String::new())
    } else {
        f.required_string(
            l,
            "ami_name",
            "add ami_name = \"myapp-${formatdate(\"YYYYMMDDhhmmss\", timestamp())}\"",
        )
        .and_then(|n| render_now(l, &f, "ami_name", n))
    };
    if let Some(n) = &ami_name {
        if !is_later(n) && (!skip_create_ami || !n.is_empty()) {
            if let Err(msg) = check_ami_name(n) {
                l.error(f.value_span("ami_name"), msg).hint =
                    Some("AMI names are 3-128 characters of letters, digits, spaces and ( ) [ ] . / - ' @ _".into());
            }
        }
    }
    let ami_description = f
        .string(l, "ami_description")
        .and_then(|d| check_at_build(l, f.value_span("ami_description"), d));
    let tags = read_tags(l, &mut f, "tags", "tag");
    let run_tags = read_tags(l, &mut f, "run_tags", "run_tag");
    let run_volume_tags = read_tags(l, &mut f, "run_volume_tags", "run_volume_tag");
    let snapshot_tags = read_tags(l, &mut f, "snapshot_tags", "snapshot_tag");
    let skip_ami_run_tags = f.bool(l, "skip_ami_run_tags").unwrap_or(false);
    match f.string(l, "ami_virtualization_type").as_deref() {
        None | Some("hvm") => {}
        Some(other) => {
            l.error(f.value_span("ami_virtualization_type"), format!("ami_virtualization_type `{other}` is not supported"))
                .hint = Some("amibake builds HVM images only (paravirtual instances are retired); use \"hvm\" or remove it".into());
        }
    }
    let subnet_id = f.string(l, "subnet_id");
    let vpc_id = f.string(l, "vpc_id");
    let mut security_group_ids = f.string_list(l, "security_group_ids").unwrap_or_default();
    if let Some(one) = f.string(l, "security_group_id") {
        security_group_ids.push(one);
    }
    let associate_public_ip_address = f.bool(l, "associate_public_ip_address");
    let run = super::network::read(l, &mut f, region.as_deref(), instance_type.as_deref());
    let iam_instance_profile = f.string(l, "iam_instance_profile");

    let user_data = f.string(l, "user_data");
    let user_data_file = f.string(l, "user_data_file");
    let user_data = match (user_data, user_data_file) {
        (Some(_), Some(_)) => {
            l.error(
                f.value_span("user_data_file"),
                "`user_data` and `user_data_file` cannot both be set",
            )
            .hint = Some("keep one of them".into());
            None
        }
        (Some(d), None) => Some(d),
        (None, Some(file)) => {
            let path = l.resolve_path(&file);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) => {
                    l.error(
                        f.value_span("user_data_file"),
                        format!("cannot read user_data_file `{}`: {e}", path.display()),
                    )
                    .hint = Some("paths are relative to the recipe's directory".into());
                    None
                }
            }
        }
        (None, None) => None,
    };

    let launch_block_device_mappings = f
        .blocks("launch_block_device_mappings")
        .into_iter()
        .filter_map(|b| read_block_device(l, b))
        .collect();
    let ami_block_device_mappings = f
        .blocks("ami_block_device_mappings")
        .into_iter()
        .filter_map(|b| read_block_device(l, b))
        .collect();
    let metadata_options = read_metadata_options(l, &mut f);
    let imds_support = f.string(l, "imds_support");
    if let Some(v) = &imds_support {
        if v != "v2.0" {
            l.error(
                f.value_span("imds_support"),
                format!("imds_support must be \"v2.0\", not `{v}`"),
            );
        }
    }

    let encrypt_boot = f.bool(l, "encrypt_boot");
    let kms_key_id = f.string(l, "kms_key_id");
    let region_kms_key_ids = f.string_map(l, "region_kms_key_ids").unwrap_or_default();
    let mut ami_regions = Vec::new();
    for r in f.string_list(l, "ami_regions").unwrap_or_default() {
        if let Err(msg) = crate::aws::check_region(&r) {
            l.error(f.value_span("ami_regions"), msg);
        } else if Some(&r) != region.as_ref() && !ami_regions.contains(&r) {
            ami_regions.push(r);
        }
    }
    let skip_save_build_region =
        read_skip_save_build_region(l, &mut f, &ami_regions, skip_create_ami);
    let deregistration_protection = super::image_options::deregistration_protection(l, &mut f);
    let snapshot_copy_duration_minutes = super::image_options::snapshot_copy_duration(l, &mut f);
    let ena_support = f.bool(l, "ena_support");
    let sriov_support = f.bool(l, "sriov_support").unwrap_or(false);
    if encrypt_boot != Some(true) {
        if kms_key_id.is_some() {
            l.error(
                f.value_span("kms_key_id"),
                "`kms_key_id` requires `encrypt_boot = true`",
            );
        }
        if !region_kms_key_ids.is_empty() {
            l.error(
                f.value_span("region_kms_key_ids"),
                "`region_kms_key_ids` requires `encrypt_boot = true`",
            );
        }
    }
    for r in region_kms_key_ids.keys() {
        if !ami_regions.contains(r) && Some(r) != region.as_ref() {
            l.error(
                f.value_span("region_kms_key_ids"),
                format!("region_kms_key_ids names `{r}`, which is not in ami_regions"),
            )
            .hint = Some(format!("add \"{r}\" to ami_regions or remove its key"));
        }
    }

    let ami_users = accounts(l, &mut f, "ami_users");
    let ami_groups = groups(l, &mut f, "ami_groups");
    let snapshot_users = accounts(l, &mut f, "snapshot_users");
    let snapshot_groups = groups(l, &mut f, "snapshot_groups");
    let ami_org_arns = f.string_list(l, "ami_org_arns").unwrap_or_default();
    let ami_ou_arns = f.string_list(l, "ami_ou_arns").unwrap_or_default();
    for arn in ami_org_arns.iter().chain(&ami_ou_arns) {
        if !arn.starts_with("arn:aws") || !arn.contains(":organizations::") {
            l.error(
                f.value_span(if ami_org_arns.contains(arn) {
                    "ami_org_arns"
                } else {
                    "ami_ou_arns"
                }),
                format!("`{arn}` is not an AWS Organizations ARN"),
            );
        }
    }
    let deprecate_at = f.string(l, "deprecate_at");
    if let Some(d) = &deprecate_at {
        match OffsetDateTime::parse(d, &Rfc3339) {
            Err(_) => {
                l.error(
                    f.value_span("deprecate_at"),
                    format!("deprecate_at `{d}` is not an RFC 3339 time"),
                )
                .hint = Some("write it like \"2027-01-31T00:00:00Z\"".into());
            }
            Ok(t) if t <= OffsetDateTime::now_utc() => {
                l.error(
                    f.value_span("deprecate_at"),
                    format!("deprecate_at `{d}` is in the past; AWS accepts only future times"),
                );
            }
            Ok(_) => {}
        }
    }
    let force_deregister = f.bool(l, "force_deregister").unwrap_or(false);
    let force_delete_snapshot = f.bool(l, "force_delete_snapshot").unwrap_or(false);
    let staging_bucket = f.string(l, "staging_bucket");
    read_communicator(l, &mut f);
    let (state_timeout, max_poll_interval) = read_polling(l, &mut f);
    let retention = read_retention(l, &mut f);
    let access = super::access::read(l, &mut f);

    super::ignored::apply(&mut f, super::ignored::SOURCE);
    f.finish(l);

    if l.errors_since(mark) {
        return None;
    }
    Some(Source {
        name,
        kind: "amazon-ebs".to_owned(),
        region: region?,
        instance_type: instance_type?,
        source_ami: source_ami?,
        ami_name: ami_name?,
        ami_description,
        tags,
        run_tags,
        run_volume_tags,
        snapshot_tags,
        skip_ami_run_tags,
        subnet_id,
        vpc_id,
        security_group_ids,
        associate_public_ip_address,
        iam_instance_profile,
        user_data,
        launch_block_device_mappings,
        ami_block_device_mappings,
        metadata_options,
        imds_support,
        encrypt_boot,
        kms_key_id,
        region_kms_key_ids,
        ami_regions,
        ami_users,
        ami_groups,
        snapshot_users,
        snapshot_groups,
        ami_org_arns,
        ami_ou_arns,
        deprecate_at,
        force_deregister,
        force_delete_snapshot,
        skip_create_ami,
        skip_save_build_region,
        deregistration_protection,
        snapshot_copy_duration_minutes,
        ena_support,
        sriov_support,
        state_timeout,
        max_poll_interval,
        staging_bucket,
        retention,
        access,
        run,
    })
}

fn read_source_ami(l: &mut Loader, f: &mut Fields<'_>) -> Option<SourceAmi> {
    let literal = f.string(l, "source_ami");
    let filters = f.blocks("source_ami_filter");
    if filters.len() > 1 {
        l.error(
            filters[1].ident.span(),
            "only one source_ami_filter block is allowed",
        );
    }
    match (literal, filters.first()) {
        (Some(_), Some(_)) => {
            l.error(
                f.value_span("source_ami"),
                "`source_ami` and `source_ami_filter` cannot both be set",
            )
            .hint = Some("keep one: a fixed ID, a resolve:ssm: parameter, or a filter".into());
            None
        }
        (Some(s), None) if is_later(&s) => Some(SourceAmi::Id { id: s }),
        (Some(s), None) => {
            let span = f.value_span("source_ami");
            if let Some(param) = s.strip_prefix("resolve:ssm:") {
                if !is_ssm_parameter_reference(param) {
                    l.error(span, format!("`{s}` is not a valid SSM parameter reference"))
                        .hint = Some("write it as resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".into());
                    return None;
                }
                return Some(SourceAmi::SsmParameter {
                    parameter: param.to_owned(),
                });
            }
            if !is_ami_id(&s) {
                l.error(
                    span,
                    format!("source_ami `{s}` is neither an AMI ID nor resolve:ssm:PARAMETER"),
                )
                .hint = Some("AMI IDs look like ami-0123456789abcdef0".into());
                return None;
            }
            Some(SourceAmi::Id { id: s })
        }
        (None, Some(block)) => {
            let mut ff = Fields::of_block(block, "source_ami_filter");
            let filters = super::filters::read(l, &mut ff, false);
            let owners = ff.string_list(l, "owners").unwrap_or_default();
            let most_recent = ff.bool(l, "most_recent").unwrap_or(false);
            let include_deprecated = ff.bool(l, "include_deprecated").unwrap_or(false);
            let span = ff.span();
            ff.finish(l);
            if owners.is_empty() {
                l.error(span, "source_ami_filter needs `owners`")
                    .hint = Some("without owners anyone's public image could match; use owners = [\"amazon\"] or an account ID (Packer refuses this too)".into());
                return None;
            }
            Some(SourceAmi::Filter(AmiFilter {
                filters,
                owners,
                most_recent,
                include_deprecated,
            }))
        }
        (None, None) => {
            l.error(f.span(), format!("{} needs a source AMI", f.what()))
                .hint = Some("set source_ami = \"ami-...\" or \"resolve:ssm:/aws/service/...\", or add a source_ami_filter block".into());
            None
        }
    }
}

fn read_block_device(l: &mut Loader, block: &Block) -> Option<BlockDevice> {
    let mut f = Fields::of_block(block, block.ident.as_str().to_owned());
    let device_name = f.required_string(l, "device_name", "add device_name = \"/dev/xvda\"");
    let to_i32 = |v: Option<i64>| v.and_then(|n| i32::try_from(n).ok());
    let bd = BlockDevice {
        device_name: device_name.clone().unwrap_or_default(),
        volume_size: to_i32(f.int(l, "volume_size")),
        volume_type: f.string(l, "volume_type"),
        iops: to_i32(f.int(l, "iops")),
        throughput: to_i32(f.int(l, "throughput")),
        delete_on_termination: f.bool(l, "delete_on_termination"),
        encrypted: f.bool(l, "encrypted"),
        kms_key_id: f.string(l, "kms_key_id"),
        snapshot_id: f.string(l, "snapshot_id"),
        no_device: f.bool(l, "no_device").unwrap_or(false),
        virtual_name: f.string(l, "virtual_name"),
    };
    if let Some(t) = &bd.volume_type {
        if !["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"].contains(&t.as_str()) {
            l.error(
                f.value_span("volume_type"),
                format!("unknown volume_type `{t}`"),
            )
            .hint = Some("use gp3, gp2, io1, io2, st1, sc1 or standard".into());
        }
    }
    f.finish(l);
    device_name.map(|_| bd)
}

fn read_metadata_options(l: &mut Loader, f: &mut Fields<'_>) -> MetadataOptions {
    let mut m = MetadataOptions::default();
    for block in f.blocks("metadata_options") {
        let mut mf = Fields::of_block(block, "metadata_options");
        for (name, slot, allowed) in [
            (
                "http_endpoint",
                &mut m.http_endpoint,
                &["enabled", "disabled"],
            ),
            ("http_tokens", &mut m.http_tokens, &["required", "optional"]),
            (
                "instance_metadata_tags",
                &mut m.instance_metadata_tags,
                &["enabled", "disabled"],
            ),
        ] {
            if let Some(v) = mf.string(l, name) {
                if allowed.contains(&v.as_str()) {
                    *slot = v;
                } else {
                    l.error(
                        mf.value_span(name),
                        format!(
                            "{name} must be \"{}\" or \"{}\", not `{v}`",
                            allowed[0], allowed[1]
                        ),
                    );
                }
            }
        }
        if let Some(n) = mf.int(l, "http_put_response_hop_limit") {
            if (1..=64).contains(&n) {
                m.http_put_response_hop_limit = n as i32;
            } else {
                l.error(
                    mf.value_span("http_put_response_hop_limit"),
                    "http_put_response_hop_limit must be between 1 and 64",
                );
            }
        }
        mf.finish(l);
    }
    m
}

/// amibake only talks to instances through SSM; a Packer template may say
/// so with `ssh_interface = "session_manager"` (and `communicator = "ssh"`,
/// which Packer needs to tunnel through it). Anything that really needs SSH
/// or WinRM is refused rather than silently doing something else.
fn read_communicator(l: &mut Loader, f: &mut Fields<'_>) {
    // `ssh_interface` (any value) joins the other `ssh_*` options in the
    // one notice: amibake reaches the instance through Systems Manager
    // whichever way Packer would have connected, and the image is the same.
    let communicator = f.string(l, "communicator");
    match communicator.as_deref() {
        None | Some("none") | Some("ssh") => {}
        Some("winrm") => {
            l.error(f.value_span("communicator"), "communicator = \"winrm\": Windows images are not supported yet")
                .hint = Some("amibake builds Linux images over AWS Systems Manager; build Windows images with Packer for now".into());
        }
        Some(other) => {
            l.error(f.value_span("communicator"), format!("communicator `{other}` is not supported"))
                .hint = Some("amibake provisions over AWS Systems Manager (Linux instances with the SSM agent); use \"ssh\", \"none\" or remove communicator".into());
        }
    }
}

/// `skip_save_build_region`: without a copy region the build would keep
/// no image at all (Packer deletes the intermediary and still reports it),
/// so it is refused (unless `skip_create_ami` makes no image anyway).
fn read_skip_save_build_region(
    l: &mut Loader,
    f: &mut Fields<'_>,
    ami_regions: &[String],
    skip_create_ami: bool,
) -> bool {
    let skip = f.bool(l, "skip_save_build_region").unwrap_or(false);
    if skip && !skip_create_ami && ami_regions.is_empty() {
        l.error(
            f.value_span("skip_save_build_region"),
            "`skip_save_build_region = true` needs another region in ami_regions: the build region's image is deleted after the copies, so this build would keep no image",
        )
        .hint = Some("add the regions to copy to in ami_regions, or remove skip_save_build_region".into());
    }
    skip
}

fn read_polling(l: &mut Loader, f: &mut Fields<'_>) -> (Duration, Duration) {
    let mut timeout = DEFAULT_STATE_TIMEOUT;
    let mut interval = DEFAULT_MAX_POLL_INTERVAL;
    for block in f.blocks("aws_polling") {
        let mut pf = Fields::of_block(block, "aws_polling");
        let delay = pf.int(l, "delay_seconds");
        let attempts = pf.int(l, "max_attempts");
        for (name, v) in [("delay_seconds", delay), ("max_attempts", attempts)] {
            if v.is_some_and(|n| n < 1) {
                l.error(pf.value_span(name), format!("{name} must be at least 1"));
            }
        }
        let delay = delay.filter(|n| *n >= 1).map(|n| n as u64);
        if let Some(d) = delay {
            interval = Duration::from_secs(d);
        }
        if let Some(a) = attempts.filter(|n| *n >= 1) {
            timeout = Duration::from_secs(
                delay.unwrap_or(DEFAULT_MAX_POLL_INTERVAL.as_secs()) * a as u64,
            );
        }
        pf.finish(l);
    }
    (timeout, interval)
}

fn read_retention(l: &mut Loader, f: &mut Fields<'_>) -> Option<Retention> {
    let block = f.blocks("retention").into_iter().next()?;
    let mut rf = Fields::of_block(block, "retention");
    let keep = rf.int(l, "keep").unwrap_or(3);
    if keep < 0 {
        l.error(rf.value_span("keep"), "keep must be 0 or more");
    }
    let min_age = rf
        .duration(l, "min_age")
        .unwrap_or(Duration::from_secs(7 * 86400));
    let keep_launched_within = rf.duration(l, "keep_launched_within");
    rf.finish(l);
    Some(Retention {
        keep: keep.max(0) as u32,
        min_age,
        keep_launched_within,
    })
}

/// A list of 12-digit account IDs (`ami_users`, `snapshot_users`).
fn accounts(l: &mut Loader, f: &mut Fields<'_>, name: &'static str) -> Vec<String> {
    let list = f.string_list(l, name).unwrap_or_default();
    for u in &list {
        if !is_later(u) && (u.len() != 12 || !u.chars().all(|c| c.is_ascii_digit())) {
            l.error(
                f.value_span(name),
                format!("{name} entry `{u}` is not a 12-digit AWS account ID"),
            );
        }
    }
    list
}

/// `ami_groups`, `snapshot_groups`: AWS knows one group, `all` (public).
fn groups(l: &mut Loader, f: &mut Fields<'_>, name: &'static str) -> Vec<String> {
    let list = f.string_list(l, name).unwrap_or_default();
    for g in &list {
        if g != "all" {
            l.error(
                f.value_span(name),
                format!("{name} entry `{g}` is not valid; the only group is \"all\" (public)"),
            );
        }
    }
    list
}

/// Whether text stands for a data source's value not fetched yet.
pub(crate) fn is_later(s: &str) -> bool {
    s.contains(KNOWN_LATER)
}

/// A field Packer renders before the build (`ami_name`): legacy `{{ }}`
/// actions are rendered now; ones that need the build are refused.
fn render_now(l: &mut Loader, f: &Fields<'_>, name: &str, text: String) -> Option<String> {
    let span = f.value_span(name);
    match super::render::legacy::parse(&text) {
        Err(e) => {
            l.error(span, format!("`{name}`: {}", e.message));
            None
        }
        Ok(t) if t.is_literal() => Some(text),
        Ok(t) if t.needs_build() => {
            l.error(span, format!("`{name}` uses a value known only during the build"))
                .hint = Some(format!("Packer renders `{name}` before the build starts; use build values in tags or ami_description"));
            None
        }
        Ok(t) => match t.render(&l.legacy_context()) {
            Ok(s) => Some(s),
            Err(e) => {
                l.error(span, format!("`{name}`: {e}"));
                None
            }
        },
    }
}

/// A field rendered during the build (descriptions and tags): checked now,
/// kept as written.
pub(crate) fn check_at_build(
    l: &mut Loader,
    span: Option<Range<usize>>,
    text: String,
) -> Option<String> {
    match super::render::legacy::parse(&text) {
        Ok(_) => Some(text),
        Err(e) => {
            l.error(span, e.message);
            None
        }
    }
}

/// A tag map (`tags = {...}`) plus its singular block form
/// (`tag { key = "...", value = "..." }`), every value checked as a
/// build-time template.
fn read_tags(
    l: &mut Loader,
    f: &mut Fields<'_>,
    map: &'static str,
    block: &'static str,
) -> BTreeMap<String, String> {
    let span = f.value_span(map);
    let mut out = BTreeMap::new();
    for (k, v) in f.string_map(l, map).unwrap_or_default() {
        if let Some(v) = check_at_build(l, span.clone(), v) {
            out.insert(k, v);
        }
    }
    for b in f.blocks(block) {
        let mut bf = Fields::of_block(b, block);
        let key = bf.required_string(l, "key", "add key = \"Name\"");
        let value = bf.required_string(l, "value", "add value = \"...\"");
        let vspan = bf.value_span("value");
        bf.finish(l);
        if let (Some(k), Some(v)) = (key, value) {
            if let Some(v) = check_at_build(l, vspan, v) {
                out.insert(k, v);
            }
        }
    }
    out
}

/// AWS's AMI name rule: 3–128 characters of letters, digits and ( ) [ ] . / - ' @ _ space.
pub fn check_ami_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=128).contains(&len) {
        return Err(format!(
            "ami_name `{name}` is {len} characters long; AWS requires 3 to 128"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "()[]./-'@_ ".contains(*c)))
    {
        return Err(format!(
            "ami_name `{name}` contains `{bad}`, which AWS does not allow in AMI names"
        ));
    }
    Ok(())
}

fn is_ami_id(s: &str) -> bool {
    s.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn is_instance_type(s: &str) -> bool {
    INSTANCE_TYPE.is_match(s)
}

/// An SSM parameter name or path, with an optional `:version` or `:label`,
/// as launch templates accept after `resolve:ssm:`.
pub fn is_ssm_parameter_reference(s: &str) -> bool {
    SSM_PARAMETER.is_match(s) && !s.starts_with("aws") && !s.starts_with("ssm")
}
