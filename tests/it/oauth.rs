//! Add to Slack: `/slack/install` sends the installer to Slack with a signed, single-use,
//! expiring `state` tied to their browser; `/slack/oauth/callback` refuses a forged, replayed,
//! expired or foreign state, and otherwise exchanges the code and stores the workspace's bot
//! token sealed, which Cairn then speaks to that workspace with.

use crate::common::*;
use cairn::secrets::Keys;
use reqwest::redirect::Policy;

/// Base64 of the 32 bytes `0123456789abcdef0123456789abcdef`.
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const CLIENT_ID: &str = "7000000000.7000000001";
const FIXTURE_TOKEN: &str = "xoxb-7000000000001-7000000000002-Xk9QwErTyUiOpAsDfGhJkLzX";

fn oauth(settings: &mut cairn::config::Input) {
    settings.slack_client_id = Some(CLIENT_ID.into());
    settings.slack_client_secret = Some("client-secret".into());
    settings.encryption_key = Some(KEY.into());
    settings.base_url = Some("https://cairn.example.com/".into());
}

/// Cairn taking Add to Slack installs, with no single-workspace token.
async fn oauth_app() -> TestApp {
    let options = Options {
        bot_token: false,
        extra: oauth,
        ..Options::default()
    };
    TestApp::spawn_with(Backend::Sqlite, options).await.unwrap()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Starts an install: the `state` Slack is given and the cookie set.
async fn start(app: &TestApp) -> (String, String) {
    let answer = browser()
        .get(app.url("/slack/install"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let location = reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some("slack.com"));
    assert_eq!(location.path(), "/oauth/v2/authorize");
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(
        param("redirect_uri"),
        "https://cairn.example.com/slack/oauth/callback"
    );
    let scopes = param("scope");
    for scope in ["chat:write", "commands", "im:write", "users:read"] {
        assert!(scopes.split(',').any(|s| s == scope), "{scope} in {scopes}");
    }
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_owned();
    (param("state"), cookie)
}

async fn finish(app: &TestApp, query: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = browser().get(app.url(&format!("/slack/oauth/callback?{query}")));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_installs_cairn_and_is_then_spoken_to_with_its_own_token() {
    let app = oauth_app().await;
    let (state, cookie) = start(&app).await;
    let (status, page) = finish(&app, &format!("code=c0de&state={state}"), Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Cairn is installed in Acme Kudos"), "{page}");
    let exchange = app.slack.calls_to("oauth.v2.access");
    assert_eq!(exchange.len(), 1);
    assert!(
        exchange[0].auth.as_deref().unwrap().starts_with("Basic "),
        "the app's credentials, not a token"
    );
    assert_eq!(exchange[0].body["code"], "c0de");
    assert_eq!(
        exchange[0].body["redirect_uri"],
        "https://cairn.example.com/slack/oauth/callback"
    );
    let installed = app
        .store()
        .installation("T07KUD0S01")
        .await
        .unwrap()
        .expect("installed");
    assert!(
        !installed.bot_token_sealed.contains("xoxb"),
        "sealed: {}",
        installed.bot_token_sealed
    );
    let keys = Keys::parse(KEY, None).unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        keys.open("T07KUD0S01", &installed.bot_token_sealed)
            .unwrap()
            .expose_secret(),
        FIXTURE_TOKEN
    );
    assert_eq!(installed.installer_user_id.as_deref(), Some("U07ALICE01"));
    assert_eq!(installed.bot_user_id.as_deref(), Some("U07KUDOBOT"));
    // Cairn now speaks to that workspace with its token.
    let answer = app.kudos("<@U0ANA00001> #technical fixed the deploy").await;
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
    let sent = app.slack.wait_for("chat.postMessage", 1).await;
    assert_eq!(
        sent[0].auth.as_deref(),
        Some(format!("Bearer {FIXTURE_TOKEN}").as_str())
    );

    // The same state again: refused, nothing exchanged.
    let (status, page) = finish(&app, &format!("code=c0de&state={state}"), Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired or was used already"), "{page}");
    assert_eq!(app.slack.calls_to("oauth.v2.access").len(), 1);
}

const GRID: &str = "E07GRID001";
const ORG_TOKEN: &str = "xoxb-org-wide";

async fn wait_for_token_used_for(app: &TestApp, user: &str) -> Vec<String> {
    for _ in 0..200 {
        let used = tokens_used_for(app, user);
        if !used.is_empty() {
            return used;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no DM to {user}: {:?}", app.slack.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_installs_cairn_org_wide_and_its_token_speaks_for_each_added_workspace() {
    let app = oauth_app().await;
    let mut answer = fixture_json("webapi_oauth_v2_access.response.json");
    answer["access_token"] = ORG_TOKEN.into();
    answer["team"] = serde_json::Value::Null;
    answer["enterprise"] = serde_json::json!({"id": GRID, "name": "Acme Corp"});
    answer["is_enterprise_install"] = true.into();
    app.slack
        .script("oauth.v2.access", vec![Scripted::Answer(answer)]);
    app.slack.script(
        "auth.teams.list",
        vec![Scripted::Answer(serde_json::json!({
            "ok": true,
            "teams": [{"id": "T07KUD0S01", "name": "Acme Kudos"}, {"id": "T0GRIDB001", "name": "Acme Labs"}],
            "response_metadata": {"next_cursor": ""},
        }))],
    );
    let (state, cookie) = start(&app).await;
    let (status, page) = finish(&app, &format!("code=c0de&state={state}"), Some(&cookie)).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Cairn is installed in the Acme Corp organisation"),
        "{page}"
    );
    assert!(page.contains("2 workspace(s)"), "{page}");
    assert!(
        page.contains("https://app.slack.com/manage/E07GRID001/integrations/profile/A07KUDOAPP/workspaces/add"),
        "the page sends the admin on to add Cairn to workspaces: {page}"
    );
    // One installation, the organisation's, its token sealed to the organisation.
    let installed = app.store().installations().await.unwrap();
    assert_eq!(installed.len(), 1, "{installed:?}");
    assert_eq!(installed[0].team_id, GRID);
    assert!(installed[0].is_org_wide());
    use secrecy::ExposeSecret;
    let keys = Keys::parse(KEY, None).unwrap();
    assert_eq!(
        keys.open(GRID, &installed[0].bot_token_sealed)
            .unwrap()
            .expose_secret(),
        ORG_TOKEN
    );
    assert!(keys
        .open("T07KUD0S01", &installed[0].bot_token_sealed)
        .is_err());
    let listed = app.slack.calls_to("auth.teams.list");
    assert_eq!(
        listed[0].auth.as_deref(),
        Some(format!("Bearer {ORG_TOKEN}").as_str())
    );

    // A workspace the organisation added: spoken to with the organisation's token.
    let given = app.kudos("<@U0ANA00001> #technical fixed the deploy").await;
    assert_eq!(given["response_type"], "in_channel", "{given}");
    assert_eq!(
        wait_for_token_used_for(&app, "U0ANA00001").await,
        vec![format!("Bearer {ORG_TOKEN}")]
    );

    // A workspace added later: its first request names the organisation, and that suffices.
    let later = app
        .command_from(
            "T0GRIDC001",
            Some(GRID),
            "/kudos",
            "<@U0CARA0001> #technical fixed the build",
            "U0DAN00001",
        )
        .await;
    assert_eq!(later["response_type"], "in_channel", "{later}");
    assert_eq!(
        wait_for_token_used_for(&app, "U0CARA0001").await,
        vec![format!("Bearer {ORG_TOKEN}")]
    );

    // A workspace of another organisation gets nothing sent with this token.
    app.command_from(
        "T0OTHER001",
        Some("E0OTHER001"),
        "/kudos",
        "<@U0EVE00001> #technical fixed the printer",
        "U0FRED0001",
    )
    .await;
    let mut parked = Vec::new();
    for _ in 0..200 {
        parked = app.store().outbox_rows("T0OTHER001").await.unwrap();
        if !parked.is_empty() && parked.iter().all(|r| r.status == "dead") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        parked.iter().all(|r| r
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("not_installed")),
        "{parked:?}"
    );
    assert!(!parked.is_empty());
    assert!(tokens_used_for(&app, "U0EVE00001").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_foreign_expired_and_cancelled_states_install_nothing() {
    let app = oauth_app().await;
    // A forged signature.
    let (state, cookie) = start(&app).await;
    let mut forged = state.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, page) = finish(&app, &format!("code=c0de&state={forged}"), Some(&cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("not valid"), "{page}");
    assert_eq!(
        finish(&app, "code=c0de", Some(&cookie)).await.0,
        400,
        "no state at all"
    );
    // Another browser (no cookie, or another install's).
    let (other_state, _) = start(&app).await;
    let (status, page) = finish(
        &app,
        &format!("code=c0de&state={other_state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("another browser"), "{page}");
    let (status, _) = finish(&app, &format!("code=c0de&state={state}"), None).await;
    assert_eq!(status, 400);
    // Eleven minutes later: expired.
    let (late, late_cookie) = start(&app).await;
    app.clock
        .set(chrono::DateTime::from_timestamp(FIXTURE_TS + 11 * 60, 0).unwrap());
    let (status, page) = finish(&app, &format!("code=c0de&state={late}"), Some(&late_cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired"), "{page}");
    // The installer said no in Slack.
    let (state, cookie) = start(&app).await;
    let (status, page) = finish(
        &app,
        &format!("error=access_denied&state={state}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("cancelled") && page.contains("access_denied"),
        "{page}"
    );
    assert!(app.slack.calls_to("oauth.v2.access").is_empty());
    assert!(app.store().installations().await.unwrap().is_empty());
}

#[tokio::test]
async fn without_oauth_settings_the_install_page_is_off() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let answer = browser()
        .get(app.url("/slack/install"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert!(answer.text().await.unwrap().contains("SLACK_CLIENT_ID"));
}

#[test]
fn oauth_settings_that_cannot_work_are_refused_with_what_to_set() {
    let check = |f: fn(&mut cairn::config::Input)| {
        let mut s = cairn::config::Input {
            slack_signing_secret: Some("x".into()),
            ..Default::default()
        };
        f(&mut s);
        s.resolve()
            .and_then(|c| c.check_serve())
            .unwrap_err()
            .to_string()
    };
    let e = check(|s| s.slack_client_id = Some(CLIENT_ID.into()));
    assert!(
        e.contains("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"),
        "{e}"
    );
    let e = check(|s| {
        oauth(s);
        s.encryption_key = None;
    });
    assert!(
        e.contains("CAIRN_ENCRYPTION_KEY is required when OAuth is on"),
        "{e}"
    );
    let e = check(|s| {
        oauth(s);
        s.base_url = None;
    });
    assert!(e.contains("CAIRN_BASE_URL is required"), "{e}");
    let e = check(|s| {
        oauth(s);
        s.base_url = Some("http://cairn.example.com".into());
    });
    assert!(e.contains("CAIRN_BASE_URL") && e.contains("https"), "{e}");
}
