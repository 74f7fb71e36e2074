//! The JSON API (v1), behind `Authorization: Bearer $CAIRN_ADMIN_TOKEN`. The token acts as an
//! admin viewer: private items are never returned.

use super::{ApiError, AppState};
use crate::domain::growth::Viewer;
use crate::domain::markup;
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::report::json;
use crate::services::summaries::{self, Ask, SummaryError, What};
use crate::store::{Kudos, KudosQuery, Role};
use axum::extract::Path;
use axum::extract::{Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/kudos", get(list_kudos))
        .route("/evidence", get(list_evidence))
        .route("/people/{user}/summary", get(summary))
        .route("/people/{user}/packet", get(packet))
        .route("/managers/{user}/team", get(manager_team))
        .route("/org", axum::routing::post(import_org))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(expected) = &state.admin_token else {
        return Err(ApiError::disabled());
    };
    let given = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
        Ok(next.run(request).await)
    } else {
        Err(ApiError::unauthorized())
    }
}

#[derive(Debug, Deserialize)]
pub struct KudosParams {
    team: Option<String>,
    user: Option<String>,
    role: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct KudosJson {
    id: i64,
    team_id: String,
    /// `null` when the giver asked Cairn to forget them.
    giver: Option<String>,
    recipients: Vec<String>,
    competencies: Vec<String>,
    multiplier_kinds: Vec<String>,
    text: String,
    channel_id: Option<String>,
    permalink: Option<String>,
    visibility: crate::store::Visibility,
    created_at: String,
}

impl From<Kudos> for KudosJson {
    fn from(k: Kudos) -> Self {
        Self {
            id: k.id,
            team_id: k.team_id,
            giver: Some(k.giver).filter(|g| !g.is_empty()),
            recipients: k.recipients,
            competencies: k.competencies,
            multiplier_kinds: k.multiplier_kinds,
            text: markup::to_plain(&markup::tokenize(&k.text)),
            channel_id: k.channel_id,
            permalink: k.permalink,
            visibility: k.visibility,
            created_at: k.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PageJson<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

async fn list_kudos(
    State(state): State<AppState>,
    Query(params): Query<KudosParams>,
) -> Result<Json<PageJson<KudosJson>>, ApiError> {
    let role = match params.role.as_deref() {
        None | Some("") => None,
        Some("received") => Some(Role::Received),
        Some("given") => Some(Role::Given),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "role '{other}' must be received or given"
            )))
        }
    };
    if role.is_some() && params.user.is_none() {
        return Err(ApiError::bad_request("role needs user=U…"));
    }
    let limit = match params.limit.as_deref() {
        None | Some("") => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit '{l}' must be a number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    let before_id = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request("cursor must be a next_cursor from an earlier page")
        })?),
    };
    let from = params
        .from
        .as_deref()
        .map(|s| parse_instant("from", s, false))
        .transpose()?;
    let to = params
        .to
        .as_deref()
        .map(|s| parse_instant("to", s, true))
        .transpose()?;
    let Some(team_id) = team(&state, params.team).await? else {
        return Ok(Json(PageJson {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let query = KudosQuery {
        team_id,
        user: params.user.filter(|u| !u.is_empty()),
        role,
        from,
        to,
        limit,
        before_id,
        include_private: false,
    };
    let page = crate::services::giving::list(&state.services, &query).await?;
    Ok(Json(PageJson {
        items: page.items.into_iter().map(KudosJson::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[derive(Debug, Deserialize)]
pub struct PersonParams {
    team: Option<String>,
    user: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn date(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::bad_request(format!("{name} '{v}' must be a date (YYYY-MM-DD)"))
            }),
    }
}

/// The report the API token (an admin viewer) may see of `user`.
async fn report_for(
    state: &AppState,
    user: &str,
    params: &PersonParams,
    what: What,
    default_from: Option<NaiveDate>,
) -> Result<Summary, ApiError> {
    crate::domain::ids::UserId::parse(user)
        .map_err(|_| ApiError::bad_request(format!("'{user}' is not a Slack user id (U…)")))?;
    let today = state.services.clock.now().date_naive();
    let from = date("from", params.from.as_deref())?.or(default_from);
    let period = Period::between(from, date("to", params.to.as_deref())?, today)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let Some(team) = team(state, params.team.clone()).await? else {
        return Err(ApiError::not_found(
            "Cairn has no workspace yet: nothing has been recorded",
        ));
    };
    let ask = Ask {
        team: &team,
        subject: user,
        period,
        viewer: Viewer::ApiToken,
        what,
    };
    summaries::of(&state.services, ask)
        .await
        .map_err(|e| match e {
            SummaryError::Store(e) => ApiError::from(e),
            SummaryError::Refused(r) => ApiError {
                status: axum::http::StatusCode::FORBIDDEN,
                code: "forbidden",
                message: r.to_string(),
            },
        })
}

async fn summary(
    State(state): State<AppState>,
    Path(user): Path<String>,
    Query(params): Query<PersonParams>,
) -> Result<Json<Value>, ApiError> {
    let report = report_for(&state, &user, &params, What::Summary, None).await?;
    Ok(Json(json::summary(&state.services.framework, &report)))
}

/// `GET /api/v1/managers/{user}/team`: the manager's direct reports as `/growth team` shows
/// them, each look recorded for the report to see.
async fn manager_team(
    State(state): State<AppState>,
    Path(user): Path<String>,
    Query(params): Query<PersonParams>,
) -> Result<Json<Value>, ApiError> {
    crate::domain::ids::UserId::parse(&user)
        .map_err(|_| ApiError::bad_request(format!("'{user}' is not a Slack user id (U…)")))?;
    let today = state.services.clock.now().date_naive();
    let from = date("from", params.from.as_deref())?;
    let period = Period::between(from, date("to", params.to.as_deref())?, today)
        .map_err(|e| ApiError::bad_request(e.0))?;
    let Some(team) = team(&state, params.team.clone()).await? else {
        return Err(ApiError::not_found(
            "Cairn has no workspace yet: nothing has been recorded",
        ));
    };
    let ask = crate::services::team::Ask {
        team: &team,
        manager: &user,
        period,
        viewer: Viewer::ApiToken,
        on_web: false,
    };
    let view = crate::services::team::of(&state.services, ask)
        .await
        .map_err(|e| match e {
            crate::services::team::TeamError::Store(e) => ApiError::from(e),
            crate::services::team::TeamError::Refused(r) => ApiError {
                status: axum::http::StatusCode::FORBIDDEN,
                code: "forbidden",
                message: r.to_string(),
            },
        })?;
    Ok(Json(json::team(&view.manager, view.period, &view.reports)))
}

async fn packet(
    State(state): State<AppState>,
    Path(user): Path<String>,
    Query(params): Query<PersonParams>,
) -> Result<Response, ApiError> {
    let format = params.format.clone().unwrap_or_else(|| "md".into());
    let content_type = match format.as_str() {
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        other => {
            return Err(ApiError::bad_request(format!(
                "format '{other}' must be md, csv, json or png"
            )))
        }
    };
    let report = report_for(&state, &user, &params, What::Packet, None).await?;
    let body = crate::report::render(&format, &state.services.framework, &report).map_err(|e| {
        ApiError {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: format!("could not draw the chart: {e}"),
        }
    })?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response())
}

/// A person's items (kudos once per receiver, and what they recorded), newest first.
async fn list_evidence(
    State(state): State<AppState>,
    Query(params): Query<PersonParams>,
) -> Result<Json<PageJson<Value>>, ApiError> {
    let Some(user) = params.user.clone().filter(|u| !u.is_empty()) else {
        return Err(ApiError::bad_request(
            "evidence is listed per person: pass user=U…",
        ));
    };
    // Without `from`, everything Cairn holds (within the longest period it reports on).
    let since = state.services.clock.now().date_naive() - chrono::Days::new(3 * 365);
    let report = report_for(&state, &user, &params, What::Evidence, Some(since)).await?;
    let items = report
        .growth
        .items
        .iter()
        .map(|i| json::evidence(&report.team, i))
        .collect();
    Ok(Json(PageJson {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize)]
pub struct OrgParams {
    team: Option<String>,
}

/// `POST /api/v1/org`: the same import as `cairn org import`, from a CSV or JSON body.
async fn import_org(
    State(state): State<AppState>,
    Query(params): Query<OrgParams>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let Some(team) = team(&state, params.team).await? else {
        return Err(ApiError::bad_request(
            "Cairn has no workspace yet: pass team=T… for the org chart's workspace",
        ));
    };
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = crate::domain::org::OrgFormat::detect(content_type, &body);
    let report = crate::services::org::import(
        state.services.store.as_ref(),
        &state.services.framework,
        &team,
        &body,
        format,
        state.services.clock.now(),
    )
    .await
    .map_err(|e| match e {
        crate::services::org::ImportError::File(e) => ApiError::bad_request(e.to_string()),
        crate::services::org::ImportError::Store(e) => ApiError::from(e),
    })?;
    state.services.placements.forget();
    Ok(Json(report.to_json()))
}

/// The named team, or the only workspace there is; `None` when there is none yet.
async fn team(state: &AppState, team: Option<String>) -> Result<Option<String>, ApiError> {
    use crate::services::workspaces::Which;
    match state.services.workspaces.which(team).await {
        Ok(team) => Ok(team),
        Err(Which::Several(teams)) => Err(ApiError::bad_request(format!(
            "Cairn serves several workspaces ({}): pass team=",
            teams.join(", ")
        ))),
        Err(Which::Store(e)) => Err(e.into()),
    }
}

/// A date (`YYYY-MM-DD`, the whole day: `to` is inclusive) or an RFC 3339 instant.
fn parse_instant(name: &str, value: &str, end_of_range: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_range {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name} '{value}' must be a date (YYYY-MM-DD) or an RFC 3339 time"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days() {
        assert_eq!(
            parse_instant("from", "2026-08-01", false)
                .unwrap()
                .to_rfc3339(),
            "2026-08-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_instant("to", "2026-08-01", true)
                .unwrap()
                .to_rfc3339(),
            "2026-08-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_instant("to", "2026-08-01T10:00:00Z", true)
                .unwrap()
                .to_rfc3339(),
            "2026-08-01T10:00:00+00:00"
        );
        assert!(parse_instant("from", "yesterday", false)
            .unwrap_err()
            .message
            .contains("from 'yesterday'"));
    }
}
