//! Authentication of HTTP requests and WebSocket connections: a bearer token becomes a
//! [`Viewer`] through `Store::authenticate`; no token is an anonymous caller; anything else is
//! refused.

use async_graphql::Data;
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;

use crate::context::RequestContext;
use crate::error::ApiError;

/// How the `Authorization` header resolved.
pub(crate) enum Auth {
    /// No header.
    Anonymous,
    /// A valid token.
    Viewer(Viewer),
    /// A malformed header, or an unknown, revoked or expired token.
    Refused,
}

/// Resolves an `Authorization` header value (`Bearer <token>`; none = anonymous).
pub(crate) async fn authenticate(store: &Store, header: Option<&str>) -> Result<Auth, ApiError> {
    let token = match bearer_token(header) {
        Ok(None) => return Ok(Auth::Anonymous),
        Ok(Some(token)) => token,
        Err(Malformed) => return Ok(Auth::Refused),
    };
    Ok(match store.authenticate(token).await? {
        Some(viewer) => Auth::Viewer(viewer),
        None => Auth::Refused,
    })
}

/// An `Authorization` header that is not `Bearer <token>`.
pub(crate) struct Malformed;

/// The token of an `Authorization` header value (`Bearer <token>`); `None` without a header.
pub(crate) fn bearer_token(header: Option<&str>) -> Result<Option<&str>, Malformed> {
    let Some(value) = header else {
        return Ok(None);
    };
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or(Malformed)
}

/// Authenticates a WebSocket connection from its `connection_init` payload
/// (`{"Authorization": "Bearer <token>"}`; none = anonymous).
pub(crate) async fn connection_init(
    store: Store,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str());
    let viewer = match authenticate(&store, header)
        .await
        .map_err(async_graphql::Error::from)?
    {
        Auth::Anonymous => None,
        Auth::Viewer(viewer) => Some(viewer),
        Auth::Refused => return Err(ApiError::unauthenticated().into()),
    };
    let mut data = Data::default();
    data.insert(RequestContext::live(&store, viewer));
    Ok(data)
}
