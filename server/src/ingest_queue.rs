//! Group commit: answers arriving together are written in one transaction. Each request still
//! waits for its own answer's commit before it is acknowledged, so an acknowledged answer is
//! always durable; under load, one commit serves hundreds of answers.

use app::store::{
    InsertOutcome, ResponseSink, SharedStore, StoreError, StoreResult, StoredResponse,
};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

type Pending = (StoredResponse, oneshot::Sender<StoreResult<InsertOutcome>>);

/// The most answers one transaction takes.
const MAX_BATCH: usize = 512;
/// Answers waiting beyond this make new requests wait for room (back-pressure, not loss).
const QUEUE_CAPACITY: usize = 8192;

#[derive(Clone)]
pub struct GroupCommit {
    sender: mpsc::Sender<Pending>,
    stats: Arc<QueueStats>,
}

#[derive(Default, Debug)]
pub struct QueueStats {
    pub batches: AtomicU64,
    pub answers: AtomicU64,
}

impl GroupCommit {
    /// Starts the writer task. It ends when every `GroupCommit` clone is dropped and the queue
    /// has been drained, which is what graceful shutdown waits for.
    pub fn start(store: SharedStore, writers: usize) -> (GroupCommit, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let stats = Arc::new(QueueStats::default());
        let tasks: Vec<_> = (0..writers)
            .map(|_| {
                tokio::spawn(write_batches(
                    store.clone(),
                    receiver.clone(),
                    stats.clone(),
                ))
            })
            .collect();
        let writer = tokio::spawn(async move {
            for t in tasks {
                let _ = t.await;
            }
        });
        (GroupCommit { sender, stats }, writer)
    }

    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }

    /// Answers waiting for a writer.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}

async fn write_batches(
    store: SharedStore,
    receiver: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
    stats: Arc<QueueStats>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    // Waits for one answer, then takes whatever else is already waiting: no timer, so a lone
    // answer is written at once and a crowd shares a commit. With several writers, one waits
    // for the queue while the others write.
    loop {
        let taken = receiver.lock().await.recv_many(&mut batch, MAX_BATCH).await;
        if taken == 0 {
            break;
        }
        let (rows, replies): (Vec<StoredResponse>, Vec<_>) = batch.drain(..).unzip();
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .answers
            .fetch_add(rows.len() as u64, Ordering::Relaxed);
        match store.insert_responses(&rows).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, answers = rows.len(), "group commit failed");
                // Each waiting answer gets the same kind of error: "unavailable" stays that,
                // so its sender is told to retry rather than that the answer was wrong.
                for reply in replies {
                    let _ = reply.send(Err(match &e {
                        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
                        other => StoreError::Backend(other.to_string().into()),
                    }));
                }
            }
        }
    }
}

#[async_trait]
impl ResponseSink for GroupCommit {
    async fn insert(&self, response: StoredResponse) -> StoreResult<InsertOutcome> {
        let (reply, outcome) = oneshot::channel();
        self.sender
            .send((response, reply))
            .await
            .map_err(|_| StoreError::Backend("the ingest queue has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Backend("the ingest queue dropped an answer".into()))?
    }
}
