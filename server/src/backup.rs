//! `farewell backup --to FILE`: a consistent copy of a live SQLite database (VACUUM INTO,
//! which readers and the writer keep using meanwhile). PostgreSQL has its own tools.

use anyhow::{bail, Context};
use sqlx::Connection;
use std::path::Path;

pub async fn backup(database_url: &str, to: &Path) -> anyhow::Result<u64> {
    if !database_url.starts_with("sqlite:") {
        bail!("backup copies SQLite databases; for PostgreSQL use pg_dump or pg_basebackup");
    }
    if to.exists() {
        bail!("{} exists already; choose a new file", to.display());
    }
    let mut db = sqlx::SqliteConnection::connect(database_url)
        .await
        .context("opening the database")?;
    sqlx::query("VACUUM INTO ?")
        .bind(to.to_string_lossy().into_owned())
        .execute(&mut db)
        .await
        .context("writing the copy")?;
    Ok(std::fs::metadata(to)?.len())
}
