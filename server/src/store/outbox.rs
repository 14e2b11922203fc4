//! The webhook events an inserted answer raises, as the outbox stores them. A delivery names
//! its answer and nothing of it: the message is made when it is sent, from the answer as it
//! then stands (`webhooks::messages`), so the outbox holds no comment or address, and an
//! answer erased before its delivery is never sent.

use app::nps::Band;
use app::store::StoredResponse;

/// The events an inserted answer raises.
fn answer_events(r: &StoredResponse) -> Vec<&'static str> {
    let mut events = vec!["response.created"];
    if r.score.band() == Band::Detractor {
        events.push("detractor.received");
    }
    events
}

/// The outbox rows for inserted answers, as one JSON array for one INSERT … SELECT.
pub(crate) fn events<'a>(inserted: impl Iterator<Item = &'a StoredResponse>) -> String {
    let events: Vec<serde_json::Value> = inserted
        .flat_map(|r| {
            answer_events(r).into_iter().map(move |event| {
                let payload = serde_json::json!({"event": event, "answer": {"id": r.id}});
                serde_json::json!({
                    "org": r.org_id.simple().to_string(),
                    "answer": r.id.simple().to_string(),
                    "event": event,
                    "payload": payload.to_string(),
                })
            })
        })
        .collect();
    serde_json::Value::Array(events).to_string()
}
