//! The `amazon-ebs` options amibake accepts for Packer compatibility and
//! ignores, with why: one table, read by the source reader (one notice per
//! source names the ones present) and rendered into docs/recipes.md (a test
//! keeps the two equal). A pattern ending in `*` is a family (`ssh_*`).

use super::fields::Fields;

pub struct Ignored {
    pub pattern: &'static str,
    pub why: &'static str,
}

const SSH: &str = "amibake provisions over AWS Systems Manager, so SSH settings have no effect";
const VALIDATION: &str = "amibake validates regions and credentials itself before launching";

pub static SOURCE: &[Ignored] = &[
    Ignored { pattern: "ssh_*", why: SSH },
    Ignored { pattern: "winrm_*", why: SSH },
    Ignored { pattern: "temporary_key_pair_*", why: SSH },
    Ignored { pattern: "pause_before_connecting", why: SSH },
    Ignored { pattern: "pause_before_ssm", why: SSH },
    Ignored { pattern: "session_manager_port", why: SSH },
    Ignored { pattern: "windows_password_timeout", why: SSH },
    Ignored {
        pattern: "temporary_security_group_source_*",
        why: "amibake's temporary security group has no inbound rule at all",
    },
    Ignored { pattern: "skip_region_validation", why: VALIDATION },
    Ignored { pattern: "skip_metadata_api_check", why: VALIDATION },
    Ignored { pattern: "skip_profile_validation", why: VALIDATION },
    Ignored {
        pattern: "shutdown_behavior",
        why: "amibake stops and terminates the instance itself",
    },
    Ignored {
        pattern: "disable_stop_instance",
        why: "amibake stops the instance itself before imaging",
    },
    Ignored {
        pattern: "temporary_iam_instance_profile_policy_document",
        why: "the temporary instance profile gets AmazonSSMManagedInstanceCore only; pass iam_instance_profile for more",
    },
];

/// Register every row of `table` with the reader.
pub(crate) fn apply(f: &mut Fields<'_>, table: &'static [Ignored]) {
    for row in table {
        match row.pattern.strip_suffix('*') {
            Some(prefix) => f.ignore_prefix(prefix, row.why),
            None => f.ignore(std::slice::from_ref(&row.pattern), row.why),
        }
    }
}

/// The table as docs/recipes.md shows it.
pub fn docs_table() -> String {
    let mut out = String::from("| option | why it has no effect |\n|---|---|\n");
    for row in SOURCE {
        out.push_str(&format!("| `{}` | {} |\n", row.pattern, row.why));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_list_exactly_the_ignored_options() {
        crate::recipe::lang::functions::tests::check_docs_section(
            "ignored-options",
            &super::docs_table(),
        );
    }
}
