//! Kudos: giving, listing, withdrawing and tagging them. The SQL lives next to the code that
//! runs it; a batch of kudos is written in two calls (SQLite, `sqlite.rs`) or one statement
//! (PostgreSQL, `postgres.rs`), from the statements made here.

use super::backend::{execute_all, Backend, Get};
use super::common::SqlStore;
use super::outbox::enqueue_at;
use super::sql::{insert_rows, placeholders, stmt, Arg, Stmt};
use super::workspaces::remember_workspaces;
use super::*;
use async_trait::async_trait;
use std::collections::HashSet;

/// Kudos given and received.
#[async_trait]
pub trait KudosStore: Send + Sync {
    /// Records a kudos with its recipients, tags and deliveries in one transaction; returns its id.
    async fn record_kudos(&self, kudos: NewKudos) -> Result<i64>;
    /// Records a kudos that has a source (a reaction) at most once: `None` if one with this
    /// `source_key` exists already. `permalink` is the message it is about.
    async fn record_kudos_once(
        &self,
        kudos: NewKudos,
        source_key: &str,
        permalink: Option<String>,
    ) -> Result<Option<i64>>;
    async fn list_kudos(&self, query: &KudosQuery) -> Result<Page<Kudos>>;
    /// Withdraws the kudos with `source_key` given by `giver` at or after `since`, with its
    /// undelivered messages; false if there is none (or it is older).
    async fn withdraw_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        since: DateTime<Utc>,
    ) -> Result<bool>;
    /// Adds a competency to the kudos with `source_key`, if `giver` gave it.
    async fn tag_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        competency: &str,
    ) -> Result<bool>;
    /// Kudos `giver` gave in `[from, to)`.
    async fn kudos_given_count(
        &self,
        team_id: &str,
        giver: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        include_private: bool,
    ) -> Result<u64>;
}

/// Writes a batch of kudos (see `batch.rs`) inside the caller's transaction; ids in batch order.
pub(super) async fn write_kudos<DB: Backend>(
    conn: &mut DB::Connection,
    batch: &[NewKudos],
    known_teams: &HashSet<String>,
) -> Result<Vec<i64>, sqlx::Error> {
    execute_all::<DB>(&mut *conn, &remember_workspaces(batch, known_teams)).await?;
    let mut ids = Vec::with_capacity(batch.len());
    for stmt in insert_kudos(batch) {
        let rows = DB::fetch_all(&mut *conn, &stmt).await?;
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

/// The kudos rows of a batch, `RETURNING id`. Ids come from a sequence in row order, so each
/// statement's ids, sorted, line up with its rows.
pub(super) fn insert_kudos(batch: &[NewKudos]) -> Vec<Stmt> {
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
pub(super) fn kudos_children(ids: &[i64], batch: &[NewKudos]) -> Vec<Stmt> {
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
            deliveries.push((k.team_id.as_str(), format!("kudos:{id}:{}", d.key), d, now));
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
    statements.extend(enqueue_at(deliveries));
    statements
}

/// The page of kudos heads (without recipients and tags), newest first, one extra row to tell
/// whether another page follows.
fn list_kudos(q: &KudosQuery) -> Stmt {
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

fn kudos_recipients(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT kudos_id, user_id FROM kudos_recipients WHERE kudos_id IN ({}) ORDER BY kudos_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

fn kudos_tags(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT kudos_id, kind, tag_id FROM kudos_tags WHERE kudos_id IN ({}) ORDER BY kudos_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

fn kudos_head(row: &impl Get) -> Result<Kudos, sqlx::Error> {
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

/// Drops the extra row fetched to detect a next page and returns the cursor for it.
fn page_cursor(items: &mut Vec<Kudos>, limit: i64) -> Option<i64> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|k| k.id)
    } else {
        None
    }
}

fn attach_tag(k: &mut Kudos, kind: &str, tag: String) {
    if kind == "competency" {
        k.competencies.push(tag);
    } else {
        k.multiplier_kinds.push(tag);
    }
}

const KUDOS_GIVEN_COUNT: &str = "SELECT COUNT(*) FROM kudos
     WHERE team_id = $1 AND giver = $2 AND created_at >= $3 AND created_at < $4 AND (visibility <> 'private' OR $5)";

const KUDOS_BY_SOURCE: &str =
    "SELECT id FROM kudos WHERE team_id = $1 AND source_key = $2 AND giver = $3 AND created_at >= $4";

const SET_KUDOS_SOURCE: &str = "UPDATE kudos SET source_key = $2, permalink = $3 WHERE id = $1";

const WITHDRAW_KUDOS: &[&str] = &[
    "DELETE FROM kudos_tags WHERE kudos_id = $1",
    "DELETE FROM kudos_recipients WHERE kudos_id = $1",
    "DELETE FROM kudos WHERE id = $1",
];

const WITHDRAW_OUTBOX: &str =
    "DELETE FROM outbox WHERE team_id = $1 AND status = 'pending' AND dedupe_key LIKE $2";

const TAG_KUDOS: &str = "INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position)
     SELECT id, team_id, 'competency', $4, 0 FROM kudos WHERE team_id = $1 AND source_key = $2 AND giver = $3
     ON CONFLICT DO NOTHING";

#[async_trait]
impl<DB: Backend> KudosStore for SqlStore<DB> {
    async fn record_kudos(&self, kudos: NewKudos) -> Result<i64> {
        self.kudos.record(kudos).await
    }

    async fn record_kudos_once(
        &self,
        kudos: NewKudos,
        source_key: &str,
        permalink: Option<String>,
    ) -> Result<Option<i64>> {
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let ids = write_kudos::<DB>(
            &mut tx,
            std::slice::from_ref(&kudos),
            &std::collections::HashSet::new(),
        )
        .await
        .map_err(StoreError::from_sqlx)?;
        let Some(id) = ids.first().copied() else {
            return Ok(None);
        };
        let set = stmt(
            SET_KUDOS_SOURCE,
            vec![
                Arg::Int(id),
                Arg::Text(source_key.into()),
                Arg::OptText(permalink),
            ],
        );
        match execute_all::<DB>(&mut tx, &[set]).await {
            Ok(()) => {
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(Some(id))
            }
            // Already recorded (the unique source key): nothing of this one is kept.
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::from_sqlx(e)),
        }
    }

    async fn list_kudos(&self, query: &KudosQuery) -> Result<Page<Kudos>> {
        let rows = self.read(&list_kudos(query)).await?;
        let mut items = rows
            .iter()
            .map(kudos_head)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let next_cursor = page_cursor(&mut items, query.limit);
        let ids: Vec<i64> = items.iter().map(|k| k.id).collect();
        if !ids.is_empty() {
            for row in self.read(&kudos_recipients(&ids)).await? {
                let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                if let Some(k) = items.iter_mut().find(|k| k.id == id) {
                    k.recipients.push(user);
                }
            }
            for row in self.read(&kudos_tags(&ids)).await? {
                let (id, kind, tag): (i64, String, String) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                if let Some(k) = items.iter_mut().find(|k| k.id == id) {
                    attach_tag(k, &kind, tag);
                }
            }
        }
        Ok(Page { items, next_cursor })
    }

    async fn withdraw_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let find = stmt(
            KUDOS_BY_SOURCE,
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(source_key.into()),
                Arg::Text(giver.into()),
                Arg::Int(millis(since)),
            ],
        );
        let row = DB::fetch_optional(&mut tx, &find)
            .await
            .map_err(StoreError::from_sqlx)?;
        let Some(row) = row else { return Ok(false) };
        let id: i64 = row.try_get(0)?;
        let mut statements: Vec<Stmt> = WITHDRAW_KUDOS
            .iter()
            .map(|s| stmt(s, vec![Arg::Int(id)]))
            .collect();
        statements.push(stmt(
            WITHDRAW_OUTBOX,
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(format!("kudos:{id}:%")),
            ],
        ));
        execute_all::<DB>(&mut tx, &statements).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(true)
    }

    async fn tag_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        competency: &str,
    ) -> Result<bool> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(source_key.into()),
            Arg::Text(giver.into()),
            Arg::Text(competency.into()),
        ];
        Ok(self.execute(TAG_KUDOS, &args).await? > 0)
    }

    async fn kudos_given_count(
        &self,
        team_id: &str,
        giver: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        include_private: bool,
    ) -> Result<u64> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(giver.into()),
            Arg::Int(millis(from)),
            Arg::Int(millis(to)),
            Arg::Bool(include_private),
        ];
        let rows = self.read(&stmt(KUDOS_GIVEN_COUNT, args)).await?;
        let n: i64 = rows.first().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
        Ok(n as u64)
    }
}
