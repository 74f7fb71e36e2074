//! The review pages over HTTP, as a browser speaks to them (the browser itself is driven in
//! `browser.rs`): one-time links from `/growth web`, Sign in with Slack, sessions that end,
//! forms that need their token and our origin, who may see which page, the audit, the policy
//! headers and hostile text.

use crate::common::*;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

// Mia manages Ana, Dev manages Cara; the browser tests use the same people.
pub(crate) const MIA: &str = "U0MIA00006";
pub(crate) const DEV: &str = "U0DEV00011";
pub(crate) const ANA: &str = "U0ANA00001";
pub(crate) const CARA: &str = "U0CARA0003";

pub(crate) const ORG: &str = "user_id,name,email,team,group,manager_id,track,level
U0MIA00006,Mia Manager,,platform,eng,,manager,manager
U0DEV00011,Dev Rao,,search,discovery,,manager,manager
U0ANA00001,Ana Lima,,payments,money,U0MIA00006,ic,senior
U0CARA0003,Cara Diaz,,ledger,money,U0DEV00011,ic,staff
";

/// A browser that does not follow redirects, so each step can be looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn spawn(backend: Backend, sign_in_with_slack: bool) -> Option<TestApp> {
    let mut app = TestApp::spawn(backend).await?;
    app.serve_web(sign_in_with_slack).await;
    let (status, report) = app.post_org("text/csv", ORG).await;
    assert_eq!(status, 200, "{report}");
    Some(app)
}

/// `/growth web` as `user`: the token of the link Cairn DMs them.
async fn link_for(app: &TestApp, user: &str) -> String {
    link_url(app, user)
        .await
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned()
}

/// `/growth web` as `user`: the link Cairn DMs them (to them only, pointing at this Cairn).
pub(crate) async fn link_url(app: &TestApp, user: &str) -> String {
    let links = |app: &TestApp| -> Vec<serde_json::Value> {
        app.slack
            .calls_to("chat.postMessage")
            .into_iter()
            .map(|c| c.body)
            .filter(|b| {
                b["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("/login/link?token=")
            })
            .collect()
    };
    let before = links(app).len();
    // Slack's pace of one message a second per channel runs on Cairn's clock, which the test
    // holds still.
    app.clock.advance(chrono::Duration::seconds(2));
    let answer = app.command("/growth", "web", user).await;
    assert_eq!(answer["response_type"], "ephemeral", "{answer}");
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("on its way to your DM"),
        "{answer}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while links(app).len() == before {
        assert!(std::time::Instant::now() < deadline, "no link was sent");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dm = links(app)[before].clone();
    assert_eq!(
        dm["channel"],
        format!("D{}", &user[1..]),
        "the link goes to the asker only: {dm}"
    );
    let text = dm["text"].as_str().unwrap();
    let url = text
        .split('<')
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .unwrap();
    assert!(
        url.starts_with(&app.url("/login/link?token=")),
        "{url} points at this Cairn"
    );
    url.to_owned()
}

/// Presses the link's button; the answer.
async fn spend(app: &TestApp, token: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = browser()
        .post(app.url("/login/link"))
        .header("origin", app.url(""))
        .form(&[("token", token)]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The `name=value` of the session cookie an answer sets.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("cairn_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// Signs `user` in with a one-time link; their cookie.
async fn signed_in(app: &TestApp, user: &str) -> String {
    let token = link_for(app, user).await;
    let answer = spend(app, &token, None).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    session_cookie(&answer)
}

async fn get(
    app: &TestApp,
    path: &str,
    cookie: &str,
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let answer = browser()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    (status, answer.text().await.unwrap(), headers)
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

both_backends! {
    async fn a_one_time_link_signs_its_owner_in_once(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let token = link_for(&app, MIA).await;

        // Opening the link (or a preview fetching it) spends nothing: it shows a button.
        let (status, page, _) = get(&app, &format!("/login/link?token={token}"), "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("action=\"/login/link\"") && page.contains(&token), "{page}");

        let answer = spend(&app, &token, None).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), "/team", "a manager lands on their team");
        let cookie = session_cookie(&answer);
        let (status, page, _) = get(&app, "/team", &cookie).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Ana Lima") && page.contains(&format!("/people/{ANA}")), "{page}");

        // Used once: never again, not even by the same browser.
        let again = spend(&app, &token, None).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        assert!(again.text().await.unwrap().contains("expired or was used already"));

        // A link is good for ten minutes.
        let late = link_for(&app, ANA).await;
        app.clock.advance(chrono::Duration::minutes(11));
        let answer = spend(&app, &late, None).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(answer.headers().get("set-cookie").is_none(), "an expired link starts nothing");

        // Someone else's link, opened where Mia is signed in, starts nothing.
        let anas = link_for(&app, ANA).await;
        let answer = spend(&app, &anas, Some(&cookie)).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        assert!(answer.headers().get("set-cookie").is_none());
        let (_, page, _) = get(&app, "/me", &cookie).await;
        assert!(page.contains("Mia Manager"), "still Mia: {page}");
    }

    async fn sign_in_with_slack_starts_a_session_in_the_workspace_it_names(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        app.slack.sign_in_as("T07KUD0S01", ANA);
        let start = browser().get(app.url("/login")).send().await.unwrap();
        assert_eq!(start.status(), StatusCode::FOUND);
        let authorize = location(&start).to_owned();
        assert!(authorize.starts_with(&app.slack.url.replace("/api/", "/openid/connect/authorize?")), "{authorize}");
        assert!(authorize.contains("scope=openid+profile"), "{authorize}");
        let state_cookie = start.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

        // Slack sends the browser back with a code.
        let slack = browser().get(&authorize).send().await.unwrap();
        let callback = location(&slack).to_owned();
        assert!(callback.starts_with(&app.url("/login/callback?")), "{callback}");

        // Without the cookie of the browser that started it, nothing happens.
        let elsewhere = browser().get(&callback).send().await.unwrap();
        assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);

        let back = browser().get(&callback).header("cookie", &state_cookie).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&back), "/me");
        let cookie = session_cookie(&back);
        let (status, page, _) = get(&app, "/me", &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Ana Lima"), "{page}");
        let calls = app.slack.calls_to("openid.connect.token");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].body["redirect_uri"], app.url("/login/callback"));

        // A replayed callback is refused.
        let replay = browser().get(&callback).header("cookie", &state_cookie).send().await.unwrap();
        assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

        // Someone from a workspace this Cairn does not serve gets no session.
        app.slack.sign_in_as("T09OTHERCO", "U09STRANGER");
        let start = browser().get(app.url("/login")).send().await.unwrap();
        let state_cookie = start.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let slack = browser().get(location(&start)).send().await.unwrap();
        let back = browser().get(location(&slack)).header("cookie", &state_cookie).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::FORBIDDEN);
        assert!(back.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("cairn_session=")));
    }

    async fn a_manager_sees_their_reports_pages_and_not_another_managers(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let answer = app.command("/kudos", &format!("<@{ANA}> #technical fixed the <script>alert(1)</script> deploy"), CARA).await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
        let mia = signed_in(&app, MIA).await;

        let (status, page, headers) = get(&app, &format!("/people/{ANA}"), &mia).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Ana Lima"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script"), "user text is text: {page}");
        assert!(page.contains("<svg"), "the chart is inline");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store");

        // Ana can see that Mia looked, on the web.
        let seen = app.db.strings("SELECT viewer || ' ' || what || ' ' || via FROM summary_views ORDER BY viewed_at").await;
        assert_eq!(seen, vec![format!("{MIA} packet web")]);
        let ana = signed_in(&app, ANA).await;
        let (_, page, _) = get(&app, "/me", &ana).await;
        assert!(page.contains("Mia Manager"), "who looked: {page}");

        // Cara is Dev's report: Mia gets a clear refusal, not an empty packet.
        let (status, page, _) = get(&app, &format!("/people/{CARA}"), &mia).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("You may not see this packet"), "{page}");
        let (status, _, _) = get(&app, &format!("/team?manager={DEV}"), &mia).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = get(&app, "/people/not-a-user", &mia).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let seen = app.db.strings("SELECT CAST(count(*) AS TEXT) FROM summary_views").await;
        assert_eq!(seen, vec!["1".to_owned()], "refusals record no look");
    }

    async fn forms_need_their_token_and_our_origin_and_sessions_end(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let mia = signed_in(&app, MIA).await;
        let (_, page, _) = get(&app, "/me", &mia).await;
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("a token in the sign-out form").to_owned();

        let post = |origin: &str, token: &str| {
            browser().post(app.url("/logout")).header("cookie", &mia).header("origin", origin.to_owned()).form(&[("csrf", token.to_owned())]).send()
        };
        assert_eq!(post(&app.url(""), "forged").await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(post("https://evil.example", &csrf).await.unwrap().status(), StatusCode::FORBIDDEN);
        let (status, _, _) = get(&app, "/me", &mia).await;
        assert_eq!(status, StatusCode::OK, "refused forms changed nothing");
        let out = post(&app.url(""), &csrf).await.unwrap();
        assert_eq!(out.status(), StatusCode::OK);
        let answer = browser().get(app.url("/me")).header("cookie", &mia).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), "/login", "signed out");

        // Eight idle hours end a session; a request within them keeps it going.
        let ana = signed_in(&app, ANA).await;
        app.clock.advance(chrono::Duration::hours(7));
        assert_eq!(get(&app, "/me", &ana).await.0, StatusCode::OK);
        app.clock.advance(chrono::Duration::hours(7));
        assert_eq!(get(&app, "/me", &ana).await.0, StatusCode::OK);
        app.clock.advance(chrono::Duration::hours(8) + chrono::Duration::minutes(1));
        assert_eq!(get(&app, "/me", &ana).await.0, StatusCode::SEE_OTHER);

        // A cookie whose signature does not hold opens nothing.
        let forged = format!("{}0", ana);
        assert_eq!(get(&app, "/me", &forged).await.0, StatusCode::SEE_OTHER);

        // The scheduler removes what has ended.
        let now = cairn::clock::Clock::now(&app.clock).to_rfc3339();
        let report = app.run_jobs(&now).await;
        assert!(report.contains("ended web sessions and links removed"), "{report}");
        let left = app.db.strings("SELECT CAST(count(*) AS TEXT) FROM web_sessions").await;
        assert_eq!(left, vec!["0".to_owned()], "{report}");
    }

    async fn signing_in_is_rate_limited(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let mut statuses = Vec::new();
        for _ in 0..25 {
            statuses.push(browser().get(app.url("/login")).send().await.unwrap().status());
        }
        assert!(statuses[..20].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
        let page = browser().get(app.url("/login/link?token=abc")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(page.headers().contains_key("retry-after"));
    }
}
