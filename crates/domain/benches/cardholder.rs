//! The cost of the cardholder-name rule on this machine: an ordinary name, and
//! the hostile shapes that made the old comparison quadratic (tens of thousands
//! of short words on the card and in the surname). Names over 80 characters
//! are refused at the edge; the comparison is linear even without that limit.
//!
//! ```sh
//! cargo bench -p maison-domain --bench cardholder
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use maison_domain::cardholder::names_match;

fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let cases: Vec<(&str, String, String, String)> = vec![
        (
            "ordinary name",
            "Mrs Claire M. Dubois".into(),
            "Claire".into(),
            "Dubois".into(),
        ),
        (
            "64 KB of one-letter words, short surname",
            format!("Claire {}Dubois", "a ".repeat(32_000)),
            "Claire".into(),
            "Dubois".into(),
        ),
        (
            "64 KB card, 32 KB surname of the same words",
            "a ".repeat(32_000),
            "a".into(),
            "a ".repeat(16_000),
        ),
    ];
    for (what, card, first, last) in &cases {
        let rounds = if card.len() > 1000 { 21 } else { 10_001 };
        let took = median(rounds, || {
            black_box(names_match(
                black_box(card),
                black_box(first),
                black_box(last),
            ));
        });
        println!(
            "{what:<46} {:>9} bytes   median {:>10.1} µs",
            card.len() + first.len() + last.len(),
            took.as_secs_f64() * 1e6
        );
    }
}
