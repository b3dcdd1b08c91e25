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
