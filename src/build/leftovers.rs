//! Finding and removing what killed builds left behind (`amibake cleanup`).
//!
//! Everything a build creates carries `amibake:build-id` (IAM roles and
//! profiles also live under the `/amibake/` path). A build is considered
//! no longer running when its resources are older than `--older-than`
//! (default one hour): amibake holds no lock service, so age is the only
//! safe signal; builds longer than that need a larger value. Images are
//! leftovers only while they lack `amibake:complete`, which the publish
//! step sets when a build succeeds.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::steps::{delete_image, filter, snapshot_ids};
use super::tags;
use crate::aws::{sdk_error, Aws};
use crate::error::{Error, Result};
use crate::poll::Backoff;

/// What to look for.
#[derive(Debug, Clone)]
pub struct Query {
    pub regions: Vec<String>,
    pub older_than: Duration,
    pub build_id: Option<String>,
}

/// One leftover resource.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Leftover {
    /// `instance`, `security-group`, `image`, `snapshot`, `instance-profile`,
    /// `iam-role`, `bucket`.
    pub kind: String,
    pub id: String,
    /// `global` for IAM and S3 names.
    pub region: String,
    pub build_id: Option<String>,
    /// Seconds since creation, when known.
    pub age_seconds: Option<u64>,
}

fn parse_time(s: &str) -> Option<SystemTime> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(t.unix_timestamp().max(0) as u64))
}

fn age_of(t: Option<SystemTime>) -> Option<u64> {
    t.and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| d.as_secs())
}

fn smithy_time(t: Option<&aws_smithy_types::DateTime>) -> Option<SystemTime> {
    t.and_then(|d| SystemTime::try_from(*d).ok())
}

impl Query {
    fn old_enough(&self, age: Option<u64>) -> bool {
        // Unknown age: only with an explicit build ID.
        match age {
            Some(a) => a >= self.older_than.as_secs(),
            None => self.build_id.is_some(),
        }
    }
    fn wants(&self, build_id: Option<&str>) -> bool {
        match &self.build_id {
            Some(want) => build_id == Some(want.as_str()),
            None => true,
        }
    }
    fn build_filter(&self) -> aws_sdk_ec2::types::Filter {
        match &self.build_id {
            Some(id) => filter(&format!("tag:{}", tags::BUILD_ID), &[id]),
            None => filter("tag-key", &[tags::BUILD_ID]),
        }
    }
}

fn tag<'a>(t: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    t.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// List leftovers in every region of the query, and IAM/S3 globally.
pub async fn find(aws: &Aws, q: &Query) -> Result<Vec<Leftover>> {
    let mut out = Vec::new();
    let per_region =
        futures::future::try_join_all(q.regions.iter().map(|r| find_region(aws, q, r))).await?;
    for v in per_region {
        out.extend(v);
    }
    let home = q
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    out.extend(find_iam(aws, q, &home).await?);
    out.extend(find_buckets(aws, q, &home).await?);
    Ok(out)
}

async fn find_region(aws: &Aws, q: &Query, region: &str) -> Result<Vec<Leftover>> {
    let ec2 = aws.ec2(region);
    let mut out = Vec::new();
    let leftover = |kind: &str, id: &str, build: Option<&str>, age: Option<u64>| Leftover {
        kind: kind.into(),
        id: id.into(),
        region: region.into(),
        build_id: build.map(str::to_owned),
        age_seconds: age,
    };
    let inst = ec2
        .describe_instances()
        .filters(q.build_filter())
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped"],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInstances", &e))?;
    for i in inst.reservations().iter().flat_map(|r| r.instances()) {
        let b = tag(i.tags(), tags::BUILD_ID);
        let age = age_of(smithy_time(i.launch_time()));
        if q.wants(b) && q.old_enough(age) {
            out.push(leftover("instance", i.instance_id().unwrap_or(""), b, age));
        }
    }
    let sgs = ec2
        .describe_security_groups()
        .filters(q.build_filter())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", &e))?;
    for g in sgs.security_groups() {
        let b = tag(g.tags(), tags::BUILD_ID);
        let age = age_of(tag(g.tags(), tags::CREATED).and_then(parse_time));
        if q.wants(b) && q.old_enough(age) {
            out.push(leftover(
                "security-group",
                g.group_id().unwrap_or(""),
                b,
                age,
            ));
        }
    }
    let images = ec2
        .describe_images()
        .owners("self")
        .filters(q.build_filter())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeImages", &e))?;
    let mut in_use: HashSet<String> = HashSet::new();
    for img in images.images() {
        let b = tag(img.tags(), tags::BUILD_ID);
        let complete = tag(img.tags(), tags::COMPLETE).is_some();
        let age = age_of(img.creation_date().and_then(parse_time));
        if !complete && q.wants(b) && q.old_enough(age) {
            out.push(leftover("image", img.image_id().unwrap_or(""), b, age));
        } else {
            in_use.extend(snapshot_ids(img));
        }
    }
    let snaps = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(q.build_filter())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSnapshots", &e))?;
    for s in snaps.snapshots() {
        let id = s.snapshot_id().unwrap_or("");
        let b = tag(s.tags(), tags::BUILD_ID);
        let age = age_of(smithy_time(s.start_time()));
        if !in_use.contains(id) && q.wants(b) && q.old_enough(age) {
            out.push(leftover("snapshot", id, b, age));
        }
    }
    Ok(out)
}

async fn find_iam(aws: &Aws, q: &Query, home: &str) -> Result<Vec<Leftover>> {
    let iam = aws.iam(home);
    let mut out = Vec::new();
    let matches_build = |name: &str| match &q.build_id {
        Some(b) => name == format!("amibake-{b}"),
        None => true,
    };
    let roles = iam
        .list_roles()
        .path_prefix(super::steps::instance_profile::IAM_PATH)
        .send()
        .await
        .map_err(|e| sdk_error("iam:ListRoles", &e))?;
    for r in roles.roles() {
        let age = age_of(SystemTime::try_from(*r.create_date()).ok());
        if matches_build(r.role_name()) && q.old_enough(age) {
            out.push(Leftover {
                kind: "iam-role".into(),
                id: r.role_name().into(),
                region: "global".into(),
                build_id: r.role_name().strip_prefix("amibake-").map(str::to_owned),
                age_seconds: age,
            });
        }
    }
    let profiles = iam
        .list_instance_profiles()
        .path_prefix(super::steps::instance_profile::IAM_PATH)
        .send()
        .await
        .map_err(|e| sdk_error("iam:ListInstanceProfiles", &e))?;
    for p in profiles.instance_profiles() {
        let age = age_of(SystemTime::try_from(*p.create_date()).ok());
        let name = p.instance_profile_name();
        if matches_build(name) && q.old_enough(age) {
            out.push(Leftover {
                kind: "instance-profile".into(),
                id: name.into(),
                region: "global".into(),
                build_id: name.strip_prefix("amibake-").map(str::to_owned),
                age_seconds: age,
            });
        }
    }
    Ok(out)
}

async fn find_buckets(aws: &Aws, q: &Query, home: &str) -> Result<Vec<Leftover>> {
    let s3 = aws.s3(home);
    let list = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| sdk_error("s3:ListBuckets", &e))?;
    let mut out = Vec::new();
    for b in list.buckets() {
        let Some(name) = b.name() else { continue };
        if !name.starts_with("amibake-staging-") {
            continue;
        }
        let age = age_of(smithy_time(b.creation_date()));
        let build = match s3.get_bucket_tagging().bucket(name).send().await {
            Ok(t) => t
                .tag_set()
                .iter()
                .find(|t| t.key() == tags::BUILD_ID)
                .map(|t| t.value().to_owned()),
            Err(_) => None,
        };
        if q.wants(build.as_deref()) && q.old_enough(age) {
            out.push(Leftover {
                kind: "bucket".into(),
                id: name.into(),
                region: "global".into(),
                build_id: build,
                age_seconds: age,
            });
        }
    }
    Ok(out)
}

/// Remove leftovers: instances first (a security group is deletable only
/// once its instance is gone), then groups, images, snapshots, IAM, S3.
/// Returns how many were removed; errors are collected, not fatal.
pub async fn remove(aws: &Aws, items: &[Leftover], timeout: Duration) -> (usize, Vec<Error>) {
    let mut removed = 0;
    let mut errors = Vec::new();
    let of = |k: &'static str| items.iter().filter(move |i| i.kind == k);
    // Instances, all regions at once.
    let term = futures::future::join_all(of("instance").map(|i| async move {
        super::steps::launch::terminate_and_wait(
            &aws.ec2(&i.region),
            &i.id,
            timeout,
            Backoff::for_state(),
        )
        .await
    }))
    .await;
    for r in term {
        match r {
            Ok(()) => removed += 1,
            Err(e) => errors.push(e),
        }
    }
    for i in of("security-group") {
        match super::steps::security_group::delete_security_group(
            &aws.ec2(&i.region),
            &i.id,
            timeout,
            Backoff::for_state(),
        )
        .await
        {
            Ok(()) => removed += 1,
            Err(e) => errors.push(e),
        }
    }
    for i in of("image") {
        match delete_image(&aws.ec2(&i.region), &i.id, &[]).await {
            Ok(()) => removed += 1,
            Err(e) => errors.push(e),
        }
    }
    for i in of("snapshot") {
        match super::steps::delete_snapshot(&aws.ec2(&i.region), &i.id).await {
            Ok(()) => removed += 1,
            Err(e) => errors.push(e),
        }
    }
    let home = items
        .iter()
        .find(|i| i.region != "global")
        .map(|i| i.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    let iam = aws.iam(&home);
    let mut names: Vec<&str> = of("iam-role")
        .chain(of("instance-profile"))
        .map(|i| i.id.as_str())
        .collect();
    names.sort();
    names.dedup();
    for n in names {
        match super::steps::instance_profile::delete_role_and_profile(&iam, n).await {
            Ok(()) => {
                removed += items
                    .iter()
                    .filter(|i| i.id == n && (i.kind == "iam-role" || i.kind == "instance-profile"))
                    .count()
            }
            Err(e) => errors.push(e),
        }
    }
    let s3 = aws.s3(&home);
    for b in of("bucket") {
        match empty_and_delete_bucket(&s3, &b.id).await {
            Ok(()) => removed += 1,
            Err(e) => errors.push(e),
        }
    }
    (removed, errors)
}

async fn empty_and_delete_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error("s3:ListObjectsV2", &e))?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                s3.delete_object()
                    .bucket(bucket)
                    .key(k)
                    .send()
                    .await
                    .map_err(|e| sdk_error("s3:DeleteObject", &e))?;
            }
        }
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_error("s3:DeleteBucket", &e))
}
