//! Proves, through the Rust SDK, every behaviour the emulator adds on top of moto
//! (issue 3). Each test starts its own emulator (see tests/support/emulator.rs).

mod support;

#[path = "emulator_tests/mod.rs"]
mod emulator_tests;
