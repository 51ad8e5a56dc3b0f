//! Progress bars (indicatif) for long runs, hidden with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over a fixed number of units, safe to update from any thread.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` units labelled `message`; hidden when `quiet`.
    pub fn new(quiet: bool, total: u64, message: &str) -> Self {
        let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(message.to_string());
        Progress { bar }
    }

    /// Set the units done (never moves backwards).
    pub fn set(&self, done: u64) {
        if done > self.bar.position() {
            self.bar.set_position(done.min(self.bar.length().unwrap_or(done)));
        }
    }

    /// Change the total.
    pub fn set_length(&self, total: u64) {
        if self.bar.length() != Some(total) {
            self.bar.set_length(total);
        }
    }

    /// Units done so far.
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Start again from zero with a new total (a new run in a sequence of runs).
    pub fn reset(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.reset_eta();
    }

    /// Change the message shown before the bar (e.g. the current loss estimate).
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// Advance by `units`.
    pub fn inc(&self, units: u64) {
        self.bar.inc(units);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
