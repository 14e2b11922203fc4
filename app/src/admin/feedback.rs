//! What an administration form tells its user: a refusal beside the field it is about, in
//! plain words; a success message where the action was taken, announced to screen readers;
//! and a question before anything that cannot be undone.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A reason as a sentence: "must be a number" becomes "Must be a number." A reason that starts
/// with what was typed ("https://x/y is not an origin") keeps it as typed.
pub fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    let first_word = reason.split(' ').next().unwrap_or_default();
    let mut chars = reason.chars();
    let mut out: String = match chars.next() {
        None => return String::new(),
        Some(first) if first_word.chars().all(char::is_alphabetic) => {
            first.to_uppercase().chain(chars).collect()
        }
        Some(_) => reason.to_string(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// What an action last answered, without its output: all the feedback needs, and not generic,
/// so each kind of action adds one small closure to the bundle rather than a copy of the views.
type Outcome = Signal<Option<Result<(), AppError>>>;

/// Only what this page dispatched: an action also starts with the error a `?__err=` in the
/// address names, which anyone can put in a link, so that is never shown. A form sent without
/// the script has its outcome put back into the page by the server (`plain_form`).
fn outcome_of<S>(action: ServerAction<S>) -> Outcome
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        if action.version().get() == 0 {
            return None;
        }
        action.value().with(|v| {
            v.as_ref()
                .map(|r| r.as_ref().map(|_| ()).map_err(Clone::clone))
        })
    })
}

/// One action's feedback. Fields that show their own error are named with `at`; `rest` shows
/// every other failure (a hidden field, "not found", "forbidden") where the form is.
#[derive(Clone, Copy)]
pub struct Feedback {
    outcome: Outcome,
    fields: StoredValue<Vec<String>>,
    /// For one of several forms sharing an action: whether this form was the one used.
    mine: Signal<bool>,
}

impl Feedback {
    pub fn new<S>(action: ServerAction<S>) -> Self
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        Feedback {
            outcome: outcome_of(action),
            fields: StoredValue::new(vec![]),
            mine: Signal::stored(true),
        }
    }

    /// Feedback for the one of several forms sharing `action` whose input `is_mine` accepts:
    /// a refusal of one site's form shows at that site only.
    pub fn for_form<S>(
        action: ServerAction<S>,
        is_mine: impl Fn(&S) -> bool + Send + Sync + 'static,
    ) -> Self
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        // Until a dispatch says otherwise, every form shows what the action answered (only a
        // dispatch from this page: `outcome_of`).
        let mine = RwSignal::new(true);
        Effect::new(move |_| {
            action.input().with(|input| {
                if let Some(input) = input {
                    mine.set(is_mine(input));
                }
            })
        });
        Feedback {
            outcome: outcome_of(action),
            fields: StoredValue::new(vec![]),
            mine: mine.into(),
        }
    }

    /// The refusal of `field`, under its input. The input keeps what was typed: the section
    /// reloads only on success (`successes`).
    /// `field` is the name the server function's error gives (`texts.fi.title` for a survey's
    /// Finnish title).
    pub fn at(&self, field: impl Into<String>) -> impl IntoView {
        let field: String = field.into();
        self.fields
            .update_value(|fields| fields.push(field.clone()));
        let (outcome, mine) = (self.outcome, self.mine);
        move || {
            if !mine.get() {
                return None;
            }
            outcome.with(|v| match v {
                Some(Err(AppError::Invalid(e))) if e.field == field => Some(view! {
                    <span class="field-error" role="alert" data-field=field.clone()>{sentence(&e.reason)}</span>
                }),
                _ => None,
            })
        }
    }

    /// Whether this form's last refusal names a field under `prefix` (`texts.fi.`): a folded
    /// part of the form that holds it opens.
    pub fn refuses(&self, prefix: &str) -> bool {
        self.mine.get()
            && self.outcome.with(
                |v| matches!(v, Some(Err(AppError::Invalid(e))) if e.field.starts_with(prefix)),
            )
    }

    /// Every failure that no field shows.
    pub fn rest(&self) -> impl IntoView {
        let (outcome, fields, mine) = (self.outcome, self.fields, self.mine);
        move || {
            if !mine.get() {
                return None;
            }
            let message = outcome.with(|v| match v {
                Some(Err(AppError::Invalid(e))) if fields.with_value(|f| f.contains(&e.field)) => {
                    None
                }
                Some(Err(AppError::Invalid(e))) => Some(sentence(&e.reason)),
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            })?;
            Some(view! { <p class="error" role="alert">{message}</p> })
        }
    }

    /// `message` once the action succeeded, in a live region that is always in the page (a
    /// region that appears with its text is not announced by every screen reader).
    pub fn saved(&self, message: &'static str) -> impl IntoView {
        let (outcome, mine) = (self.outcome, self.mine);
        view! {
            <span class="saved" role="status">
                {move || (mine.get() && outcome.with(|v| matches!(v, Some(Ok(_))))).then_some(message)}
            </span>
        }
    }
}

/// Grows each time the action succeeds, not when it is refused: what a section reloads on, so a
/// refused form is not rendered anew and keeps what was typed.
pub fn successes<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let count = StoredValue::new(0usize);
    Memo::new(move |_| {
        // The value is set at every completion, so this runs once per completion.
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            count.update_value(|n| *n += 1);
        }
        count.get_value()
    })
}

/// A destructive submit button that asks first: the first press opens the question, only the
/// second acts. A `<details>`, so it asks before the page's script has loaded too, and the
/// keyboard reaches both steps. Goes inside the form it submits.
#[component]
pub fn Confirm(
    /// What the button says: "Remove", "Revoke".
    label: &'static str,
    /// The question, naming what is lost: "Remove ann@example.com from Acme?"
    question: String,
) -> impl IntoView {
    let details = NodeRef::<leptos::html::Details>::new();
    let cancel = move |_| {
        if let Some(d) = details.get() {
            let _ = d.remove_attribute("open");
        }
    };
    view! {
        <details class="confirm" node_ref=details>
            <summary class="danger-link">{label}</summary>
            <span class="question">{question}</span>
            " "
            <button type="submit" class="danger">{format!("Yes, {}", label.to_lowercase())}</button>
            " "
            <button type="button" class="link" on:click=cancel>"Cancel"</button>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn a_reason_reads_as_a_sentence() {
        assert_eq!(sentence("must be a number"), "Must be a number.");
        assert_eq!(
            sentence("Wrong e-mail or password."),
            "Wrong e-mail or password."
        );
        assert_eq!(sentence("  "), "");
        assert_eq!(sentence("ärger"), "Ärger.");
        assert_eq!(
            sentence("https://a.example/b is not an origin"),
            "https://a.example/b is not an origin."
        );
    }
}
