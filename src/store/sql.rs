//! SQL shared by both backends. Both accept `$N` placeholders, so a statement is written once
//! here as text plus arguments, and each backend only binds and runs it.

use super::{
    from_millis, millis, Evidence, Kudos, KudosQuery, NewEvidence, NewKudos, OutboxCounts,
    OutboxMessage, OutboxRow, Outcome, Person, Role, Source, Visibility,
};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{ColumnIndex, Decode, Row};
use sqlx::{Database, Encode, Type};
use std::borrow::Cow;
use std::collections::HashSet;

/// A value bound to a `$N` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

/// A statement and its arguments, in placeholder order.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

pub(crate) type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

pub(crate) fn bind<'q, DB>(mut query: Query<'q, DB>, args: &'q [Arg]) -> Query<'q, DB>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
{
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(*v),
            Arg::Bool(v) => query.bind(*v),
            Arg::Text(v) => query.bind(v.as_str()),
            Arg::OptText(v) => query.bind(v.as_deref()),
            Arg::OptInt(v) => query.bind(*v),
        };
    }
    query
}

/// Writes a batch of kudos (see `batch.rs`) inside the caller's transaction; ids in batch order.
pub(crate) async fn write_kudos<DB>(
    conn: &mut DB::Connection,
    batch: &[NewKudos],
    known_teams: &HashSet<String>,
) -> Result<Vec<i64>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    execute_all::<DB>(&mut *conn, &remember_workspaces(batch, known_teams)).await?;
    let mut ids = Vec::with_capacity(batch.len());
    for stmt in insert_kudos(batch) {
        let rows = bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .fetch_all(&mut *conn)
            .await?;
        let mut chunk = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        chunk.sort_unstable();
        ids.extend(chunk);
    }
    execute_all::<DB>(&mut *conn, &kudos_children(&ids, batch)).await?;
    Ok(ids)
}

pub(crate) async fn execute_all<DB>(
    conn: &mut DB::Connection,
    statements: &[Stmt],
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    for stmt in statements {
        bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// `$from, $from+1, …` for `count` values.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bound parameters per statement at most; well under SQLite's and PostgreSQL's limits.
const MAX_PARAMS: usize = 8000;

/// `($1, $2), ($3, $4)…`: `rows` tuples of `width` placeholders.
fn values(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Statements over a VALUES list of `rows` (each `width` values), split so no statement binds
/// more than `MAX_PARAMS` values; `sql` makes a statement's text from its list.
fn in_chunks(width: usize, rows: Vec<Vec<Arg>>, sql: impl Fn(&str) -> String) -> Vec<Stmt> {
    let per_statement = (MAX_PARAMS / width).max(1);
    let mut rows = rows.into_iter().peekable();
    let mut statements = Vec::new();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
        statements.push(Stmt {
            sql: sql(&values(chunk.len(), width)),
            args: chunk.into_iter().flatten().collect(),
        });
    }
    statements
}

/// Multi-row inserts: `INSERT INTO table (cols) VALUES ($1, $2), ($3, $4)… suffix`, split so no
/// statement binds more than `MAX_PARAMS` values.
fn insert_rows(table: &str, columns: &[&str], rows: Vec<Vec<Arg>>, suffix: &str) -> Vec<Stmt> {
    let (width, columns) = (columns.len(), columns.join(", "));
    in_chunks(width, rows, |values| {
        format!("INSERT INTO {table} ({columns}) VALUES {values}{suffix}")
    })
}

/// The workspaces of a batch not yet known to be stored, remembered so the API can default `team`.
pub(crate) fn remember_workspaces(batch: &[NewKudos], known: &HashSet<String>) -> Vec<Stmt> {
    let mut seen: Vec<&str> = known.iter().map(String::as_str).collect();
    let rows = batch
        .iter()
        .filter(|k| {
            let new = !seen.contains(&k.team_id.as_str());
            seen.push(k.team_id.as_str());
            new
        })
        .map(|k| {
            vec![
                Arg::Text(k.team_id.to_string()),
                Arg::OptText(k.team_domain.clone()),
                Arg::Int(millis(k.created_at)),
            ]
        })
        .collect();
    insert_rows(
        "workspaces",
        &["team_id", "team_domain", "first_seen_at"],
        rows,
        " ON CONFLICT (team_id) DO NOTHING",
    )
}

/// The kudos rows of a batch, `RETURNING id`. Ids come from a sequence in row order, so each
/// statement's ids, sorted, line up with its rows.
pub(crate) fn insert_kudos(batch: &[NewKudos]) -> Vec<Stmt> {
    let rows = batch
        .iter()
        .map(|k| {
            vec![
                Arg::Text(k.team_id.to_string()),
                Arg::Text(k.giver.to_string()),
                Arg::Text(k.text.clone()),
                Arg::OptText(k.channel_id.as_ref().map(ToString::to_string)),
                Arg::Text(k.visibility.as_str().to_owned()),
                Arg::Text(k.framework_id.clone()),
                Arg::Text(k.framework_version.clone()),
                Arg::Int(millis(k.created_at)),
            ]
        })
        .collect();
    insert_rows(
        "kudos",
        &[
            "team_id",
            "giver",
            "text",
            "channel_id",
            "visibility",
            "framework_id",
            "framework_version",
            "created_at",
        ],
        rows,
        " RETURNING id",
    )
}

/// Recipients, tags and outbox rows of a batch just inserted with `ids` (in batch order).
pub(crate) fn kudos_children(ids: &[i64], batch: &[NewKudos]) -> Vec<Stmt> {
    let (mut recipients, mut tags, mut deliveries) = (Vec::new(), Vec::new(), Vec::new());
    for (&id, k) in ids.iter().zip(batch) {
        let team = || Arg::Text(k.team_id.to_string());
        for (i, u) in k.recipients.iter().enumerate() {
            recipients.push(vec![
                Arg::Int(id),
                team(),
                Arg::Text(u.to_string()),
                Arg::Int(i as i64),
                Arg::Text(k.sphere_of(i).as_str().to_owned()),
            ]);
        }
        let kinds = k.competencies.iter().map(|c| ("competency", c));
        let all = kinds.chain(k.multiplier_kinds.iter().map(|m| ("multiplier", m)));
        for (i, (kind, tag)) in all.enumerate() {
            tags.push(vec![
                Arg::Int(id),
                team(),
                Arg::Text(kind.into()),
                Arg::Text(tag.clone()),
                Arg::Int(i as i64),
            ]);
        }
        let now = millis(k.created_at);
        for d in &k.deliveries {
            deliveries.push(vec![
                team(),
                Arg::Text(format!("kudos:{id}:{}", d.key)),
                Arg::Text(d.channel.clone()),
                Arg::Text(d.text.clone()),
                Arg::Text(d.blocks.to_string()),
                Arg::Int(now),
                Arg::Int(now),
            ]);
        }
    }
    let mut statements = insert_rows(
        "kudos_recipients",
        &["kudos_id", "team_id", "user_id", "position", "sphere"],
        recipients,
        "",
    );
    statements.extend(insert_rows(
        "kudos_tags",
        &["kudos_id", "team_id", "kind", "tag_id", "position"],
        tags,
        "",
    ));
    // A replayed change must not enqueue the same message twice.
    statements.extend(insert_rows(
        "outbox",
        OUTBOX_COLUMNS,
        deliveries,
        " ON CONFLICT (team_id, dedupe_key) DO NOTHING",
    ));
    statements
}

/// The page of kudos heads (without recipients and tags), newest first, one extra row to tell
/// whether another page follows.
pub(crate) fn list_kudos(q: &KudosQuery) -> Stmt {
    let mut sql = String::from(
        "SELECT id, team_id, giver, text, channel_id, permalink, visibility, framework_id, framework_version, created_at FROM kudos WHERE team_id = $1",
    );
    let mut args = vec![Arg::Text(q.team_id.clone())];
    let next = |args: &mut Vec<Arg>, arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    if !q.include_private {
        sql.push_str(" AND visibility <> 'private'");
    }
    if let Some(user) = &q.user {
        let p = next(&mut args, Arg::Text(user.clone()));
        let received = format!(
            "id IN (SELECT kudos_id FROM kudos_recipients WHERE team_id = $1 AND user_id = {p})"
        );
        match q.role {
            Some(Role::Received) => sql.push_str(&format!(" AND {received}")),
            Some(Role::Given) => sql.push_str(&format!(" AND giver = {p}")),
            None => sql.push_str(&format!(" AND (giver = {p} OR {received})")),
        }
    }
    if let Some(from) = q.from {
        let p = next(&mut args, Arg::Int(millis(from)));
        sql.push_str(&format!(" AND created_at >= {p}"));
    }
    if let Some(to) = q.to {
        let p = next(&mut args, Arg::Int(millis(to)));
        sql.push_str(&format!(" AND created_at < {p}"));
    }
    if let Some(before) = q.before_id {
        let p = next(&mut args, Arg::Int(before));
        sql.push_str(&format!(" AND id < {p}"));
    }
    let p = next(&mut args, Arg::Int(q.limit + 1));
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {p}"));
    Stmt { sql, args }
}

pub(crate) fn kudos_recipients(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT kudos_id, user_id FROM kudos_recipients WHERE kudos_id IN ({}) ORDER BY kudos_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

pub(crate) fn kudos_tags(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT kudos_id, kind, tag_id FROM kudos_tags WHERE kudos_id IN ({}) ORDER BY kudos_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

/// The evidence row itself; its id comes back for the children.
pub(crate) fn insert_evidence(e: &NewEvidence) -> Stmt {
    Stmt {
        sql: "INSERT INTO evidence (team_id, subject, author, source, text, permalink, visibility, sphere, framework_id, framework_version, occurred_at, created_at)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id".to_owned(),
        args: vec![
            Arg::Text(e.team_id.to_string()),
            Arg::Text(e.subject.to_string()),
            Arg::Text(e.author.to_string()),
            Arg::Text(e.source.as_str().to_owned()),
            Arg::Text(e.text.clone()),
            Arg::OptText(e.permalink.clone()),
            Arg::Text(e.visibility.as_str().to_owned()),
            Arg::OptText(e.sphere.clone()),
            Arg::Text(e.framework_id.clone()),
            Arg::Text(e.framework_version.clone()),
            Arg::Int(millis(e.occurred_at)),
            Arg::Int(millis(e.created_at)),
        ],
    }
}

/// Its tags and the people it helped.
pub(crate) fn evidence_children(id: i64, e: &NewEvidence) -> Vec<Stmt> {
    let team = || Arg::Text(e.team_id.to_string());
    let kinds = e.competencies.iter().map(|c| ("competency", c));
    let tags = kinds
        .chain(e.multiplier_kinds.iter().map(|m| ("multiplier", m)))
        .enumerate()
        .map(|(i, (kind, tag))| {
            vec![
                Arg::Int(id),
                team(),
                Arg::Text(kind.into()),
                Arg::Text(tag.clone()),
                Arg::Int(i as i64),
            ]
        })
        .collect();
    let people = e
        .people
        .iter()
        .map(|u| vec![Arg::Int(id), team(), Arg::Text(u.to_string())])
        .collect();
    let mut statements = insert_rows(
        "evidence_tags",
        &["evidence_id", "team_id", "kind", "tag_id", "position"],
        tags,
        "",
    );
    statements.extend(insert_rows(
        "evidence_people",
        &["evidence_id", "team_id", "user_id"],
        people,
        " ON CONFLICT DO NOTHING",
    ));
    statements
}

pub(crate) const EVIDENCE_OF: &str = "SELECT id, team_id, subject, author, source, text, permalink, visibility, sphere, framework_id, framework_version, occurred_at
     FROM evidence WHERE team_id = $1 AND subject = $2 ORDER BY occurred_at DESC, id DESC LIMIT $3";

/// `$1` team, `$2` from, `$3` to, then the subjects: the arguments of the two queries below.
fn about(team_id: &str, subjects: &[String], from: i64, to: i64) -> Vec<Arg> {
    let mut args = vec![Arg::Text(team_id.to_owned()), Arg::Int(from), Arg::Int(to)];
    args.extend(subjects.iter().map(|s| Arg::Text(s.clone())));
    args
}

/// Evidence about some people in a period, one row per tag (or one row without a tag): the
/// tags come with the rows instead of in a second round trip.
pub(crate) fn evidence_between(team_id: &str, subjects: &[String], from: i64, to: i64) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT e.id, e.team_id, e.subject, e.author, e.source, e.text, e.permalink, e.visibility, e.sphere,
                    e.framework_id, e.framework_version, e.occurred_at, t.kind AS tag_kind, t.tag_id
             FROM evidence e LEFT JOIN evidence_tags t ON t.evidence_id = e.id
             WHERE e.team_id = $1 AND e.subject IN ({}) AND e.occurred_at >= $2 AND e.occurred_at < $3
             ORDER BY e.id, t.position",
            placeholders(4, subjects.len())
        ),
        args: about(team_id, subjects, from, to),
    }
}

/// Kudos some people received in a period, one row per receiver and tag (or one row without a
/// tag), grouped by receiver.
pub(crate) fn kudos_received_between(
    team_id: &str,
    subjects: &[String],
    from: i64,
    to: i64,
) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT k.id, k.giver, k.text, k.permalink, k.visibility, k.created_at, r.sphere, t.kind, t.tag_id, r.user_id
             FROM kudos_recipients r JOIN kudos k ON k.id = r.kudos_id LEFT JOIN kudos_tags t ON t.kudos_id = k.id
             WHERE r.team_id = $1 AND r.user_id IN ({}) AND k.created_at >= $2 AND k.created_at < $3
             ORDER BY r.user_id, k.id, t.position",
            placeholders(4, subjects.len())
        ),
        args: about(team_id, subjects, from, to),
    }
}

pub(crate) const KUDOS_GIVEN_COUNT: &str = "SELECT COUNT(*) FROM kudos
     WHERE team_id = $1 AND giver = $2 AND created_at >= $3 AND created_at < $4 AND (visibility <> 'private' OR $5)";

pub(crate) const ORG_CHART: &str =
    "SELECT user_id, org_name AS name, email, org_team, org_group, manager_id
     FROM people WHERE team_id = $1 AND org_updated_at IS NOT NULL ORDER BY user_id";

/// A new person gets `updated_at` 0, so their Slack profile is fetched when first needed.
pub(crate) const IMPORT_ORG_PERSON: &str = "INSERT INTO people (team_id, user_id, org_name, email, org_team, org_group, manager_id, org_updated_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)
     ON CONFLICT (team_id, user_id) DO UPDATE SET org_name = excluded.org_name, email = excluded.email, org_team = excluded.org_team,
     org_group = excluded.org_group, manager_id = excluded.manager_id, org_updated_at = excluded.org_updated_at";

pub(crate) fn org_people(team_id: &str, users: &[String]) -> Stmt {
    let mut args = vec![Arg::Text(team_id.to_owned())];
    args.extend(users.iter().map(|u| Arg::Text(u.clone())));
    Stmt {
        sql: format!(
            "SELECT user_id, COALESCE(org_name, real_name, name) AS name, email, org_team, org_group, manager_id
             FROM people WHERE team_id = $1 AND user_id IN ({})",
            placeholders(2, users.len())
        ),
        args,
    }
}

/// Managers, nearest first; the depth bound guards against a loop the import did not catch.
pub(crate) const MANAGER_CHAIN: &str = "WITH RECURSIVE chain (user_id, depth) AS (
         SELECT manager_id, 1 FROM people WHERE team_id = $1 AND user_id = $2 AND manager_id IS NOT NULL
         UNION ALL
         SELECT p.manager_id, c.depth + 1 FROM people p JOIN chain c ON p.user_id = c.user_id
         WHERE p.team_id = $1 AND p.manager_id IS NOT NULL AND c.depth < 64
     )
     SELECT user_id FROM chain ORDER BY depth";

pub(crate) fn record_views(views: &[super::SummaryView]) -> Vec<Stmt> {
    let rows = views
        .iter()
        .map(|v| {
            vec![
                Arg::Text(v.team_id.clone()),
                Arg::Text(v.subject.clone()),
                Arg::Text(v.viewer.clone()),
                Arg::Text(v.what.clone()),
                Arg::Text(v.via.clone()),
                Arg::Int(super::millis(v.viewed_at)),
            ]
        })
        .collect();
    insert_rows(
        "summary_views",
        &["team_id", "subject", "viewer", "what", "via", "viewed_at"],
        rows,
        "",
    )
}
pub(crate) const VIEWS_OF: &str =
    "SELECT team_id, subject, viewer, what, via, viewed_at FROM summary_views
     WHERE team_id = $1 AND subject = $2 AND viewed_at >= $3 ORDER BY viewed_at DESC LIMIT 50";

pub(crate) fn org_person<'r, R: Row>(row: &'r R) -> Result<super::OrgPerson, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(super::OrgPerson {
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        team: row.try_get("org_team")?,
        group: row.try_get("org_group")?,
        manager: row.try_get("manager_id")?,
    })
}

pub(crate) fn evidence_tags(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT evidence_id, kind, tag_id FROM evidence_tags WHERE evidence_id IN ({}) ORDER BY evidence_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

pub(crate) fn evidence_people(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT evidence_id, user_id FROM evidence_people WHERE evidence_id IN ({}) ORDER BY evidence_id, user_id",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

pub(crate) fn evidence_head<'r, R: Row>(row: &'r R) -> Result<Evidence, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let visibility: String = row.try_get("visibility")?;
    let source: String = row.try_get("source")?;
    Ok(Evidence {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        subject: row.try_get("subject")?,
        author: row.try_get("author")?,
        source: Source::parse(&source).unwrap_or(Source::SelfLogged),
        text: row.try_get("text")?,
        permalink: row.try_get("permalink")?,
        visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Private),
        competencies: Vec::new(),
        multiplier_kinds: Vec::new(),
        sphere: row.try_get("sphere")?,
        people: Vec::new(),
        framework_id: row.try_get("framework_id")?,
        framework_version: row.try_get("framework_version")?,
        occurred_at: from_millis(row.try_get("occurred_at")?),
    })
}

/// Items per competency about a person since `$3`: kudos they received and evidence they hold.
pub(crate) const COMPETENCY_COUNTS: &str = "SELECT tag_id, COUNT(*) FROM (
        SELECT t.tag_id FROM kudos_tags t JOIN kudos_recipients r ON r.kudos_id = t.kudos_id JOIN kudos k ON k.id = t.kudos_id
         WHERE r.team_id = $1 AND r.user_id = $2 AND t.kind = 'competency' AND k.created_at >= $3
        UNION ALL
        SELECT t.tag_id FROM evidence_tags t JOIN evidence e ON e.id = t.evidence_id
         WHERE e.team_id = $1 AND e.subject = $2 AND t.kind = 'competency' AND e.occurred_at >= $3
     ) AS items GROUP BY tag_id ORDER BY tag_id";

/// Forget-me, in order: `$1` team, `$2` user (`$2`/`$3`: the user as a LIKE pattern where
/// noted). The counts come first; texts that mention the person are rewritten in Rust.
pub(crate) const FORGET_COUNT_RECEIVED: &str =
    "SELECT COUNT(*) FROM kudos_recipients WHERE team_id = $1 AND user_id = $2";
pub(crate) const FORGET_COUNT_GIVEN: &str =
    "SELECT COUNT(*) FROM kudos WHERE team_id = $1 AND giver = $2";
pub(crate) const FORGET_COUNT_EVIDENCE: &str =
    "SELECT COUNT(*) FROM evidence WHERE team_id = $1 AND subject = $2";
pub(crate) const FORGET_DELETES: &[&str] = &[
    "DELETE FROM evidence_tags WHERE evidence_id IN (SELECT id FROM evidence WHERE team_id = $1 AND subject = $2)",
    "DELETE FROM evidence_people WHERE evidence_id IN (SELECT id FROM evidence WHERE team_id = $1 AND subject = $2)",
    "DELETE FROM evidence WHERE team_id = $1 AND subject = $2",
    "DELETE FROM evidence_people WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM kudos_recipients WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM kudos_tags WHERE kudos_id IN (SELECT id FROM kudos k WHERE k.team_id = $1 AND NOT EXISTS (SELECT 1 FROM kudos_recipients r WHERE r.kudos_id = k.id))",
    "DELETE FROM kudos WHERE team_id = $1 AND NOT EXISTS (SELECT 1 FROM kudos_recipients r WHERE r.kudos_id = kudos.id)",
    "UPDATE kudos SET giver = '' WHERE team_id = $1 AND giver = $2",
    "UPDATE people SET manager_id = NULL WHERE team_id = $1 AND manager_id = $2",
    "DELETE FROM summary_views WHERE team_id = $1 AND (subject = $2 OR viewer = $2)",
    "DELETE FROM schedules WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM prompts WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM people WHERE team_id = $1 AND user_id = $2",
    "UPDATE installations SET installer_user_id = NULL WHERE team_id = $1 AND installer_user_id = $2",
];
pub(crate) const FORGET_OUTBOX: &str =
    "DELETE FROM outbox WHERE team_id = $1 AND (channel = $2 OR text LIKE $3 OR blocks LIKE $3 OR dedupe_key LIKE $3)";
pub(crate) const FORGET_KUDOS_TEXTS: &str =
    "SELECT id, text FROM kudos WHERE team_id = $1 AND text LIKE $2";
pub(crate) const FORGET_EVIDENCE_TEXTS: &str =
    "SELECT id, text FROM evidence WHERE team_id = $1 AND text LIKE $2";
pub(crate) const SET_KUDOS_TEXT: &str = "UPDATE kudos SET text = $2 WHERE id = $1";
pub(crate) const SET_EVIDENCE_TEXT: &str = "UPDATE evidence SET text = $2 WHERE id = $1";

pub(crate) const KUDOS_BY_SOURCE: &str =
    "SELECT id FROM kudos WHERE team_id = $1 AND source_key = $2 AND giver = $3 AND created_at >= $4";
pub(crate) const SET_KUDOS_SOURCE: &str =
    "UPDATE kudos SET source_key = $2, permalink = $3 WHERE id = $1";
pub(crate) const WITHDRAW_KUDOS: &[&str] = &[
    "DELETE FROM kudos_tags WHERE kudos_id = $1",
    "DELETE FROM kudos_recipients WHERE kudos_id = $1",
    "DELETE FROM kudos WHERE id = $1",
];
pub(crate) const WITHDRAW_OUTBOX: &str =
    "DELETE FROM outbox WHERE team_id = $1 AND status = 'pending' AND dedupe_key LIKE $2";
pub(crate) const TAG_KUDOS: &str = "INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position)
     SELECT id, team_id, 'competency', $4, 0 FROM kudos WHERE team_id = $1 AND source_key = $2 AND giver = $3
     ON CONFLICT DO NOTHING";

pub(crate) const WORKSPACES: &str = "SELECT team_id FROM workspaces ORDER BY team_id";

/// A workspace whose org chart is imported is served, kudos or not.
pub(crate) const REMEMBER_WORKSPACE: &str =
    "INSERT INTO workspaces (team_id, first_seen_at) VALUES ($1, $2)
     ON CONFLICT (team_id) DO NOTHING";

pub(crate) const RECORD_EVENT: &str =
    "INSERT INTO slack_events (event_id, team_id, event_type, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING";

pub(crate) const UNRECORD_EVENT: &str = "DELETE FROM slack_events WHERE event_id = $1";

pub(crate) const UPSERT_PERSON: &str = "INSERT INTO people (team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (team_id, user_id) DO UPDATE SET name = excluded.name, real_name = excluded.real_name, tz = excluded.tz,
     is_bot = excluded.is_bot, deleted = excluded.deleted, updated_at = excluded.updated_at";

pub(crate) const PERSON: &str =
    "SELECT team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at FROM people WHERE team_id = $1 AND user_id = $2";

/// The Slack profiles of `users` in `team_id` (as `PERSON`, for a batch).
pub(crate) fn people_of(team_id: &str, users: &[String]) -> Stmt {
    let mut args = vec![Arg::Text(team_id.to_owned())];
    args.extend(users.iter().map(|u| Arg::Text(u.clone())));
    Stmt {
        sql: format!(
            "SELECT team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at FROM people
             WHERE team_id = $1 AND user_id IN ({})",
            placeholders(2, users.len())
        ),
        args,
    }
}

/// Leases due rows: `$1` worker, `$2` lease end, `$3` now, `$4` limit. `lock` is appended to the
/// inner select (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time).
/// A row still leased when its lease ran out was being sent by a worker that never said how it
/// went: it becomes in doubt from that worker's claim on (`SET` reads the old values).
pub(crate) fn claim_outbox(lock: &str) -> String {
    format!(
        "UPDATE outbox SET locked_by = $1, locked_until = $2, attempts = attempts + 1, claimed_at = $3,
                doubt_since = CASE WHEN locked_by IS NOT NULL THEN COALESCE(doubt_since, claimed_at) ELSE doubt_since END
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND not_before <= $3
                      AND (locked_until IS NULL OR locked_until < $3) ORDER BY id LIMIT $4 {lock})
         RETURNING id, team_id, dedupe_key, channel, text, blocks, attempts, doubt_since, (not_before > created_at) AS put_off"
    )
}

/// What the worker learnt about its leased rows, applied in one transaction (one commit, one
/// fsync) instead of one per message. Rows whose lease was lost to another worker are left alone.
pub(crate) fn outbox_finish(worker: &str, now: i64, outcomes: &[(i64, Outcome)]) -> Vec<Stmt> {
    let mut statements = Vec::new();
    let sent: Vec<(i64, &str)> = outcomes
        .iter()
        .filter_map(|(id, o)| match o {
            Outcome::Sent { ts } => Some((*id, ts.as_str())),
            _ => None,
        })
        .collect();
    for chunk in sent.chunks(MAX_PARAMS / 2 - 2) {
        let mut args = vec![Arg::Text(worker.to_owned()), Arg::Int(now)];
        let mut cases = String::new();
        let mut ids = Vec::new();
        for (id, ts) in chunk {
            args.push(Arg::Int(*id));
            args.push(Arg::Text((*ts).to_owned()));
            let (pi, pt) = (args.len() - 1, args.len());
            cases.push_str(&format!(" WHEN ${pi} THEN ${pt}"));
            ids.push(format!("${pi}"));
        }
        statements.push(Stmt {
            sql: format!(
                "UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL, locked_by = NULL, locked_until = NULL, \
                 slack_ts = CASE id{cases} END WHERE locked_by = $1 AND id IN ({})",
                ids.join(", ")
            ),
            args,
        });
    }
    for (id, outcome) in outcomes {
        let (sql, args) = match outcome {
            Outcome::Sent { .. } => continue,
            Outcome::Retry {
                not_before,
                error,
                uncertain,
            } => (
                OUTBOX_RETRY,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Int(millis(*not_before)),
                    Arg::Text(error.clone()),
                    Arg::Bool(*uncertain),
                ],
            ),
            Outcome::Defer { not_before, reason } => (
                OUTBOX_DEFER,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Int(millis(*not_before)),
                    Arg::OptText(reason.clone()),
                ],
            ),
            Outcome::Dead { error } => (
                OUTBOX_DEAD,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Text(error.clone()),
                ],
            ),
        };
        statements.push(Stmt {
            sql: sql.to_owned(),
            args,
        });
    }
    statements
}

pub(crate) const OUTBOX_DEFER: &str = "UPDATE outbox SET not_before = $3, attempts = attempts - 1, last_error = COALESCE($4, last_error), locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2";
/// `$5`: Slack may have posted the message before failing (a timeout, a 5xx).
pub(crate) const OUTBOX_RETRY: &str = "UPDATE outbox SET not_before = $3, last_error = $4, locked_by = NULL, locked_until = NULL,
     doubt_since = CASE WHEN $5 THEN COALESCE(doubt_since, claimed_at) ELSE doubt_since END WHERE id = $1 AND locked_by = $2";
pub(crate) const OUTBOX_EXTEND: &str =
    "UPDATE outbox SET locked_until = $2 WHERE locked_by = $1 AND status = 'pending'";
pub(crate) const OUTBOX_DEAD: &str = "UPDATE outbox SET status = 'dead', last_error = $3, locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2";
pub(crate) const OUTBOX_COUNTS: &str = "SELECT status, COUNT(*) FROM outbox GROUP BY status";
pub(crate) const OUTBOX_LIST: &str = "SELECT id, team_id, dedupe_key, channel, status, attempts, last_error, slack_ts FROM outbox WHERE status = $1 ORDER BY id LIMIT $2";
pub(crate) const PARK_WORKSPACE: &str = "UPDATE outbox SET status = 'dead', last_error = $2, locked_by = NULL, locked_until = NULL WHERE team_id = $1 AND status = 'pending'";

/// Dead rows back to pending, due at `$1`: all of them, or those in `ids`.
pub(crate) fn outbox_requeue(ids: Option<&[i64]>, now: i64) -> Stmt {
    let mut sql = String::from(
        "UPDATE outbox SET status = 'pending', attempts = 0, not_before = $1, last_error = NULL, locked_by = NULL, locked_until = NULL WHERE status = 'dead'",
    );
    let mut args = vec![Arg::Int(now)];
    if let Some(ids) = ids {
        sql.push_str(&format!(
            " AND id IN ({})",
            placeholders(2, ids.len().max(1))
        ));
        // An empty list matches nothing rather than everything.
        args.extend(ids.iter().map(|i| Arg::Int(*i)));
        if ids.is_empty() {
            args.push(Arg::Int(-1));
        }
    }
    Stmt { sql, args }
}

pub(crate) const OUTBOX_ROWS: &str =
    "SELECT id, team_id, dedupe_key, channel, status, attempts, last_error, slack_ts FROM outbox WHERE team_id = $1 ORDER BY id";

const INSTALLATION_COLUMNS: &str = "team_id, enterprise_id, app_id, bot_user_id, bot_token_sealed, scopes, installer_user_id, installed_at, updated_at";

/// A reinstall replaces everything but the first install's time.
pub(crate) fn save_installation(i: &super::Installation) -> Stmt {
    Stmt {
        sql: format!(
            "INSERT INTO installations ({INSTALLATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, app_id = excluded.app_id,
             bot_user_id = excluded.bot_user_id, bot_token_sealed = excluded.bot_token_sealed, scopes = excluded.scopes,
             installer_user_id = excluded.installer_user_id, updated_at = excluded.updated_at"
        ),
        args: vec![
            Arg::Text(i.team_id.clone()),
            Arg::OptText(i.enterprise_id.clone()),
            Arg::OptText(i.app_id.clone()),
            Arg::OptText(i.bot_user_id.clone()),
            Arg::Text(i.bot_token_sealed.clone()),
            Arg::OptText((!i.scopes.is_empty()).then(|| i.scopes.join(","))),
            Arg::OptText(i.installer_user_id.clone()),
            Arg::Int(millis(i.installed_at)),
            Arg::Int(millis(i.updated_at)),
        ],
    }
}

pub(crate) fn installation_select(filter: &str) -> String {
    format!("SELECT {INSTALLATION_COLUMNS} FROM installations {filter} ORDER BY team_id")
}

pub(crate) const DELETE_INSTALLATION: &str = "DELETE FROM installations WHERE team_id = $1";
/// `$1` team, `$2` the sealed token read, `$3` the new one, `$4` now: only if the row still holds what was read.
pub(crate) const RESEAL_INSTALLATION: &str =
    "UPDATE installations SET bot_token_sealed = $3, updated_at = $4 WHERE team_id = $1 AND bot_token_sealed = $2";

/// `$1` team, `$2` organisation, `$3` now. A workspace moved to another organisation follows it.
pub(crate) const LINK_WORKSPACE: &str = "INSERT INTO workspace_enterprises (team_id, enterprise_id, seen_at) VALUES ($1, $2, $3)
     ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, seen_at = excluded.seen_at";
pub(crate) const UNLINK_WORKSPACE: &str =
    "DELETE FROM workspace_enterprises WHERE team_id = $1 AND enterprise_id = $2";
pub(crate) const ENTERPRISE_OF: &str =
    "SELECT enterprise_id FROM workspace_enterprises WHERE team_id = $1";
pub(crate) const ENTERPRISE_WORKSPACES: &str =
    "SELECT team_id FROM workspace_enterprises WHERE enterprise_id = $1 ORDER BY team_id";

pub(crate) const DROP_EXPIRED_OAUTH_STATES: &str =
    "DELETE FROM oauth_states WHERE expires_at <= $1";
pub(crate) const SAVE_OAUTH_STATE: &str =
    "INSERT INTO oauth_states (nonce, created_at, expires_at) VALUES ($1, $2, $3)";
/// Single use: only the first spend before expiry changes the row.
pub(crate) const USE_OAUTH_STATE: &str =
    "UPDATE oauth_states SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2";

pub(crate) fn installation<'r, R: Row>(row: &'r R) -> Result<super::Installation, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(super::Installation {
        team_id: row.try_get("team_id")?,
        enterprise_id: row.try_get("enterprise_id")?,
        app_id: row.try_get("app_id")?,
        bot_user_id: row.try_get("bot_user_id")?,
        bot_token_sealed: row.try_get("bot_token_sealed")?,
        scopes: scopes
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        installer_user_id: row.try_get("installer_user_id")?,
        installed_at: from_millis(row.try_get("installed_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

/// Migrations compiled into the binary, so `cairn` runs from any directory.
pub(crate) fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
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

// Row decoding, generic over the backend's row type.

pub(crate) fn kudos_head<'r, R: Row>(row: &'r R) -> Result<Kudos, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let visibility: String = row.try_get("visibility")?;
    Ok(Kudos {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        giver: row.try_get("giver")?,
        recipients: Vec::new(),
        competencies: Vec::new(),
        multiplier_kinds: Vec::new(),
        text: row.try_get("text")?,
        channel_id: row.try_get("channel_id")?,
        permalink: row.try_get("permalink")?,
        visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Private),
        framework_id: row.try_get("framework_id")?,
        framework_version: row.try_get("framework_version")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

pub(crate) fn person<'r, R: Row>(row: &'r R) -> Result<Person, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Person {
        team_id: row.try_get("team_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        real_name: row.try_get("real_name")?,
        tz: row.try_get("tz")?,
        is_bot: row.try_get("is_bot")?,
        deleted: row.try_get("deleted")?,
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

pub(crate) fn outbox_message<'r, R: Row>(row: &'r R) -> Result<OutboxMessage, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let blocks: String = row.try_get("blocks")?;
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        channel: row.try_get("channel")?,
        text: row.try_get("text")?,
        blocks: serde_json::from_str(&blocks).unwrap_or(serde_json::Value::Null),
        attempts: row.try_get("attempts")?,
        dedupe_key: row.try_get("dedupe_key")?,
        doubt_since: row
            .try_get::<Option<i64>, _>("doubt_since")?
            .and_then(chrono::DateTime::from_timestamp_millis),
        put_off: row.try_get("put_off")?,
    })
}

pub(crate) fn outbox_row<'r, R: Row>(row: &'r R) -> Result<OutboxRow, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(OutboxRow {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        channel: row.try_get("channel")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        slack_ts: row.try_get("slack_ts")?,
    })
}

/// Drops the extra row fetched to detect a next page and returns the cursor for it.
pub(crate) fn page_cursor(items: &mut Vec<Kudos>, limit: i64) -> Option<i64> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|k| k.id)
    } else {
        None
    }
}

pub(crate) fn attach_tag(k: &mut Kudos, kind: &str, tag: String) {
    if kind == "competency" {
        k.competencies.push(tag);
    } else {
        k.multiplier_kinds.push(tag);
    }
}

pub(crate) fn count_status(counts: &mut OutboxCounts, status: &str, n: i64) {
    match status {
        "pending" => counts.pending = n,
        "sent" => counts.sent = n,
        "dead" => counts.dead = n,
        _ => {}
    }
}

// ---------------------------------------------------------------- schedules

const SCHEDULE_COLUMNS: &str = "team_id, user_id, weekday, local_time, cadence, tz, paused_until, reflections, monthly_summary,
     next_fire_at, next_local_date, last_local_date, snoozed";

pub(crate) fn schedule_select() -> String {
    format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE team_id = $1 AND user_id = $2")
}

/// `replace` false: a row already there wins (`DO NOTHING`).
pub(crate) fn save_schedule(s: &super::Schedule, now: i64, replace: bool) -> Stmt {
    let conflict = if replace {
        "DO UPDATE SET weekday = excluded.weekday, local_time = excluded.local_time, cadence = excluded.cadence, tz = excluded.tz,
         paused_until = excluded.paused_until, reflections = excluded.reflections, monthly_summary = excluded.monthly_summary,
         next_fire_at = excluded.next_fire_at, next_local_date = excluded.next_local_date, last_local_date = excluded.last_local_date,
         snoozed = excluded.snoozed, locked_until = NULL, updated_at = excluded.updated_at"
    } else {
        "DO NOTHING"
    };
    let date = |d: Option<chrono::NaiveDate>| Arg::OptText(d.map(|d| d.to_string()));
    Stmt {
        sql: format!(
            "INSERT INTO schedules ({SCHEDULE_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (team_id, user_id) {conflict}"
        ),
        args: vec![
            Arg::Text(s.team_id.clone()),
            Arg::Text(s.user_id.clone()),
            Arg::Int(i64::from(s.slot.weekday.num_days_from_monday())),
            Arg::Text(s.slot.time.format("%H:%M").to_string()),
            Arg::Text(s.slot.cadence.as_str().to_owned()),
            Arg::OptText(s.tz.clone()),
            date(s.paused_until),
            Arg::Text(s.reflections.as_str().to_owned()),
            Arg::Bool(s.monthly_summary),
            Arg::OptInt(s.next.map(|n| super::millis(n.at))),
            date(s.next.map(|n| n.local_date)),
            date(s.last_local_date),
            Arg::Bool(s.snoozed),
            Arg::Int(now),
        ],
    }
}

/// People to give a first slot: those with no schedule, and those whose schedule waits for a
/// time zone that is now known.
pub(crate) const UNSCHEDULED_PEOPLE: &str =
    "SELECT p.team_id, p.user_id, p.name, p.real_name, p.tz, p.is_bot, p.deleted, p.updated_at
     FROM people p LEFT JOIN schedules s ON s.team_id = p.team_id AND s.user_id = p.user_id
     WHERE NOT p.is_bot AND NOT p.deleted
       AND (s.user_id IS NULL
            OR (s.next_fire_at IS NULL AND s.cadence <> 'off' AND (p.tz IS NOT NULL OR s.tz IS NOT NULL)))
     ORDER BY p.team_id, p.user_id LIMIT $1";

/// Leases due schedules: `$1` now, `$2` lease end, `$3` limit; `lock` as for the outbox.
pub(crate) fn claim_schedules(lock: &str) -> String {
    format!(
        "UPDATE schedules SET locked_until = $2
         WHERE (team_id, user_id) IN (SELECT team_id, user_id FROM schedules
                WHERE next_fire_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
                ORDER BY next_fire_at LIMIT $3 {lock})
         RETURNING {SCHEDULE_COLUMNS}"
    )
}

/// Records a batch's prompts, each at most once per person, kind and local date, returning
/// those newly recorded: one already there (another replica, a restart) comes back from none
/// of the statements, nor does a second copy within the batch.
pub(crate) fn record_prompts(prompts: &[(&str, &str, &super::Prompt)], now: i64) -> Vec<Stmt> {
    let rows = prompts
        .iter()
        .map(|(team, user, p)| {
            vec![
                Arg::Text((*team).to_owned()),
                Arg::Text((*user).to_owned()),
                Arg::Text(p.kind.to_owned()),
                Arg::Text(p.local_date.to_string()),
                Arg::Int(now),
            ]
        })
        .collect();
    insert_rows(
        "prompts",
        &["team_id", "user_id", "kind", "local_date", "sent_at"],
        rows,
        " ON CONFLICT (team_id, user_id, kind, local_date) DO NOTHING RETURNING team_id, user_id, kind, local_date",
    )
}

/// The columns a new outbox row is written with.
const OUTBOX_COLUMNS: &[&str] = &[
    "team_id",
    "dedupe_key",
    "channel",
    "text",
    "blocks",
    "not_before",
    "created_at",
];

/// Outbox rows, in the order given: `(team, dedupe key, message)`; a key already there is kept.
pub(crate) fn enqueue(deliveries: &[(&str, String, &super::Delivery)], now: i64) -> Vec<Stmt> {
    let rows = deliveries
        .iter()
        .map(|(team_id, key, d)| {
            vec![
                Arg::Text((*team_id).to_owned()),
                Arg::Text(key.clone()),
                Arg::Text(d.channel.clone()),
                Arg::Text(d.text.clone()),
                Arg::Text(d.blocks.to_string()),
                Arg::Int(now),
                Arg::Int(now),
            ]
        })
        .collect();
    insert_rows(
        "outbox",
        OUTBOX_COLUMNS,
        rows,
        " ON CONFLICT (team_id, dedupe_key) DO NOTHING",
    )
}

/// Moves schedules on after their firing and releases their leases; their settings are left as
/// they are (a settings change made meanwhile is kept). One schedule at most once per batch.
pub(crate) fn advance_schedules(schedules: &[&super::Schedule], now: i64) -> Vec<Stmt> {
    let date = |d: Option<chrono::NaiveDate>| Arg::OptText(d.map(|d| d.to_string()));
    let rows = schedules
        .iter()
        .map(|s| {
            vec![
                Arg::Text(s.team_id.clone()),
                Arg::Text(s.user_id.clone()),
                Arg::OptInt(s.next.map(|n| super::millis(n.at))),
                date(s.next.map(|n| n.local_date)),
                date(s.last_local_date),
                Arg::Bool(s.snoozed),
                Arg::Int(now),
            ]
        })
        .collect();
    in_chunks(7, rows, |values| {
        format!(
            "WITH v (team_id, user_id, next_fire_at, next_local_date, last_local_date, snoozed, updated_at) AS (VALUES {values})
             UPDATE schedules SET next_fire_at = v.next_fire_at, next_local_date = v.next_local_date,
                 last_local_date = v.last_local_date, snoozed = v.snoozed, locked_until = NULL, updated_at = v.updated_at
             FROM v WHERE schedules.team_id = v.team_id AND schedules.user_id = v.user_id"
        )
    })
}

pub(crate) const LAST_PROMPT_SINCE: &str =
    "SELECT MAX(sent_at) FROM prompts WHERE team_id = $1 AND user_id = $2 AND sent_at >= $3
       AND kind IN ('weekly', 'monthly')";

pub(crate) const PROMPTED: &str =
    "SELECT user_id FROM prompts WHERE team_id = $1 AND kind = $2 AND local_date = $3";

/// Each manager with each of their active direct reports, one row per pair.
pub(crate) const MANAGERS: &str =
    "SELECT m.user_id AS manager, COALESCE(s.tz, m.tz) AS tz, (m.is_bot OR m.deleted) AS inactive,
            s.paused_until, r.user_id AS report
     FROM people r
     JOIN people m ON m.team_id = r.team_id AND m.user_id = r.manager_id
     LEFT JOIN schedules s ON s.team_id = m.team_id AND s.user_id = m.user_id
     WHERE r.team_id = $1 AND r.org_updated_at IS NOT NULL AND NOT r.is_bot AND NOT r.deleted
     ORDER BY m.user_id, r.user_id";

pub(crate) fn schedule<'r, R: Row>(row: &'r R) -> Result<super::Schedule, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    use crate::domain::schedule::{Cadence, Occurrence, Slot};
    let bad =
        |what: &str, value: &str| sqlx::Error::Decode(format!("schedules.{what}: {value}").into());
    let date = |column: &'static str| -> Result<Option<chrono::NaiveDate>, sqlx::Error> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| t.parse().map_err(|_| bad(column, &t)))
            .transpose()
    };
    let weekday: i64 = row.try_get("weekday")?;
    let time: String = row.try_get("local_time")?;
    let cadence: String = row.try_get("cadence")?;
    let reflections: String = row.try_get("reflections")?;
    let next_at: Option<i64> = row.try_get("next_fire_at")?;
    let next_date = date("next_local_date")?;
    Ok(super::Schedule {
        team_id: row.try_get("team_id")?,
        user_id: row.try_get("user_id")?,
        slot: Slot {
            weekday: u8::try_from(weekday)
                .ok()
                .and_then(|d| chrono::Weekday::try_from(d).ok())
                .ok_or_else(|| bad("weekday", &weekday.to_string()))?,
            time: chrono::NaiveTime::parse_from_str(&time, "%H:%M")
                .map_err(|_| bad("local_time", &time))?,
            cadence: Cadence::parse(&cadence).map_err(|_| bad("cadence", &cadence))?,
        },
        tz: row.try_get("tz")?,
        paused_until: date("paused_until")?,
        reflections: Visibility::parse(&reflections).unwrap_or(Visibility::Private),
        monthly_summary: row.try_get("monthly_summary")?,
        next: match (next_at, next_date) {
            (Some(at), Some(local_date)) => Some(Occurrence {
                at: super::from_millis(at),
                local_date,
            }),
            _ => None,
        },
        last_local_date: date("last_local_date")?,
        snoozed: row.try_get("snoozed")?,
    })
}
