//! `ReportStore` on SQLite: all shared (`sql::report`), but for the comment search the store
//! supplies (`SqliteStore::push_comment_search`).

crate::store::sql::report_store!(super::SqliteStore {});
