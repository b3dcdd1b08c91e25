mod common;
mod files;
mod results;
mod shell;
