//! Statistics beyond the NPS itself, pure like it (no I/O; builds for the browser too):
//! comment themes by weighted log-odds, drivers by ridge regression with robust errors.

pub mod drivers;
pub mod themes;
