//! Secrets handed to people and programs (API tokens, session ids) are stored only as SHA-256
//! digests, so a copy of the database grants no access.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

pub const API_TOKEN_PREFIX: &str = "fw_";

pub fn sha256_hex(input: &[u8]) -> String {
    hex(&Sha256::digest(input))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes from the OS, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

/// A new API token: what to show once, and what to store.
pub fn new_api_token() -> (String, String) {
    let token = format!("{API_TOKEN_PREFIX}{}", random_hex(32));
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}
