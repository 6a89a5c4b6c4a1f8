//! The people and places a test acts with: `viewer()` and the world builder.
//!
//! A world is a migrated store with the example department (`miljodepartementet`), the
//! ministers a test asks for, and the users who act on releases: a drafter and an editor of the
//! department, and one minister's-office user per minister.
//!
//! ```text
//! let world = WorldBuilder::new()
//!     .minister("anna", "Annika Strandhäll", "klimat- och miljöminister", InDepartment::No)
//!     .build(store)
//!     .await;
//! let office = &world.ministers[0].office;
//! ```

use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;

/// The example department's slug.
pub const DEPARTMENT: &str = "miljodepartementet";

/// A viewer with the given name, role, department id and person id, without embargo access.
pub fn viewer(name: &str, role: Role, department: Option<&str>, person: Option<&str>) -> Viewer {
    Viewer {
        user_name: name.into(),
        role,
        department_id: department.map(Into::into),
        person_id: person.map(Into::into),
        embargo_access: false,
    }
}

/// Whether a minister belongs to the example department or to none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InDepartment {
    /// The minister belongs to the example department.
    Yes,
    /// The minister belongs to no department.
    No,
}

/// A minister of the world and the office user who reviews on their behalf.
#[derive(Clone, Debug)]
pub struct Minister {
    /// The person's id.
    pub id: String,
    /// The minister's office, a `MINISTER_OFFICE` viewer for this person.
    pub office: Viewer,
}

/// A migrated store with the example department, its users and ministers.
pub struct World {
    /// The store, migrated.
    pub store: Store,
    /// The example department's id.
    pub department_id: String,
    /// `dana`, a drafter of the example department.
    pub drafter: Viewer,
    /// `erik`, an editor of the example department.
    pub editor: Viewer,
    /// The ministers, in the order they were asked for.
    pub ministers: Vec<Minister>,
}

struct MinisterSpec {
    office_user: String,
    name: String,
    title: String,
    in_department: InDepartment,
}

/// Builds a [`World`]: the department first, then each minister in the order given (the audit
/// log records them in that order).
#[derive(Default)]
pub struct WorldBuilder {
    ministers: Vec<MinisterSpec>,
}

impl WorldBuilder {
    /// A world with the department and its drafter and editor, and no minister yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a minister named `name` with `title`, reviewed by the office user `office_user`.
    pub fn minister(
        mut self,
        office_user: &str,
        name: &str,
        title: &str,
        in_department: InDepartment,
    ) -> Self {
        self.ministers.push(MinisterSpec {
            office_user: office_user.to_owned(),
            name: name.to_owned(),
            title: title.to_owned(),
            in_department,
        });
        self
    }

    /// Migrates `store` and creates the department and the ministers in it, as `admin`.
    pub async fn build(self, store: Store) -> World {
        store
            .migrate()
            .await
            .unwrap_or_else(|error| panic!("migrate: {error}"));
        let department = store
            .create_department(
                &"admin".into(),
                DEPARTMENT,
                "Miljödepartementet",
                "Europe/Stockholm",
            )
            .await
            .unwrap_or_else(|error| panic!("create the department: {error}"));
        let mut ministers = Vec::new();
        for spec in self.ministers {
            let department = (spec.in_department == InDepartment::Yes).then_some(DEPARTMENT);
            let id = store
                .create_person(&"admin".into(), &spec.name, &spec.title, department)
                .await
                .unwrap_or_else(|error| panic!("create the minister {}: {error}", spec.name))
                .id;
            ministers.push(Minister {
                office: viewer(&spec.office_user, Role::MinisterOffice, None, Some(&id)),
                id,
            });
        }
        World {
            drafter: viewer("dana", Role::Drafter, Some(&department.id), None),
            editor: viewer("erik", Role::Editor, Some(&department.id), None),
            department_id: department.id,
            store,
            ministers,
        }
    }
}

/// The world most storage tests act in: a store on a manual clock (2 June 2026, 07:00 UTC) with
/// the example department, its drafter and editor, and two ministers with their offices:
/// Annika Strandhäll of the department (`a`, office user `anna`) and Bo Berg of none (`b`,
/// office user `bosse`).
pub struct TwoMinisters {
    /// The store, migrated, reading the manual clock.
    pub store: Store,
    /// The clock the store reads; tests move it.
    pub clock: pressroom_storage::clock::ManualClock,
    /// `dana`, a drafter of the example department.
    pub drafter: Viewer,
    /// `erik`, an editor of the example department.
    pub editor: Viewer,
    /// The office of minister `a`.
    pub office_a: Viewer,
    /// The office of minister `b`.
    pub office_b: Viewer,
    /// Annika Strandhäll's person id.
    pub a: String,
    /// Bo Berg's person id.
    pub b: String,
}

impl TwoMinisters {
    /// Connects to `url`, migrates, and builds the world.
    pub async fn build(url: &str) -> Self {
        let start = chrono::DateTime::parse_from_rfc3339("2026-06-02T07:00:00Z")
            .unwrap_or_else(|error| panic!("the start instant: {error}"))
            .to_utc();
        let clock = pressroom_storage::clock::ManualClock::new(start);
        let store = Store::connect(url)
            .await
            .unwrap_or_else(|error| panic!("connect: {error}"))
            .with_clock(std::sync::Arc::new(clock.clone()));
        let world = WorldBuilder::new()
            .minister(
                "anna",
                "Annika Strandhäll",
                "klimat- och miljöminister",
                InDepartment::Yes,
            )
            .minister("bosse", "Bo Berg", "näringsminister", InDepartment::No)
            .build(store)
            .await;
        let [a, b] = <[Minister; 2]>::try_from(world.ministers)
            .unwrap_or_else(|_| panic!("two ministers were asked for"));
        Self {
            drafter: world.drafter,
            editor: world.editor,
            office_a: a.office,
            office_b: b.office,
            store: world.store,
            clock,
            a: a.id,
            b: b.id,
        }
    }
}
