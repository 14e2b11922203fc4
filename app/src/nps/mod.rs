//! The pure NPS core: scores, bands, summaries with their uncertainty, and the two-period test.
//!
//! No I/O and no feature gates: the browser (wasm) and the server compile the same code, so a
//! figure shown anywhere in Farewell is computed in exactly one place.

mod score;
mod stats;
mod summary;

pub use score::{Band, Score, ScoreError};
pub use stats::{normal_two_sided_p, Z_95};
pub use summary::{p_value_text, Comparison, Interval, ScoreCounts, Summary, Verdict};
