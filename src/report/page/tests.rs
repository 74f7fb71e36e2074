use super::*;
use crate::domain::growth::{Access, CompetencySpread, Item, Spread, Visibility};
use crate::domain::summary::SummaryView;
use crate::report::packet::tests::report;
use chrono::{TimeZone, Utc};

const SCRIPT: &str = "<script>alert(1)</script>";
const ATTRIBUTE: &str = "\"><img src=x onerror=alert(1)>";

fn chrome() -> Chrome<'static> {
    Chrome {
        viewer_name: "Mia Chen",
        csrf: "token-123",
        has_team: true,
    }
}

/// Ana's quarter (the Markdown packet's tests) with a look by her manager.
fn ana(access: Access) -> (Framework, Summary) {
    let (f, mut r) = report(access);
    r.views = vec![SummaryView {
        team_id: "T1".into(),
        subject: "U0ANA00001".into(),
        viewer: "U0MIA00006".into(),
        what: "packet".into(),
        via: "slack".into(),
        viewed_at: Utc.with_ymd_and_hms(2026, 10, 2, 9, 0, 0).unwrap(),
    }];
    r.names.insert("U0MIA00006".into(), "Mia Chen".into());
    (f, r)
}

/// Ana's quarter with hostile text wherever people type: names, item text (raw and as Slack
/// escapes it on the wire) and a tag no longer in the framework.
fn hostile(access: Access) -> (Framework, Summary) {
    let (f, mut r) = ana(access);
    r.names.insert("U0ANA00001".into(), SCRIPT.into());
    r.names.insert("U0BOB00002".into(), ATTRIBUTE.into());
    r.names.insert("U0MIA00006".into(), ATTRIBUTE.into());
    let wire = crate::domain::markup::escape_text(&format!("{SCRIPT} {ATTRIBUTE}"));
    r.growth.items[0].text = format!("{wire} and <@U0BOB00002>");
    r.growth.items[1].text = format!("{SCRIPT}{ATTRIBUTE}");
    r.growth.items[1].competencies.push(ATTRIBUTE.into());
    r.growth.competencies.push(CompetencySpread {
        id: ATTRIBUTE.into(),
        items: 1,
        sphere: Spread([0, 0, 1, 0, 0, 0]),
    });
    (f, r)
}

/// Two reports of Mia's; Bob's work has gone unrecognised.
fn reports() -> (Framework, Vec<Summary>) {
    let (f, ana) = report(Access::Manager);
    let (_, mut bob) = report(Access::Manager);
    bob.growth.subject = "U0BOB00002".into();
    bob.quiet = true;
    bob.latest_evidence = Some(Utc.with_ymd_and_hms(2026, 9, 21, 10, 0, 0).unwrap());
    (f, vec![ana, bob])
}

/// What no page may contain: scripts, style elements or style attributes (the CSP refuses
/// them), or markup from what people typed.
fn assert_safe(html: &str) {
    for bad in ["<script", "<style", " style=", "<img", "onerror=alert(1)>"] {
        assert!(!html.contains(bad), "{bad} in the page:\n{html}");
    }
}

/// The heading levels in document order: `<h1`… `<h6`.
fn headings(html: &str) -> Vec<u8> {
    let bytes = html.as_bytes();
    (0..bytes.len().saturating_sub(2))
        .filter(|&i| {
            bytes[i] == b'<' && bytes[i + 1] == b'h' && (b'1'..=b'6').contains(&bytes[i + 2])
        })
        .map(|i| bytes[i + 2] - b'0')
        .collect()
}

/// One `<h1>` first, and no level skipped on the way down.
fn assert_headings_in_order(html: &str) {
    let levels = headings(html);
    assert_eq!(levels.first(), Some(&1), "{levels:?}");
    assert_eq!(levels.iter().filter(|l| **l == 1).count(), 1, "{levels:?}");
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{levels:?} skips from h{} to h{}",
            pair[0],
            pair[1]
        );
    }
}

fn assert_skeleton(html: &str) {
    for part in [
        "<!DOCTYPE html>",
        r#"<html lang="en">"#,
        r#"<meta charset="utf-8">"#,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
        r#"<link rel="stylesheet" href="/assets/cairn.css">"#,
        "<main id=\"main\">",
    ] {
        assert!(html.contains(part), "no {part}:\n{html}");
    }
    assert_safe(html);
    assert_headings_in_order(html);
}

fn all_pages() -> Vec<String> {
    let (f, own) = ana(Access::Own);
    let (_, seen) = ana(Access::Manager);
    let (_, team_reports) = reports();
    let period = own.period;
    vec![
        me(&chrome(), &f, &own),
        person(&chrome(), &f, &seen),
        team(&chrome(), &f, period, &team_reports, "Mia Chen"),
        team(&chrome(), &f, period, &[], "Mia Chen"),
        message(
            None,
            "Sign in",
            "Sign in with Slack to see your growth.",
            Some(("/login", "Sign in with Slack")),
        ),
        message(Some(&chrome()), "Not found", "No such page.", None),
    ]
}

#[test]
fn every_page_has_the_skeleton_and_nothing_inline() {
    for html in all_pages() {
        assert_skeleton(&html);
    }
}

#[test]
fn the_chart_is_inline_svg_with_presentation_attributes_only() {
    let (f, r) = ana(Access::Own);
    let html = me(&chrome(), &f, &r);
    assert!(
        html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{html}"
    );
    assert!(!html.contains("style="), "the CSP refuses inline styles");
}

#[test]
fn hostile_text_in_a_packet_is_shown_as_text() {
    let (f, own) = hostile(Access::Own);
    let (_, seen) = hostile(Access::Manager);
    for html in [me(&chrome(), &f, &own), person(&chrome(), &f, &seen)] {
        assert_safe(&html);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        // A mention reads as the person's (hostile) name, escaped like the rest.
        assert!(html.contains("and @&quot;&gt;&lt;img"), "{html}");
        assert_headings_in_order(&html);
    }
}

#[test]
fn hostile_text_in_the_header_team_and_messages_is_shown_as_text() {
    let chrome = Chrome {
        viewer_name: SCRIPT,
        csrf: ATTRIBUTE,
        has_team: true,
    };
    let (f, mut team_reports) = reports();
    team_reports[0]
        .names
        .insert("U0ANA00001".into(), ATTRIBUTE.into());
    let period = team_reports[0].period;
    let pages = [
        team(&chrome, &f, period, &team_reports, SCRIPT),
        message(Some(&chrome), SCRIPT, ATTRIBUTE, Some(("/me", SCRIPT))),
    ];
    for html in pages {
        assert_safe(&html);
        assert!(
            html.contains(r#"name="csrf" value="&quot;&gt;&lt;img"#),
            "{html}"
        );
        assert!(html.contains("Signed in as &lt;script&gt;"), "{html}");
    }
}

#[test]
fn the_header_has_the_navigation_and_sign_out_form() {
    let (f, r) = ana(Access::Own);
    let html = me(&chrome(), &f, &r);
    assert!(html.contains(r#"<nav aria-label="Main">"#), "{html}");
    assert!(
        html.contains(r#"<a href="/me" aria-current="page">My growth</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/team">My team</a>"#), "{html}");
    assert!(
        html.contains(r#"<form class="signout" method="post" action="/logout">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<input type="hidden" name="csrf" value="token-123">"#),
        "{html}"
    );
    assert!(html.contains(">Sign out</button>"), "{html}");

    let alone = Chrome {
        has_team: false,
        ..chrome()
    };
    assert!(!person(&alone, &f, &r).contains("My team"));
    let signed_out = message(None, "Sign in", "Sign in with Slack.", None);
    assert!(
        !signed_out.contains("<nav") && !signed_out.contains("/logout"),
        "{signed_out}"
    );
}

#[test]
fn the_packet_shows_the_markdown_packets_content() {
    let (f, r) = ana(Access::Own);
    let html = me(&chrome(), &f, &r);
    for part in [
        "<h1>Review packet: Ana Lima</h1>",
        "Senior engineer (Individual contributor) · 1 Aug – 30 Oct 2026",
        "3 kudos received, 1 given, 1 piece of evidence, 0 reflections",
        "Group (items at this level or wider come from at least two people)",
        "2 items, helping 1 person, team unknown (Mentoring 1)",
        "Kudos from 2 people in 1 team",
        "<h2>Growth by quarter</h2>",
        r#"<th scope="col">2026 Q3</th>"#,
        "<h3>Technical skills (2)</h3>",
        "<h4>Group (1)</h4>",
        "kudos from Cara Diaz",
        "kudos from a former teammate",
        "@Bob Jones and I owe you: fixed the flaky deploy &amp; wrote it up",
        r#"<a href="https://acme.slack.com/archives/C1/p1">in Slack</a>"#,
        "helped search ship\nand stayed late",
    ] {
        assert!(html.contains(part), "no {part}:\n{html}");
    }
}

#[test]
fn the_lens_is_a_table_with_headers_and_statuses_in_words() {
    let (f, r) = ana(Access::Manager);
    let html = person(&chrome(), &f, &r);
    for part in [
        "<caption>What the evidence shows against Senior engineer and Staff engineer</caption>",
        r#"<th scope="col">Competency and dimension</th>"#,
        r#"<th scope="col">Expected at Senior engineer</th>"#,
        r#"<th scope="col">Evidence at Staff engineer</th>"#,
        r#"<th scope="rowgroup" colspan="5">Technical skills</th>"#,
        r#"<th scope="row">Sphere of influence</th>"#,
        r#"<strong class="status evidenced">evidenced</strong><br>2 items from 2 people (2026-09-09, 2026-09-02)"#,
        r#"<strong class="status not_yet">not yet evidenced</strong>"#,
        "Cairn cannot tell this from evidence",
    ] {
        assert!(html.contains(part), "no {part}:\n{html}");
    }
}

#[test]
fn a_person_without_a_level_says_so() {
    let (f, mut r) = ana(Access::Manager);
    r.lens.assumed = true;
    let html = person(&chrome(), &f, &r);
    assert!(html.contains("no level set ·"), "{html}");
    let team_page = team(
        &chrome(),
        &f,
        r.period,
        std::slice::from_ref(&r),
        "Mia Chen",
    );
    assert!(
        team_page.contains(r#"<p class="level">no level set</p>"#),
        "{team_page}"
    );
}

#[test]
fn private_items_are_marked_for_the_person_and_absent_for_others() {
    let (f, own) = ana(Access::Own);
    let html = me(&chrome(), &f, &own);
    assert!(
        html.contains(r#"<strong class="private">private</strong> (only you see it)"#),
        "{html}"
    );
    assert!(
        html.contains("paired with @Pat Peer on the ledger"),
        "{html}"
    );
    assert!(
        html.contains("Everything, private items included."),
        "{html}"
    );

    let (_, seen) = ana(Access::Manager);
    let html = person(&chrome(), &f, &seen);
    assert!(
        !html.contains("ledger") && !html.contains(r#"class="private""#),
        "{html}"
    );
    assert!(
        html.contains("private items left out. Ana Lima can see that you looked."),
        "{html}"
    );
}

#[test]
fn a_private_item_says_so_even_if_the_summary_was_not_filtered() {
    // Defence in depth: the mark comes from the item, not from who is looking.
    let (f, mut r) = ana(Access::Manager);
    r.growth.items.push(Item {
        visibility: Visibility::Private,
        ..r.growth.items[0].clone()
    });
    assert!(person(&chrome(), &f, &r).contains(r#"<strong class="private">private</strong>"#));
}

#[test]
fn the_person_sees_who_looked_and_others_do_not() {
    let (f, r) = ana(Access::Own);
    let html = me(&chrome(), &f, &r);
    assert!(
        html.contains("<h2>Who looked at your growth</h2>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<th scope="row">your manager Mia Chen</th><td>packet</td><td>Slack</td><td>2 Oct 2026</td>"#),
        "{html}"
    );
    let (_, seen) = ana(Access::Manager);
    assert!(!person(&chrome(), &f, &seen).contains("Who looked"));

    let (_, mut nobody) = ana(Access::Own);
    nobody.views.clear();
    assert!(me(&chrome(), &f, &nobody).contains("Nobody else has looked"));
}

#[test]
fn the_team_page_links_each_report_to_their_packet_over_the_period() {
    let (f, team_reports) = reports();
    let period = team_reports[0].period;
    let html = team(&chrome(), &f, period, &team_reports, "Mia Chen");
    assert!(html.contains("<h1>Team of Mia Chen</h1>"), "{html}");
    assert!(
        html.contains("1 Aug – 30 Oct 2026 · 2 direct reports"),
        "{html}"
    );
    for (user, name) in [("U0ANA00001", "Ana Lima"), ("U0BOB00002", "Bob Jones")] {
        let link = format!(
            r#"<h2><a href="/people/{user}?from=2026-08-01&amp;to=2026-10-30">{name}</a></h2>"#
        );
        assert!(html.contains(&link), "no {link}:\n{html}");
    }
    for part in [
        r#"<p class="level">Senior engineer (Individual contributor)</p>"#,
        "<dt>Reach</dt><dd>Group</dd>",
        "<dt>Reach by quarter</dt><dd>",
        "<dd>2 items, helping 1 person, team unknown (Mentoring 1)</dd>",
        r#"<p class="lens">Against Staff engineer: sphere of influence partly evidenced"#,
        "<dd>No evidence yet</dd>",
        "<dd>21 Sep 2026</dd>",
        "nobody has recognised their work in six weeks. Work going unseen, not a judgement.",
    ] {
        assert!(html.contains(part), "no {part}:\n{html}");
    }
    assert_eq!(html.matches(r#"class="quiet""#).count(), 1, "{html}");
}

#[test]
fn an_id_is_one_path_segment() {
    assert_eq!(path_segment("U0ANA00001"), "U0ANA00001");
    assert_eq!(path_segment("../a b?c"), "..%2Fa%20b%3Fc");
}

#[test]
fn a_refusal_says_why_and_what_to_do() {
    let html = message(
        Some(&chrome()),
        "You may not see this packet",
        "Only Ana Lima, their managers and admins can see it.\n\nAsk Ana Lima to share it with you.",
        Some(("/me", "See your own growth")),
    );
    assert!(
        html.contains("<title>You may not see this packet · Cairn</title>"),
        "{html}"
    );
    assert!(
        html.contains("<h1>You may not see this packet</h1>"),
        "{html}"
    );
    assert!(
        html.contains("<p>Only Ana Lima, their managers and admins can see it.</p><p>Ask Ana Lima"),
        "{html}"
    );
    assert!(
        html.contains(r#"<a class="action" href="/me">See your own growth</a>"#),
        "{html}"
    );
    assert_skeleton(&html);
}

#[test]
fn the_stylesheet_prints_the_packet_alone() {
    assert!(STYLESHEET.contains("@media print"));
    assert!(STYLESHEET.contains("header, nav, form"));
    assert!(STYLESHEET.contains("overflow-x: auto"));
    assert!(STYLESHEET.contains("height: auto"));
}

#[test]
fn a_competency_table_row_per_competency_with_numbers() {
    let (f, r) = ana(Access::Own);
    let html = me(&chrome(), &f, &r);
    assert!(
        html.contains(r#"<tr class="total"><th scope="row">All evidence</th><td>0</td><td>1</td><td>2</td><td>1</td><td>4</td></tr>"#),
        "{html}"
    );
}

#[test]
fn a_sign_in_link_is_spent_only_by_pressing_the_button() {
    let html = sign_in_with_link(ATTRIBUTE);
    assert_skeleton(&html);
    assert!(
        html.contains(r#"<form method="post" action="/login/link">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<input type="hidden" name="token" value="&quot;&gt;&lt;img"#),
        "{html}"
    );
    assert!(
        html.contains(">Sign in</button>") && !html.contains("/logout"),
        "{html}"
    );
}
