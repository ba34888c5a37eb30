//! The `vodplan` binary: parse, run, turn the result into an exit code; nothing else.

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
