//! Variable inputs and their documented precedence:
//! default < PKR_VAR_ < AMIBAKE_VAR_ < *.auto.pkrvars.* < --var-file < --var.

use amibake::recipe::{Inputs, SourceAmi};

use super::TempRecipe;

const RECIPE: &str = r#"
variable "region" {
  type    = string
  default = "us-east-1"
}
variable "regions" {
  type    = list(string)
  default = []
}
variable "size" {
  type    = number
  default = 8
}
variable "secret" {
  type      = string
  default   = "s3cr3t-value"
  sensitive = true
}
locals {
  name = "app-${local.suffix}"
  suffix = lower("V${var.size}")
}
source "amazon-ebs" "web" {
  region        = var.region
  instance_type = "t3.micro"
  source_ami    = "ami-0123456789abcdef0"
  ami_name      = local.name
  ami_regions   = var.regions
  tags          = { Secret = var.secret }
  launch_block_device_mappings {
    device_name = "/dev/xvda"
    volume_size = var.size
  }
}
build {
  sources = ["source.amazon-ebs.web"]
}
"#;

fn region_with(r: &TempRecipe, inputs: &Inputs) -> (String, String) {
    let recipe = r.load(inputs).unwrap_or_else(|d| panic!("{d}"));
    let v = &recipe.variables["region"];
    (recipe.sources[0].region.clone(), v.origin.clone())
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn precedence_from_default_to_command_line() {
    let r = TempRecipe::new(RECIPE);
    let mut inputs = Inputs::default();
    assert_eq!(
        region_with(&r, &inputs),
        ("us-east-1".into(), "default".into())
    );

    inputs.env = env(&[("PKR_VAR_region", "eu-west-1")]);
    assert_eq!(region_with(&r, &inputs).0, "eu-west-1");

    inputs.env = env(&[
        ("PKR_VAR_region", "eu-west-1"),
        ("AMIBAKE_VAR_region", "eu-west-2"),
    ]);
    assert_eq!(
        region_with(&r, &inputs),
        ("eu-west-2".into(), "env:AMIBAKE_VAR_region".into())
    );

    r.file("defaults.auto.pkrvars.hcl", "region = \"eu-west-3\"\n");
    assert_eq!(region_with(&r, &inputs).0, "eu-west-3");

    let f1 = r.file("one.pkrvars.hcl", "region = \"eu-central-1\"\n");
    let f2 = r.file("two.json", "{\"region\": \"eu-north-1\"}");
    inputs.var_files = vec![f1.clone()];
    assert_eq!(region_with(&r, &inputs).0, "eu-central-1");
    inputs.var_files = vec![f1, f2.clone()];
    assert_eq!(
        region_with(&r, &inputs),
        ("eu-north-1".into(), format!("var-file:{}", f2.display()))
    );

    inputs.vars = vec![
        ("region".into(), "ap-south-1".into()),
        ("region".into(), "ap-south-2".into()),
    ];
    assert_eq!(
        region_with(&r, &inputs),
        ("ap-south-2".into(), "--var".into())
    );
}

#[test]
fn pkr_var_only_sets_declared_variables() {
    let r = TempRecipe::new(RECIPE);
    let inputs = Inputs {
        env: env(&[("PKR_VAR_undeclared", "x")]),
        ..Default::default()
    };
    let recipe = r.load(&inputs).unwrap();
    assert!(!recipe.variables.contains_key("undeclared"));
}

#[test]
fn command_line_values_are_converted_to_the_declared_type() {
    let r = TempRecipe::new(RECIPE);
    let inputs = Inputs {
        vars: vec![
            ("regions".into(), "[\"eu-west-1\", \"us-west-2\"]".into()),
            ("size".into(), "20".into()),
        ],
        ..Default::default()
    };
    let recipe = r.load(&inputs).unwrap_or_else(|d| panic!("{d}"));
    let s = &recipe.sources[0];
    assert_eq!(s.ami_regions, vec!["eu-west-1", "us-west-2"]);
    assert_eq!(s.launch_block_device_mappings[0].volume_size, Some(20));
    // Locals may refer to each other in any order.
    assert_eq!(s.ami_name, "app-v20");
}

#[test]
fn bad_command_line_values_are_reported() {
    let r = TempRecipe::new(RECIPE);
    let inputs = Inputs {
        vars: vec![("size".into(), "big".into())],
        ..Default::default()
    };
    let d = r.load(&inputs).unwrap_err();
    assert!(d.to_string().contains("variable `size` from --var"), "{d}");

    let inputs = Inputs {
        vars: vec![("regoin".into(), "x".into())],
        ..Default::default()
    };
    let d = r.load(&inputs).unwrap_err();
    let msg = d.to_string();
    assert!(
        msg.contains("--var sets `regoin`, which the recipe does not declare")
            && msg.contains("did you mean `region`?"),
        "{msg}"
    );
}

#[test]
fn env_function_only_in_variable_defaults() {
    let text = "variable \"owner\" {\n  default = env(\"TEAM\")\n}\n".to_owned()
        + "source \"amazon-ebs\" \"web\" {\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = \"web-${var.owner}\"\n  tags = { Home = env(\"HOME\") }\n}\nbuild {\n  sources = [\"source.amazon-ebs.web\"]\n}\n";
    let r = TempRecipe::new(&text);
    let inputs = Inputs {
        env: env(&[("TEAM", "platform")]),
        ..Default::default()
    };
    let d = r.load(&inputs).unwrap_err();
    assert_eq!(d.len(), 1, "{d}");
    assert!(
        d.0[0]
            .message
            .contains("env(): can only be used in variable defaults")
            && d.0[0].line == 9,
        "{d}"
    );

    let r = TempRecipe::new(&text.replace("  tags = { Home = env(\"HOME\") }\n", ""));
    let recipe = r.load(&inputs).unwrap();
    assert_eq!(recipe.sources[0].ami_name, "web-platform");
}

#[test]
fn sensitive_values_are_known_for_redaction() {
    let r = TempRecipe::new(RECIPE);
    let recipe = r.load(&Inputs::default()).unwrap();
    assert_eq!(recipe.sensitive_values(), vec!["s3cr3t-value".to_string()]);
}

#[test]
fn resolve_ssm_and_filters_are_parsed() {
    let text = RECIPE.replace("source_ami    = \"ami-0123456789abcdef0\"", "source_ami = \"resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64\"");
    let recipe = TempRecipe::new(&text).load(&Inputs::default()).unwrap();
    assert_eq!(
        recipe.sources[0].source_ami,
        SourceAmi::SsmParameter {
            parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
                .into()
        }
    );
}

#[test]
fn timestamp_functions_and_legacy_timestamp_agree() {
    let text = RECIPE.replace("ami_name      = local.name", "ami_name = \"a-{{timestamp}}\"\n  ami_description = formatdate(\"YYYY-MM-DD\", timestamp())");
    let recipe = TempRecipe::new(&text).load(&Inputs::default()).unwrap();
    let s = &recipe.sources[0];
    let secs: i64 = s.ami_name.strip_prefix("a-").unwrap().parse().unwrap();
    let date = time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .date();
    assert_eq!(s.ami_description.as_deref().unwrap(), format!("{date}"));
}
