//! How a shell script reaches the instance and how we learn its result.
//!
//! [`CommandTransport`] is the seam: today SSM Run Command
//! ([`SsmRunCommand`]); a native Session Manager data-channel transport can
//! implement the same three calls later without touching the provisioners.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::CommandInvocationStatus;

use crate::aws::{error_code, sdk_error};
use crate::error::Result;

/// What to run: one `/bin/sh` script, as root.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub script: String,
    /// Kill the script after this long (SSM `executionTimeout`, 5..172800 s).
    pub execution_timeout: Duration,
    /// How long the command may wait for an offline agent before AWS gives
    /// up delivering it (SSM `TimeoutSeconds`, 30 s..30 days).
    pub delivery_timeout: Duration,
    /// Shown in the SSM console's command history.
    pub comment: String,
}

/// A started command.
#[derive(Debug, Clone)]
pub struct CommandHandle {
    pub command_id: String,
}

/// One look at a started command.
#[derive(Debug, Clone)]
pub enum CommandState {
    /// Not picked up by the agent yet (or not visible yet).
    Pending,
    /// Running on the instance.
    Running,
    Finished(CommandResult),
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Non-zero exit (or could not run at all).
    Failed,
    /// `ExecutionTimedOut` (the script's timeout) or `DeliveryTimedOut`.
    TimedOut {
        delivery: bool,
    },
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct CommandResult {
    pub outcome: Outcome,
    /// The script's exit code; -1 when it never ran.
    pub exit_code: i32,
    /// At most the first 24,000 characters (SSM's limit).
    pub stdout: String,
    /// At most the first 8,000 characters (SSM's limit).
    pub stderr: String,
    /// SSM's `StatusDetails`, for messages.
    pub details: String,
}

/// Start, watch and cancel shell commands on one instance.
pub trait CommandTransport {
    fn start(&self, spec: &CommandSpec) -> impl Future<Output = Result<CommandHandle>> + Send;
    fn poll(&self, handle: &CommandHandle) -> impl Future<Output = Result<CommandState>> + Send;
    fn cancel(&self, handle: &CommandHandle) -> impl Future<Output = Result<()>> + Send;
}

/// Spaces API calls at least `interval` apart, so one build never exceeds
/// a fixed call rate however its loops are tuned (AWS throttles SSM per
/// account; several builds share that budget).
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    pub fn new(interval: Duration) -> Arc<Pacer> {
        Arc::new(Pacer {
            interval,
            next: tokio::sync::Mutex::new(Instant::now()),
        })
    }
    /// Wait for this call's slot.
    pub async fn wait(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until((*next).into()).await;
        }
        *next = Instant::now().max(*next) + self.interval;
    }
}

/// `AWS-RunShellScript` through SSM Run Command.
#[derive(Clone)]
pub struct SsmRunCommand {
    ssm: aws_sdk_ssm::Client,
    instance_id: String,
    pacer: Arc<Pacer>,
}

impl SsmRunCommand {
    pub fn new(ssm: aws_sdk_ssm::Client, instance_id: &str, pacer: Arc<Pacer>) -> Self {
        SsmRunCommand {
            ssm,
            instance_id: instance_id.to_owned(),
            pacer,
        }
    }
}

impl CommandTransport for SsmRunCommand {
    async fn start(&self, spec: &CommandSpec) -> Result<CommandHandle> {
        self.pacer.wait().await;
        let delivery = spec.delivery_timeout.as_secs().clamp(30, 2_592_000) as i32;
        let comment: String = spec.comment.chars().take(100).collect();
        let out = self
            .ssm
            .send_command()
            .document_name("AWS-RunShellScript")
            .instance_ids(&self.instance_id)
            .parameters("commands", vec![spec.script.clone()])
            .parameters(
                "executionTimeout",
                vec![spec.execution_timeout.as_secs().to_string()],
            )
            .timeout_seconds(delivery)
            .comment(comment)
            .send()
            .await
            .map_err(|e| sdk_error("ssm:SendCommand", &e))?;
        let command_id = out
            .command()
            .and_then(|c| c.command_id())
            .unwrap_or_default()
            .to_owned();
        Ok(CommandHandle { command_id })
    }

    async fn poll(&self, handle: &CommandHandle) -> Result<CommandState> {
        self.pacer.wait().await;
        let res = self
            .ssm
            .get_command_invocation()
            .command_id(&handle.command_id)
            .instance_id(&self.instance_id)
            .send()
            .await;
        let out = match res {
            Ok(out) => out,
            // Right after SendCommand the invocation may not exist yet.
            Err(e) if error_code(&e) == Some("InvocationDoesNotExist") => {
                return Ok(CommandState::Pending)
            }
            Err(e) => return Err(sdk_error("ssm:GetCommandInvocation", &e)),
        };
        let details = out.status_details().unwrap_or_default().to_owned();
        let outcome = match out.status() {
            None
            | Some(CommandInvocationStatus::Pending)
            | Some(CommandInvocationStatus::Delayed) => return Ok(CommandState::Pending),
            Some(CommandInvocationStatus::InProgress)
            | Some(CommandInvocationStatus::Cancelling) => return Ok(CommandState::Running),
            Some(CommandInvocationStatus::Success) => Outcome::Success,
            Some(CommandInvocationStatus::TimedOut) => Outcome::TimedOut {
                delivery: details.contains("Delivery"),
            },
            Some(CommandInvocationStatus::Cancelled) => Outcome::Cancelled,
            Some(_) => Outcome::Failed,
        };
        Ok(CommandState::Finished(CommandResult {
            outcome,
            exit_code: out.response_code(),
            stdout: out.standard_output_content().unwrap_or_default().to_owned(),
            stderr: out.standard_error_content().unwrap_or_default().to_owned(),
            details,
        }))
    }

    async fn cancel(&self, handle: &CommandHandle) -> Result<()> {
        self.pacer.wait().await;
        self.ssm
            .cancel_command()
            .command_id(&handle.command_id)
            .instance_ids(&self.instance_id)
            .send()
            .await
            .map_err(|e| sdk_error("ssm:CancelCommand", &e))?;
        Ok(())
    }
}
