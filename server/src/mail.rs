//! The SMTP relay (lettre) behind `app::mail::Mailer`: inbox replies and members' digests.
//! Nothing here logs a recipient, a subject or a body.

use crate::config::{SmtpArgs, SmtpTls};
use anyhow::{bail, Context};
use app::mail::{MailError, Mailer, Message};
use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// The relay the settings name; `None` without a host. Refuses settings that would send a
    /// password in the clear or mail from no one.
    pub fn from_settings(args: &SmtpArgs) -> anyhow::Result<Option<SmtpMailer>> {
        let Some(host) = args
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let from: Mailbox = args
            .smtp_from
            .as_deref()
            .context("--smtp-from (FAREWELL_SMTP_FROM) is needed with --smtp-host")?
            .parse()
            .context("--smtp-from is not a mailbox like \"Farewell <feedback@example.com>\"")?;
        let credentials = match (&args.smtp_username, &args.smtp_password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            (None, None) => None,
            _ => bail!("--smtp-username and --smtp-password go together"),
        };
        if credentials.is_some() && args.smtp_tls == SmtpTls::None {
            bail!(
                "--smtp-tls none would send the relay's password in the clear: use starttls or tls"
            );
        }
        let (builder, default_port) = match args.smtp_tls {
            SmtpTls::Starttls => (
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                587,
            ),
            SmtpTls::Tls => (AsyncSmtpTransport::<Tokio1Executor>::relay(host)?, 465),
            SmtpTls::None => (
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                25,
            ),
        };
        let mut builder = builder
            .port(args.smtp_port.unwrap_or(default_port))
            .timeout(Some(Duration::from_secs(15)));
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Some(SmtpMailer {
            transport: builder.build(),
            from,
        }))
    }
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the mail client may stop
/// it with one POST, without a page.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

fn mailbox(field: &str, address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|_| MailError::Message(format!("the {field} address cannot be mailed to")))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), MailError> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(mailbox("recipient's", &message.to)?)
            .subject(message.subject);
        if let Some(reply_to) = &message.reply_to {
            builder = builder.reply_to(mailbox("reply-to", reply_to)?);
        }
        if let Some(link) = &message.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{link}>")))
                .header(ListUnsubscribePost);
        }
        let built = match message.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(message.text, html)),
            None => builder.header(ContentType::TEXT_PLAIN).body(message.text),
        }
        .map_err(|e| MailError::Message(e.to_string()))?;
        self.transport
            .send(built)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Relay(describe(&e)))
    }
}

/// What went wrong, without what the relay said: its words may quote the recipient.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let code = e.status().map(|c| format!(" ({c})")).unwrap_or_default();
    let kind = if e.is_permanent() {
        "refused for good"
    } else if e.is_transient() {
        "refused for now"
    } else if e.is_timeout() {
        "no answer in time"
    } else if e.is_tls() {
        "TLS failed"
    } else if e.is_client() {
        "the message could not be sent as it is"
    } else {
        "could not be reached"
    };
    format!("{kind}{code}")
}
