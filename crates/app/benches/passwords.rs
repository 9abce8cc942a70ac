//! The cost of one password hash and one verification with the maison's
//! Argon2id parameters, on this machine:
//!
//! ```sh
//! cargo bench -p maison-app --bench passwords
//! ```

use std::time::{Duration, Instant};

use maison_app::passwords::{M_COST_KIB, P_COST, T_COST, hash_password, verify_password};

const ROUNDS: usize = 25;

fn time(mut f: impl FnMut()) -> Vec<Duration> {
    let mut samples: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples
}

fn report(what: &str, samples: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<8} median {:6.1} ms   min {:6.1} ms   max {:6.1} ms   ({ROUNDS} rounds)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}

fn main() {
    println!("Argon2id m = {M_COST_KIB} KiB, t = {T_COST}, p = {P_COST}");
    let password = "Velvet orchid at midnight";
    let phc = hash_password(password).expect("hashed");
    report(
        "hash",
        &time(|| {
            hash_password(password).expect("hashed");
        }),
    );
    report(
        "verify",
        &time(|| {
            assert!(verify_password(password, &phc));
        }),
    );
}
