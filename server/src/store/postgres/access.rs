//! Every statement of this role is the same on both backends: see `sql/access.rs`.

crate::store::sql::access_store!(super::PostgresStore {});
