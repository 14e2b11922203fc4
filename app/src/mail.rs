//! Mail the server sends: replies from the follow-up inbox and members' digests. `app` knows
//! only this trait; the server's SMTP relay (`server/src/mail.rs`, lettre) implements it and
//! is put in the context when one is set up. Without one, nothing offers to send.

use crate::error::AppError;
use async_trait::async_trait;
use std::sync::Arc;

/// One message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    /// Where the recipient's answer goes (the member who wrote a reply).
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    /// An HTML alternative to `text`.
    pub html: Option<String>,
    /// A one-click unsubscribe address (`List-Unsubscribe`, RFC 8058), for mail a member
    /// asked for and may stop.
    pub unsubscribe: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The relay refused the message or could not be reached; the string says why, without
    /// the message or its recipient.
    #[error("the mail relay did not take the message: {0}")]
    Relay(String),
    /// The message cannot be sent as it stands (an address the relay cannot use).
    #[error("{0}")]
    Message(String),
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, message: Message) -> Result<(), MailError>;
}

pub type SharedMailer = Arc<dyn Mailer>;

/// Whether this server sends mail.
pub fn configured() -> bool {
    leptos::prelude::use_context::<SharedMailer>().is_some()
}

/// The server's mailer, for a form that asked to send: a refusal at `via` without one.
pub fn mailer() -> Result<FormMailer, AppError> {
    leptos::prelude::use_context::<SharedMailer>()
        .map(FormMailer)
        .ok_or_else(|| {
            AppError::invalid(
                "via",
                "this server sends no e-mail (no SMTP relay is set up): write it in your mail app",
            )
        })
}

/// The context's mailer, whose failures are what a form shows.
pub struct FormMailer(SharedMailer);

impl FormMailer {
    pub async fn send(&self, message: Message) -> Result<(), AppError> {
        self.0.send(message).await.map_err(|e| {
            tracing::warn!(error = %e, "sending mail");
            AppError::invalid(
                "via",
                "the mail server did not take it: try again, or write it in your mail app",
            )
        })
    }
}
