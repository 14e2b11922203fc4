//! Every statement of this role is the same on both backends: see `sql/account.rs`.

crate::store::sql::account_store!(super::PostgresStore {});
