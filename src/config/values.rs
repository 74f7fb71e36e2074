//! The settings whose values have a structure: each parsed and checked here, every problem
//! naming the variable to fix and how.

use super::*;

/// `CAIRN_ENCRYPTION_KEY` and `CAIRN_ENCRYPTION_KEY_PREVIOUS`, checked when set.
pub(super) fn keys(
    current: Option<&str>,
    previous: Option<&str>,
) -> Result<Option<crate::secrets::Keys>, ConfigError> {
    let current = current.filter(|k| !k.trim().is_empty());
    let previous = previous.filter(|k| !k.trim().is_empty());
    match (current, previous) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ConfigError::Invalid(
            "CAIRN_ENCRYPTION_KEY_PREVIOUS is set but CAIRN_ENCRYPTION_KEY is not: set CAIRN_ENCRYPTION_KEY to the key that seals tokens from now on \
             (make one with `cairn keys generate` or `openssl rand -base64 32`)"
                .to_owned(),
        )),
        (Some(current), previous) => crate::secrets::Keys::parse(current, previous)
            .map(Some)
            .map_err(|e| ConfigError::Invalid(e.to_string())),
    }
}

/// `friday 15:00 weekly`, `2026-12-24,2026-12-25`, 6.
pub(super) fn prompts(
    slot: Option<&str>,
    quiet_days: Option<&str>,
    gap_weeks: Option<u32>,
) -> Result<Prompts, ConfigError> {
    let mut settings = Prompts::default();
    if let Some(slot) = slot.filter(|s| !s.trim().is_empty()) {
        let words: Vec<&str> = slot.split_whitespace().collect();
        let (day, time, cadence) = match words.as_slice() {
            [day, time] => (*day, *time, "weekly"),
            [day, time, cadence] => (*day, *time, *cadence),
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "CAIRN_PROMPT_SLOT '{slot}': write a weekday, a time and optionally a cadence, like 'friday 15:00 weekly'"
                )))
            }
        };
        settings.default_slot =
            crate::domain::schedule::Slot::parse(day, time, cadence).map_err(|e| {
                ConfigError::Invalid(format!(
                    "CAIRN_PROMPT_SLOT '{slot}': {e} (write it like 'friday 15:00 weekly')"
                ))
            })?;
    }
    for day in quiet_days
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let date = day.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "CAIRN_QUIET_DAYS: '{day}' is not a date like 2026-12-24"
            ))
        })?;
        settings.quiet_days.push(date);
    }
    if let Some(weeks) = gap_weeks {
        if weeks == 0 {
            return Err(ConfigError::Invalid(
                "CAIRN_GAP_WEEKS must be at least 1".into(),
            ));
        }
        settings.gap_weeks = weeks;
    }
    Ok(settings)
}

/// `2027-01-15,2027-07-15` or `0 0 15 1,7 *`, and 7.
pub(super) fn review_digests(
    cycles: Option<&str>,
    days: Option<u32>,
) -> Result<Option<ReviewDigests>, ConfigError> {
    let Some(cycles) = cycles.filter(|c| !c.trim().is_empty()) else {
        return Ok(None);
    };
    let cycles = crate::domain::review::ReviewCycles::parse(cycles)
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_REVIEW_CYCLES: {e}")))?;
    let days_before = days.unwrap_or(7);
    if days_before > 60 {
        return Err(ConfigError::Invalid(format!(
            "CAIRN_REVIEW_DIGEST_DAYS is {days_before}: write a number of days from 0 to 60"
        )));
    }
    Ok(Some(ReviewDigests {
        cycles,
        days_before,
    }))
}

/// `C0123ABCD` or `T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH`, `0 16 * * FRI`, `Europe/Berlin`.
/// `installs` is whether other workspaces can install this Cairn (OAuth is on).
pub(super) fn team_digest(
    channel: Option<&str>,
    installs: bool,
    cron: Option<&str>,
    tz: Option<&str>,
) -> Result<Option<TeamDigest>, ConfigError> {
    let Some(channel) = channel.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let channels = digest_channels(channel, installs)?;
    let cron = crate::domain::schedule::CronSpec::parse(cron.unwrap_or("0 16 * * FRI"))
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_CRON: {e}")))?;
    let tz = crate::domain::schedule::parse_tz(tz.unwrap_or("UTC"))
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_TZ: {e}")))?;
    Ok(Some(TeamDigest { channels, cron, tz }))
}

/// `CAIRN_TEAM_DIGEST_CHANNEL`: one channel, or `TEAM:CHANNEL` pairs.
pub(super) fn digest_channels(value: &str, installs: bool) -> Result<DigestChannels, ConfigError> {
    use crate::domain::ids::{ChannelId, TeamId};
    const PAIRS: &str = "T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH";
    let invalid = |e: String| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_CHANNEL: {e}"));
    let channel_id = |c: &str| {
        let c = c.trim().trim_start_matches('#');
        ChannelId::parse(c).map(|_| c.to_owned()).map_err(|_| {
            format!("'{c}' is not a channel id: copy it from the channel's details in Slack (it looks like C0123ABCD)")
        })
    };
    if !value.contains([':', ',']) {
        // One channel would get every workspace's kudos: only right when every workspace is
        // the operator's own, never when any workspace may install Cairn.
        if installs {
            return Err(invalid(format!(
                "this Cairn takes installs from many workspaces (SLACK_CLIENT_ID is set), so name each workspace's channel: {PAIRS}"
            )));
        }
        return channel_id(value).map(DigestChannels::One).map_err(invalid);
    }
    let mut channels = std::collections::BTreeMap::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((team, channel)) = entry.split_once(':') else {
            return Err(invalid(format!(
                "'{entry}' is not a workspace and its channel: write each as TEAM:CHANNEL, like {PAIRS}"
            )));
        };
        let team = team.trim();
        TeamId::parse_workspace(team).map_err(|_| {
            let what = if team.starts_with('E') {
                "is an Enterprise Grid org id, not a workspace's: name each workspace (T…) with its channel"
            } else {
                "is not a workspace id: it looks like T0123ABCD (Slack in a browser shows it in the address, app.slack.com/client/T0123ABCD/…)"
            };
            invalid(format!("in '{entry}', '{team}' {what}"))
        })?;
        let channel = channel_id(channel).map_err(|e| invalid(format!("in '{entry}', {e}")))?;
        if channels.insert(team.to_owned(), channel).is_some() {
            return Err(invalid(format!(
                "workspace {team} is listed twice: give each workspace one channel"
            )));
        }
    }
    if channels.is_empty() {
        return Err(invalid(format!(
            "'{value}' names no workspace: write a channel id, or each workspace's channel like {PAIRS}"
        )));
    }
    Ok(DigestChannels::PerWorkspace(channels))
}

/// `payments-devs=payments, @search=search` → [("payments-devs", "payments"), ("search", "search")].
pub(super) fn team_usergroups(value: Option<&str>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|pair| {
            let (handle, team) = pair.split_once('=').unwrap_or((pair, ""));
            let (handle, team) = (handle.trim().trim_start_matches('@'), team.trim());
            if handle.is_empty() || team.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "CAIRN_TEAM_USERGROUPS '{}': write each as handle=team, e.g. payments-devs=payments",
                    pair.trim()
                )));
            }
            Ok((handle.to_owned(), team.to_owned()))
        })
        .collect()
}

/// `CAIRN_EVENT_RETENTION_DAYS`: at least a day, as Slack retries an event for up to an hour.
pub(super) fn event_retention(days: Option<u32>) -> Result<chrono::Duration, ConfigError> {
    match days.unwrap_or(7) {
        0 => Err(ConfigError::Invalid(
            "CAIRN_EVENT_RETENTION_DAYS must be at least 1: Slack retries an event for up to an hour, and Cairn must still know it".into(),
        )),
        days => Ok(chrono::Duration::days(i64::from(days))),
    }
}
