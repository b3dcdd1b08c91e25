//! The S3 staging area for large scripts, large files and long output.
//!
//! The instance never needs S3 permissions: it fetches objects through
//! presigned GET URLs and uploads output through presigned PUT URLs, both
//! made here with the build's credentials. The bucket is created on first
//! use (unless the recipe names one), tagged with the build, and removed in
//! cleanup together with every object this session wrote.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};

use crate::aws::{error_code, sdk_error, Aws};
use crate::build::tags;
use crate::error::{Error, Result};

use super::transport::Pacer;

/// Presigned URLs must outlive the longest step that uses them, including a
/// reboot rerun; 12 h is well inside SigV4's 7-day maximum.
const URL_LIFETIME: Duration = Duration::from_secs(12 * 3600);

pub struct Staging {
    aws: Aws,
    region: String,
    s3: aws_sdk_s3::Client,
    build_id: String,
    recipe_name: String,
    /// The recipe's bucket, if it named one.
    given: Option<String>,
    /// The bucket in use once known.
    bucket: Option<String>,
    /// The account, when the caller already knows it (it names the bucket).
    account_id: Option<String>,
    created: bool,
    keys: Vec<String>,
    counter: u64,
    pacer: Arc<Pacer>,
}

impl Staging {
    pub fn new(
        aws: &Aws,
        region: &str,
        build_id: &str,
        recipe_name: &str,
        given: Option<String>,
        pacer: Arc<Pacer>,
    ) -> Self {
        Staging {
            aws: aws.clone(),
            region: region.to_owned(),
            s3: aws.s3(region),
            build_id: build_id.to_owned(),
            recipe_name: recipe_name.to_owned(),
            given,
            bucket: None,
            account_id: None,
            created: false,
            keys: Vec::new(),
            counter: 0,
            pacer,
        }
    }

    /// Use `account_id` for the bucket name instead of asking STS again.
    pub fn set_account_id(&mut self, account_id: Option<String>) {
        self.account_id = account_id;
    }

    /// A fresh object key under this build's prefix.
    pub fn new_key(&mut self, what: &str) -> String {
        self.counter += 1;
        let key = format!("amibake/{}/{:04}-{what}", self.build_id, self.counter);
        self.keys.push(key.clone());
        key
    }

    /// The bucket, created (and tagged) on first use unless given.
    pub async fn bucket(&mut self) -> Result<String> {
        if let Some(b) = &self.bucket {
            return Ok(b.clone());
        }
        if let Some(b) = &self.given {
            self.bucket = Some(b.clone());
            return Ok(b.clone());
        }
        let account = match &self.account_id {
            Some(a) => a.clone(),
            None => self.aws.account_id(&self.region).await?,
        };
        let name = bucket_name(&account, &self.region, &self.build_id);
        self.pacer.wait().await;
        let mut req = self.s3.create_bucket().bucket(&name);
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => {
                return Err(sdk_error("s3:CreateBucket", &e).with_hint(
                    "amibake stages large files and long output in S3; allow s3:CreateBucket or set `staging_bucket` in the source",
                ))
            }
        }
        self.created = true;
        self.bucket = Some(name.clone());
        let tagging = Tagging::builder()
            .tag_set(tag(tags::BUILD_ID, &self.build_id)?)
            .tag_set(tag(tags::RECIPE, &self.recipe_name)?)
            .tag_set(tag("amibake:purpose", "staging")?)
            .build()
            .map_err(|e| Error::build(e.to_string()))?;
        self.pacer.wait().await;
        self.s3
            .put_bucket_tagging()
            .bucket(&name)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| sdk_error("s3:PutBucketTagging", &e))?;
        Ok(name)
    }

    pub async fn put(&mut self, key: &str, body: ByteStream) -> Result<()> {
        let bucket = self.bucket().await?;
        self.pacer.wait().await;
        self.s3
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(body)
            .send()
            .await
            .map_err(|e| sdk_error("s3:PutObject", &e))?;
        Ok(())
    }

    pub async fn presigned_get(&mut self, key: &str) -> Result<String> {
        let bucket = self.bucket().await?;
        let req = self
            .s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .presigned(presigning()?)
            .await
            .map_err(|e| sdk_error("s3:GetObject (presign)", &e))?;
        Ok(req.uri().to_owned())
    }

    pub async fn presigned_put(&mut self, key: &str) -> Result<String> {
        let bucket = self.bucket().await?;
        let req = self
            .s3
            .put_object()
            .bucket(&bucket)
            .key(key)
            .presigned(presigning()?)
            .await
            .map_err(|e| sdk_error("s3:PutObject (presign)", &e))?;
        Ok(req.uri().to_owned())
    }

    pub async fn get(&mut self, key: &str) -> Result<Vec<u8>> {
        let bucket = self.bucket().await?;
        self.pacer.wait().await;
        let out = self
            .s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error("s3:GetObject", &e))?;
        let data =
            out.body.collect().await.map_err(|e| {
                Error::aws(format!("s3:GetObject {key}: reading the body failed: {e}"))
            })?;
        Ok(data.into_bytes().to_vec())
    }

    /// Delete every object this session wrote, then the bucket if it created
    /// it. Idempotent.
    pub async fn cleanup(&mut self) -> Result<()> {
        let Some(bucket) = self.bucket.clone() else {
            return Ok(());
        };
        for batch in self.keys.chunks(1000) {
            let objects = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::build(e.to_string()))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| Error::build(e.to_string()))?;
            self.pacer.wait().await;
            match self
                .s3
                .delete_objects()
                .bucket(&bucket)
                .delete(delete)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if error_code(&e) == Some("NoSuchBucket") => break,
                Err(e) => return Err(sdk_error("s3:DeleteObjects", &e)),
            }
        }
        self.keys.clear();
        if self.created {
            self.pacer.wait().await;
            match self.s3.delete_bucket().bucket(&bucket).send().await {
                Ok(_) => {}
                Err(e) if error_code(&e) == Some("NoSuchBucket") => {}
                Err(e) => {
                    return Err(sdk_error("s3:DeleteBucket", &e).with_hint(format!(
                        "remove the staging bucket by hand: aws s3 rb s3://{bucket} --force"
                    )))
                }
            }
            self.created = false;
            self.bucket = None;
        }
        Ok(())
    }
}

fn presigning() -> Result<PresigningConfig> {
    PresigningConfig::expires_in(URL_LIFETIME).map_err(|e| Error::build(e.to_string()))
}

fn tag(k: &str, v: &str) -> Result<Tag> {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .map_err(|e| Error::build(e.to_string()))
}

/// `amibake-staging-<account>-<region>-<build>`, within S3's 63-character,
/// lowercase, letters/digits/hyphens rules.
pub fn bucket_name(account: &str, region: &str, build_id: &str) -> String {
    let prefix = format!("amibake-staging-{account}-{region}-");
    let room = 63usize.saturating_sub(prefix.len());
    let id: String = build_id
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(room)
        .collect();
    format!("{prefix}{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_fit_s3_rules() {
        let n = bucket_name(
            "123456789012",
            "ap-southeast-7",
            "B7F1-uuid-0123456789abcdef",
        );
        assert!(n.len() <= 63, "{n}");
        assert!(n.starts_with("amibake-staging-123456789012-ap-southeast-7-b7f1"));
        assert!(n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}
