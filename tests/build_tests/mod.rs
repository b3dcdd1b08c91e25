//! Build tests, one module per concern. `common` builds recipes and checks
//! that nothing is left behind.

mod cli;
mod common;
mod failures;
mod happy;
mod image_options;
mod network;
mod resilience;
mod reuse;
