//! One module per subcommand. Each exposes `XArgs` (clap) and `run`, which
//! returns the process exit code.

pub mod build;
pub mod cleanup;
pub mod gc;
pub mod inspect;
pub mod validate;
