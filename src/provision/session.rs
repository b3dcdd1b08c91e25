//! One build's provisioning of one instance: runs the recipe's provisioners in
//! order, streams their output, and removes what it staged.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::Aws;
use crate::error::{Error, ErrorKind, Result};
use crate::poll::Backoff;
use crate::recipe::render::legacy::LegacyContext;
use crate::recipe::{FileProvisioner, Provisioner, ShellLocalProvisioner, ShellProvisioner};
use crate::ui::Ui;

use super::files::{self, Data, Entry};
use super::online::{online_state, wait_online, OnlineState};
use super::script::{self, PayloadSource, INLINE_OUTPUT_BYTES, INLINE_PAYLOAD_BYTES};
use super::staging::Staging;
use super::transport::{
    CommandHandle, CommandResult, CommandSpec, CommandState, CommandTransport, Outcome, Pacer,
    SsmRunCommand,
};

/// Minimum spacing of this session's AWS calls: at most 4 in any second
/// (with room for network jitter),
/// under the 5/s budget per build whatever the polling loops do.
const CALL_INTERVAL: Duration = Duration::from_millis(260);
/// How often a running command's new output is fetched.
const PEEK_EVERY: Duration = Duration::from_secs(2);
/// Lines of output quoted in a failure message.
pub(super) const TAIL_LINES: usize = 50;
/// Largest output piece one peek uploads through S3.
const MAX_UPLOAD: u64 = 256 * 1024 * 1024;
/// Where step directories live on the instance (removed before the image is
/// taken, so neither scripts nor their output end up in the AMI).
const RUN_ROOT: &str = "/var/lib/amibake";

/// Valid `timeout` range: what the SSM agent accepts for `executionTimeout`
/// (it silently uses 3600 for anything else).
const MIN_TIMEOUT: u64 = 5;
const MAX_TIMEOUT: u64 = 172_800;

/// Provisions one instance over SSM Run Command.
pub struct ProvisionSession {
    aws: Aws,
    region: String,
    instance_id: String,
    build_id: String,
    state_timeout: Duration,
    ui: Ui,
    transport: SsmRunCommand,
    staging: Staging,
    /// The command running now, cancelled by `cleanup` after an interrupt.
    active: Option<CommandHandle>,
    steps: u32,
    /// The step directory exists on the instance and must be removed.
    dirty: bool,
    /// What local provisioners render build values from.
    legacy: Option<LegacyContext>,
}

/// Who is running: for messages and output prefixes.
struct StepInfo {
    /// `provisioner 2 (shell "install")`.
    label: String,
    /// Output line prefix: the provisioner's name or type.
    prefix: String,
}

impl ProvisionSession {
    /// `staging_bucket`: the recipe's bucket for large uploads and long output;
    /// `None` means the session creates (and `cleanup` removes) its own.
    /// `state_timeout` bounds waits for the instance to come back online.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        aws: &Aws,
        region: &str,
        instance_id: &str,
        build_id: &str,
        recipe_name: &str,
        staging_bucket: Option<String>,
        state_timeout: Duration,
        ui: Ui,
    ) -> Self {
        let pacer = Pacer::new(CALL_INTERVAL);
        ProvisionSession {
            aws: aws.clone(),
            region: region.to_owned(),
            instance_id: instance_id.to_owned(),
            build_id: build_id.to_owned(),
            state_timeout,
            ui,
            transport: SsmRunCommand::new(aws.ssm(region), instance_id, pacer.clone()),
            staging: Staging::new(aws, region, build_id, recipe_name, staging_bucket, pacer),
            active: None,
            steps: 0,
            dirty: false,
            legacy: None,
        }
    }

    /// The build's values (`{{ build `ID` }}`, `build.*`) for the
    /// provisioners that render their own commands (`shell-local`, whose
    /// `execute_command` is rendered per script, and `breakpoint`'s note).
    pub fn with_legacy_context(mut self, ctx: LegacyContext) -> Self {
        self.legacy = Some(ctx);
        self
    }

    /// The account the build runs in, when already known: the staging bucket
    /// is named after it, and asking STS once per build is enough.
    pub fn with_account_id(mut self, account_id: Option<String>) -> Self {
        self.staging.set_account_id(account_id);
        self
    }

    /// Run `provisioners` in order on the instance for source `source_name`
    /// (provisioners whose `only`/`except` exclude it are skipped).
    pub async fn run(&mut self, source_name: &str, provisioners: &[Provisioner]) -> Result<()> {
        let selected: Vec<(usize, &Provisioner)> = provisioners
            .iter()
            .enumerate()
            .filter(|(_, p)| applies(p, source_name))
            .collect();
        // Refuse bad settings before anything runs on the instance.
        for (i, p) in &selected {
            validate(p).map_err(|e| e.context(label(*i, p)))?;
        }
        for (i, p) in selected {
            let info = StepInfo {
                label: label(i, p),
                prefix: p
                    .common()
                    .name
                    .clone()
                    .unwrap_or_else(|| p.type_name().to_owned()),
            };
            let common = p.common();
            if !common.pause_before.is_zero() {
                self.ui.info(&format!(
                    "pausing {:.0?} before {}",
                    common.pause_before, info.label
                ));
                tokio::time::sleep(common.pause_before).await;
            }
            let step = self.ui.step(&info.label);
            let attempts = common.max_retries + 1;
            let mut attempt = 1;
            loop {
                let res = match p {
                    Provisioner::Shell(s) => self.shell(&info, source_name, s).await,
                    Provisioner::File(f) => self.file(&info, f).await,
                    Provisioner::ShellLocal(s) => self.shell_local(&info, source_name, s).await,
                    Provisioner::Breakpoint(b) => self.breakpoint(&info, source_name, b).await,
                };
                match res {
                    Ok(()) => {
                        step.done("");
                        break;
                    }
                    Err(e) if e.kind() == ErrorKind::Build && attempt < attempts => {
                        self.ui.warn(&format!(
                            "{} failed (attempt {attempt} of {attempts}), retrying: {}",
                            info.label,
                            e.message().lines().next().unwrap_or("")
                        ));
                        attempt += 1;
                    }
                    Err(e) => {
                        step.failed(e.message().lines().next().unwrap_or(""));
                        return Err(e);
                    }
                }
            }
        }
        self.remove_run_dir().await
    }

    /// Cancel a command still running and remove staged objects (and the
    /// staging bucket when this session created it). Safe to call twice.
    pub async fn cleanup(&mut self) -> Result<()> {
        if let Some(h) = self.active.take() {
            if let Err(e) = self.transport.cancel(&h).await {
                self.ui
                    .debug(&format!("cancelling command {}: {e}", h.command_id));
            }
        }
        self.staging.cleanup().await
    }

    // ------------------------------------------------------------ shell

    async fn shell(&mut self, info: &StepInfo, source: &str, p: &ShellProvisioner) -> Result<()> {
        let mut env = packer_env(source);
        env.extend(p.environment_vars.iter().cloned());
        let mut scripts: Vec<(String, Vec<u8>)> = Vec::new();
        if !p.inline.is_empty() {
            let text = format!("#!{}\n{}\n", p.inline_shebang, p.inline.join("\n"));
            scripts.push(("inline commands".into(), text.into_bytes()));
        }
        for path in &p.scripts {
            let data = tokio::fs::read(path).await.map_err(|e| {
                Error::usage(format!(
                    "{}: reading script {}: {e}",
                    info.label,
                    path.display()
                ))
            })?;
            scripts.push((format!("script {}", path.display()), data));
        }
        for (what, data) in scripts {
            let r = self
                .run_script(info, data, &env, p.timeout, p.expect_disconnect)
                .await?;
            self.check(info, &what, &r, p)?;
        }
        Ok(())
    }

    /// Decide whether a finished script passed; a failure names the
    /// provisioner, its position, the exit code and the output's last lines.
    fn check(
        &self,
        info: &StepInfo,
        what: &str,
        r: &RunOutcome,
        p: &ShellProvisioner,
    ) -> Result<()> {
        let res = &r.result;
        let code_ok = p.valid_exit_codes.contains(&res.exit_code);
        match res.outcome {
            Outcome::Success | Outcome::Failed if code_ok => Ok(()),
            _ if r.disconnected => Ok(()),
            Outcome::TimedOut { delivery: false } => Err(self.failure(
                format!(
                    "{} ({what}) timed out: it ran longer than its `timeout` of {} s, so the SSM agent stopped it (executionTimeout)",
                    info.label,
                    p.timeout.as_secs()
                ),
                r,
            )
            .with_hint("raise `timeout` on the provisioner, or find out from the output above why the script hangs")),
            _ => Err(self.result_error(info, what, r)),
        }
    }

    fn result_error(&self, info: &StepInfo, what: &str, r: &RunOutcome) -> Error {
        let res = &r.result;
        match res.outcome {
            Outcome::TimedOut { delivery: true } => Error::build(format!(
                "{} ({what}) never started: the instance's SSM agent did not pick the command up before its delivery timeout",
            info.label))
            .with_hint("the instance lost contact with Systems Manager; check that it is running and Online (aws ssm describe-instance-information)"),
            Outcome::Cancelled => Error::build(format!("{} ({what}) was cancelled", info.label)),
            _ if res.exit_code == script::TRANSFER_FAILED_EXIT && r.wrapper_error.is_some() => {
                self.failure(
                    format!(
                        "{} ({what}) failed: {}",
                        info.label,
                        r.wrapper_error.as_deref().unwrap_or("")
                    ),
                    r,
                )
                .with_hint("a transfer to the instance failed or arrived corrupted; run the build again")
            }
            _ => self.failure(
                format!(
                    "{} ({what}) failed with exit code {}",
                    info.label, res.exit_code
                ),
                r,
            ),
        }
    }

    fn failure(&self, head: String, r: &RunOutcome) -> Error {
        let mut msg = head;
        if let Some(w) = &r.wrapper_error {
            if !msg.contains(w.as_str()) {
                msg.push_str(&format!("\n  {w}"));
            }
        }
        let agent_said: Vec<&str> = r
            .result
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("amibake: "))
            .collect();
        if !agent_said.is_empty() {
            msg.push_str("\n  the SSM agent reported:");
            for l in agent_said.iter().rev().take(10).rev() {
                msg.push_str("\n  | ");
                msg.push_str(l);
            }
        }
        append_tail(&mut msg, &r.tail);
        Error::build(self.ui.redact(&msg))
    }

    // ------------------------------------------------------------ local

    fn legacy_context(&self, source: &str) -> LegacyContext {
        self.legacy.clone().unwrap_or_else(|| LegacyContext {
            build_name: source.to_owned(),
            build_region: Some(self.region.clone()),
            ..Default::default()
        })
    }

    async fn shell_local(
        &mut self,
        info: &StepInfo,
        source: &str,
        p: &ShellLocalProvisioner,
    ) -> Result<()> {
        let legacy = self.legacy_context(source);
        let run = super::local::LocalRun {
            ui: &self.ui,
            label: &info.label,
            prefix: &info.prefix,
            builtin_env: packer_env(source),
            legacy: &legacy,
            timeout: p.timeout,
        };
        super::local::run(&run, &p.shell).await
    }

    async fn breakpoint(
        &mut self,
        info: &StepInfo,
        source: &str,
        p: &crate::recipe::BreakpointProvisioner,
    ) -> Result<()> {
        let note = p
            .note
            .as_deref()
            .map(|n| crate::recipe::render::render_text(n, &self.legacy_context(source)))
            .transpose()
            .map_err(|e| Error::build(format!("{}: note: {e}", info.label)))?;
        let at = super::breakpoint::Place {
            label: &info.label,
            note: note.as_deref(),
            instance_id: &self.instance_id,
            region: &self.region,
        };
        super::breakpoint::pause(&self.ui, p, &at).await
    }

    // ------------------------------------------------------------ file

    async fn file(&mut self, info: &StepInfo, p: &FileProvisioner) -> Result<()> {
        let entries = files::plan(p)?;
        let mut text = String::from("#!/bin/sh\numask 022\n");
        let (mut count, mut bytes) = (0u64, 0u64);
        for e in &entries {
            match e {
                Entry::Dir { remote, mode } => {
                    let q = script::quote(remote);
                    text.push_str(&format!(
                        "mkdir -p {q} && chmod {mode:o} {q} || exit {}\n",
                        script::TRANSFER_FAILED_EXIT
                    ));
                }
                Entry::Symlink { remote, target } => {
                    text.push_str(&format!(
                        "ln -sfn {} {} || exit {}\n",
                        script::quote(target),
                        script::quote(remote),
                        script::TRANSFER_FAILED_EXIT
                    ));
                }
                Entry::File {
                    remote,
                    mode,
                    size,
                    data,
                } => {
                    count += 1;
                    bytes += size;
                    let parent = match remote.rfind('/') {
                        Some(0) | None => "/".to_owned(),
                        Some(i) => remote[..i].to_owned(),
                    };
                    text.push_str(&format!("mkdir -p {}\n", script::quote(&parent)));
                    let (src_bytes, sha) = match data {
                        Data::Bytes(b) => (Some(b.clone()), script::sha256_hex(b)),
                        Data::Local(path) if (*size as usize) <= INLINE_PAYLOAD_BYTES => {
                            let b = tokio::fs::read(path).await?;
                            let sha = script::sha256_hex(&b);
                            (Some(b), sha)
                        }
                        Data::Local(path) => (None, sha256_file(path).await?),
                    };
                    let fetch = match src_bytes {
                        Some(b) if b.len() <= INLINE_PAYLOAD_BYTES => script::fetch_payload(
                            &PayloadSource::Inline(&b),
                            &sha,
                            remote,
                            *mode,
                            remote,
                        ),
                        other => {
                            let key = self.staging.new_key("file");
                            let body = match (other, data) {
                                (Some(b), _) => ByteStream::from(b),
                                (None, Data::Local(path)) => {
                                    ByteStream::from_path(path).await.map_err(|e| {
                                        Error::build(format!("reading {}: {e}", path.display()))
                                    })?
                                }
                                (None, Data::Bytes(b)) => ByteStream::from(b.clone()),
                            };
                            self.staging.put(&key, body).await?;
                            let url = self.staging.presigned_get(&key).await?;
                            script::fetch_payload(
                                &PayloadSource::Url(&url),
                                &sha,
                                remote,
                                *mode,
                                remote,
                            )
                        }
                    };
                    text.push_str(&fetch);
                }
            }
        }
        let r = self
            .run_script(
                info,
                text.into_bytes(),
                &[],
                Duration::from_secs(3600),
                false,
            )
            .await?;
        if r.result.outcome == Outcome::Success {
            self.ui.debug(&format!(
                "{}: {count} files, {bytes} bytes to {}",
                info.label, p.destination
            ));
            return Ok(());
        }
        Err(self.result_error(info, "upload", &r))
    }

    // ------------------------------------------------------------ running

    /// Run one script in the wrapper and follow its output to the end.
    async fn run_script(
        &mut self,
        info: &StepInfo,
        script_bytes: Vec<u8>,
        env: &[(String, String)],
        timeout: Duration,
        expect_disconnect: bool,
    ) -> Result<RunOutcome> {
        self.steps += 1;
        let dir = format!("{RUN_ROOT}/{}/s{:03}", self.build_id, self.steps);
        let env_text: String = env
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", script::quote(v)))
            .collect();
        // SSM keeps command parameters in its history: anything holding a
        // sensitive value travels through S3 (deleted in cleanup) instead.
        let secret = self.ui.redact(&env_text) != env_text
            || self.ui.redact(&String::from_utf8_lossy(&script_bytes))
                != String::from_utf8_lossy(&script_bytes);
        let stage = secret || script_bytes.len() + env_text.len() > INLINE_PAYLOAD_BYTES;
        let mut payload = String::new();
        for (name, data, mode) in [
            ("env", env_text.into_bytes(), 0o600),
            ("script", script_bytes, 0o700),
        ] {
            let path = format!("{dir}/{name}");
            let sha = script::sha256_hex(&data);
            let what = format!("the {name} of {}", info.label);
            if stage {
                let key = self.staging.new_key(name);
                self.staging.put(&key, ByteStream::from(data)).await?;
                let url = self.staging.presigned_get(&key).await?;
                payload.push_str(&script::fetch_payload(
                    &PayloadSource::Url(&url),
                    &sha,
                    &path,
                    mode,
                    &what,
                ));
            } else {
                payload.push_str(&script::fetch_payload(
                    &PayloadSource::Inline(&data),
                    &sha,
                    &path,
                    mode,
                    &what,
                ));
            }
        }
        let spec = CommandSpec {
            script: script::wrapper(&dir, &payload),
            execution_timeout: timeout,
            delivery_timeout: self.state_timeout,
            comment: format!("amibake {} {}", self.build_id, info.label),
        };
        let was_dirty = self.dirty;
        self.dirty = true;
        let mut follower = Follower::new(&self.ui, &info.prefix);
        let result = self.execute(&spec, &dir, &mut follower).await?;
        // The wrapper removed this step's directory itself (all output fit
        // in its final tail): only earlier leftovers need removing.
        if script::parse_chunk(&result.stdout).is_some_and(|c| c.cleaned) {
            self.dirty = was_dirty;
        }
        let wrapper_error = result
            .stderr
            .lines()
            .find(|l| l.starts_with("amibake: "))
            .map(|l| l.trim_start_matches("amibake: ").to_owned());
        let mut disconnected = false;
        if expect_disconnect {
            disconnected = !matches!(result.outcome, Outcome::Success)
                && matches!(result.exit_code, -1 | 137 | 143);
            if disconnected
                || online_state(&self.aws.ssm(&self.region), &self.instance_id).await?
                    != OnlineState::Ping("Online".into())
            {
                self.ui.info(&format!(
                    "{}: waiting for the instance to reconnect",
                    info.label
                ));
                disconnected = true;
                wait_online(
                    &self.aws.ssm(&self.region),
                    &self.instance_id,
                    self.state_timeout,
                    Duration::from_secs(2),
                )
                .await?;
            }
        }
        Ok(RunOutcome {
            result,
            tail: follower.tail.into_iter().collect(),
            wrapper_error,
            disconnected,
        })
    }

    /// Start a wrapped command, poll it until it ends while fetching its
    /// output, then fetch whatever output is left.
    async fn execute(
        &mut self,
        spec: &CommandSpec,
        dir: &str,
        follower: &mut Follower,
    ) -> Result<CommandResult> {
        let handle = self.transport.start(spec).await?;
        self.active = Some(handle.clone());
        let started = Instant::now();
        // Our own limit, beyond the agent's: a lost agent must not hang a build.
        let limit = spec.execution_timeout + self.state_timeout + Duration::from_secs(60);
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let mut peek_every = PEEK_EVERY;
        let mut next_peek = Instant::now() + peek_every;
        let mut large_backlog = false;
        let result = loop {
            if let CommandState::Finished(r) = self.transport.poll(&handle).await? {
                break r;
            }
            if started.elapsed() > limit {
                let _ = self.transport.cancel(&handle).await;
                self.active = None;
                return Err(Error::build(format!(
                    "amibake stopped waiting for command {} after {:.0?} (the script's timeout plus the state timeout); it was cancelled",
                    handle.command_id, limit
                )));
            }
            if Instant::now() >= next_peek {
                match self
                    .peek(dir, follower, &mut large_backlog, Duration::from_secs(10))
                    .await
                {
                    Ok(_) => peek_every = PEEK_EVERY,
                    Err(e) => {
                        self.ui.debug(&format!("fetching output: {e}"));
                        peek_every = (peek_every * 2).min(Duration::from_secs(30));
                    }
                }
                next_peek = Instant::now() + peek_every;
            }
            tokio::time::sleep(backoff.next_delay()).await;
        };
        self.active = None;
        self.ui.debug(&format!(
            "command {} finished: {:?}, exit code {}",
            handle.command_id, result.outcome, result.exit_code
        ));
        let mut size = None;
        if let Some(c) = script::parse_chunk(&result.stdout) {
            size = Some(c.size);
            if c.start <= follower.offset {
                follower.feed(c.start, &c.data);
            }
            large_backlog = c.size.saturating_sub(follower.offset) > INLINE_OUTPUT_BYTES;
        }
        let never_ran = result.exit_code == -1
            || matches!(result.outcome, Outcome::TimedOut { delivery: true });
        if !never_ran {
            loop {
                if matches!(size, Some(s) if follower.offset >= s) {
                    break;
                }
                let before = follower.offset;
                let c = self
                    .peek(dir, follower, &mut large_backlog, Duration::from_secs(600))
                    .await?;
                size = Some(c.size);
                if follower.offset == before && follower.offset < c.size {
                    return Err(Error::build(format!(
                        "could not fetch the output of {dir} past byte {before}"
                    )));
                }
            }
        }
        follower.finish();
        Ok(result)
    }

    /// One short command that returns new output bytes from `follower.offset`.
    async fn peek(
        &mut self,
        dir: &str,
        follower: &mut Follower,
        large_backlog: &mut bool,
        limit: Duration,
    ) -> Result<script::Chunk> {
        let upload = if *large_backlog {
            let key = self.staging.new_key("output");
            let url = self.staging.presigned_put(&key).await?;
            Some((key, url))
        } else {
            None
        };
        let spec = CommandSpec {
            script: script::peek(
                dir,
                follower.offset,
                upload.as_ref().map(|(_, u)| u.as_str()),
                MAX_UPLOAD,
            ),
            execution_timeout: Duration::from_secs(600),
            delivery_timeout: Duration::from_secs(30),
            comment: format!("amibake {} output", self.build_id),
        };
        let handle = self.transport.start(&spec).await?;
        let started = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let result = loop {
            if let CommandState::Finished(r) = self.transport.poll(&handle).await? {
                break r;
            }
            if started.elapsed() > limit {
                let _ = self.transport.cancel(&handle).await;
                return Err(Error::build(format!(
                    "fetching output took longer than {limit:.0?}"
                )));
            }
            tokio::time::sleep(backoff.next_delay()).await;
        };
        let chunk = match (result.outcome, script::parse_chunk(&result.stdout)) {
            (Outcome::Success, Some(c)) => c,
            _ => {
                return Err(Error::build(format!(
                    "fetching output failed ({:?}, exit {}): {}",
                    result.outcome,
                    result.exit_code,
                    result.stderr.trim()
                )))
            }
        };
        match (chunk.uploaded, upload) {
            (Some(n), Some((key, _))) => {
                let data = self.staging.get(&key).await?;
                if data.len() as u64 != n {
                    return Err(Error::build(format!(
                        "output piece {key} has {} bytes, expected {n}",
                        data.len()
                    )));
                }
                follower.feed(chunk.start, &data);
            }
            _ => follower.feed(chunk.start, &chunk.data),
        }
        *large_backlog = chunk.size.saturating_sub(follower.offset) > INLINE_OUTPUT_BYTES;
        Ok(chunk)
    }

    /// Remove this build's step directories from the instance, so scripts,
    /// environment files and output are not baked into the image.
    async fn remove_run_dir(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let spec = CommandSpec {
            script: format!(
                "rm -rf {}\nrmdir {} 2>/dev/null\nexit 0\n",
                script::quote(&format!("{RUN_ROOT}/{}", self.build_id)),
                RUN_ROOT
            ),
            execution_timeout: Duration::from_secs(300),
            delivery_timeout: self.state_timeout,
            comment: format!("amibake {} remove step files", self.build_id),
        };
        let handle = self.transport.start(&spec).await?;
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let started = Instant::now();
        loop {
            if let CommandState::Finished(r) = self.transport.poll(&handle).await? {
                if r.outcome != Outcome::Success {
                    return Err(Error::build(format!(
                        "removing amibake's step files from the instance failed: {}",
                        r.stderr.trim()
                    )));
                }
                self.dirty = false;
                return Ok(());
            }
            if started.elapsed() > self.state_timeout {
                return Err(Error::build(
                    "removing amibake's step files from the instance timed out",
                ));
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

/// What running one script produced.
struct RunOutcome {
    result: CommandResult,
    /// The last lines of output (redacted).
    tail: Vec<String>,
    /// A message from the wrapper itself (transfer failed, corrupted...).
    wrapper_error: Option<String>,
    /// `expect_disconnect` and the instance went away (and came back).
    disconnected: bool,
}

/// Turns output bytes (fetched by offset, possibly overlapping) into lines
/// shown once each, in order.
struct Follower {
    ui: Ui,
    prefix: String,
    offset: u64,
    partial: Vec<u8>,
    tail: VecDeque<String>,
}

impl Follower {
    fn new(ui: &Ui, prefix: &str) -> Self {
        Follower {
            ui: ui.clone(),
            prefix: prefix.to_owned(),
            offset: 0,
            partial: Vec::new(),
            tail: VecDeque::new(),
        }
    }

    /// Bytes `data` found at `start` in the output file.
    fn feed(&mut self, start: u64, data: &[u8]) {
        let end = start + data.len() as u64;
        if end <= self.offset || start > self.offset {
            return;
        }
        let new = &data[(self.offset - start) as usize..];
        self.offset = end;
        let mut rest = new;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..i]);
            let line = std::mem::take(&mut self.partial);
            self.emit(&line);
            rest = &rest[i + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line);
        }
    }

    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        self.ui.output_line(&self.prefix, text);
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        // Kept raw: `failure` redacts the whole message the tail ends up in,
        // and redacting every line of a long log here would do it twice.
        self.tail.push_back(text.to_owned());
    }
}

/// The variables Packer gives every shell provisioner (`PACKER_HTTP_*` only
/// exist for builders with an HTTP server, which `amazon-ebs` has not).
pub fn packer_env(source: &str) -> Vec<(String, String)> {
    vec![
        ("PACKER_BUILD_NAME".into(), source.into()),
        ("PACKER_BUILDER_TYPE".into(), "amazon-ebs".into()),
    ]
}

/// The end of a failed script's output, quoted under its failure message.
pub(super) fn append_tail(msg: &mut String, tail: &[String]) {
    if tail.is_empty() {
        msg.push_str("\n  (no output)");
    } else {
        msg.push_str(&format!("\n  last {} lines of output:", tail.len()));
        for l in tail {
            msg.push_str("\n  | ");
            msg.push_str(l);
        }
    }
}

fn applies(p: &Provisioner, source: &str) -> bool {
    let c = p.common();
    (c.only.is_empty() || c.only.iter().any(|s| s == source))
        && !c.except.iter().any(|s| s == source)
}

fn label(i: usize, p: &Provisioner) -> String {
    match &p.common().name {
        Some(n) => format!("provisioner {} ({} \"{n}\")", i + 1, p.type_name()),
        None => format!("provisioner {} ({})", i + 1, p.type_name()),
    }
}

/// Settings AWS would silently change or the shell would misread.
fn validate(p: &Provisioner) -> Result<()> {
    let Provisioner::Shell(s) = p else {
        return Ok(());
    };
    let secs = s.timeout.as_secs();
    if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&secs) {
        return Err(Error::usage(format!(
            "timeout {secs}s is outside what SSM accepts ({MIN_TIMEOUT}s to {MAX_TIMEOUT}s = 48h); AWS would silently use 1h instead"
        ))
        .with_hint("set `timeout` between \"5s\" and \"48h\""));
    }
    for (k, _) in &s.environment_vars {
        if !script::valid_env_name(k) {
            return Err(Error::usage(format!(
                "environment_vars: `{k}` is not a valid variable name"
            ))
            .with_hint("names are letters, digits and underscores, not starting with a digit"));
        }
    }
    if s.inline.is_empty() && s.scripts.is_empty() {
        return Err(Error::usage("shell provisioner has nothing to run")
            .with_hint("set `inline`, `script` or `scripts`"));
    }
    Ok(())
}

async fn sha256_file(path: &std::path::Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::usage(format!("reading {}: {e}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(script::hex(&h.finalize()))
}

#[allow(dead_code)]
fn _assert_send(s: &mut ProvisionSession) {
    fn is_send<T: Send>(_: &T) {}
    is_send(&s.run("x", &[]));
    is_send(&s.cleanup());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follower_shows_each_line_once_in_order() {
        let (ui, cap) = Ui::capture(false);
        let mut f = Follower::new(&ui, "p");
        f.feed(0, b"one\ntw");
        f.feed(0, b"one\ntwo\nthr"); // overlap
        f.feed(20, b"gap"); // ahead of offset: ignored
        f.feed(11, b"ee\n\xe2\x82");
        f.feed(14, b"\xe2\x82\xac\r\nlast");
        f.finish();
        assert_eq!(
            cap.lines(),
            [
                "    p: one",
                "    p: two",
                "    p: three",
                "    p: €",
                "    p: last"
            ]
        );
        assert_eq!(f.tail.len(), 5);
    }
}
