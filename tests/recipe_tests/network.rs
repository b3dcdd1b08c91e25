//! Packer's run options: network filters, availability zone, placement,
//! EBS optimisation, CPU credits, capacity reservations and licenses, read
//! with Packer's rules.

use amibake::recipe::{Inputs, Recipe, Source};

use super::TempRecipe;

const BUILD: &str = "build {\n  sources = [\"source.amazon-ebs.web\"]\n}\n";

/// A source with `extra` lines inside it.
fn recipe_with(instance_type: &str, extra: &str) -> String {
    format!(
        "source \"amazon-ebs\" \"web\" {{\n  region        = \"us-east-1\"\n  instance_type = \"{instance_type}\"\n  source_ami    = \"ami-0123456789abcdef0\"\n  ami_name      = \"web-image\"\n{extra}}}\n{BUILD}"
    )
}

fn load(text: &str) -> Recipe {
    TempRecipe::new(text)
        .load(&Inputs::default())
        .unwrap_or_else(|d| panic!("{d}"))
}

fn source(extra: &str) -> Source {
    load(&recipe_with("t3.micro", extra)).sources.remove(0)
}

/// `text` is refused with an error containing `message` on the line that
/// contains `at` (and a hint containing `hint`, when given).
fn refused(text: &str, at: &str, message: &str, hint: Option<&str>) {
    let diags = TempRecipe::new(text)
        .load(&Inputs::default())
        .expect_err("the recipe should be refused");
    let Some(d) = diags.iter().find(|d| d.message.contains(message)) else {
        panic!("no error containing {message:?}; got:\n{diags}");
    };
    let line = text
        .lines()
        .position(|l| l.contains(at))
        .unwrap_or_else(|| panic!("{at:?} is not in the recipe"))
        + 1;
    assert_eq!(d.line, line, "line of {message:?}; all:\n{diags}");
    if let Some(h) = hint {
        let got = d.hint.as_deref().unwrap_or("");
        assert!(got.contains(h), "hint {got:?} should contain {h:?}");
    }
}

#[test]
fn every_run_option_is_read_with_packers_meaning() {
    let s = source(
        r#"  subnet_filter {
    filters   = { "tag:Class" = "build, \"test,2\"", "vpc-id" = ["vpc-1", "vpc-2"] }
    most_free = true
  }
  vpc_filter {
    filter {
      name  = "tag:Class"
      value = "build"
    }
    filter {
      name  = "isDefault"
      value = "false"
    }
  }
  security_group_filter {
    filters = { "tag:Role" = "builder" }
  }
  availability_zone = "us-east-1b"
  placement {
    host_resource_group_arn = "arn:aws:resource-groups:us-east-1:123456789012:group/hosts"
    tenancy                 = "host"
  }
  ebs_optimized                  = true
  capacity_reservation_group_arn = "arn:aws:resource-groups:us-east-1:123456789012:group/crs"
  license_specifications {
    license_configuration_request {
      license_configuration_arn = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-1"
    }
  }
  license_specifications {
    license_configuration_request {
      license_configuration_arn = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-2"
    }
  }
  enable_unlimited_credits = true
"#,
    );
    let r = &s.run;
    let sf = r.subnet_filter.as_ref().unwrap();
    // Packer splits a value as CSV; a list is taken as it is.
    assert_eq!(sf.filters["tag:Class"], ["build", "test,2"]);
    assert_eq!(sf.filters["vpc-id"], ["vpc-1", "vpc-2"]);
    assert!(sf.most_free && !sf.random);
    let vf = r.vpc_filter.as_ref().unwrap();
    assert_eq!(vf.filters["tag:Class"], ["build"]);
    assert_eq!(vf.filters["isDefault"], ["false"]);
    assert_eq!(
        r.security_group_filter.as_ref().unwrap().filters["tag:Role"],
        ["builder"]
    );
    assert_eq!(r.availability_zone.as_deref(), Some("us-east-1b"));
    assert_eq!(r.placement.tenancy.as_deref(), Some("host"));
    assert!(r.placement.host_resource_group_arn.is_some());
    assert!(r.ebs_optimized && r.enable_unlimited_credits);
    // A targeted reservation has no preference (Packer: mutually exclusive).
    assert_eq!(r.capacity_reservation_preference, None);
    assert!(r.capacity_reservation_group_arn.is_some());
    assert_eq!(r.license_configuration_arns.len(), 2);
    assert!(r.license_configuration_arns[1].ends_with("lic-2"));

    // `inspect` shows Packer's names at the top level of the source.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["subnet_filter"]["most_free"], true);
    assert_eq!(json["placement"]["tenancy"], "host");
    assert_eq!(json["ebs_optimized"], true);
}

#[test]
fn defaults_are_packers() {
    let s = source("");
    let r = &s.run;
    assert_eq!(r.subnet_filter, None);
    assert!(!r.ebs_optimized && !r.enable_unlimited_credits);
    // Packer launches with capacity_reservation_preference "none" unless told.
    assert_eq!(r.capacity_reservation_preference.as_deref(), Some("none"));
    assert_eq!(r.placement, Default::default());
}

#[test]
fn the_deprecated_spellings_still_work_with_a_notice() {
    let r = load(&recipe_with(
        "t2.micro",
        "  enable_t2_unlimited = true\n  tenancy = \"dedicated\"\n",
    ));
    let s = &r.sources[0];
    assert!(s.run.enable_unlimited_credits);
    assert_eq!(s.run.placement.tenancy.as_deref(), Some("dedicated"));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.message.contains("`enable_t2_unlimited` is deprecated")));
}

#[test]
fn an_id_wins_over_its_filter_with_a_notice() {
    let r = load(&recipe_with(
        "t3.micro",
        "  subnet_id = \"subnet-12345678\"\n  subnet_filter {\n    filters = { \"tag:Class\" = \"build\" }\n  }\n  security_group_ids = [\"sg-12345678\"]\n  security_group_filter {\n    filters = { \"tag:Role\" = \"x\" }\n  }\n",
    ));
    let s = &r.sources[0];
    assert_eq!(s.run.subnet_filter, None);
    assert_eq!(s.run.security_group_filter, None);
    let notes: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|m| m.contains("`subnet_filter` is ignored because `subnet_id` is set")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|m| m.contains("`security_group_filter` is ignored")),
        "{notes:?}"
    );
}

#[test]
fn a_filter_block_without_filters_is_no_filter_as_in_packer() {
    let r = load(&recipe_with(
        "t3.micro",
        "  vpc_filter {\n  }\n  subnet_filter {\n    filters   = {}\n    most_free = true\n  }\n",
    ));
    assert_eq!(r.sources[0].run.vpc_filter, None);
    assert_eq!(r.sources[0].run.subnet_filter, None);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.message.contains("`vpc_filter` has no filters")));
}

#[test]
fn unlimited_credits_need_a_burstable_type() {
    let text = recipe_with("m5.large", "  enable_unlimited_credits = true\n");
    refused(
        &text,
        "enable_unlimited_credits",
        "unlimited CPU credits need a burstable instance type; `m5.large` is not one",
        Some("T2, T3, T3a or T4g"),
    );
    let text = recipe_with("c7g.large", "  enable_t2_unlimited = true\n");
    refused(&text, "enable_t2_unlimited", "`c7g.large` is not one", None);
}

#[test]
fn capacity_reservation_options_follow_packers_rules() {
    let text = recipe_with(
        "t3.micro",
        "  capacity_reservation_id = \"cr-0123456789abcdef0\"\n  capacity_reservation_group_arn = \"arn:aws:resource-groups:us-east-1:123456789012:group/g\"\n",
    );
    refused(
        &text,
        "capacity_reservation_group_arn",
        "cannot both be set",
        Some("one reservation or one group"),
    );
    let text = recipe_with(
        "t3.micro",
        "  capacity_reservation_id = \"cr-0123456789abcdef0\"\n  capacity_reservation_preference = \"open\"\n",
    );
    refused(
        &text,
        "capacity_reservation_preference",
        "cannot be set with a capacity reservation ID or group",
        None,
    );
    let text = recipe_with(
        "t3.micro",
        "  capacity_reservation_preference = \"targeted\"\n",
    );
    refused(
        &text,
        "capacity_reservation_preference",
        "must be \"none\" or \"open\", not `targeted`",
        None,
    );
}

#[test]
fn placement_follows_packers_rules() {
    let text = recipe_with("t3.micro", "  placement {\n    tenancy = \"shared\"\n  }\n");
    refused(
        &text,
        "tenancy = \"shared\"",
        "unknown tenancy `shared`",
        Some("\"dedicated\""),
    );
    let text = recipe_with(
        "t3.micro",
        "  tenancy = \"dedicated\"\n  placement {\n    tenancy = \"host\"\n  }\n",
    );
    refused(
        &text,
        "tenancy = \"dedicated\"",
        "`tenancy` and `placement { tenancy }` cannot both be set",
        Some("deprecated"),
    );
    let text = recipe_with(
        "t3.micro",
        "  placement {\n    host_id = \"h-0123456789abcdef0\"\n    host_resource_group_arn = \"arn:aws:resource-groups:us-east-1:1:group/h\"\n  }\n",
    );
    refused(&text, "host_id", "cannot both be set", None);
    let text = recipe_with(
        "t3.micro",
        "  placement {\n    host_id = \"h-0123456789abcdef0\"\n    tenancy = \"dedicated\"\n  }\n",
    );
    refused(
        &text,
        "tenancy = \"dedicated\"",
        "tenancy must be \"host\" with host_id",
        None,
    );
}

#[test]
fn the_availability_zone_must_be_in_the_build_region() {
    let text = recipe_with("t3.micro", "  availability_zone = \"eu-west-1a\"\n");
    refused(
        &text,
        "availability_zone",
        "availability zone `eu-west-1a` is not in the build region us-east-1",
        Some("us-east-1a"),
    );
}

#[test]
fn filter_blocks_are_checked() {
    let text = recipe_with(
        "t3.micro",
        "  subnet_filter {\n    filters = { a = \"1\" }\n  }\n  subnet_filter  {\n    filters = { b = \"2\" }\n  }\n",
    );
    refused(
        &text,
        "subnet_filter  {",
        "only one subnet_filter block is allowed",
        None,
    );
    let text = recipe_with(
        "t3.micro",
        "  vpc_filter {\n    filters = \"tag:Class=build\"\n  }\n",
    );
    refused(
        &text,
        "filters = \"tag",
        "`filters` must be a map, found a string",
        None,
    );
    let text = recipe_with(
        "t3.micro",
        "  vpc_filter {\n    filters = { \"tag:Class\" = \"\" }\n  }\n",
    );
    refused(&text, "tag:Class", "filter `tag:Class` has no value", None);
    let text = recipe_with(
        "t3.micro",
        "  subnet_filter {\n    filters = { a = \"1\" }\n    most_fre = true\n  }\n",
    );
    refused(
        &text,
        "most_fre",
        "unknown attribute `most_fre` in subnet_filter",
        Some("most_free"),
    );
    let text = recipe_with(
        "t3.micro",
        "  security_group_filter {\n    filter {\n      name = \"tag:Role\"\n    }\n  }\n",
    );
    refused(
        &text,
        "    filter {",
        "missing the required setting `value`",
        None,
    );
}

#[test]
fn a_license_specification_needs_an_arn() {
    let text = recipe_with("t3.micro", "  license_specifications {\n  }\n");
    refused(
        &text,
        "license_specifications",
        "needs a license_configuration_request block",
        None,
    );
    let text = recipe_with(
        "t3.micro",
        "  license_specifications {\n    license_configuration_request {\n      license_configuration_arn = \"lic-1\"\n    }\n  }\n",
    );
    refused(
        &text,
        "license_configuration_arn",
        "`lic-1` is not a license configuration ARN",
        Some("arn:aws:license-manager"),
    );
}

#[test]
fn source_ami_filter_values_split_at_commas_too() {
    let text = format!(
        "source \"amazon-ebs\" \"web\" {{\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  ami_name = \"web-image\"\n  source_ami_filter {{\n    filters = {{ name = \"al2023-*, amzn2-*\", architecture = [\"x86_64\"] }}\n    owners = [\"amazon\"]\n  }}\n}}\n{BUILD}"
    );
    let s = load(&text).sources.remove(0);
    let amibake::recipe::SourceAmi::Filter(f) = &s.source_ami else {
        panic!("a filter")
    };
    assert_eq!(f.filters["name"], ["al2023-*", "amzn2-*"]);
    assert_eq!(f.filters["architecture"], ["x86_64"]);
}
