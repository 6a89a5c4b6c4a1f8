//! `/newsroom/admin` (being built).

use poem::web::{Data, Path};
use poem::{Response, handler};
use pressroom_storage::Store;

use crate::frame::{self, Staff};

/// `GET /newsroom/admin`.
#[handler]
pub async fn show(_staff: Staff, _store: Data<&Store>) -> Response {
    frame::not_found()
}

/// `POST /newsroom/admin/signin-links`.
#[handler]
pub async fn create_signin_link(_staff: Staff, _store: Data<&Store>) -> Response {
    frame::not_found()
}

/// `POST /newsroom/admin/signin-links/{link}/revoke`.
#[handler]
pub async fn revoke_signin_link(
    _staff: Staff,
    _store: Data<&Store>,
    Path(_link): Path<String>,
) -> Response {
    frame::not_found()
}
