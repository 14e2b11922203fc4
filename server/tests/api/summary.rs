use crate::both_backends;
use crate::helpers::{json, TestApp};
use app::domain::{ConsentChoices, NewResponse, UsageContext};
use app::ingest::record_response;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

async fn answer_at(app: &TestApp, site_key: &str, score: u8, at: DateTime<Utc>) {
    let answer = NewResponse {
        id: Uuid::new_v4(),
        site_key: site_key.to_string(),
        survey: None,
        score: score.try_into().unwrap(),
        comment: None,
        language: None,
        notice_version: None,
        choices: ConsentChoices::improvement_program(),
        context: UsageContext::default(),
        respondent: None,
        contact_email: None,
        edit_secret: None,
        reason: None,
        identification: Default::default(),
        attributes: Default::default(),
    };
    let sink = app::store::Direct(app.store.clone());
    let site = app::ingest::find_site(app.store.as_ref(), site_key)
        .await
        .unwrap();
    record_response(app.store.as_ref(), &sink, &site, answer, at)
        .await
        .unwrap();
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

both_backends!(
    summary_reports_nps_with_its_interval,
    |app: TestApp| async move {
        let demo = app.seed().await;
        // 5 promoters, 3 passives, 2 detractors: NPS 30, var 0.61, SE 100·sqrt(0.061) = 24.698…
        for score in [9, 10, 9, 10, 9, 7, 8, 7, 0, 6] {
            let r = app
                .post_response(
                    &json!({"id": Uuid::new_v4(), "site": demo.site_key, "score": score}),
                )
                .await;
            assert_eq!(r.status(), 201);
        }
        let response = app.summary(&demo.site_key, Some(&demo.api_token), "").await;
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        assert_eq!(body["n"], 10);
        assert_eq!(
            (
                body["promoters"].clone(),
                body["passives"].clone(),
                body["detractors"].clone()
            ),
            (json!(5), json!(3), json!(2))
        );
        assert!(close(&body["nps"], 30.0), "{body}");
        assert!(
            close(&body["se"], 100.0 * (0.61f64 / 10.0).sqrt()),
            "{body}"
        );
        let expected = app::nps::Summary::new(5, 3, 2)
            .adjusted_wald_ci95()
            .unwrap();
        assert!(
            close(&body["ci95"][0], expected.lo) && close(&body["ci95"][1], expected.hi),
            "{body}"
        );
    }
);

both_backends!(
    summary_without_answers_has_no_figures,
    |app: TestApp| async move {
        let demo = app.seed().await;
        let body = json(app.summary(&demo.site_key, Some(&demo.api_token), "").await).await;
        assert_eq!(
            body,
            json!({"n": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": null, "se": null, "ci95": null})
        );
    }
);

both_backends!(summary_honours_the_date_range, |app: TestApp| async move {
    let demo = app.seed().await;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    answer_at(&app, &demo.site_key, 10, day(1, 0)).await; // exactly at `from`: included
    answer_at(&app, &demo.site_key, 0, day(2, 23)).await; // last hour of the `to` date: included
    answer_at(&app, &demo.site_key, 5, day(3, 0)).await; // the day after: excluded
    answer_at(
        &app,
        &demo.site_key,
        9,
        Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 59).unwrap(),
    )
    .await; // before: excluded

    let body = json(
        app.summary(
            &demo.site_key,
            Some(&demo.api_token),
            "?from=2026-03-01&to=2026-03-02",
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            body["n"].clone(),
            body["promoters"].clone(),
            body["detractors"].clone()
        ),
        (json!(2), json!(1), json!(1)),
        "{body}"
    );

    let instants = json(
        app.summary(
            &demo.site_key,
            Some(&demo.api_token),
            "?from=2026-03-02T23:00:00Z&to=2026-03-03T00:00:00Z",
        )
        .await,
    )
    .await;
    assert_eq!(
        instants["n"], 1,
        "an RFC 3339 `to` is exclusive: {instants}"
    );

    // Whole quarter hours come from the aggregates, the ends to the millisecond from the
    // answers: each bound moved by a millisecond takes in or leaves out its end's answer.
    for (query, n) in [
        (
            "?from=2026-02-28T23:59:58.500Z&to=2026-03-02T23:00:00.001Z",
            3,
        ),
        (
            "?from=2026-02-28T23:59:59.001Z&to=2026-03-02T23:00:00.001Z",
            2,
        ),
        ("?from=2026-02-28T23:59:59.001Z&to=2026-03-02T23:00:00Z", 1),
        ("?from=2026-02-28T23:59:59Z&to=2026-02-28T23:59:59.001Z", 1),
    ] {
        let body = json(
            app.summary(&demo.site_key, Some(&demo.api_token), query)
                .await,
        )
        .await;
        assert_eq!(body["n"], n, "{query}: {body}");
    }

    let all = json(app.summary(&demo.site_key, Some(&demo.api_token), "").await).await;
    assert_eq!(all["n"], 4);
});

both_backends!(
    summary_refuses_bad_ranges_with_422,
    |app: TestApp| async move {
        let demo = app.seed().await;
        for (query, field) in [
            ("?from=yesterday", "from"),
            ("?to=2026-13-01", "to"),
            ("?from=2026-03-03&to=2026-03-01", "to"),
            ("?bucket=day", "query"),
        ] {
            let response = app
                .summary(&demo.site_key, Some(&demo.api_token), query)
                .await;
            assert_eq!(response.status(), 422, "{query}");
            assert_eq!(json(response).await["field"], field, "{query}");
        }
    }
);

both_backends!(
    summary_needs_a_token_of_the_sites_organisation,
    |app: TestApp| async move {
        let mine = app.seed().await;
        let theirs = app.seed().await;
        app.post_response(&json!({"id": Uuid::new_v4(), "site": mine.site_key, "score": 9}))
            .await;

        let none = app.summary(&mine.site_key, None, "").await;
        assert_eq!(none.status(), 401);
        assert_eq!(none.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            app.summary(&mine.site_key, Some("fw_not-a-real-token"), "")
                .await
                .status(),
            401
        );
        assert_eq!(
            app.summary(&mine.site_key, Some("Basic abc"), "")
                .await
                .status(),
            401
        );
        // Another organisation's valid token: the site is simply not found, its figures never shown.
        let foreign = app
            .summary(&mine.site_key, Some(&theirs.api_token), "")
            .await;
        assert_eq!(foreign.status(), 404);
        assert!(!foreign.text().await.unwrap().contains("\"n\""));
        assert_eq!(
            app.summary(&mine.site_key, Some(&mine.api_token), "")
                .await
                .status(),
            200
        );
    }
);
