//! The command line as a person and a script see it: long work draws a progress bar with the
//! time left on a terminal, and nothing but its output on a pipe.

use crate::helpers::{fresh_database, Backend};
use std::process::Command;

const FAREWELL: &str = env!("CARGO_BIN_EXE_farewell");

#[tokio::test]
async fn a_long_demo_shows_its_progress_on_a_terminal_and_stays_quiet_on_a_pipe() {
    let (piped_db, _dir) = fresh_database(Backend::Sqlite).await;
    let piped = Command::new(FAREWELL)
        .args(["demo", "--json", "--responses", "20000"])
        .env("DATABASE_URL", &piped_db)
        .env("RUST_LOG", "warn")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    assert!(!stderr.contains("left"), "no bar in a pipe: {stderr}");
    let created: serde_json::Value = serde_json::from_slice(&piped.stdout).expect("only JSON");
    assert_eq!(created["responses"], 20000);

    // util-linux's `script` runs the command on a pseudo-terminal, as a person's shell would.
    let (tty_db, _dir) = fresh_database(Backend::Sqlite).await;
    let on_terminal = Command::new("script")
        .args([
            "-qec",
            &format!("{FAREWELL} demo --responses 20000"),
            "/dev/null",
        ])
        .env("DATABASE_URL", &tty_db)
        .env("RUST_LOG", "warn")
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs");
    let shown = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(on_terminal.status.success(), "{shown}");
    assert!(
        shown.contains("answers") && shown.contains("/20,000") && shown.contains(" left"),
        "a bar with the count and the time left: {shown}"
    );
    assert!(shown.contains("Demo organisation created."), "{shown}");
}
