//! Build tests, one module per concern. `common` builds recipes and checks
//! that nothing is left behind.

mod access;
mod cli;
mod common;
mod failures;
mod happy;
mod image_options;
mod local;
mod network;
mod resilience;
mod reuse;
