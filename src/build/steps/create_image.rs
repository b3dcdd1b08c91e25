//! Create the image from the stopped instance, wait until it is available,
//! then tag its snapshots and apply launch permissions, IMDS support and
//! deprecation. On failure the image and its snapshots are removed.

use aws_sdk_ec2::types::{
    AttributeValue, CreateVolumePermission, CreateVolumePermissionModifications, LaunchPermission,
    LaunchPermissionModifications, ResourceType, SnapshotAttributeName,
};

use super::{delete_image, images_of_build, snapshot_ids, state_backoff, wait_image_available};
use crate::aws::sdk_error;
use crate::build::{tags, BuildState, RegionImage, Step, StepFuture};
use crate::error::{Error, Result};

pub struct CreateImage;

impl Step for CreateImage {
    fn name(&self) -> &'static str {
        "create image"
    }
    fn run<'a>(&'a mut self, state: &'a mut BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.source.skip_create_ami {
                state.ui.info(&format!(
                    "{}: skip_create_ami is set; no image created",
                    state.label()
                ));
                return Ok(());
            }
            let step = state.ui.step(&format!("{}: create image", state.label()));
            let r = create(state, &step).await;
            step.report(r, |img| img.ami_id.clone()).map(|_| ())
        })
    }

    fn cleanup<'a>(&'a mut self, state: &'a BuildState) -> StepFuture<'a, Result<()>> {
        Box::pin(async move {
            if state.succeeded {
                return Ok(());
            }
            let region = state.region().to_owned();
            remove_build_images(state, &region).await
        })
    }
}

/// Remove this build's images in `region`: the one recorded in the state,
/// plus any found by tag (a create or copy call cut short by an interrupt).
pub(crate) async fn remove_build_images(state: &BuildState, region: &str) -> Result<()> {
    let ec2 = state.aws.ec2(region);
    let mut targets: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(img) = state.image(region) {
        targets.push((img.ami_id, img.snapshot_ids));
    }
    for img in images_of_build(&ec2, &state.build_id).await? {
        if let Some(id) = img.image_id() {
            if !targets.iter().any(|(t, _)| t == id) {
                targets.push((id.to_owned(), snapshot_ids(&img)));
            }
        }
    }
    for (ami, snaps) in targets {
        delete_image(&ec2, &ami, &snaps).await?;
    }
    Ok(())
}

/// Deregister images that `--force` replaces in `region`, right before the
/// new image takes their name.
pub(crate) async fn deregister_replaced(state: &BuildState, region: &str) -> Result<()> {
    let ec2 = state.aws.ec2(region);
    for (r, ami) in &state.existing_named {
        if r != region {
            continue;
        }
        state.ui.info(&format!(
            "{}: deregistering {ami} in {r} (--force)",
            state.label()
        ));
        if state.source.force_delete_snapshot {
            delete_image(&ec2, ami, &[]).await?;
        } else {
            match ec2.deregister_image().image_id(ami).send().await {
                Ok(_) => {}
                Err(e) if crate::aws::error_code(&e) == Some("InvalidAMIID.NotFound") => {}
                Err(e) => return Err(sdk_error("ec2:DeregisterImage", &e)),
            }
        }
    }
    Ok(())
}

async fn create(state: &mut BuildState, step: &crate::ui::StepProgress) -> Result<RegionImage> {
    let region = state.region().to_owned();
    let ec2 = state.aws.ec2(&region);
    let src = &state.source;
    deregister_replaced(state, &region).await?;
    let image_tags = tags::for_image(state, &src.tags, &region)?;
    let snapshot_tags = tags::for_image(state, &src.snapshot_tags, &region)?;
    let description = state.description(&region)?;
    // With skip_save_build_region the image is only the copies' source;
    // with encrypt_boot the final name goes to the encrypted copy.
    let name = if src.skip_save_build_region {
        intermediary_name(state)
    } else if src.encrypt_boot == Some(true) {
        format!("amibake-unencrypted-{}", state.build_id)
    } else {
        src.ami_name.clone()
    };
    let out = ec2
        .create_image()
        .instance_id(state.instance_id.clone().expect("instance launched"))
        .name(&name)
        .set_description(description)
        .no_reboot(true)
        .set_block_device_mappings(if src.ami_block_device_mappings.is_empty() {
            None
        } else {
            Some(
                src.ami_block_device_mappings
                    .iter()
                    .map(super::launch::block_device)
                    .collect(),
            )
        })
        .tag_specifications(tags::spec(ResourceType::Image, &image_tags))
        .tag_specifications(tags::spec(ResourceType::Snapshot, &snapshot_tags))
        .send()
        .await
        .map_err(|e| {
            let err = sdk_error("ec2:CreateImage", &e);
            match crate::aws::error_code(&e) {
                Some("InvalidAMIName.Duplicate") => err.with_hint(
                    "another image took this name during the build; make ami_name unique or pass --force",
                ),
                _ => err,
            }
        })?;
    let ami = out
        .image_id()
        .ok_or_else(|| Error::aws("ec2:CreateImage returned no image ID"))?
        .to_owned();
    // Recorded before waiting, so an interrupt during the wait removes it.
    state.set_image(
        &region,
        RegionImage {
            ami_id: ami.clone(),
            snapshot_ids: vec![],
        },
    );
    step.set_message(&format!("{ami} pending"));
    let image =
        wait_image_available(&ec2, &ami, state.source.state_timeout, state_backoff(state)).await?;
    let snaps = snapshot_ids(&image);
    let mut img = RegionImage {
        ami_id: ami.clone(),
        snapshot_ids: snaps,
    };
    state.set_image(&region, img.clone());

    // Copy regions finish (and encrypt) their own copies, then delete this one.
    if state.source.skip_save_build_region {
        return Ok(img);
    }
    if state.source.encrypt_boot == Some(true) {
        img = encrypt_in_place(state, &region, img).await?;
    }
    finish_image(state, &region, &img).await?;
    Ok(img)
}

/// The build region's image name with `skip_save_build_region` (Packer
/// also uses a throwaway name there, so the real name stays free).
pub(crate) fn intermediary_name(state: &BuildState) -> String {
    format!("amibake-intermediary-{}", state.build_id)
}

/// Packer's `encrypt_boot`: copy the image encrypted within the region,
/// then remove the unencrypted original.
async fn encrypt_in_place(
    state: &BuildState,
    region: &str,
    plain: RegionImage,
) -> Result<RegionImage> {
    let ec2 = state.aws.ec2(region);
    let src = &state.source;
    let out = ec2
        .copy_image()
        .source_image_id(&plain.ami_id)
        .source_region(region)
        .name(&src.ami_name)
        .set_description(state.description(region)?)
        .encrypted(true)
        .set_kms_key_id(src.kms_key_id.clone())
        .set_snapshot_copy_completion_duration_minutes(src.snapshot_copy_duration_minutes)
        .copy_image_tags(true)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CopyImage", &e))?;
    let enc = out.image_id().unwrap_or_default().to_owned();
    state.set_image(
        region,
        RegionImage {
            ami_id: enc.clone(),
            snapshot_ids: vec![],
        },
    );
    let image = wait_image_available(&ec2, &enc, src.state_timeout, state_backoff(state)).await?;
    let enc_img = RegionImage {
        ami_id: enc.clone(),
        snapshot_ids: snapshot_ids(&image),
    };
    delete_image(&ec2, &plain.ami_id, &plain.snapshot_ids).await?;
    state.set_image(region, enc_img.clone());
    Ok(enc_img)
}

/// Everything an available image needs in any region: snapshot tags,
/// launch permissions, IMDS support, deprecation.
pub(crate) async fn finish_image(
    state: &BuildState,
    region: &str,
    img: &RegionImage,
) -> Result<()> {
    let ec2 = state.aws.ec2(region);
    let src = &state.source;
    let tag_snaps = async {
        if img.snapshot_ids.is_empty() {
            return Ok(());
        }
        let t = tags::for_image(state, &src.snapshot_tags, region)?;
        ec2.create_tags()
            .set_resources(Some(img.snapshot_ids.clone()))
            .set_tags(Some(tags::ec2_tags(&t)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:CreateTags", &e))
    };
    let perms = async {
        let mut add = Vec::new();
        for u in &src.ami_users {
            add.push(LaunchPermission::builder().user_id(u).build());
        }
        for g in &src.ami_groups {
            add.push(LaunchPermission::builder().group(g.as_str().into()).build());
        }
        for a in &src.ami_org_arns {
            add.push(LaunchPermission::builder().organization_arn(a).build());
        }
        for a in &src.ami_ou_arns {
            add.push(
                LaunchPermission::builder()
                    .organizational_unit_arn(a)
                    .build(),
            );
        }
        if add.is_empty() {
            return Ok(());
        }
        ec2.modify_image_attribute()
            .image_id(&img.ami_id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .set_add(Some(add))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:ModifyImageAttribute(launchPermission)", &e))
    };
    let snapshot_perms = async {
        if src.snapshot_users.is_empty() && src.snapshot_groups.is_empty() {
            return Ok(());
        }
        let mut add: Vec<CreateVolumePermission> = src
            .snapshot_users
            .iter()
            .map(|u| CreateVolumePermission::builder().user_id(u).build())
            .collect();
        add.extend(src.snapshot_groups.iter().map(|g| {
            CreateVolumePermission::builder()
                .group(g.as_str().into())
                .build()
        }));
        for snap in &img.snapshot_ids {
            ec2.modify_snapshot_attribute()
                .snapshot_id(snap)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .create_volume_permission(
                    CreateVolumePermissionModifications::builder()
                        .set_add(Some(add.clone()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    sdk_error("ec2:ModifySnapshotAttribute(createVolumePermission)", &e)
                })?;
        }
        Ok(())
    };
    let imds = async {
        let Some(v) = &src.imds_support else {
            return Ok(());
        };
        ec2.modify_image_attribute()
            .image_id(&img.ami_id)
            .imds_support(AttributeValue::builder().value(v).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:ModifyImageAttribute(imdsSupport)", &e))
    };
    let deprecate = async {
        let Some(at) = &src.deprecate_at else {
            return Ok(());
        };
        let when =
            aws_smithy_types::DateTime::from_str(at, aws_smithy_types::date_time::Format::DateTime)
                .map_err(|e| {
                    Error::usage(format!("deprecate_at {at:?} is not an RFC 3339 time: {e}"))
                })?;
        ec2.enable_image_deprecation()
            .image_id(&img.ami_id)
            .deprecate_at(when)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:EnableImageDeprecation", &e))
    };
    futures::try_join!(tag_snaps, perms, snapshot_perms, imds, deprecate)?;
    Ok(())
}
