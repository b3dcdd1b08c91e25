//! `amibake validate` as a whole process: the time a user waits in an
//! editor hook or a pre-commit check. Targets: under 20 ms for
//! recipes/etherpad.hcl, under 50 ms for a 13-file directory template (the
//! shape of AWS's ECS AMI repository: a variables file, an auto var file,
//! and one file per image with dynamic provisioners and locals).
//!
//! Run with `scripts/bench validate` (or `cargo bench --bench validate`).

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 50;

fn main() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    measure(
        "recipes/etherpad.hcl",
        &root,
        "recipes/etherpad.hcl",
        Duration::from_millis(20),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    write_directory_template(dir.path());
    measure(
        "a 13-file directory template",
        dir.path(),
        ".",
        Duration::from_millis(50),
    );
}

/// 11 image files, a variables file and an auto var file.
fn write_directory_template(dir: &std::path::Path) {
    let mut vars = String::from("variable \"region\" {\n  type = string\n}\nvariable \"packages\" {\n  type = list(string)\n  default = [\"curl\", \"jq\", \"git\"]\n}\nvariable \"tags\" {\n  type = map(string)\n  default = { team = \"platform\" }\n}\n");
    vars.push_str("locals {\n  stamp = regex_replace(timestamp(), \"[- TZ:]\", \"\")\n}\npacker {\n  required_version = \">= 1.7\"\n}\n");
    std::fs::write(dir.join("variables.pkr.hcl"), vars).unwrap();
    std::fs::write(
        dir.join("release.auto.pkrvars.hcl"),
        "region = \"us-east-1\"\n",
    )
    .unwrap();
    for i in 0..11 {
        let name = format!("image{i:02}");
        let text = format!(
            r#"locals {{
  {name}_name = "{name}-${{local.stamp}}"
}}
source "amazon-ebs" "{name}" {{
  region        = var.region
  instance_type = "t3.micro"
  source_ami_filter {{
    filters = {{
      name                = "al2023-ami-2023.*-x86_64"
      virtualization-type = "hvm"
    }}
    owners      = ["amazon"]
    most_recent = true
  }}
  ami_name     = local.{name}_name
  ssh_username = "ec2-user"
  tags         = merge(var.tags, {{ Name = "{name}", Base = "{{{{ .SourceAMIName }}}}" }})
  launch_block_device_mappings {{
    device_name = "/dev/xvda"
    volume_size = 30
    volume_type = "gp3"
  }}
}}
build {{
  sources = ["source.amazon-ebs.{name}"]
  provisioner "shell" {{
    inline = [for p in var.packages : "sudo dnf install -y ${{p}}"]
  }}
  dynamic "provisioner" {{
    labels   = ["shell"]
    for_each = ["one", "two"]
    content {{
      inline = ["echo ${{provisioner.value}} ${{source.name}}"]
    }}
  }}
}}
"#
        );
        std::fs::write(dir.join(format!("{name}.pkr.hcl")), text).unwrap();
    }
}

fn measure(what: &str, dir: &std::path::Path, arg: &str, target: Duration) {
    let exe = env!("CARGO_BIN_EXE_amibake");
    let run = || {
        let start = Instant::now();
        let out = Command::new(exe)
            .args(["validate", arg])
            .current_dir(dir)
            .output()
            .expect("run amibake");
        assert!(
            out.status.success(),
            "validate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        start.elapsed()
    };
    // Warm the page cache so the first run does not measure the disk.
    for _ in 0..3 {
        run();
    }
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    let median = times[RUNS / 2];
    let p90 = times[RUNS * 9 / 10];
    println!(
        "validate {what}: {RUNS} runs, min {:.1} ms, median {:.1} ms, p90 {:.1} ms (target < {} ms): {}",
        ms(times[0]),
        ms(median),
        ms(p90),
        target.as_millis(),
        if median < target { "PASS" } else { "FAIL" }
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
