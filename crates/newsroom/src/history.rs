//! `GET /newsroom/releases/{id}/history`: every audit entry of a release in words (being built).

use poem::web::{Data, Path};
use poem::{Response, handler};
use pressroom_storage::Store;

use crate::frame::{self, Staff};
use crate::release::load;

/// `GET /newsroom/releases/{id}/history`.
#[handler]
pub async fn show(staff: Staff, store: Data<&Store>, Path(id): Path<String>) -> Response {
    match load(&store, &staff, &id).await {
        Ok(_) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}
