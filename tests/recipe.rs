//! Recipe language tests: malformed recipes (message, line and column),
//! variable precedence, Packer compatibility, the shipped recipes and the
//! `validate` / `inspect` commands as processes.

mod recipe_tests;
