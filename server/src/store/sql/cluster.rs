//! `ClusterStore`: what both backends share of it (the rate-limit exchange differs).

macro_rules! cluster_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::sql::prelude::*;

            #[async_trait]
            impl ClusterStore for $store {
                $($own)*

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend)?;
                    Ok(())
                }

                async fn server_secret(&self, name: &str) -> StoreResult<String> {
                    // Racing servers may both try: the first insert wins and both read it back.
                    sqlx::query(
                        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(name)
                    .bind($crate::tokens::random_hex(32))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(backend)
                }
            }
        };
    };
}

pub(crate) use cluster_store;
