use crate::both_backends;

both_backends!(
    health_check_answers_ok,
    |app: crate::helpers::TestApp| async move {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
    }
);
