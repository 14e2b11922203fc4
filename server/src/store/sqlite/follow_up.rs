//! Every statement of this role is the same on both backends: see `sql/follow_up.rs`.

crate::store::sql::follow_up_store!(super::SqliteStore {});
