//! Hashing and verifying client passwords: Argon2id with the OWASP Password
//! Storage Cheat Sheet's first configuration (m = 19 MiB, t = 2, p = 1), a
//! 16-byte random salt from the operating system's RNG, stored as a PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! Every function here is CPU- and memory-heavy on purpose (some 20-30 ms and
//! 19 MiB per call in a release build): never call one on an async worker
//! thread. Callers run them in `tokio::task::spawn_blocking`, e.g.
//!
//! ```text
//! let phc = tokio::task::spawn_blocking(move || passwords::hash_password(&password)).await??;
//! let ok = tokio::task::spawn_blocking(move || passwords::verify_password(&password, &phc)).await?;
//! ```
//!
//! The rules a new password must meet are `maison_domain::password`'s; check
//! them before hashing.

use std::hint::black_box;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use maison_domain::password::MAX_BYTES;

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
/// Number of passes.
pub const T_COST: u32 = 2;
/// Degree of parallelism.
pub const P_COST: u32 = 1;

/// The start of every PHC string [`hash_password`] writes.
pub const PHC_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

const PARAMS: Params = match Params::new(M_COST_KIB, T_COST, P_COST, None) {
    Ok(params) => params,
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// The most memory (KiB), passes and lanes a stored hash may ask of a
/// verification: room to raise the costs later, but a tampered row cannot
/// make one login allocate gigabytes or run for minutes.
const MAX_M_COST_KIB: u32 = 256 * 1024;
const MAX_T_COST: u32 = 10;
const MAX_P_COST: u32 = 4;

/// A hash of a random password nobody knows, made with the parameters above,
/// so that [`dummy_verify`] costs exactly what a real verification costs.
/// Remake it whenever the parameters change (a test checks the prefix).
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$ppp1VTUQjPPTYij7aOjMNQ$VXFSE3JhYRBfRfi91TodJQZLnGZV3+0zCmVLTh5E2yM";

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    /// Longer than `maison_domain::password::MAX_BYTES`; the domain's check
    /// refuses such passwords first.
    #[error("the password is longer than {MAX_BYTES} bytes")]
    TooLong,
    /// The OS RNG or Argon2 failed (e.g. out of memory).
    #[error("the password could not be hashed: {0}")]
    Hashing(argon2::password_hash::Error),
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// Hashes a new password with a fresh random salt, returning its PHC string.
///
/// CPU-heavy: call it inside `tokio::task::spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordHashError::TooLong);
    }
    let hash: PasswordHash = hasher()
        .hash_password(password.as_bytes())
        .map_err(PasswordHashError::Hashing)?;
    Ok(hash.to_string())
}

/// Whether `password` is the one hashed in `phc`. The comparison of the
/// outputs is constant-time (the crate's `Output` equality). A malformed PHC
/// string, another algorithm than Argon2id, costs beyond the caps above, or a
/// password over `MAX_BYTES` give `false`.
///
/// CPU-heavy: call it inside `tokio::task::spawn_blocking`.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    if hash.algorithm.as_str() != argon2::ARGON2ID_IDENT.as_str() {
        return false;
    }
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB
        || params.t_cost() > MAX_T_COST
        || params.p_cost() > MAX_P_COST
    {
        return false;
    }
    hasher().verify_password(password.as_bytes(), &hash).is_ok()
}

/// Spends the time of one verification against a fixed hash, and answers
/// nothing: call it when the e-mail address matches no account, so that an
/// unknown account takes as long as a wrong password (ASVS 6.3.x).
///
/// CPU-heavy: call it inside `tokio::task::spawn_blocking`.
pub fn dummy_verify(password: &str) {
    black_box(verify_password(black_box(password), DUMMY_PHC));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(password: &str) -> String {
        match hash_password(password) {
            Ok(phc) => phc,
            Err(error) => panic!("hashing failed: {error}"),
        }
    }

    #[test]
    fn a_hashed_password_verifies_against_its_hash() {
        let phc = hash("the emerald sleeps in velvet");
        assert!(verify_password("the emerald sleeps in velvet", &phc));
    }

    #[test]
    fn a_wrong_password_does_not_verify() {
        let phc = hash("the emerald sleeps in velvet");
        assert!(!verify_password("the emerald sleeps in silk", &phc));
        assert!(!verify_password("The emerald sleeps in velvet", &phc));
        assert!(!verify_password("", &phc));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let first = hash("the emerald sleeps in velvet");
        let second = hash("the emerald sleeps in velvet");
        assert_ne!(first, second);
        assert!(verify_password("the emerald sleeps in velvet", &second));
    }

    #[test]
    fn the_phc_string_names_argon2id_and_the_owasp_costs() {
        let phc = hash("💍 accents é and emoji 💎");
        assert!(phc.starts_with(PHC_PREFIX), "{phc}");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        // 16-byte salt (22 B64 characters) and 32-byte output (43).
        let rest = &phc[PHC_PREFIX.len()..];
        let (salt, output) = rest.split_once('$').unwrap_or_default();
        assert_eq!((salt.len(), output.len()), (22, 43), "{phc}");
        assert!(verify_password("💍 accents é and emoji 💎", &phc));
    }

    #[test]
    fn a_malformed_phc_string_gives_false() {
        let phc = hash("the emerald sleeps in velvet");
        let truncated = &phc[..phc.len() - 5];
        for bad in [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            truncated,
            "$2b$12$abcdefghijklmnopqrstuuOv6wCbMhyAQI1BnBwoGJ5sZ3dU2iNyq",
        ] {
            assert!(
                !verify_password("the emerald sleeps in velvet", bad),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_hash_of_another_argon2_variant_or_beyond_the_cost_caps_gives_false() {
        let phc = hash("the emerald sleeps in velvet");
        let argon2i = phc.replacen("$argon2id$", "$argon2i$", 1);
        assert!(!verify_password("the emerald sleeps in velvet", &argon2i));
        let greedy = phc.replacen("m=19456", "m=4194304", 1);
        assert!(!verify_password("the emerald sleeps in velvet", &greedy));
    }

    #[test]
    fn a_password_over_the_byte_cap_is_neither_hashed_nor_verified() {
        let long = "x".repeat(MAX_BYTES + 1);
        assert!(matches!(
            hash_password(&long),
            Err(PasswordHashError::TooLong)
        ));
        assert!(!verify_password(&long, DUMMY_PHC));
    }

    #[test]
    fn the_dummy_hash_is_well_formed_with_the_current_costs() {
        assert!(DUMMY_PHC.starts_with(PHC_PREFIX));
        let Ok(hash) = PasswordHash::new(DUMMY_PHC) else {
            panic!("the dummy PHC string does not parse");
        };
        assert!(hash.salt.is_some() && hash.hash.is_some());
        assert!(!verify_password("the emerald sleeps in velvet", DUMMY_PHC));
        dummy_verify("the emerald sleeps in velvet");
    }
}
