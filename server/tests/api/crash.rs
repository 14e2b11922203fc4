//! `kill -9` during a load: every answer the server acknowledged is in the database after a
//! restart, exactly once. Runs the real `farewell` binary as a child process.

use crate::helpers::{fresh_database, Backend};
use serde_json::json;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The server process, killed when dropped: a failed assertion must not leave it running.
struct Server(Child);

impl Server {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start_server(database_url: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_farewell"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("FAREWELL_CLIENT_RATE", "1000000")
        .env("FAREWELL_CLIENT_BURST", "1000000")
        .env("FAREWELL_SITE_RATE", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start farewell");
    Server(child)
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "farewell did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn crash_case(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let demo = {
        let out = Command::new(env!("CARGO_BIN_EXE_farewell"))
            .args(["demo", "--json", "--password", "crash test password"])
            .env("DATABASE_URL", &database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let site = demo["site_key"].as_str().unwrap().to_string();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_server(&database_url, port);
    let client = reqwest::Client::builder()
        .timeout(crate::helpers::REQUEST_TIMEOUT)
        .build()
        .unwrap();
    wait_healthy(&client, &base).await;

    // Eight writers post as fast as they can; every 201/200 is remembered.
    let acknowledged = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let stop = Instant::now() + Duration::from_secs(3);
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (client, base, site, acknowledged) = (
                client.clone(),
                base.clone(),
                site.clone(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                while Instant::now() < stop {
                    let id = Uuid::new_v4();
                    let sent = client
                        .post(format!("{base}/api/v1/responses"))
                        .json(&json!({"id": id, "site": site, "score": 7}))
                        .send()
                        .await;
                    if let Ok(r) = sent {
                        if r.status().is_success() {
                            acknowledged.lock().unwrap().push(id);
                        }
                    }
                }
            })
        })
        .collect();
    // Let the load build up, then kill without warning.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "the load was too light to mean anything: {}",
        acknowledged.len()
    );

    let mut restarted = start_server(&database_url, port);
    wait_healthy(&client, &base).await;
    let stored: Vec<Uuid> = match backend {
        Backend::Sqlite => {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&database_url)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT id FROM responses")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&database_url)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT id FROM responses")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    };
    let unique: HashSet<Uuid> = stored.iter().copied().collect();
    assert_eq!(unique.len(), stored.len(), "an answer is stored twice");
    let lost: Vec<&Uuid> = acknowledged
        .iter()
        .filter(|id| !unique.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged answers lost",
        lost.len(),
        acknowledged.len()
    );
    // Answers whose acknowledgement the crash cut off may be stored too; that is what the
    // client's retry with the same id is for.
    for id in acknowledged.iter().take(20) {
        // Resending an acknowledged answer finds it stored.
        let again = client
            .post(format!("{base}/api/v1/responses"))
            .json(&json!({"id": id, "site": site, "score": 7}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200, "acknowledged answer {id} was lost");
    }
    restarted.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_answers_survive_kill_9_sqlite() {
    crash_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_answers_survive_kill_9_postgres() {
    crash_case(Backend::Postgres).await;
}
