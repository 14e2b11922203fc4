//! Statistics beyond the NPS itself, pure like it (no I/O; builds for the browser too):
//! comment themes by weighted log-odds.

pub mod themes;
