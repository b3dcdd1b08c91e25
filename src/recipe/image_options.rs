//! Image options of `amazon-ebs` read apart from the rest of the source
//! (blocks and checks of their own).

use hcl::edit::Span;

use super::fields::Fields;
use super::loader::Loader;
use super::model::DeregistrationProtection;

/// `deregistration_protection { enabled = bool, with_cooldown = bool }`
/// (one block; `with_cooldown` implies `enabled`, as in Packer).
pub(crate) fn deregistration_protection(
    l: &mut Loader,
    f: &mut Fields<'_>,
) -> DeregistrationProtection {
    let blocks = f.blocks("deregistration_protection");
    if blocks.len() > 1 {
        l.error(
            blocks[1].ident.span(),
            "only one deregistration_protection block is allowed",
        );
    }
    let Some(block) = blocks.first() else {
        return DeregistrationProtection::default();
    };
    let mut bf = Fields::of_block(block, "deregistration_protection");
    let enabled = bf.bool(l, "enabled").unwrap_or(false);
    let with_cooldown = bf.bool(l, "with_cooldown").unwrap_or(false);
    bf.finish(l);
    DeregistrationProtection {
        enabled: enabled || with_cooldown,
        with_cooldown,
    }
}

/// `snapshot_copy_duration_minutes`: 0 is unset, as in Packer (which sends
/// only a positive value); otherwise AWS's rule for a time-based copy,
/// 15 to 2880 minutes in steps of 15, checked now rather than after the
/// build has run.
pub(crate) fn snapshot_copy_duration(l: &mut Loader, f: &mut Fields<'_>) -> Option<i64> {
    let name = "snapshot_copy_duration_minutes";
    let minutes = f.int(l, name)?;
    if minutes == 0 {
        return None;
    }
    if !(15..=2880).contains(&minutes) || minutes % 15 != 0 {
        l.error(
            f.value_span(name),
            format!(
                "{name} = {minutes}: a time-based copy takes 15 to 2880 minutes, in steps of 15"
            ),
        )
        .hint = Some(
            "use a multiple of 15 between 15 and 2880, or 0 / leave it out for AWS's best effort"
                .into(),
        );
        return None;
    }
    Some(minutes)
}
