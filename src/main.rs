//! The pbitsim binary: parse arguments, run, map errors to an exit code.

use clap::Parser;

fn main() {
    // An interrupted run leaves no half-written file: remove this process's temporaries.
    let _ = ctrlc::set_handler(|| {
        pbitsim::io::remove_pending_temporaries();
        std::process::exit(130);
    });
    let cli = match pbitsim::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            // A usage error: clap's message, with any overlong value shortened.
            eprint!("{}", pbitsim::cli::shorten_long_words(&error.to_string()));
            std::process::exit(error.exit_code());
        }
        Err(help_or_version) => help_or_version.exit(),
    };
    if let Err(error) = pbitsim::cli::run(cli) {
        eprintln!("error: {}", pbitsim::cli::error_message(&error));
        std::process::exit(1);
    }
}
