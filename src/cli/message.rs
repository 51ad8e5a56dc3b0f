//! What the user reads when a command fails: the chain of causes on one line, with any
//! overlong token shortened (a 10 MB garbage token must not be echoed whole).

/// Longest run of non-blank characters shown whole in an error message.
pub const LONGEST_SHOWN_WORD: usize = 120;

/// The error and its causes on one line, each cause added only if its parent's text does not
/// already show it, with overlong words shortened by [`shorten_long_words`].
pub fn error_message(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
    }
    shorten_long_words(&message)
}

/// Every run of more than [`LONGEST_SHOWN_WORD`] non-blank characters becomes its first and
/// last 40 characters around `…[N characters]…`; everything else is kept as it is.
pub fn shorten_long_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let count = word.chars().count();
        if count > LONGEST_SHOWN_WORD {
            let head: String = word.chars().take(40).collect();
            let tail: String = word.chars().skip(count - 40).collect();
            out.push_str(&format!("{head}…[{count} characters]…{tail}"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_are_shortened_and_short_ones_kept() {
        let garbage = "x".repeat(10_000_000);
        let text = format!("net.cir:3: cannot read '{garbage}' as a voltage");
        let shown = shorten_long_words(&text);
        assert!(shown.len() < 300, "{} bytes", shown.len());
        assert!(shown.starts_with("net.cir:3: cannot read 'xxx"));
        assert!(shown.contains("[10000002 characters]"));
        assert!(shown.ends_with(" as a voltage"));
        let ordinary = "net.cir:3: cannot read '1.2.3f' as a capacitance";
        assert_eq!(shorten_long_words(ordinary), ordinary);
    }
}
