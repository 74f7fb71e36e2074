//! Weekly reflection prompts end to end: a newcomer's first slot, the prompt at the right local
//! time and only once, late starts, snooze and skip through Slack's block actions, people who
//! must not be prompted, and replicas racing. No sleeping: `cairn jobs run-once --now` with
//! chosen times (the app's own clock is pinned to Monday 5 January 2026, 14:30 UTC).

use crate::common::*;
use cairn::store::Person;
use serde_json::{json, Value};

const TEAM: &str = "T07KUD0S01";
const ANA: &str = "U0ANA00001";

/// Ana in Berlin (UTC+1 in January): her default slot, Friday 15:00, is 14:00 UTC.
async fn ana(app: &TestApp, tz: &str) {
    app.store()
        .upsert_person(&Person {
            team_id: TEAM.into(),
            user_id: ANA.into(),
            name: Some("ana".into()),
            real_name: Some("Ana Lima".into()),
            tz: Some(tz.into()),
            is_bot: false,
            deleted: false,
            updated_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
}

/// The prompts Ana was sent (her DM channel in the fake Slack is `D` + her id without `U`).
fn prompts_to_ana(app: &TestApp) -> Vec<Value> {
    app.slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c.body["channel"] == "D0ANA00001"
                // "Hi Ana", or "Hi Alice" when the fake Slack's profile lookup (which answers
                // Alice for everyone) lands after the test's own profile: a race of no interest.
                && c.body["text"].as_str().unwrap_or("").starts_with("Hi ")
        })
        .map(|c| c.body)
        .collect()
}

async fn next_fire(app: &TestApp) -> Option<String> {
    let s = app
        .store()
        .schedule(TEAM, ANA)
        .await
        .unwrap()
        .expect("Ana has a schedule");
    s.next
        .map(|n| format!("{} {}", n.at.to_rfc3339(), n.local_date))
}

async fn press(app: &TestApp, action: &str, value: &str) -> u16 {
    press_button(app, ANA, action, "prompt", value).await
}

both_backends! {
    async fn a_newcomer_is_prompted_once_at_their_next_local_slot_with_the_weeks_kudos(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let kudos = app.kudos(&format!("<@{ANA}> #technical untangled the billing migration")).await;
        assert_eq!(kudos["response_type"], "in_channel", "{kudos}");
        ana(&app, "Europe/Berlin").await;
        // Monday: Ana gets her first slot, Friday 9 January at 15:00 Berlin time, and nothing now.
        let report = app.run_jobs("2026-01-05T14:30:00Z").await;
        assert!(report.contains("0 prompts queued"), "{report}");
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-09T14:00:00+00:00 2026-01-09"));
        // A minute early: nothing. On time: one prompt. Again a minute later: still one.
        app.run_jobs("2026-01-09T13:59:00Z").await;
        assert!(prompts_to_ana(&app).is_empty());
        app.run_jobs("2026-01-09T14:00:00Z").await;
        app.run_jobs("2026-01-09T14:01:00Z").await;
        let prompts = prompts_to_ana(&app);
        assert_eq!(prompts.len(), 1, "{prompts:?}");
        let blocks = prompts[0]["blocks"].to_string();
        assert!(blocks.contains("untangled the billing migration"), "the week's kudos: {blocks}");
        assert!(blocks.contains("<@U07ALICE01>"), "who gave it: {blocks}");
        assert!(blocks.contains("Technical skills"), "for which competency: {blocks}");
        assert!(blocks.contains("evidence in 6 weeks"), "one gap line: {blocks}");
        for action in ["prompt_reflect", "prompt_snooze", "prompt_skip"] {
            assert!(blocks.contains(action), "{action}: {blocks}");
        }
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-16T14:00:00+00:00 2026-01-16"));
    }

    async fn after_a_late_start_one_prompt_is_sent_within_a_day_and_none_after(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        // Cairn was down from Friday's slot until Saturday morning: one late prompt.
        let report = app.run_jobs("2026-01-10T09:00:00Z").await;
        assert!(report.contains("1 prompts queued"), "{report}");
        assert_eq!(prompts_to_ana(&app).len(), 1);
        // Down again over the next slot, for more than a day: skipped, on to the one after.
        let report = app.run_jobs("2026-01-17T15:00:00Z").await;
        assert!(report.contains("1 late prompts skipped"), "{report}");
        assert_eq!(prompts_to_ana(&app).len(), 1);
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-23T14:00:00+00:00 2026-01-23"));
    }

    async fn snooze_asks_again_tomorrow_and_skip_moves_on_to_next_week(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "America/New_York").await; // UTC-5 in January: 15:00 is 20:00 UTC
        app.run_jobs("2026-01-05T14:30:00Z").await;
        app.run_jobs("2026-01-09T20:00:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 1);
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-09T20:05:00Z").unwrap().to_utc());
        assert_eq!(press(&app, "prompt_snooze", "2026-01-09").await, 200);
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-10T20:00:00+00:00 2026-01-10"));
        let update = app.slack.wait_for("chat.update", 1).await;
        assert!(update[0].body["text"].as_str().unwrap().contains("Snoozed"), "{:?}", update[0].body);
        app.run_jobs("2026-01-10T20:00:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 2, "the snoozed prompt comes back the next day");
        // Back to the regular slot after the snooze.
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-16T20:00:00+00:00 2026-01-16"));
        // Snooze again, then skip: the snooze is dropped and next week's slot stands.
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-10T20:05:00Z").unwrap().to_utc());
        assert_eq!(press(&app, "prompt_snooze", "2026-01-10").await, 200);
        assert_eq!(press(&app, "prompt_skip", "2026-01-10").await, 200);
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-16T20:00:00+00:00 2026-01-16"));
        // The prompt's updates are coalesced: the last one Slack gets says what was decided last.
        let mut last = String::new();
        for _ in 0..200 {
            let updates = app.slack.calls_to("chat.update");
            last = updates.last().and_then(|u| u.body["text"].as_str()).unwrap_or_default().to_owned();
            if updates.len() >= 2 && last.contains("Skipped this week") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(last.contains("Skipped this week"), "{last}");
    }

    async fn bots_and_deactivated_people_are_never_prompted(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        let store = app.store();
        for (user, bot, deleted) in [("U0BOT00009", true, false), ("U0GONE0009", false, true)] {
            store.upsert_person(&Person {
                team_id: TEAM.into(), user_id: user.into(), name: None, real_name: None,
                tz: Some("Europe/Berlin".into()), is_bot: bot, deleted, updated_at: chrono::Utc::now(),
            }).await.unwrap();
        }
        app.run_jobs("2026-01-05T14:30:00Z").await;
        assert!(store.schedule(TEAM, "U0BOT00009").await.unwrap().is_none());
        assert!(store.schedule(TEAM, "U0GONE0009").await.unwrap().is_none());
        // Ana is deactivated after she got her slot: her prompt is held, not sent.
        let mut gone = store.person(TEAM, ANA).await.unwrap().unwrap();
        gone.deleted = true;
        store.upsert_person(&gone).await.unwrap();
        let report = app.run_jobs("2026-01-09T14:00:00Z").await;
        assert!(report.contains("0 prompts queued") && report.contains("1 held"), "{report}");
        assert!(prompts_to_ana(&app).is_empty());
    }

    async fn two_replicas_ticking_the_same_minute_send_one_prompt(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        // The two passes race to record the prompt. Delivery is left to one later run: two
        // `run-once` clocks 30 s apart would see each other's 15 s outbox leases as expired,
        // which replicas sharing one real clock never do.
        let passes = Options { bot_token: false, ..Options::default() };
        let (a, b) = tokio::join!(
            app.run_jobs_with(&passes, "2026-01-09T14:00:00Z"),
            app.run_jobs_with(&passes, "2026-01-09T14:00:30Z")
        );
        assert!(a.contains("prompts queued") && b.contains("prompts queued"));
        let queued = |r: &str| r.contains("1 prompts queued");
        assert!(queued(&a) != queued(&b), "exactly one pass queues it: {a} / {b}");
        // Make the next pass see an expired lease too: the unique key still holds.
        app.run_jobs("2026-01-09T14:10:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 1);
        let outbox = app.store().outbox_rows(TEAM).await.unwrap();
        assert_eq!(outbox.iter().filter(|r| r.dedupe_key.starts_with("prompt:weekly:U0ANA00001")).count(), 1);
    }
}

fn option(value: &str) -> Value {
    json!({ "text": { "type": "plain_text", "text": value }, "value": value })
}

/// Submits the settings modal as Slack sends it.
/// What Ana picks in the settings modal; the default is what it starts with.
struct Form {
    day: &'static str,
    time: &'static str,
    cadence: &'static str,
    tz: Option<&'static str>,
    reflections: &'static str,
    monthly: bool,
    pause: Option<&'static str>,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            day: "friday",
            time: "15:00",
            cadence: "weekly",
            tz: None,
            reflections: "private",
            monthly: true,
            pause: None,
        }
    }
}

async fn submit_settings(app: &TestApp, form: Form) -> (u16, Value) {
    let Form {
        day,
        time,
        cadence,
        tz,
        reflections,
        monthly,
        pause,
    } = form;
    let monthly: Vec<Value> = if monthly {
        vec![option("monthly_summary")]
    } else {
        Vec::new()
    };
    let mut payload = fixture_json("interactivity_view_submission.json");
    payload["user"]["id"] = json!(ANA);
    payload["view"]["callback_id"] = json!("settings");
    payload["view"]["private_metadata"] = json!("");
    payload["view"]["state"]["values"] = json!({
        "settings_day": { "value": { "type": "static_select", "selected_option": option(day) } },
        "settings_time": { "value": { "type": "timepicker", "selected_time": time } },
        "settings_cadence": { "value": { "type": "static_select", "selected_option": option(cadence) } },
        "settings_tz": { "value": { "type": "plain_text_input", "value": tz } },
        "settings_reflections": { "value": { "type": "radio_buttons", "selected_option": option(reflections) } },
        "settings_pause": { "value": { "type": "datepicker", "selected_date": pause } },
        "settings_monthly": { "value": { "type": "checkboxes", "selected_options": monthly } },
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let response = app
        .post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            &body,
        )
        .await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `/growth settings` from Ana: the raw answer (empty when the modal opened).
async fn open_settings(app: &TestApp) -> String {
    let body = slash_body("/growth", "settings", ANA);
    let response = app
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            &body,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Who the last reflection modal opened would share it with, to start with.
fn reflect_modal_visibility(app: &TestApp) -> String {
    let opened = app.slack.calls_to("views.open");
    let view = &opened.last().expect("a modal opened").body["view"];
    assert_eq!(view["title"]["text"], "Reflect on your week");
    let radios = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["element"]["type"] == "radio_buttons")
        .expect("who sees it");
    radios["element"]["initial_option"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The DM fixture, as Ana writing to the bot.
async fn dm_to_bot(app: &TestApp, event_id: &str, text: &str) -> u16 {
    dm_to_bot_from(app, event_id, ANA, text).await
}

async fn dm_to_bot_from(app: &TestApp, event_id: &str, user: &str, text: &str) -> u16 {
    let mut event = fixture_json("event_message_im.json");
    event["event_id"] = json!(event_id);
    event["event"]["user"] = json!(user);
    event["event"]["channel"] = json!(format!("D{}", &user[1..]));
    event["event"]["text"] = json!(text);
    app.post_signed("/slack/events", "application/json", &event.to_string())
        .await
        .status()
        .as_u16()
}

both_backends! {
    async fn settings_round_trip_and_reschedule_at_once(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        assert_eq!(press(&app, "prompt_reflect", "2026-01-09").await, 200);
        assert_eq!(reflect_modal_visibility(&app), "private", "reflections start private");
        let answer = open_settings(&app).await;
        assert!(answer.is_empty(), "the modal opens instead of a message: {answer}");
        let opened = app.slack.calls_to("views.open");
        let view = &opened.last().unwrap().body["view"];
        assert_eq!(view["callback_id"], "settings");
        let blocks = view["blocks"].to_string();
        let day = view["blocks"].as_array().unwrap().iter().find(|b| b["block_id"] == "settings_day").unwrap();
        assert_eq!(day["element"]["initial_option"]["value"], "friday", "{blocks}");
        assert!(blocks.contains("\"initial_time\":\"15:00\""), "{blocks}");
        assert!(blocks.contains("Europe/Berlin"), "the Slack zone is named: {blocks}");
        // Out of hours and an unknown zone: both named, nothing saved.
        let (status, errors) = submit_settings(&app, Form { day: "tuesday", time: "22:00", cadence: "fortnightly", tz: Some("Mars/Olympus"), reflections: "manager", ..Form::default() }).await;
        assert_eq!(status, 200);
        assert_eq!(errors["response_action"], "errors", "{errors}");
        assert!(errors["errors"]["settings_time"].as_str().unwrap().contains("08:00"), "{errors}");
        assert!(errors["errors"]["settings_tz"].as_str().unwrap().contains("Mars/Olympus"), "{errors}");
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-09T14:00:00+00:00 2026-01-09"));
        // Tuesday 09:30 in Kathmandu (+05:45), every two weeks: the very next Tuesday is 03:45 UTC.
        let (status, answer) = submit_settings(&app, Form { day: "tuesday", time: "09:30", cadence: "fortnightly", tz: Some("Asia/Kathmandu"), reflections: "manager", ..Form::default() }).await;
        assert_eq!((status, answer), (200, Value::Null));
        let s = app.store().schedule(TEAM, ANA).await.unwrap().unwrap();
        assert_eq!(s.tz.as_deref(), Some("Asia/Kathmandu"));
        assert_eq!(s.slot.cadence.as_str(), "fortnightly");
        assert_eq!(s.reflections, cairn::store::Visibility::Manager);
        // The Reflect button's modal starts from that setting.
        assert_eq!(press(&app, "prompt_reflect", "2026-01-09").await, 200);
        assert_eq!(reflect_modal_visibility(&app), "manager");
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-06T03:45:00+00:00 2026-01-06"));
        // The ticker follows at once; the modal shows what was saved.
        app.run_jobs("2026-01-06T03:45:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 1);
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-20T03:45:00+00:00 2026-01-20"));
        open_settings(&app).await;
        let reopened = app.slack.calls_to("views.open").last().unwrap().body["view"]["blocks"].to_string();
        assert!(reopened.contains("\"initial_time\":\"09:30\"") && reopened.contains("Asia/Kathmandu"), "{reopened}");
    }

    async fn a_dm_reply_within_three_days_of_a_prompt_is_kept_as_a_reflection(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        // Before any prompt, a DM to the bot is just a message.
        assert_eq!(dm_to_bot(&app, "Ev0DM00001", "hello bot").await, 200);
        app.run_jobs("2026-01-05T14:30:00Z").await;
        app.run_jobs("2026-01-09T14:00:00Z").await;
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-10T09:00:00Z").unwrap().to_utc());
        assert_eq!(dm_to_bot(&app, "Ev0DM00002", "#technical shipped the billing migration, asked for review earlier").await, 200);
        let kept = app.store().evidence_of(TEAM, ANA, 10).await.unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].source, cairn::store::Source::Reflection);
        assert_eq!(kept[0].visibility, cairn::store::Visibility::Private);
        assert!(kept[0].text.contains("shipped the billing migration"));
        assert_eq!(kept[0].competencies, ["technical"]);
        let reaction = app.slack.wait_for("reactions.add", 1).await;
        assert_eq!(reaction[0].body["channel"], "D0ANA00001");
        // Slack's retry of the same event keeps nothing twice; four days on, a DM is not a reply.
        assert_eq!(dm_to_bot(&app, "Ev0DM00002", "#technical shipped the billing migration, asked for review earlier").await, 200);
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-13T15:00:00Z").unwrap().to_utc());
        assert_eq!(dm_to_bot(&app, "Ev0DM00003", "random thought").await, 200);
        assert_eq!(app.store().evidence_of(TEAM, ANA, 10).await.unwrap().len(), 1);
    }

    async fn a_reply_kept_whose_event_id_was_not_is_kept_once_on_slacks_retry(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        app.run_jobs("2026-01-09T14:00:00Z").await;
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-10T09:00:00Z").unwrap().to_utc());
        app.db.refuse_inserts("slack_events").await;
        let reply = "#technical shipped the billing migration";
        assert_eq!(dm_to_bot(&app, "Ev0DM00002", reply).await, 503, "Slack must retry an event whose id was not recorded");
        app.db.allow_inserts("slack_events").await;
        assert_eq!(dm_to_bot(&app, "Ev0DM00002", reply).await, 200);
        assert_eq!(dm_to_bot(&app, "Ev0DM00002", reply).await, 200);
        assert_eq!(app.store().evidence_of(TEAM, ANA, 10).await.unwrap().len(), 1, "one reflection");
        app.slack.wait_for("reactions.add", 1).await;
        app.run_jobs("2026-01-10T10:00:00Z").await;
        assert_eq!(app.slack.calls_to("reactions.add").len(), 1, "one \"kept\" reaction");
    }
}

both_backends! {
    async fn the_first_prompt_of_a_month_brings_the_monthly_summary_unless_turned_off(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.kudos(&format!("<@{ANA}> #technical untangled the billing migration")).await;
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        let monthly = |app: &TestApp| {
            app.slack
                .calls_to("chat.postMessage")
                .into_iter()
                .filter(|c| c.body["channel"] == "D0ANA00001" && c.body["text"].as_str().unwrap_or("").starts_with("Your month in Cairn"))
                .map(|c| c.body)
                .collect::<Vec<_>>()
        };
        // January's Fridays: her first prompt ever, then the same month: no monthly summary.
        for day in ["09", "16", "23", "30"] {
            app.run_jobs(&format!("2026-01-{day}T14:00:00Z")).await;
        }
        assert_eq!(prompts_to_ana(&app).len(), 4);
        assert!(monthly(&app).is_empty());
        // The first prompt of February brings it: the kudos of 5 January falls in the 90 days
        // before the last 30.
        // (The DM is paced a second behind the prompt; the same run delivers it.)
        app.run_jobs("2026-02-06T14:00:00Z").await;
        let sent = monthly(&app);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0]["text"].as_str().unwrap().contains("0 items in the last 30 days (1 in the 90 days before)"), "{}", sent[0]["text"]);
        assert!(sent[0]["blocks"].to_string().contains("thinnest competency"), "{}", sent[0]["blocks"]);
        // Turned off in the settings: March's first prompt comes alone.
        let (status, answer) = submit_settings(&app, Form { monthly: false, ..Form::default() }).await;
        assert_eq!((status, answer), (200, Value::Null));
        for day in ["2026-02-13", "2026-02-20", "2026-02-27", "2026-03-06"] {
            app.run_jobs(&format!("{day}T14:00:00Z")).await;
        }
        assert_eq!(prompts_to_ana(&app).len(), 9);
        assert_eq!(monthly(&app).len(), 1);
    }

    async fn a_pause_set_in_the_modal_holds_prompts_until_its_date(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        ana(&app, "Europe/Berlin").await;
        app.run_jobs("2026-01-05T14:30:00Z").await;
        // Paused until Tuesday 20 January: the Fridays before it pass in silence.
        let (status, answer) = submit_settings(&app, Form { pause: Some("2026-01-20"), ..Form::default() }).await;
        assert_eq!((status, answer), (200, Value::Null));
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-23T14:00:00+00:00 2026-01-23"));
        for day in ["09", "16"] {
            let report = app.run_jobs(&format!("2026-01-{day}T14:00:00Z")).await;
            assert!(report.contains("0 prompts queued"), "{report}");
        }
        app.run_jobs("2026-01-23T14:00:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 1);
        // Reopened, the modal shows the pause.
        open_settings(&app).await;
        let reopened = app.slack.calls_to("views.open").last().unwrap().body["view"]["blocks"].to_string();
        assert!(reopened.contains("\"initial_date\":\"2026-01-20\""), "{reopened}");
    }
}

fn quiet_friday(settings: &mut cairn::config::Input) {
    settings.quiet_days = Some("2026-01-09".into());
}

#[tokio::test]
async fn a_quiet_day_is_skipped_and_a_bad_one_is_named() {
    let options = Options {
        extra: quiet_friday,
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await.unwrap();
    ana(&app, "Europe/Berlin").await;
    let options = Options {
        extra: quiet_friday,
        ..Options::default()
    };
    app.run_jobs_with(&options, "2026-01-05T14:30:00Z").await;
    // Friday 9 January is a company holiday: the slot is skipped, not moved to Saturday.
    assert_eq!(
        next_fire(&app).await.as_deref(),
        Some("2026-01-16T14:00:00+00:00 2026-01-16")
    );
    let bad = cairn::config::Input {
        quiet_days: Some("2026-01-09,24 Dec".into()),
        ..Default::default()
    };
    let error = bad.resolve().unwrap_err().to_string();
    assert!(
        error.contains("CAIRN_QUIET_DAYS: '24 Dec' is not a date"),
        "{error}"
    );
    let bad = cairn::config::Input {
        prompt_slot: Some("friday 23:00".into()),
        ..Default::default()
    };
    let error = bad.resolve().unwrap_err().to_string();
    assert!(
        error.contains("CAIRN_PROMPT_SLOT") && error.contains("08:00"),
        "{error}"
    );
}

both_backends! {
    async fn a_person_whose_time_zone_was_unknown_gets_a_slot_once_it_is_known(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Ana comes from the org chart (no Slack profile yet), and Slack cannot say who she is.
        let org = vec![cairn::store::OrgPerson { user_id: ANA.into(), name: Some("Ana Lima".into()), ..Default::default() }];
        app.store().import_org(TEAM, &org, chrono::Utc::now()).await.unwrap();
        app.slack.script("users.info", vec![Scripted::Error("user_not_found")]);
        let report = app.run_jobs("2026-01-05T14:30:00Z").await;
        assert!(report.contains("0 newcomers scheduled"), "{report}");
        assert!(app.store().schedule(TEAM, ANA).await.unwrap().is_none(), "no time zone, no slot");
        // Slack still cannot say: she is asked about again on the next pass, not forgotten.
        app.slack.script("users.info", vec![Scripted::Error("user_not_found")]);
        app.run_jobs("2026-01-05T14:31:00Z").await;
        let asked = app.slack.calls_to("users.info").iter().filter(|c| c.body["user"] == ANA).count();
        assert_eq!(asked, 2, "looked up on each pass until Slack answers");
        // Her profile arrives (an event, a lookup): the next pass gives her a slot.
        ana(&app, "Europe/Berlin").await;
        let report = app.run_jobs("2026-01-05T14:32:00Z").await;
        assert!(report.contains("1 newcomers scheduled"), "{report}");
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-09T14:00:00+00:00 2026-01-09"));
    }

    async fn a_person_known_only_from_the_org_chart_gets_the_weekly_prompt_at_their_local_time(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Ana is in the org chart and has never given, received or asked for anything.
        let org = vec![cairn::store::OrgPerson { user_id: ANA.into(), name: Some("Ana Lima".into()), ..Default::default() }];
        app.store().import_org(TEAM, &org, chrono::Utc::now()).await.unwrap();
        // Monday's pass asks Slack for her profile (the fake answers Berlin) and gives her a slot.
        let report = app.run_jobs("2026-01-05T14:30:00Z").await;
        assert!(report.contains("1 newcomers scheduled"), "{report}");
        assert!(app.slack.calls_to("users.info").iter().any(|c| c.body["user"] == ANA));
        assert_eq!(next_fire(&app).await.as_deref(), Some("2026-01-09T14:00:00+00:00 2026-01-09"));
        app.run_jobs("2026-01-09T13:59:00Z").await;
        assert!(prompts_to_ana(&app).is_empty(), "not before 15:00 in Berlin");
        app.run_jobs("2026-01-09T14:00:00Z").await;
        assert_eq!(prompts_to_ana(&app).len(), 1);
    }

    async fn anyone_who_used_cairn_in_any_way_gets_a_schedule(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Bea only logs evidence; Alice only opens her App Home (the fixture's user); Ana only
        // presses a button; Cid only writes to the bot. None gives or receives kudos.
        let log = app.command("/growth", "log #technical wrote the runbook", "U0BEA00001").await;
        assert!(log.to_string().contains("runbook"), "{log}");
        let home = app.post_signed("/slack/events", "application/json", &fixture("event_app_home_opened.json")).await;
        assert_eq!(home.status(), 200);
        assert_eq!(press(&app, "prompt_skip", "2026-01-09").await, 200);
        assert_eq!(dm_to_bot_from(&app, "Ev0CID00001", "U0CID00001", "hello").await, 200);
        app.run_jobs("2026-01-05T14:30:00Z").await;
        let mut unscheduled = Vec::new();
        for user in ["U0BEA00001", "U07ALICE01", ANA, "U0CID00001"] {
            let s = app.store().schedule(TEAM, user).await.unwrap();
            if s.is_none_or(|s| s.next.is_none()) {
                unscheduled.push(user);
            }
        }
        assert!(unscheduled.is_empty(), "with no slot: {unscheduled:?}");
        // And the workspace is known to the CLI without naming it.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["export", "--user", "U0BEA00001", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "md"])
            .env_clear()
            .env("DATABASE_URL", &app.db.url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let packet = String::from_utf8_lossy(&out.stdout);
        assert!(packet.contains("wrote the runbook"), "{packet}");
    }
}
