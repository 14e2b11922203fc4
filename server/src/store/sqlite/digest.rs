//! Every statement of this role is the same on both backends: see `sql/digest.rs`.

crate::store::sql::digest_store!(super::SqliteStore {});
