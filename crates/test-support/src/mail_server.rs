//! A real SMTP server on loopback for tests (mailin-embedded: a maintained SMTP server crate
//! with blocking I/O on its own threads), recording every message it accepts. It can refuse the
//! first messages with `451` (a temporary failure, which a client retries) to test retries.
//!
//! The server runs until the test process ends (mailin-embedded has no shutdown); each test
//! starts its own on a free port.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// A message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body), with quoted-printable soft line breaks
    /// and `=XX` escapes of the text parts decoded, so tests can look for words in it.
    pub data: String,
}

impl ReceivedMail {
    /// The value of the first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut lines = self
            .data
            .split("\r\n")
            .take_while(|l| !l.is_empty())
            .peekable();
        while let Some(line) = lines.next() {
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                let mut value = value.trim().to_owned();
                while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
        None
    }

    /// The first sign-off link (`…/signoff/pso_…`) in the message, path or absolute URL.
    pub fn signoff_link(&self) -> Option<String> {
        let at = self.data.find("/signoff/pso_")?;
        let start = self.data[..at]
            .rfind(|c: char| c.is_whitespace() || c == '"' || c == '>')
            .map_or(0, |i| i + 1);
        let end = at + "/signoff/pso_".len() + 64;
        self.data.get(start..end).map(str::to_owned)
    }
}

#[derive(Debug, Default)]
struct Shared {
    received: Vec<ReceivedMail>,
    to_refuse: usize,
    refused: usize,
}

#[derive(Debug, Clone)]
struct Recorder {
    shared: Arc<Mutex<Shared>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Handler for Recorder {
    // A refusal comes at RCPT TO, where greylisting servers answer 451: the client gives the
    // message up for now and closes the session cleanly.
    fn rcpt(&mut self, _to: &str) -> Response {
        let mut shared = lock(&self.shared);
        if shared.to_refuse > 0 {
            shared.to_refuse -= 1;
            shared.refused += 1;
            return response::INTERNAL_ERROR;
        }
        response::OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        lock(&self.shared).received.push(ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: decode_quoted_printable(&String::from_utf8_lossy(&self.data)),
        });
        response::OK
    }
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes (enough for tests to read the
/// text parts; base64 parts are left as they are).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An SMTP server on `127.0.0.1` and a free port, recording what it accepts.
#[derive(Debug, Clone)]
pub struct MailServer {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl MailServer {
    /// Starts a server that accepts every message.
    pub fn start() -> Self {
        Self::refusing_first(0)
    }

    /// Starts a server that answers the first `n` recipients with `451` (try again later, at
    /// `RCPT TO`) and accepts every message after them.
    pub fn refusing_first(n: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind a loopback port for the SMTP server: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the SMTP listener has no address: {e}"))
            .port();
        let shared = Arc::new(Mutex::new(Shared {
            to_refuse: n,
            ..Shared::default()
        }));
        let recorder = Recorder {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(recorder);
        server
            .with_name("smtp.pressroom.test")
            .with_num_threads(4)
            .with_tcp_listener(listener);
        if let Err(error) = server.with_ssl(SslConfig::None) {
            panic!("cannot configure the SMTP server: {error}");
        }
        std::thread::spawn(move || {
            if let Err(error) = server.serve() {
                eprintln!("the test SMTP server stopped: {error}");
            }
        });
        Self { port, shared }
    }

    /// The URL to give Pressroom's `smtp_url` (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        lock(&self.shared).received.clone()
    }

    /// How many messages were refused with `451`.
    pub fn refused(&self) -> usize {
        lock(&self.shared).refused
    }

    /// Waits up to `timeout` until at least `n` messages were accepted; returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_soft_breaks_and_escapes_are_decoded() {
        assert_eq!(
            decode_quoted_printable("Godk=C3=A4nn=\r\nande"),
            "Godkännande"
        );
        assert_eq!(decode_quoted_printable("a = b"), "a = b");
    }
}
