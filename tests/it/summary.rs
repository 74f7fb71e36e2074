//! Growth summaries: the sphere of each kudos from the org chart of its day, reach and the
//! multiplier, who may see what (the person, their managers, an admin, a peer, the API token),
//! and the record of who looked. The figures are worked out by hand in the comments.

use crate::common::*;
use cairn::clock::Clock;
use cairn::store::OrgPerson;
use serde_json::{json, Value};

const ANA: &str = "U0ANA00001";
const BOB: &str = "U0BOB00002";
const CARA: &str = "U0CARA0003";
const DAN: &str = "U0DAN00004";
const EVE: &str = "U0EVE00005"; // not in the org chart
const MIA: &str = "U0MIA00006"; // Ana's manager
const DIR: &str = "U0DIR00007"; // Mia's manager
const PEER: &str = "U0PEER0008";
const EXT: &str = "U0EXT00009"; // Slack Connect, another organisation
const ADMIN: &str = "U0ADMIN010";

fn person(user: &str, team: &str, group: &str, manager: Option<&str>) -> OrgPerson {
    OrgPerson {
        user_id: user.into(),
        name: Some(format!("Name of {user}")),
        email: None,
        team: Some(team.into()),
        group: Some(group.into()),
        manager: manager.map(Into::into),
        ..Default::default()
    }
}

fn org() -> Vec<OrgPerson> {
    vec![
        person(DIR, "platform", "eng", None),
        person(MIA, "platform", "eng", Some(DIR)),
        person(ANA, "payments", "money", Some(MIA)),
        person(BOB, "payments", "money", Some(MIA)),
        person(CARA, "ledger", "money", Some(MIA)),
        person(DAN, "search", "discovery", Some(DIR)),
        person(PEER, "payments", "money", Some(MIA)),
    ]
}

async fn kudos(app: &TestApp, giver: &str, text: &str) {
    let answer = app.command("/kudos", text, giver).await;
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
}

fn admins(settings: &mut cairn::config::Input) {
    settings.admins = Some(ADMIN.into());
}

/// The quarter the tests play: five kudos to Ana, one private note, one kudos she gave.
async fn play(app: &TestApp) {
    let store = app.store();
    store
        .import_org("T07KUD0S01", &org(), chrono::Utc::now())
        .await
        .unwrap();
    kudos(
        app,
        BOB,
        &format!("<@{ANA}> #technical fixed the flaky deploy"),
    )
    .await; // team
            // One kudos to two people in different groups: a sphere for each (group for Ana, org for Dan).
    kudos(
        app,
        CARA,
        &format!("<@{ANA}> <@{DAN}> #leadership #mentoring ran the incident review"),
    )
    .await; // group, multiplier
    kudos(
        app,
        DAN,
        &format!("<@{ANA}> #values helped search ship — thanks 🎉"),
    )
    .await; // org
    kudos(app, EVE, &format!("<@{ANA}> #technical great demo")).await; // unknown
    kudos(
        app,
        EXT,
        &format!("<@{ANA}> #technical answered our integration questions"),
    )
    .await; // external
            // Bob moves to search: his earlier kudos stays `team`, the next one is `org` (the
            // import goes through this server, so the placements it holds are read again).
    let moved = format!(
        "user_id,name,email,team,group,manager_id,track,level\n{BOB},Name of {BOB},,search,discovery,{MIA},,\n"
    );
    let (status, report) = app.post_org("text/csv", &moved).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["changed"], 1, "{report}");
    kudos(
        app,
        BOB,
        &format!("<@{ANA}> #values unblocked the search migration"),
    )
    .await; // org
    let logged = app
        .command(
            "/growth",
            &format!("log #technical #mentoring paired with <@{PEER}> on the ledger"),
            ANA,
        )
        .await;
    assert!(
        logged["text"].as_str().unwrap().contains("privately"),
        "{logged}"
    );
    kudos(app, ANA, &format!("<@{BOB}> #values thanks")).await;
}

fn summary_text(answer: &Value) -> String {
    serde_json::to_string(&answer["blocks"]).unwrap()
}

both_backends! {
    async fn the_api_summary_matches_the_contract_field_for_field(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        play(&app).await;
        let today = app.clock.now().date_naive();
        let (status, s) = app.api(&format!("/api/v1/people/{ANA}/summary")).await;
        assert_eq!(status, 200, "{s}");
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected_keys = vec!["user", "team_id", "framework", "period", "counts", "sphere", "reach", "competencies", "multiplier", "givers", "gaps", "items", "level", "lens", "trajectory"];
        expected_keys.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, expected_keys);
        assert_eq!(s["user"], ANA);
        assert_eq!(s["team_id"], "T07KUD0S01");
        assert_eq!(s["framework"], json!({"id": "matrix-3x3", "version": "1.0.0"}));
        assert_eq!(s["period"], json!({"from": (today - chrono::Days::new(90)).to_string(), "to": today.to_string()}));
        // The API is an admin viewer: Ana's private note is not counted anywhere.
        assert_eq!(s["counts"], json!({"kudos_received": 6, "kudos_given": 1, "evidence": 0, "reflections": 0}));
        // Bob (team, then org after his move), Cara (group), Dan (org), Eve (unknown), EXT (external).
        assert_eq!(s["sphere"], json!({"self": 0, "team": 1, "group": 1, "org": 2, "external": 1, "unknown": 1}));
        // At org and above: Dan, Bob and EXT: three items from three people. External alone is one.
        assert_eq!(s["reach"], json!({"sphere": "org"}));
        assert_eq!(s["competencies"], json!([
            {"id": "values", "items": 2, "sphere": {"org": 2}},
            {"id": "technical", "items": 3, "sphere": {"team": 1, "external": 1, "unknown": 1}},
            {"id": "leadership", "items": 1, "sphere": {"group": 1}},
        ]));
        // In matrix-3x3, #values and #leadership lean on the multiplier dimension: Cara's kudos
        // (#leadership #mentoring), Dan's and Bob's second (#values). Their givers are the people
        // helped: Cara (ledger), Dan and Bob (search).
        assert_eq!(s["multiplier"]["items"], 3);
        assert_eq!(s["multiplier"]["people"], 3);
        assert_eq!(s["multiplier"]["teams"], 2);
        assert_eq!(s["multiplier"]["kinds"], json!({"mentoring": 1}));
        // Givers: Bob, Cara, Dan, Eve, EXT; placed teams now: search (Bob, Dan), ledger (Cara).
        assert_eq!(s["givers"], json!({"people": 5, "teams": 2}));
        assert_eq!(s["gaps"], json!([]));
        let items = s["items"].as_array().unwrap();
        assert_eq!(items.len(), 6);
        let dan = items.iter().find(|i| i["author"] == DAN).unwrap();
        assert_eq!(dan["source"], "kudos");
        assert_eq!(dan["sphere"], json!({"level": "org", "declared": false}));
        assert_eq!(dan["text"], format!("<@{ANA}> helped search ship — thanks 🎉").replace(&format!("<@{ANA}> "), ""));
        for key in ["id", "team_id", "subject", "author", "source", "competencies", "multiplier_kinds", "sphere", "text", "permalink", "visibility", "occurred_at"] {
            assert!(dan.get(key).is_some(), "Evidence.{key} is missing: {dan}");
        }
        assert!(items.iter().all(|i| i["visibility"] != "private"));
        let cara = items.iter().find(|i| i["author"] == CARA).unwrap();
        assert_eq!(cara["sphere"]["level"], "group");
        let (_, dans) = app.api(&format!("/api/v1/evidence?user={DAN}")).await;
        assert_eq!(dans["items"][0]["id"], cara["id"], "the same kudos, once per receiver");
        assert_eq!(dans["items"][0]["sphere"]["level"], "org");
        // The same items from /evidence; the packet's JSON is the summary.
        let (_, evidence) = app.api(&format!("/api/v1/evidence?user={ANA}")).await;
        assert_eq!(evidence["items"].as_array().unwrap().len(), 6);
        assert_eq!(evidence["next_cursor"], Value::Null);
        let (_, packet) = app.api(&format!("/api/v1/people/{ANA}/packet?format=json")).await;
        assert_eq!(packet["sphere"], s["sphere"]);
        // The additions of contracts.md: no level in the org chart, so `level` is null and the
        // lens reads the first rung; every lens entry has the contract's fields; four quarters.
        assert_eq!(s["level"], Value::Null);
        let lens = s["lens"].as_array().unwrap();
        assert!(!lens.is_empty());
        for entry in lens {
            for key in ["competency", "dimension", "expected", "status", "items"] {
                assert!(entry.get(key).is_some(), "lens.{key} is missing: {entry}");
            }
            assert!(entry["expected"].get("current").is_some() && entry["expected"].get("next").is_some(), "{entry}");
            for status in [&entry["status"]["current"], &entry["status"]["next"]] {
                assert!(status.is_null() || ["evidenced", "partly", "not_yet"].contains(&status.as_str().unwrap()), "{entry}");
            }
        }
        let all_sphere = lens.iter().find(|e| e["competency"].is_null() && e["dimension"] == "sphere").unwrap();
        assert_eq!(all_sphere["expected"], json!({"current": "team", "next": "org"}), "senior, then staff");
        // At org and beyond: Dan, Bob and EXT, three people.
        assert_eq!(all_sphere["status"]["next"], "evidenced");
        assert_eq!(all_sphere["items"].as_array().unwrap().len(), 5, "every placed item supports team level");
        let trajectory = s["trajectory"].as_array().unwrap();
        assert_eq!(trajectory.len(), 4);
        for q in trajectory {
            for key in ["from", "to", "sphere", "reach", "multiplier"] {
                assert!(q.get(key).is_some(), "trajectory.{key} is missing: {q}");
            }
        }
        assert_eq!(trajectory[3]["to"], today.to_string());
        let total: u64 = trajectory.iter().map(|q| q["sphere"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>()).sum();
        assert_eq!(total, 6, "the six items, each in its quarter");
        // Bad input says what to fix.
        let (status, bad) = app.api(&format!("/api/v1/people/{ANA}/summary?from=last-week")).await;
        assert_eq!(status, 400);
        assert!(bad["error"]["message"].as_str().unwrap().contains("YYYY-MM-DD"));
        let (status, _) = app.api("/api/v1/people/ana/summary").await;
        assert_eq!(status, 400);
    }

    async fn a_manager_gets_the_packet_as_files_in_their_dm(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        play(&app).await;
        let answer = app.command("/growth", &format!("packet <@{ANA}> 2026-Q3"), MIA).await;
        let text = answer["text"].as_str().unwrap();
        assert!(text.contains("on its way to your DM"), "{answer}");
        let done = app.slack.wait_for("files.completeUploadExternal", 1).await;
        assert_eq!(done[0].body["channel_id"], format!("D{}", &MIA[1..]), "{:?}", done[0].body);
        let titles: Vec<&str> = done[0].body["files"].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap()).collect();
        assert_eq!(titles.len(), 4, "{titles:?}");
        let uploads = app.slack.calls_to("upload");
        assert!(uploads.iter().any(|u| u.body["png"] == true && u.body["length"].as_u64().unwrap() > 10_000), "the chart");
        let markdown = uploads.iter().find_map(|u| u.body["text"].as_str().filter(|t| t.starts_with("# Review packet"))).expect("the Markdown packet");
        assert!(markdown.contains("Name of U0ANA00001") && markdown.contains("private items left out"), "{markdown}");
        let names: Vec<String> = app.slack.calls_to("files.getUploadURLExternal").iter().map(|c| c.body["filename"].as_str().unwrap().to_owned()).collect();
        assert!(names.iter().any(|n| n.ends_with(".csv")) && names.iter().any(|n| n.ends_with(".json")), "{names:?}");
        // A peer gets a refusal and no files.
        let refused = app.command("/growth", &format!("packet <@{ANA}>"), PEER).await;
        assert!(refused["text"].as_str().unwrap().contains("their managers and admins"), "{refused}");
        assert_eq!(app.slack.calls_to("files.completeUploadExternal").len(), 1);
    }

    async fn a_packet_slack_will_not_take_is_followed_by_a_note_saying_so(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        play(&app).await;
        app.slack.script("files.getUploadURLExternal", vec![Scripted::Error("invalid_arguments")]);
        let answer = app.command("/growth", &format!("packet <@{ANA}> 2026-Q3"), MIA).await;
        assert!(answer["text"].as_str().unwrap().contains("on its way"), "{answer}");
        let mut note = None;
        for _ in 0..500 {
            note = app.slack.calls_to("chat.postMessage").into_iter().map(|c| c.body).find(|b| b["text"].as_str().unwrap_or("").contains("could not upload the review packet"));
            if note.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let note = note.expect("a note that the packet failed");
        assert_eq!(note["channel"], format!("D{}", &MIA[1..]), "{note}");
        assert!(note["text"].as_str().unwrap().contains(&format!("/growth packet <@{ANA}>")), "{note}");
        assert!(app.slack.calls_to("files.completeUploadExternal").is_empty());
    }

    async fn who_may_see_a_summary_and_who_looked(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { extra: admins, ..Options::default() }).await else { return };
        play(&app).await;
        // Ana sees everything, her private note included.
        let own = app.command("/growth", "summary", ANA).await;
        let text = summary_text(&own);
        assert!(text.contains("Your growth"), "{text}");
        assert!(own["text"].as_str().unwrap().contains("6 kudos received"), "{own}");
        assert!(text.contains("1 piece of evidence"), "{text}");
        assert!(!text.contains("viewed by"), "nobody has looked yet: {text}");
        // Her manager, her manager's manager and an admin see the rest; a peer is refused.
        for viewer in [MIA, DIR, ADMIN] {
            let seen = app.command("/growth", &format!("summary <@{ANA}|ana> 30d"), viewer).await;
            let text = summary_text(&seen);
            assert!(text.contains(&format!("Growth of <@{ANA}>")), "{viewer}: {seen}");
            assert!(text.contains("0 pieces of evidence"), "{viewer} must not count the private note: {text}");
        }
        let refused = app.command("/growth", &format!("summary <@{ANA}>"), PEER).await;
        assert_eq!(refused["response_type"], "ephemeral");
        assert!(refused["text"].as_str().unwrap().contains("their managers and admins"), "{refused}");
        assert!(refused.get("blocks").is_none());
        let (status, _) = app.api(&format!("/api/v1/people/{ANA}/summary")).await;
        assert_eq!(status, 200);
        // Each look by someone else was recorded; the peer's refusal was not a look.
        let views = app.store().views_of("T07KUD0S01", ANA, app.clock.now() - chrono::Duration::days(1)).await.unwrap();
        let mut viewers: Vec<(&str, &str)> = views.iter().map(|v| (v.viewer.as_str(), v.via.as_str())).collect();
        viewers.sort();
        let mut expected = vec![(MIA, "slack"), (DIR, "slack"), (ADMIN, "slack"), ("api", "api")];
        expected.sort();
        assert_eq!(viewers, expected);
        // Ana sees who looked.
        let text = summary_text(&app.command("/growth", "summary", ANA).await);
        assert!(text.contains(&format!("viewed by your manager <@{MIA}>")), "{text}");
        assert!(text.contains(&format!("your manager's manager <@{DIR}>")), "{text}");
        assert!(text.contains("the JSON API"), "{text}");
        // A bad period says what to type.
        let bad = app.command("/growth", "summary lately", ANA).await;
        assert!(bad["text"].as_str().unwrap().contains("Use 30d"), "{bad}");
    }

    async fn a_digest_of_several_summaries_refuses_per_person_and_records_each_look(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        play(&app).await;
        let framework = cairn::domain::framework::Framework::load("matrix-3x3").unwrap();
        let now = app.clock.now();
        let subjects = vec![ANA.to_owned(), DAN.to_owned(), BOB.to_owned()];
        let reports = cairn::services::summaries::many(
            app.store().as_ref(),
            &framework,
            cairn::services::summaries::AskMany {
                team: "T07KUD0S01",
                subjects: &subjects,
                period: cairn::domain::period::Period::default_ending(now.date_naive()),
                viewer: cairn::domain::growth::Viewer::Person { user: MIA.into(), admin: false },
                what: cairn::services::summaries::What::Summary,
            },
            now,
        )
        .await
        .unwrap();
        // Mia manages Ana and Bob; Dan reports to the director, so Mia is refused for him.
        assert_eq!(reports.len(), 3);
        let ana = reports[0].as_ref().expect("Mia manages Ana");
        assert_eq!(ana.growth.items.len(), 6, "the private note is not Mia's to see");
        assert!(reports[1].is_err(), "Dan is not Mia's report");
        assert!(reports[2].is_ok());
        let since = now - chrono::Duration::days(1);
        for (subject, looks) in [(ANA, 1), (DAN, 0), (BOB, 1)] {
            let views = app.store().views_of("T07KUD0S01", subject, since).await.unwrap();
            assert_eq!(views.len(), looks, "{subject}: {views:?}");
            assert!(views.iter().all(|v| v.viewer == MIA && v.via == "slack"));
        }
    }
}
