//! `amibake gc` against the emulator (issue 6): every scenario asserts
//! exactly which images (and snapshots) remain. Each test starts its own
//! emulator (tests/support/emulator.rs).

mod support;

#[path = "gc_tests/mod.rs"]
mod gc_tests;
