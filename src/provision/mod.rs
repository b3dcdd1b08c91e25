//! Provisioning over AWS Systems Manager.
//!
//! The build calls [`wait_online`] once the instance runs, then hands the
//! provisioners to a [`ProvisionSession`]. Everything reaches the instance
//! through SSM Run Command: no SSH keys, no inbound ports, no plugin binaries.
//! See docs/provisioning.md for the design.

mod files;
mod online;
mod script;
mod session;
mod staging;
pub mod transport;

pub use online::{online_state, wait_online, OnlineState};
pub use session::ProvisionSession;
