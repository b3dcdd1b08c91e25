//! TEMPORARY stand-in for the provisioning engineer's `ProvisionSession`
//! (branch `provision`), with the agreed signature, so `build` compiles and
//! its tests run. Replace this file with the real implementation at merge.
//!
//! It runs shell provisioners (inline lines and script files) and small
//! file provisioners through `AWS-RunShellScript`, one command each.

use std::time::Duration;

use base64::Engine;

use crate::aws::{error_code, sdk_error, Aws};
use crate::error::{Error, Result};
use crate::poll::{wait_until, Backoff, Check};
use crate::recipe::{FilePayload, Provisioner};
use crate::ui::Ui;

pub struct ProvisionSession {
    ssm: aws_sdk_ssm::Client,
    instance_id: String,
    timeout: Duration,
    ui: Ui,
}

impl ProvisionSession {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        aws: &Aws,
        region: &str,
        instance_id: &str,
        _build_id: &str,
        _recipe_name: &str,
        _staging_bucket: Option<String>,
        state_timeout: Duration,
        ui: Ui,
    ) -> Self {
        ProvisionSession {
            ssm: aws.ssm(region),
            instance_id: instance_id.to_owned(),
            timeout: state_timeout,
            ui,
        }
    }

    pub async fn run(&mut self, source_name: &str, provisioners: &[Provisioner]) -> Result<()> {
        for (i, p) in provisioners.iter().enumerate() {
            let c = p.common();
            if (!c.only.is_empty() && !c.only.iter().any(|s| s == source_name))
                || c.except.iter().any(|s| s == source_name)
            {
                continue;
            }
            let label = c
                .name
                .clone()
                .unwrap_or_else(|| format!("provisioner {} ({})", i + 1, p.type_name()));
            let step = self.ui.step(&format!("{source_name}: {label}"));
            let (script, valid) = match p {
                Provisioner::Shell(s) => {
                    let mut body = String::new();
                    for (k, v) in &s.environment_vars {
                        body.push_str(&format!("export {k}='{}'\n", v.replace('\'', "'\\''")));
                    }
                    for line in &s.inline {
                        body.push_str(line);
                        body.push('\n');
                    }
                    for path in &s.scripts {
                        body.push_str(&std::fs::read_to_string(path).map_err(|e| {
                            Error::usage(format!("cannot read script {}: {e}", path.display()))
                        })?);
                        body.push('\n');
                    }
                    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
                    let shebang = s.inline_shebang.trim_start_matches("#!").to_owned();
                    (
                        format!("echo {b64} | base64 -d > /tmp/amibake-script.sh && {shebang} /tmp/amibake-script.sh"),
                        s.valid_exit_codes.clone(),
                    )
                }
                Provisioner::File(f) => {
                    let bytes = match &f.payload {
                        FilePayload::Content(c) => c.clone().into_bytes(),
                        FilePayload::Source(path) => std::fs::read(path).map_err(|e| {
                            Error::usage(format!("cannot read {}: {e}", path.display()))
                        })?,
                    };
                    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                    (
                        format!(
                            "mkdir -p \"$(dirname '{d}')\" && echo {b64} | base64 -d > '{d}'",
                            d = f.destination
                        ),
                        vec![0],
                    )
                }
            };
            match self.run_command(&script, &valid, source_name).await {
                Ok(()) => step.done(""),
                Err(e) => {
                    step.failed(e.message());
                    return Err(e.context(label));
                }
            }
        }
        Ok(())
    }

    async fn run_command(&self, script: &str, valid: &[i32], source: &str) -> Result<()> {
        let out = self
            .ssm
            .send_command()
            .instance_ids(&self.instance_id)
            .document_name("AWS-RunShellScript")
            .parameters("commands", vec![script.to_owned()])
            .send()
            .await
            .map_err(|e| sdk_error("ssm:SendCommand", &e))?;
        let id = out
            .command()
            .and_then(|c| c.command_id())
            .unwrap_or_default()
            .to_owned();
        let inv = wait_until(
            "the command to finish",
            self.timeout,
            Backoff::for_command(),
            || async {
                match self
                    .ssm
                    .get_command_invocation()
                    .command_id(&id)
                    .instance_id(&self.instance_id)
                    .send()
                    .await
                {
                    Ok(o) => {
                        let st = o
                            .status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default();
                        match st.as_str() {
                            "Pending" | "InProgress" | "Delayed" | "" => Ok(Check::Pending(st)),
                            _ => Ok(Check::Done(o)),
                        }
                    }
                    Err(e) if error_code(&e) == Some("InvocationDoesNotExist") => {
                        Ok(Check::Pending("not visible yet".into()))
                    }
                    Err(e) => Err(sdk_error("ssm:GetCommandInvocation", &e)),
                }
            },
        )
        .await?;
        for line in inv.standard_output_content().unwrap_or("").lines() {
            self.ui.output_line(source, line);
        }
        for line in inv.standard_error_content().unwrap_or("").lines() {
            self.ui.output_line(source, line);
        }
        let code = inv.response_code();
        if valid.contains(&code) {
            Ok(())
        } else {
            Err(Error::build(format!(
                "script exited with {code} (status {})",
                inv.status().map(|s| s.as_str()).unwrap_or("?")
            ))
            .with_hint("see the output above"))
        }
    }

    pub async fn cleanup(&mut self) -> Result<()> {
        Ok(())
    }
}
