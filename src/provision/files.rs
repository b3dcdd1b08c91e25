//! What a file provisioner transfers: local files, directories and literal
//! content mapped to paths on the instance, following Packer's rules.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::recipe::{FilePayload, FileProvisioner};

/// Where a file's bytes are.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Local(PathBuf),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Dir {
        remote: String,
        mode: u32,
    },
    File {
        remote: String,
        mode: u32,
        size: u64,
        data: Data,
    },
    Symlink {
        remote: String,
        target: String,
    },
}

/// The entries to create, parents before children.
///
/// Packer's rules: a file goes to `destination`, or into it when it ends
/// with `/`; a directory `src` lands at `destination/src`, while `src/`
/// (trailing slash) puts its contents directly into `destination`.
pub fn plan(p: &FileProvisioner) -> Result<Vec<Entry>> {
    let dest = p.destination.as_str();
    if !dest.starts_with('/') {
        return Err(Error::usage(format!(
            "file provisioner destination `{dest}` must be an absolute path on the instance"
        )));
    }
    match &p.payload {
        FilePayload::Content(text) => {
            if dest.ends_with('/') {
                return Err(Error::usage(format!(
                    "file provisioner with `content` needs a file name as destination, not the directory `{dest}`"
                )));
            }
            Ok(vec![Entry::File {
                remote: dest.to_owned(),
                mode: 0o644,
                size: text.len() as u64,
                data: Data::Bytes(text.as_bytes().to_vec()),
            }])
        }
        FilePayload::Source(src) => {
            let meta = std::fs::metadata(src).map_err(|e| {
                Error::usage(format!("file provisioner source {}: {e}", src.display()))
                    .with_hint("paths are relative to the recipe file")
            })?;
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if meta.is_file() {
                let remote = if dest.ends_with('/') {
                    format!("{dest}{name}")
                } else {
                    dest.to_owned()
                };
                return Ok(vec![file_entry(src, remote, &meta)]);
            }
            let contents_only = src.as_os_str().to_string_lossy().ends_with('/');
            let base = dest.trim_end_matches('/');
            let root = if contents_only || name.is_empty() {
                if base.is_empty() {
                    "/".to_owned()
                } else {
                    base.to_owned()
                }
            } else {
                format!("{base}/{name}")
            };
            let mut out = vec![Entry::Dir {
                remote: root.clone(),
                mode: meta.permissions().mode() & 0o7777,
            }];
            walk(src, &root, &mut out)?;
            Ok(out)
        }
    }
}

fn file_entry(path: &Path, remote: String, meta: &std::fs::Metadata) -> Entry {
    Entry::File {
        remote,
        mode: meta.permissions().mode() & 0o7777,
        size: meta.len(),
        data: Data::Local(path.to_owned()),
    }
}

fn walk(dir: &Path, remote: &str, out: &mut Vec<Entry>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::usage(format!("reading {}: {e}", dir.display())))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::usage(format!("reading {}: {e}", dir.display())))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let r = format!("{}/{name}", remote.trim_end_matches('/'));
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|err| Error::usage(format!("reading {}: {err}", path.display())))?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .map_err(|err| Error::usage(format!("reading {}: {err}", path.display())))?;
            out.push(Entry::Symlink {
                remote: r,
                target: target.to_string_lossy().into_owned(),
            });
        } else if meta.is_dir() {
            out.push(Entry::Dir {
                remote: r.clone(),
                mode: meta.permissions().mode() & 0o7777,
            });
            walk(&path, &r, out)?;
        } else if meta.is_file() {
            out.push(file_entry(&path, r, &meta));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::ProvisionerCommon;

    fn prov(payload: FilePayload, dest: &str) -> FileProvisioner {
        FileProvisioner {
            common: ProvisionerCommon::default(),
            payload,
            destination: dest.into(),
        }
    }

    fn remotes(v: &[Entry]) -> Vec<String> {
        v.iter()
            .map(|e| match e {
                Entry::Dir { remote, .. } => format!("{remote}/"),
                Entry::File { remote, .. } => remote.clone(),
                Entry::Symlink { remote, target } => format!("{remote}->{target}"),
            })
            .collect()
    }

    #[test]
    fn follows_packer_destination_rules() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("conf");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.txt"), "a").unwrap();
        std::fs::write(d.join("sub/b.sh"), "b").unwrap();
        std::fs::set_permissions(d.join("sub/b.sh"), std::fs::Permissions::from_mode(0o750))
            .unwrap();
        std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();

        let e = plan(&prov(FilePayload::Source(d.clone()), "/opt/app")).unwrap();
        assert_eq!(
            remotes(&e),
            [
                "/opt/app/conf/",
                "/opt/app/conf/a.txt",
                "/opt/app/conf/link->a.txt",
                "/opt/app/conf/sub/",
                "/opt/app/conf/sub/b.sh"
            ]
        );
        assert!(e.iter().any(
            |x| matches!(x, Entry::File { remote, mode: 0o750, .. } if remote.ends_with("b.sh"))
        ));

        let slash = PathBuf::from(format!("{}/", d.display()));
        let e = plan(&prov(FilePayload::Source(slash), "/opt/app/")).unwrap();
        assert_eq!(remotes(&e)[..2], ["/opt/app/", "/opt/app/a.txt"]);

        let f = plan(&prov(FilePayload::Source(d.join("a.txt")), "/etc/")).unwrap();
        assert_eq!(remotes(&f), ["/etc/a.txt"]);
        let f = plan(&prov(FilePayload::Source(d.join("a.txt")), "/etc/x.conf")).unwrap();
        assert_eq!(remotes(&f), ["/etc/x.conf"]);

        let err = plan(&prov(FilePayload::Content("x".into()), "relative")).unwrap_err();
        assert!(err.message().contains("absolute"));
        let err = plan(&prov(FilePayload::Source(d.join("missing")), "/x")).unwrap_err();
        assert!(err.message().contains("missing"));
    }
}
