//! Typed errors with a user-facing hint.
//!
//! Every error a user can cause carries a message that says what went wrong
//! and, where we know it, a hint that says what to do. The binary prints
//! `error: MESSAGE` then `  hint: HINT` and maps the kind to an exit code.

use std::fmt;

/// Process exit codes, documented in the README.
pub mod exit {
    /// Everything worked.
    pub const SUCCESS: u8 = 0;
    /// The build, gc run or cleanup failed while talking to AWS.
    pub const FAILED: u8 = 1;
    /// Bad command line or bad recipe: nothing was attempted.
    pub const USAGE: u8 = 2;
    /// Interrupted by SIGINT/SIGTERM (after cleanup ran).
    pub const INTERRUPTED: u8 = 130;
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line or the recipe is wrong.
    Usage,
    /// Credentials, region, or an AWS call failed.
    Aws,
    /// A build step failed for a reason other than an AWS call.
    Build,
    /// The user interrupted the run.
    Interrupted,
}

/// An error with context and an optional hint.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }
    pub fn aws(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Aws, message)
    }
    pub fn build(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Build, message)
    }
    pub fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "interrupted; cleanup has run")
    }
    /// Attach a hint that tells the user what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Prefix the message with what we were doing.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Aws | ErrorKind::Build => exit::FAILED,
            ErrorKind::Interrupted => exit::INTERRUPTED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::build(e.to_string())
    }
}
