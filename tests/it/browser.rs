//! The review pages in a real browser (headless Chromium through chromedriver): signing in
//! with Slack and with a one-time link, following a manager's team to a packet, refusals,
//! signing out, hostile text, the print stylesheet and a 320 px screen. `web.rs` checks the
//! same pages over plain HTTP; here the browser keeps the cookies, follows the redirects,
//! submits the forms and lays the pages out.
//!
//! Each page visited is saved as `target/screenshots/<test>-<backend>-<page>.png`. With
//! `CAIRN_UPDATE_SCREENSHOTS=1`, the SQLite run of the first test also refreshes the README's
//! `docs/images/review-team.png` and `review-packet.png` (never in CI, where fonts may differ).

mod driver;

use crate::common::*;
use driver::Browser;
use fantoccini::Locator;
use serde_json::json;

use crate::web::{ANA, CARA, DEV, MIA, ORG};

const HOSTILE: &str = "<script>alert(1)</script>";

/// Mia manages Ana, Dev manages Cara; Ana has kudos from three people, one with a script in
/// its text.
async fn spawn(backend: Backend, sign_in_with_slack: bool) -> Option<TestApp> {
    let mut app = TestApp::spawn(backend).await?;
    app.serve_web(sign_in_with_slack).await;
    let (status, report) = app.post_org("text/csv", ORG).await;
    assert_eq!(status, 200, "{report}");
    for (from, text) in [
        (
            CARA,
            format!("<@{ANA}> #technical fixed the {HOSTILE} deploy"),
        ),
        (
            DEV,
            format!("<@{ANA}> #values paired with me on the search rollout"),
        ),
        (
            MIA,
            format!("<@{ANA}> #technical #leadership ran the incident review for three teams"),
        ),
    ] {
        let answer = app.command("/kudos", &text, from).await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
    }
    // The pages are read an hour later: at the very instant of the kudos, they would not yet
    // count as recognition (the team page would call Ana quiet).
    app.clock.advance(chrono::Duration::hours(1));
    Some(app)
}

/// Signs Mia in with Slack: /login → Slack (which agrees at once) → /login/callback → her team.
async fn sign_in_with_slack(app: &TestApp, browser: &Browser) {
    app.slack.sign_in_as("T07KUD0S01", MIA);
    browser.goto(&app.url("/login")).await;
    browser.wait_for_path("/team").await;
    assert!(
        has_session(browser).await,
        "the browser kept the session cookie"
    );
}

/// Opens `user`'s one-time link and presses its button, as they would from Slack.
async fn sign_in_with_link(app: &TestApp, browser: &Browser, user: &str) {
    browser.goto(&crate::web::link_url(app, user).await).await;
    browser.h1_with("Sign in to Cairn").await;
    browser.click("form[action='/login/link'] button").await;
    browser.wait_for_path("/team").await;
    assert!(
        has_session(browser).await,
        "the browser kept the session cookie"
    );
}

/// Whether the browser holds Cairn's session cookie (`Secure`, kept on http://127.0.0.1).
async fn has_session(browser: &Browser) -> bool {
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let session = cookies.iter().find(|c| c.name() == "cairn_session");
    if let Some(cookie) = session {
        assert_eq!(cookie.secure(), Some(true), "{cookie}");
        assert_eq!(cookie.http_only(), Some(true), "{cookie}");
    }
    session.is_some()
}

/// The text of every element `css` finds.
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser.client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}

/// Writes `png` to `docs/images/<name>` when asked to, unless the file there already holds it.
fn publish(png: &[u8], name: &str) {
    if std::env::var_os("CAIRN_UPDATE_SCREENSHOTS").is_none() {
        return;
    }
    let path = format!("{}/docs/images/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::fs::read(&path).ok().as_deref() != Some(png) {
        std::fs::create_dir_all(format!("{}/docs/images", env!("CARGO_MANIFEST_DIR"))).unwrap();
        std::fs::write(&path, png).unwrap();
    }
}

both_backends! {
    async fn a_manager_signs_in_with_slack_and_follows_their_team_to_a_packet(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        let browser = Browser::start("sign_in_with_slack", backend).await;
        sign_in_with_slack(&app, &browser).await;
        assert_eq!(browser.h1_with("Team of").await, "Team of Mia Manager");
        let team = browser.screenshot("team").await;

        browser.client.find(Locator::LinkText("Ana Lima")).await.unwrap().click().await.unwrap();
        browser.wait_for_path(&format!("/people/{ANA}")).await;
        assert_eq!(browser.h1_with("Review packet").await, "Review packet: Ana Lima");
        let chart = browser.js("return document.querySelector('figure.chart svg')?.textContent ?? ''").await;
        let chart = chart.as_str().unwrap();
        assert!(chart.contains("Technical"), "the chart is inline SVG with its text: {chart:?}");
        let headers = texts(&browser, "table.lens thead th").await;
        assert!(
            headers.iter().any(|h| h.starts_with("Expected at ")),
            "the lens table reads against the levels: {headers:?}"
        );
        let packet = browser.screenshot("packet").await;

        if backend == Backend::Sqlite {
            publish(&team, "review-team.png");
            publish(&packet, "review-packet.png");
        }
        browser.close().await;
    }

    async fn another_managers_report_is_refused(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        let browser = Browser::start("refused", backend).await;
        sign_in_with_slack(&app, &browser).await;

        browser.goto(&app.url(&format!("/people/{CARA}"))).await;
        assert_eq!(browser.h1_with("may not").await, "You may not see this packet");
        let body = browser.client.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
        assert!(!body.contains("Cara Diaz"), "nothing of Cara's shows: {body}");
        browser.screenshot("forbidden").await;
        browser.close().await;
    }

    async fn a_one_time_link_signs_in_once(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let browser = Browser::start("one_time_link", backend).await;
        let link = crate::web::link_url(&app, MIA).await;

        browser.goto(&link).await;
        browser.h1_with("Sign in to Cairn").await;
        assert!(!has_session(&browser).await, "opening the link starts nothing");
        browser.screenshot("sign-in").await;
        browser.click("form[action='/login/link'] button").await;
        browser.wait_for_path("/team").await;
        assert!(has_session(&browser).await);
        browser.screenshot("team").await;

        browser.click("form.signout button").await;
        browser.h1_with("You are signed out").await;
        browser.screenshot("signed-out").await;

        // The same link again, pressed again: spent.
        browser.goto(&link).await;
        browser.h1_with("Sign in to Cairn").await;
        browser.click("form[action='/login/link'] button").await;
        let h1 = browser.h1_with("expired").await;
        assert!(h1.contains("expired or was used already"), "{h1}");
        assert!(!has_session(&browser).await);
        browser.screenshot("spent").await;
        browser.close().await;
    }

    async fn signing_out_ends_the_session(backend: Backend) {
        let Some(app) = spawn(backend, false).await else { return };
        let browser = Browser::start("sign_out", backend).await;
        sign_in_with_link(&app, &browser, MIA).await;

        browser.goto(&app.url("/me")).await;
        assert_eq!(browser.h1_with("Review packet").await, "Review packet: Mia Manager");
        browser.screenshot("me").await;
        browser.click("form.signout button").await;
        browser.h1_with("You are signed out").await;
        assert!(!has_session(&browser).await, "the cookie is cleared");

        browser.goto(&app.url("/me")).await;
        browser.wait_for_path("/login").await;
        browser.h1_with("Sign in from Slack").await;
        browser.screenshot("login").await;
        browser.close().await;
    }

    async fn a_script_in_kudos_text_shows_as_text(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        let browser = Browser::start("hostile_text", backend).await;
        sign_in_with_slack(&app, &browser).await;

        browser.goto(&app.url(&format!("/people/{ANA}"))).await;
        browser.h1_with("Ana Lima").await;
        let quotes = texts(&browser, "li.item blockquote").await;
        assert!(quotes.iter().any(|q| q.contains(HOSTILE)), "the script is text: {quotes:?}");
        let scripts = browser.js("return document.querySelectorAll('script').length").await;
        assert_eq!(scripts, json!(0), "no script element made it into the page");
        let alert = browser.client.get_alert_text().await;
        assert!(alert.as_ref().is_err_and(|e| e.is_no_such_alert()), "no alert ran: {alert:?}");
        browser.screenshot("packet").await;
        browser.close().await;
    }

    async fn printing_a_packet_leaves_out_the_navigation(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        let browser = Browser::start("print", backend).await;
        sign_in_with_slack(&app, &browser).await;

        browser.goto(&app.url(&format!("/people/{ANA}"))).await;
        browser.h1_with("Ana Lima").await;
        let nav = browser.client.find(Locator::Css("header.site nav")).await.unwrap();
        assert!(nav.is_displayed().await.unwrap(), "on screen the navigation shows");

        browser.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" })).await;
        assert_eq!(browser.js("return matchMedia('print').matches").await, json!(true));
        assert!(!nav.is_displayed().await.unwrap(), "printed, the navigation is left out");
        let header = browser.js("return getComputedStyle(document.querySelector('header.site')).display").await;
        assert_eq!(header, json!("none"));
        let h1 = browser.client.find(Locator::Css("h1")).await.unwrap();
        assert!(h1.is_displayed().await.unwrap(), "the packet itself prints");
        browser.screenshot("print").await;
        browser.close().await;
    }

    async fn pages_fit_a_320_pixel_screen(backend: Backend) {
        let Some(app) = spawn(backend, true).await else { return };
        let browser = Browser::start("narrow", backend).await;
        sign_in_with_slack(&app, &browser).await;
        // A phone's screen, as the page sees it (a desktop window may not shrink that far).
        browser.viewport(320, 800, true).await;

        for (path, page) in [(format!("/people/{ANA}"), "packet"), ("/team".to_owned(), "team")] {
            browser.goto(&app.url(&path)).await;
            browser.h1_with("").await;
            // A phone zooms out a page wider than its screen, so both widths tell; and what
            // sticks out first (not from inside a box that scrolls), to say what to fix.
            let fit = browser.js(
                "const out = e => e.getBoundingClientRect().right > 320.5;
                 const wide = [...document.querySelectorAll('body *')]
                   .filter(e => out(e) && !out(e.parentElement) && getComputedStyle(e.parentElement).overflowX == 'visible')
                   .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
                 return { page: document.documentElement.scrollWidth, viewport: innerWidth, wide };",
            ).await;
            assert!(
                fit["page"].as_u64().is_some_and(|w| w <= 320) && fit["viewport"] == json!(320),
                "{path} does not fit 320 px: {fit}"
            );
            browser.screenshot(&format!("320-{page}")).await;
        }
        browser.close().await;
    }
}
