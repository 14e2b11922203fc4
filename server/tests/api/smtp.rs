//! An SMTP receiver on loopback, started by a test: it speaks just enough SMTP (no TLS, no
//! authentication) for a relay client to hand it mail, and keeps what arrives. Told to refuse,
//! it answers every message with a permanent failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as it arrived: the envelope and the data (headers and body, dot-unstuffed).
#[derive(Clone, Debug)]
pub struct Arrived {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Arrived {
    /// The data with quoted-printable undone (soft line breaks joined, `=XX` decoded): what a
    /// reader sees, for a test to search.
    pub fn decoded(&self) -> String {
        let joined = self.data.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes[i],
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (b'=', Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A header's value (the first, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }
}

#[derive(Clone, Default)]
pub struct SmtpReceiver {
    pub port: u16,
    pub arrived: Arc<Mutex<Vec<Arrived>>>,
    pub refuse: Arc<AtomicBool>,
}

impl SmtpReceiver {
    pub fn messages(&self) -> Vec<Arrived> {
        self.arrived.lock().unwrap().clone()
    }

    /// Settings that send through this receiver.
    pub fn settings(&self, s: &mut farewell::config::ServeArgs) {
        s.smtp.smtp_host = Some("127.0.0.1".into());
        s.smtp.smtp_port = Some(self.port);
        s.smtp.smtp_tls = farewell::config::SmtpTls::None;
        s.smtp.smtp_from = Some("Farewell <feedback@farewell.test>".into());
    }
}

pub async fn start_smtp() -> SmtpReceiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = SmtpReceiver {
        port: listener.local_addr().unwrap().port(),
        ..Default::default()
    };
    let shared = receiver.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let receiver = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 loopback ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), vec![]);
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-loopback\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        from = line[10..].trim().trim_matches(['<', '>']).to_string();
                        to.clear();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 go on\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            data.push_str("\r\n");
                        }
                        if receiver.refuse.load(Ordering::SeqCst) {
                            b"554 no thanks\r\n"
                        } else {
                            receiver.arrived.lock().unwrap().push(Arrived {
                                from: from.clone(),
                                to: to.clone(),
                                data,
                            });
                            b"250 kept\r\n"
                        }
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    receiver
}
