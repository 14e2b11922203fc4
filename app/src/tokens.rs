//! Secrets handed to people and programs (API tokens, session ids) are stored only as SHA-256
//! digests, so a copy of the database grants no access.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

pub const API_TOKEN_PREFIX: &str = "fw_";
pub const INVITATION_PREFIX: &str = "inv_";
pub const SHARE_PREFIX: &str = "sh_";

/// What the server keeps of a user or account id a site passed (`kind`: `user` or
/// `account`): HMAC-SHA256 keyed by the site's own secret, hex. The id itself is never stored;
/// the same id gives another hash on another site, so hashes cannot be joined across sites,
/// and without the secret a hash cannot be tested against guessed ids.
pub fn identity_hash(site_secret: &str, kind: &str, id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<Sha256>::new_from_slice(site_secret.as_bytes()).expect("HMAC takes any key");
    mac.update(kind.as_bytes());
    mac.update(b":");
    mac.update(id.as_bytes());
    hex(&mac.finalize().into_bytes())
}

pub fn sha256_hex(input: &[u8]) -> String {
    hex(&Sha256::digest(input))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
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

/// A new invitation link token: what goes in the link, and what to store.
pub fn new_invitation_token() -> (String, String) {
    let token = format!("{INVITATION_PREFIX}{}", random_hex(24));
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

/// A new share link token (160 random bits): what goes in the link, and what to store.
pub fn new_share_token() -> (String, String) {
    let token = format!("{SHARE_PREFIX}{}", random_hex(20));
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_matches_the_formatter() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&bytes), expected);
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
