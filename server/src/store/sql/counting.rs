//! `CountingStore`: what both backends share of it (claiming answers to count differs).

macro_rules! counting_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl CountingStore for $store {
                $($own)*

                async fn uncounted_answers(&self) -> StoreResult<u64> {
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uncounted_answers")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(n.max(0) as u64)
                }
            }
        };
    };
}

pub(crate) use counting_store;
