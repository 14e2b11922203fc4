//! CSV: cells a spreadsheet cannot read as formulas, quoted so no separator splits them, and the
//! export's rows.

use super::Verbatim;

/// Makes a spreadsheet cell inert: a cell starting with `= + - @` (or a tab/CR that some
/// programs skip) would be read as a formula, so it gets a leading apostrophe.
pub fn neutralise_cell(text: &str) -> String {
    if starts_a_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Whether a spreadsheet could read `text` as a formula: a formula sign first, also after
/// leading spaces (some programs trim them) and in its full-width form, or a leading control.
pub(super) fn starts_a_formula(text: &str) -> bool {
    const SIGNS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
    match text.chars().next() {
        Some('\t' | '\r' | '\n') => true,
        _ => text.trim_start().starts_with(SIGNS),
    }
}

/// One CSV field: neutralised, and always quoted, so no separator a spreadsheet may choose
/// (`,` or the `;` of Finnish, Swedish and German Excel) can split it.
pub fn csv_field(text: &str) -> String {
    format!("\"{}\"", neutralise_cell(text).replace('"', "\"\""))
}

/// The export's columns.
pub const CSV_HEADER: &str = "id,received_at,local_time,survey_id,score,band,comment,language,\
page_path,device,browser,country,trigger,referrer,contact_email,tags,themes,pages_viewed,\
seconds_on_site,errors_seen,reason,attributes\r\n";

/// An answer's exit reason: exports are written on the server, the only build that reads it.
fn reason_of(v: &Verbatim) -> String {
    #[cfg(feature = "ssr")]
    return v.reason.clone().unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    {
        let _ = v;
        String::new()
    }
}

/// An answer's attributes as `plan=pro;tier=gold` (server only, as the reason).
fn attributes_of(v: &Verbatim) -> String {
    #[cfg(feature = "ssr")]
    return v
        .attributes
        .iter()
        .map(|(k, value)| format!("{}={value}", k.as_str()))
        .collect::<Vec<_>>()
        .join(";");
    #[cfg(not(feature = "ssr"))]
    {
        let _ = v;
        String::new()
    }
}

/// One answer as an export row.
pub fn csv_row(v: &Verbatim) -> String {
    let fields = [
        v.id.to_string(),
        v.received_at.to_rfc3339(),
        v.local_time.clone(),
        v.survey_id.to_string(),
        v.score.to_string(),
        v.band().as_str().to_string(),
        v.comment.clone().unwrap_or_default(),
        v.language.clone().unwrap_or_default(),
        v.page_path.clone().unwrap_or_default(),
        v.device.clone().unwrap_or_default(),
        v.browser.clone().unwrap_or_default(),
        v.country.clone().unwrap_or_default(),
        v.trigger.clone().unwrap_or_default(),
        v.referrer.clone().unwrap_or_default(),
        v.contact_email.clone().unwrap_or_default(),
        v.tags.join(";"),
        v.themes.join(";"),
        v.pages_viewed.map(|n| n.to_string()).unwrap_or_default(),
        v.seconds_on_site.map(|n| n.to_string()).unwrap_or_default(),
        v.errors_seen.map(|n| n.to_string()).unwrap_or_default(),
        reason_of(v),
        attributes_of(v),
    ];
    let mut row = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    row.push_str("\r\n");
    row
}
