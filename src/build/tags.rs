//! The tags that mark what amibake created.
//!
//! Every resource gets `amibake:build-id`, `amibake:recipe` and
//! `amibake:created`, so `amibake cleanup` can find what a killed build left
//! and judge its age even where AWS records no creation time.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use super::BuildState;

pub const BUILD_ID: &str = "amibake:build-id";
pub const RECIPE: &str = "amibake:recipe";
pub const SOURCE: &str = "amibake:source";
pub const CREATED: &str = "amibake:created";
/// Set on images once the whole build succeeded; images without it are
/// leftovers of an unfinished build.
pub const COMPLETE: &str = "amibake:complete";
/// Content hash for `--skip-if-unchanged`, set with [`COMPLETE`].
pub const FINGERPRINT: &str = "amibake:fingerprint";

/// The value of [`RECIPE`] for a recipe file: its name without extension
/// (`etherpad.hcl` → `etherpad`, `shop.pkr.hcl` → `shop`). `gc --recipe-file`
/// finds a recipe's images by it, so both sides use this one function.
/// A directory template is named after its directory (`packer/` →
/// `packer`, `.` → the current directory's name).
pub fn recipe_name(path: &std::path::Path) -> String {
    if path.is_dir() {
        let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        return full
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "recipe".into());
    }
    path.file_stem()
        .map(|s| s.to_string_lossy().trim_end_matches(".pkr").to_owned())
        .unwrap_or_else(|| "recipe".into())
}

/// The tags every created resource carries.
pub fn build_tags(state: &BuildState) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    t.insert(BUILD_ID.to_owned(), state.build_id.clone());
    t.insert(RECIPE.to_owned(), state.recipe_name.clone());
    t.insert(SOURCE.to_owned(), state.source.name.clone());
    t.insert(CREATED.to_owned(), state.created_at.clone());
    t
}

/// The recipe's tags for a resource in `region`, rendered (`{{ .SourceAMIName }}`
/// and `build.*` become their values), under amibake's own keys, which are
/// applied last so cleanup can rely on them.
pub fn merged(
    state: &BuildState,
    extra: &BTreeMap<String, String>,
    region: &str,
) -> crate::error::Result<BTreeMap<String, String>> {
    let mut t = BTreeMap::new();
    for (k, v) in extra {
        t.insert(k.clone(), state.render(&format!("tag {k}"), v, region)?);
    }
    t.extend(build_tags(state));
    Ok(t)
}

/// The tags of an image or its snapshots (`own`: `tags` or
/// `snapshot_tags`), rendered for `region`: Packer puts `run_tags` on them
/// too unless `skip_ami_run_tags`, under their own tags.
pub fn for_image(
    state: &BuildState,
    own: &BTreeMap<String, String>,
    region: &str,
) -> crate::error::Result<BTreeMap<String, String>> {
    let src = &state.source;
    if src.skip_ami_run_tags || src.run_tags.is_empty() {
        return merged(state, own, region);
    }
    let mut base = src.run_tags.clone();
    base.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged(state, &base, region)
}

pub fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn spec(kind: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

pub fn iam_tags(state: &BuildState) -> Vec<aws_sdk_iam::types::Tag> {
    build_tags(state)
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn recipe_name_is_the_file_name_without_extension() {
        assert_eq!(
            super::recipe_name(Path::new("recipes/etherpad.hcl")),
            "etherpad"
        );
        assert_eq!(super::recipe_name(Path::new("/x/shop.pkr.hcl")), "shop");
    }
}
