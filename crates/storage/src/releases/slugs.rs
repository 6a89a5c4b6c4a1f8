//! Slugs: the domain proposes `slug_for_title`, storage picks the first free suffix.

use sea_orm::sea_query::LikeExpr;
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use pressroom_domain::slug::nth_candidate;

use crate::entity::releases;
use crate::error::StorageResult;

/// The first free slug for a base: `base`, `base-2`, `base-3`, …
pub(super) async fn free_slug(txn: &DatabaseTransaction, base: &str) -> StorageResult<String> {
    let taken: Vec<String> = releases::Entity::find()
        .select_only()
        .column(releases::Column::Slug)
        .filter(
            Condition::any().add(releases::Column::Slug.eq(base)).add(
                releases::Column::Slug
                    .like(LikeExpr::new(format!("{}-%", escape_like(base))).escape('\\')),
            ),
        )
        .into_tuple()
        .all(txn)
        .await?;
    Ok((1..)
        .map(|n| nth_candidate(base, n))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned()))
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
