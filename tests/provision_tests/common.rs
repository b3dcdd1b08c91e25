//! Launch an SSM-managed instance on the emulator and build provisioners.

use std::path::PathBuf;
use std::time::Duration;

use amibake::aws::Aws;
use amibake::provision::{wait_online, ProvisionSession};
use amibake::recipe::{
    FilePayload, FileProvisioner, Provisioner, ProvisionerCommon, ShellProvisioner,
};
use amibake::ui::{Captured, Ui};
use aws_sdk_ec2::types::{IamInstanceProfileSpecification, InstanceType};

pub use crate::support::{Emulator, EmulatorOptions};

pub const REGION: &str = "us-east-1";

/// An emulator with one running, SSM-online instance.
pub struct Lab {
    pub emu: Emulator,
    pub aws: Aws,
    pub instance_id: String,
}

impl Lab {
    pub async fn start() -> Lab {
        Self::start_with(EmulatorOptions::new()).await
    }

    pub async fn start_with(opts: EmulatorOptions) -> Lab {
        let emu = Emulator::start_with(opts);
        let aws = Aws::from_config(emu.sdk_config_with_retries(REGION, 3));
        let profile = ssm_profile(&emu).await;
        let ami = amazon_linux(&emu).await;
        let instance_id = launch(&emu, REGION, &ami, &profile).await;
        Lab {
            emu,
            aws,
            instance_id,
        }
    }

    /// A session printing into a capture.
    pub fn session(&self, staging_bucket: Option<String>) -> (ProvisionSession, Ui, Captured) {
        let (ui, cap) = Ui::capture(true);
        let s = ProvisionSession::new(
            &self.aws,
            REGION,
            &self.instance_id,
            "b-test-0001",
            "test-recipe",
            staging_bucket,
            Duration::from_secs(60),
            ui.clone(),
        );
        (s, ui, cap)
    }

    /// A file on the instance, by its path inside the instance.
    pub fn path(&self, inside: &str) -> PathBuf {
        self.emu
            .instance_root(&self.instance_id)
            .join(inside.trim_start_matches('/'))
    }

    pub fn read(&self, inside: &str) -> Vec<u8> {
        std::fs::read(self.path(inside)).unwrap_or_else(|e| panic!("{inside} on the instance: {e}"))
    }
}

pub async fn ssm_profile(emu: &Emulator) -> String {
    let iam = emu.iam();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("ssm-test")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("ssm-test")
        .policy_arn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("ssm-test")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("ssm-test")
        .role_name("ssm-test")
        .send()
        .await
        .unwrap();
    "ssm-test".into()
}

pub async fn amazon_linux(emu: &Emulator) -> String {
    emu.ssm(REGION)
        .get_parameter()
        .name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap()
        .value
        .unwrap()
}

/// Run an instance from `ami` and wait until its agent is Online.
pub async fn launch(emu: &Emulator, region: &str, ami: &str, profile: &str) -> String {
    let out = emu
        .ec2(region)
        .run_instances()
        .image_id(ami)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name(profile)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = out.instances()[0].instance_id().unwrap().to_owned();
    wait_online(
        &emu.ssm(region),
        &id,
        Duration::from_secs(30),
        Duration::from_millis(200),
    )
    .await
    .unwrap();
    // Materialise the instance's filesystem now: the emulator creates it on
    // first use without a lock, and two commands arriving together (a
    // script and its output peek) race on a loaded machine.
    emu.instance_root(&id);
    id
}

pub fn common(name: Option<&str>) -> ProvisionerCommon {
    ProvisionerCommon {
        name: name.map(str::to_owned),
        ..Default::default()
    }
}

pub fn shell(name: Option<&str>, inline: &[&str]) -> ShellProvisioner {
    ShellProvisioner {
        common: common(name),
        inline: inline.iter().map(|s| s.to_string()).collect(),
        scripts: vec![],
        environment_vars: vec![],
        inline_shebang: "/bin/sh -e".into(),
        expect_disconnect: false,
        timeout: Duration::from_secs(1800),
        valid_exit_codes: vec![0],
    }
}

pub fn inline(name: Option<&str>, lines: &[&str]) -> Provisioner {
    Provisioner::Shell(shell(name, lines))
}

pub fn file(payload: FilePayload, destination: &str) -> Provisioner {
    Provisioner::File(FileProvisioner {
        common: common(None),
        payload,
        destination: destination.into(),
    })
}

/// Output lines of provisioner `prefix`, without the prefix.
pub fn output_of(cap: &Captured, prefix: &str) -> Vec<String> {
    let p = format!("    {prefix}: ");
    cap.lines()
        .iter()
        .filter_map(|l| l.strip_prefix(&p).map(str::to_owned))
        .collect()
}

/// Deterministic pseudo-random bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
