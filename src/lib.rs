//! amibake: bake immutable Amazon Machine Images from HCL recipes.
//!
//! The crate is a library plus a thin binary (`src/main.rs`) so that tests can
//! drive every layer directly. Data flows one way:
//!
//! `recipe` (HCL → resolved [`recipe::Recipe`]) → `commands::*` (one module per
//! subcommand) → `build` / `provision` / `gc` (AWS work through the real SDK,
//! configured by [`aws`]) → `ui` (progress on stderr, results on stdout).

pub mod aws;
pub mod build;
pub mod cli;
pub mod commands;
pub mod duration;
pub mod error;
pub mod gc;
pub mod interrupt;
pub mod poll;
pub mod provision;
pub mod recipe;
pub mod ui;

pub use error::{Error, Result};
