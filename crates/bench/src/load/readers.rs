//! The readers: a weighted mix of GraphQL reads and public pages, in a closed loop.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::probes::probe;
use super::{Ctx, Failure, Side, format_instant, now_micros, parse_instant};
use crate::read::PAGE_QUERY;
use crate::seed;

const BY_SLUG: &str = "query BySlug($slug: String!) { releaseBySlug(slug: $slug) { \
    id slug state title lead publishedAt body { __typename ... on Paragraph { text } \
    ... on Quote { text speaker { name } } } contacts { name } } }";
const LIST: &str = "query List($after: String) { releases(first: 20, after: $after) { \
    nodes { id slug state publishedAt department { slug } } pageInfo { hasNextPage endCursor } } }";
const SEARCH: &str = "query Search($q: String!) { releases(first: 10, filter: {query: $q}) { \
    nodes { id state title } } }";
const CHANGES: &str = "query Changes($after: String) { changes(after: $after, first: 50) { \
    edges { cursor node { event releaseId version } } pageInfo { hasNextPage endCursor } } }";
const EMBARGOED: &str = "query Embargoed { releases(first: 20, filter: {states: [EMBARGOED]}) { \
    nodes { id state embargoUntil } } }";

/// A small deterministic generator (SplitMix64): each reader gets its own sequence.
pub(super) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A reader's cursors.
#[derive(Default)]
struct ReaderState {
    list_after: Option<String>,
    list_pages: usize,
    changes_after: Option<String>,
}

/// Reader `r`: a weighted mix of reads until the end of the run.
pub(super) async fn reader(ctx: Arc<Ctx>, r: usize) {
    let mut rng = Rng(0x5EED_0000 + r as u64);
    let mut state = ReaderState::default();
    while Instant::now() < ctx.run_end {
        let roll = rng.below(100);
        let outcome = match roll {
            0..=19 => read_page(&ctx, &mut rng).await,
            20..=29 => read_list(&ctx, &mut state).await,
            30..=41 => read_by_slug(&ctx, &mut rng).await,
            42..=49 => read_search(&ctx).await,
            50..=59 => probe(&ctx, &mut rng, false).await,
            60..=64 => probe(&ctx, &mut rng, true).await,
            65..=69 => read_changes(&ctx, &mut state).await,
            70..=74 => {
                let i = rng.below(ctx.seeded);
                ctx.get_ok("page html", &format!("/releases/bench-{i}"))
                    .await
                    .map(drop)
            }
            75..=79 => {
                let i = rng.below(ctx.seeded);
                read_ninjs(&ctx, i).await
            }
            80..=84 => read_feed(&ctx, &mut rng).await,
            85..=89 => {
                let d = rng.below(seed::DEPARTMENTS);
                ctx.get_ok(
                    "department html",
                    &format!("/departments/{}", seed::department_slug(d)),
                )
                .await
                .map(drop)
            }
            _ => read_embargoed(&ctx).await,
        };
        if let Err(failure) = outcome {
            ctx.error(failure);
        }
    }
}

/// The page of one department (the `read` scenario's query): full, with quotes and contacts.
async fn read_page(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let department = seed::department_slug(rng.below(seed::DEPARTMENTS));
    let data = ctx
        .graphql(
            Side::Read,
            "page",
            Some(&ctx.integrator),
            PAGE_QUERY,
            json!({ "department": department }),
        )
        .await?;
    let nodes = data["releases"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let at_least = (ctx.seeded / seed::DEPARTMENTS).min(20);
    if nodes.len() < at_least || nodes.len() > 20 {
        return Err(Failure::new(
            "page",
            "wrong page size",
            format!(
                "{} nodes for {department}, expected {at_least} to 20",
                nodes.len()
            ),
        ));
    }
    for node in &nodes {
        let quotes = node["quotes"].as_array().map_or(0, Vec::len);
        let contacts = node["contacts"].as_array().map_or(0, Vec::len);
        if quotes != 2 || contacts != 1 || node["quotes"][1]["speaker"]["name"].is_null() {
            return Err(Failure::new(
                "page",
                "release without its quotes or contact",
                node.to_string(),
            ));
        }
    }
    Ok(())
}

/// The full public listing, followed page by page for up to five pages.
async fn read_list(ctx: &Ctx, state: &mut ReaderState) -> Result<(), Failure> {
    if state.list_pages >= 5 {
        state.list_after = None;
        state.list_pages = 0;
    }
    let data = ctx
        .graphql(
            Side::Read,
            "list",
            Some(&ctx.integrator),
            LIST,
            json!({ "after": state.list_after }),
        )
        .await?;
    let connection = &data["releases"];
    let nodes = connection["nodes"].as_array().cloned().unwrap_or_default();
    if let Some(node) = nodes.iter().find(|node| node["state"] != "PUBLISHED") {
        return Err(Failure::new(
            "list",
            "non-public release listed",
            node.to_string(),
        ));
    }
    if nodes.is_empty() && state.list_after.is_none() {
        return Err(Failure::new("list", "empty listing", data.to_string()));
    }
    if connection["pageInfo"]["hasNextPage"] == true {
        state.list_after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        state.list_pages += 1;
    } else {
        state.list_after = None;
        state.list_pages = 0;
    }
    Ok(())
}

/// A seeded release by slug, anonymously: it must be there, published, with its content.
pub(super) async fn read_by_slug(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let slug = format!("bench-{}", rng.below(ctx.seeded));
    let data = ctx
        .graphql(Side::Read, "bySlug", None, BY_SLUG, json!({ "slug": slug }))
        .await?;
    let release = &data["releaseBySlug"];
    if release["state"] != "PUBLISHED" || release["body"].as_array().map_or(0, Vec::len) != 4 {
        return Err(Failure::new(
            "bySlug",
            "seeded release missing or incomplete",
            format!("{slug}: {release}"),
        ));
    }
    Ok(())
}

/// Full-text search for a word every release contains.
async fn read_search(ctx: &Ctx) -> Result<(), Failure> {
    let data = ctx
        .graphql(
            Side::Read,
            "search",
            Some(&ctx.integrator),
            SEARCH,
            json!({ "q": "kommunerna" }),
        )
        .await?;
    let nodes = data["releases"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if nodes.is_empty() {
        return Err(Failure::new("search", "no hit", data.to_string()));
    }
    if let Some(node) = nodes.iter().find(|node| node["state"] != "PUBLISHED") {
        return Err(Failure::new(
            "search",
            "non-public release found",
            node.to_string(),
        ));
    }
    Ok(())
}

/// The change feed, followed from the beginning with a cursor.
async fn read_changes(ctx: &Ctx, state: &mut ReaderState) -> Result<(), Failure> {
    let data = ctx
        .graphql(
            Side::Read,
            "changes",
            None,
            CHANGES,
            json!({ "after": state.changes_after }),
        )
        .await?;
    if let Some(cursor) = data["changes"]["pageInfo"]["endCursor"].as_str() {
        state.changes_after = Some(cursor.to_owned());
    }
    Ok(())
}

/// A seeded release's ninjs document.
async fn read_ninjs(ctx: &Ctx, i: usize) -> Result<(), Failure> {
    let path = format!("/releases/bench-{i}.json");
    let body = ctx.get_ok("ninjs", &path).await?;
    let document: Value = serde_json::from_str(&body)
        .map_err(|error| Failure::new("ninjs", "not JSON", format!("{path}: {error}")))?;
    if !document.is_object() {
        return Err(Failure::new("ninjs", "not an object", path));
    }
    Ok(())
}

/// The Atom feed of every department, or of one.
async fn read_feed(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let d = rng.below(seed::DEPARTMENTS + 1);
    let path = if d == seed::DEPARTMENTS {
        "/feeds/releases.atom".to_owned()
    } else {
        format!("/feeds/{}.atom", seed::department_slug(d))
    };
    let body = ctx.get_ok("feed", &path).await?;
    if !body.contains("<feed") {
        return Err(Failure::new("feed", "not an Atom feed", path));
    }
    Ok(())
}

/// What an accredited integrator sees as embargoed: nothing whose instant has passed.
async fn read_embargoed(ctx: &Ctx) -> Result<(), Failure> {
    let sent = now_micros();
    let data = ctx
        .graphql(
            Side::Read,
            "embargoed",
            Some(&ctx.accredited),
            EMBARGOED,
            json!({}),
        )
        .await?;
    for node in data["releases"]["nodes"].as_array().into_iter().flatten() {
        let instant = node["embargoUntil"].as_str().and_then(parse_instant);
        if node["state"] != "EMBARGOED" || instant.is_none_or(|instant| instant < sent) {
            return Err(Failure::new(
                "embargoed",
                "listed as EMBARGOED after its instant",
                format!("{node} (request sent at {})", format_instant(sent)),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_stays_below_its_bound_and_varies() {
        let mut rng = Rng(1);
        let draws: Vec<usize> = (0..1000).map(|_| rng.below(7)).collect();
        assert!(draws.iter().all(|&d| d < 7));
        for value in 0..7 {
            assert!(draws.contains(&value), "{value} never drawn");
        }
    }
}
