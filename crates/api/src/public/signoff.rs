//! `GET` and `POST /signoff/{token}`: the page a minister's office answers a sign-off link on.
//!
//! The token is the only credential: no account, no cookie, no script. While the link lives the
//! page shows who asks, for whom and until when, then the release exactly as its public page
//! will show it (the same article template), with the quotes of the person whose office signs
//! marked, and two forms: approve, and send back with a comment. An answer is recorded by
//! `Store::answer_signoff_link`, which goes through the same domain code as `approveRelease`
//! and `requestChanges`.
//!
//! A dead link (answered, expired, revoked, outdated) answers `410` and an unknown token `404`,
//! each with a short page that shows nothing of the release. Every answer of this module is
//! `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex`, so the
//! token stays out of caches, other sites' logs and search engines; the token is never logged
//! (the request log records route patterns, not paths).

use askama::Template;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{Response, handler};
use pressroom_domain::DomainError;
use pressroom_domain::approval::Verdict;
use pressroom_domain::signoff::{LinkStatus, SignoffAnswer, refusal_in_words};
use pressroom_storage::Store;
use pressroom_storage::signoff::{AnswerRefusal, Answered, LinkPage};
use serde::Deserialize;

use super::PublicError;
use pressroom_web::article::{TimeView, render_article};
use pressroom_web::reading::{PublicRelease, Related};
use pressroom_web::responses::{Media, internal_error};
use pressroom_web::time_format;

/// The Content-Security-Policy of sign-off pages: the public pages' policy, with forms allowed
/// to post back to this server.
pub const SIGNOFF_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The words of a sign-off page, in the release's language.
struct Words {
    lang: &'static str,
    site: &'static str,
    problem: &'static str,
    asked_heading: &'static str,
    valid_until: &'static str,
    marked_quotes: &'static str,
    not_published: &'static str,
    your_answer: &'static str,
    to_answer: &'static str,
    comment_label: &'static str,
    comment_hint: &'static str,
    send_back: &'static str,
}

static SWEDISH: Words = Words {
    lang: "sv",
    site: "Pressrum",
    problem: "Det finns ett problem",
    asked_heading: "Godkännande begärs",
    valid_until: "Länken gäller till",
    marked_quotes: "Markerade citat är av",
    not_published: "Texten nedan är inte publicerad. Den visas exakt som den kommer att publiceras.",
    your_answer: "Ditt svar",
    to_answer: "Gå direkt till ditt svar",
    comment_label: "Vad behöver ändras?",
    comment_hint: "Skriv gärna ett förslag till ny formulering.",
    send_back: "Skicka tillbaka med kommentar",
};

static ENGLISH: Words = Words {
    lang: "en",
    site: "Pressroom",
    problem: "There is a problem",
    asked_heading: "Sign-off requested",
    valid_until: "This link is valid until",
    marked_quotes: "The marked quotes are by",
    not_published: "The text below is not published. It is shown exactly as it will be published.",
    your_answer: "Your answer",
    to_answer: "Go straight to your answer",
    comment_label: "What needs to change?",
    comment_hint: "A proposed wording is welcome.",
    send_back: "Send back with a comment",
};

fn words_for(language: &str) -> &'static Words {
    if time_format::is_swedish(language) {
        &SWEDISH
    } else {
        &ENGLISH
    }
}

struct ErrorView {
    anchor: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "signoff.html")]
struct SignoffPage<'a> {
    lang: &'static str,
    page_title: String,
    site: &'static str,
    words: &'static Words,
    error: Option<ErrorView>,
    asked: String,
    expires: TimeView,
    zone_label: String,
    expires_utc: String,
    has_marked_quotes: bool,
    person_name: String,
    article: String,
    approve_label: String,
    comment: &'a str,
}

#[derive(Template)]
#[template(path = "signoff_result.html")]
struct ResultPage {
    lang: &'static str,
    page_title: String,
    site: &'static str,
    heading: String,
    lines: Vec<String>,
}

/// The form of an answer.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    /// `approve` or `request_changes`.
    answer: String,
    /// The comment of a request for changes.
    comment: Option<String>,
}

/// `GET /signoff/{token}`.
#[handler]
pub async fn show(store: Data<&Store>, Path(token): Path<String>) -> Response {
    match store.signoff_link_page(&token).await {
        Ok(None) => unknown(),
        Ok(Some(LinkPage {
            view,
            release: Some(release),
        })) => match render_page(&store, &view.link, &release, None, "").await {
            Ok(body) => html(StatusCode::OK, body),
            Err(err) => internal_error(&err, Media::Html),
        },
        Ok(Some(LinkPage { view, .. })) => dead(view.status),
        Err(err) => internal_error(&err, Media::Html),
    }
}

/// `POST /signoff/{token}`: records the answer, or says why not.
#[handler]
pub async fn answer(
    store: Data<&Store>,
    Path(token): Path<String>,
    form: poem::Result<Form<AnswerForm>>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let comment = form.comment.unwrap_or_default();
    let answer = match form.answer.as_str() {
        "approve" => SignoffAnswer::Approve,
        "request_changes" => SignoffAnswer::RequestChanges(comment.clone()),
        _ => return bad_form(),
    };
    match store.answer_signoff_link(&token, answer).await {
        Ok(Ok(answered)) => match thank_you(&store, &answered).await {
            Ok(body) => html(StatusCode::OK, body),
            Err(err) => internal_error(&err, Media::Html),
        },
        Ok(Err(AnswerRefusal::Unknown)) => unknown(),
        Ok(Err(AnswerRefusal::Dead(status))) => dead(status),
        Ok(Err(AnswerRefusal::Refused(error))) => refused(&store, &token, &error, &comment).await,
        Err(err) => internal_error(&err, Media::Html),
    }
}

/// The page again, with the refusal explained in words and the comment kept.
async fn refused(store: &Store, token: &str, error: &DomainError, comment: &str) -> Response {
    let status = match error {
        DomainError::Validation { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    let anchor = match error {
        DomainError::Validation { field, .. } if field == "comment" => "comment",
        _ => "approve",
    };
    let page = match store.signoff_link_page(token).await {
        Ok(Some(LinkPage {
            view,
            release: Some(release),
        })) => {
            let error = ErrorView {
                anchor,
                text: refusal_in_words(error),
            };
            render_page(store, &view.link, &release, Some(error), comment).await
        }
        Ok(Some(LinkPage { view, .. })) => return dead(view.status),
        Ok(None) => return unknown(),
        Err(err) => Err(err.into()),
    };
    match page {
        Ok(body) => html(status, body),
        Err(err) => internal_error(&err, Media::Html),
    }
}

async fn render_page(
    store: &Store,
    link: &pressroom_domain::signoff::SignoffLink,
    release: &pressroom_storage::releases::StoredRelease,
    error: Option<ErrorView>,
    comment: &str,
) -> Result<String, PublicError> {
    let now = store.now();
    let related = Related::load(store, &[release]).await?;
    let view = related
        .view(release, now)
        .ok_or(PublicError::Broken("a release without its department"))?;
    let language = view.language();
    let words = words_for(language);
    let person = people_name(&view, link.person_id.as_str());
    let swedish = words.lang == "sv";
    let asked = if swedish {
        format!(
            "{} ber {} att svara för {}s kansli om version {} av pressmeddelandet nedan.",
            link.created_by, link.signer, person, link.revision
        )
    } else {
        format!(
            "{} asks {} to answer for the office of {} on revision {} of the release below.",
            link.created_by, link.signer, person, link.revision
        )
    };
    let tz = view.zone();
    let has_marked_quotes = release
        .content
        .quotes()
        .any(|quote| link.person_id == quote.speaker_id);
    let page = SignoffPage {
        lang: words.lang,
        page_title: format!("{} – {}", words.asked_heading, release.content.title()),
        site: words.site,
        words,
        error,
        asked,
        expires: TimeView::new(link.expires_at, tz, language),
        zone_label: time_format::zone_and_offset(tz, link.expires_at),
        expires_utc: time_format::utc_minutes(link.expires_at),
        has_marked_quotes,
        person_name: person.clone(),
        article: render_article(&view, Some(link.person_id.as_str()))?,
        approve_label: if swedish {
            format!("Godkänn version {}", link.revision)
        } else {
            format!("Approve revision {}", link.revision)
        },
        comment,
    };
    Ok(page.render()?)
}

/// "klimat- och miljöminister Annika Strandhäll", or the id when the person is gone.
fn people_name(view: &PublicRelease<'_>, id: &str) -> String {
    view.person(id).map_or_else(
        || id.to_owned(),
        |p| format!("{} {}", p.title, p.name).trim().to_owned(),
    )
}

async fn thank_you(store: &Store, answered: &Answered) -> Result<String, PublicError> {
    let link = &answered.view.link;
    let release = &answered.release;
    let related = Related::load(store, &[release]).await?;
    let view = related
        .view(release, store.now())
        .ok_or(PublicError::Broken("a release without its department"))?;
    let language = view.language();
    let words = words_for(language);
    let tz = view.zone();
    let at = link.answered_at.unwrap_or(link.created_at);
    let when = format!(
        "{} ({}; {})",
        time_format::human(at, tz, language),
        time_format::zone_and_offset(tz, at),
        time_format::utc_minutes(at)
    );
    let person = people_name(&view, link.person_id.as_str());
    let title = release.content.title();
    let swedish = words.lang == "sv";
    let (heading, mut lines) = match (link.answer, swedish) {
        (Some(Verdict::Approved), true) => (
            "Tack, ditt godkännande är registrerat".to_owned(),
            vec![format!(
                "{} godkände för {}s kansli version {} av ”{}” {}.",
                link.signer, person, link.revision, title, when
            )],
        ),
        (Some(Verdict::Approved), false) => (
            "Thank you, your approval is recorded".to_owned(),
            vec![format!(
                "{} approved revision {} of “{}” for the office of {} on {}.",
                link.signer, link.revision, title, person, when
            )],
        ),
        (_, true) => (
            "Tack, pressmeddelandet är tillbakaskickat".to_owned(),
            vec![format!(
                "{} skickade för {}s kansli tillbaka version {} av ”{}” {}.",
                link.signer, person, link.revision, title, when
            )],
        ),
        (_, false) => (
            "Thank you, the release has been sent back".to_owned(),
            vec![format!(
                "{} sent revision {} of “{}” back for the office of {} on {}.",
                link.signer, link.revision, title, person, when
            )],
        ),
    };
    if let Some(comment) = &link.comment {
        lines.push(if swedish {
            format!("Kommentar: {comment}")
        } else {
            format!("Comment: {comment}")
        });
    }
    lines.push(if swedish {
        "Länken kan inte användas igen.".to_owned()
    } else {
        "The link cannot be used again.".to_owned()
    });
    Ok(ResultPage {
        lang: words.lang,
        page_title: heading.clone(),
        site: words.site,
        heading,
        lines,
    }
    .render()?)
}

fn message(heading: &str, lines: &[&str]) -> String {
    ResultPage {
        lang: "sv",
        page_title: heading.to_owned(),
        site: SWEDISH.site,
        heading: heading.to_owned(),
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
    }
    .render()
    .unwrap_or_else(|_| format!("{heading}\n{}\n", lines.join("\n")))
}

/// `404`: no link has this token.
fn unknown() -> Response {
    html(
        StatusCode::NOT_FOUND,
        message(
            "Länken finns inte",
            &[
                "Kontrollera att hela adressen kom med, eller be pressavdelningen om en ny länk.",
                "This sign-off link does not exist. Check that the whole address was copied, or ask the press office for a new link.",
            ],
        ),
    )
}

/// `410`: the link is dead; the page says why and nothing of the release.
fn dead(status: LinkStatus) -> Response {
    let (swedish, english) = match status {
        LinkStatus::Answered => (
            "Länken har redan använts för att svara.",
            "This link has already been used to answer.",
        ),
        LinkStatus::Expired => (
            "Länkens giltighetstid har gått ut.",
            "This link has expired.",
        ),
        LinkStatus::Revoked => (
            "Pressavdelningen har dragit tillbaka länken.",
            "The press office has revoked this link.",
        ),
        LinkStatus::Outdated | LinkStatus::Waiting => (
            "Pressmeddelandet har ändrats eller lämnat granskningen sedan länken skapades.",
            "The release has changed, or left review, since this link was made.",
        ),
    };
    html(
        StatusCode::GONE,
        message(
            "Länken gäller inte längre",
            &[
                swedish,
                "Be pressavdelningen om en ny länk om ett svar behövs.",
                english,
            ],
        ),
    )
}

fn bad_form() -> Response {
    html(
        StatusCode::BAD_REQUEST,
        message(
            "Svaret kunde inte läsas",
            &[
                "Använd formulären på sidan.",
                "Please use the forms on the page.",
            ],
        ),
    )
}

/// An HTML answer with the headers every sign-off answer carries.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .body(body);
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            SIGNOFF_CONTENT_SECURITY_POLICY,
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}
