//! Packer's manifest post-processor file, appended across runs.
//!
//! Same shape as Packer writes it (`builds[]` with `name`, `builder_type`,
//! `build_time`, `files`, `artifact_id`, `packer_run_uuid`, `custom_data`,
//! and `last_run_uuid`), so scripts that read Packer manifests keep working.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::RegionImage;
use crate::error::{Error, Result};

/// Packer's amazon `artifact_id`: sorted `region:ami-id` pairs joined by commas.
pub fn artifact_id(images: &[(String, RegionImage)]) -> String {
    let mut pairs: Vec<String> = images
        .iter()
        .map(|(r, i)| format!("{r}:{}", i.ami_id))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// Serialises writers within this process (several sources may finish at
/// once and share one manifest).
static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Append one build to the manifest at `path`.
pub async fn append(
    path: &Path,
    name: &str,
    images: &[(String, RegionImage)],
    run_uuid: &str,
    custom_data: &BTreeMap<String, String>,
) -> Result<()> {
    let _guard = LOCK.lock().await;
    let mut doc: Value = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => serde_json::from_str(&text).map_err(|e| {
            Error::build(format!(
                "manifest {} is not valid JSON: {e}",
                path.display()
            ))
            .with_hint("fix or delete the file; amibake appends to it like Packer")
        })?,
        Ok(_) => json!({}),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => {
            return Err(Error::build(format!(
                "cannot read manifest {}: {e}",
                path.display()
            )))
        }
    };
    let build_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let entry = json!({
        "name": name,
        "builder_type": "amazon-ebs",
        "build_time": build_time,
        "files": null,
        "artifact_id": artifact_id(images),
        "packer_run_uuid": run_uuid,
        "custom_data": if custom_data.is_empty() { Value::Null } else { json!(custom_data) },
    });
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| Error::build(format!("manifest {} is not a JSON object", path.display())))?;
    match obj.get_mut("builds").and_then(Value::as_array_mut) {
        Some(b) => b.push(entry),
        None => {
            obj.insert("builds".into(), json!([entry]));
        }
    }
    obj.insert("last_run_uuid".into(), json!(run_uuid));
    write_atomic(path, &serde_json::to_string_pretty(&doc).unwrap())
}

/// Write via a temporary file in the same directory, so a crash never
/// leaves half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::build(format!("cannot create {}: {e}", dir.display())))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::build(format!("cannot write in {}: {e}", dir.display())))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| Error::build(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: &str) -> RegionImage {
        RegionImage {
            ami_id: id.into(),
            snapshot_ids: vec![],
        }
    }

    #[test]
    fn artifact_id_is_sorted_region_pairs() {
        let images = vec![
            ("us-west-2".to_string(), img("ami-2")),
            ("eu-west-1".to_string(), img("ami-1")),
        ];
        assert_eq!(artifact_id(&images), "eu-west-1:ami-1,us-west-2:ami-2");
    }

    #[tokio::test]
    async fn append_keeps_earlier_builds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let images = vec![("us-east-1".to_string(), img("ami-1"))];
        append(&path, "a", &images, "run-1", &BTreeMap::new())
            .await
            .unwrap();
        append(&path, "b", &images, "run-2", &BTreeMap::new())
            .await
            .unwrap();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["builds"].as_array().unwrap().len(), 2);
        assert_eq!(doc["builds"][0]["packer_run_uuid"], "run-1");
        assert_eq!(doc["builds"][1]["artifact_id"], "us-east-1:ami-1");
        assert_eq!(doc["last_run_uuid"], "run-2");
    }
}
