//! Progress and logs on stderr; results on stdout are the commands' job.
//!
//! Three renderings of the same events: indicatif spinners and bars on a
//! terminal, plain timestamped lines when stderr is not a terminal (CI logs),
//! and one JSON object per line with `--log-format json`. Every text passes
//! through [`Redactor`] first so that sensitive variable values never reach
//! the screen or a log file.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};

/// How stderr output is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Replaces sensitive values with `<sensitive>`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Secrets shorter than 3 characters are not redacted: replacing every
    /// `a` in a log would destroy it and protect nothing.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 3).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "<sensitive>");
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Terminal,
    Plain,
    Json,
    /// Writes nothing: library use and tests.
    Silent,
    /// Keeps the plain-text lines in memory: tests assert on what a user sees.
    Capture,
}

/// The progress reporter. Cheap to clone; share it across tasks.
#[derive(Clone)]
pub struct Ui {
    inner: Arc<UiInner>,
}

struct UiInner {
    mode: Mode,
    verbose: bool,
    color: bool,
    multi: MultiProgress,
    redactor: Mutex<Redactor>,
    started: Instant,
    // Serialises plain and JSON lines so concurrent tasks never interleave
    // within a line.
    write_lock: Mutex<()>,
    captured: Arc<Mutex<Vec<(std::time::SystemTime, String)>>>,
}

/// The lines a [`Ui::capture`] reporter received (already redacted).
#[derive(Clone, Default)]
pub struct Captured {
    lines: Arc<Mutex<Vec<(std::time::SystemTime, String)>>>,
}

impl Captured {
    /// Every line so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|(_, l)| l.clone())
            .collect()
    }
    /// Every line with the wall-clock time it was emitted (benchmarks).
    pub fn timed_lines(&self) -> Vec<(std::time::SystemTime, String)> {
        self.lines.lock().unwrap().clone()
    }
}

impl Ui {
    pub fn new(format: LogFormat, verbose: bool, no_color: bool) -> Ui {
        let tty = std::io::stderr().is_terminal();
        let mode = match format {
            LogFormat::Json => Mode::Json,
            LogFormat::Text if tty && std::env::var_os("CI").is_none() => Mode::Terminal,
            LogFormat::Text => Mode::Plain,
        };
        let color = tty && !no_color && std::env::var_os("NO_COLOR").is_none();
        Self::with_mode(mode, verbose, color)
    }

    /// A reporter that writes nothing (library use and unit tests).
    pub fn quiet() -> Ui {
        Self::with_mode(Mode::Silent, false, false)
    }

    /// A reporter that keeps every line (in plain-text form, without the
    /// timestamp) in memory, for tests.
    pub fn capture(verbose: bool) -> (Ui, Captured) {
        let ui = Self::with_mode(Mode::Capture, verbose, false);
        let captured = Captured {
            lines: ui.inner.captured.clone(),
        };
        (ui, captured)
    }

    fn with_mode(mode: Mode, verbose: bool, color: bool) -> Ui {
        let multi = if mode == Mode::Terminal {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        };
        Ui {
            inner: Arc::new(UiInner {
                mode,
                verbose,
                color,
                multi,
                redactor: Mutex::new(Redactor::default()),
                started: Instant::now(),
                write_lock: Mutex::new(()),
                captured: Arc::default(),
            }),
        }
    }

    pub fn set_redactor(&self, redactor: Redactor) {
        *self.inner.redactor.lock().unwrap() = redactor;
    }
    pub fn redact(&self, text: &str) -> String {
        self.inner.redactor.lock().unwrap().redact(text)
    }
    pub fn is_json(&self) -> bool {
        self.inner.mode == Mode::Json
    }

    /// Emit an event: a line in text modes, an object in JSON mode.
    /// `fields` are added to the JSON object (and ignored in text).
    pub fn event(&self, event: &str, message: &str, fields: Value) {
        let message = self.redact(message);
        match self.inner.mode {
            Mode::Json => {
                let mut obj = json!({
                    "time": now_rfc3339(),
                    "event": event,
                    "message": message,
                });
                if let (Value::Object(map), Value::Object(extra)) = (&mut obj, fields) {
                    for (k, v) in extra {
                        let v = match v {
                            Value::String(s) => Value::String(self.redact(&s)),
                            other => other,
                        };
                        map.insert(k, v);
                    }
                }
                self.write_line(&obj.to_string());
            }
            Mode::Plain => self.write_line(&format!("[{}] {message}", self.elapsed())),
            Mode::Terminal => {
                let _ = self.inner.multi.println(message);
            }
            Mode::Capture => self
                .inner
                .captured
                .lock()
                .unwrap()
                .push((std::time::SystemTime::now(), message)),
            Mode::Silent => {}
        }
    }

    pub fn info(&self, message: &str) {
        self.event("info", message, Value::Null);
    }
    pub fn warn(&self, message: &str) {
        let text = if self.inner.color {
            format!("\x1b[33mwarning:\x1b[0m {message}")
        } else {
            format!("warning: {message}")
        };
        match self.inner.mode {
            Mode::Json => self.event("warning", message, Value::Null),
            _ => self.event("warning", &text, Value::Null),
        }
    }
    pub fn debug(&self, message: &str) {
        if self.inner.verbose {
            self.event("debug", message, Value::Null);
        }
    }
    /// One line of a provisioner's output, prefixed with its name.
    pub fn output_line(&self, source: &str, line: &str) {
        let text = format!("    {source}: {line}");
        match self.inner.mode {
            Mode::Json => self.event("output", line, json!({ "source": source })),
            _ => self.event("output", &text, Value::Null),
        }
    }

    /// Start a step: a spinner on a terminal, a line elsewhere.
    pub fn step(&self, name: &str) -> StepProgress {
        let bar = if self.inner.mode == Mode::Terminal {
            let pb = self.inner.multi.add(ProgressBar::new_spinner());
            pb.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").unwrap());
            pb.set_message(name.to_owned());
            pb.enable_steady_tick(Duration::from_millis(120));
            Some(pb)
        } else {
            self.event(
                "step_started",
                &format!("==> {name}"),
                json!({ "step": name }),
            );
            None
        };
        StepProgress {
            ui: self.clone(),
            name: name.to_owned(),
            bar,
            started: Instant::now(),
        }
    }

    /// A bar with `len` units (region copies, deletions).
    pub fn bar(&self, name: &str, len: u64) -> ProgressBar {
        if self.inner.mode == Mode::Terminal {
            let pb = self.inner.multi.add(ProgressBar::new(len));
            pb.set_style(
                ProgressStyle::with_template("  {msg:30} {bar:30} {pos}/{len} [{elapsed}]")
                    .unwrap(),
            );
            pb.set_message(name.to_owned());
            pb
        } else {
            ProgressBar::hidden()
        }
    }

    fn elapsed(&self) -> String {
        let s = self.inner.started.elapsed().as_secs_f64();
        format!("{:>7.2}s", s)
    }

    fn write_line(&self, line: &str) {
        let _guard = self.inner.write_lock.lock().unwrap();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

/// A running step; finish it with [`StepProgress::done`] or
/// [`StepProgress::failed`]. Dropping it unfinished clears the spinner.
pub struct StepProgress {
    ui: Ui,
    name: String,
    bar: Option<ProgressBar>,
    started: Instant,
}

impl StepProgress {
    pub fn set_message(&self, msg: &str) {
        let msg = self.ui.redact(msg);
        match &self.bar {
            Some(pb) => pb.set_message(format!("{}: {msg}", self.name)),
            None => self.ui.debug(&format!("{}: {msg}", self.name)),
        }
    }
    pub fn done(self, detail: &str) {
        self.close("step_done", "✓", detail);
    }
    /// End with the step's result: `done` with `detail` of the value, or
    /// `failed` with the error's message. Returns the result unchanged.
    pub fn report<T>(
        self,
        result: crate::Result<T>,
        detail: impl FnOnce(&T) -> String,
    ) -> crate::Result<T> {
        match &result {
            Ok(v) => self.done(&detail(v)),
            Err(e) => self.failed(e.message()),
        }
        result
    }
    pub fn failed(self, detail: &str) {
        self.close("step_failed", "✗", detail);
    }
    fn close(mut self, event: &str, mark: &str, detail: &str) {
        let secs = self.started.elapsed().as_secs_f64();
        let sep = if detail.is_empty() { "" } else { ": " };
        let text = format!("{mark} {}{sep}{detail} ({secs:.1}s)", self.name);
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
            let _ = self.ui.inner.multi.println(self.ui.redact(&text));
        } else {
            self.ui.event(
                event,
                &text,
                json!({ "step": self.name, "seconds": secs, "detail": detail }),
            );
        }
    }
}

impl Drop for StepProgress {
    fn drop(&mut self) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }
}

/// The current UTC time in RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_replaces_longest_first_and_ignores_tiny_secrets() {
        let r = Redactor::new(vec!["hunter2".into(), "hunter2-extra".into(), "ab".into()]);
        assert_eq!(
            r.redact("p=hunter2-extra q=hunter2 ab"),
            "p=<sensitive> q=<sensitive> ab"
        );
    }
}
