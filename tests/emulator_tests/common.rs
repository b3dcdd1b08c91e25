//! Helpers shared by the emulator tests: IAM setup, launching, waiting.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{IamInstanceProfileSpecification, InstanceStateName};
use aws_sdk_ssm::types::{CommandInvocationStatus, InstanceInformationStringFilter};

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

pub async fn launch(emu: &Emulator, region: &str, image_id: &str, profile: Option<&str>) -> String {
    let mut req = emu
        .ec2(region)
        .run_instances()
        .image_id(image_id)
        .min_count(1)
        .max_count(1);
    if let Some(p) = profile {
        req = req.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
    }
    let out = req.send().await.expect("run_instances");
    out.instances()[0].instance_id().unwrap().to_string()
}

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

pub async fn wait_state(emu: &Emulator, region: &str, id: &str, want: InstanceStateName) {
    eventually(40.0, &format!("{id} {want:?}"), || {
        let want = want.clone();
        async move { (instance_state(emu, region, id).await == want).then_some(()) }
    })
    .await
}

pub async fn ping_status(emu: &Emulator, region: &str, id: &str) -> Option<String> {
    let out = emu
        .ssm(region)
        .describe_instance_information()
        .instance_information_filter_list(
            aws_sdk_ssm::types::InstanceInformationFilter::builder()
                .key(aws_sdk_ssm::types::InstanceInformationFilterKey::InstanceIds)
                .value_set(id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    out.instance_information_list()
        .first()
        .and_then(|i| i.ping_status())
        .map(|p| p.as_str().to_string())
}

pub async fn ping_status_by_filters(emu: &Emulator, region: &str, id: &str) -> Option<String> {
    let out = emu
        .ssm(region)
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("InstanceIds")
                .values(id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    out.instance_information_list()
        .first()
        .and_then(|i| i.ping_status())
        .map(|p| p.as_str().to_string())
}

pub async fn wait_online(emu: &Emulator, region: &str, id: &str) {
    eventually(40.0, &format!("{id} Online"), || async move {
        (ping_status(emu, region, id).await.as_deref() == Some("Online")).then_some(())
    })
    .await
}

/// Launch an SSM-managed instance from the AL2023 image and wait until it is Online.
pub async fn managed_instance(emu: &Emulator, region: &str) -> String {
    let ami = al2023_ami(emu, region).await;
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
    let id = launch(emu, region, &ami, Some(&profile)).await;
    wait_online(emu, region, &id).await;
    id
}

pub struct Outcome {
    pub status: CommandInvocationStatus,
    pub details: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub command_id: String,
    pub seen: Vec<CommandInvocationStatus>,
}

pub async fn send(
    emu: &Emulator,
    region: &str,
    id: &str,
    commands: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let mut req = emu
        .ssm(region)
        .send_command()
        .instance_ids(id)
        .document_name("AWS-RunShellScript")
        .parameters("commands", commands.iter().map(|s| s.to_string()).collect());
    for (k, v) in extra {
        req = req.parameters(*k, vec![v.to_string()]);
    }
    let out = req.send().await.expect("send_command");
    out.command().unwrap().command_id().unwrap().to_string()
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
        match ssm
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(id)
            .send()
            .await
        {
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
