//! `vodplan schema` and `vodplan completions`: documents generated from the definitions.

use super::exit::{Exit, Failure};

pub fn schema() -> Result<Exit, Failure> {
    print!("{}", vodplan::manifest::schema::manifest_schema());
    Ok(Exit::Success)
}

pub fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    clap_complete::generate(
        shell,
        &mut super::args::command(),
        "vodplan",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}
