//! Every statement of this role is the same on both backends: see `sql/audit.rs`.

crate::store::sql::audit_store!(super::SqliteStore {});
