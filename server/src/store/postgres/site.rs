//! Every statement of this role is the same on both backends: see `sql/site.rs`.

crate::store::sql::site_store!(super::PostgresStore {});
