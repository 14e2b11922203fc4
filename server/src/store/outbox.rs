//! The webhook events an inserted answer raises, as the outbox stores them.

use app::nps::Band;
use app::store::StoredResponse;

/// The events an inserted answer raises, as the outbox stores them.
pub(crate) fn answer_events(r: &StoredResponse) -> Vec<(&'static str, String)> {
    let payload = |event: &str| {
        serde_json::json!({
            "event": event,
            "answer": {
                "id": r.id,
                "site": r.site_id,
                "survey": r.survey_id,
                "score": r.score.value(),
                "band": r.score.band().as_str(),
                "comment": r.comment,
                "language": r.language,
                "page_path": r.context.page_path.as_ref().map(|p| p.as_str()),
                "device": r.context.device.map(|d| d.as_str()),
                "country": r.context.country.as_ref().map(|c| c.as_str()),
                "received_at": r.received_at,
            }
        })
        .to_string()
    };
    let mut events = vec![("response.created", payload("response.created"))];
    if r.score.band() == Band::Detractor {
        events.push(("detractor.received", payload("detractor.received")));
    }
    events
}

/// The outbox rows for inserted answers, as one JSON array for one INSERT … SELECT.
pub(crate) fn events<'a>(inserted: impl Iterator<Item = &'a StoredResponse>) -> String {
    let events: Vec<serde_json::Value> = inserted
        .flat_map(|r| {
            answer_events(r).into_iter().map(move |(event, payload)| {
                serde_json::json!({"org": r.org_id.simple().to_string(), "event": event, "payload": payload})
            })
        })
        .collect();
    serde_json::Value::Array(events).to_string()
}
