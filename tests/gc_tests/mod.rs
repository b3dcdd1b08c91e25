mod harness;

mod apply;
mod cli;
mod in_use;
mod policy;
mod selection;
