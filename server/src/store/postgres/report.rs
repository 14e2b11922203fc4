//! `ReportStore` on PostgreSQL: all shared (`sql::report`), but for the comment search the
//! store supplies (`PostgresStore::push_comment_search`).

crate::store::sql::report_store!(super::PostgresStore {});
