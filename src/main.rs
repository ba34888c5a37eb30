//! The `vodplan` binary: parse, run, print a failure, exit as `cli::exit` decides; nothing else.

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
        Err(code) => return code.into(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let result = Err(cli::exit::Failure::new(
                cli::exit::Kind::System,
                format!("cannot start the async runtime: {e}"),
            )
            .caused_by(e));
            if let Err(failure) = &result {
                eprintln!("{failure}");
            }
            return cli::exit::exit_code(&result);
        }
    };
    let result = runtime.block_on(cli::run(args));
    if let Err(failure) = &result {
        eprintln!("{failure}");
    }
    cli::exit::exit_code(&result)
}
