//! Integration tests of `amibake build` and `amibake cleanup` on the emulator.

mod build_tests;
mod support;
