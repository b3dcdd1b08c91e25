use std::process::ExitCode;

fn main() -> ExitCode {
    amibake::cli::main()
}
