//! The counting task: answers are stored uncounted, and every app server counts what is
//! waiting into the score aggregates a few times a second, in bulk. Reports add what is still
//! waiting, so they never lag; counting late only makes the aggregates' share of the work
//! smaller. Between counts it tags past answers with saved themes that changed.

use app::store::CountingStore;
use std::sync::Arc;
use std::time::Duration;

pub fn spawn(store: Arc<dyn CountingStore>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first count comes one interval after start, not at once: a test that counts by
        // hand (a day's interval) must not find its answers counted by a start-up tick that
        // happened to run late, after it had stored them.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = crate::store::count_waiting(store.as_ref(), usize::MAX).await {
                tracing::error!(error = %e, "counting new answers failed");
            }
            // Then a few steps of tagging past answers with changed saved themes: new answers
            // are counted first, and a walk over a large site spreads over many ticks.
            if let Err(e) = crate::store::tag_waiting(store.as_ref(), 5).await {
                tracing::error!(error = %e, "tagging past answers with saved themes failed");
            }
        }
    })
}
