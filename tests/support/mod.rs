//! Shared support for amibake's integration tests.
//!
//! Use it from a test binary with `mod support;` and then
//! `let emu = support::Emulator::start();` (see [`emulator`]).
#![allow(dead_code)]

pub mod emulator;
pub mod signal;

#[allow(unused_imports)]
pub use emulator::{Call, Emulator, EmulatorOptions};
