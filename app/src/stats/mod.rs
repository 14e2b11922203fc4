//! Statistics beyond the NPS itself, pure like it (no I/O; builds for the browser too):
//! comment themes by weighted log-odds, drivers by ridge regression with robust errors, NPS
//! corrected for non-response by inverse propensity weights.

pub mod drivers;
pub mod themes;
pub mod weights;
