//! Provisioning over SSM against the emulator in execute mode: commands
//! really run (under bubblewrap) in the instance's own filesystem.

mod provision_tests;
mod support;
