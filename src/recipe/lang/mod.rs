//! HCL2 as Packer evaluates it: values (with unknown-until-build as a
//! first-class value), type constraints, the expression evaluator, and the
//! function library. Knows no Packer block except through the scope it is
//! given; the readers in `schema`-like modules above it decide what blocks
//! mean.

pub mod dynamic;
pub mod eval;
pub mod files;
pub mod functions;
pub mod types;
pub mod value;

pub use eval::{EvalError, Evaluator, Scope};
pub use functions::FnCtx;
pub use value::{Type, Value};
