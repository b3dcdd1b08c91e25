//! Provisioning over AWS Systems Manager.
//!
//! The build calls [`wait_online`] once the instance runs, then hands the
//! provisioners to a [`ProvisionSession`]. Everything reaches the instance
//! through SSM Run Command: no SSH keys, no inbound ports, no plugin binaries.
//! `shell-local` and `breakpoint` run on this machine instead ([`local`],
//! [`breakpoint`]). See docs/provisioning.md for the design.

pub mod breakpoint;
mod files;
pub mod local;
mod online;
mod script;
mod session;
mod staging;
pub mod transport;

pub use online::{online_state, wait_online, OnlineState};
pub use session::{packer_env, ProvisionSession};
