//! Digests end to end: a manager's digest before a review cycle in their own morning, once, with
//! a packet button that works for them and is refused to others; and the weekly team digest to a
//! channel, grouped by competency, public kudos only, pinging nobody, each workspace's to its own
//! channel. No sleeping: `cairn jobs run-once --now` (the app's own clock is pinned to Monday
//! 5 January 2026, 14:30 UTC).

use crate::common::*;
use cairn::store::OrgPerson;
use serde_json::Value;

const TEAM: &str = "T07KUD0S01";
const ANA: &str = "U0ANA00001";
const BOB: &str = "U0BOB00002";
const MIA: &str = "U0MIA00006"; // Ana's and Bob's manager, in Berlin
const DIR: &str = "U0DIR00007"; // Mia's manager, in New York
const PEER: &str = "U0PEER0008";

fn person(user: &str, team: &str, manager: Option<&str>) -> OrgPerson {
    OrgPerson {
        user_id: user.into(),
        name: Some(format!("Name of {user}")),
        email: None,
        team: Some(team.into()),
        group: Some("eng".into()),
        manager: manager.map(Into::into),
        ..Default::default()
    }
}

async fn org(app: &TestApp) {
    let store = app.store();
    store
        .import_org(
            TEAM,
            &[
                person(DIR, "platform", None),
                person(MIA, "platform", Some(DIR)),
                person(ANA, "payments", Some(MIA)),
                person(BOB, "payments", Some(MIA)),
                person(PEER, "payments", Some(DIR)),
            ],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    // Zones as the managers' own overrides: the fake Slack answers every profile lookup with
    // Berlin, and the running app's scheduler may look them up at any moment.
    for (user, tz) in [(MIA, "Europe/Berlin"), (DIR, "America/New_York")] {
        let mut s = cairn::store::Schedule::new(TEAM, user, cairn::domain::schedule::Slot::DEFAULT);
        s.tz = Some(tz.into());
        store
            .save_schedule(&s, chrono::Utc::now(), true)
            .await
            .unwrap();
    }
}

fn reviews(settings: &mut cairn::config::Input) {
    settings.review_cycles = Some("2026-01-19".into());
}

fn team_digest(settings: &mut cairn::config::Input) {
    settings.team_digest_channel = Some("C0DIGEST01".into());
}

/// Several workspaces, each with its installation's own token (tests/it/workspaces.rs).
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const GLOBEX: &str = "T0GLOBEX01";
const INITECH: &str = "T0INITECH1"; // installed, but named no digest channel

/// Acme (TEAM) and Globex each have their digest channel; Initech has none.
fn digest_per_workspace(settings: &mut cairn::config::Input) {
    settings.encryption_key = Some(KEY.into());
    settings.team_digest_channel = Some(format!("{TEAM}:C0ACME0001, {GLOBEX}:C0GLOBEX01"));
}

async fn install(app: &TestApp, team: &str, token: &str) {
    let sealed = cairn::secrets::Keys::parse(KEY, None)
        .unwrap()
        .seal(team, token);
    app.store()
        .save_installation(&installation(team, &sealed, chrono::Utc::now()))
        .await
        .unwrap();
}

/// Messages posted to `channel` whose fallback text starts with `start`.
fn posted(app: &TestApp, channel: &str, start: &str) -> Vec<Value> {
    app.slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c.body["channel"] == channel && c.body["text"].as_str().unwrap_or("").starts_with(start)
        })
        .map(|c| c.body)
        .collect()
}

async fn press_packet(app: &TestApp, user: &str, value: &str) -> u16 {
    press_button(app, user, "digest_packet", "r", value).await
}

both_backends! {
    async fn each_manager_gets_one_digest_in_their_own_morning_before_the_review(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        org(&app).await;
        let given = app.command("/kudos", &format!("<@{ANA}> #technical untangled the billing migration"), BOB).await;
        assert_eq!(given["response_type"], "in_channel", "{given}");
        // Ana's private note must not show in her manager's figures.
        app.command("/growth", &format!("log #technical #mentoring a private note on pairing with <@{BOB}>"), ANA).await;
        let options = Options { extra: reviews, ..Options::default() };
        // Reviews start Monday 19 January; a week before, at 09:00 Berlin (08:00 UTC), Mia's
        // digest comes; Dir's at 09:00 in New York (14:00 UTC).
        let report = app.run_jobs_with(&options, "2026-01-12T07:59:00Z").await;
        assert!(report.contains("0 review digests"), "{report}");
        let report = app.run_jobs_with(&options, "2026-01-12T08:00:00Z").await;
        assert!(report.contains("1 review digests"), "{report}");
        let to_mia = posted(&app, "D0MIA00006", "Reviews start on Monday 19 January");
        assert_eq!(to_mia.len(), 1, "{to_mia:?}");
        let blocks = to_mia[0]["blocks"].to_string();
        assert!(to_mia[0]["text"].as_str().unwrap().contains("a look at your 2 direct reports"), "{}", to_mia[0]["text"]);
        for who in [ANA, BOB] {
            assert!(blocks.contains(&format!("<@{who}>")), "{who}: {blocks}");
            assert!(blocks.contains(&format!("{who}|2025-10-14|2026-01-12")), "the packet button for {who}: {blocks}");
        }
        // Each report's line as the team view shows it; Ana's private mentoring note is left out.
        assert!(blocks.contains("Multiplier effect: 0 items"), "Ana's line, her private note left out: {blocks}");
        assert!(blocks.contains("no level set") && blocks.contains("Latest evidence"), "{blocks}");
        assert!(posted(&app, "D0DIR00007", "Reviews start").is_empty(), "Dir's morning has not come");
        let report = app.run_jobs_with(&options, "2026-01-12T13:59:00Z").await;
        assert!(report.contains("0 review digests"), "{report}");
        let report = app.run_jobs_with(&options, "2026-01-12T14:00:00Z").await;
        assert!(report.contains("1 review digests"), "{report}");
        let to_dir = posted(&app, "D0DIR00007", "Reviews start");
        assert_eq!(to_dir.len(), 1);
        assert!(to_dir[0]["blocks"].to_string().contains(&format!("<@{MIA}>")), "Dir's report is Mia");
        // Later passes, and another day of the window, send nothing more.
        for now in ["2026-01-12T14:01:00Z", "2026-01-15T15:00:00Z"] {
            let report = app.run_jobs_with(&options, now).await;
            assert!(report.contains("0 review digests"), "{now}: {report}");
        }
        assert_eq!(posted(&app, "D0MIA00006", "Reviews start").len(), 1);
        // Mia answering the digest in the DM is a message, not a reflection.
        let mut reply = fixture_json("event_message_im.json");
        reply["event_id"] = serde_json::json!("Ev0DIGEST1");
        reply["event"]["user"] = serde_json::json!(MIA);
        reply["event"]["channel"] = serde_json::json!("D0MIA00006");
        reply["event"]["text"] = serde_json::json!("thanks, very useful");
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-01-12T10:00:00Z").unwrap().to_utc());
        let answer = app.post_signed("/slack/events", "application/json", &reply.to_string()).await;
        assert_eq!(answer.status(), 200);
        assert!(app.store().evidence_of(TEAM, MIA, 10).await.unwrap().is_empty());
        // Ana can see that Mia looked.
        let views = app.store().views_of(TEAM, ANA, chrono::DateTime::UNIX_EPOCH).await.unwrap();
        assert!(views.iter().any(|v| v.viewer == MIA && v.what == "summary"), "{views:?}");
    }

    async fn a_digest_is_sent_late_but_never_once_the_review_started(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        org(&app).await;
        let options = Options { extra: reviews, ..Options::default() };
        // Cairn was down all week: the digests still come the evening before the review.
        let report = app.run_jobs_with(&options, "2026-01-18T18:00:00Z").await;
        assert!(report.contains("2 review digests"), "Mia and Dir: {report}");
        // Elsewhere, Cairn comes back when it is night in New York (22:00) and the review has
        // started in Berlin (04:00 on the 19th): nothing; by New York's morning it has started there too.
        let Some(app2) = TestApp::spawn(backend).await else { return };
        org(&app2).await;
        for now in ["2026-01-19T03:00:00Z", "2026-01-19T13:00:00Z"] {
            let report = app2.run_jobs_with(&options, now).await;
            assert!(report.contains("0 review digests"), "{now}: {report}");
        }
    }

    async fn the_packet_button_sends_files_to_the_manager_and_refuses_others(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        org(&app).await;
        app.command("/kudos", &format!("<@{ANA}> #technical untangled the billing migration"), BOB).await;
        let value = format!("{ANA}|2025-10-14|2026-01-12");
        assert_eq!(press_packet(&app, MIA, &value).await, 200);
        let done = app.slack.wait_for("files.completeUploadExternal", 1).await;
        assert_eq!(done[0].body["channel_id"], "D0MIA00006", "{:?}", done[0].body);
        assert_eq!(done[0].body["files"].as_array().unwrap().len(), 4);
        // Someone outside Ana's manager chain pressing a forwarded button is told why not.
        assert_eq!(press_packet(&app, PEER, &value).await, 200);
        let refused = app.slack.wait_for("chat.postEphemeral", 1).await;
        assert_eq!(refused[0].body["user"], PEER);
        assert!(refused[0].body["text"].as_str().unwrap().contains("managers"), "{:?}", refused[0].body);
        assert_eq!(app.slack.calls_to("files.completeUploadExternal").len(), 1);
    }

    async fn the_team_digest_groups_the_weeks_public_kudos_and_pings_nobody(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        org(&app).await;
        app.command("/kudos", &format!("<@{ANA}> #technical untangled the billing migration"), BOB).await;
        app.command("/kudos", &format!("<@{BOB}> #leadership ran the incident review"), ANA).await;
        app.command("/kudos", &format!("<@{BOB}> #technical <!here> fixed the deploy"), MIA).await;
        // A manager-only kudos is not for the channel.
        let mut hidden = queued_kudos(1, vec![cairn::domain::ids::UserId::parse(ANA).unwrap()]);
        hidden.text = "a quiet thank-you".into();
        hidden.visibility = cairn::store::Visibility::Manager;
        hidden.created_at = chrono::DateTime::parse_from_rfc3339("2026-01-06T10:00:00Z").unwrap().to_utc();
        app.store().record_kudos(hidden).await.unwrap();
        // A mention in the text is shown by name.
        let mut mention = queued_kudos(2, vec![cairn::domain::ids::UserId::parse(ANA).unwrap()]);
        mention.text = format!("paired with <@{PEER}> all week");
        mention.created_at = chrono::DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc();
        app.store().record_kudos(mention).await.unwrap();
        let options = Options { extra: team_digest, ..Options::default() };
        // Default: Fridays 16:00 UTC.
        let report = app.run_jobs_with(&options, "2026-01-09T15:59:00Z").await;
        assert!(report.contains("0 team digests"), "{report}");
        let report = app.run_jobs_with(&options, "2026-01-09T16:00:00Z").await;
        assert!(report.contains("1 team digests"), "{report}");
        app.run_jobs_with(&options, "2026-01-09T16:30:00Z").await;
        let digests = posted(&app, "C0DIGEST01", "Kudos of the week");
        assert_eq!(digests.len(), 1, "{digests:?}");
        let blocks: Vec<String> = digests[0]["blocks"].as_array().unwrap().iter().map(|b| b["text"]["text"].as_str().unwrap_or("").to_owned()).collect();
        let all = blocks.join("\n");
        let technical = blocks.iter().find(|b| b.starts_with("*Technical skills*")).expect("a Technical skills group");
        assert!(technical.contains("untangled the billing migration") && technical.contains("fixed the deploy"), "{technical}");
        assert!(technical.contains(&format!("Name of {BOB} → Name of {ANA}")), "{technical}");
        assert!(all.contains(&format!("paired with @Name of {PEER} all week")), "a mention shown by name: {all}");
        assert!(blocks.iter().any(|b| b.starts_with("*Values*")), "{all}");
        assert!(blocks.iter().any(|b| b.starts_with("*Leadership") && b.contains("ran the incident review")), "{all}");
        assert!(!all.contains("<@") && !all.contains("<!here>"), "nobody is pinged: {all}");
        assert!(!all.contains("quiet thank-you"), "manager-only kudos stay out: {all}");
        // The next week, with no kudos, posts nothing.
        let report = app.run_jobs_with(&options, "2026-01-16T16:00:00Z").await;
        assert!(report.contains("0 team digests"), "{report}");
    }

    async fn each_workspaces_digest_goes_to_its_own_channel_only(backend: Backend) {
        let options = Options { bot_token: false, extra: digest_per_workspace, ..Options::default() };
        let Some(app) = TestApp::spawn_with(backend, options.clone()).await else { return };
        for (team, token) in [(TEAM, "xoxb-acme"), (GLOBEX, "xoxb-globex"), (INITECH, "xoxb-initech")] {
            install(&app, team, token).await;
        }
        let kudos = [
            (TEAM, "U0ACME0002", "<@U0ACME0003> #technical fixed the acme deploy"),
            (GLOBEX, "U0GLOBEX02", "<@U0GLOBEX03> #technical fixed the globex build"),
            (INITECH, "U0INITEC02", "<@U0INITEC03> #technical fixed the initech printer"),
        ];
        for (team, giver, text) in kudos {
            let given = app.command_in(team, "/kudos", text, giver).await;
            assert_eq!(given["response_type"], "in_channel", "{team}: {given}");
        }
        let report = app.run_jobs_with(&options, "2026-01-09T16:00:00Z").await;
        assert!(report.contains("2 team digests"), "Acme's and Globex's, not Initech's: {report}");
        // A later pass sends none again.
        let report = app.run_jobs_with(&options, "2026-01-09T16:30:00Z").await;
        assert!(report.contains("0 team digests"), "{report}");
        let digests: Vec<_> = app
            .slack
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| c.body["text"].as_str().unwrap_or("").starts_with("Kudos of the week"))
            .collect();
        assert_eq!(digests.len(), 2, "{digests:?}");
        for (channel, token, own, others) in [
            ("C0ACME0001", "Bearer xoxb-acme", "acme deploy", ["globex build", "initech printer"]),
            ("C0GLOBEX01", "Bearer xoxb-globex", "globex build", ["acme deploy", "initech printer"]),
        ] {
            let to_channel: Vec<_> = digests.iter().filter(|c| c.body["channel"] == channel).collect();
            assert_eq!(to_channel.len(), 1, "one digest in {channel}: {digests:?}");
            assert_eq!(to_channel[0].auth.as_deref(), Some(token), "{channel}");
            let blocks = to_channel[0].body.to_string();
            assert!(blocks.contains(own), "{channel} has its own kudos: {blocks}");
            for other in others {
                assert!(!blocks.contains(other), "{channel} has another workspace's kudos '{other}': {blocks}");
            }
        }
    }
}

#[test]
fn digest_settings_that_cannot_work_are_refused_with_what_to_write() {
    let bad = |f: fn(&mut cairn::config::Input)| {
        let mut s = cairn::config::Input {
            slack_signing_secret: Some("x".into()),
            ..Default::default()
        };
        f(&mut s);
        s.resolve().unwrap_err().to_string()
    };
    let e = bad(|s| s.review_cycles = Some("2027-02-30".into()));
    assert!(
        e.contains("CAIRN_REVIEW_CYCLES") && e.contains("2027-02-30"),
        "{e}"
    );
    let e = bad(|s| s.review_cycles = Some("0 0 15 1,7".into()));
    assert!(e.contains("5 fields") || e.contains("4 fields"), "{e}");
    let e = bad(|s| {
        s.review_cycles = Some("2027-01-15".into());
        s.review_digest_days = Some(400);
    });
    assert!(e.contains("CAIRN_REVIEW_DIGEST_DAYS"), "{e}");
    let e = bad(|s| s.team_digest_channel = Some("general".into()));
    assert!(e.contains("C0123ABCD"), "{e}");
    // One channel for every workspace is refused where any workspace may install Cairn.
    let e = bad(|s| {
        s.slack_client_id = Some("123.456".into());
        s.slack_client_secret = Some("secret".into());
        s.team_digest_channel = Some("C0DIGEST01".into());
    });
    assert!(
        e.contains("SLACK_CLIENT_ID is set")
            && e.contains("T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH"),
        "{e}"
    );
    let e = bad(|s| s.team_digest_channel = Some("E07ORG0001:C0DIGEST01".into()));
    assert!(
        e.contains("'E07ORG0001' is an Enterprise Grid org id"),
        "{e}"
    );
    let e =
        bad(|s| s.team_digest_channel = Some("T07KUD0S01:C0DIGEST01,T07KUD0S01:C0OTHER001".into()));
    assert!(e.contains("T07KUD0S01 is listed twice"), "{e}");
    let e = bad(|s| s.team_digest_channel = Some("T07KUD0S01:C0DIGEST01,C0OTHER001".into()));
    assert!(
        e.contains("'C0OTHER001'") && e.contains("TEAM:CHANNEL"),
        "{e}"
    );
    let e = bad(|s| {
        s.team_digest_channel = Some("C0DIGEST01".into());
        s.team_digest_tz = Some("Mars/Olympus".into());
    });
    assert!(e.contains("CAIRN_TEAM_DIGEST_TZ"), "{e}");
}
