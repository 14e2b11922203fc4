//! Score counts per segment, and segments ranked by how much they move the overall NPS.

use super::MIN_ANSWERS;
use crate::nps::{ScoreCounts, Summary};
use serde::{Deserialize, Serialize};

/// One value of a dimension with its answers in the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentCounts {
    pub value: String,
    pub counts: ScoreCounts,
}

/// A segment with how much it moves the overall NPS.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedSegment {
    pub value: String,
    pub summary: Summary,
    /// Share of all answers × (segment NPS − overall NPS), in NPS points: how many points the
    /// overall figure would move if this segment answered like everyone else.
    pub impact: f64,
}

impl RankedSegment {
    pub fn too_few(&self) -> bool {
        self.summary.n() < MIN_ANSWERS
    }
}

/// Segments sorted by |impact|, largest first; ties by size, then value, so the order is stable.
/// `overall` holds all the answers the segments split: their sum, but for a dimension whose
/// segments overlap (themes).
pub fn rank_segments(segments: &[SegmentCounts], overall: &ScoreCounts) -> Vec<RankedSegment> {
    let overall = overall.summary();
    let (total, overall_nps) = (overall.n() as f64, overall.nps().unwrap_or(0.0));
    let mut ranked: Vec<RankedSegment> = segments
        .iter()
        .filter(|s| s.counts.n() > 0)
        .map(|s| {
            let summary = s.counts.summary();
            let share = summary.n() as f64 / total;
            RankedSegment {
                value: s.value.clone(),
                impact: share * (summary.nps().unwrap_or(overall_nps) - overall_nps),
                summary,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.impact
            .abs()
            .total_cmp(&a.impact.abs())
            .then(b.summary.n().cmp(&a.summary.n()))
            .then(a.value.cmp(&b.value))
    });
    ranked
}
