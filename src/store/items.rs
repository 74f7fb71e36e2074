//! Growth items: what summaries and packets read about a person, kudos received and evidence
//! together, so the two aggregates' tables are joined here rather than in either of them.

use super::backend::{Backend, Get};
use super::common::SqlStore;
use super::evidence::{evidence_head, evidence_people};
use super::people::by_team;
use super::sql::{placeholders, stmt, Arg, Stmt};
use super::*;
use async_trait::async_trait;

/// Kudos received and evidence, read together as growth items.
#[async_trait]
pub trait ItemStore: Send + Sync {
    /// How many items (kudos received, evidence held) a person has per competency since `since`.
    async fn competency_counts(
        &self,
        team_id: &str,
        user: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>>;
    /// Every item about `subject` in `[from, to)`, private ones included: kudos received (one
    /// item per receiver) and evidence they recorded.
    async fn items_about(
        &self,
        team_id: &str,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>>;
    /// `items_about` for many people at once, keyed by `(team_id, user_id)`, each person's
    /// items in the order `items_about` gives them; people with none are left out. A few
    /// statements for the lot instead of a few per person.
    async fn items_about_many(
        &self,
        people: &[(String, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<(String, String), Vec<Item>>>;
}

/// Items per competency about a person since `$3`: kudos they received and evidence they hold.
const COMPETENCY_COUNTS: &str = "SELECT tag_id, COUNT(*) FROM (
        SELECT t.tag_id FROM kudos_tags t JOIN kudos_recipients r ON r.kudos_id = t.kudos_id JOIN kudos k ON k.id = t.kudos_id
         WHERE r.team_id = $1 AND r.user_id = $2 AND t.kind = 'competency' AND k.created_at >= $3
        UNION ALL
        SELECT t.tag_id FROM evidence_tags t JOIN evidence e ON e.id = t.evidence_id
         WHERE e.team_id = $1 AND e.subject = $2 AND t.kind = 'competency' AND e.occurred_at >= $3
     ) AS items GROUP BY tag_id ORDER BY tag_id";

/// `$1` team, `$2` from, `$3` to, then the subjects: the arguments of the two queries below.
fn about(team_id: &str, subjects: &[String], from: i64, to: i64) -> Vec<Arg> {
    let mut args = vec![Arg::Text(team_id.to_owned()), Arg::Int(from), Arg::Int(to)];
    args.extend(subjects.iter().map(|s| Arg::Text(s.clone())));
    args
}

/// Evidence about some people in a period, one row per tag (or one row without a tag): the
/// tags come with the rows instead of in a second round trip.
fn evidence_between(team_id: &str, subjects: &[String], from: i64, to: i64) -> Stmt {
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
fn kudos_received_between(team_id: &str, subjects: &[String], from: i64, to: i64) -> Stmt {
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

impl<DB: Backend> SqlStore<DB> {
    /// Adds the items about `subjects` of `team_id` in `[from, to)` (milliseconds) to `found`:
    /// each subject's kudos received, then their evidence, by id.
    async fn items_of(
        &self,
        found: &mut HashMap<(String, String), Vec<Item>>,
        team_id: &str,
        subjects: &[String],
        from: i64,
        to: i64,
    ) -> Result<()> {
        // Rows come by receiver, then kudos: a new item wherever either changes.
        let mut received: Vec<Item> = Vec::new();
        let rows = self
            .read(&kudos_received_between(team_id, subjects, from, to))
            .await?;
        for row in rows {
            let subject: String = row.try_get(9)?;
            let id = format!("kudos:{}", row.try_get::<i64, _>(0)?);
            if received
                .last()
                .is_none_or(|i| i.id != id || i.subject != subject)
            {
                let visibility: String = row.try_get(4)?;
                let sphere: Option<String> = row.try_get(6)?;
                received.push(Item {
                    id,
                    source: Source::Kudos,
                    subject,
                    author: row.try_get(1)?,
                    competencies: Vec::new(),
                    multiplier_kinds: Vec::new(),
                    sphere: sphere
                        .as_deref()
                        .and_then(Sphere::parse)
                        .unwrap_or(Sphere::Unknown),
                    declared: false,
                    people: Vec::new(),
                    text: row.try_get(2)?,
                    permalink: row.try_get(3)?,
                    visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Private),
                    occurred_at: from_millis(row.try_get(5)?),
                });
            }
            let (kind, tag): (Option<String>, Option<String>) = (row.try_get(7)?, row.try_get(8)?);
            if let (Some(kind), Some(tag), Some(item)) = (kind, tag, received.last_mut()) {
                match kind.as_str() {
                    "competency" => item.competencies.push(tag),
                    _ => item.multiplier_kinds.push(tag),
                }
            }
        }
        for item in received {
            found
                .entry((team_id.to_owned(), item.subject.clone()))
                .or_default()
                .push(item);
        }
        let mut evidence: Vec<Evidence> = Vec::new();
        let rows = self
            .read(&evidence_between(team_id, subjects, from, to))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            if evidence.last().is_none_or(|e| e.id != id) {
                evidence.push(evidence_head(&row)?);
            }
            let (kind, tag): (Option<String>, Option<String>) =
                (row.try_get("tag_kind")?, row.try_get("tag_id")?);
            if let (Some(kind), Some(tag), Some(e)) = (kind, tag, evidence.last_mut()) {
                match kind.as_str() {
                    "competency" => e.competencies.push(tag),
                    _ => e.multiplier_kinds.push(tag),
                }
            }
        }
        let at: HashMap<i64, usize> = evidence
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
        let ids: Vec<i64> = at.keys().copied().collect();
        for chunk in ids.chunks(1000) {
            for row in self.read(&evidence_people(chunk)).await? {
                let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                evidence[at[&id]].people.push(user);
            }
        }
        for e in evidence {
            let items = found
                .entry((team_id.to_owned(), e.subject.clone()))
                .or_default();
            items.push(Item {
                id: format!("evidence:{}", e.id),
                source: e.source,
                subject: e.subject,
                author: e.author,
                competencies: e.competencies,
                multiplier_kinds: e.multiplier_kinds,
                declared: e.sphere.is_some(),
                sphere: e
                    .sphere
                    .as_deref()
                    .and_then(Sphere::parse)
                    .unwrap_or(Sphere::Own),
                people: e.people,
                text: e.text,
                permalink: e.permalink,
                visibility: e.visibility,
                occurred_at: e.occurred_at,
            });
        }
        Ok(())
    }
}

#[async_trait]
impl<DB: Backend> ItemStore for SqlStore<DB> {
    async fn competency_counts(
        &self,
        team_id: &str,
        user: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(user.into()),
            Arg::Int(millis(since)),
        ];
        let rows = self.read(&stmt(COMPETENCY_COUNTS, args)).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?)
    }

    async fn items_about(
        &self,
        team_id: &str,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>> {
        let key = (team_id.to_owned(), subject.to_owned());
        let mut found = self
            .items_about_many(std::slice::from_ref(&key), from, to)
            .await?;
        Ok(found.remove(&key).unwrap_or_default())
    }

    async fn items_about_many(
        &self,
        people: &[(String, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<(String, String), Vec<Item>>> {
        let (from, to) = (millis(from), millis(to));
        let mut found: HashMap<(String, String), Vec<Item>> = HashMap::new();
        for (team_id, subjects) in by_team(people) {
            for chunk in subjects.chunks(500) {
                self.items_of(&mut found, team_id, chunk, from, to).await?;
            }
        }
        Ok(found)
    }
}
