//! Evidence: what people record of their own work (and reflections), with its tags and the
//! people it helped.

use super::backend::{execute_all, Backend, Get};
use super::common::SqlStore;
use super::outbox::enqueue_at;
use super::sql::{insert_rows, placeholders, stmt, Arg, Stmt};
use super::workspaces::REMEMBER_WORKSPACE;
use super::*;
use async_trait::async_trait;

/// Evidence people record.
#[async_trait]
pub trait EvidenceStore: Send + Sync {
    /// Records one piece of evidence with its tags and the people it helped; returns its id.
    async fn record_evidence(&self, evidence: NewEvidence) -> Result<i64>;
    /// A person's evidence, newest first.
    async fn evidence_of(&self, team_id: &str, subject: &str, limit: i64) -> Result<Vec<Evidence>>;
}

/// The evidence row itself; its id comes back for the children.
fn insert_evidence(e: &NewEvidence) -> Stmt {
    Stmt {
        sql: "INSERT INTO evidence (team_id, subject, author, source, text, permalink, visibility, sphere, framework_id, framework_version, occurred_at, created_at, source_key)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
              ON CONFLICT (team_id, source_key) DO NOTHING RETURNING id".to_owned(),
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
            Arg::OptText(e.source_key.clone()),
        ],
    }
}

const EVIDENCE_BY_SOURCE: &str = "SELECT id FROM evidence WHERE team_id = $1 AND source_key = $2";

/// Its tags and the people it helped.
fn evidence_children(id: i64, e: &NewEvidence) -> Vec<Stmt> {
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

const EVIDENCE_OF: &str = "SELECT id, team_id, subject, author, source, text, permalink, visibility, sphere, framework_id, framework_version, occurred_at
     FROM evidence WHERE team_id = $1 AND subject = $2 ORDER BY occurred_at DESC, id DESC LIMIT $3";

fn evidence_tags(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT evidence_id, kind, tag_id FROM evidence_tags WHERE evidence_id IN ({}) ORDER BY evidence_id, position",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

pub(super) fn evidence_people(ids: &[i64]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT evidence_id, user_id FROM evidence_people WHERE evidence_id IN ({}) ORDER BY evidence_id, user_id",
            placeholders(1, ids.len())
        ),
        args: ids.iter().map(|i| Arg::Int(*i)).collect(),
    }
}

pub(super) fn evidence_head(row: &impl Get) -> Result<Evidence, sqlx::Error> {
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

#[async_trait]
impl<DB: Backend> EvidenceStore for SqlStore<DB> {
    async fn record_evidence(&self, evidence: NewEvidence) -> Result<i64> {
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let head = insert_evidence(&evidence);
        let Some(row) = DB::fetch_optional(&mut tx, &head)
            .await
            .map_err(StoreError::from_sqlx)?
        else {
            // Its source was recorded already: the same evidence again, not a second one.
            drop(tx);
            let args = vec![
                Arg::Text(evidence.team_id.to_string()),
                Arg::OptText(evidence.source_key.clone()),
            ];
            let rows = self.read(&stmt(EVIDENCE_BY_SOURCE, args)).await?;
            let row = rows.first().ok_or_else(|| {
                StoreError::Unavailable("evidence with this source vanished meanwhile".into())
            })?;
            return Ok(row.try_get(0)?);
        };
        let id: i64 = row.try_get(0)?;
        let mut rest = evidence_children(id, &evidence);
        // A workspace that only logs evidence is one Cairn serves: the CLI finds it by itself.
        rest.push(stmt(
            REMEMBER_WORKSPACE,
            vec![
                Arg::Text(evidence.team_id.to_string()),
                Arg::Int(millis(evidence.created_at)),
            ],
        ));
        let now = millis(evidence.created_at);
        let team = evidence.team_id.as_str();
        let deliveries = evidence.deliveries.iter();
        rest.extend(enqueue_at(
            deliveries
                .map(|d| (team, format!("evidence:{id}:{}", d.key), d, now))
                .collect(),
        ));
        execute_all::<DB>(&mut tx, &rest).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(id)
    }

    async fn evidence_of(&self, team_id: &str, subject: &str, limit: i64) -> Result<Vec<Evidence>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(subject.into()),
            Arg::Int(limit),
        ];
        let rows = self.read(&stmt(EVIDENCE_OF, args)).await?;
        let mut items = rows
            .iter()
            .map(evidence_head)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = items.iter().map(|e| e.id).collect();
        if ids.is_empty() {
            return Ok(items);
        }
        for row in self.read(&evidence_tags(&ids)).await? {
            let (id, kind, tag): (i64, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let Some(e) = items.iter_mut().find(|e| e.id == id) {
                match kind.as_str() {
                    "competency" => e.competencies.push(tag),
                    _ => e.multiplier_kinds.push(tag),
                }
            }
        }
        for row in self.read(&evidence_people(&ids)).await? {
            let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if let Some(e) = items.iter_mut().find(|e| e.id == id) {
                e.people.push(user);
            }
        }
        Ok(items)
    }
}
