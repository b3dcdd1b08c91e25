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

/// Fields that name or label an image rather than shape its content.
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
    "state_timeout",
    "max_poll_interval",
    "retention",
];

/// `sha256:` and 64 hex digits.
pub fn compute(source: &Source, build: &Build, source_ami_id: &str) -> Result<String> {
    let mut h = Sha256::new();
    let mut src = serde_json::to_value(source).map_err(|e| Error::build(e.to_string()))?;
    if let Value::Object(map) = &mut src {
        for f in IGNORED_FIELDS {
            map.remove(*f);
        }
    }
    let doc = json!({
        "version": 1,
        "source": src,
        "source_ami": source_ami_id,
        "provisioners": build.provisioners,
    });
    h.update(doc.to_string().as_bytes());
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
