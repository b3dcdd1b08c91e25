//! `build { sources = [...], provisioner ..., post-processor ... }`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::Span;

use super::diag::suggest;
use super::fields::Fields;
use super::loader::Loader;
use super::model::*;

/// Packer's default for a shell provisioner (there none; here SSM's
/// executionTimeout must be explicit, and half an hour bounds a stuck script).
const DEFAULT_SHELL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// AWS clamps `executionTimeout` silently to this range, so we refuse values
/// outside it instead.
const SSM_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 5..=172_800;

/// What reading a build block needs from the rest of the template.
pub(crate) struct Context<'a, 'b> {
    /// Top-level amazon-ebs sources by `amazon-ebs.NAME`.
    pub tops: &'a BTreeMap<String, &'b Block>,
    /// Their index in `sources` once read (None: they had errors); a
    /// source is read the first time a build lists it.
    pub plain: &'a mut BTreeMap<String, Option<usize>>,
    /// Sources of other builders (`googlecompute.x`).
    pub foreign: &'a BTreeSet<String>,
    pub sources: &'a mut Vec<Source>,
    /// Position of this build block (for names of merged sources).
    pub index: usize,
    /// Sources a build used (listed or filled in), for the "not used" notice.
    pub used: &'a mut Vec<String>,
}

/// `source.amazon-ebs.NAME`, `amazon-ebs.NAME` → `amazon-ebs.NAME`.
fn source_key(s: &str) -> &str {
    s.strip_prefix("source.").unwrap_or(s)
}

/// Read one build block: its sources (listed, or build-level `source` blocks
/// that fill in a top-level one), then provisioners and post-processors for
/// each source. When they read the same for every source the build stays one;
/// when they differ (`source.name` in a command) it becomes one build per
/// source, which is what Packer runs too.
pub(crate) fn read(l: &mut Loader, block: &Block, cx: &mut Context<'_, '_>) -> Vec<Build> {
    let body = super::lang::dynamic::expand(l, &block.body);
    let mut f = Fields::new(&body, "build", block.ident.span());
    let name = f.string(l, "name");
    let _ = f.string(l, "description");
    let mut sources: Vec<String> = Vec::new();
    // Sources of other builders this build names (`googlecompute.web`).
    let mut foreign: Vec<String> = Vec::new();
    let names_hint = |cx: &Context<'_, '_>| {
        let all: Vec<&str> = cx.tops.keys().map(String::as_str).collect();
        if all.is_empty() {
            "declared sources: none".to_owned()
        } else {
            format!(
                "declared sources: {}",
                all.iter()
                    .map(|k| format!("source.{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    if let Some(list) = f.string_list(l, "sources") {
        let span = f.value_span("sources");
        for s in list {
            let key = source_key(&s);
            if cx.foreign.contains(key) {
                cx.used.push(key.to_owned());
                foreign.push(key.to_owned());
                continue;
            }
            if let (Some(top), false) = (cx.tops.get(key), cx.plain.contains_key(key)) {
                let name = top.labels[1].as_str().to_owned();
                let body = super::lang::dynamic::expand(l, &top.body);
                super::set_source_context(l, &name);
                let read = super::source::read(l, name, &body, top.ident.span()).map(|s| {
                    cx.sources.push(s);
                    cx.sources.len() - 1
                });
                cx.plain.insert(key.to_owned(), read);
            }
            match cx.plain.get(key) {
                Some(Some(i)) => sources.push(cx.sources[*i].name.clone()),
                Some(None) => {} // its errors are reported already
                None => {
                    let d = l.error(span.clone(), format!("build names unknown source `{s}`"));
                    d.hint = Some(match suggest(key, cx.tops.keys().map(String::as_str)) {
                        Some(m) => format!("did you mean `source.{m}`?"),
                        None => names_hint(cx),
                    });
                }
            }
        }
    }
    for nested in f.blocks("source") {
        let [label] = nested.labels.as_slice() else {
            l.error(
                nested.ident.span(),
                "a source block inside build has one label: the source it uses",
            )
            .hint = Some("write it as source \"amazon-ebs.NAME\" { name = \"...\" }".into());
            continue;
        };
        let key = source_key(label.as_str()).to_owned();
        if cx.foreign.contains(&key) {
            cx.used.push(key.clone());
            foreign.push(key.clone());
            continue;
        }
        let Some(top) = cx.tops.get(&key) else {
            let d = l.error(
                label.span(),
                format!("build uses unknown source `{}`", label.as_str()),
            );
            d.hint = Some(match suggest(&key, cx.tops.keys().map(String::as_str)) {
                Some(m) => format!("did you mean `source.{m}`?"),
                None => names_hint(cx),
            });
            continue;
        };
        let base_name = top.labels[1].as_str().to_owned();
        cx.used.push(key.clone());
        let mut nf = Fields::of_block(nested, format!("source \"{}\" in build", label.as_str()));
        let own_name = nf.string(l, "name");
        let merged = merge(l, &top.body, &nested.body);
        let Some(merged) = merged else { continue };
        let merged = super::lang::dynamic::expand(l, &merged);
        let mut instance = own_name.clone().unwrap_or_else(|| base_name.clone());
        super::set_source_context(l, &instance);
        let Some(mut src) = super::source::read(l, instance.clone(), &merged, nested.ident.span())
        else {
            continue;
        };
        // Names are unique across the recipe: a second instance of one name
        // (two builds filling in the same source differently) is qualified
        // by its build.
        if let Some(existing) = cx.sources.iter().find(|s| s.name == instance) {
            if serde_json::to_value(existing).ok() == serde_json::to_value(&src).ok() {
                sources.push(instance);
                continue;
            }
            instance = format!(
                "{}.{instance}",
                name.clone()
                    .unwrap_or_else(|| format!("build{}", cx.index + 1))
            );
            src.name = instance.clone();
        }
        cx.sources.push(src);
        sources.push(instance);
    }
    note_foreign(l, f.span(), &foreign);
    if sources.is_empty()
        && foreign.is_empty()
        && !f.has("sources")
        && f.blocks("source").is_empty()
    {
        l.error(f.span(), "build needs `sources`").hint =
            Some("add sources = [\"source.amazon-ebs.NAME\"]".into());
    }
    if !f.blocks("hcp_packer_registry").is_empty() {
        l.warning(f.span(), "`hcp_packer_registry` is accepted and ignored: amibake publishes no HCP Packer metadata");
    }
    let provisioner_blocks = f.blocks("provisioner");
    let mut pp_blocks = f.blocks("post-processor");
    for group in f.blocks("post-processors") {
        pp_blocks.extend(group.body.get_blocks("post-processor"));
    }
    f.finish(l);

    // Provisioners and post-processors may use source.name: read them once
    // per source.
    let source_names: Vec<String> = cx.sources.iter().map(|s| s.name.clone()).collect();
    let mut per_source: Vec<(String, Vec<Provisioner>, Vec<PostProcessor>)> = Vec::new();
    let targets: Vec<String> = if sources.is_empty() {
        vec![String::new()]
    } else {
        sources.clone()
    };
    for (i, target) in targets.iter().enumerate() {
        super::set_source_context(l, target);
        // Errors are the same for every source; report them once.
        let mark = l.mark();
        let provisioners: Vec<Provisioner> = provisioner_blocks
            .iter()
            .enumerate()
            .flat_map(|(n, b)| read_provisioner(l, b, n + 1, &source_names))
            .collect();
        let post_processors: Vec<PostProcessor> = pp_blocks
            .iter()
            .enumerate()
            .filter_map(|(n, b)| read_post_processor(l, b, n + 1, &source_names))
            .collect();
        if i > 0 {
            l.diags.truncate(mark);
        }
        per_source.push((target.clone(), provisioners, post_processors));
    }
    let same = per_source.windows(2).all(|w| {
        serde_json::to_value(&w[0].1).ok() == serde_json::to_value(&w[1].1).ok()
            && serde_json::to_value(&w[0].2).ok() == serde_json::to_value(&w[1].2).ok()
    });
    if same {
        let (_, provisioners, post_processors) = per_source.swap_remove(0);
        return vec![Build {
            name,
            sources,
            foreign_sources: foreign,
            provisioners,
            post_processors,
        }];
    }
    per_source
        .into_iter()
        .enumerate()
        .map(|(i, (source, provisioners, post_processors))| Build {
            name: name.clone(),
            sources: vec![source],
            // Reported once, with the first of the per-source builds.
            foreign_sources: if i == 0 { foreign.clone() } else { Vec::new() },
            provisioners,
            post_processors,
        })
        .collect()
}

/// A build-level source block filled into its top-level source: Packer
/// merges the two and refuses a setting made in both.
fn merge(l: &mut Loader, top: &Body, over: &Body) -> Option<Body> {
    let mut out = top.clone();
    let mut ok = true;
    for s in over.iter() {
        match s {
            Structure::Attribute(a) if a.key.as_str() == "name" => {}
            Structure::Attribute(a) => {
                if top.has_attribute(a.key.as_str()) {
                    l.error(a.key.span(), format!("`{}` is already set in the top-level source", a.key.as_str()))
                        .hint = Some("a build-level source block may only set what the top-level source leaves unset (Packer's rule)".into());
                    ok = false;
                } else {
                    out.push(a.clone());
                }
            }
            Structure::Block(b) => out.push(b.clone()),
        }
    }
    ok.then_some(out)
}

/// A build that runs another builder's source: a notice now; `amibake
/// build` refuses it unless `-only`/`-except` leave it out.
fn note_foreign(l: &mut Loader, span: Option<std::ops::Range<usize>>, foreign: &[String]) {
    if foreign.is_empty() {
        return;
    }
    let list: Vec<String> = foreign.iter().map(|k| format!("`{k}`")).collect();
    l.warning(
        span,
        format!(
            "this build also runs {}, which amibake cannot build",
            list.join(", ")
        ),
    )
    .hint = Some(format!(
        "`amibake build` needs --except={} (Packer's -except works too) to build the rest",
        foreign.join(",")
    ));
}

pub(super) fn read_common(
    l: &mut Loader,
    f: &mut Fields<'_>,
    source_names: &[String],
) -> ProvisionerCommon {
    let mut c = ProvisionerCommon {
        name: f.string(l, "name"),
        pause_before: f.duration(l, "pause_before").unwrap_or_default(),
        max_retries: 0,
        only: Vec::new(),
        except: Vec::new(),
    };
    if let Some(n) = f.int(l, "max_retries") {
        if n < 0 {
            l.error(f.value_span("max_retries"), "max_retries must be 0 or more");
        }
        c.max_retries = n.max(0) as u32;
    }
    (c.only, c.except) = read_only_except(l, f, source_names);
    c
}

/// `only` and `except` of a provisioner or post-processor: source names,
/// written `NAME`, `amazon-ebs.NAME` or `source.amazon-ebs.NAME`.
pub(super) fn read_only_except(
    l: &mut Loader,
    f: &mut Fields<'_>,
    source_names: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut only = f.string_list(l, "only").unwrap_or_default();
    let mut except = f.string_list(l, "except").unwrap_or_default();
    for (attr, list) in [("only", &mut only), ("except", &mut except)] {
        for item in list.iter_mut() {
            let n = item
                .strip_prefix("source.")
                .unwrap_or(item)
                .strip_prefix("amazon-ebs.")
                .unwrap_or(item)
                .to_owned();
            if !source_names.contains(&n) {
                l.error(
                    f.value_span(attr),
                    format!("`{attr}` names unknown source `{item}`"),
                );
            }
            *item = n;
        }
    }
    (only, except)
}

/// One provisioner block; a `file` provisioner with `sources` becomes one
/// upload per source into the same directory (Packer's meaning).
fn read_provisioner(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Vec<Provisioner> {
    if super::variables::single_label(
        l,
        block,
        "provisioner",
        "provisioner \"shell\" { inline = [...] }",
    )
    .as_deref()
        == Some("file")
    {
        return read_file(l, block, position, source_names)
            .into_iter()
            .map(Provisioner::File)
            .collect();
    }
    read_one_provisioner(l, block, position, source_names)
        .into_iter()
        .collect()
}

fn read_one_provisioner(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Option<Provisioner> {
    let kind = super::variables::single_label(
        l,
        block,
        "provisioner",
        "provisioner \"shell\" { inline = [...] }",
    )?;
    match kind.as_str() {
        "shell" => read_shell(l, block, position, source_names).map(Provisioner::Shell),
        "shell-local" => super::local::read_shell_local(l, block, position, source_names)
            .map(Provisioner::ShellLocal),
        "breakpoint" => super::local::read_breakpoint(l, block, position, source_names)
            .map(Provisioner::Breakpoint),
        "powershell" | "windows-shell" | "windows-restart" => {
            l.error(block.labels[0].span(), format!("provisioner {position} (`{kind}`): Windows images are not supported yet"))
                .hint = Some("amibake builds Linux images over AWS Systems Manager; build Windows images with Packer for now".into());
            None
        }
        "ansible" | "ansible-local" => {
            l.error(block.labels[0].span(), format!("provisioner {position} (`{kind}`) is not supported yet"))
                .hint = Some("amibake runs `shell`, `file`, `shell-local` and `breakpoint` provisioners today; run the playbook from a shell provisioner".into());
            None
        }
        other => {
            l.error(block.labels[0].span(), format!("unsupported provisioner type `{other}`"))
                .hint = Some("amibake runs `shell` and `file` provisioners (over AWS Systems Manager), `shell-local` and `breakpoint`; call other tools from a shell provisioner".into());
            None
        }
    }
}

fn read_shell(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Option<ShellProvisioner> {
    let mut f = Fields::of_block(block, format!("provisioner {position} (shell)"));
    let mark = l.mark();
    let common = read_common(l, &mut f, source_names);
    let Commands { inline, scripts } = read_commands(l, &mut f, false);
    let environment_vars = read_env(l, &mut f);
    let inline_shebang = f
        .string(l, "inline_shebang")
        .unwrap_or_else(|| "/bin/sh -e".into());
    let expect_disconnect = f.bool(l, "expect_disconnect").unwrap_or(false);
    let timeout = f.duration(l, "timeout").unwrap_or(DEFAULT_SHELL_TIMEOUT);
    if f.has("timeout") && !SSM_TIMEOUT_RANGE.contains(&timeout.as_secs()) {
        l.error(f.value_span("timeout"), format!("timeout of {}s is outside 5s..48h", timeout.as_secs()))
            .hint = Some("AWS Systems Manager accepts execution timeouts from 5 seconds to 48 hours and silently uses 1 hour otherwise".into());
    }
    let valid_exit_codes = f
        .int_list(l, "valid_exit_codes")
        .map(|v| v.into_iter().map(|n| n as i32).collect())
        .unwrap_or_else(|| vec![0]);
    f.ignore(
        &[
            "execute_command",
            "remote_folder",
            "remote_file",
            "remote_path",
            "skip_clean",
            "start_retry_timeout",
            "use_env_var_file",
            "env_var_format",
            "binary",
        ],
        "amibake runs commands as root through AWS Systems Manager in its own staging directory",
    );
    f.finish(l);
    if l.errors_since(mark) {
        return None;
    }
    Some(ShellProvisioner {
        common,
        inline,
        scripts,
        environment_vars,
        inline_shebang,
        expect_disconnect,
        timeout,
        valid_exit_codes,
    })
}

/// What a shell-like provisioner runs: `inline` commands or local scripts.
pub(super) struct Commands {
    pub inline: Vec<String>,
    /// Absolute paths, checked to be readable files.
    pub scripts: Vec<PathBuf>,
}

/// Exactly one of `inline`, `script`, `scripts` (and, with `command`, the
/// deprecated single `command` of Packer's shell-local). Packer renders
/// legacy `{{ }}` in commands; they are checked now and rendered when the
/// provisioner runs (build values exist then).
pub(super) fn read_commands(l: &mut Loader, f: &mut Fields<'_>, command: bool) -> Commands {
    let mut inline = f.string_list(l, "inline");
    if command {
        if let Some(c) = f.string(l, "command") {
            inline = Some(vec![c]);
        }
    }
    let inline_span = f.value_span("inline").or_else(|| f.value_span("command"));
    let inline = inline.map(|lines| {
        lines
            .into_iter()
            .filter_map(|x| super::source::check_at_build(l, inline_span.clone(), x))
            .collect::<Vec<_>>()
    });
    let script = f.string(l, "script");
    let scripts = f.string_list(l, "scripts");
    // Presence, not successful evaluation, decides a conflict.
    let names: &[&'static str] = if command {
        &["command", "inline", "script", "scripts"]
    } else {
        &["inline", "script", "scripts"]
    };
    let given: Vec<&str> = names.iter().copied().filter(|n| f.has(n)).collect();
    if given.len() > 1 {
        let what = f.what().to_owned();
        l.error(f.value_span(given[1]), format!("`{}` and `{}` cannot both be set in {what}", given[0], given[1]))
            .hint = Some("use one: inline commands, one script, or a list of scripts (add another provisioner for the rest)".into());
    } else if given.is_empty() {
        l.error(
            f.span(),
            format!("{} needs `inline`, `script` or `scripts`", f.what()),
        );
    }
    let mut paths = Vec::new();
    let which = if script.is_some() {
        "script"
    } else {
        "scripts"
    };
    for s in script.into_iter().chain(scripts.unwrap_or_default()) {
        let path = l.resolve_path(&s);
        if let Err(e) = std::fs::File::open(&path)
            .and_then(|file| file.metadata())
            .and_then(|m| {
                if m.is_file() {
                    Ok(())
                } else {
                    Err(std::io::Error::other("not a regular file"))
                }
            })
        {
            l.error(
                f.value_span(which),
                format!("cannot read script `{}`: {e}", path.display()),
            )
            .hint = Some("script paths are relative to the recipe's directory".into());
        }
        paths.push(path);
    }
    Commands {
        inline: inline.unwrap_or_default(),
        scripts: paths,
    }
}

/// `environment_vars` (`NAME=VALUE` strings, build-time templates) then
/// `env` (a map): later entries win, so `env` overrides, as in Packer.
pub(super) fn read_env(l: &mut Loader, f: &mut Fields<'_>) -> Vec<(String, String)> {
    let mut environment_vars = Vec::new();
    let env_span = f.value_span("environment_vars");
    let env_list: Vec<String> = f
        .string_list(l, "environment_vars")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|x| super::source::check_at_build(l, env_span.clone(), x))
        .collect();
    for kv in env_list {
        match kv.split_once('=') {
            Some((k, v)) if is_env_name(k) => environment_vars.push((k.to_owned(), v.to_owned())),
            _ => {
                l.error(
                    env_span.clone(),
                    format!("environment_vars entry `{kv}` is not NAME=VALUE"),
                )
                .hint =
                    Some("names are letters, digits and _ and do not start with a digit".into());
            }
        }
    }
    let map_span = f.value_span("env");
    for (k, v) in f.string_map(l, "env").unwrap_or_default() {
        let Some(v) = super::source::check_at_build(l, map_span.clone(), v) else {
            continue;
        };
        if is_env_name(&k) {
            environment_vars.push((k, v));
        } else {
            l.error(
                f.value_span("env"),
                format!("`{k}` is not a valid environment variable name"),
            );
        }
    }
    environment_vars
}

fn read_file(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Vec<FileProvisioner> {
    let mut f = Fields::of_block(block, format!("provisioner {position} (file)"));
    let mark = l.mark();
    let common = read_common(l, &mut f, source_names);
    let sources = f.string_list(l, "sources");
    let source = f.string(l, "source");
    let content = f.string(l, "content");
    let generated = f.bool(l, "generated").unwrap_or(false);
    let destination = f
        .required_string(
            l,
            "destination",
            "add destination = \"/opt/app/config.json\"",
        )
        .and_then(|d| super::source::check_at_build(l, f.value_span("destination"), d));
    if let Some(d) = &destination {
        if !d.starts_with('/') {
            l.error(
                f.value_span("destination"),
                format!("destination `{d}` must be an absolute path"),
            )
            .hint = Some(
                "commands run as root over SSM; write the full path, e.g. /home/ec2-user/app.conf"
                    .into(),
            );
        }
    }
    if let Some(dir) = f.string(l, "direction") {
        if dir != "upload" {
            l.error(
                f.value_span("direction"),
                format!("direction `{dir}` is not supported; amibake only uploads"),
            );
        }
    }
    if let Some(list) = &sources {
        if source.is_some() || content.is_some() {
            l.error(
                f.value_span("sources"),
                "`sources` cannot be combined with `source` or `content`",
            )
            .hint = Some("list every file in `sources`".into());
        } else if list.len() > 1 && !destination.as_deref().is_some_and(|d| d.ends_with('/')) {
            l.error(
                f.value_span("destination"),
                "with several `sources` the destination must be a directory ending in `/`",
            )
            .hint = Some(
                "Packer's rule: every source lands in that directory under its own name".into(),
            );
        }
    }
    let payloads: Vec<FilePayload> = match sources {
        Some(list) if source.is_none() && content.is_none() => list
            .iter()
            .map(|s| {
                let path: PathBuf = l.resolve_path(s);
                if !generated && std::fs::metadata(&path).is_err() {
                    l.error(f.value_span("sources"), format!("cannot read `{}`: no such file or directory", path.display()))
                        .hint = Some("paths are relative to the recipe's directory; set generated = true for files made during the build".into());
                }
                FilePayload::Source(path)
            })
            .collect(),
        _ => Vec::new(),
    };
    let payload = match (source, content) {
        _ if !payloads.is_empty() => None,
        (Some(_), Some(_)) => {
            l.error(
                f.value_span("content"),
                "`source` and `content` cannot both be set in a file provisioner",
            )
            .hint =
                Some("use source for a local file or directory, content for literal text".into());
            None
        }
        (None, None) => {
            l.error(
                f.span(),
                format!("{} needs `source`, `sources` or `content`", f.what()),
            );
            None
        }
        (Some(s), None) => {
            let path: PathBuf = l.resolve_path(&s);
            if !generated && std::fs::metadata(&path).is_err() {
                l.error(f.value_span("source"), format!("cannot read `{}`: no such file or directory", path.display()))
                    .hint = Some("paths are relative to the recipe's directory; set generated = true for files made during the build".into());
            }
            Some(FilePayload::Source(path))
        }
        (None, Some(c)) => Some(FilePayload::Content(c)),
    };
    f.finish(l);
    let (Some(destination), false) = (destination, l.errors_since(mark)) else {
        return Vec::new();
    };
    payloads
        .into_iter()
        .chain(payload)
        .map(|payload| FileProvisioner {
            common: common.clone(),
            payload,
            destination: destination.clone(),
        })
        .collect()
}

fn read_post_processor(
    l: &mut Loader,
    block: &Block,
    position: usize,
    source_names: &[String],
) -> Option<PostProcessor> {
    let kind = super::variables::single_label(
        l,
        block,
        "post-processor",
        "post-processor \"manifest\" { }",
    )?;
    let mut f = Fields::of_block(block, format!("post-processor \"{kind}\""));
    let pp = match kind.as_str() {
        "manifest" => Some(PostProcessor::Manifest {
            output: PathBuf::from(
                f.string(l, "output")
                    .unwrap_or_else(|| "packer-manifest.json".into()),
            ),
            strip_path: f.bool(l, "strip_path").unwrap_or(false),
            custom_data: f.string_map(l, "custom_data").unwrap_or_default(),
        }),
        "cloudformation-parameters" => {
            let format = match f.string(l, "format").as_deref() {
                None | Some("create-stack") => CfnParamFormat::CreateStack,
                Some("deploy") => CfnParamFormat::Deploy,
                Some(other) => {
                    l.error(
                        f.value_span("format"),
                        format!("format `{other}` is not \"create-stack\" or \"deploy\""),
                    );
                    CfnParamFormat::CreateStack
                }
            };
            let region = f.string(l, "region");
            if let Some(r) = &region {
                if let Err(msg) = crate::aws::check_region(r) {
                    l.error(f.value_span("region"), msg);
                }
            }
            Some(PostProcessor::CloudformationParameters {
                output: PathBuf::from(
                    f.string(l, "output")
                        .unwrap_or_else(|| "amibake-parameters.json".into()),
                ),
                parameter_name: f
                    .string(l, "parameter_name")
                    .unwrap_or_else(|| "ImageId".into()),
                format,
                region,
            })
        }
        "ssm-parameter" => {
            let name = f.required_string(l, "name", "add name = \"/myapp/ami-id\"");
            if let Some(n) = &name {
                let first = n.trim_start_matches('/').to_ascii_lowercase();
                if first.starts_with("aws") || first.starts_with("ssm") {
                    l.error(
                        f.value_span("name"),
                        format!("SSM parameter names may not begin with `aws` or `ssm`: `{n}`"),
                    )
                    .hint =
                        Some("AWS reserves those prefixes; use a path like /myapp/ami-id".into());
                } else if !super::source::is_ssm_parameter_reference(n) || n.contains(':') {
                    l.error(
                        f.value_span("name"),
                        format!("`{n}` is not a valid SSM parameter name"),
                    )
                    .hint =
                        Some("use a path like /myapp/ami-id (letters, digits, _ . - and /)".into());
                }
            }
            let description = f.string(l, "description");
            name.map(|name| PostProcessor::SsmParameter { name, description })
        }
        "shell-local" => {
            let mark = l.mark();
            let pp =
                super::local::read_shell_local_post_processor(l, &mut f, position, source_names);
            f.finish(l);
            return pp
                .filter(|_| !l.errors_since(mark))
                .map(|p| PostProcessor::ShellLocal(Box::new(p)));
        }
        other => {
            l.error(
                block.labels[0].span(),
                format!("unsupported post-processor `{other}`"),
            )
            .hint = Some(
                "amibake has manifest, cloudformation-parameters, ssm-parameter and shell-local"
                    .into(),
            );
            return None;
        }
    };
    f.finish(l);
    pp
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
