//! A Packer HCL2 template from "Amazon Web Services in Action" (chapter 15)
//! is accepted without edits.

use amibake::recipe::{self, Inputs, SourceAmi};

#[test]
fn awsinaction_packer_template_validates_unmodified() {
    let path = super::root().join("tests/fixtures/awsinaction-etherpad.pkr.hcl");
    let recipe = recipe::load(&path, &Inputs::default()).unwrap_or_else(|d| panic!("{d}"));
    let s = &recipe.sources[0];
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.instance_type, "t2.micro");
    // us-east-1 is the build region; copies go to the other two.
    assert_eq!(s.ami_regions, vec!["eu-west-1", "eu-central-1"]);
    assert_eq!(s.ami_groups, vec!["all"]);
    assert_eq!(s.iam_instance_profile.as_deref(), Some("ec2-ssm-core"));
    let SourceAmi::Filter(f) = &s.source_ami else {
        panic!("expected a filter")
    };
    assert!(f.most_recent);
    assert_eq!(f.owners, vec!["137112412989"]);
    assert_eq!(f.filters["name"], vec!["amzn2-ami-hvm-2.0.*-x86_64-gp2"]);
    assert_eq!(f.filters["virtualization-type"], vec!["hvm"]);
    let stamp = s.ami_name.strip_prefix("awsinaction-etherpad-").unwrap();
    assert!(
        stamp.parse::<u64>().unwrap() > 1_700_000_000,
        "{{{{timestamp}}}} is Unix seconds"
    );
    assert_eq!(
        recipe.builds[0].name.as_deref(),
        Some("awsinaction-etherpad")
    );
    assert_eq!(recipe.builds[0].sources, vec!["etherpad"]);
    let amibake::recipe::Provisioner::Shell(sh) = &recipe.builds[0].provisioners[0] else {
        panic!()
    };
    assert_eq!(sh.inline.len(), 8);
    // ssh_username is accepted and reported as ignored.
    assert!(recipe
        .warnings
        .iter()
        .any(|w| w.message.contains("ssh_username")));
}
