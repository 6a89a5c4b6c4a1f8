//! The `<article>` of a release, as its public page shows it: the one rendering that the public
//! page, the sign-off page and the newsroom's preview share, so that what an office approves and
//! what the public reads are the same markup.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::fragments::{body_html_marking, contacts_html, fact_box_html};
use crate::labels::Labels;
use crate::reading::PublicRelease;
use crate::time_format;

/// An instant as a page shows it: `<time datetime="{machine}">{human}</time>`.
pub struct TimeView {
    /// RFC 3339 with the zone's offset.
    pub machine: String,
    /// In words, in the page's language.
    pub human: String,
}

impl TimeView {
    /// `at` in zone `tz`, written for readers of `language`.
    pub fn new(at: DateTime<Utc>, tz: Tz, language: &str) -> Self {
        Self {
            machine: time_format::machine(at, tz),
            human: time_format::human(at, tz, language),
        }
    }
}

struct WithdrawalView<'a> {
    at: Option<TimeView>,
    reason: &'a str,
}

struct CorrectionView<'a> {
    at: TimeView,
    note: &'a str,
}

/// The `<article>` of a release: what the public page shows, and what a sign-off page shows
/// of the revision it asks about.
#[derive(Template)]
#[template(path = "fragments/article.html")]
struct ArticleHtml<'a> {
    labels: &'static Labels,
    kind: &'static str,
    department_name: &'a str,
    department_slug: &'a str,
    title: &'a str,
    published: Option<TimeView>,
    withdrawal: Option<WithdrawalView<'a>>,
    corrections: Vec<CorrectionView<'a>>,
    lead: &'a str,
    body_html: String,
    fact_boxes_html: Vec<String>,
    contacts_html: String,
    minister: Option<String>,
    topics: Vec<&'a str>,
}

/// The `<article>` of `release` as its public page shows it; the quotes of `marked_speaker`
/// (a person id), if given, are marked (`<mark>`-styled) for the office asked to approve them.
pub fn render_article(
    release: &PublicRelease<'_>,
    marked_speaker: Option<&str>,
) -> askama::Result<String> {
    let content = &release.release.content;
    let language = content.language();
    let labels = Labels::for_language(language);
    let tz = release.zone();
    let article = ArticleHtml {
        labels,
        kind: labels.kind(content.kind()),
        department_name: &release.department.name,
        department_slug: &release.department.slug,
        title: content.title(),
        published: release
            .published_at()
            .map(|at| TimeView::new(at, tz, language)),
        withdrawal: release.withdrawal_reason().map(|reason| WithdrawalView {
            at: release
                .withdrawn_at()
                .map(|at| TimeView::new(at, tz, language)),
            reason,
        }),
        corrections: release
            .corrections()
            .iter()
            .map(|c| CorrectionView {
                at: TimeView::new(c.at, tz, language),
                note: &c.note,
            })
            .collect(),
        lead: content.lead(),
        body_html: body_html_marking(release, marked_speaker)?,
        fact_boxes_html: content
            .fact_boxes()
            .iter()
            .map(fact_box_html)
            .collect::<Result<_, _>>()?,
        contacts_html: contacts_html(release)?,
        minister: release
            .responsible_minister()
            .map(|p| format!("{} {}", p.title, p.name).trim().to_owned()),
        topics: content.topics().iter().map(String::as_str).collect(),
    };
    article.render()
}
