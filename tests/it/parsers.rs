//! Property tests for every parser Cairn has: arbitrary bytes and strings, Slack-like token soup,
//! and mutations of real fixtures and shipped files. Each property checks two things: the parser
//! never panics, and a refusal is located: it says where the problem is (a line, a row, a field
//! or key, or the offending word quoted), never an empty message or a bare "invalid".
//!
//! `PROPTEST_CASES` sets the cases per property (docs/architecture.md, "Property tests").

use cairn::domain::framework::{Framework, FrameworkError};
use cairn::domain::ids::UserId;
use cairn::domain::kudos::{self, KudosRules, Problem, Rejected, MAX_MESSAGE_CHARS};
use cairn::domain::markup::{self, Token};
use cairn::domain::org::{self, OrgFile, OrgFileError, OrgFormat};
use cairn::domain::period::Period;
use cairn::domain::review::ReviewCycles;
use cairn::domain::schedule::{self, Cadence, CronSpec, Slot, EARLIEST, LATEST};
use cairn::domain::tags::TagIndex;
use cairn::http::slack::socket::Envelope;
use cairn::slack::mrkdwn;
use cairn::slack::payloads::{EventEnvelope, Interaction, SlashCommand};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

mod inputs;
use inputs::*;

/// `PROPTEST_CASES` when set, else `default`: a few hundred per property keeps the whole file
/// to seconds in a debug build.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// What a located refusal is

/// A refusal a person can act on: words, not an empty or bare "invalid", naming one of
/// `anchors` (where the problem is).
fn located(error: &str, anchors: &[String]) -> Result<(), TestCaseError> {
    let bare = error.trim().trim_end_matches('.').to_lowercase();
    prop_assert!(
        !["", "invalid", "invalid input", "error", "bad request"].contains(&bare.as_str()),
        "a bare refusal: {error:?}"
    );
    prop_assert!(
        anchors
            .iter()
            .any(|a| !a.is_empty() && error.contains(a.as_str())),
        "not located: {error:?} names none of {anchors:?}"
    );
    Ok(())
}

fn quoted(s: &str) -> String {
    format!("'{s}'")
}

/// A position in a document: "line 3 column 7".
fn has_line(error: &str) -> bool {
    error
        .match_indices("line ")
        .any(|(i, _)| error[i + 5..].starts_with(|c: char| c.is_ascii_digit()))
}

/// A key named as serde names one: "missing field `competencies`".
fn names_key(error: &str) -> bool {
    error
        .split('`')
        .nth(1)
        .is_some_and(|k| !k.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// Slash-command text: /kudos, /growth log, periods, schedules, review cycles

const GIVER: &str = "U07ALICE01";

fn tags() -> &'static TagIndex {
    static TAGS: OnceLock<TagIndex> = OnceLock::new();
    TAGS.get_or_init(|| TagIndex::new(&Framework::load("matrix-3x3").unwrap()))
}

/// Where each kudos problem is: the part of the command to fix, named or quoted.
fn problem_anchor(p: &Problem) -> Vec<String> {
    match p {
        Problem::NoRecipient => vec!["Mention at least one person".into()],
        Problem::SelfKudos => vec!["take yourself out of the mentions".into()],
        Problem::TooManyRecipients(n) => vec![format!("{n} people")],
        Problem::GroupTooBig { label, members } => vec![format!("{label} has {members} people")],
        Problem::GroupUnknown { label } => vec![format!("who is in {label}")],
        Problem::UnknownTag(u) => vec![format!("the tag #{}", u.tag)],
        Problem::ChannelLinkWithoutName => vec!["channel link".into()],
        Problem::MissingCompetency { valid } => valid.iter().map(|t| format!("#{t}")).collect(),
        Problem::EmptyMessage => vec!["add a message".into()],
        Problem::MessageTooLong(n) => vec![format!("message is {n} characters")],
        Problem::Bot(u) | Problem::Deactivated(u) => vec![format!("<@{u}>")],
    }
}

fn kudos_refusal_is_located(r: &Rejected, wire: &str) -> Result<(), TestCaseError> {
    prop_assert!(!r.problems.is_empty(), "refused without a problem");
    let explained = r.explain();
    let decoded = wire
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    for p in &r.problems {
        let said = p.to_string();
        located(&said, &problem_anchor(p))?;
        prop_assert!(
            explained.contains(&said),
            "{explained:?} leaves out {said:?}"
        );
        if let Problem::UnknownTag(u) = p {
            prop_assert!(
                !u.tag.trim().is_empty() && decoded.contains(&u.tag),
                "the unknown tag {:?} is not a word of {wire:?}",
                u.tag
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn kudos_text_is_a_draft_or_located_problems(
        wire in prop_oneof![3 => slack_text(), 1 => any_text()],
        require_competency in any::<bool>(),
    ) {
        let giver = UserId::parse(GIVER).unwrap();
        let rules = KudosRules { require_competency };
        match kudos::parse(&giver, &wire, tags(), rules) {
            Ok(d) => {
                prop_assert!(!d.recipients.is_empty() || !d.groups.is_empty());
                prop_assert!(!d.recipients.contains(&giver) && d.recipients.len() <= kudos::MAX_RECIPIENTS);
                prop_assert!(!require_competency || !d.competencies.is_empty());
                prop_assert!(!d.message.trim().is_empty() && d.message.chars().count() <= MAX_MESSAGE_CHARS);
            }
            Err(r) => kudos_refusal_is_located(&r, &wire)?,
        }
        match kudos::parse_log(&giver, &wire, tags(), rules) {
            Ok(d) => prop_assert!(!d.people.contains(&giver) && !d.message.trim().is_empty()),
            Err(r) => kudos_refusal_is_located(&r, &wire)?,
        }
    }

    #[test]
    fn a_period_is_at_most_three_years_or_a_refusal_quoting_the_text(
        text in prop_oneof![
            any_text(),
            "[0-9]{0,11}[dwmDWMxQq -]{0,2}",
            "-?[0-9]{1,7}[-–][QqX][0-9]",
            "[0-9-]{1,11}\\.\\.[0-9-]{1,11}",
        ],
        today in prop_oneof![
            (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce()),
            (700_000..800_000i32),
        ].prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
    ) {
        match Period::parse(&text, today) {
            Ok(p) => {
                prop_assert!(p.from <= p.to && (p.to - p.from).num_days() <= 3 * 366, "{p}");
                let _ = (p.start(), p.end(), p.label());
            }
            Err(e) => located(&e.0, &[quoted(&text)])?,
        }
    }

    #[test]
    fn schedule_settings_are_read_or_the_wrong_one_is_quoted(
        weekday in prop_oneof![
            select(vec!["monday", "Fri", " SUN ", "tues", ""]).prop_map(str::to_owned),
            "[a-zA-Z]{0,9}",
            any_text(),
        ],
        time in prop_oneof!["[0-9]{0,3}:[0-9]{0,3}", "[0-9: ]{0,6}", any_text()],
        cadence in prop_oneof![
            select(vec!["weekly", "Fortnightly", " off", "daily"]).prop_map(str::to_owned),
            any_text(),
        ],
        tz in prop_oneof![
            select(vec!["Europe/Berlin", "UTC", "Etc/GMT+5", "europe/berlin", "Mars/Olympus"])
                .prop_map(str::to_owned),
            "[A-Za-z_/+-]{0,20}",
            any_text(),
        ],
    ) {
        if let Err(e) = schedule::parse_weekday(&weekday) {
            located(&e, &[quoted(weekday.trim())])?;
        }
        if let Err(e) = schedule::parse_time(&time) {
            located(&e, &[quoted(time.trim())])?;
        }
        if let Err(e) = Cadence::parse(&cadence) {
            located(&e, &[quoted(cadence.trim())])?;
        }
        if let Err(e) = schedule::parse_tz(&tz) {
            located(&e, &[quoted(tz.trim())])?;
        }
        match Slot::parse(&weekday, &time, &cadence) {
            Ok(slot) => prop_assert!((EARLIEST..=LATEST).contains(&slot.time)),
            Err(e) => {
                let mut anchors: Vec<String> =
                    [&weekday, &time, &cadence].iter().map(|s| quoted(s.trim())).collect();
                if let Ok(t) = schedule::parse_time(&time) {
                    anchors.push(format!("{} is outside prompt hours", t.format("%H:%M")));
                }
                located(&e, &anchors)?;
            }
        }
    }

    #[test]
    fn a_cron_refusal_quotes_the_expression_and_names_the_field(text in cron_text()) {
        match CronSpec::parse(&text) {
            Ok(spec) => {
                let after = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
                if let Some(next) = spec.next_after(cairn::domain::tz::Tz::UTC, after) {
                    prop_assert!(next > after);
                }
            }
            Err(e) => cron_refusal_is_located(&text, &e)?,
        }
    }

    #[test]
    fn review_cycles_are_dates_a_cron_or_a_located_refusal(
        text in prop_oneof![
            cron_text(),
            vec(prop_oneof!["-?[0-9]{4}-[0-9]{2}-[0-9]{2}", "[0-9-]{10}", "\\PC{0,10}"], 0..4)
                .prop_map(|d| d.join(", ")),
            any_text(),
        ],
    ) {
        match ReviewCycles::parse(&text) {
            Ok(ReviewCycles::Dates(dates)) => {
                prop_assert!(!dates.is_empty() && dates.windows(2).all(|w| w[0] < w[1]));
            }
            Ok(ReviewCycles::Cron(_)) => {}
            Err(e) => {
                let parts: Vec<String> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(quoted)
                    .collect();
                if parts.iter().any(|p| e.starts_with(p.as_str())) {
                    located(&e, &parts)?;
                } else {
                    cron_refusal_is_located(text.trim(), &e)?;
                }
            }
        }
    }
}

/// A cron refusal quotes the expression, and for five fields names the one at fault.
fn cron_refusal_is_located(text: &str, error: &str) -> Result<(), TestCaseError> {
    const FIELDS: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];
    let normal = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if normal.is_empty() {
        return located(error, &["the cron expression is empty".into()]);
    }
    located(error, &[quoted(&normal)])?;
    let fields: Vec<&str> = normal.split(' ').collect();
    if fields.len() == 5 && !normal.starts_with('@') {
        let named: Vec<String> = FIELDS
            .iter()
            .zip(&fields)
            .map(|(name, field)| format!("the {name} field '{field}'"))
            .collect();
        located(error, &named)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Slack's requests: slash-command forms, interactions, events, Socket Mode envelopes

const SLASH_FIELDS: [&str; 13] = [
    "ssl_check",
    "team_id",
    "team_domain",
    "enterprise_id",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "response_url",
    "trigger_id",
    "api_app_id",
];

fn slash_command_is_read_or_names_the_field(body: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = serde_urlencoded::from_bytes::<SlashCommand>(body) {
        let fields: Vec<String> = SLASH_FIELDS.iter().map(|f| format!("`{f}`")).collect();
        located(&e.to_string(), &fields)?;
    }
    Ok(())
}

/// The form names the field it could not read; the JSON says where it went wrong.
fn interaction_is_read_or_located(body: &[u8]) -> Result<(), TestCaseError> {
    match Interaction::from_form(body) {
        Ok(_) => {}
        Err(e) if e.starts_with("the `payload` JSON") => prop_assert!(has_line(&e), "{e}"),
        Err(e) => located(&e, &["`payload`".into()])?,
    }
    Ok(())
}

fn event_is_read_or_located(body: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = serde_json::from_slice::<EventEnvelope>(body) {
        prop_assert!(has_line(&e.to_string()), "{e}");
    }
    Ok(())
}

fn form(payload: &str) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload)])
        .unwrap()
        .into_bytes()
}

/// An envelope is read when it has an id; what it becomes over HTTP reads back the same.
fn envelope_reads_back(message: &Value) -> Result<(), TestCaseError> {
    let Some(envelope) = Envelope::read(message) else {
        prop_assert!(!message["envelope_id"].is_string());
        return Ok(());
    };
    prop_assert_eq!(Some(envelope.id.as_str()), message["envelope_id"].as_str());
    let Some(http) = envelope.as_http() else {
        prop_assert!(
            !["slash_commands", "interactive", "events_api"].contains(&envelope.kind.as_str())
        );
        return Ok(());
    };
    match http.path {
        "/slack/commands" => {
            let command: SlashCommand = serde_urlencoded::from_str(&http.body)
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", http.body)))?;
            let text = match envelope.payload.get("text") {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            prop_assert_eq!(command.text, text);
        }
        "/slack/interactivity" => interaction_is_read_or_located(http.body.as_bytes())?,
        "/slack/events" => event_is_read_or_located(http.body.as_bytes())?,
        other => prop_assert!(false, "an envelope sent to {other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn slash_command_forms_are_read_or_name_the_field(
        body in prop_oneof![
            any_bytes(),
            edits().prop_map(|e| apply(&crate::common::fixture("slash_command.txt"), "&", '=', &e).into_bytes()),
        ],
    ) {
        slash_command_is_read_or_names_the_field(&body)?;
    }

    #[test]
    fn slash_command_text_arrives_as_typed(text in prop_oneof![slack_text(), any_text()]) {
        let body = serde_urlencoded::to_string([("command", "/kudos"), ("text", &text), ("user_id", GIVER)]).unwrap();
        let command: SlashCommand = serde_urlencoded::from_str(&body).unwrap();
        prop_assert_eq!(command.text, text);
    }

    #[test]
    fn interactions_are_read_or_located(
        body in prop_oneof![
            any_bytes(),
            any_json().prop_map(|v| form(&v.to_string())),
            mutated_json(INTERACTIONS).prop_map(|t| form(&t)),
            (select(INTERACTIONS), edits()).prop_map(|(name, e)| {
                let raw = crate::common::fixture(&name.replace(".json", ".form.txt"));
                apply(raw.trim_end(), "&", '=', &e).into_bytes()
            }),
        ],
    ) {
        interaction_is_read_or_located(&body)?;
    }

    #[test]
    fn events_are_read_or_located(
        body in prop_oneof![
            any_bytes(),
            any_json().prop_map(|v| v.to_string().into_bytes()),
            mutated_json(EVENTS).prop_map(String::into_bytes),
        ],
    ) {
        event_is_read_or_located(&body)?;
    }

    #[test]
    fn socket_mode_envelopes_read_back_as_the_http_request(
        message in prop_oneof![
            any_json(),
            // The socket drops text that is not JSON before `read`; here it is a JSON string.
            mutated_json(ENVELOPES).prop_map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t))),
        ],
    ) {
        envelope_reads_back(&message)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Markup: Slack's wire text, and mrkdwn to post

/// Tokens compared as the wire form keeps them: adjacent text merged, empty text and user
/// labels dropped (Slack shows a mention's name from the profile, not from the label).
fn as_kept(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for t in tokens {
        match (t, out.last_mut()) {
            (Token::Text(t), _) if t.is_empty() => {}
            (Token::Text(t), Some(Token::Text(last))) => last.push_str(&t),
            (Token::User { id, .. }, _) => out.push(Token::User { id, label: None }),
            (t, _) => out.push(t),
        }
    }
    out
}

/// Every `<` closed before the next one opens, and every `&` outside them the start of an
/// entity (a permalink in a link may hold a raw `&`).
fn whole(mrkdwn: &str) -> bool {
    let mut open = false;
    for (i, c) in mrkdwn.char_indices() {
        match c {
            '<' if open => return false,
            '<' => open = true,
            '>' => open = false,
            '&' if !open
                && !["&amp;", "&lt;", "&gt;"]
                    .iter()
                    .any(|e| mrkdwn[i..].starts_with(e)) =>
            {
                return false
            }
            _ => {}
        }
    }
    !open
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn wire_text_round_trips_through_tokens(wire in prop_oneof![slack_text(), any_text()]) {
        let tokens = markup::tokenize(&wire);
        let _ = markup::to_plain(&tokens);
        let again = markup::to_wire(&tokens);
        prop_assert_eq!(as_kept(markup::tokenize(&again)), as_kept(tokens), "through {:?}", again);
        prop_assert_eq!(markup::to_wire(&markup::tokenize(&again)), again);
    }

    #[test]
    fn truncated_mrkdwn_keeps_links_mentions_and_entities_whole(
        pieces in vec(prop_oneof![
            prop_oneof![slack_text(), any_text()].prop_map(|w| mrkdwn::safe(&w)),
            select(vec![
                "<@U07BOB0002>", "<#C07KUDOS01>", "<https://x.io/a?b=1&amp;c=2|see &amp; do>",
                "<https://a.slack.com/archives/C1/p1?thread_ts=1.2&cid=C1|in Slack>", "&amp;",
                "&lt;b&gt;", " ", "\n", "*bold*",
            ]).prop_map(str::to_owned),
        ], 1..8),
        max in 1usize..120,
    ) {
        let safe = pieces.concat();
        prop_assert!(whole(&safe), "{safe:?}");
        let cut = mrkdwn::truncate(&safe, max);
        prop_assert!(cut.chars().count() <= max, "{cut:?}");
        if safe.chars().count() <= max {
            prop_assert_eq!(cut, safe);
        } else {
            let kept = cut.strip_suffix('…').unwrap_or_default();
            prop_assert!(safe.starts_with(kept) && whole(kept), "{safe:?} cut to {cut:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Framework YAML

fn framework_refusal_is_located(e: FrameworkError) -> Result<(), TestCaseError> {
    const TOP: [&str; 5] = [
        "framework",
        "dimensions",
        "tracks",
        "competencies",
        "multiplier_kinds",
    ];
    match e {
        FrameworkError::Parse { error, .. } => {
            prop_assert!(
                has_line(&error) || names_key(&error),
                "not located: {error:?}"
            )
        }
        FrameworkError::Invalid { problems, .. } => {
            prop_assert!(!problems.is_empty());
            for p in problems {
                let (path, what) = p.split_once(": ").unwrap_or_default();
                let first = path.split(['.', '[']).next().unwrap_or_default();
                prop_assert!(
                    TOP.contains(&first) && !what.trim().is_empty(),
                    "not located: {p:?}"
                );
            }
        }
        other => prop_assert!(false, "{other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn framework_yaml_loads_or_says_where(
        yaml in prop_oneof![
            any_text(),
            yaml_soup(),
            (any::<usize>(), prop_oneof![edits(), gentle_edits()])
                .prop_map(|(i, e)| apply(&shipped_framework(i), "\n", ':', &e)),
        ],
    ) {
        if let Err(e) = Framework::from_yaml("f.yaml", &yaml) {
            framework_refusal_is_located(e)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Org chart CSV and YAML

const COLUMNS: [&str; 6] = ["user_id", "name", "email", "team", "group", "manager_id"];

/// Lines as a spreadsheet counts them: `\r\n`, `\r` and `\n` each end one.
fn line_count(text: &str) -> usize {
    text.replace("\r\n", "\n").split(['\r', '\n']).count()
}

fn org_row_is_located(
    row: usize,
    user_id: Option<&str>,
    reason: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(row >= 1, "row {row}: {reason}");
    // The column at fault, the person, or their manager (by id) named.
    let mut anchors: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    anchors.extend(user_id.map(str::to_owned));
    anchors.extend(ORG_IDS.iter().map(|id| format!("manager {id}")));
    located(reason, &anchors)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn org_files_are_read_row_by_row_with_located_rejections(
        (text, format) in org_text(),
        existing in btree_map(select(ORG_IDS.to_vec()), proptest::option::of(select(ORG_IDS.to_vec())), 0..4),
    ) {
        let format = format.unwrap_or_else(|| OrgFormat::detect(None, &text));
        let file = match org::read(&text, format) {
            Ok(file) => file,
            Err(e) => {
                let said = e.to_string();
                match &e {
                    OrgFileError::Empty => {
                        let blank = text.trim_start_matches('\u{feff}').trim().is_empty();
                        prop_assert!(blank, "{said}: {text:?}");
                    }
                    OrgFileError::NoUserIdColumn { .. } => located(&said, &["the header".into()])?,
                    OrgFileError::Csv(m) | OrgFileError::Yaml(m) => {
                        prop_assert!(has_line(m) || names_key(m), "not located: {said:?}")
                    }
                    OrgFileError::YamlShape(_) => located(&said, &["the file holds".into()])?,
                }
                return Ok(());
            }
        };
        let numbers: Vec<usize> = file.rows.iter().map(|(n, _)| *n)
            .chain(file.rejected.iter().map(|r| r.row)).collect();
        if format == OrgFormat::Csv {
            let lines = line_count(&text);
            prop_assert!(numbers.iter().all(|n| (2..=lines).contains(n)), "rows {numbers:?} of {lines} lines");
        }
        for r in &file.rejected {
            org_row_is_located(r.row, r.user_id.as_deref(), &r.reason)?;
        }
        let existing: HashMap<String, Option<String>> = existing
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
            .collect();
        let before = file.rows.len() + file.rejected.len();
        let checked: OrgFile = org::check(file, &existing);
        prop_assert_eq!(checked.rows.len() + checked.rejected.len(), before);
        for r in &checked.rejected {
            org_row_is_located(r.row, r.user_id.as_deref(), &r.reason)?;
        }
    }
}
