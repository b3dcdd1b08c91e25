//! The content hash behind `--skip-if-unchanged`.
//!
//! It covers what decides an image's content: the resolved source (minus
//! naming and tagging fields, which often embed a timestamp and would
//! defeat the purpose), the resolved source AMI ID, the provisioners, and
//! the bytes of every script and uploaded file or directory.

use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::recipe::{Build, FilePayload, Provisioner, Source};

/// Fields that name or label an image, or say where its instance ran,
/// rather than shape its content.
const IGNORED_FIELDS: &[&str] = &[
    "ami_name",
    "ami_description",
    "tags",
    "snapshot_tags",
    "run_tags",
    "run_volume_tags",
    "deprecate_at",
    "force_deregister",
    "force_delete_snapshot",
    "skip_save_build_region",
    "deregistration_protection",
    "snapshot_copy_duration_minutes",
    "state_timeout",
    "max_poll_interval",
    "retention",
    // Where and how the instance runs, not what it is built from (the
    // subnet, VPC and security groups, which decide what provisioning can
    // reach, stay in).
    "availability_zone",
    "placement",
    "ebs_optimized",
    "enable_unlimited_credits",
    "capacity_reservation_preference",
    "capacity_reservation_id",
    "capacity_reservation_group_arn",
];

/// Options added after fingerprints were first written, left out while
/// unset so that images built before they existed still match.
const OMITTED_WHEN_UNSET: &[&str] = &[
    "subnet_filter",
    "vpc_filter",
    "security_group_filter",
    "license_configuration_arns",
    "ena_support",
];

/// `sha256:` and 64 hex digits.
pub fn compute(source: &Source, build: &Build, source_ami_id: &str) -> Result<String> {
    let mut h = Sha256::new();
    h.update(
        document(source, build, source_ami_id)?
            .to_string()
            .as_bytes(),
    );
    for p in &build.provisioners {
        match p {
            Provisioner::Shell(s) => {
                for script in &s.scripts {
                    hash_path(&mut h, script)?;
                }
            }
            // Local scripts shape the image too (they may make the files
            // a later file provisioner uploads).
            Provisioner::ShellLocal(s) => {
                for script in &s.shell.scripts {
                    hash_path(&mut h, script)?;
                }
            }
            Provisioner::Breakpoint(_) => {}
            Provisioner::File(f) => {
                if let FilePayload::Source(path) = &f.payload {
                    hash_path(&mut h, path)?;
                }
            }
        }
    }
    Ok(format!("sha256:{:x}", h.finalize()))
}

/// The JSON text behind the hash (files are hashed after it).
fn document(source: &Source, build: &Build, source_ami_id: &str) -> Result<Value> {
    let mut src = serde_json::to_value(source).map_err(|e| Error::build(e.to_string()))?;
    if let Value::Object(map) = &mut src {
        for f in IGNORED_FIELDS {
            map.remove(*f);
        }
        for f in OMITTED_WHEN_UNSET {
            if map
                .get(*f)
                .is_some_and(|v| v.is_null() || v.as_array().is_some_and(|a| a.is_empty()))
            {
                map.remove(*f);
            }
        }
    }
    Ok(json!({
        "version": 1,
        "source": src,
        "source_ami": source_ami_id,
        "provisioners": build.provisioners,
    }))
}

/// Hash a file, or a directory tree in sorted order (names and bytes).
fn hash_path(h: &mut Sha256, path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            h.update(e.file_name().unwrap_or_default().as_encoded_bytes());
            hash_path(h, &e)?;
        }
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{self, Inputs};

    fn load(extra: &str) -> (Source, Build) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.pkr.hcl");
        std::fs::write(
            &path,
            format!(
                "source \"amazon-ebs\" \"web\" {{\n  region = \"us-east-1\"\n  instance_type = \"t3.micro\"\n  source_ami = \"ami-0123456789abcdef0\"\n  ami_name = \"web\"\n{extra}}}\nbuild {{\n  sources = [\"source.amazon-ebs.web\"]\n}}\n"
            ),
        )
        .unwrap();
        let mut r = recipe::load(&path, &Inputs::default()).unwrap();
        (r.sources.remove(0), r.builds.remove(0))
    }

    fn fp(extra: &str) -> String {
        let (s, b) = load(extra);
        compute(&s, &b, "ami-0123456789abcdef0").unwrap()
    }

    #[test]
    fn where_the_instance_runs_does_not_change_the_fingerprint() {
        let base = fp("");
        for extra in [
            "  ebs_optimized = true\n",
            "  enable_unlimited_credits = true\n",
            "  availability_zone = \"us-east-1b\"\n",
            "  placement {\n    tenancy = \"dedicated\"\n  }\n",
            "  capacity_reservation_preference = \"open\"\n",
        ] {
            assert_eq!(fp(extra), base, "{extra}");
        }
        for extra in [
            "  subnet_filter {\n    filters = { \"tag:Tier\" = \"build\" }\n  }\n",
            "  subnet_id = \"subnet-12345678\"\n",
            "  security_group_filter {\n    filters = { \"tag:Role\" = \"x\" }\n  }\n",
        ] {
            assert_ne!(fp(extra), base, "{extra}");
        }
    }

    #[test]
    fn unset_new_options_are_left_out_so_old_fingerprints_still_match() {
        let (s, b) = load("");
        let doc = document(&s, &b, "ami-0123456789abcdef0").unwrap();
        for f in OMITTED_WHEN_UNSET.iter().chain(IGNORED_FIELDS) {
            assert!(doc["source"].get(*f).is_none(), "{f}");
        }
    }
}
