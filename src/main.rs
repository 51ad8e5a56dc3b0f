//! The pbitsim binary: parse arguments, run, map errors to an exit code.

use clap::Parser;

fn main() {
    // An interrupted run leaves no half-written file: remove this process's temporaries.
    let _ = ctrlc::set_handler(|| {
        pbitsim::io::remove_pending_temporaries();
        std::process::exit(130);
    });
    let cli = pbitsim::cli::Cli::parse();
    if let Err(error) = pbitsim::cli::run(cli) {
        // Print the chain of causes, skipping a cause whose text its parent already shows.
        let mut message = error.to_string();
        for cause in error.chain().skip(1) {
            let text = cause.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
        }
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
