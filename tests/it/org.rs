//! The org chart: imported as CSV, YAML or JSON through the API and the CLI; rows with bad ids,
//! unknown managers or loops are rejected with their row number and reason while the valid rows
//! are kept; importing the same file again changes nothing.

use crate::common::*;
use serde_json::json;

const TEAM: &str = "T07KUD0S01";

const CSV: &str = "\
user_id,name,email,team,group,manager_id
U0LEAD0001,Lee Lead,lee@example.com,platform,eng,
U0ANA00002,\"Lima, Ana — payments\",ana@example.com,payments,money,U0LEAD0001
U0BOB00003,Bob,bob@example.com,payments,money,U0GHOST999
ana,Not An Id,x@example.com,payments,money,
U0CYC00004,Cy,cy@example.com,ledger,money,U0CYC00005
U0CYC00005,Cat,cat@example.com,ledger,money,U0CYC00004
U0DAN00006,Dan,dan@example.com,search,discovery,U0ANA00002
";

both_backends! {
    async fn the_api_imports_valid_rows_and_explains_the_others(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let (status, report) = app.post_org("text/csv", CSV).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!((report["added"].clone(), report["changed"].clone(), report["unchanged"].clone()), (json!(3), json!(0), json!(0)), "{report}");
        let rejected = report["rejected"].as_array().unwrap();
        let rows: Vec<u64> = rejected.iter().map(|r| r["row"].as_u64().unwrap()).collect();
        // Spreadsheet rows: the header is row 1.
        assert_eq!(rows, [4, 5, 6, 7], "{report}");
        let reason = |row: u64| rejected.iter().find(|r| r["row"] == row).unwrap()["reason"].as_str().unwrap().to_owned();
        assert!(reason(4).contains("U0GHOST999"), "{}", reason(4));
        assert!(reason(5).contains("ana"), "{}", reason(5));
        assert!(reason(6).contains("loop"), "{}", reason(6));
        let chart = app.store().org_chart(TEAM).await.unwrap();
        let ids: Vec<&str> = chart.iter().map(|p| p.user_id.as_str()).collect();
        assert_eq!(ids, ["U0ANA00002", "U0DAN00006", "U0LEAD0001"]);
        let ana = chart.iter().find(|p| p.user_id == "U0ANA00002").unwrap();
        assert_eq!(ana.name.as_deref(), Some("Lima, Ana — payments"));
        assert_eq!((ana.team.as_deref(), ana.group.as_deref(), ana.manager.as_deref()), (Some("payments"), Some("money"), Some("U0LEAD0001")));
        assert_eq!(app.store().manager_chain(TEAM, "U0DAN00006").await.unwrap(), ["U0ANA00002", "U0LEAD0001"]);

        // The same file again changes nothing; a JSON body moving Dan is one change.
        let (_, again) = app.post_org("text/csv", CSV).await;
        assert_eq!((again["added"].clone(), again["changed"].clone(), again["unchanged"].clone()), (json!(0), json!(0), json!(3)), "{again}");
        let moved = json!([{"user_id": "U0DAN00006", "name": "Dan", "email": "dan@example.com", "team": "payments", "group": "money", "manager_id": "U0ANA00002"}]);
        let (_, change) = app.post_org("application/json", &moved.to_string()).await;
        assert_eq!((change["added"].clone(), change["changed"].clone()), (json!(0), json!(1)), "{change}");
        // A manager already stored may be named by a later file; a YAML `people:` map works too.
        let yaml = "people:\n  - user_id: U0EVE00007\n    team: payments\n    manager_id: U0LEAD0001\n";
        let (_, added) = app.post_org("application/yaml", yaml).await;
        assert_eq!(added["added"], 1, "{added}");
        // A file that is not an org chart says what to fix.
        let (status, bad) = app.post_org("text/csv", "name,team\nAna,payments\n").await;
        assert_eq!(status, 400);
        assert!(bad["error"]["message"].as_str().unwrap().contains("user_id"), "{bad}");
    }
}

both_backends! {
    async fn user_groups_place_their_members_in_teams(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Alice is already in the chart with a group and a manager; the sync keeps them.
        let alice = cairn::store::OrgPerson {
            user_id: "U07ALICE01".into(), name: Some("Alice".into()), email: None,
            team: Some("platform".into()), group: Some("eng".into()), manager: None, ..Default::default()
        };
        app.store().import_org(TEAM, std::slice::from_ref(&alice), chrono::Utc::now()).await.unwrap();
        let slack = cairn::slack::client::SlackClient::new(&app.slack.url, std::time::Duration::from_secs(5));
        let token = secrecy::SecretString::from("xoxb-test");
        let mapping = vec![("devs".to_owned(), "payments".to_owned()), ("ghosts".to_owned(), "nowhere".to_owned())];
        let report = cairn::services::org::sync_usergroups(app.store().as_ref(), &slack, &token, TEAM, &mapping, chrono::Utc::now()).await.unwrap();
        // The fixture's group holds Alice, Bob and Carol.
        assert_eq!((report.added.len(), report.changed.clone(), report.unchanged), (2, vec!["U07ALICE01".to_owned()], 0));
        assert_eq!(report.rejected.len(), 1);
        assert!(report.rejected[0].reason.contains("@ghosts"));
        let chart = app.store().org_chart(TEAM).await.unwrap();
        let now_alice = chart.iter().find(|p| p.user_id == "U07ALICE01").unwrap();
        assert_eq!(now_alice, &cairn::store::OrgPerson { team: Some("payments".into()), ..alice });
        assert!(chart.iter().any(|p| p.user_id == "U07CAROL03" && p.team.as_deref() == Some("payments")));
        // Again: nothing changes.
        let again = cairn::services::org::sync_usergroups(app.store().as_ref(), &slack, &token, TEAM, &mapping[..1], chrono::Utc::now()).await.unwrap();
        assert_eq!((again.added.len(), again.changed.len(), again.unchanged), (0, 0, 3));
    }
}

#[test]
fn org_sync_says_what_it_needs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["org", "sync"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CAIRN_TEAM_USERGROUPS is not set"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["org", "sync"])
        .env_clear()
        .env("CAIRN_TEAM_USERGROUPS", "devs")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("write each as handle=team"));
}

#[test]
fn org_sync_needs_a_token_for_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let sync = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["org", "sync"])
            .args(args)
            .env_clear()
            .env("CAIRN_TEAM_USERGROUPS", "devs=payments")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    // Which workspace, without a bot token to ask.
    let out = sync(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the workspace with --team"));
    // A workspace Cairn holds no token for (no installation, no SLACK_BOT_TOKEN).
    let out = sync(&["--team", "T0GLOBEX01"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no bot token for T0GLOBEX01"), "{stderr}");
}

#[test]
fn the_cli_imports_and_exits_1_when_rows_were_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let file = dir.path().join("org.csv");
    std::fs::write(&file, CSV).unwrap();
    let run = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["org", "import", path.to_str().unwrap(), "--team", TEAM])
            .env_clear()
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let out = run(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("3 added, 0 changed, 0 unchanged, 4 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("row 4 (U0BOB00003): "), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the valid rows are saved"));
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, CSV.lines().take(3).collect::<Vec<_>>().join("\n")).unwrap();
    let out = run(&clean);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("0 added, 0 changed, 2 unchanged, 0 rejected"));
    let missing = run(&dir.path().join("nope.csv"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}
