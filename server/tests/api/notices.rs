use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    published_notice_versions_cannot_be_changed_or_deleted,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let v2 = app
            .store
            .publish_notice(demo.organisation_id, "en", "Second text")
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            v2.content_hash,
            farewell::tokens::sha256_hex(b"Second text")
        );
        let attempts = [
            "UPDATE privacy_notices SET body = 'rewritten'",
            "DELETE FROM privacy_notices",
        ];
        for sql in attempts {
            let refused = match app.backend() {
                Backend::Sqlite => sqlx::query(sql)
                    .execute(&mut app.raw_sqlite().await)
                    .await
                    .err(),
                Backend::Postgres => sqlx::query(sql)
                    .execute(&mut app.raw_postgres().await)
                    .await
                    .err(),
            };
            let message = refused
                .unwrap_or_else(|| panic!("{sql} was allowed"))
                .to_string();
            assert!(message.contains("immutable"), "{message}");
        }
        let still = app
            .store
            .notice_version(demo.organisation_id, 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still.body, "Second text");
        if app.backend() == Backend::Postgres {
            let truncate = sqlx::query("TRUNCATE privacy_notices CASCADE")
                .execute(&mut app.raw_postgres().await)
                .await;
            assert!(truncate.is_err(), "TRUNCATE was allowed");
        }
    }
);

both_backends!(
    the_notice_page_shows_the_exact_text_and_hash,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let notice = app
            .public_site(&demo.site_key)
            .await
            .current_notice
            .unwrap();
        let response = app.get(&format!("/notice/{}", notice.id)).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("Privacy notice, version 1"), "{html}");
        assert!(html.contains(&notice.content_hash));
        assert!(html.contains("We never store your IP address"));
        assert_eq!(
            app.get(&format!("/notice/{}", uuid::Uuid::new_v4()))
                .await
                .status(),
            404
        );
    }
);

both_backends!(
    what_answers_refer_to_cannot_be_deleted,
    |app: TestApp| async move {
        let demo = app.seed_with(3).await;
        let site = app.public_site(&demo.site_key).await;
        let survey = site.default_survey.clone().unwrap().id;
        let deletes = [
            ("surveys", survey),
            ("sites", site.site.id),
            ("organisations", demo.organisation_id),
        ];
        for (table, id) in deletes {
            let sql = format!("DELETE FROM {table} WHERE id = $1");
            let refused = match app.backend() {
                Backend::Sqlite => sqlx::query(&sql.replace("$1", "?"))
                    .bind(id)
                    .execute(&mut app.raw_sqlite().await)
                    .await
                    .err(),
                Backend::Postgres => sqlx::query(&sql)
                    .bind(id)
                    .execute(&mut app.raw_postgres().await)
                    .await
                    .err(),
            };
            let message = refused
                .unwrap_or_else(|| panic!("deleting from {table} was allowed"))
                .to_string();
            // SQLite keeps its foreign keys; PostgreSQL guards deletes with a trigger instead.
            let expected = match app.backend() {
                Backend::Sqlite => "FOREIGN KEY constraint failed",
                Backend::Postgres => "answers still refer to",
            };
            assert!(message.contains(expected), "{table}: {message}");
        }
        // Nothing was deleted: the site still resolves and its answers still count.
        let still = app
            .store
            .public_site(&crate::helpers::site_key(&demo.site_key))
            .await
            .unwrap();
        assert!(still.is_some());
    }
);

// Publishing reads the latest version, then writes the next. While answers are being stored
// and counted (other connections committing all the time), that must still succeed: on SQLite
// a transaction that reads first and writes later fails outright if another connection
// committed in between, unless it takes the write lock at its start.
both_backends!(
    notices_publish_while_answers_are_stored,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let answering = {
            let (client, url) = (app.client.clone(), app.url("/api/v1/responses"));
            let (stop, site) = (stop.clone(), demo.site_key.clone());
            tokio::spawn(async move {
                let mut stored = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let body = serde_json::json!({
                        "id": uuid::Uuid::new_v4(), "site": site, "score": stored % 11
                    });
                    let response = client.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(response.status().as_u16(), 201);
                    stored += 1;
                }
                stored
            })
        };
        for version in 2..=40 {
            let notice = app
                .store
                .publish_notice(demo.organisation_id, "en", &format!("Text {version}"))
                .await
                .unwrap();
            assert_eq!(notice.version, version);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(answering.await.unwrap() > 0);
    }
);
