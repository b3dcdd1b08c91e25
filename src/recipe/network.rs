//! The `amazon-ebs` run options that decide where the instance runs and how
//! it is launched, with Packer's rules (its `run_config.go`): the network
//! filters, `availability_zone`, `placement` (and the deprecated
//! `tenancy`), `ebs_optimized`, CPU credits, capacity reservations and
//! license configurations. `build::steps::network` resolves the filters;
//! `build::steps::launch` sends the rest in RunInstances.

use std::sync::LazyLock;

use hcl::edit::Span;
use regex::Regex;

use super::fields::Fields;
use super::filters;
use super::loader::Loader;
use super::model::{NetworkFilter, Placement, RunOptions, SubnetFilter, KNOWN_LATER};

/// The instance types Packer gives CPU credit options (its
/// `IsBurstableInstanceType`): T2, T3, T3a and T4g.
static BURSTABLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^t(2|3a?|4g)\.").unwrap());

/// Whether EC2 launches `instance_type` with a CPU credit option, so
/// RunInstances states one (Packer: `standard` unless unlimited is asked).
pub fn is_burstable(instance_type: &str) -> bool {
    BURSTABLE.is_match(instance_type)
}

/// Read the run options of one `amazon-ebs` source. `region` and
/// `instance_type` are the source's (for the checks that need them).
pub(crate) fn read(
    l: &mut Loader,
    f: &mut Fields<'_>,
    region: Option<&str>,
    instance_type: Option<&str>,
) -> RunOptions {
    let subnet_filter = read_subnet_filter(l, f);
    let vpc_filter = read_filter(l, f, "vpc_filter");
    let security_group_filter = read_filter(l, f, "security_group_filter");
    let availability_zone = f.string(l, "availability_zone");
    if let (Some(az), Some(r)) = (&availability_zone, region) {
        if !az.contains(KNOWN_LATER) && !r.contains(KNOWN_LATER) && !az.starts_with(r) {
            l.error(
                f.value_span("availability_zone"),
                format!("availability zone `{az}` is not in the build region {r}"),
            )
            .hint = Some(format!(
                "zone names start with their region, e.g. \"{r}a\"; check availability_zone and region"
            ));
        }
    }
    RunOptions {
        // Packer's precedence: an ID wins over its filter.
        subnet_filter: subnet_filter.filter(|_| !overridden(l, f, "subnet_filter", "subnet_id")),
        vpc_filter: vpc_filter.filter(|_| !overridden(l, f, "vpc_filter", "vpc_id")),
        security_group_filter: security_group_filter
            .filter(|_| !overridden(l, f, "security_group_filter", "security_group_ids"))
            .filter(|_| !overridden(l, f, "security_group_filter", "security_group_id")),
        availability_zone,
        placement: read_placement(l, f),
        ebs_optimized: f.bool(l, "ebs_optimized").unwrap_or(false),
        enable_unlimited_credits: read_credits(l, f, instance_type),
        license_configuration_arns: read_licenses(l, f),
        enable_nitro_enclave: f.bool(l, "enable_nitro_enclave").unwrap_or(false),
        ..read_capacity_reservation(l, f)
    }
}

/// Whether `id` is set, which makes Packer ignore `filter` (with a notice,
/// so the recipe's author knows the filter does nothing).
fn overridden(l: &mut Loader, f: &mut Fields<'_>, filter: &'static str, id: &'static str) -> bool {
    if !f.is_set(l, id) {
        return false;
    }
    let span = f.blocks(filter).first().and_then(|b| b.ident.span());
    l.warning(
        span,
        format!(
            "`{filter}` is ignored because `{id}` is set (the ID takes precedence, as in Packer)"
        ),
    );
    true
}

/// At most one block called `name`; the later ones are errors.
fn single_block<'b>(
    l: &mut Loader,
    f: &mut Fields<'b>,
    name: &'static str,
) -> Option<&'b hcl::edit::structure::Block> {
    let blocks = f.blocks(name);
    for extra in blocks.iter().skip(1) {
        l.error(
            extra.ident.span(),
            format!("only one {name} block is allowed"),
        )
        .hint = Some(format!("merge the filters into the first {name} block"));
    }
    blocks.first().copied()
}

/// A filter block's filters; `None` when it has none, which Packer treats
/// as no filter at all (with a notice here).
fn filters_of(
    l: &mut Loader,
    ff: &mut Fields<'_>,
    name: &'static str,
) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    let filters = filters::read(l, ff, true);
    if filters.is_empty() && !ff.has("filters") {
        l.warning(
            ff.span(),
            format!("`{name}` has no filters and is ignored, as in Packer"),
        );
        return None;
    }
    // `filters = {}` (say from an empty variable) is no filter either.
    (!filters.is_empty()).then_some(filters)
}

fn read_filter(l: &mut Loader, f: &mut Fields<'_>, name: &'static str) -> Option<NetworkFilter> {
    let block = single_block(l, f, name)?;
    let mut ff = Fields::of_block(block, name);
    let filters = filters_of(l, &mut ff, name);
    ff.finish(l);
    Some(NetworkFilter { filters: filters? })
}

fn read_subnet_filter(l: &mut Loader, f: &mut Fields<'_>) -> Option<SubnetFilter> {
    let block = single_block(l, f, "subnet_filter")?;
    let mut ff = Fields::of_block(block, "subnet_filter");
    let filters = filters_of(l, &mut ff, "subnet_filter");
    let most_free = ff.bool(l, "most_free").unwrap_or(false);
    let random = ff.bool(l, "random").unwrap_or(false);
    ff.finish(l);
    Some(SubnetFilter {
        filters: filters?,
        most_free,
        random,
    })
}

fn read_placement(l: &mut Loader, f: &mut Fields<'_>) -> Placement {
    let mut p = Placement::default();
    let mut tenancy_span = None;
    if let Some(block) = single_block(l, f, "placement") {
        let mut pf = Fields::of_block(block, "placement");
        p.host_resource_group_arn = pf.string(l, "host_resource_group_arn");
        p.host_id = pf.string(l, "host_id");
        p.tenancy = pf.string(l, "tenancy");
        tenancy_span = pf.value_span("tenancy");
        if p.host_id.is_some() && p.host_resource_group_arn.is_some() {
            l.error(
                pf.value_span("host_id"),
                "`host_id` and `host_resource_group_arn` cannot both be set",
            )
            .hint = Some("keep one of them (Packer refuses both too)".into());
        }
        if p.host_id.is_some() || p.host_resource_group_arn.is_some() {
            if let Some(t) = p.tenancy.as_deref().filter(|t| *t != "host") {
                l.error(
                    tenancy_span.clone(),
                    format!("tenancy must be \"host\" with host_id or host_resource_group_arn, not `{t}`"),
                )
                .hint = Some("set tenancy = \"host\" or remove it".into());
            }
        }
        pf.finish(l);
    }
    if let Some(t) = f.string(l, "tenancy") {
        if p.tenancy.is_some() {
            l.error(
                f.value_span("tenancy"),
                "`tenancy` and `placement { tenancy }` cannot both be set",
            )
            .hint = Some(
                "keep placement { tenancy = ... }; the top-level tenancy is deprecated".into(),
            );
        } else {
            tenancy_span = f.value_span("tenancy");
            p.tenancy = Some(t);
        }
    }
    if let Some(t) = &p.tenancy {
        if !["default", "dedicated", "host"].contains(&t.as_str()) && !t.contains(KNOWN_LATER) {
            l.error(tenancy_span, format!("unknown tenancy `{t}`")).hint =
                Some("use \"default\", \"dedicated\" or \"host\"".into());
        }
    }
    p
}

/// `enable_unlimited_credits`, or the deprecated `enable_t2_unlimited`
/// (Packer reads it as the same), only for burstable instance types.
fn read_credits(l: &mut Loader, f: &mut Fields<'_>, instance_type: Option<&str>) -> bool {
    let unlimited = f.bool(l, "enable_unlimited_credits").unwrap_or(false);
    let t2 = f.bool(l, "enable_t2_unlimited");
    if t2.is_some() {
        l.warning(
            f.value_span("enable_t2_unlimited"),
            "`enable_t2_unlimited` is deprecated; it means `enable_unlimited_credits`",
        );
    }
    let on = unlimited || t2 == Some(true);
    if let Some(t) = instance_type.filter(|t| on && !t.contains(KNOWN_LATER)) {
        if !is_burstable(t) {
            let name = if unlimited {
                "enable_unlimited_credits"
            } else {
                "enable_t2_unlimited"
            };
            l.error(
                f.value_span(name),
                format!("unlimited CPU credits need a burstable instance type; `{t}` is not one"),
            )
            .hint = Some("use a T2, T3, T3a or T4g instance type, or remove the option".into());
        }
    }
    on
}

/// Packer's capacity reservation rules: a target (an ID or a group ARN,
/// not both) or a preference (`none`, the default, or `open`).
fn read_capacity_reservation(l: &mut Loader, f: &mut Fields<'_>) -> RunOptions {
    let preference = f.string(l, "capacity_reservation_preference");
    let id = f.string(l, "capacity_reservation_id");
    let group = f.string(l, "capacity_reservation_group_arn");
    if id.is_some() && group.is_some() {
        l.error(
            f.value_span("capacity_reservation_group_arn"),
            "`capacity_reservation_id` and `capacity_reservation_group_arn` cannot both be set",
        )
        .hint = Some("target one reservation or one group".into());
    }
    if (id.is_some() || group.is_some()) && preference.is_some() {
        l.error(
            f.value_span("capacity_reservation_preference"),
            "`capacity_reservation_preference` cannot be set with a capacity reservation ID or group",
        )
        .hint = Some("a targeted reservation is used as it is; remove capacity_reservation_preference".into());
    }
    if let Some(p) = &preference {
        if p != "none" && p != "open" && !p.contains(KNOWN_LATER) {
            l.error(
                f.value_span("capacity_reservation_preference"),
                format!("capacity_reservation_preference must be \"none\" or \"open\", not `{p}`"),
            );
        }
    }
    let targeted = id.is_some() || group.is_some();
    RunOptions {
        capacity_reservation_preference: preference
            .or_else(|| (!targeted).then(|| "none".to_owned())),
        capacity_reservation_id: id,
        capacity_reservation_group_arn: group,
        ..RunOptions::default()
    }
}

fn read_licenses(l: &mut Loader, f: &mut Fields<'_>) -> Vec<String> {
    let mut arns = Vec::new();
    for spec in f.blocks("license_specifications") {
        let mut sf = Fields::of_block(spec, "license_specifications");
        let requests = sf.blocks("license_configuration_request");
        if requests.is_empty() {
            l.error(sf.span(), "license_specifications needs a license_configuration_request block")
                .hint = Some("add license_configuration_request { license_configuration_arn = \"arn:aws:license-manager:...\" }".into());
        }
        for r in requests {
            let mut rf = Fields::of_block(r, "license_configuration_request");
            if let Some(arn) = rf.required_string(
                l,
                "license_configuration_arn",
                "add license_configuration_arn = \"arn:aws:license-manager:REGION:ACCOUNT:license-configuration:lic-...\"",
            ) {
                if arn.starts_with("arn:") || arn.contains(KNOWN_LATER) {
                    arns.push(arn);
                } else {
                    l.error(
                        rf.value_span("license_configuration_arn"),
                        format!("`{arn}` is not a license configuration ARN"),
                    )
                    .hint = Some("License Manager ARNs look like arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0".into());
                }
            }
            rf.finish(l);
        }
        sf.finish(l);
    }
    arns
}
