//! File provisioners: inline and staged transfers, checksums, images.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use amibake::recipe::FilePayload;
use aws_sdk_ec2::types::ImageState;

use super::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_directories_arrive_byte_for_byte_and_survive_image_and_copy() {
    let lab = Lab::start().await;
    let local = tempfile::tempdir().unwrap();
    let conf = local.path().join("conf");
    std::fs::create_dir_all(conf.join("sub/deeper")).unwrap();
    std::fs::write(conf.join("small.txt"), "small\n").unwrap();
    std::fs::write(conf.join("sub/big.bin"), noise(300_000, 1)).unwrap();
    std::fs::write(conf.join("sub/deeper/run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(
        conf.join("sub/deeper/run.sh"),
        std::fs::Permissions::from_mode(0o750),
    )
    .unwrap();
    std::fs::write(local.path().join("single.bin"), noise(5_000, 2)).unwrap();

    let (mut s, _ui, _cap) = lab.session(None);
    let provs = [
        file(
            FilePayload::Content("content line\n".into()),
            "/etc/app.conf",
        ),
        file(
            FilePayload::Source(local.path().join("single.bin")),
            "/opt/",
        ),
        file(FilePayload::Source(conf.clone()), "/opt/app"),
        inline(Some("inline"), &["echo built > /opt/app/built"]),
    ];
    s.run("main", &provs).await.unwrap();
    s.cleanup().await.unwrap();

    let check = |root: &std::path::Path| {
        let rd = |p: &str| std::fs::read(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(rd("etc/app.conf"), b"content line\n");
        assert_eq!(rd("opt/single.bin"), noise(5_000, 2));
        assert_eq!(rd("opt/app/conf/small.txt"), b"small\n");
        assert_eq!(rd("opt/app/conf/sub/big.bin"), noise(300_000, 1));
        assert_eq!(
            rd("opt/app/conf/sub/deeper/run.sh"),
            b"#!/bin/sh\necho hi\n"
        );
        assert_eq!(rd("opt/app/built"), b"built\n");
        let mode = std::fs::metadata(root.join("opt/app/conf/sub/deeper/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o750);
    };
    check(&lab.emu.instance_root(&lab.instance_id));
    assert!(lab
        .emu
        .s3(REGION)
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .is_empty());

    // The files are in an image made from the instance and in its copy.
    let ec2 = lab.emu.ec2(REGION);
    let ami = ec2
        .create_image()
        .instance_id(&lab.instance_id)
        .name("prov-test")
        .send()
        .await
        .unwrap()
        .image_id
        .unwrap();
    wait_image(&lab.emu, REGION, &ami).await;
    let copy = lab
        .emu
        .ec2("us-west-2")
        .copy_image()
        .source_image_id(&ami)
        .source_region(REGION)
        .name("prov-test")
        .send()
        .await
        .unwrap()
        .image_id
        .unwrap();
    wait_image(&lab.emu, "us-west-2", &copy).await;
    for (region, image) in [(REGION, &ami), ("us-west-2", &copy)] {
        let id = launch(&lab.emu, region, image, "ssm-test").await;
        check(&lab.emu.instance_root(&id));
    }
}

async fn wait_image(emu: &Emulator, region: &str, ami: &str) {
    for _ in 0..100 {
        let out = emu
            .ec2(region)
            .describe_images()
            .image_ids(ami)
            .send()
            .await
            .unwrap();
        if out.images()[0].state() == Some(&ImageState::Available) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{ami} never became available");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_upload_arrives_intact() {
    let lab = Lab::start().await;
    let local = tempfile::tempdir().unwrap();
    let data = noise(50 * 1024 * 1024, 7);
    std::fs::write(local.path().join("blob"), &data).unwrap();
    let (mut s, _ui, _cap) = lab.session(None);
    s.run(
        "main",
        &[file(
            FilePayload::Source(local.path().join("blob")),
            "/opt/blob",
        )],
    )
    .await
    .unwrap();
    s.cleanup().await.unwrap();
    let got = std::fs::read(lab.path("/opt/blob")).unwrap_or_else(|e| {
        panic!(
            "{e}; output: {:#?}; emulator: {}",
            _cap.lines(),
            lab.emu.logs()
        )
    });
    assert!(got == data, "50 MB upload differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_transfer_is_detected() {
    // The agent starts commands 1.5 s late, so the object can be tampered with
    // between amibake's upload and the instance's download.
    let lab = Lab::start_with(EmulatorOptions::new().delay("command_start", 1.5)).await;
    let s3 = lab.emu.s3(REGION);
    s3.create_bucket()
        .bucket("my-staging")
        .send()
        .await
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("payload"), noise(100_000, 3)).unwrap();

    let tamper = {
        let s3 = s3.clone();
        tokio::spawn(async move {
            for _ in 0..200 {
                let list = s3
                    .list_objects_v2()
                    .bucket("my-staging")
                    .send()
                    .await
                    .unwrap();
                if let Some(key) = list
                    .contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .find(|k| k.ends_with("-file"))
                {
                    let mut bad = noise(100_000, 3);
                    bad[500] ^= 1;
                    s3.put_object()
                        .bucket("my-staging")
                        .key(key)
                        .body(bad.into())
                        .send()
                        .await
                        .unwrap();
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        })
    };
    let (mut s, _ui, _cap) = lab.session(Some("my-staging".into()));
    let err = s
        .run(
            "main",
            &[file(
                FilePayload::Source(local.path().join("payload")),
                "/opt/payload",
            )],
        )
        .await
        .unwrap_err();
    assert!(tamper.await.unwrap(), "the staged object never appeared");
    assert!(
        err.message().contains("SHA-256 mismatch for /opt/payload"),
        "{err}"
    );
    assert!(!lab.path("/opt/payload").exists());
    s.cleanup().await.unwrap();
    // A given bucket stays, emptied of this build's objects.
    let left = s3
        .list_objects_v2()
        .bucket("my-staging")
        .send()
        .await
        .unwrap();
    assert_eq!(left.key_count(), Some(0));
}
