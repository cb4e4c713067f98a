//! Bounded request summaries for slow-call logs (a 10,000-id edit must not become a 1 MB line).

use std::fmt::{self, Write};

struct Bounded {
    text: String,
    limit: usize,
}

impl Write for Bounded {
    fn write_str(&mut self, part: &str) -> fmt::Result {
        let room = self.limit.saturating_sub(self.text.len());
        if part.len() <= room {
            self.text.push_str(part);
            Ok(())
        } else {
            let mut cut = room;
            while !part.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&part[..cut]);
            // Stops the formatter early: the rest of the value is never rendered.
            Err(fmt::Error)
        }
    }
}

/// `{:?}` of a value, cut at `limit` bytes with an ellipsis; formatting stops at the cut.
pub fn bounded_debug(value: &impl fmt::Debug, limit: usize) -> String {
    let mut out = Bounded {
        text: String::new(),
        limit,
    };
    if write!(out, "{value:?}").is_err() {
        out.text.push('…');
    }
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_whole() {
        assert_eq!(bounded_debug(&vec![1, 2], 100), "[1, 2]");
    }

    #[test]
    fn long_values_are_cut() {
        let ids: Vec<String> = (0..10_000).map(|id| id.to_string()).collect();
        let text = bounded_debug(&ids, 50);
        assert!(text.len() <= 50 + '…'.len_utf8());
        assert!(text.ends_with('…'));
    }
}
