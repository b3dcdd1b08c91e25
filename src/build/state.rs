//! What a build knows while it runs: options, the source being built, and
//! every resource created so far (so cleanup and `--on-error=abort` can say
//! exactly what exists).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::aws::Aws;
use crate::recipe::{Build, Source};
use crate::ui::Ui;

/// What to do with the build's resources when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Remove everything the build created (default).
    #[default]
    Cleanup,
    /// Keep everything for debugging and print how to remove it.
    Abort,
}

/// Command-line choices that shape a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub on_error: OnError,
    /// `--force`: deregister an existing image of the same name (as
    /// `force_deregister`).
    pub force: bool,
    pub skip_if_unchanged: bool,
    /// One ID per `amibake build` run: Packer's `packer_run_uuid`.
    pub run_id: String,
    /// The file `GITHUB_OUTPUT` names, read by the command: a library caller
    /// (or a test running inside a CI job) writes there only if it says so.
    pub github_output: Option<PathBuf>,
}

/// One region's image.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RegionImage {
    pub ami_id: String,
    pub snapshot_ids: Vec<String>,
}

/// The state shared by the steps of one source's build.
pub struct BuildState {
    pub aws: Aws,
    pub ui: Ui,
    pub options: BuildOptions,
    /// The recipe's name (file stem), tagged `amibake:recipe`.
    pub recipe_name: String,
    pub source: Source,
    pub build: Build,
    /// Unique per source build; tagged `amibake:build-id` on everything.
    pub build_id: String,
    /// RFC 3339 start time, tagged `amibake:created` (cleanup's age test
    /// for resources AWS gives no creation time, like security groups).
    pub created_at: String,

    pub account_id: Option<String>,
    pub source_ami_id: Option<String>,
    /// The source image as found (for `{{ .SourceAMIName }}` and friends).
    pub source_image: Option<crate::recipe::render::legacy::ImageFacts>,
    pub fingerprint: Option<String>,
    /// Images of the same name found by preflight: (region, AMI ID);
    /// deregistered just before the new image takes the name (`--force`).
    pub existing_named: Vec<(String, String)>,
    /// The temporary IAM role and instance profile (same name), if created.
    pub temp_profile: Option<String>,
    /// The instance profile the instance launches with.
    pub launch_profile: Option<String>,
    pub temp_security_group: Option<String>,
    pub security_group_ids: Vec<String>,
    /// VPC, subnet and zone, decided by the network step.
    pub network: super::steps::network::NetworkPlan,
    pub instance_id: Option<String>,
    /// The instance, temporary security group and instance profile were
    /// removed while the copies ran (their cleanups have nothing to do).
    pub released: bool,
    /// Region → image, the build region's first. Shared with copy tasks.
    pub images: Arc<Mutex<BTreeMap<String, RegionImage>>>,

    /// `--skip-if-unchanged` found images with this fingerprint everywhere.
    pub reused: bool,
    pub succeeded: bool,
    pub duration: Duration,
}

/// What a finished build reports on stdout.
#[derive(Debug, Clone, Serialize)]
pub struct BuildResult {
    pub source: String,
    pub build_name: Option<String>,
    pub ami_name: String,
    pub build_id: String,
    pub source_ami: Option<String>,
    /// Build region first, then `ami_regions` in recipe order.
    pub regions: Vec<(String, RegionImage)>,
    pub duration_seconds: f64,
    pub reused: bool,
}

/// One ID for this run of amibake (`build.PackerRunUUID`).
pub fn run_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

impl BuildState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        aws: Aws,
        ui: Ui,
        options: BuildOptions,
        recipe_path: PathBuf,
        source: Source,
        build: Build,
    ) -> BuildState {
        let recipe_name = super::tags::recipe_name(&recipe_path);
        let build_id = new_build_id();
        BuildState {
            aws,
            ui,
            options,
            recipe_name,
            source,
            build,
            build_id,
            created_at: crate::ui::now_rfc3339(),
            account_id: None,
            source_ami_id: None,
            source_image: None,
            fingerprint: None,
            existing_named: Vec::new(),
            temp_profile: None,
            launch_profile: None,
            temp_security_group: None,
            security_group_ids: Vec::new(),
            network: Default::default(),
            instance_id: None,
            released: false,
            images: Arc::new(Mutex::new(BTreeMap::new())),
            reused: false,
            succeeded: false,
            duration: Duration::ZERO,
        }
    }

    /// How messages name this build: the source name.
    pub fn label(&self) -> String {
        self.source.name.clone()
    }

    pub fn region(&self) -> &str {
        &self.source.region
    }

    /// What a build-time template (`ami_description`, tags) may read, for
    /// the image in `region`: Packer renders `{{ .BuildRegion }}` per region.
    pub fn legacy_context(&self, region: &str) -> crate::recipe::render::legacy::LegacyContext {
        use crate::recipe::render;
        render::legacy::LegacyContext {
            start: crate::recipe::build_time(),
            build_name: self.source.name.clone(),
            build_type: "amazon-ebs".into(),
            build_region: Some(region.to_owned()),
            image: self.source_image.clone(),
            build_vars: render::build_vars(
                &self.build_id,
                run_id(),
                "root",
                self.instance_id.as_deref().unwrap_or_default(),
            ),
            packer_version: crate::recipe::VERSION.into(),
        }
    }

    /// `ami_description` for the image in `region`, rendered.
    pub fn description(&self, region: &str) -> Result<Option<String>, crate::error::Error> {
        self.source
            .ami_description
            .as_deref()
            .map(|d| self.render("ami_description", d, region))
            .transpose()
    }

    /// Render a build-time template of the recipe (checked at load).
    pub fn render(
        &self,
        what: &str,
        text: &str,
        region: &str,
    ) -> Result<String, crate::error::Error> {
        if !text.contains("{{") {
            return Ok(text.to_owned());
        }
        crate::recipe::render::render_text(text, &self.legacy_context(region))
            .map_err(|e| crate::error::Error::build(format!("{what}: {e}")))
    }

    pub fn image(&self, region: &str) -> Option<RegionImage> {
        self.images.lock().unwrap().get(region).cloned()
    }

    pub fn set_image(&self, region: &str, image: RegionImage) {
        self.images.lock().unwrap().insert(region.to_owned(), image);
    }

    /// Forget a region's image (deleted on purpose).
    pub fn remove_image(&self, region: &str) {
        self.images.lock().unwrap().remove(region);
    }

    /// Regions with an image, build region first then recipe order.
    pub fn result(&self) -> BuildResult {
        let images = self.images.lock().unwrap();
        let regions = self
            .source
            .image_regions()
            .into_iter()
            .filter_map(|r| images.get(&r).map(|i| (r.clone(), i.clone())))
            .collect();
        BuildResult {
            source: self.source.name.clone(),
            build_name: self.build.name.clone(),
            ami_name: self.source.ami_name.clone(),
            build_id: self.build_id.clone(),
            source_ami: self.source_ami_id.clone(),
            regions,
            duration_seconds: self.duration.as_secs_f64(),
            reused: self.reused,
        }
    }

    /// Every resource this build still owns, with the AWS CLI command that
    /// removes it (for `--on-error=abort` and aborted cleanups).
    pub fn remaining_resources(&self) -> Vec<Value> {
        let region = self.region().to_owned();
        let mut out = Vec::new();
        let (instance, group, profile) = if self.released {
            (None, None, None)
        } else {
            (
                self.instance_id.as_ref(),
                self.temp_security_group.as_ref(),
                self.temp_profile.as_ref(),
            )
        };
        if let Some(id) = instance {
            out.push(json!({"type": "instance", "id": id, "region": region,
                "remove": format!("aws ec2 terminate-instances --region {region} --instance-ids {id}")}));
        }
        if let Some(id) = group {
            out.push(json!({"type": "security-group", "id": id, "region": region,
                "remove": format!("aws ec2 delete-security-group --region {region} --group-id {id}")}));
        }
        if let Some(name) = profile {
            out.push(json!({"type": "instance-profile", "id": name, "region": null,
                "remove": format!("aws iam remove-role-from-instance-profile --instance-profile-name {name} --role-name {name} && aws iam delete-instance-profile --instance-profile-name {name}")}));
            out.push(json!({"type": "iam-role", "id": name, "region": null,
                "remove": format!("aws iam detach-role-policy --role-name {name} --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore && aws iam delete-role --role-name {name}")}));
        }
        if !self.succeeded {
            for (r, img) in self.images.lock().unwrap().iter() {
                out.push(json!({"type": "image", "id": img.ami_id, "region": r,
                    "remove": format!("aws ec2 deregister-image --region {r} --image-id {} --delete-associated-snapshots", img.ami_id)}));
                for s in &img.snapshot_ids {
                    out.push(json!({"type": "snapshot", "id": s, "region": r,
                        "remove": format!("aws ec2 delete-snapshot --region {r} --snapshot-id {s}")}));
                }
            }
        }
        out
    }
}

/// `ab-` and 12 hex digits: short enough for IAM names (64 characters)
/// with a prefix, unique enough for an account.
fn new_build_id() -> String {
    let u = uuid::Uuid::new_v4().simple().to_string();
    format!("ab-{}", &u[..12])
}
