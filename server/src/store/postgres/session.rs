//! Every statement of this role is the same on both backends: see `sql/session.rs`.

crate::store::sql::session_store!(super::PostgresStore {});
