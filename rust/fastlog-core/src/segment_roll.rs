//! Time-based roll of the active segment (segment.ms, segment.jitter.ms), Kafka's rule
//! (LogSegment.shouldRoll): at an append, a non-empty active segment is rolled when the time it
//! has waited exceeds segment.ms minus this segment's jitter. The time waited is measured in
//! record time when the segment has a timestamp: the incoming batches' max timestamp minus the
//! max timestamp of the segment's first batch; else in wall time since the segment was created
//! (or opened). Nothing rolls between appends, as in Kafka.
use std::time::{SystemTime, UNIX_EPOCH};

use crate::batch::{BatchHeader, HEADER_SIZE};
use crate::error::Result;
use crate::segment::Segment;

#[derive(Debug, Clone)]
pub(crate) struct SegmentClock {
    created_ms: i64,
    /// Max timestamp of the segment's first batch, read from the file on first need.
    first_batch_ts: Option<i64>,
    /// Drawn once per segment from [0, min(segment.jitter.ms, segment.ms)), as Kafka does.
    jitter_ms: i64,
}

fn random_below(bound: i64) -> i64 {
    if bound <= 0 {
        return 0;
    }
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    // splitmix64 of the clock: spreads partitions rolling at once; not for security.
    let mut z = nanos.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) % bound as u64) as i64
}

impl SegmentClock {
    /// The clock of a segment created (or opened) at `now_ms`.
    pub(crate) fn new(now_ms: i64, segment_ms: i64, segment_jitter_ms: i64) -> SegmentClock {
        SegmentClock { created_ms: now_ms, first_batch_ts: None, jitter_ms: random_below(segment_jitter_ms.min(segment_ms)) }
    }

    /// Whether appending batches whose largest timestamp is `incoming_max_ts` at `now_ms` rolls `active`.
    pub(crate) fn should_roll(&mut self, active: &Segment, now_ms: i64, incoming_max_ts: i64, segment_ms: i64) -> Result<bool> {
        if active.size == 0 || segment_ms == i64::MAX {
            return Ok(false);
        }
        if self.first_batch_ts.is_none() && active.size >= HEADER_SIZE as u64 {
            self.first_batch_ts = Some(BatchHeader::parse(&active.read_at(0, HEADER_SIZE as u64)?).max_timestamp);
        }
        let waited = match self.first_batch_ts {
            Some(t) if t >= 0 => incoming_max_ts.saturating_sub(t),
            _ => now_ms.saturating_sub(self.created_ms),
        };
        Ok(waited > segment_ms.saturating_sub(self.jitter_ms))
    }
}
