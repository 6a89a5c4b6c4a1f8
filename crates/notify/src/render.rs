//! Rendering a queued message: its subject, plain text and HTML, in the release's language
//! (Swedish or English), from the compile-time checked templates in `templates/`.
//!
//! The words live here, one function per kind of message; the templates only lay them out
//! (the HTML one escapes every value). Links are made absolute under the public base URL when
//! one is set, as the sign-off page's own links are.

use askama::Template;
use chrono::{DateTime, Utc};
use pressroom_domain::links::{PublicBaseUrl, public_url};
use pressroom_storage::notifications::{ClaimedMail, MailKind};
use serde_json::Value;

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Why a message could not be rendered (a bug or a damaged row: it is not retried).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A sign-off request without its token.
    #[error("a sign-off request without its link token")]
    MissingLink,
    /// A template failed.
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

/// A link in a message.
#[derive(Debug, Clone)]
struct MailLink {
    label: String,
    url: String,
}

/// What the templates lay out.
#[derive(Debug, Clone)]
struct MailView {
    lang: &'static str,
    subject: String,
    heading: String,
    paragraphs: Vec<String>,
    link: Option<MailLink>,
    footer: String,
}

#[derive(Template)]
#[template(path = "mail.txt")]
struct TextMail<'a> {
    mail: &'a MailView,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlMail<'a> {
    mail: &'a MailView,
}

/// The payload's text field `key`, or "" when absent.
fn text<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// An instant of the payload in the department's time zone, with the zone and the UTC time
/// beside it: `2026-06-02 09:00 (Europe/Stockholm, UTC+02:00; 07:00 UTC)`.
fn local_time(payload: &Value, key: &str) -> Option<String> {
    let instant: DateTime<Utc> = DateTime::parse_from_rfc3339(text(payload, key))
        .ok()?
        .with_timezone(&Utc);
    let zone: chrono_tz::Tz = text(payload, "timeZone")
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm);
    let local = instant.with_timezone(&zone);
    Some(format!(
        "{} ({}, UTC{}; {} UTC)",
        local.format("%Y-%m-%d %H:%M"),
        zone.name(),
        local.format("%:z"),
        instant.format("%H:%M")
    ))
}

/// Renders `mail`; links go under `base` when it is set.
pub fn render(mail: &ClaimedMail, base: Option<&PublicBaseUrl>) -> Result<Rendered, RenderError> {
    let view = compose(mail, base)?;
    Ok(Rendered {
        subject: view.subject.clone(),
        text: TextMail { mail: &view }.render()?,
        html: HtmlMail { mail: &view }.render()?,
    })
}

fn compose(mail: &ClaimedMail, base: Option<&PublicBaseUrl>) -> Result<MailView, RenderError> {
    let p = &mail.payload;
    let sv = mail.language == "sv";
    let title = text(p, "title");
    let actor = text(p, "actor");
    let department = text(p, "department");
    let public_page = || {
        let slug = text(p, "slug");
        (!slug.is_empty()).then(|| MailLink {
            label: if sv {
                "Pressmeddelandet"
            } else {
                "The press release"
            }
            .to_owned(),
            url: public_url(base, &format!("/releases/{slug}")),
        })
    };
    let (subject, heading, mut paragraphs, link) = match mail.kind {
        MailKind::SignoffRequest => {
            let token = mail.secret().ok_or(RenderError::MissingLink)?;
            let office = text(p, "office");
            let expires = local_time(p, "expiresAt").unwrap_or_default();
            let mut paragraphs = vec![if sv {
                format!(
                    "{actor} ({department}) ber {office}s kansli att godkänna pressmeddelandet ”{title}” (version {}).",
                    p["revision"]
                )
            } else {
                format!(
                    "{actor} ({department}) asks the office of {office} to sign off the press release “{title}” (revision {}).",
                    p["revision"]
                )
            }];
            if let Some(deadline) = local_time(p, "deadline") {
                paragraphs.push(if sv {
                    format!("Svara senast {deadline}.")
                } else {
                    format!("Please answer by {deadline}.")
                });
            }
            paragraphs.push(if sv {
                format!("Länken visar pressmeddelandet som det kommer att publiceras, med citaten markerade, och låter er godkänna eller begära ändringar. Den gäller en gång, till {expires}, och bara för den här versionen.")
            } else {
                format!("The link shows the release as it would be published, with the quotes marked, and lets you approve it or request changes. It works once, until {expires}, and only for this revision.")
            });
            (
                if sv {
                    format!("Godkännande begärs: {title}")
                } else {
                    format!("Sign-off requested: {title}")
                },
                if sv {
                    "Ert godkännande behövs".to_owned()
                } else {
                    "Your sign-off is needed".to_owned()
                },
                paragraphs,
                Some(MailLink {
                    label: if sv {
                        "Granska och svara"
                    } else {
                        "Review and answer"
                    }
                    .to_owned(),
                    url: public_url(base, &format!("/signoff/{token}")),
                }),
            )
        }
        MailKind::ChangesRequested => {
            let comment = text(p, "comment");
            (
                if sv {
                    format!("Ändringar begärda: {title}")
                } else {
                    format!("Changes requested: {title}")
                },
                if sv {
                    "Ändringar begärda".to_owned()
                } else {
                    "Changes requested".to_owned()
                },
                vec![
                    if sv {
                        format!(
                            "{actor} har begärt ändringar i ”{title}”. Pressmeddelandet är tillbaka i utkast."
                        )
                    } else {
                        format!(
                            "{actor} requested changes to “{title}”. The release is back in draft."
                        )
                    },
                    if sv {
                        format!("Kommentar: {comment}")
                    } else {
                        format!("Comment: {comment}")
                    },
                ],
                None,
            )
        }
        MailKind::AllSignedOff => (
            if sv {
                format!("Alla har godkänt: {title}")
            } else {
                format!("All sign-offs in: {title}")
            },
            if sv {
                "Alla godkännanden är klara".to_owned()
            } else {
                "All sign-offs are in".to_owned()
            },
            vec![if sv {
                format!(
                    "Det sista godkännandet av ”{title}” kom från {actor}. Pressmeddelandet är godkänt och kan schemaläggas eller publiceras."
                )
            } else {
                format!(
                    "The last sign-off of “{title}” came from {actor}. The release is approved and can be scheduled or published."
                )
            }],
            None,
        ),
        MailKind::Published => {
            let at = local_time(p, "publishedAt").unwrap_or_default();
            let mut paragraphs = vec![if sv {
                format!("”{title}” publicerades {at}.")
            } else {
                format!("“{title}” was published at {at}.")
            }];
            if let Some(late) = p.get("lateMs").and_then(Value::as_i64) {
                paragraphs.push(if sv {
                    format!("Schemaläggaren publicerade {late} ms efter embargots slut.")
                } else {
                    format!("The scheduler published it {late} ms after the embargo instant.")
                });
            }
            (
                if sv {
                    format!("Publicerat: {title}")
                } else {
                    format!("Published: {title}")
                },
                if sv {
                    "Publicerat".to_owned()
                } else {
                    "Published".to_owned()
                },
                paragraphs,
                public_page(),
            )
        }
        MailKind::Corrected => (
            if sv {
                format!("Rättat: {title}")
            } else {
                format!("Corrected: {title}")
            },
            if sv {
                "Rättelse publicerad".to_owned()
            } else {
                "Correction published".to_owned()
            },
            vec![if sv {
                format!(
                    "{actor} har rättat ”{title}”. Rättelse: {}",
                    text(p, "note")
                )
            } else {
                format!(
                    "{actor} corrected “{title}”. Correction: {}",
                    text(p, "note")
                )
            }],
            public_page(),
        ),
        MailKind::Withdrawn => (
            if sv {
                format!("Tillbakadraget: {title}")
            } else {
                format!("Withdrawn: {title}")
            },
            if sv {
                "Pressmeddelandet är tillbakadraget".to_owned()
            } else {
                "The release was withdrawn".to_owned()
            },
            vec![if sv {
                format!(
                    "{actor} har dragit tillbaka ”{title}”. Skäl: {}",
                    text(p, "reason")
                )
            } else {
                format!("{actor} withdrew “{title}”. Reason: {}", text(p, "reason"))
            }],
            public_page(),
        ),
        MailKind::ReadinessAlert => {
            let at = local_time(p, "embargoUntil").unwrap_or_default();
            let why = match (text(p, "problem"), sv) {
                ("noScheduler", true) => {
                    "ingen schemaläggare har rapporterat in på sistone".to_owned()
                }
                ("noScheduler", false) => "no scheduler has reported in recently".to_owned(),
                (_, true) => format!(
                    "{actor} ändrade innehållet, så godkännandena täcker det inte längre och embargot är upphävt"
                ),
                (_, false) => format!(
                    "{actor} changed the content, so the approvals no longer cover it and the embargo was lifted"
                ),
            };
            (
                if sv {
                    format!("VARNING: publiceras inte {at}: {title}")
                } else {
                    format!("ALERT: will not publish at {at}: {title}")
                },
                if sv {
                    "Pressmeddelandet publiceras inte vid embargot".to_owned()
                } else {
                    "The release will not publish at its embargo".to_owned()
                },
                vec![if sv {
                    format!("”{title}” skulle publiceras {at}, men det kommer inte att ske: {why}.")
                } else {
                    format!("“{title}” was due to publish at {at}, but it will not: {why}.")
                }],
                None,
            )
        }
        MailKind::DeadlineReminder => {
            let at = local_time(p, "deadline").unwrap_or_default();
            (
                if sv {
                    format!("Påminnelse: {title}")
                } else {
                    format!("Reminder: {title}")
                },
                if sv {
                    "Påminnelse om godkännande".to_owned()
                } else {
                    "Sign-off reminder".to_owned()
                },
                vec![if sv {
                    format!("Ert svar på ”{title}” behövs senast {at}.")
                } else {
                    format!("Your answer on “{title}” is needed by {at}.")
                }],
                None,
            )
        }
    };
    if !department.is_empty() && mail.kind != MailKind::SignoffRequest {
        paragraphs.push(if sv {
            format!("Departement: {department}")
        } else {
            format!("Department: {department}")
        });
    }
    Ok(MailView {
        lang: if sv { "sv" } else { "en" },
        subject,
        heading,
        paragraphs,
        link,
        footer: if sv {
            "Det här meddelandet skickades automatiskt av Pressroom. Svara inte på det.".to_owned()
        } else {
            "This message was sent automatically by Pressroom. Please do not reply.".to_owned()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mail(kind: MailKind, language: &str, secret: Option<&str>) -> ClaimedMail {
        ClaimedMail::new(
            "01".into(),
            "kansli@gov.example.se".into(),
            kind,
            language.into(),
            json!({
                "title": "Ett <b>fett</b> initiativ",
                "actor": "dana",
                "office": "Annika Strandhäll",
                "department": "Miljödepartementet",
                "timeZone": "Europe/Stockholm",
                "revision": 2,
                "slug": "ett-fett-initiativ",
                "expiresAt": "2026-06-05T07:00:00Z",
                "publishedAt": "2026-06-02T07:00:00Z",
                "lateMs": 12,
                "comment": "Ändra citatet.",
            }),
            secret.map(str::to_owned),
            1,
        )
    }

    #[test]
    fn a_sign_off_request_carries_its_link_under_the_public_base_in_both_languages() {
        let base = PublicBaseUrl::parse("https://press.example.se").expect("base");
        let sv = render(
            &mail(MailKind::SignoffRequest, "sv", Some("pso_x")),
            Some(&base),
        )
        .expect("render");
        assert!(sv.subject.starts_with("Godkännande begärs: "));
        assert!(sv.text.contains("https://press.example.se/signoff/pso_x"));
        assert!(
            sv.text
                .contains("2026-06-05 09:00 (Europe/Stockholm, UTC+02:00; 07:00 UTC)")
        );
        let en =
            render(&mail(MailKind::SignoffRequest, "en", Some("pso_x")), None).expect("render");
        assert!(en.subject.starts_with("Sign-off requested: "));
        assert!(en.text.contains("/signoff/pso_x"));
        assert!(en.html.contains("<a href=\"/signoff/pso_x\">"));
    }

    #[test]
    fn the_html_escapes_what_people_typed_and_the_text_keeps_it_as_written() {
        let rendered = render(&mail(MailKind::ChangesRequested, "sv", None), None).expect("render");
        assert!(rendered.text.contains("Ett <b>fett</b> initiativ"));
        assert!(!rendered.html.contains("<b>fett</b>"), "{}", rendered.html);
        assert!(rendered.text.contains("Kommentar: Ändra citatet."));
    }

    #[test]
    fn a_sign_off_request_without_its_token_is_not_sent() {
        assert!(matches!(
            render(&mail(MailKind::SignoffRequest, "sv", None), None),
            Err(RenderError::MissingLink)
        ));
    }

    #[test]
    fn every_kind_renders_in_both_languages() {
        for kind in MailKind::ALL {
            for language in ["sv", "en"] {
                let rendered = render(&mail(kind, language, Some("pso_x")), None).expect("render");
                assert!(!rendered.subject.is_empty() && rendered.html.contains("<html lang="));
            }
        }
    }
}
