//! Review-ready insight end to end: levels from the org chart, the level lens, growth by
//! quarter, a manager's team view in Slack and the API, teams known within their group, and
//! private items never counted for someone else.

use crate::common::*;
use serde_json::Value;

const DIR: &str = "U0DIR00007";
const MIA: &str = "U0MIA00006";
const DEV: &str = "U0DEV00011";
const ANA: &str = "U0ANA00001";
const BOB: &str = "U0BOB00002";
const PAT: &str = "U0PAT00013";
const CARA: &str = "U0CARA0003";
const ZED: &str = "U0ZED00012";
const ADMIN: &str = "U0ADMIN010";

/// Mia manages Ana, Bob and Pat (payments, in money); Dev manages Cara (ledger, money) and Zed,
/// whose team is also called "platform" but in another group than Mia's. Dan's level is not
/// one of the framework's.
const ORG: &str = "user_id,name,email,team,group,manager_id,track,level
U0DIR00007,Dir Ector,,platform,eng,,manager,senior_manager
U0MIA00006,Mia Manager,,platform,eng,U0DIR00007,manager,manager
U0DEV00011,Dev Rao,,search,discovery,U0DIR00007,manager,manager
U0PAT00013,Pat Price,,payments,money,U0MIA00006,ic,senior
U0BOB00002,Bob Jones,,payments,money,U0MIA00006,,senior
U0ANA00001,Ana Lima,,payments,money,U0MIA00006,ic,senior
U0CARA0003,Cara Diaz,,ledger,money,U0DEV00011,ic,staff
U0DAN00004,Dan Brown,,search,discovery,U0DEV00011,ic,principal
U0ZED00012,Zed Zhou,,platform,discovery,U0DEV00011,,
";

fn admins(settings: &mut cairn::config::Input) {
    settings.admins = Some(ADMIN.into());
}

async fn spawn(backend: Backend) -> Option<TestApp> {
    let app = TestApp::spawn_with(
        backend,
        Options {
            extra: admins,
            ..Options::default()
        },
    )
    .await?;
    let (status, report) = app.post_org("text/csv", ORG).await;
    assert_eq!(status, 200, "{report}");
    Some(app)
}

fn at(app: &TestApp, day: &str) {
    let at = chrono::DateTime::parse_from_rfc3339(&format!("{day}T10:00:00Z")).unwrap();
    app.clock.set(at.to_utc());
}

async fn kudos(app: &TestApp, day: &str, giver: &str, text: &str) {
    at(app, day);
    let answer = app.command("/kudos", text, giver).await;
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
}

/// A year of Ana's work whose reach grows quarter by quarter.
async fn year(app: &TestApp) {
    kudos(
        app,
        "2026-02-10",
        BOB,
        &format!("<@{ANA}> #technical fixed the flaky deploy"),
    )
    .await; // team
    kudos(
        app,
        "2026-02-11",
        PAT,
        &format!("<@{ANA}> #technical reviewed my change"),
    )
    .await; // team
    kudos(
        app,
        "2026-05-10",
        BOB,
        &format!("<@{ANA}> #technical paired on billing"),
    )
    .await; // team
    kudos(
        app,
        "2026-05-11",
        CARA,
        &format!("<@{ANA}> #technical fixed the ledger export"),
    )
    .await; // group
    kudos(
        app,
        "2026-08-10",
        CARA,
        &format!("<@{ANA}> #technical ran the ledger migration"),
    )
    .await; // group
    kudos(
        app,
        "2026-08-11",
        ZED,
        &format!("<@{ANA}> #technical helped the platform team"),
    )
    .await; // org
    kudos(
        app,
        "2026-10-20",
        CARA,
        &format!("<@{ANA}> #values kept the review calm"),
    )
    .await; // group
    kudos(
        app,
        "2026-11-10",
        DIR,
        &format!("<@{ANA}> #technical designed the new settlement flow"),
    )
    .await; // org
    kudos(
        app,
        "2026-11-12",
        ZED,
        &format!("<@{ANA}> #technical answered every platform question"),
    )
    .await; // org
    at(app, "2026-11-20");
}

fn lens_entry<'a>(summary: &'a Value, competency: Option<&str>, dimension: &str) -> &'a Value {
    summary["lens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["competency"].as_str() == competency && e["dimension"] == dimension)
        .unwrap_or_else(|| {
            panic!(
                "no lens entry {competency:?}/{dimension}: {}",
                summary["lens"]
            )
        })
}

both_backends! {
    async fn the_org_chart_takes_tracks_and_levels_and_refuses_unknown_ones(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let (status, report) = app.post_org("text/csv", ORG).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["added"], 8, "{report}");
        let rejected = report["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 1, "{report}");
        assert_eq!(rejected[0]["row"], 9);
        assert_eq!(rejected[0]["user_id"], "U0DAN00004");
        let reason = rejected[0]["reason"].as_str().unwrap();
        assert!(reason.contains("level 'principal' is not a level of track 'ic' (its levels: senior, staff)"), "{reason}");
        // Bob's level alone names its track; the same file again changes nothing.
        let chart = app.store().org_chart("T07KUD0S01").await.unwrap();
        let bob = chart.iter().find(|p| p.user_id == BOB).unwrap();
        assert_eq!((bob.track.as_deref(), bob.level.as_deref()), (Some("ic"), Some("senior")));
        let (_, again) = app.post_org("text/csv", ORG).await;
        assert_eq!((again["added"].as_u64(), again["changed"].as_u64()), (Some(0), Some(0)), "{again}");
    }

    async fn a_senior_is_read_against_staff_with_four_quarters_of_growing_reach(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        year(&app).await;
        let (status, s) = app.api(&format!("/api/v1/people/{ANA}/summary")).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["level"], serde_json::json!({"track": "ic", "level": "senior"}));
        // Over the last 90 days: org-level technical kudos from Dir and Zed (evidenced for staff),
        // one group-level values kudos from Cara (partly, at senior), no leadership (not yet).
        let technical = lens_entry(&s, Some("technical"), "sphere");
        assert_eq!(technical["expected"], serde_json::json!({"current": "team", "next": "org"}));
        assert_eq!(technical["status"]["next"], "evidenced", "{technical}");
        assert_eq!(technical["items"].as_array().unwrap().len(), 2);
        let values = lens_entry(&s, Some("values"), "sphere");
        assert_eq!(values["status"], serde_json::json!({"current": "partly", "next": "not_yet"}), "{values}");
        let leadership = lens_entry(&s, Some("leadership"), "sphere");
        assert_eq!(leadership["status"], serde_json::json!({"current": "not_yet", "next": "not_yet"}), "{leadership}");
        assert_eq!(lens_entry(&s, None, "complexity")["status"]["next"], Value::Null, "not inferred");
        // Four quarters whose reach grows: Team → Team → Group → Organisation.
        let reach: Vec<&str> = s["trajectory"].as_array().unwrap().iter().map(|q| q["reach"]["sphere"].as_str().unwrap_or("none")).collect();
        assert_eq!(reach, ["team", "team", "group", "org"]);
        let quarters: Vec<(&str, &str)> = s["trajectory"].as_array().unwrap().iter().map(|q| (q["from"].as_str().unwrap(), q["to"].as_str().unwrap())).collect();
        assert_eq!(quarters, [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"), ("2026-10-01", "2026-11-20")]);
        // Slack says the same in one line, and the lens in words about the evidence.
        let answer = app.command("/growth", &format!("summary <@{ANA}>"), MIA).await;
        let blocks = answer["blocks"].to_string();
        assert!(blocks.contains("Reach by quarter (2026 Q1 to 2026 Q4): Team → Team → Group → Organisation"), "{blocks}");
        assert!(blocks.contains("What the evidence shows against *Staff engineer*"), "{blocks}");
        assert!(blocks.contains("*Technical skills*: sphere of influence evidenced (2 people)"), "{blocks}");
        // The packet has both sections; its chart is a PNG.
        let (_, md) = app.api_text(&format!("/api/v1/people/{ANA}/packet?format=md")).await;
        assert!(md.contains("## Growth by quarter") && md.contains("| Reach | Team | Team | Group | Organisation |"), "{md}");
        assert!(md.contains("## Against the framework's levels") && md.contains("Staff engineer expects *Organisation*"), "{md}");
    }

    async fn a_level_change_reads_earlier_periods_against_the_level_then(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        year(&app).await;
        // Ana is promoted on 15 November.
        at(&app, "2026-11-15");
        let (status, _) = app.post_org("text/csv", &ORG.replace("U0MIA00006,ic,senior\nU0CARA", "U0MIA00006,ic,staff\nU0CARA")).await;
        assert_eq!(status, 200);
        at(&app, "2026-11-20");
        let (_, now) = app.api(&format!("/api/v1/people/{ANA}/summary")).await;
        assert_eq!(now["level"], serde_json::json!({"track": "ic", "level": "staff"}));
        let sphere = lens_entry(&now, None, "sphere");
        assert_eq!(sphere["expected"], serde_json::json!({"current": "org", "next": null}), "staff is the top of the track");
        let (_, q3) = app.api(&format!("/api/v1/people/{ANA}/summary?from=2026-07-01&to=2026-09-30")).await;
        assert_eq!(q3["level"], serde_json::json!({"track": "ic", "level": "senior"}), "the level held then");
        // Nothing recorded earlier changed: the same items, the same spheres.
        let items = |s: &Value| s["trajectory"].as_array().unwrap().iter().map(|q| q["sphere"].to_string()).collect::<Vec<_>>();
        let (_, before) = app.api(&format!("/api/v1/people/{ANA}/summary?to=2026-11-14")).await;
        assert_eq!(items(&before)[..3], items(&now)[..3]);
    }

    async fn two_teams_with_one_name_in_two_groups_are_two_teams(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        // Zed's platform (discovery) thanks Mia's platform (eng): another group, so the organisation.
        kudos(&app, "2026-11-10", ZED, &format!("<@{MIA}> #technical shared the deploy tooling")).await;
        let (_, mia) = app.api(&format!("/api/v1/evidence?user={MIA}")).await;
        assert_eq!(mia["items"][0]["sphere"]["level"], "org", "{mia}");
        // Ana helped people in both platform teams: two teams, not one.
        let logged = app.command("/growth", &format!("log #leadership #mentoring paired with <@{MIA}> and <@{ZED}>"), ANA).await;
        assert!(logged["text"].as_str().unwrap().contains("privately"), "{logged}");
        let own = app.command("/growth", "summary", ANA).await;
        assert!(own["blocks"].to_string().contains("helping 2 people in 2 teams"), "{own}");
    }

    async fn a_manager_sees_their_team_alphabetically_with_quiet_reports_flagged(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        year(&app).await;
        // Pat was thanked once, in May: nobody has recognised her work for six weeks.
        kudos(&app, "2026-05-12", ANA, &format!("<@{PAT}> #technical thanks for the review")).await;
        at(&app, "2026-11-20");
        let view = app.command("/growth", "team", MIA).await;
        let blocks = view["blocks"].as_array().unwrap_or_else(|| panic!("{view}"));
        let lines: Vec<String> = blocks[1..4].iter().map(|b| b["text"]["text"].as_str().unwrap().to_owned()).collect();
        // Ana Lima, Bob Jones, Pat Price.
        for (line, who) in lines.iter().zip([ANA, BOB, PAT]) {
            assert!(line.starts_with(&format!("*<@{who}>*")), "{line}");
        }
        assert!(lines[0].contains("· Senior engineer") && lines[0].contains("Against Staff engineer: sphere of influence evidenced"), "{}", lines[0]);
        assert!(lines[0].contains("Latest evidence 12 Nov 2026") && !lines[0].contains("Quiet"), "{}", lines[0]);
        assert!(lines[1].contains("No evidence yet") && lines[1].contains("*Quiet*"), "{}", lines[1]);
        assert!(lines[2].contains("Latest evidence 12 May 2026") && lines[2].contains("*Quiet*"), "{}", lines[2]);
        assert_eq!(blocks[1]["accessory"]["action_id"], "digest_packet");
        assert_eq!(blocks[1]["accessory"]["value"], format!("{ANA}|2026-08-22|2026-11-20"));
        // Every look is recorded: Ana sees that Mia looked at her line.
        let own = app.command("/growth", "summary", ANA).await;
        assert!(own["blocks"].to_string().contains(&format!("viewed by your manager <@{MIA}> on 20 Nov 2026 (team)")), "{own}");
        // Those above Mia and admins may see her team; another manager may not, and is told so.
        let dir = app.command("/growth", &format!("team <@{MIA}>"), DIR).await;
        assert!(dir["blocks"].to_string().contains(&format!("The team of <@{MIA}>")), "{dir}");
        let admin = app.command("/growth", &format!("team <@{MIA}>"), ADMIN).await;
        assert!(admin["blocks"].is_array(), "{admin}");
        let refused = app.command("/growth", &format!("team <@{MIA}>"), DEV).await;
        assert_eq!(refused["text"], format!("Only <@{MIA}>, their own managers and admins can see <@{MIA}>'s team. `/growth team` shows your own."));
        let nobody = app.command("/growth", "team", ANA).await;
        assert!(nobody["text"].as_str().unwrap().contains("no direct reports"), "{nobody}");
        // The API gives the same, alphabetically, per contracts.md.
        let (status, team) = app.api(&format!("/api/v1/managers/{MIA}/team")).await;
        assert_eq!(status, 200, "{team}");
        assert_eq!(team["manager"], MIA);
        let reports = team["reports"].as_array().unwrap();
        let order: Vec<&str> = reports.iter().map(|r| r["user"].as_str().unwrap()).collect();
        assert_eq!(order, [ANA, BOB, PAT]);
        for key in ["user", "name", "level", "reach", "multiplier", "lens_next", "latest_evidence_at", "quiet"] {
            assert!(reports[0].get(key).is_some(), "reports[].{key} is missing: {}", reports[0]);
        }
        assert_eq!(reports[0]["name"], "Ana Lima");
        assert_eq!(reports[0]["quiet"], false);
        assert_eq!(reports[2]["quiet"], true);
        assert_eq!(reports[0]["latest_evidence_at"], "2026-11-12T10:00:00Z");
        let (status, _) = app.api("/api/v1/managers/nobody/team").await;
        assert_eq!(status, 400);
    }

    async fn private_items_never_count_for_someone_else_lens_included(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        at(&app, "2026-11-10");
        // Ana's own note of leading across teams: private.
        let logged = app.command("/growth", &format!("log #leadership sphere:org ran the cross-team incident review with <@{ZED}>"), ANA).await;
        assert!(logged["text"].as_str().unwrap().contains("privately"), "{logged}");
        let own = app.command("/growth", "summary", ANA).await;
        assert!(own["blocks"].to_string().contains("*Leadership*: sphere of influence partly evidenced (1 person)"), "{own}");
        let managers = app.command("/growth", &format!("summary <@{ANA}>"), MIA).await;
        assert!(managers["blocks"].to_string().contains("*Leadership*: sphere of influence not yet evidenced"), "{managers}");
        let (_, api) = app.api(&format!("/api/v1/people/{ANA}/summary")).await;
        let leadership = lens_entry(&api, Some("leadership"), "sphere");
        assert_eq!(leadership["items"], serde_json::json!([]), "{leadership}");
        let (_, team) = app.api(&format!("/api/v1/managers/{MIA}/team")).await;
        let ana = &team["reports"][0];
        assert!(ana["lens_next"].as_array().unwrap().iter().all(|e| e["items"].as_array().unwrap().is_empty()), "{ana}");
        assert_eq!(ana["latest_evidence_at"], Value::Null, "the private note's date does not show either");
    }
}
