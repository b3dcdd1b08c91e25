//! Which images gc looks at: the caller's own images in one region, narrowed
//! by amibake's recipe tag or by user filters.
//!
//! Only a compact [`ImageInfo`] is kept per image so that tens of thousands
//! of images fit in a few megabytes.

use aws_sdk_ec2::types::Filter;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::aws::sdk_error;
// The tags `amibake build` writes: gc must read exactly those.
use crate::build::tags::{RECIPE as RECIPE_TAG, SOURCE as SOURCE_TAG};
use crate::error::{Error, Result};

/// How the user chose images.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Only images tagged `amibake:recipe` (any value when `recipes` is empty).
    pub amibake_only: bool,
    /// `amibake:recipe` values to keep to (`--recipe`, `--recipe-file`).
    pub recipes: Vec<String>,
    /// `--filter tag:KEY=VALUE`.
    pub tags: Vec<(String, String)>,
    /// `--filter name:PATTERN` (`*` and `?` wildcards, as EC2's name filter).
    pub name_patterns: Vec<String>,
}

impl Selection {
    /// Parse one `--filter` expression into this selection.
    pub fn add_filter(&mut self, expr: &str) -> Result<()> {
        if let Some(rest) = expr.strip_prefix("tag:") {
            let (k, v) = rest.split_once('=').ok_or_else(|| bad_filter(expr))?;
            if k.is_empty() {
                return Err(bad_filter(expr));
            }
            self.tags.push((k.to_owned(), v.to_owned()));
            Ok(())
        } else if let Some(pattern) = expr.strip_prefix("name:") {
            if pattern.is_empty() {
                return Err(bad_filter(expr));
            }
            self.name_patterns.push(pattern.to_owned());
            Ok(())
        } else {
            Err(bad_filter(expr))
        }
    }

    /// EC2 filters for `DescribeImages`. The same conditions are checked
    /// again on each result ([`Selection::matches`]): a filter the service
    /// ignored must not widen what gc may delete.
    pub fn ec2_filters(&self) -> Vec<Filter> {
        let mut out = Vec::new();
        if !self.recipes.is_empty() {
            out.push(
                Filter::builder()
                    .name(format!("tag:{RECIPE_TAG}"))
                    .set_values(Some(self.recipes.clone()))
                    .build(),
            );
        } else if self.amibake_only {
            out.push(Filter::builder().name("tag-key").values(RECIPE_TAG).build());
        }
        for (k, v) in &self.tags {
            out.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
        }
        for p in &self.name_patterns {
            out.push(Filter::builder().name("name").values(p).build());
        }
        out
    }

    pub fn matches(&self, img: &ImageInfo) -> bool {
        if self.amibake_only && img.recipe.is_none() {
            return false;
        }
        if !self.recipes.is_empty()
            && !img
                .recipe
                .as_ref()
                .is_some_and(|r| self.recipes.contains(r))
        {
            return false;
        }
        if !self
            .tags
            .iter()
            .all(|(k, v)| img.tags.iter().any(|(ik, iv)| ik == k && iv == v))
        {
            return false;
        }
        self.name_patterns.iter().all(|p| glob_match(p, &img.name))
    }
}

fn bad_filter(expr: &str) -> Error {
    Error::usage(format!("--filter `{expr}` is not understood"))
        .with_hint("use --filter tag:KEY=VALUE or --filter name:PATTERN (wildcards * and ?)")
}

/// What gc needs to know about one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    pub id: String,
    pub name: String,
    pub created: OffsetDateTime,
    pub last_launched: Option<OffsetDateTime>,
    pub deprecation: Option<OffsetDateTime>,
    pub deregistration_protected: bool,
    pub public: bool,
    pub snapshots: Vec<String>,
    /// `amibake:recipe` tag value.
    pub recipe: Option<String>,
    /// `amibake:source` tag value.
    pub source: Option<String>,
    /// Only the tags a `--filter tag:` asked about are kept.
    pub tags: Vec<(String, String)>,
}

impl ImageInfo {
    /// Convert an SDK image; `None` when it has no ID or creation date
    /// (never seen from EC2, and such an image is never a candidate).
    pub fn from_sdk(
        img: &aws_sdk_ec2::types::Image,
        wanted_tags: &[(String, String)],
    ) -> Option<ImageInfo> {
        let id = img.image_id()?.to_owned();
        let created = parse_time(img.creation_date()?)?;
        let tag = |key: &str| {
            img.tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value())
                .map(str::to_owned)
        };
        let tags = wanted_tags
            .iter()
            .filter_map(|(k, _)| tag(k).map(|v| (k.clone(), v)))
            .collect();
        Some(ImageInfo {
            id,
            name: img.name().unwrap_or("").to_owned(),
            created,
            last_launched: img.last_launched_time().and_then(parse_time),
            deprecation: img.deprecation_time().and_then(parse_time),
            deregistration_protected: img
                .deregistration_protection()
                .is_some_and(|p| p.starts_with("enabled")),
            public: img.public().unwrap_or(false),
            snapshots: img
                .block_device_mappings()
                .iter()
                .filter_map(|b| b.ebs().and_then(|e| e.snapshot_id()).map(str::to_owned))
                .collect(),
            recipe: tag(RECIPE_TAG),
            source: tag(SOURCE_TAG),
            tags,
        })
    }
}

pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Every image owned by `account` in the client's region that `selection`
/// accepts. Paginated; any failed page fails the whole listing.
pub async fn list_images(
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    selection: &Selection,
) -> Result<Vec<ImageInfo>> {
    let mut out = Vec::new();
    let mut pages = ec2
        .describe_images()
        .owners("self")
        .set_filters(Some(selection.ec2_filters()))
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
        for img in page.images() {
            // Owners=self already limits this; checking again costs nothing.
            if img.owner_id() != Some(account) {
                continue;
            }
            if let Some(info) = ImageInfo::from_sdk(img, &selection.tags) {
                if selection.matches(&info) {
                    out.push(info);
                }
            }
        }
    }
    // A just-deregistered image can appear twice across pages; keep one.
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// EC2-style wildcard match: `*` any run, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("app-*", "app-2025"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*x*", "abxcd"));
        assert!(!glob_match("app-*", "web-1"));
    }

    #[test]
    fn filters_parse() {
        let mut s = Selection::default();
        s.add_filter("tag:Team=web").unwrap();
        s.add_filter("name:web-*").unwrap();
        assert!(s.add_filter("owner:x").is_err());
        assert!(s.add_filter("tag:novalue").is_err());
        assert_eq!(s.tags, vec![("Team".into(), "web".into())]);
        assert_eq!(s.name_patterns, vec!["web-*".to_string()]);
    }
}
