//! Values that exist only once a build runs, and the strings that wait for
//! them.
//!
//! Packer renders some `amazon-ebs` fields at build time with its legacy
//! template engine (`ami_description`, `tags`, `run_tags`, `run_volume_tags`,
//! `snapshot_tags`, `spot_tags`, `fleet_tags` and their `*_tag` blocks: the
//! plugin's `InterpolateFilter.Exclude` list), so `{{ .SourceAMIName }}` there
//! becomes the real source image's name. amibake does the same: those fields
//! keep their text, checked at load ([`legacy::parse`]), and are rendered by
//! the build from a [`legacy::LegacyContext`] filled by the source-image
//! step. HCL's `build.*` values read as the equivalent legacy template
//! ([`BUILD_FIELDS`]), so both spellings meet in one renderer.

pub mod legacy;

/// `build.NAME` → the legacy template that renders it during the build.
/// Connection values of SSH/WinRM builds exist here only as empty strings
/// (amibake connects over Systems Manager).
pub const BUILD_FIELDS: &[(&str, &str)] = &[
    ("BuildRegion", "{{ .BuildRegion }}"),
    ("ConnType", "{{ build `ConnType` }}"),
    ("Host", "{{ build `Host` }}"),
    ("ID", "{{ build `ID` }}"),
    ("PackerHTTPAddr", "{{ build `PackerHTTPAddr` }}"),
    ("PackerHTTPIP", "{{ build `PackerHTTPIP` }}"),
    ("PackerHTTPPort", "{{ build `PackerHTTPPort` }}"),
    ("PackerRunUUID", "{{ build `PackerRunUUID` }}"),
    ("Password", "{{ build `Password` }}"),
    ("Port", "{{ build `Port` }}"),
    ("SSHPrivateKey", "{{ build `SSHPrivateKey` }}"),
    ("SSHPublicKey", "{{ build `SSHPublicKey` }}"),
    ("SourceAMI", "{{ .SourceAMI }}"),
    ("SourceAMICreationDate", "{{ .SourceAMICreationDate }}"),
    ("SourceAMIName", "{{ .SourceAMIName }}"),
    ("SourceAMIOwner", "{{ .SourceAMIOwner }}"),
    ("SourceAMIOwnerName", "{{ .SourceAMIOwnerName }}"),
    ("User", "{{ build `User` }}"),
    ("WinRMPassword", "{{ build `WinRMPassword` }}"),
];

/// Render a string checked at load (a legacy template, or `build.*` read as
/// one) with the values a running build knows; text without `{{` is itself.
pub fn render_text(text: &str, ctx: &legacy::LegacyContext) -> Result<String, String> {
    if !text.contains("{{") {
        return Ok(text.to_owned());
    }
    legacy::parse(text)
        .map_err(|e| e.message)
        .and_then(|t| t.render(ctx))
}

/// The `build` values a running build knows, for `{{ build `X` }}`.
pub fn build_vars(
    build_id: &str,
    run_id: &str,
    user: &str,
    instance_id: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut m: std::collections::BTreeMap<String, String> = BUILD_FIELDS
        .iter()
        .filter(|(_, t)| t.starts_with("{{ build"))
        .map(|(k, _)| (k.to_string(), String::new()))
        .collect();
    m.insert("ID".into(), build_id.to_owned());
    m.insert("PackerRunUUID".into(), run_id.to_owned());
    m.insert("User".into(), user.to_owned());
    m.insert("Host".into(), instance_id.to_owned());
    m.insert("ConnType".into(), "ssm".into());
    m
}
