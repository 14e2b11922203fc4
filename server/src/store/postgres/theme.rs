//! Every statement of this role is the same on both backends: see `sql/theme.rs` (the lock
//! that holds a site's themes still is this backend's `lock_themes_to_change`).

crate::store::sql::theme_store!(super::PostgresStore {});
