//! The server answers a health probe: `GET /healthz` → 200, sent as a load balancer or
//! `curl` sends it (no body and so no `Content-Length`).

use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn healthz_answers_200_to_a_plain_get() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        app.assert_healthy().await;
    })
    .await;
}
