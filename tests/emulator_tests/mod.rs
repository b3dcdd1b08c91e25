pub mod common;
mod control;
mod delays;
mod faults;
mod images;
mod ssm;
