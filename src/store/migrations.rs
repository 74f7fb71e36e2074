//! The schema migrations, listed once for both engines: each entry names a file that must exist
//! under both `migrations/sqlite/` and `migrations/postgres/` (a missing one fails the build, an
//! unlisted one fails the test below), compiled into the binary so `cairn` runs from anywhere.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// `(version, description, SQL)`: the description is what sqlx records in `_sqlx_migrations`.
type Files = &'static [(i64, &'static str, &'static str)];

macro_rules! migrations {
    ($(($version:literal, $name:literal, $file:literal)),* $(,)?) => {
        /// The SQLite migrations, in order.
        pub(super) const SQLITE: Files = &[
            $(($version, $name, include_str!(concat!("../../migrations/sqlite/", $file, ".sql")))),*
        ];
        /// The PostgreSQL migrations, in order.
        pub(super) const POSTGRES: Files = &[
            $(($version, $name, include_str!(concat!("../../migrations/postgres/", $file, ".sql")))),*
        ];
        /// Each migration's file name without `.sql`, in order.
        #[cfg(test)]
        const FILES: &[&str] = &[$($file),*];
    };
}

migrations! {
    (1, "init", "0001_init"),
    (2, "outbox_doubt", "0002_outbox_doubt"),
    (3, "evidence", "0003_evidence"),
    (4, "kudos_source", "0004_kudos_source"),
    (5, "org", "0005_org"),
    (6, "kudos_given", "0006_kudos_given"),
    (7, "schedules", "0007_schedules"),
    (8, "digests", "0008_digests"),
    (9, "installations", "0009_installations"),
    (10, "enterprise workspaces", "0010_enterprise_workspaces"),
    (11, "event retention", "0011_event_retention"),
    (12, "outbox actions", "0012_outbox_actions"),
    (13, "evidence source", "0013_evidence_source"),
    (14, "levels", "0014_levels"),
    (15, "web", "0015_web"),
    (16, "outbox due", "0016_outbox_due"),
}

/// The latest migration this build knows.
pub(super) fn latest() -> i64 {
    SQLITE.last().map_or(0, |m| m.0)
}

pub(super) fn migrator(files: Files) -> Migrator {
    let migrations: Vec<Migration> = files
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Versions and descriptions are recorded in every database already migrated: changing one
    /// breaks them, so they are pinned here.
    #[test]
    fn versions_and_names_are_pinned() {
        let listed: Vec<(i64, &str)> = SQLITE.iter().map(|(v, n, _)| (*v, *n)).collect();
        assert_eq!(
            listed,
            [
                (1, "init"),
                (2, "outbox_doubt"),
                (3, "evidence"),
                (4, "kudos_source"),
                (5, "org"),
                (6, "kudos_given"),
                (7, "schedules"),
                (8, "digests"),
                (9, "installations"),
                (10, "enterprise workspaces"),
                (11, "event retention"),
                (12, "outbox actions"),
                (13, "evidence source"),
                (14, "levels"),
                (15, "web"),
                (16, "outbox due"),
            ]
        );
        let postgres: Vec<(i64, &str)> = POSTGRES.iter().map(|(v, n, _)| (*v, *n)).collect();
        assert_eq!(postgres, listed);
        assert_eq!(latest(), 16);
    }

    #[test]
    fn file_names_follow_versions_and_names() {
        for ((version, name, _), file) in SQLITE.iter().zip(FILES) {
            assert_eq!(*file, format!("{version:04}_{}", name.replace(' ', "_")));
        }
    }

    /// A migration added to one directory but not listed, or listed but gone, fails here.
    #[test]
    fn every_file_is_listed_for_both_engines() {
        let listed: Vec<String> = FILES.iter().map(|f| format!("{f}.sql")).collect();
        for engine in ["sqlite", "postgres"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(engine);
            let mut found: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            assert_eq!(
                found, listed,
                "migrations/{engine} and the list in migrations.rs"
            );
        }
    }
}
