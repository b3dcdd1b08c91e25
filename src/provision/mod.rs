//! Provisioning over AWS Systems Manager.
//!
//! The build calls [`wait_online`] once the instance runs, then hands the
//! provisioners to a provisioning session (see the provisioning module docs
//! once written). Everything reaches the instance through SSM Run Command:
//! no SSH keys, no inbound ports, no plugin binaries.

mod online;
// TEMPORARY until branch `provision` lands; see the file's doc comment.
mod session_temporary;

pub use online::{wait_online, OnlineState};
pub use session_temporary::ProvisionSession;
