//! Helpers shared by the emulator tests: IAM setup, launching, waiting.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::operation::copy_image::builders::CopyImageFluentBuilder;
use aws_sdk_ec2::operation::create_image::builders::CreateImageFluentBuilder;
use aws_sdk_ec2::operation::deregister_image::DeregisterImageOutput;
use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    IamInstanceProfileSpecification, Image, ImageState, InstanceStateName, ResourceType, Tag,
    TagSpecification,
};
use aws_sdk_ssm::operation::describe_instance_information::builders::DescribeInstanceInformationFluentBuilder;
use aws_sdk_ssm::operation::get_command_invocation::builders::GetCommandInvocationFluentBuilder;
use aws_sdk_ssm::operation::send_command::builders::SendCommandFluentBuilder;
use aws_sdk_ssm::types::{
    CommandInvocationStatus, InstanceInformationFilter, InstanceInformationFilterKey,
    InstanceInformationStringFilter,
};

use crate::support::Emulator;

pub const REGION: &str = "us-east-1";

/// Poll `f` every 25 ms until it returns Some, or panic after `secs`.
pub async fn eventually<T, F, Fut>(secs: f64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Assert that a call failed with the AWS error `code`, and return the error for further checks.
/// Every SDK crate re-exports the same `ProvideErrorMetadata`, so this one helper serves EC2,
/// SSM, IAM, STS and CloudFormation errors alike.
#[track_caller]
pub fn assert_error_code<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, E>,
    code: &str,
) -> E {
    let err = result.expect_err("the call should fail");
    assert_eq!(err.code(), Some(code), "{err:?}");
    err
}

/// The id of moto's stock AL2023 image in `region`: the image every launched instance starts from
/// unless a test baked its own.
pub async fn al2023_ami(emu: &Emulator, region: &str) -> String {
    let out = emu
        .ec2(region)
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("al2023-ami-2023*")
                .build(),
        )
        .send()
        .await
        .expect("describe al2023 images");
    out.images()[0].image_id().unwrap().to_string()
}

/// One call each to EC2 (in `ec2_region`), STS, SSM (a GetParameter that fails with a 400), and
/// IAM: the call-log test makes this same round before and after a reset, to compare what the log
/// keeps.
pub async fn call_ec2_sts_ssm_iam(emu: &Emulator, ec2_region: &str) {
    emu.ec2(ec2_region).describe_regions().send().await.unwrap();
    emu.sts(REGION).get_caller_identity().send().await.unwrap();
    let _ = emu
        .ssm(REGION)
        .get_parameter()
        .name("/missing")
        .send()
        .await;
    emu.iam().list_roles().send().await.unwrap();
}

/// Create a role + instance profile; `ssm` attaches AmazonSSMManagedInstanceCore.
pub async fn make_profile(emu: &Emulator, name: &str, ssm: bool) -> String {
    let iam = emu.iam();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    if ssm {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
            .send()
            .await
            .unwrap();
    }
    iam.create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(name)
        .send()
        .await
        .unwrap();
    name.to_string()
}

/// A RunInstances request for one instance of `image_id`, with the instance profile `profile`
/// (by name) if any. For tests that need the whole response, expect a refusal, or change the
/// count or profile; [`launch`] covers the plain case.
pub fn run_instances_request(
    emu: &Emulator,
    region: &str,
    image_id: &str,
    profile: Option<&str>,
) -> RunInstancesFluentBuilder {
    emu.ec2(region)
        .run_instances()
        .image_id(image_id)
        .min_count(1)
        .max_count(1)
        .set_iam_instance_profile(
            profile.map(|p| IamInstanceProfileSpecification::builder().name(p).build()),
        )
}

/// Launch one instance of `image_id` and return its id: the start of most instance setups.
pub async fn launch(emu: &Emulator, region: &str, image_id: &str, profile: Option<&str>) -> String {
    let out = run_instances_request(emu, region, image_id, profile)
        .send()
        .await
        .expect("run_instances");
    out.instances()[0].instance_id().unwrap().to_string()
}

/// Launch an AL2023 instance without a profile (so not SSM-managed): the source instance of
/// tests about images, where nothing runs on it.
pub async fn unmanaged_instance(emu: &Emulator, region: &str) -> String {
    let ami = al2023_ami(emu, region).await;
    launch(emu, region, &ami, None).await
}

/// [`unmanaged_instance`], once it runs: the setup of tests about instance and image states.
pub async fn running_instance(emu: &Emulator, region: &str) -> String {
    let id = unmanaged_instance(emu, region).await;
    wait_state(emu, region, &id, InstanceStateName::Running).await;
    id
}

/// The state DescribeInstances reports for `id`, to check what a state delay holds it in.
pub async fn instance_state(emu: &Emulator, region: &str, id: &str) -> InstanceStateName {
    let out = emu
        .ec2(region)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    out.reservations()[0].instances()[0]
        .state()
        .unwrap()
        .name()
        .unwrap()
        .clone()
}

/// Poll `id` until DescribeInstances reports `want`, since the emulator's state delays make every
/// transition take time.
pub async fn wait_state(emu: &Emulator, region: &str, id: &str, want: InstanceStateName) {
    eventually(40.0, &format!("{id} {want:?}"), || {
        let want = want.clone();
        async move { (instance_state(emu, region, id).await == want).then_some(()) }
    })
    .await
}

/// A lifecycle call on a running or stopped instance, for [`change_instance_state`].
#[derive(Debug, Clone, Copy)]
pub enum InstanceAction {
    Stop,
    Start,
    Terminate,
}

/// Stop, start or terminate `id` and return the state the call itself reports: the lifecycle
/// tests compare it with what DescribeInstances says next, and the three calls differ only in
/// the name of the response field.
pub async fn change_instance_state(
    emu: &Emulator,
    region: &str,
    id: &str,
    action: InstanceAction,
) -> InstanceStateName {
    let ec2 = emu.ec2(region);
    let changes = match action {
        InstanceAction::Stop => ec2
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("stop_instances")
            .stopping_instances
            .unwrap_or_default(),
        InstanceAction::Start => ec2
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("start_instances")
            .starting_instances
            .unwrap_or_default(),
        InstanceAction::Terminate => ec2
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("terminate_instances")
            .terminating_instances
            .unwrap_or_default(),
    };
    changes[0].current_state().unwrap().name().unwrap().clone()
}

/// Assert `id` is now in `transitional` (a state delay holds it there), then wait until it is
/// `settled`: each step of the lifecycle test checks both the in-between and the final state.
pub async fn assert_in_transition(
    emu: &Emulator,
    region: &str,
    id: &str,
    transitional: InstanceStateName,
    settled: InstanceStateName,
) {
    assert_eq!(instance_state(emu, region, id).await, transitional);
    wait_state(emu, region, id, settled).await;
}

/// DescribeInstanceInformation can select an instance two ways (InstanceInformationFilterList
/// and Filters); both read the answer the same way.
async fn first_ping_status(req: DescribeInstanceInformationFluentBuilder) -> Option<String> {
    let out = req.send().await.expect("describe_instance_information");
    out.instance_information_list()
        .first()
        .and_then(|i| i.ping_status())
        .map(|p| p.as_str().to_string())
}

/// The SSM ping status of `id` (selected with InstanceInformationFilterList), or None while it has
/// not registered.
pub async fn ping_status(emu: &Emulator, region: &str, id: &str) -> Option<String> {
    let filter = InstanceInformationFilter::builder()
        .key(InstanceInformationFilterKey::InstanceIds)
        .value_set(id)
        .build()
        .unwrap();
    let req = emu
        .ssm(region)
        .describe_instance_information()
        .instance_information_filter_list(filter);
    first_ping_status(req).await
}

/// [`ping_status`], selecting the instance with the newer `Filters` parameter instead, which the
/// emulator must answer the same way.
pub async fn ping_status_by_filters(emu: &Emulator, region: &str, id: &str) -> Option<String> {
    let filter = InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(id)
        .build()
        .unwrap();
    let req = emu
        .ssm(region)
        .describe_instance_information()
        .filters(filter);
    first_ping_status(req).await
}

/// Poll until `id` has registered with SSM and is Online: nothing can be sent to it before.
pub async fn wait_online(emu: &Emulator, region: &str, id: &str) {
    eventually(40.0, &format!("{id} Online"), || async move {
        (ping_status(emu, region, id).await.as_deref() == Some("Online")).then_some(())
    })
    .await
}

/// Launch an SSM-managed instance from the AL2023 image and wait until it is Online.
pub async fn managed_instance(emu: &Emulator, region: &str) -> String {
    let ami = al2023_ami(emu, region).await;
    managed_instance_from(emu, region, &ami).await
}

/// Launch an SSM-managed instance from `image_id` and wait until it is Online: how tests read
/// back what a baked image holds. The region's `ssm-<region>` profile is made on first use.
pub async fn managed_instance_from(emu: &Emulator, region: &str, image_id: &str) -> String {
    let profile = format!("ssm-{}", region);
    if emu
        .iam()
        .get_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .is_err()
    {
        make_profile(emu, &profile, true).await;
    }
    let id = launch(emu, region, image_id, Some(&profile)).await;
    wait_online(emu, region, &id).await;
    id
}

/// DescribeImages for `ids`, in the order the emulator answers. Tests that compare images read
/// them in one call.
pub async fn describe_images<S: AsRef<str>>(emu: &Emulator, region: &str, ids: &[S]) -> Vec<Image> {
    let ids = ids.iter().map(|id| id.as_ref().to_string()).collect();
    emu.ec2(region)
        .describe_images()
        .set_image_ids(Some(ids))
        .send()
        .await
        .expect("describe_images")
        .images
        .unwrap_or_default()
}

/// The image `id` as DescribeImages reports it; most image tests check one field of it.
pub async fn describe_image(emu: &Emulator, region: &str, id: &str) -> Image {
    describe_images(emu, region, &[id]).await.remove(0)
}

/// The state of image `id`, to check what a state delay holds it in.
pub async fn image_state(emu: &Emulator, region: &str, id: &str) -> ImageState {
    describe_image(emu, region, id)
        .await
        .state()
        .unwrap()
        .clone()
}

/// Poll `id` until it reaches `want` (Available, Failed, ...) and return it, so a test can check
/// how it got there (its state reason). `secs` bounds the wait: tests differ on how long a state
/// delay may take.
pub async fn wait_image(
    emu: &Emulator,
    region: &str,
    id: &str,
    want: ImageState,
    secs: f64,
) -> Image {
    eventually(secs, &format!("{id} {want:?}"), || {
        let want = want.clone();
        async move {
            let image = describe_image(emu, region, id).await;
            (image.state() == Some(&want)).then_some(image)
        }
    })
    .await
}

/// The snapshot behind an image's first (root) block device: the tests on snapshots start there.
pub fn root_snapshot(image: &Image) -> String {
    image.block_device_mappings()[0]
        .ebs()
        .unwrap()
        .snapshot_id()
        .unwrap()
        .to_string()
}

/// Whether DescribeSnapshots still knows `snapshot_id` (it answers an error once it is deleted).
pub async fn snapshot_exists(emu: &Emulator, region: &str, snapshot_id: &str) -> bool {
    emu.ec2(region)
        .describe_snapshots()
        .snapshot_ids(snapshot_id)
        .send()
        .await
        .is_ok()
}

/// CreateImage of `instance_id` named `name`, returning the new image id: the one-line setup for
/// tests about images made from an instance.
pub async fn create_image(emu: &Emulator, region: &str, instance_id: &str, name: &str) -> String {
    create_image_with(emu, region, instance_id, name, |req| req).await
}

/// [`create_image`] with extra request options (tag specifications, ...) set by `options`.
pub async fn create_image_with(
    emu: &Emulator,
    region: &str,
    instance_id: &str,
    name: &str,
    options: impl FnOnce(CreateImageFluentBuilder) -> CreateImageFluentBuilder,
) -> String {
    let req = emu
        .ec2(region)
        .create_image()
        .instance_id(instance_id)
        .name(name);
    let out = options(req).send().await.expect("create_image");
    out.image_id().unwrap().to_string()
}

/// Copy `src` from `src_region` into `region` as `name` and return the copy's image id.
pub async fn copy_image(
    emu: &Emulator,
    region: &str,
    src_region: &str,
    src: &str,
    name: &str,
) -> String {
    copy_image_with(emu, region, src_region, src, name, |req| req).await
}

/// [`copy_image`] with extra request options (CopyImageTags, ...) set by `options`.
pub async fn copy_image_with(
    emu: &Emulator,
    region: &str,
    src_region: &str,
    src: &str,
    name: &str,
    options: impl FnOnce(CopyImageFluentBuilder) -> CopyImageFluentBuilder,
) -> String {
    let req = emu
        .ec2(region)
        .copy_image()
        .source_image_id(src)
        .source_region(src_region)
        .name(name);
    let out = options(req).send().await.expect("copy_image");
    out.image_id().unwrap().to_string()
}

/// One tag, in the SDK's type, so tests can compare an answer's tags with `&[tag(..)]`.
pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// One tag for one kind of resource, the unit CreateImage's TagSpecifications are built from.
pub fn tag_spec(resource: ResourceType, key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(tag(key, value))
        .build()
}

/// Turn on deregistration protection of `id`; with `cooldown` it lasts 24 h after being turned off
/// (without, WithCooldown is not sent at all). The protection test toggles it on several images.
pub async fn protect_image(emu: &Emulator, region: &str, id: &str, cooldown: bool) {
    emu.ec2(region)
        .enable_image_deregistration_protection()
        .image_id(id)
        .set_with_cooldown(cooldown.then_some(true))
        .send()
        .await
        .expect("enable_image_deregistration_protection");
}

/// Turn off deregistration protection of `id` (a cooldown set by [`protect_image`] still holds).
pub async fn unprotect_image(emu: &Emulator, region: &str, id: &str) {
    emu.ec2(region)
        .disable_image_deregistration_protection()
        .image_id(id)
        .send()
        .await
        .expect("disable_image_deregistration_protection");
}

/// Deregister `id`, asking to delete its snapshots when `delete_snapshots` (otherwise the flag is
/// left out of the request, not sent as false): the snapshot tests read the per-snapshot results.
pub async fn deregister_image(
    emu: &Emulator,
    region: &str,
    id: &str,
    delete_snapshots: bool,
) -> DeregisterImageOutput {
    emu.ec2(region)
        .deregister_image()
        .image_id(id)
        .set_delete_associated_snapshots(delete_snapshots.then_some(true))
        .send()
        .await
        .expect("deregister_image")
}

/// How a Run Command invocation ended, with every status seen on the way.
pub struct Outcome {
    pub status: CommandInvocationStatus,
    pub details: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub command_id: String,
    pub seen: Vec<CommandInvocationStatus>,
}

/// An AWS-RunShellScript SendCommand request running `commands` on `id`, for tests that add
/// options (S3 output) or expect a refusal; [`send`] and [`run`] cover the plain case.
pub fn shell_command_request(
    emu: &Emulator,
    region: &str,
    id: &str,
    commands: &[&str],
) -> SendCommandFluentBuilder {
    emu.ssm(region)
        .send_command()
        .instance_ids(id)
        .document_name("AWS-RunShellScript")
        .parameters("commands", commands.iter().map(|s| s.to_string()).collect())
}

/// Send a SendCommand request and return its command id, which every later call needs.
pub async fn submit(req: SendCommandFluentBuilder) -> String {
    let out = req.send().await.expect("send_command");
    out.command().unwrap().command_id().unwrap().to_string()
}

/// Send `commands` (with extra document parameters such as workingDirectory) without waiting, for
/// tests that watch the invocation while it runs; returns the command id.
pub async fn send(
    emu: &Emulator,
    region: &str,
    id: &str,
    commands: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let mut req = shell_command_request(emu, region, id, commands);
    for (k, v) in extra {
        req = req.parameters(*k, vec![v.to_string()]);
    }
    submit(req).await
}

/// GetCommandInvocation of `command_id` on `id`: [`wait_invocation`] polls it, and tests probe it
/// directly before the invocation exists or while it runs.
pub fn invocation_request(
    ssm: &aws_sdk_ssm::Client,
    id: &str,
    command_id: &str,
) -> GetCommandInvocationFluentBuilder {
    ssm.get_command_invocation()
        .command_id(command_id)
        .instance_id(id)
}

/// Wait for an invocation to finish, treating InvocationDoesNotExist as pending.
pub async fn wait_invocation(
    emu: &Emulator,
    region: &str,
    id: &str,
    command_id: &str,
    secs: f64,
) -> Outcome {
    let ssm = emu.ssm(region);
    let mut seen: Vec<CommandInvocationStatus> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        match invocation_request(&ssm, id, command_id).send().await {
            Ok(inv) => {
                let st = inv.status().unwrap().clone();
                if seen.last() != Some(&st) {
                    seen.push(st.clone());
                }
                if !matches!(
                    st,
                    CommandInvocationStatus::Pending
                        | CommandInvocationStatus::InProgress
                        | CommandInvocationStatus::Delayed
                ) {
                    return Outcome {
                        status: st,
                        details: inv.status_details().unwrap_or_default().to_string(),
                        code: inv.response_code(),
                        stdout: inv
                            .standard_output_content()
                            .unwrap_or_default()
                            .to_string(),
                        stderr: inv.standard_error_content().unwrap_or_default().to_string(),
                        command_id: command_id.to_string(),
                        seen,
                    };
                }
            }
            Err(e) => {
                let svc = e.into_service_error();
                assert!(
                    svc.is_invocation_does_not_exist(),
                    "unexpected error: {svc:?}"
                );
            }
        }
        if Instant::now() > deadline {
            panic!("command {command_id} did not finish; seen {seen:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Send `commands` and wait (up to 60 s) for the invocation to finish: the usual way tests run a
/// script on an instance.
pub async fn run(
    emu: &Emulator,
    region: &str,
    id: &str,
    commands: &[&str],
    extra: &[(&str, &str)],
) -> Outcome {
    let cid = send(emu, region, id, commands, extra).await;
    wait_invocation(emu, region, id, &cid, 60.0).await
}
