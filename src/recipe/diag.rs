//! Diagnostics in the `FILE:LINE:COL: error: message` form editors understand.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: &Path, line: usize, col: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line,
            col,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in a recipe.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn single(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    /// One error for commands that need a recipe and cannot go on without it.
    pub fn into_error(self) -> Error {
        let n = self.0.len();
        let file = self
            .0
            .first()
            .map(|d| d.file.display().to_string())
            .unwrap_or_default();
        let list = self.to_string();
        Error::usage(format!(
            "{n} problem{} in {file}:\n{}",
            if n == 1 { "" } else { "s" },
            list.trim_end()
        ))
        .with_hint("run `amibake validate RECIPE` to list them; see docs/recipes.md")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
/// The one suggestion rule for names in recipes (attributes, blocks,
/// functions, variables).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(name.len().min(c.len()) / 4))
        .min()
        .map(|(_, c)| c.to_owned())
}
