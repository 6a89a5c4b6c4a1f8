//! `pressroom demo`: the example press release, demo users with fresh tokens, and a server.
//!
//! The data comes from the embedded fixture `fixtures/leadit-2022.json` (a real release of the
//! Swedish Ministry of the Environment). It is loaded through the same storage calls the API
//! uses, as the demo users themselves, so the releases, approvals and audit log are real: one
//! release is walked all the way to PUBLISHED, a second one waits IN_REVIEW for the minister's
//! office. The published copy keeps the example's real publication time
//! ([`EXAMPLE_PUBLISHED_AT`]), so that its text ("möts idag") and the docs' examples agree with
//! what a newcomer sees; the audit log records, as always, when it was loaded. Loading happens once per database (it is skipped when the department exists), but
//! every run creates fresh tokens, because a token is shown only when it is created.

use std::collections::HashMap;

use anyhow::{Context, bail, ensure};
use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind,
};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::links::{PublicBaseUrl, public_url};
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_domain::{DepartmentId, PersonId, UserName};
use pressroom_storage::Store;
use pressroom_storage::directory::{Department, Person, TokenGrant};
use pressroom_storage::releases::StoredRelease;
use serde::Deserialize;

use crate::token::cli_actor;
use crate::{serve, write_stdout};

/// The example press release and its department and people, byte for byte as in the fixture.
const FIXTURE: &str = include_str!("../fixtures/leadit-2022.json");

/// When the example was published by the Government Offices: 2 June 2022, 09.00 in Stockholm,
/// the day the meeting its text calls "idag" opened (the fixture's text keeps only the word
/// "Publicerad", and the fixture file must stay byte for byte the shared one).
pub(crate) const EXAMPLE_PUBLISHED_AT: &str = "2022-06-02T09:00:00+02:00";

/// The fixture file: a department, the people it quotes, and one release.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    department: FixtureDepartment,
    people: Vec<FixturePerson>,
    release: FixtureRelease,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureDepartment {
    slug: String,
    name: String,
    time_zone: String,
}

/// A person; releases name people by `key`, since ids exist only once they are stored.
#[derive(Debug, Deserialize)]
struct FixturePerson {
    key: String,
    name: String,
    title: String,
    department: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureRelease {
    #[serde(default)]
    kind: ReleaseKind,
    language: String,
    department: String,
    responsible_minister: Option<String>,
    title: String,
    lead: String,
    body: Vec<FixtureBlock>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    fact_boxes: Vec<FactBox>,
    #[serde(default)]
    topics: Vec<String>,
}

/// `{"paragraph": "…"}` or `{"quote": {"speaker": "<person key>", "text": "…"}}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
enum FixtureBlock {
    Paragraph(String),
    Quote(FixtureQuote),
}

#[derive(Debug, Deserialize)]
struct FixtureQuote {
    speaker: String,
    text: String,
}

impl Fixture {
    /// The embedded fixture, parsed.
    fn embedded() -> anyhow::Result<Self> {
        serde_json::from_str(FIXTURE)
            .context("the embedded fixture leadit-2022.json does not parse")
    }

    /// The fixture person who is the release's responsible minister.
    fn minister(&self) -> anyhow::Result<&FixturePerson> {
        let key = self
            .release
            .responsible_minister
            .as_deref()
            .context("the fixture's release names no responsible minister")?;
        self.person(key)
    }

    fn person(&self, key: &str) -> anyhow::Result<&FixturePerson> {
        self.people.iter().find(|p| p.key == key).with_context(|| {
            format!("the fixture names person `{key}`, who is not among its people")
        })
    }

    /// The release's content, with person keys replaced by the stored ids in `ids` (key → id).
    fn content(&self, ids: &HashMap<&str, String>) -> anyhow::Result<ReleaseContent> {
        let id_of = |key: &str| {
            ids.get(key).cloned().with_context(|| {
                format!("the fixture names person `{key}`, who is not among its people")
            })
        };
        let release = &self.release;
        let body = release
            .body
            .iter()
            .map(|block| {
                Ok(match block {
                    FixtureBlock::Paragraph(text) => Block::Paragraph { text: text.clone() },
                    FixtureBlock::Quote(quote) => Block::Quote {
                        speaker_id: id_of(&quote.speaker)?,
                        text: quote.text.clone(),
                    },
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let input = ContentInput {
            kind: release.kind,
            language: release.language.clone(),
            responsible_minister_id: release
                .responsible_minister
                .as_deref()
                .map(id_of)
                .transpose()?,
            title: release.title.clone(),
            lead: release.lead.clone(),
            body,
            contacts: release.contacts.clone(),
            fact_boxes: release.fact_boxes.clone(),
            topics: release.topics.clone(),
            translation_of: None,
        };
        ReleaseContent::parse(input).context("the fixture's release is not valid content")
    }
}

/// Which directory entry a demo user's token is tied to.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// No department or person: integrators and admins.
    Unscoped,
    /// The fixture's department: drafters and editors.
    Department,
    /// The office of the fixture's responsible minister.
    MinisterOffice,
}

/// One demo user.
#[derive(Debug, Clone, Copy)]
struct DemoUser {
    name: &'static str,
    role: Role,
    scope: Scope,
    embargo_access: bool,
}

const DRAFTER: DemoUser = DemoUser {
    name: "demo-drafter",
    role: Role::Drafter,
    scope: Scope::Department,
    embargo_access: false,
};
const EDITOR: DemoUser = DemoUser {
    name: "demo-editor",
    role: Role::Editor,
    scope: Scope::Department,
    embargo_access: false,
};
const OFFICE: DemoUser = DemoUser {
    name: "demo-office",
    role: Role::MinisterOffice,
    scope: Scope::MinisterOffice,
    embargo_access: false,
};

/// The demo users who get a newsroom sign-in link: the staff roles, the minister's office and
/// the admin (integrators only read the API).
const SIGNIN_USERS: [DemoUser; 4] = [DRAFTER, EDITOR, OFFICE, DEMO_USERS[5]];

/// Every demo user, in the order the token table lists them.
const DEMO_USERS: [DemoUser; 6] = [
    DRAFTER,
    EDITOR,
    OFFICE,
    DemoUser {
        name: "demo-integrator",
        role: Role::Integrator,
        scope: Scope::Unscoped,
        embargo_access: false,
    },
    DemoUser {
        name: "demo-agency",
        role: Role::Integrator,
        scope: Scope::Unscoped,
        embargo_access: true,
    },
    DemoUser {
        name: "demo-admin",
        role: Role::Admin,
        scope: Scope::Unscoped,
        embargo_access: false,
    },
];

/// The stored department and minister the demo users are tied to.
#[derive(Debug)]
struct Directory {
    department: Department,
    minister: Person,
}

impl DemoUser {
    /// What this user's token grants.
    fn grant(&self, directory: &Directory) -> TokenGrant {
        TokenGrant {
            user_name: self.name.to_owned(),
            role: self.role,
            department: matches!(self.scope, Scope::Department)
                .then(|| directory.department.slug.clone()),
            person_id: matches!(self.scope, Scope::MinisterOffice)
                .then(|| directory.minister.id.clone()),
            embargo_access: self.embargo_access,
            expires_at: None,
        }
    }

    /// The viewer such a token authenticates as (built from the same fields as the grant).
    fn viewer(&self, directory: &Directory) -> Viewer {
        Viewer {
            user_name: UserName::new(self.name),
            role: self.role,
            department_id: matches!(self.scope, Scope::Department)
                .then(|| DepartmentId::new(directory.department.id.as_str())),
            person_id: matches!(self.scope, Scope::MinisterOffice)
                .then(|| PersonId::new(directory.minister.id.as_str())),
            embargo_access: self.embargo_access,
        }
    }
}

/// Loads the example data unless it is there, creates a fresh token for every demo user and a
/// newsroom sign-in link for each of [`SIGNIN_USERS`], prints the welcome, and (unless
/// `load_only`) serves on `listen` until Ctrl-C. Sign-in URLs are absolute under `base` when it
/// is set, else under the address served.
pub(crate) async fn run(
    store: &Store,
    listen: &str,
    load_only: bool,
    base: Option<&PublicBaseUrl>,
) -> anyhow::Result<()> {
    let fixture = Fixture::embedded()?;
    let directory = match existing_directory(store, &fixture).await? {
        Some(directory) => {
            write_stdout(&format!(
                "The example data is already loaded (department {} exists); creating fresh tokens.\n",
                directory.department.slug
            ))?;
            directory
        }
        None => load(store, &fixture).await?,
    };
    let mut tokens = Vec::with_capacity(DEMO_USERS.len());
    for user in DEMO_USERS {
        let created = store
            .create_token(&cli_actor(), user.grant(&directory))
            .await
            .with_context(|| format!("cannot create a token for {}", user.name))?;
        tokens.push((user, created.token));
    }
    let mut links = Vec::with_capacity(SIGNIN_USERS.len());
    for user in SIGNIN_USERS {
        let created = store
            .create_signin_link(&cli_actor(), user.grant(&directory))
            .await
            .with_context(|| format!("cannot create a sign-in link for {}", user.name))?;
        links.push((user, created.path));
    }
    if load_only {
        let url = format!("http://{listen}");
        write_stdout(&welcome(
            &url,
            &directory.department,
            &tokens,
            &signin_urls(&url, base, &links),
            "Serve it with `pressroom serve`, then open",
        ))?;
        return Ok(());
    }
    // The demo is for trying Pressroom on one machine, webhooks to a receiver on loopback
    // included (README), so its delivery worker does not refuse private addresses; `serve`
    // does unless told otherwise.
    let server =
        serve::bind(listen)
            .await?
            .with_webhooks(Some(pressroom_webhooks::WebhookConfig {
                refuse_private_addresses: false,
                ..pressroom_webhooks::WebhookConfig::default()
            }));
    write_stdout(&welcome(
        server.url(),
        &directory.department,
        &tokens,
        &signin_urls(server.url(), base, &links),
        "Open",
    ))?;
    server
        .serve(
            store.clone(),
            Some(pressroom_scheduler::SchedulerConfig::default()),
        )
        .await
}

/// The department and minister of an earlier `demo` run, when the department exists.
async fn existing_directory(store: &Store, fixture: &Fixture) -> anyhow::Result<Option<Directory>> {
    let Some(department) = store
        .departments()
        .await
        .context("cannot read the departments")?
        .into_iter()
        .find(|d| d.slug == fixture.department.slug)
    else {
        return Ok(None);
    };
    let wanted = fixture.minister()?;
    let Some(minister) = store
        .people()
        .await
        .context("cannot read the people")?
        .into_iter()
        .find(|p| {
            p.name == wanted.name && p.department_id.as_deref() == Some(department.id.as_str())
        })
    else {
        bail!(
            "department {} exists but {} is not among its people; this database was not filled by \
             `pressroom demo`, so use a fresh one (e.g. --database-url sqlite://demo.db?mode=rwc)",
            department.slug,
            wanted.name
        );
    };
    Ok(Some(Directory {
        department,
        minister,
    }))
}

/// Stores the department, the people and the two releases, and says what it did.
async fn load(store: &Store, fixture: &Fixture) -> anyhow::Result<Directory> {
    let d = &fixture.department;
    let department = store
        .create_department(&cli_actor(), &d.slug, &d.name, &d.time_zone)
        .await
        .with_context(|| format!("cannot create department {}", d.slug))?;
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut minister = None;
    let minister_key = fixture.minister()?.key.as_str();
    for p in &fixture.people {
        let person = store
            .create_person(&cli_actor(), &p.name, &p.title, p.department.as_deref())
            .await
            .with_context(|| format!("cannot create person {}", p.name))?;
        ids.insert(p.key.as_str(), person.id.clone());
        if p.key == minister_key {
            minister = Some(person);
        }
    }
    let minister = minister.context("the fixture's responsible minister was not stored")?;
    let directory = Directory {
        department,
        minister,
    };
    let content = fixture.content(&ids)?;
    let slug = fixture.release.department.as_str();

    let drafter = DRAFTER.viewer(&directory);
    let published = store
        .create_release(&drafter, slug, content.clone())
        .await
        .context("cannot create the release")?;
    let published = act(store, &drafter, &published, Command::SubmitForReview).await?;
    let published = act(
        store,
        &OFFICE.viewer(&directory),
        &published,
        Command::Approve,
    )
    .await?;
    let published_at = chrono::DateTime::parse_from_rfc3339(EXAMPLE_PUBLISHED_AT)
        .context("the example's publication time does not parse")?
        .to_utc();
    let published = act(
        store,
        &EDITOR.viewer(&directory),
        &published,
        Command::ImportPublication(published_at),
    )
    .await?;
    ensure!(
        published.state == State::Published,
        "the first release ended {}, not PUBLISHED",
        published.state.as_str()
    );

    let waiting = store
        .create_release(&drafter, slug, content)
        .await
        .context("cannot create the release")?;
    let waiting = act(store, &drafter, &waiting, Command::SubmitForReview).await?;
    ensure!(
        waiting.state == State::InReview,
        "the second release ended {}, not IN_REVIEW",
        waiting.state.as_str()
    );

    let people: Vec<String> = fixture
        .people
        .iter()
        .map(|p| format!("{} ({})", p.name, p.title))
        .collect();
    write_stdout(&format!(
        "Loaded department {} ({}), {} and two releases:\n  \
         PUBLISHED  /releases/{}\n  \
         IN_REVIEW  {} (not public; waiting for demo-office)\n",
        directory.department.name,
        directory.department.slug,
        people.join(", "),
        published.slug,
        waiting.slug,
    ))?;
    Ok(directory)
}

/// Applies one command as `viewer` at the release's current version.
async fn act(
    store: &Store,
    viewer: &Viewer,
    release: &StoredRelease,
    command: Command,
) -> anyhow::Result<StoredRelease> {
    let action = command.action();
    store
        .act(viewer, &release.id, release.version, command, None)
        .await
        .with_context(|| {
            format!(
                "{} cannot {} release {}",
                viewer.user_name,
                action.as_str(),
                release.slug
            )
        })
}

/// The GraphQL query the welcome suggests, in the layout GraphiQL shows.
const EXAMPLE_QUERY: &str = "query {
  releases(first: 10) {
    nodes {
      title
      state
      slug
      approvals { office { name } status by }
    }
  }
}";

/// Each sign-in link's full URL: under the public base URL when one is set, else under `url`,
/// the address served.
fn signin_urls(
    url: &str,
    base: Option<&PublicBaseUrl>,
    links: &[(DemoUser, String)],
) -> Vec<(DemoUser, String)> {
    links
        .iter()
        .map(|(user, path)| {
            let full = match base {
                Some(_) => public_url(base, path),
                None => format!("{url}{path}"),
            };
            (*user, full)
        })
        .collect()
}

/// The welcome block: where to go, the tokens and sign-in links, and a query to paste into
/// GraphiQL or curl.
fn welcome(
    url: &str,
    department: &Department,
    tokens: &[(DemoUser, String)],
    signin: &[(DemoUser, String)],
    open: &str,
) -> String {
    let mut text = format!(
        "\nPressroom demo: {} ({})\n\nTokens (shown only now):\n",
        department.name, department.slug
    );
    text.push_str(&format!("  {:<16} {:<16} {}\n", "user", "role", "token"));
    for (user, token) in tokens {
        let role = if user.embargo_access {
            format!("{}*", user.role.as_str())
        } else {
            user.role.as_str().to_owned()
        };
        text.push_str(&format!("  {:<16} {:<16} {}\n", user.name, role, token));
    }
    text.push_str("  (* accredited: also reads embargoed releases)\n");
    text.push_str(
        "\nNewsroom sign-in links (each signs in once, within 24 hours; shown only now):\n",
    );
    for (user, link) in signin {
        text.push_str(&format!(
            "  {:<16} {:<16} {}\n",
            user.name,
            user.role.as_str(),
            link
        ));
    }
    let editor = tokens
        .iter()
        .find(|(user, _)| user.name == EDITOR.name)
        .map_or("", |(_, token)| token.as_str());
    let one_line_query = EXAMPLE_QUERY
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    text.push_str(&format!(
        "\n{open} GraphiQL at {url}/graphql\n\
         Headers (as demo-editor):\n\
         {{\"Authorization\": \"Bearer {editor}\"}}\n\
         Query:\n\
         {EXAMPLE_QUERY}\n\
         \n\
         Or with curl:\n\
         curl -s {url}/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer {editor}' \
         -d '{{\"query\": \"{one_line_query}\"}}'\n\n\
         Public pages: {url}/ (start), {url}/releases, {url}/departments, {url}/feeds/releases.atom\n\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(fixture: &Fixture) -> HashMap<&str, String> {
        fixture
            .people
            .iter()
            .map(|p| (p.key.as_str(), format!("id-of-{}", p.key)))
            .collect()
    }

    #[test]
    fn the_fixture_parses_and_keeps_its_swedish_title_exactly() {
        let fixture = Fixture::embedded().expect("the fixture parses");
        assert_eq!(
            fixture.release.title,
            "Svensk-indiskt FN-initiativ fortsätter att leda tunga industrins klimatomställning"
        );
        assert_eq!(fixture.department.name, "Miljödepartementet");
        assert_eq!(
            fixture.minister().expect("a minister").name,
            "Annika Strandhäll"
        );
    }

    #[test]
    fn the_fixture_release_becomes_valid_content_with_quotes_attributed_by_id() {
        let fixture = Fixture::embedded().expect("the fixture parses");
        let content = fixture.content(&ids(&fixture)).expect("valid content");
        assert_eq!(content.responsible_minister_id(), Some("id-of-strandhall"));
        let quotes: Vec<_> = content.quotes().collect();
        assert_eq!(quotes.len(), 2);
        assert!(quotes.iter().all(|q| q.speaker_id == "id-of-strandhall"));
        assert!(
            quotes[0]
                .text
                .starts_with("Sverige ska axla det internationella klimatledarskapet")
        );
        assert_eq!(content.body().len(), 4);
        assert_eq!(content.contacts()[0].email, None);
        assert_eq!(content.fact_boxes()[1].heading, "Stockholm+50");
        assert_eq!(content.topics(), ["LeadIT", "Klimat", "Industri"]);
    }

    #[test]
    fn a_quote_by_someone_not_among_the_people_is_refused() {
        let fixture = Fixture::embedded().expect("the fixture parses");
        let error = fixture
            .content(&HashMap::new())
            .expect_err("no ids are known");
        assert!(error.to_string().contains("strandhall"), "{error}");
    }

    #[test]
    fn the_welcome_shows_every_token_and_the_editor_header() {
        let department = Department {
            id: "d".into(),
            slug: "miljodepartementet".into(),
            name: "Miljödepartementet".into(),
            time_zone: "Europe/Stockholm".into(),
            earlier: Vec::new(),
        };
        let tokens: Vec<_> = DEMO_USERS
            .iter()
            .map(|u| (*u, format!("tok-{}", u.name)))
            .collect();
        let links: Vec<_> = SIGNIN_USERS
            .iter()
            .map(|u| (*u, format!("/newsroom/signin/psi-{}", u.name)))
            .collect();
        let signin = signin_urls("http://127.0.0.1:9", None, &links);
        let text = welcome("http://127.0.0.1:9", &department, &tokens, &signin, "Open");
        for user in SIGNIN_USERS {
            assert!(
                text.contains(&format!(
                    "http://127.0.0.1:9/newsroom/signin/psi-{}",
                    user.name
                )),
                "{text}"
            );
        }
        for user in DEMO_USERS {
            assert!(text.contains(&format!("tok-{}", user.name)), "{text}");
        }
        assert!(
            text.contains(r#"{"Authorization": "Bearer tok-demo-editor"}"#),
            "{text}"
        );
        assert!(
            text.contains("Open GraphiQL at http://127.0.0.1:9/graphql"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"-d '{"query": "query { releases(first: 10) { nodes { title state slug"#
            ),
            "{text}"
        );
    }

    #[test]
    fn sign_in_links_go_to_the_drafter_the_editor_the_office_and_the_admin() {
        let roles: Vec<Role> = SIGNIN_USERS.iter().map(|u| u.role).collect();
        assert_eq!(
            roles,
            [
                Role::Drafter,
                Role::Editor,
                Role::MinisterOffice,
                Role::Admin
            ]
        );
        let base = PublicBaseUrl::parse("https://press.example.se/").expect("a base");
        let links = [(DRAFTER, "/newsroom/signin/psi-x".to_owned())];
        assert_eq!(
            signin_urls("http://127.0.0.1:9", Some(&base), &links)[0].1,
            "https://press.example.se/newsroom/signin/psi-x",
            "the public base URL wins over the address served"
        );
    }

    #[test]
    fn grants_and_viewers_scope_each_demo_user_alike() {
        let directory = Directory {
            department: Department {
                id: "dept-id".into(),
                slug: "miljodepartementet".into(),
                name: "Miljödepartementet".into(),
                time_zone: "Europe/Stockholm".into(),
                earlier: Vec::new(),
            },
            minister: Person {
                id: "person-id".into(),
                name: "A".into(),
                title: "T".into(),
                department_id: None,
                earlier: Vec::new(),
            },
        };
        for user in DEMO_USERS {
            let grant = user.grant(&directory);
            let viewer = user.viewer(&directory);
            assert_eq!(grant.role, viewer.role);
            assert_eq!(
                grant.department.is_some(),
                viewer.department_id.is_some(),
                "{}",
                user.name
            );
            assert_eq!(
                grant.person_id.as_deref(),
                viewer.person_id.as_ref().map(PersonId::as_str),
                "{}",
                user.name
            );
            assert_eq!(grant.embargo_access, viewer.embargo_access, "{}", user.name);
        }
        assert_eq!(
            DRAFTER.viewer(&directory).department_id,
            Some(DepartmentId::new("dept-id"))
        );
        assert_eq!(
            OFFICE.grant(&directory).person_id.as_deref(),
            Some("person-id")
        );
        assert_ne!(
            DRAFTER.name, OFFICE.name,
            "four eyes: the office must not be the author"
        );
    }
}
