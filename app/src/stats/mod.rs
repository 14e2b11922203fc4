//! Statistics beyond the NPS itself, pure like it (no I/O; builds for the browser too):
//! comment themes by weighted log-odds, drivers by ridge regression with robust errors, NPS
//! corrected for non-response by inverse propensity weights; which saved themes a comment holds.

pub mod drivers;
pub mod tagging;
pub mod themes;
pub mod weights;

/// A deterministic stream of numbers in [0, 1) for the simulations in tests (no randomness
/// crate in the core): a 64-bit linear congruential generator, Knuth's constants.
#[cfg(test)]
pub(crate) struct Lcg(pub u64);

#[cfg(test)]
impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
