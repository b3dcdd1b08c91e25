//! Image options applied after CreateImage and on every copy: deprecation,
//! launch permissions beyond `ami_users`, and Packer's `encrypt_boot`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use aws_sdk_ec2::types::{Filter, Image, ImageAttributeName};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use amibake::aws::Aws;
use amibake::build::{self, BuildResult, Interrupts, Selection};
use amibake::recipe::{
    DeregistrationProtection, LocalShell, PostProcessor, ShellLocalPostProcessor, Source,
};

use super::common::*;
use crate::support::Emulator;

const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const ORG: &str = "arn:aws:organizations::123456789012:organization/o-abc123def4";
const OU: &str = "arn:aws:organizations::123456789012:ou/o-abc123def4/ou-ab12-cdef3456";

/// A deprecation time 30 days ahead, 10 seconds past a minute, and the
/// time AWS stores for it (rounded to the nearest minute).
fn deprecation_time() -> (String, DateTime) {
    let now = DateTime::from(std::time::SystemTime::now()).secs();
    let minute = (now + 30 * 86_400) / 60 * 60;
    let asked = DateTime::from_secs(minute + 10);
    (
        asked.fmt(Format::DateTime).unwrap(),
        DateTime::from_secs(minute),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deprecation_and_launch_permissions_apply_to_the_image_and_every_copy() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let (deprecate_at, expected) = deprecation_time();
    let mut src = source("opts", "us-east-1", &REGIONS[1..]);
    src.deprecate_at = Some(deprecate_at.clone());
    src.ami_groups = vec!["all".into()];
    src.ami_org_arns = vec![ORG.into()];
    src.ami_ou_arns = vec![OU.into()];
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(&emu, &recipe).await;
    let r = &o.result;
    let regions: Vec<&str> = r.regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(regions, REGIONS);

    for (region, img) in &r.regions {
        let ec2 = emu.ec2(region);
        let out = ec2
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        let image = &out.images()[0];
        let got = image
            .deprecation_time()
            .unwrap_or_else(|| panic!("{region}: {} has no DeprecationTime", img.ami_id));
        let got = DateTime::from_str(got, Format::DateTime).unwrap();
        assert_eq!(
            got, expected,
            "{region}: asked {deprecate_at}, stored {got}"
        );
        assert_eq!(image.public(), Some(true), "{region}: group all => public");

        let perms = ec2
            .describe_image_attribute()
            .image_id(&img.ami_id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let perms = perms.launch_permissions();
        let groups: Vec<&str> = perms
            .iter()
            .filter_map(|p| p.group().map(|g| g.as_str()))
            .collect();
        let orgs: Vec<&str> = perms.iter().filter_map(|p| p.organization_arn()).collect();
        let ous: Vec<&str> = perms
            .iter()
            .filter_map(|p| p.organizational_unit_arn())
            .collect();
        assert_eq!(groups, ["all"], "{region}: {perms:?}");
        assert_eq!(orgs, [ORG], "{region}: {perms:?}");
        assert_eq!(ous, [OU], "{region}: {perms:?}");
        assert_eq!(perms.len(), 3, "{region}: nothing else granted: {perms:?}");
    }
    let keep = ami_ids(r);
    assert_nothing_left(&emu, &REGIONS, &keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn encrypt_boot_replaces_the_image_with_a_copy_and_leaves_no_unencrypted_image() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("enc", "us-east-1", &REGIONS[1..]);
    src.encrypt_boot = Some(true);
    src.kms_key_id = Some("arn:aws:kms:us-east-1:123456789012:key/build-key".into());
    src.region_kms_key_ids = BTreeMap::from([(
        "us-west-2".to_string(),
        "arn:aws:kms:us-west-2:123456789012:key/west-key".to_string(),
    )]);
    src.ami_users = vec!["111122223333".into()];
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(&emu, &recipe).await;
    let r = &o.result;

    // The build region's image is the in-region copy (CopyImage signed for
    // us-east-1), and it carries the recipe's name, tags and permissions.
    let copies_in_build_region = emu
        .calls_for("ec2", "CopyImage")
        .iter()
        .filter(|c| c.region == "us-east-1")
        .count();
    assert_eq!(
        copies_in_build_region, 1,
        "encrypt_boot copies in-region once"
    );
    for (region, img) in &r.regions {
        let ec2 = emu.ec2(region);
        let out = ec2
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        let image = &out.images()[0];
        assert_eq!(image.name(), Some("amibake-test-enc"), "{region}");
        assert_eq!(image.state().unwrap().as_str(), "available", "{region}");
        let tags = tags_of(image.tags());
        assert_eq!(
            tags.get("App").map(String::as_str),
            Some("test"),
            "{region}"
        );
        assert_eq!(tags.get("amibake:build-id"), Some(&r.build_id), "{region}");
        assert!(
            !img.snapshot_ids.is_empty(),
            "{region}: no snapshot recorded"
        );
        let snaps = ec2
            .describe_snapshots()
            .snapshot_ids(&img.snapshot_ids[0])
            .send()
            .await
            .unwrap();
        let stags = tags_of(snaps.snapshots()[0].tags());
        assert_eq!(
            stags.get("SnapTag").map(String::as_str),
            Some("yes"),
            "{region}"
        );
        let perms = ec2
            .describe_image_attribute()
            .image_id(&img.ami_id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .unwrap();
        let users: Vec<_> = perms
            .launch_permissions()
            .iter()
            .filter_map(|p| p.user_id())
            .collect();
        assert_eq!(users, ["111122223333"], "{region}");
    }
    // The unencrypted intermediate image is gone, with its snapshot.
    let plain = emu
        .ec2("us-east-1")
        .describe_images()
        .owners("self")
        .filters(
            Filter::builder()
                .name("name")
                .values(format!("amibake-unencrypted-{}", r.build_id))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(plain.images().is_empty(), "{:?}", plain.images());
    let keep = ami_ids(r);
    assert_nothing_left(&emu, &REGIONS, &keep).await;
}

/// Requests as sent on the wire: a forwarding proxy in front of the
/// emulator that records each EC2 query request (the emulator models
/// neither encryption on CopyImage nor request parameters in its call log).
struct WireLog {
    endpoint: String,
    conns: Connections,
}

/// Raw bytes of each recorded client connection, shared with the proxy threads.
type Connections = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

/// One recorded request: the region it was signed for and its form fields.
struct WireRequest {
    region: String,
    params: BTreeMap<String, String>,
}

impl WireLog {
    fn start(upstream: &str) -> WireLog {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let conns: Connections = Arc::default();
        let all = conns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let mut server = TcpStream::connect(&upstream).unwrap();
                let buf: Arc<Mutex<Vec<u8>>> = Arc::default();
                all.lock().unwrap().push(buf.clone());
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let mut chunk = [0u8; 16384];
                    loop {
                        match client.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                buf.lock().unwrap().extend_from_slice(&chunk[..n]);
                                if server.write_all(&chunk[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = server.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        WireLog { endpoint, conns }
    }

    /// Every complete request with `Action=action`.
    fn requests(&self, action: &str) -> Vec<WireRequest> {
        let mut out = Vec::new();
        for conn in self.conns.lock().unwrap().iter() {
            let bytes = conn.lock().unwrap().clone();
            let mut rest = &bytes[..];
            while let Some(end) = find(rest, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&rest[..end]).to_string();
                let len: usize = header(&head, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let body_start = end + 4;
                if rest.len() < body_start + len {
                    break;
                }
                let body = String::from_utf8_lossy(&rest[body_start..body_start + len]);
                rest = &rest[body_start + len..];
                let params: BTreeMap<String, String> = body
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (decode(k), decode(v)))
                    .collect();
                if params.get("Action").map(String::as_str) != Some(action) {
                    continue;
                }
                // Credential=KEY/DATE/REGION/ec2/aws4_request
                let region = header(&head, "authorization")
                    .and_then(|a| a.split("Credential=").nth(1).map(str::to_owned))
                    .and_then(|c| c.split('/').nth(2).map(str::to_owned))
                    .unwrap_or_default();
                out.push(WireRequest { region, params });
            }
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// Form-urlencoded value to text.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                // Bodies of other protocols (SSM's JSON) may hold a bare '%'.
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(c) => {
                        out.push(c);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn encrypt_boot_sends_encrypted_copies_with_each_regions_key() {
    let emu = Emulator::start();
    let wire = WireLog::start(emu.endpoint());
    let dir = temp_dir();
    let build_key = "arn:aws:kms:us-east-1:123456789012:key/build-key";
    let west_key = "arn:aws:kms:us-west-2:123456789012:key/west-key";
    let mut src = source("kms", "us-east-1", &REGIONS[1..]);
    src.encrypt_boot = Some(true);
    src.kms_key_id = Some(build_key.into());
    // An empty key means "the region's default key", as in Packer.
    src.region_kms_key_ids = BTreeMap::from([
        ("us-west-2".to_string(), west_key.to_string()),
        ("eu-west-1".to_string(), String::new()),
    ]);
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let config = emu
        .sdk_config_with_retries("us-east-1", 4)
        .into_builder()
        .endpoint_url(&wire.endpoint)
        .build();
    let mut out = build::run(
        &Aws::from_config(config),
        &test_ui(),
        &recipe,
        &options(),
        &Selection::default(),
        &Interrupts::none(),
    )
    .await
    .expect("build started");
    let o = out.remove(0);
    if let Some(e) = &o.error {
        panic!("build failed: {e}\nemulator log:\n{}", emu.logs());
    }

    let copies = wire.requests("CopyImage");
    let by_region: BTreeMap<&str, &BTreeMap<String, String>> = copies
        .iter()
        .map(|c| (c.region.as_str(), &c.params))
        .collect();
    assert_eq!(copies.len(), 3, "one CopyImage per region");
    assert_eq!(by_region.len(), 3, "one CopyImage per region");
    // Packer semantics: kms_key_id encrypts in the build region; each copy
    // uses its region_kms_key_ids entry; an empty entry, the region's default key.
    let expect = [
        ("us-east-1", Some(build_key)),
        ("us-west-2", Some(west_key)),
        ("eu-west-1", None),
    ];
    for (region, key) in expect {
        let p = by_region
            .get(region)
            .unwrap_or_else(|| panic!("no CopyImage signed for {region}"));
        assert_eq!(
            p.get("Encrypted").map(String::as_str),
            Some("true"),
            "{region}: {p:?}"
        );
        assert_eq!(
            p.get("KmsKeyId").map(String::as_str),
            key,
            "{region}: {p:?}"
        );
        assert_eq!(
            p.get("Name").map(String::as_str),
            Some("amibake-test-kms"),
            "{region}"
        );
    }
    let keep = ami_ids(&o.result);
    assert_nothing_left(&emu, &REGIONS, &keep).await;
}

/// `skip_create_ami`: provision, then neither stop the instance nor check
/// the name (Packer skips both), and leave nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skip_create_ami_neither_stops_nor_checks_the_name() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("probe", "us-east-1", &[]);
    src.skip_create_ami = true;
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    emu.clear_calls();
    let o = build_ok(&emu, &recipe).await;
    assert!(o.result.regions.is_empty(), "{:?}", o.result.regions);
    assert!(emu.calls_for("ec2", "StopInstances").is_empty());
    assert!(emu.calls_for("ec2", "CreateImage").is_empty());
    // One DescribeImages: the source image's; the name check makes another.
    assert_eq!(emu.calls_for("ec2", "DescribeImages").len(), 1);
    assert_nothing_left(&emu, &["us-east-1"], &[]).await;
}

/// `snapshot_users`/`snapshot_groups`: every snapshot of the image, in every
/// region, may be used to create volumes by those accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snapshot_users_and_groups_reach_every_regions_snapshots() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("shared", "us-east-1", &["us-west-2"]);
    src.snapshot_users = vec!["111122223333".into()];
    src.snapshot_groups = vec!["all".into()];
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    let o = build_ok(&emu, &recipe).await;
    assert_eq!(o.result.regions.len(), 2);
    for (region, img) in &o.result.regions {
        assert!(!img.snapshot_ids.is_empty(), "{region}");
        for snap in &img.snapshot_ids {
            let out = emu
                .ec2(region)
                .describe_snapshot_attribute()
                .snapshot_id(snap)
                .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await
                .unwrap();
            let perms = out.create_volume_permissions();
            assert!(
                perms.iter().any(|p| p.user_id() == Some("111122223333")),
                "{region} {snap}: {perms:?}"
            );
            assert!(
                perms
                    .iter()
                    .any(|p| p.group().map(|g| g.as_str()) == Some("all")),
                "{region} {snap}: {perms:?}"
            );
        }
    }
}

/// Build `src` (one shell step) with a clean call log; its result and
/// every region's image as DescribeImages has it.
async fn build_and_describe(emu: &Emulator, src: Source) -> (BuildResult, Vec<(String, Image)>) {
    let dir = temp_dir();
    let recipe = recipe(dir.path(), vec![src], vec![shell(&["true"])], vec![]);
    emu.clear_calls();
    let r = build_ok(emu, &recipe).await.result;
    let mut images = Vec::new();
    for (region, img) in &r.regions {
        let out = emu
            .ec2(region)
            .describe_images()
            .image_ids(&img.ami_id)
            .send()
            .await
            .unwrap();
        images.push((region.clone(), out.images()[0].clone()));
    }
    (r, images)
}

/// `skip_save_build_region`: the build region's image is an intermediary
/// under another name, copied to every `ami_regions` region under the real
/// name, then deleted with its snapshots; the build region's name is not
/// checked (an image there may already hold it) and no output names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skip_save_build_region_keeps_only_the_copies() {
    let emu = Emulator::start();
    // An image of the same name in the build region does not stop the build.
    let taken = emu.seed_images(serde_json::json!({
        "region": "us-east-1", "count": 1, "name_prefix": "skipped"
    }));
    let mut src = source("skip", "us-east-1", &REGIONS[1..]);
    src.ami_name = "skipped-00000".into();
    src.skip_save_build_region = true;
    let (r, images) = build_and_describe(&emu, src).await;
    let regions: Vec<&str> = r.regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(regions, REGIONS[1..], "no image kept in the build region");

    // CreateImage named the intermediary, not the real name.
    let created = emu.calls_for("ec2", "CreateImage");
    assert_eq!(created.len(), 1);
    let intermediary = format!("amibake-intermediary-{}", r.build_id);
    assert_eq!(
        created[0].params.get("Name"),
        Some(&intermediary),
        "{:?}",
        created[0].params
    );
    for (region, image) in &images {
        assert_eq!(image.name(), Some("skipped-00000"), "{region}");
        assert_eq!(image.state().unwrap().as_str(), "available", "{region}");
    }
    // Only the seeded image is left in the build region: the intermediary
    // and its snapshots are gone.
    let mut keep = ami_ids(&r);
    keep.extend(taken);
    assert_nothing_left(&emu, &REGIONS, &keep).await;
    let east = emu
        .ec2("us-east-1")
        .describe_images()
        .owners("self")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = east.images().iter().filter_map(|i| i.name()).collect();
    assert_eq!(
        names,
        ["skipped-00000"],
        "build region holds only the seeded image"
    );
}

/// `deregistration_protection`: every region's image is protected (with
/// the cooldown asked for), after everything else of the build.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deregistration_protection_reaches_every_regions_image() {
    let emu = Emulator::start();
    let mut src = source("guarded", "us-east-1", &["us-west-2"]);
    src.deregistration_protection = DeregistrationProtection {
        enabled: true,
        with_cooldown: true,
    };
    let (_, images) = build_and_describe(&emu, src).await;
    assert_eq!(images.len(), 2);
    for (region, image) in &images {
        assert_eq!(
            image.deregistration_protection(),
            Some("enabled-with-cooldown"),
            "{region}"
        );
    }
    // Applied last: after every copy and the completion tags.
    let calls = emu.calls();
    let last_other = calls
        .iter()
        .filter(|c| matches!(c.action.as_str(), "CopyImage" | "CreateTags"))
        .map(|c| c.time)
        .fold(0.0, f64::max);
    let protects = emu.calls_for("ec2", "EnableImageDeregistrationProtection");
    assert_eq!(protects.len(), 2);
    assert!(
        protects.iter().all(|c| c.time >= last_other),
        "{protects:?}"
    );
}

/// A build that fails after its images exist (here in a post-processor)
/// never protects them, so it removes them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deregistration_protection_is_not_applied_when_the_build_fails() {
    let emu = Emulator::start();
    let dir = temp_dir();
    let mut src = source("guarded", "us-east-1", &["us-west-2"]);
    src.deregistration_protection.enabled = true;
    let recipe = recipe(
        dir.path(),
        vec![src],
        vec![shell(&["true"])],
        vec![PostProcessor::ShellLocal(Box::new(
            ShellLocalPostProcessor {
                name: None,
                only: vec![],
                except: vec![],
                shell: LocalShell::inline(&["exit 1"]),
            },
        ))],
    );
    emu.clear_calls();
    build_err(&emu, &recipe).await;
    assert!(emu
        .calls_for("ec2", "EnableImageDeregistrationProtection")
        .is_empty());
    assert_nothing_left(&emu, &["us-east-1", "us-west-2"], &[]).await;
}

/// `snapshot_copy_duration_minutes`: every CopyImage asks for a time-based
/// copy of that duration.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snapshot_copy_duration_reaches_every_copy() {
    let emu = Emulator::start();
    let mut src = source("timed", "us-east-1", &REGIONS[1..]);
    src.snapshot_copy_duration_minutes = Some(30);
    let (_, images) = build_and_describe(&emu, src).await;
    assert_eq!(images.len(), 3);
    let copies = emu.calls_for("ec2", "CopyImage");
    let regions: std::collections::BTreeSet<&str> =
        copies.iter().map(|c| c.region.as_str()).collect();
    assert_eq!(regions, REGIONS[1..].iter().copied().collect());
    for c in &copies {
        assert_eq!(
            c.params
                .get("SnapshotCopyCompletionDurationMinutes")
                .map(String::as_str),
            Some("30"),
            "{}: {:?}",
            c.region,
            c.params
        );
    }
}

/// `ena_support`/`sriov_support`: set on the stopped instance before
/// CreateImage, so the image and its copies carry them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ena_and_sriov_support_reach_the_image_and_its_copies() {
    let emu = Emulator::start();
    let mut src = source("enhanced", "us-east-1", &["us-west-2"]);
    src.ena_support = Some(true);
    src.sriov_support = true;
    let (_, images) = build_and_describe(&emu, src).await;
    assert_eq!(images.len(), 2);
    for (region, image) in &images {
        assert_eq!(image.ena_support(), Some(true), "{region}");
        assert_eq!(image.sriov_net_support(), Some("simple"), "{region}");
    }
    // On the stopped instance, before CreateImage.
    let calls = emu.calls();
    let pos = |action: &str| calls.iter().position(|c| c.action == action);
    let modify = calls
        .iter()
        .rposition(|c| c.action == "ModifyInstanceAttribute")
        .expect("ModifyInstanceAttribute called");
    assert!(pos("StopInstances").unwrap() < modify);
    assert!(modify < pos("CreateImage").unwrap());
}
