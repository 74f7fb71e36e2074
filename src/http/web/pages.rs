//! The pages: one's own growth (`/me`), a manager's team (`/team`), a person's packet
//! (`/people/{user}`). The same services and visibility rules as Slack and the API; every look
//! at someone else is recorded, `via` the web.

use super::guard::Visitor;
use super::message;
use crate::domain::period::Period;
use crate::http::AppState;
use crate::report::page;
use crate::services::summaries::{self, Ask, SummaryError, What};
use crate::services::team::{self, TeamError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    /// `/team?manager=U…`: a manager below the viewer (or any, for admins).
    manager: Option<String>,
}

/// `GET /`: one's own page (or the sign-in page).
pub async fn root() -> Redirect {
    Redirect::to("/me")
}

/// The period asked for, else the last 90 days; a page saying what to fix if it is not one.
fn period(state: &AppState, visitor: &Visitor, params: &Params) -> Result<Period, Box<Response>> {
    let date = |name: &str, value: Option<&str>| match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("'{name}' must be a date like 2026-07-01, not '{v}'.")),
    };
    let today = state.services.clock.now().date_naive();
    let dates = date("from", params.from.as_deref())
        .and_then(|from| Ok((from, date("to", params.to.as_deref())?)));
    let checked = dates.and_then(|(from, to)| Period::between(from, to, today).map_err(|e| e.0));
    checked.map_err(|why| {
        Box::new(message(
            StatusCode::BAD_REQUEST,
            Some(&visitor.chrome()),
            "That period is not one Cairn can show",
            &why,
            Some(("?", "The last 90 days")),
        ))
    })
}

/// `GET /me`: everything about me, private items included, and who looked.
pub async fn me(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Response {
    let user = visitor.session.user_id.clone();
    packet(&state, &visitor, &user, &params).await
}

/// `GET /people/{user}`: a person's packet as the viewer may see it.
pub async fn person(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(user): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if crate::domain::ids::UserId::parse(&user).is_err() {
        return message(
            StatusCode::NOT_FOUND,
            Some(&visitor.chrome()),
            "There is no such person",
            "People's pages are at /people/ followed by their Slack user id (U…).",
            Some(("/me", "Back to my growth")),
        );
    }
    packet(&state, &visitor, &user, &params).await
}

async fn packet(state: &AppState, visitor: &Visitor, subject: &str, params: &Params) -> Response {
    let period = match period(state, visitor, params) {
        Ok(p) => p,
        Err(page) => return *page,
    };
    let s = &state.services;
    let ask = Ask {
        team: &visitor.session.team_id,
        subject,
        period,
        viewer: s.viewer(&visitor.session.user_id),
        what: What::WebPacket,
    };
    let own = subject == visitor.session.user_id;
    match summaries::of(s, ask).await {
        Ok(summary) if own => {
            Html(page::me(&visitor.chrome(), &s.framework, &summary)).into_response()
        }
        Ok(summary) => {
            Html(page::person(&visitor.chrome(), &s.framework, &summary)).into_response()
        }
        Err(SummaryError::Refused(refused)) => {
            tracing::info!("a packet page was refused to someone outside the person's chain");
            message(
                StatusCode::FORBIDDEN,
                Some(&visitor.chrome()),
                "You may not see this packet",
                &format!("{refused} A packet is for the person, their managers and admins."),
                Some(("/me", "Back to my growth")),
            )
        }
        Err(SummaryError::Store(e)) => {
            tracing::error!(error = %e, "could not build a packet page");
            super::unavailable()
        }
    }
}

/// `GET /team`: the viewer's direct reports (or a manager's below them), as `/growth team`.
pub async fn team(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<Params>,
) -> Response {
    let period = match period(&state, &visitor, &params) {
        Ok(p) => p,
        Err(page) => return *page,
    };
    let s = &state.services;
    let (team_id, user) = (&visitor.session.team_id, &visitor.session.user_id);
    let manager = params
        .manager
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| user.clone());
    let ask = team::Ask {
        team: team_id,
        manager: &manager,
        period,
        viewer: s.viewer(user),
        on_web: true,
    };
    let view = match team::of(s, ask).await {
        Ok(view) => view,
        Err(TeamError::Refused(refused)) => {
            return message(
                StatusCode::FORBIDDEN,
                Some(&visitor.chrome()),
                "You may not see this team",
                &format!("{refused} A team is for its manager, their managers and admins."),
                Some(("/team", "My team")),
            )
        }
        Err(TeamError::Store(e)) => {
            tracing::error!(error = %e, "could not build a team page");
            return super::unavailable();
        }
    };
    let manager_name = if manager == *user {
        visitor.name.clone()
    } else {
        match s
            .store
            .org_people(team_id, std::slice::from_ref(&manager))
            .await
        {
            Ok(known) => known
                .get(&manager)
                .and_then(|p| p.name.clone())
                .unwrap_or_else(|| manager.clone()),
            Err(_) => return super::unavailable(),
        }
    };
    let html = page::team(
        &visitor.chrome(),
        &s.framework,
        view.period,
        &view.reports,
        &manager_name,
    );
    Html(html).into_response()
}
