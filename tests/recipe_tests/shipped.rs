//! The recipes in recipes/ validate, and `inspect` shows what they resolve to.

use amibake::recipe::{self, CfnParamFormat, Inputs, PostProcessor, Provisioner, SourceAmi};

#[test]
fn etherpad_recipe_resolves_as_documented() {
    let recipe = recipe::load(
        &super::root().join("recipes/etherpad.hcl"),
        &Inputs::default(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert!(recipe.warnings.is_empty(), "{:?}", recipe.warnings);
    let s = &recipe.sources[0];
    assert_eq!(s.name, "etherpad");
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.ami_regions, vec!["eu-west-1"]);
    assert_eq!(
        s.source_ami,
        SourceAmi::SsmParameter {
            parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
                .into()
        }
    );
    assert!(
        s.ami_name.starts_with("awsinaction-etherpad-")
            && s.ami_name.len() == "awsinaction-etherpad-".len() + 14
    );
    assert_eq!(s.tags["EtherpadVersion"], "1.8.18");
    assert_eq!(s.metadata_options.http_tokens, "required");
    let retention = s.retention.as_ref().unwrap();
    assert_eq!(
        (retention.keep, retention.min_age.as_secs()),
        (3, 7 * 86400)
    );
    let b = &recipe.builds[0];
    let Provisioner::Shell(sh) = &b.provisioners[0] else {
        panic!()
    };
    assert!(sh.scripts[0].ends_with("provisioners/etherpad.sh") && sh.scripts[0].is_absolute());
    assert_eq!(
        sh.environment_vars,
        vec![("ETHERPAD_VERSION".to_string(), "1.8.18".to_string())]
    );
    assert_eq!(sh.timeout.as_secs(), 1200);
    assert!(
        matches!(&b.post_processors[1], PostProcessor::CloudformationParameters { parameter_name, format: CfnParamFormat::CreateStack, .. } if parameter_name == "ImageId")
    );
    assert!(
        matches!(&b.post_processors[2], PostProcessor::SsmParameter { name, .. } if name == "/awsinaction/etherpad/ami-id")
    );
}

#[test]
fn minimal_recipe_validates() {
    let recipe = recipe::load(
        &super::root().join("recipes/minimal.hcl"),
        &Inputs::default(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(recipe.sources.len(), 1);
    assert!(recipe.sources[0].ami_name.starts_with("minimal-"));
}
