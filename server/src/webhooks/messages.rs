//! What a delivery says, made when it is sent from the answer as it then stands: Farewell's
//! signed JSON event, or a chat's incoming-webhook message. A batching webhook's burst becomes
//! one message: the JSON lists every answer; a chat reads a summary with the lowest scores.

use app::domain::WebhookFormat;
use app::nps::{Band, Score};
use app::store::AlertAnswer;

/// At most this many answers are written out in a chat's summary; the rest are counted.
const SUMMARY_SHOWN: usize = 5;
/// A comment in a chat's summary is cut to this many characters.
const SUMMARY_COMMENT_CHARS: usize = 300;

fn band(score: u8) -> Band {
    Score::try_from(score)
        .map(|s| s.band())
        .unwrap_or(Band::Detractor)
}

/// One answer as the JSON event carries it. The contact address only with the visitor's yes
/// (`AlertAnswer::contact_email` is `None` otherwise); never the respondent.
fn answer_json(a: &AlertAnswer) -> serde_json::Value {
    let mut answer = serde_json::json!({
        "id": a.id,
        "site": a.site_id,
        "survey": a.survey_id,
        "score": a.score,
        "band": band(a.score).as_str(),
        "comment": a.comment,
        "language": a.language,
        "page_path": a.page_path,
        "device": a.device,
        "country": a.country,
        "themes": a.themes,
        "received_at": a.received_at,
    });
    if let Some(email) = &a.contact_email {
        answer["contact_email"] = email.clone().into();
    }
    answer
}

/// The signed JSON body of one event.
pub fn event_json(event: &str, a: &AlertAnswer) -> String {
    serde_json::json!({"event": event, "answer": answer_json(a)}).to_string()
}

/// The signed JSON body of a batch: each event with its answer, oldest first.
pub fn batch_json(events: &[(String, AlertAnswer)]) -> String {
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|(event, a)| serde_json::json!({"event": event, "answer": answer_json(a)}))
        .collect();
    serde_json::json!({"event": "batch", "count": events.len(), "events": events}).to_string()
}

/// An invisible WORD JOINER: put after `@` it leaves no mention to find, in `~~~` no fence,
/// in `://` no link, and reads the same.
const JOIN: char = '\u{2060}';

/// Text a visitor wrote, made inert for `format`, inside code or out: Slack and Teams read
/// `<…>` and entities in the text itself; Mattermost finds mentions outside the fences it
/// knows (`~~~` among them); Teams' cards know no code blocks at all, so their markdown is
/// escaped and bare addresses are broken.
fn escape(format: WebhookFormat, text: &str) -> String {
    let text = text
        .replace('@', &format!("@{JOIN}"))
        .replace("~~~", &format!("~{JOIN}~~"));
    match format {
        WebhookFormat::Slack => text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        WebhookFormat::Teams => {
            let mut out = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '`' | '|' | '!' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            // Bare addresses become links in a card: `https://…` and `www.…` alike.
            out.replace("://", &format!(":{JOIN}//"))
                .replace("www.", &format!("www{JOIN}."))
        }
        _ => text,
    }
}

/// Inline code: a visitor's path or address can neither mention nor link in it.
fn inline(format: WebhookFormat, text: &str) -> String {
    match format {
        // A card has no code: the escaped text alone.
        WebhookFormat::Teams => escape(format, text),
        _ => format!("`{}`", escape(format, &text.replace('`', "'"))),
    }
}

/// A code block: a fence in the text would end it early.
fn block(format: WebhookFormat, text: &str) -> String {
    match format {
        WebhookFormat::Teams => format!("\n\n{}", escape(format, text).replace('\n', "\n\n")),
        _ => format!("\n```\n{}\n```", escape(format, text).replace("```", "'''")),
    }
}

/// "a detractor scored 2/10 on `/pricing` (mobile)".
fn line(format: WebhookFormat, a: &AlertAnswer) -> String {
    let mut line = format!("a {} scored {}/10", band(a.score).as_str(), a.score);
    if let Some(page) = &a.page_path {
        line.push_str(&format!(" on {}", inline(format, page)));
    }
    if let Some(device) = &a.device {
        line.push_str(&format!(" ({})", escape(format, device)));
    }
    if !a.themes.is_empty() {
        line.push_str(&format!(
            " · themes: {}",
            escape(format, &a.themes.join(", "))
        ));
    }
    line
}

fn chat(format: WebhookFormat, headline: String, text: String) -> String {
    match format {
        WebhookFormat::Teams => serde_json::json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": headline,
            "text": text,
        }),
        _ => serde_json::json!({ "text": text }),
    }
    .to_string()
}

/// Events that tell of no answer (a digest, a significant change): queued with their text
/// made, and sent as stored (signed JSON) or as that text (a chat).
pub fn is_summary(event: &str) -> bool {
    matches!(event, "digest" | "nps.changed")
}

/// A chat's message for a summary's stored payload: its `text`, made inert like a visitor's
/// (theme words come from comments).
pub fn chat_text(format: WebhookFormat, payload: &str) -> String {
    let text = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|p| p["text"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let headline = text.lines().nth(1).unwrap_or("Farewell").to_string();
    chat(format, escape(format, &headline), escape(format, &text))
}

/// A chat's message for one answer: what was answered, where and on what, the comment as a
/// code block, and the contact address (only with consent) as inline code, so nothing a
/// visitor wrote can mention a channel, link or format (`<!channel>`, `@all`, `[x](…)`).
pub fn chat_one(format: WebhookFormat, a: &AlertAnswer) -> String {
    let headline = format!("Farewell: {}", line(format, a));
    let mut text = headline.clone();
    if let Some(email) = &a.contact_email {
        text.push_str(&format!(
            "\nAgreed to be contacted: {}",
            inline(format, email)
        ));
    }
    if let Some(comment) = a.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        text.push_str(&block(format, comment));
    }
    chat(format, headline, text)
}

/// A chat's one message for a burst of answers (each answer once, whatever events it raised):
/// the count by band, then the lowest scores written out, the rest counted.
pub fn chat_summary(
    format: WebhookFormat,
    events: &[(String, AlertAnswer)],
    minutes: u16,
) -> String {
    let mut answers: Vec<&AlertAnswer> = vec![];
    for (_, a) in events {
        if !answers.iter().any(|seen| seen.id == a.id) {
            answers.push(a);
        }
    }
    if let [one] = answers.as_slice() {
        return chat_one(format, one);
    }
    let count = |b: Band| answers.iter().filter(|a| band(a.score) == b).count();
    let headline = format!(
        "Farewell: {} answers in the last {minutes} min: {} detractors, {} passives, {} promoters",
        answers.len(),
        count(Band::Detractor),
        count(Band::Passive),
        count(Band::Promoter),
    );
    let mut text = headline.clone();
    answers.sort_by_key(|a| (a.score, std::cmp::Reverse(a.received_at)));
    for a in answers.iter().take(SUMMARY_SHOWN) {
        text.push_str(&format!("\n• {}", line(format, a)));
        if let Some(email) = &a.contact_email {
            text.push_str(&format!(
                ", agreed to be contacted: {}",
                inline(format, email)
            ));
        }
        if let Some(comment) = a.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            let mut cut: String = comment.chars().take(SUMMARY_COMMENT_CHARS).collect();
            if cut.len() < comment.len() {
                cut.push('…');
            }
            text.push_str(&block(format, &cut));
        }
    }
    if answers.len() > SUMMARY_SHOWN {
        text.push_str(&format!(
            "\n…and {} more in the dashboard.",
            answers.len() - SUMMARY_SHOWN
        ));
    }
    chat(format, headline, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn answer(score: u8, page: &str, comment: Option<&str>) -> AlertAnswer {
        AlertAnswer {
            id: Uuid::new_v4(),
            site_id: Uuid::nil(),
            survey_id: Uuid::nil(),
            score,
            comment: comment.map(str::to_owned),
            language: Some("en".into()),
            page_path: Some(page.into()),
            device: Some("mobile".into()),
            country: None,
            received_at: chrono::Utc::now(),
            themes: vec![],
            contact_email: None,
            finished: true,
            counted: true,
            in_segment: true,
        }
    }

    fn text(body: &str) -> String {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_chat_message_names_the_answer_and_keeps_the_comment_inert() {
        let a = answer(
            2,
            "/pricing",
            Some("<!channel> @all [win](https://evil.example) ``` & done"),
        );
        assert_eq!(
            text(&chat_one(WebhookFormat::Slack, &a)),
            "Farewell: a detractor scored 2/10 on `/pricing` (mobile)\n```\n&lt;!channel&gt; @\u{2060}all [win](https://evil.example) ''' &amp; done\n```"
        );
        assert_eq!(
            text(&chat_one(WebhookFormat::Mattermost, &a)),
            "Farewell: a detractor scored 2/10 on `/pricing` (mobile)\n```\n<!channel> @\u{2060}all [win](https://evil.example) ''' & done\n```"
        );
        // Mattermost's other fence cannot close the block, nor its mention escape it.
        let fenced = answer(1, "/", Some("~~~\n@channel"));
        assert!(text(&chat_one(WebhookFormat::Mattermost, &fenced))
            .ends_with("```\n~\u{2060}~~\n@\u{2060}channel\n```"));
        let teams: serde_json::Value =
            serde_json::from_str(&chat_one(WebhookFormat::Teams, &a)).unwrap();
        assert_eq!(teams["@type"], "MessageCard");
        assert_eq!(
            teams["summary"],
            "Farewell: a detractor scored 2/10 on /pricing (mobile)"
        );
        // A card has no code blocks: its markdown is escaped and addresses broken.
        let bare = answer(1, "/", Some("see www.evil.example now"));
        let bare: serde_json::Value =
            serde_json::from_str(&chat_one(WebhookFormat::Teams, &bare)).unwrap();
        assert!(bare["text"]
            .as_str()
            .unwrap()
            .ends_with("see www\u{2060}.evil.example now"));
        assert_eq!(
            teams["text"],
            "Farewell: a detractor scored 2/10 on /pricing (mobile)\n\n&lt;\\!channel&gt; @\u{2060}all \\[win\\]\\(https:\u{2060}//evil.example\\) \\`\\`\\` &amp; done"
        );
        // The page is the visitor's to write too: it stays inline code, its fence broken.
        let hostile = answer(0, "/ @channel [Verify](https://evil.example)`x", None);
        assert_eq!(
            text(&chat_one(WebhookFormat::Mattermost, &hostile)),
            "Farewell: a detractor scored 0/10 on `/ @\u{2060}channel [Verify](https://evil.example)'x` (mobile)"
        );
    }

    #[test]
    fn the_contact_address_goes_out_only_when_the_answer_carries_it() {
        let mut a = answer(3, "/", Some("call me"));
        let json: serde_json::Value =
            serde_json::from_str(&event_json("response.created", &a)).unwrap();
        assert!(json["answer"].get("contact_email").is_none());
        assert!(!text(&chat_one(WebhookFormat::Slack, &a)).contains("contacted"));
        a.contact_email = Some("ann@example.com".into());
        let json: serde_json::Value =
            serde_json::from_str(&event_json("response.created", &a)).unwrap();
        assert_eq!(json["answer"]["contact_email"], "ann@example.com");
        assert!(text(&chat_one(WebhookFormat::Slack, &a))
            .contains("Agreed to be contacted: `ann@\u{2060}example.com`"));
    }

    #[test]
    fn a_burst_is_one_summary_with_the_lowest_scores_first() {
        let mut events = vec![];
        for (score, page) in [
            (9, "/a"),
            (1, "/b"),
            (7, "/c"),
            (4, "/d"),
            (10, "/e"),
            (0, "/f"),
            (2, "/g"),
        ] {
            let a = answer(score, page, Some(&"x".repeat(400)));
            events.push(("response.created".to_string(), a.clone()));
            if score <= 6 {
                events.push(("detractor.received".to_string(), a));
            }
        }
        let summary = text(&chat_summary(WebhookFormat::Mattermost, &events, 10));
        let lines: Vec<&str> = summary.lines().filter(|l| l.starts_with('•')).collect();
        assert!(
            summary.starts_with(
                "Farewell: 7 answers in the last 10 min: 4 detractors, 1 passives, 2 promoters"
            ),
            "{summary}"
        );
        assert_eq!(lines.len(), 5);
        assert!(
            lines[0].contains("0/10") && lines[1].contains("1/10") && lines[4].contains("7/10")
        );
        assert!(summary.ends_with("…and 2 more in the dashboard."));
        // Comments are cut.
        assert!(summary.contains(&format!("{}…", "x".repeat(300))));
        assert!(!summary.contains(&"x".repeat(301)));
        // The JSON batch keeps every event.
        let json: serde_json::Value = serde_json::from_str(&batch_json(&events)).unwrap();
        assert_eq!(json["count"], 11);
        // One answer alone reads as itself.
        assert!(text(&chat_summary(WebhookFormat::Slack, &events[..1], 10))
            .starts_with("Farewell: a promoter scored 9/10"));
    }
}
