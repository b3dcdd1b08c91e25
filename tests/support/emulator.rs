//! Start amibake's AWS emulator (moto 5.2.5 + the AWS behaviour amibake depends on,
//! see `docs/emulator.md`) for one test, and talk to its control API.
//!
//! ```ignore
//! mod support;
//! use support::Emulator;
//!
//! #[tokio::test]
//! async fn something() {
//!     let emu = Emulator::start();            // free port, waits until ready
//!     let ec2 = emu.ec2("us-east-1");         // SDK client pointed at the emulator
//!     emu.set_delays(&[("image_pending", 0.5)]);
//!     // ... run amibake with `.envs(emu.env_vars("us-east-1"))` ...
//!     assert_eq!(emu.calls_for("ec2", "CreateImage").len(), 1);
//! }                                           // emulator stopped on drop
//! ```
//!
//! Every test gets its own emulator process, so tests run in parallel.
//! The virtualenv is a hard requirement: if `.venv` is missing this panics and
//! tells you to run `scripts/setup` (tests never skip).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, SharedCredentialsProvider};
use aws_types::SdkConfig;
use serde_json::{json, Value};

/// The account moto answers for.
pub const ACCOUNT_ID: &str = "123456789012";

/// Options for [`Emulator::start_with`].
#[derive(Debug, Clone, Default)]
pub struct EmulatorOptions {
    /// Delay profile: `"test"` (default, small delays) or `"realistic"` (AWS-like, scaled ~1/20).
    pub profile: Option<String>,
    /// `"execute"` (default: run `AWS-RunShellScript` in a sandbox) or `"record"` (only record).
    pub ssm_mode: Option<String>,
    /// Delay overrides in seconds, e.g. `("image_pending", 0.5)`. Keys: see `docs/emulator.md`.
    pub delays: Vec<(String, f64)>,
}

impl EmulatorOptions {
    /// Default options (test profile, execute mode).
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the delay profile (`"test"` or `"realistic"`).
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_string());
        self
    }
    /// Set the SSM mode (`"execute"` or `"record"`).
    pub fn ssm_mode(mut self, mode: &str) -> Self {
        self.ssm_mode = Some(mode.to_string());
        self
    }
    /// Override one delay (seconds).
    pub fn delay(mut self, key: &str, seconds: f64) -> Self {
        self.delays.push((key.to_string(), seconds));
        self
    }
}

/// One AWS call seen by the emulator (`GET /_amibake/calls`).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `ec2`, `ssm`, `iam`, `sts`, `s3`, `cloudformation`, `autoscaling`.
    pub service: String,
    /// Region from the request signature.
    pub region: String,
    /// API action, e.g. `DescribeImages`.
    pub action: String,
    /// The access key ID that signed the call (empty when unsigned).
    pub access_key: String,
    /// Unix time (seconds) the call arrived.
    pub time: f64,
    /// HTTP status answered.
    pub status: u16,
    /// The request's parameters for query-protocol calls (EC2, IAM, STS,
    /// CloudFormation, Auto Scaling), flattened as on the wire:
    /// `Placement.Tenancy`, `SecurityGroupId.1`.
    pub params: BTreeMap<String, String>,
}

/// A running emulator process; stopped (with its sandboxed children) on drop.
pub struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoint: String,
    port: u16,
    logs: Arc<Mutex<String>>,
}

/// Root of the amibake checkout.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_python() -> PathBuf {
    let py = repo_root().join(".venv/bin/python");
    if !py.exists() {
        panic!(
            "the emulator's virtualenv is missing ({}): run `scripts/setup` in {} first",
            py.display(),
            repo_root().display()
        );
    }
    py
}

impl Emulator {
    /// Start an emulator with the `test` profile on a free port and wait until it answers.
    pub fn start() -> Emulator {
        Self::start_with(EmulatorOptions::default())
    }

    /// Start an emulator with the given profile / SSM mode / delay overrides.
    pub fn start_with(opts: EmulatorOptions) -> Emulator {
        let py = venv_python();
        let mut cmd = Command::new(py);
        cmd.arg("-m")
            .arg("amibake_emulator")
            .arg("--port")
            .arg("0")
            .arg("--exit-on-stdin-eof")
            .env("PYTHONPATH", repo_root().join("tests/emulator"))
            .env("PYTHONUNBUFFERED", "1")
            .current_dir(repo_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = &opts.profile {
            cmd.arg("--profile").arg(p);
        }
        if let Some(m) = &opts.ssm_mode {
            cmd.arg("--ssm-mode").arg(m);
        }
        for (k, v) in &opts.delays {
            cmd.arg("--delay").arg(format!("{k}={v}"));
        }
        let mut child = cmd
            .spawn()
            .expect("failed to spawn the emulator (.venv/bin/python)");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        {
            let logs = logs.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stderr);
                let mut line = String::new();
                while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    logs.lock().unwrap().push_str(&line);
                    line.clear();
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            let _ = tx.send(first.trim().to_string());
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink);
        });
        let endpoint = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) if line.starts_with("http://127.0.0.1:") => line,
            other => {
                let _ = child.kill();
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "emulator did not start ({other:?}); its stderr:\n{}",
                    logs.lock().unwrap()
                );
            }
        };
        let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
        let emu = Emulator {
            child,
            stdin,
            endpoint,
            port,
            logs,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if emu.control("GET", "health", None).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                panic!("emulator not ready; stderr:\n{}", emu.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        emu
    }

    /// `http://127.0.0.1:PORT`: use as `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything the emulator wrote to stderr so far (tracebacks, warnings).
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Environment for running the `amibake` binary (or any AWS SDK) against this emulator.
    pub fn env_vars(&self, region: &str) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), region.into()),
            ("AWS_DEFAULT_REGION".into(), region.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    /// SDK config for `region`: emulator endpoint, static test credentials, one attempt (no retries)
    /// so errors surface immediately. Use [`Emulator::sdk_config_with_retries`] to exercise retries.
    pub fn sdk_config(&self, region: &str) -> SdkConfig {
        self.sdk_config_with_retries(region, 1)
    }

    /// Like [`Emulator::sdk_config`] with `max_attempts` SDK attempts (standard retry mode).
    pub fn sdk_config_with_retries(&self, region: &str, max_attempts: u32) -> SdkConfig {
        let creds =
            aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "emulator");
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(self.endpoint.clone())
            .credentials_provider(SharedCredentialsProvider::new(creds))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(Duration::from_millis(10)),
            )
            .build()
    }

    /// EC2 client for `region`.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config(region))
    }
    /// SSM client for `region`.
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config(region))
    }
    /// IAM client (global; signed for us-east-1).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config("us-east-1"))
    }
    /// STS client for `region`.
    pub fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk_config(region))
    }
    /// CloudFormation client for `region`.
    pub fn cloudformation(&self, region: &str) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk_config(region))
    }
    /// Auto Scaling client for `region`.
    pub fn autoscaling(&self, region: &str) -> aws_sdk_autoscaling::Client {
        aws_sdk_autoscaling::Client::new(&self.sdk_config(region))
    }
    /// S3 client for `region` (path-style addressing, which 127.0.0.1 needs).
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    // ------------------------------------------------------------------ control API

    /// Raw control call: `method` `/_amibake/<path>` with an optional JSON body.
    /// Returns the JSON answer, or `Err("<status>: <body>")` for non-200 answers.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(120))).ok();
        let req = format!(
            "{method} /_amibake/{path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            self.port,
            payload.len()
        );
        stream
            .write_all(req.as_bytes())
            .map_err(|e| format!("write: {e}"))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("bad HTTP answer: {text}"))?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line: {head}"))?;
        if status != 200 {
            return Err(format!("{status}: {body}"));
        }
        serde_json::from_str(body).map_err(|e| format!("bad JSON ({e}): {body}"))
    }

    fn ctl(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.control(method, path, body.as_ref())
            .unwrap_or_else(|e| {
                panic!(
                    "control {method} /_amibake/{path} failed: {e}\nemulator stderr:\n{}",
                    self.logs()
                )
            })
    }

    /// Wipe all AWS state, instance/image files, faults and the call log (delays are kept).
    pub fn reset(&self) {
        self.ctl("POST", "reset", None);
    }

    /// Partial config update, e.g. `json!({"delays": {"image_pending": 1.0}, "ssm_mode": "record"})`
    /// or `json!({"profile": "realistic"})`. Returns the whole current config.
    pub fn configure(&self, config: Value) -> Value {
        self.ctl("POST", "config", Some(config))
    }

    /// Current config: `{"profile", "delays": {...}, "ssm_mode", "data_dir", "sandbox"}`.
    pub fn config(&self) -> Value {
        self.ctl("GET", "config", None)
    }

    /// Set some delays (seconds).
    pub fn set_delays(&self, delays: &[(&str, f64)]) {
        let map: serde_json::Map<String, Value> = delays
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        self.configure(json!({ "delays": map }));
    }

    /// Switch SSM mode: `"execute"` or `"record"`.
    pub fn set_ssm_mode(&self, mode: &str) {
        self.configure(json!({ "ssm_mode": mode }));
    }

    /// Inject a fault; returns its id. Example:
    /// `json!({"service": "ec2", "action": "DescribeImages", "kind": "throttle", "count": 2})`.
    /// Fields: service, action (`"*"` = all), region?, kind (`throttle|error|slow`), count?, rate?, seed?,
    /// nth?, code?, message?, status?, delay_seconds?.
    pub fn inject_fault(&self, fault: Value) -> String {
        self.ctl("POST", "faults", Some(fault))["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Remove every fault (including never-online and copy-image-fails).
    pub fn clear_faults(&self) {
        self.ctl("DELETE", "faults", None);
    }

    /// Make `instance_id` (or, with `None`, every instance launched from now on) never register with SSM.
    pub fn ssm_never_online(&self, instance_id: Option<&str>) {
        let body = match instance_id {
            Some(id) => json!({ "instance_id": id }),
            None => json!({}),
        };
        self.ctl("POST", "faults/ssm-never-online", Some(body));
    }

    /// Make every CopyImage into `region` end in state `failed` (after `copy_pending`).
    pub fn copy_image_fails(&self, region: &str) {
        self.ctl(
            "POST",
            "faults/copy-image-fails",
            Some(json!({ "region": region })),
        );
    }

    /// The call log (control-API calls are not included).
    pub fn calls(&self) -> Vec<Call> {
        let v = self.ctl("GET", "calls", None);
        v["calls"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| Call {
                service: c["service"].as_str().unwrap_or_default().to_string(),
                region: c["region"].as_str().unwrap_or_default().to_string(),
                action: c["action"].as_str().unwrap_or_default().to_string(),
                access_key: c["access_key"].as_str().unwrap_or_default().to_string(),
                time: c["time"].as_f64().unwrap_or_default(),
                status: c["status"].as_u64().unwrap_or_default() as u16,
                params: c["params"]
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Calls of one service/action.
    pub fn calls_for(&self, service: &str, action: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.service == service && c.action == action)
            .collect()
    }

    /// Clear the call log.
    pub fn clear_calls(&self) {
        self.ctl("DELETE", "calls", None);
    }

    /// Set an image's times. `times` may hold `creation_date`, `last_launched_time`,
    /// `deprecation_time` (ISO 8601, e.g. `"2026-01-01T00:00:00.000Z"`, or null to clear).
    pub fn set_image_times(&self, region: &str, image_id: &str, times: Value) {
        let mut body = times;
        body["region"] = json!(region);
        self.ctl("POST", &format!("images/{image_id}"), Some(body));
    }

    /// Seed many images directly in moto (10,000 in about a second). `spec`:
    /// `{"region", "count", "name_prefix", "tags": {..}, "creation_date_start", "interval_seconds", "snapshot"}`.
    /// Returns the image ids, in creation order.
    pub fn seed_images(&self, spec: Value) -> Vec<String> {
        self.ctl("POST", "seed-images", Some(spec))["image_ids"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Emulator-side view of an instance:
    /// `{"root", "state", "ping_status", "image_id", "commands": [..], "reboots"}`.
    pub fn instance(&self, instance_id: &str) -> Value {
        self.ctl("GET", &format!("instances/{instance_id}"), None)
    }

    /// The host directory holding the instance's filesystem (`<root>/opt/...`).
    pub fn instance_root(&self, instance_id: &str) -> PathBuf {
        PathBuf::from(self.instance(instance_id)["root"].as_str().expect("root"))
    }

    /// Commands the SSM agent received for this instance (both modes).
    pub fn recorded_commands(&self, instance_id: &str) -> Vec<Value> {
        self.instance(instance_id)["commands"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Read a file of an instance by its path inside the instance (e.g. `/opt/app/version`).
    pub fn read_instance_file(&self, instance_id: &str, path: &str) -> Option<String> {
        let root = self.instance_root(instance_id);
        std::fs::read_to_string(root.join(Path::new(path.trim_start_matches('/')))).ok()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Closing stdin asks the emulator to stop (it kills its sandboxed commands and removes its data).
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
