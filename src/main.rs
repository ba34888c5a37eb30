//! The `vodplan` binary: parse, run, turn the result into an exit code; nothing else.

/// Diagnostics go to stderr, and a stderr that cannot be written (a full disk behind a
/// redirection, a closed pipe) is no reason to abandon an apply half-way: these shadow the
/// standard macros, which panic on a write error, for the whole binary.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod cli;

fn main() -> std::process::ExitCode {
    let args = match cli::args::parse(std::env::args_os()) {
        Ok(args) => args,
        Err(code) => return std::process::ExitCode::from(code),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = runtime.block_on(cli::run(args));
    if let Err(failure) = &result {
        eprintln!("{failure}");
    }
    std::process::ExitCode::from(cli::exit::code(&result))
}
