//! Image options read with Packer's rules: deregistration protection,
//! time-based copies, enhanced networking.

use amibake::recipe::{Inputs, Source};

use super::{TempRecipe, GOOD_SOURCE};

const BUILD: &str = "build {\n  sources = [\"source.amazon-ebs.web\"]\n}\n";

/// The good source with `extra` lines inside it, loaded.
fn source(extra: &str) -> Source {
    let text = GOOD_SOURCE.replace("  ami_name", &format!("{extra}\n  ami_name")) + BUILD;
    TempRecipe::new(&text)
        .load(&Inputs::default())
        .unwrap_or_else(|d| panic!("{d}"))
        .sources
        .remove(0)
}

#[test]
fn deregistration_protection_with_cooldown_implies_enabled() {
    let p = source("  deregistration_protection {\n    with_cooldown = true\n  }")
        .deregistration_protection;
    assert!(p.enabled && p.with_cooldown, "{p:?}");
    let p =
        source("  deregistration_protection {\n    enabled = true\n  }").deregistration_protection;
    assert!(p.enabled && !p.with_cooldown, "{p:?}");
    let p = source("").deregistration_protection;
    assert!(!p.enabled && !p.with_cooldown, "{p:?}");
}

#[test]
fn snapshot_copy_duration_zero_is_unset() {
    assert_eq!(
        source("  snapshot_copy_duration_minutes = 0").snapshot_copy_duration_minutes,
        None
    );
    assert_eq!(
        source("  snapshot_copy_duration_minutes = 45").snapshot_copy_duration_minutes,
        Some(45)
    );
}

#[test]
fn ena_and_sriov_support_are_read_not_ignored() {
    let s = source("  ena_support = false\n  sriov_support = true");
    assert_eq!(s.ena_support, Some(false));
    assert!(s.sriov_support);
    let s = source("");
    assert_eq!(s.ena_support, None);
    assert!(!s.sriov_support);
}
