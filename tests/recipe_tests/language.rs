//! Packer's HCL2 language as amibake reads it: directory templates, the
//! function library, null, variables, contextual values, the legacy `{{ }}`
//! engine, data sources (unknown in validate), build-level sources, dynamic
//! blocks and foreign builders. Every template here is the project's own.

use amibake::recipe::{self, Inputs, Provisioner, Severity, SourceAmi, KNOWN_LATER};

use super::TempRecipe;

const BUILD: &str = "build {\n  sources = [\"source.amazon-ebs.web\"]\n}\n";

fn source(extra: &str) -> String {
    format!(
        "source \"amazon-ebs\" \"web\" {{\n  region        = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  source_ami    = \"ami-0123456789abcdef0\"\n  ami_name      = \"web-image\"\n{extra}}}\n"
    )
}

fn inline(r: &recipe::Recipe) -> Vec<String> {
    match &r.builds[0].provisioners[0] {
        Provisioner::Shell(s) => s.inline.clone(),
        other => panic!("expected shell, got {other:?}"),
    }
}

#[test]
fn a_directory_is_read_like_packer_build_dot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("image");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(
        d.join("variables.pkr.hcl"),
        "variable \"region\" { type = string }\npacker {\n  required_version = \">= 1.7\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("locals.pkr.hcl"),
        "locals {\n  name = \"web-${var.region}\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("sources.pkr.hcl"),
        "packer {\n  required_plugins {\n    amazon = { version = \">= 1\", source = \"github.com/hashicorp/amazon\" }\n  }\n}\nsource \"amazon-ebs\" \"web\" {\n  region = var.region\n  instance_type = \"t3.micro\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = local.name\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("build.pkr.hcl"), BUILD).unwrap();
    std::fs::write(d.join("prod.auto.pkrvars.hcl"), "region = \"eu-west-1\"\n").unwrap();
    std::fs::write(d.join("README.hcl"), "this is not read").unwrap();
    let r = recipe::load(&d, &Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.sources[0].ami_name, "web-eu-west-1");
    assert_eq!(r.sources[0].region, "eu-west-1");
    assert_eq!(
        r.name, "image",
        "a directory's recipe name is the directory's"
    );

    // A problem names the file it is in, at its line.
    std::fs::write(
        d.join("locals.pkr.hcl"),
        "locals {\n  name = \"web-${var.regoin}\"\n}\n",
    )
    .unwrap();
    let e = recipe::load(&d, &Inputs::default()).unwrap_err();
    let diag = e
        .iter()
        .find(|x| x.message.contains("var.regoin"))
        .expect("the undefined variable");
    assert!(diag.file.ends_with("locals.pkr.hcl"), "{e}");
    assert_eq!((diag.line, diag.col), (2, 17), "{e}");
}

#[test]
fn functions_compute_what_packer_computes() {
    let dir = tempfile::tempdir().unwrap();
    let r = TempRecipe::new(&format!(
        "{}{}",
        source(""),
        r#"locals {
  stamp    = regex_replace("2026-12-01T10:20:30Z", "[- TZ:]", "")
  later    = timeadd("2026-12-01T00:00:00Z", "36h")
  merged   = merge({ a = 1, b = 2 }, { b = 3 })
  looked   = lookup(local.merged, "b", 0)
  tried    = try(local.merged.missing, "fallback")
  can_not  = can(local.merged.missing)
  compact  = join(",", compact(["a", "", "b"]))
  flat     = flatten([["a"], ["b", ["c"]]])
  fmt      = format("%s-%03d", "web", 7)
  json     = jsonencode({ b = [1, true], a = "x" })
  yaml     = yamldecode("a: 1\nb: [x, z]\n")
  sha      = sha256("hello")
  cidr     = cidrsubnet("10.0.0.0/16", 8, 2)
  uuid5    = uuidv5("dns", "example.com")
  title    = title("hello world")
  keys     = keys({ z = 1, a = 2 })
  file     = trimspace(file("${path.root}/motd.txt"))
  tmpl     = templatefile("${path.root}/greeting.tpl", { name = "amibake", items = ["a", "b"] })
  squares  = [for n in range(1, 4) : n * n]
  upper_by = { for k, v in { a = "x" } : upper(k) => v }
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    inline = [local.stamp, local.later, tostring(local.looked), local.tried, tostring(local.can_not), local.compact,
              join("", local.flat), local.fmt, local.json, tostring(local.yaml.b[1]), local.sha, local.cidr, local.uuid5,
              local.title, join(",", local.keys), local.file, local.tmpl, join(",", local.squares), local.upper_by.A]
  }
}
"#
    ));
    let _ = dir;
    r.file("motd.txt", "welcome\n");
    r.file(
        "greeting.tpl",
        "hello ${name}%{ for i in items }/${i}%{ endfor }",
    );
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inline(&recipe),
        vec![
            "20261201102030",
            "2026-12-02T12:00:00Z",
            "3",
            "fallback",
            "false",
            "a,b",
            "abc",
            "web-007",
            r#"{"a":"x","b":[1,true]}"#,
            "z",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "10.0.2.0/24",
            "cfbff0d1-9375-5685-968c-48ce8b15ae17",
            "Hello World",
            "a,z",
            "welcome",
            "hello amibake/a/b",
            "1,4,9",
            "x",
        ]
    );
}

#[test]
fn unknown_and_unavailable_functions_are_clear_errors() {
    let r =
        TempRecipe::new(&(source("  tags = { A = regex_replce(\"a\", \"b\", \"c\") }\n") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    let d = e
        .iter()
        .find(|d| d.message.contains("undefined function `regex_replce`"))
        .expect("{e}");
    assert_eq!(d.hint.as_deref(), Some("did you mean `regex_replace`?"));

    let r = TempRecipe::new(&(source("  tags = { A = vault(\"/secret/x\", \"k\") }\n") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("vault() is not available in amibake")),
        "{e}"
    );
}

#[test]
fn null_means_unset() {
    let r = TempRecipe::new(&(
        "variable \"private\" {\n  default = false\n}\n".to_owned()
            + &source("  subnet_id = var.private ? \"subnet-1\" : null\n  tags = { A = \"x\", B = null }\n")
            + BUILD
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recipe.sources[0].subnet_id, None);
    assert_eq!(recipe.sources[0].tags.len(), 1);

    // An empty string is unset too, as for every string option in Packer
    // (templates write `default = ""` for "not given").
    let r = TempRecipe::new(&(source("  subnet_id = \"\"\n  kms_key_id = \"\"\n") + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recipe.sources[0].subnet_id, None);
    let r = TempRecipe::new(&(source("").replace("\"web-image\"", "\"\"") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter().any(|d| d
            .message
            .contains("missing the required setting `ami_name`")),
        "{e}"
    );
}

#[test]
fn legacy_variables_block_object_types_and_optional_attributes() {
    let r = TempRecipe::new(&(
        r#"variables {
  app = "shop"
}
variable "disk" {
  type = object({ size = number, type = optional(string, "gp3") })
  default = { size = 20 }
}
variable "zones" {
  type    = set(string)
  default = ["a", "b", "a"]
}
variable "pair" {
  type    = tuple([string, number])
  default = ["x", "2"]
}
"#
        .to_owned()
            + &source("  tags = { App = var.app, Disk = \"${var.disk.size}-${var.disk.type}\", Zones = join(\",\", var.zones), Pair = \"${var.pair[0]}${var.pair[1] + 1}\" }\n")
            + BUILD
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let t = &recipe.sources[0].tags;
    assert_eq!(t["App"], "shop");
    assert_eq!(t["Disk"], "20-gp3");
    assert_eq!(t["Zones"], "a,b");
    assert_eq!(t["Pair"], "x3");

    let bad = TempRecipe::new(&(
        "variable \"disk\" {\n  type = object({ size = number })\n  default = { type = \"gp3\" }\n}\n".to_owned() + &source("") + BUILD
    ));
    let e = bad.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("attribute \"size\" is required")),
        "{e}"
    );
}

#[test]
fn contextual_values_reach_locals_sources_and_provisioners() {
    let r = TempRecipe::new(&(
        "locals {\n  root = path.root\n}\n".to_owned()
            + &source("  run_tags = { Source = source.name, Type = source.type, By = \"amibake ${packer.version}\" }\n")
            + "build {\n  name = \"nightly\"\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"shell\" {\n    inline = [\"echo ${source.name} ${build.name} ${local.root}\", \"echo ${build.SourceAMIName}\"]\n  }\n}\n"
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let dir = std::fs::canonicalize(r.dir.path()).unwrap();
    let t = &recipe.sources[0].run_tags;
    assert_eq!(t["Source"], "web");
    assert_eq!(t["Type"], "amazon-ebs");
    assert!(t["By"].starts_with("amibake "));
    let lines = inline(&recipe);
    assert_eq!(lines[0], format!("echo web web {}", dir.display()));
    // Known only during the build: kept as the template the build renders.
    assert_eq!(lines[1], "echo {{ .SourceAMIName }}");
}

#[test]
fn legacy_templates_render_at_load_in_names_and_wait_for_the_build_in_tags() {
    let r = TempRecipe::new(&(source(
        "  ami_name = \"web-{{timestamp}}\"\n  tags = { Base = \"{{ .SourceAMIName }}\", Region = \"{{ .BuildRegion }}\" }\n  ami_description = \"from {{ .SourceAMI }}\"\n",
    ).replace("  ami_name      = \"web-image\"\n", "") + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let s = &recipe.sources[0];
    let stamp = s.ami_name.strip_prefix("web-").unwrap();
    assert_eq!(
        stamp.parse::<i64>().unwrap(),
        recipe::build_time().unix_timestamp()
    );
    assert_eq!(s.tags["Base"], "{{ .SourceAMIName }}");
    assert_eq!(s.ami_description.as_deref(), Some("from {{ .SourceAMI }}"));

    // Build values cannot name an image: Packer renders ami_name first.
    let r = TempRecipe::new(
        &(source("").replace("\"web-image\"", "\"web-{{ .SourceAMIName }}\"") + BUILD),
    );
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("known only during the build")),
        "{e}"
    );

    // An unknown action is an error at its place, never written literally.
    let r = TempRecipe::new(&(source("  tags = { Base = \"{{ .SourceAmiName }}\" }\n") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    let d = e.iter().next().unwrap();
    assert!(d.message.contains("SourceAmiName"), "{e}");
    assert_eq!(d.line, 6, "{e}");
}

#[test]
fn data_sources_are_unknown_in_validate_and_the_rest_is_still_checked() {
    let text = r#"data "amazon-ami" "ubuntu" {
  filters = {
    name = "ubuntu/images/*ubuntu-noble-24.04-amd64-server-*"
  }
  owners      = ["099720109477"]
  most_recent = true
}
data "amazon-parameterstore" "subnet" {
  name = "/network/private-subnet"
}
locals {
  base = data.amazon-ami.ubuntu.name
}
source "amazon-ebs" "web" {
  region        = "us-east-1"
  instance_type = "t3.micro"
  source_ami    = data.amazon-ami.ubuntu.id
  subnet_id     = data.amazon-parameterstore.subnet.value
  ami_name      = "web-image"
  tags          = { Base = local.base }
}
"#
    .to_owned()
        + BUILD;
    let r = TempRecipe::new(&text);
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(recipe.needs_remote);
    let s = &recipe.sources[0];
    assert_eq!(
        s.source_ami,
        SourceAmi::Id {
            id: KNOWN_LATER.into()
        }
    );
    assert_eq!(s.subnet_id.as_deref(), Some(KNOWN_LATER));

    // A data block missing what it needs is an error without AWS.
    let r = TempRecipe::new(&text.replace("  owners      = [\"099720109477\"]\n", ""));
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter().any(|d| d.message.contains("needs `owners`")),
        "{e}"
    );

    // So is an unsupported kind, naming the supported ones.
    let r =
        TempRecipe::new(&("data \"git-commit\" \"cwd\" {\n}\n".to_owned() + &source("") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    let d = e
        .iter()
        .find(|d| d.message.contains("`git-commit` is not supported"))
        .expect("{e}");
    assert!(d.hint.as_deref().unwrap().contains("amazon-ami"));
}

#[test]
fn locals_and_data_may_come_in_any_order_but_not_in_a_cycle() {
    let r = TempRecipe::new(
        &("locals {\n  b = \"${local.a}-b\"\n  a = \"a\"\n}\n".to_owned()
            + &source("  tags = { B = local.b }\n")
            + BUILD),
    );
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recipe.sources[0].tags["B"], "a-b");

    let r = TempRecipe::new(
        &("locals {\n  a = local.b\n  b = local.a\n}\n".to_owned() + &source("") + BUILD),
    );
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("cycle: local.a → local.b → local.a")),
        "{e}"
    );
}

#[test]
fn sensitive_locals_are_redacted_like_variables() {
    let r = TempRecipe::new(&(
        "local \"token\" {\n  expression = \"tok-${upper(\"abc\")}\"\n  sensitive = true\n}\nlocals {\n  derived = base64encode(local.token)\n}\n".to_owned()
            + &source("  tags = { T = local.derived }\n")
            + BUILD
    ));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let secrets = recipe.sensitive_values();
    assert!(secrets.contains(&"tok-ABC".to_string()), "{secrets:?}");
    assert!(secrets.contains(&"dG9rLUFCQw==".to_string()), "{secrets:?}");
}

#[test]
fn build_level_sources_fill_in_top_level_ones() {
    let top = "source \"amazon-ebs\" \"base\" {\n  region = \"us-east-1\"\n  source_ami = \"ami-0123456789abcdef0\"\n  instance_type = \"t3.micro\"\n}\n";
    let r = TempRecipe::new(&(top.to_owned()
        + "build {\n  name = \"a\"\n  source \"amazon-ebs.base\" {\n    name = \"web\"\n    ami_name = \"web-image\"\n  }\n  source \"source.amazon-ebs.base\" {\n    name = \"db\"\n    ami_name = \"db-image\"\n  }\n  provisioner \"shell\" {\n    inline = [\"echo ${source.name}\"]\n  }\n}\n"));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<(&str, &str)> = recipe
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.ami_name.as_str()))
        .collect();
    assert_eq!(names, vec![("web", "web-image"), ("db", "db-image")]);
    // source.name differs per source, so the build is one per source.
    assert_eq!(recipe.builds.len(), 2);
    assert_eq!(recipe.builds[1].sources, vec!["db"]);
    assert_eq!(inline(&recipe), vec!["echo web"]);

    // Setting what the top-level source sets is Packer's error too.
    let r = TempRecipe::new(&(top.to_owned() + "build {\n  source \"amazon-ebs.base\" {\n    instance_type = \"t3.large\"\n    ami_name = \"x-image\"\n  }\n}\n"));
    let e = r.load(&Inputs::default()).unwrap_err();
    let d = e
        .iter()
        .find(|d| d.message.contains("`instance_type` is already set"))
        .expect("{e}");
    assert_eq!(d.line, 8);
}

#[test]
fn dynamic_blocks_expand_before_the_source_is_read() {
    let r = TempRecipe::new(&(source(
        "  dynamic \"launch_block_device_mappings\" {\n    for_each = { \"/dev/xvda\" = 20, \"/dev/xvdb\" = 50 }\n    iterator = disk\n    content {\n      device_name = disk.key\n      volume_size = disk.value\n    }\n  }\n  dynamic \"tag\" {\n    for_each = [\"a\", \"b\"]\n    content {\n      key = upper(tag.value)\n      value = \"v${tag.key}\"\n    }\n  }\n",
    ) + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let s = &recipe.sources[0];
    let disks: Vec<(&str, Option<i32>)> = s
        .launch_block_device_mappings
        .iter()
        .map(|d| (d.device_name.as_str(), d.volume_size))
        .collect();
    assert_eq!(
        disks,
        vec![("/dev/xvda", Some(20)), ("/dev/xvdb", Some(50))]
    );
    assert_eq!(s.tags["A"], "v0");
    assert_eq!(s.tags["B"], "v1");
}

#[test]
fn other_builders_are_a_notice_unless_a_build_runs_them() {
    let gce = "source \"googlecompute\" \"web\" {\n  project_id = \"x\"\n}\n";
    let r = TempRecipe::new(&(gce.to_owned() + &source("") + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(recipe
        .warnings
        .iter()
        .any(|w| w.severity == Severity::Warning && w.message.contains("`googlecompute.web`")));

    // A build that names it: still a notice (`build` refuses it unless
    // -only/-except leave it out; see build_tests::cli).
    let r = TempRecipe::new(&(gce.to_owned() + &source("") + "build {\n  sources = [\"source.amazon-ebs.web\", \"source.googlecompute.web\"]\n}\n"));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(recipe.builds[0].sources, vec!["web"]);
    assert_eq!(recipe.builds[0].foreign_sources, vec!["googlecompute.web"]);
    let w = recipe
        .warnings
        .iter()
        .find(|w| w.message.contains("which amibake cannot build"))
        .expect("a notice");
    assert!(w
        .hint
        .as_deref()
        .unwrap()
        .contains("--except=googlecompute.web"));
}

#[test]
fn hcp_packer_registry_and_ignored_options_are_one_notice_each() {
    let r = TempRecipe::new(&(source("  ssh_username = \"ubuntu\"\n  ssh_timeout = \"5m\"\n  temporary_security_group_source_public_ip = true\n  ami_virtualization_type = \"hvm\"\n")
        + "build {\n  hcp_packer_registry {\n    bucket_name = \"web\"\n  }\n  sources = [\"source.amazon-ebs.web\"]\n}\n"));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<&str> = recipe.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        w.iter().filter(|m| m.contains("ssh_username")).count(),
        1,
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.contains("`ssh_username`, `ssh_timeout` are accepted")),
        "{w:?}"
    );
    assert!(w.iter().any(|m| m.contains("hcp_packer_registry")), "{w:?}");
}

#[test]
fn one_duration_grammar_in_recipes() {
    let r = TempRecipe::new(&(source("  retention {\n    keep = 2\n    min_age = \"2w\"\n    keep_launched_within = \"1h30m\"\n  }\n") + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let ret = recipe.sources[0].retention.as_ref().unwrap();
    assert_eq!(ret.min_age.as_secs(), 14 * 86400);
    assert_eq!(ret.keep_launched_within.unwrap().as_secs(), 5400);
}

#[test]
fn region_may_come_from_the_environment() {
    let r = TempRecipe::new(&(source("").replace("  region        = \"us-east-1\"\n", "") + BUILD));
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter().any(|d| d.message.contains("`region`")
            && d.hint.as_deref().unwrap_or("").contains("AWS_REGION")),
        "{e}"
    );
    let inputs = Inputs {
        env: vec![("AWS_REGION".into(), "eu-west-1".into())],
        ..Default::default()
    };
    assert_eq!(r.load(&inputs).unwrap().sources[0].region, "eu-west-1");
}

#[test]
fn ssh_connection_settings_are_noticed_not_refused() {
    // amibake reaches the instance over Systems Manager whichever way
    // Packer would have connected; the image is the same.
    let r = TempRecipe::new(&(source("  communicator = \"ssh\"\n  ssh_interface = \"public_ip\"\n  ssh_username = \"ubuntu\"\n") + BUILD));
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        recipe.warnings.iter().any(|w| w
            .message
            .contains("`ssh_interface`, `ssh_username` are accepted")),
        "{:?}",
        recipe.warnings
    );
    let r = TempRecipe::new(&(source("  communicator = \"rdp\"\n") + BUILD));
    assert!(r
        .load(&Inputs::default())
        .unwrap_err()
        .iter()
        .any(|d| d.message.contains("communicator `rdp` is not supported")));
}

#[test]
fn a_variable_without_value_is_reported_once() {
    let r = TempRecipe::new(
        &("variable \"region\" {\n  type = string\n}\n".to_owned()
            + &source("  tags = { R = var.region, S = upper(var.region) }\n")
            + BUILD),
    );
    let e = r.load(&Inputs::default()).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert!(
        e.0[0].message.contains("variable `region` is not set"),
        "{e}"
    );
}

#[test]
fn file_sources_upload_several_files_into_one_directory() {
    let text = source("")
        + "build {\n  sources = [\"source.amazon-ebs.web\"]\n  provisioner \"file\" {\n    sources = [\"a.sh\", \"b.service\"]\n    destination = \"/tmp/\"\n  }\n}\n";
    let r = TempRecipe::new(&text);
    r.file("a.sh", "echo a\n");
    r.file("b.service", "[Unit]\n");
    let recipe = r.load(&Inputs::default()).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<(String, String)> = recipe.builds[0]
        .provisioners
        .iter()
        .map(|p| match p {
            Provisioner::File(f) => match &f.payload {
                recipe::FilePayload::Source(s) => (
                    s.file_name().unwrap().to_string_lossy().into_owned(),
                    f.destination.clone(),
                ),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        files,
        vec![
            ("a.sh".into(), "/tmp/".into()),
            ("b.service".into(), "/tmp/".into())
        ]
    );

    let r = TempRecipe::new(&text.replace("\"/tmp/\"", "\"/tmp/x\""));
    r.file("a.sh", "");
    r.file("b.service", "");
    let e = r.load(&Inputs::default()).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("must be a directory ending in `/`")),
        "{e}"
    );
}
