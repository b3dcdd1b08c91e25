//! A template on disk: one file, or a directory read the way `packer build
//! DIR` reads it (every `*.pkr.hcl`, in name order, plus the
//! `*.auto.pkrvars.hcl`/`*.auto.pkrvars.json` variable files).
//!
//! The files are parsed one by one (so a syntax error names its file and
//! line) and then as one body, so that every span in the tree is an offset
//! into one text: blocks from different files can be merged (a build-level
//! `source` block filling in a top-level one) and still report positions in
//! the right file. [`SourceMap`] turns an offset back into file, line and
//! column.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::structure::Body;

use crate::recipe::diag::{Diagnostic, Diagnostics};

/// Everything read from disk for one template.
pub struct Template {
    pub body: Body,
    pub map: SourceMap,
    /// `path.root`: the directory of the template.
    pub root: PathBuf,
    /// `*.auto.pkrvars.*` files of that directory, in name order.
    pub auto_var_files: Vec<PathBuf>,
}

/// Offsets of the joined text back to files, lines and columns.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// (start offset in the joined text, file, line starts within the file).
    files: Vec<(usize, PathBuf, Vec<usize>)>,
}

impl SourceMap {
    /// File, 1-based line and column of an offset in the joined text.
    pub fn locate(&self, offset: usize) -> (&Path, usize, usize) {
        let i = self
            .files
            .partition_point(|(start, _, _)| *start <= offset)
            .saturating_sub(1);
        let Some((start, path, lines)) = self.files.get(i) else {
            return (Path::new(""), 1, 1);
        };
        let local = offset - start;
        let line = lines.partition_point(|&s| s <= local);
        let col = local - lines[line - 1] + 1;
        (path, line, col)
    }

    /// The first file: where problems without a position are reported.
    pub fn first_file(&self) -> &Path {
        self.files
            .first()
            .map(|(_, p, _)| p.as_path())
            .unwrap_or(Path::new(""))
    }

    pub fn diagnostic(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        match span {
            Some(s) => {
                let (file, line, col) = self.locate(s.start);
                Diagnostic::error(file, line, col, message)
            }
            None => Diagnostic::error(self.first_file(), 1, 1, message),
        }
    }
}

/// Whether `name` is a template file Packer reads from a directory.
fn is_template_file(name: &str) -> bool {
    name.ends_with(".pkr.hcl")
}

fn is_auto_var_file(name: &str) -> bool {
    name.ends_with(".auto.pkrvars.hcl") || name.ends_with(".auto.pkrvars.json")
}

/// Read a template file or directory.
pub fn read(path: &Path) -> Result<Template, Diagnostics> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostics::single(
            Diagnostic::error(path, 1, 1, format!("cannot read recipe: {e}")).with_hint(
                "give a recipe file (.pkr.hcl or .hcl) or a directory of *.pkr.hcl files",
            ),
        )
    })?;
    let (files, root) = if meta.is_dir() {
        let mut files: Vec<PathBuf> = list(path, is_template_file);
        files.sort();
        if files.is_empty() {
            let json = list(path, |n| n.ends_with(".pkr.json") || n.ends_with(".json"));
            let hint = if json.is_empty() {
                "Packer reads the *.pkr.hcl files of a directory; name your template files so"
                    .to_owned()
            } else {
                "JSON templates are not read: convert them with `packer hcl2_upgrade FILE.json`"
                    .to_owned()
            };
            return Err(Diagnostics::single(
                Diagnostic::error(
                    path,
                    1,
                    1,
                    format!("no *.pkr.hcl files in directory {}", path.display()),
                )
                .with_hint(hint),
            ));
        }
        (files, path.to_owned())
    } else {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        (vec![path.to_owned()], dir)
    };
    let root = std::fs::canonicalize(&root).unwrap_or(root);

    let mut joined = String::new();
    let mut map = SourceMap::default();
    let mut errors = Vec::new();
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(Diagnostic::error(
                    file,
                    1,
                    1,
                    format!("cannot read recipe: {e}"),
                ));
                continue;
            }
        };
        if looks_like_json(&text) {
            errors.push(
                Diagnostic::error(file, 1, 1, "this is a JSON template; amibake reads HCL2 templates")
                    .with_hint("convert it with `packer hcl2_upgrade FILE.json` and use the .pkr.hcl it writes"),
            );
            continue;
        }
        if let Err(e) = hcl::edit::parser::parse_body(&text) {
            let loc = e.location();
            errors.push(
                Diagnostic::error(
                    file,
                    loc.line(),
                    loc.column(),
                    format!("syntax error: {}", e.message().lines().next().unwrap_or("")),
                )
                .with_hint(format!("near: {}", e.line().trim())),
            );
            continue;
        }
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        map.files.push((joined.len(), file.clone(), lines));
        joined.push_str(&text);
        joined.push('\n');
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    // Each file parsed alone, so their concatenation parses too.
    let body = hcl::edit::parser::parse_body(&joined).map_err(|e| {
        let loc = e.location();
        Diagnostics::single(Diagnostic::error(
            map.first_file(),
            loc.line(),
            loc.column(),
            format!("syntax error: {}", e.message()),
        ))
    })?;
    let mut auto_var_files = list(&root, is_auto_var_file);
    auto_var_files.sort();
    Ok(Template {
        body,
        map,
        root,
        auto_var_files,
    })
}

fn list(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&keep)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_to_each_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pkr.hcl"), "locals {\n  a = 1\n}").unwrap();
        std::fs::write(dir.path().join("b.pkr.hcl"), "\nlocals {\n  b = 2\n}\n").unwrap();
        std::fs::write(dir.path().join("c.auto.pkrvars.hcl"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("notes.hcl"), "not read").unwrap();
        let t = read(dir.path()).unwrap();
        assert_eq!(t.body.blocks().count(), 2);
        let second = t.body.blocks().nth(1).unwrap();
        let attr = second.body.attributes().next().unwrap();
        let span = hcl::edit::Span::span(&attr.key).unwrap();
        let (file, line, col) = t.map.locate(span.start);
        assert!(file.ends_with("b.pkr.hcl"));
        assert_eq!((line, col), (3, 3));
        assert_eq!(t.auto_var_files.len(), 1);
    }

    #[test]
    fn a_syntax_error_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pkr.hcl"), "locals {}\n").unwrap();
        std::fs::write(dir.path().join("b.pkr.hcl"), "locals {\n  = 2\n}\n").unwrap();
        let Err(d) = read(dir.path()) else {
            panic!("expected an error")
        };
        assert!(d.0[0].file.ends_with("b.pkr.hcl"), "{d}");
        assert_eq!(d.0[0].line, 2);
    }

    #[test]
    fn json_templates_get_the_upgrade_hint() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.json");
        std::fs::write(&f, "{\"builders\": []}").unwrap();
        let Err(d) = read(&f) else { panic!() };
        assert!(d.0[0].hint.as_deref().unwrap().contains("hcl2_upgrade"));
    }
}
