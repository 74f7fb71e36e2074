//! Cairn's web pages as server-rendered HTML: a person's review packet (`/me`,
//! `/people/{user}`), a manager's team (`/team`) and short messages (sign-in, refusals, errors).
//!
//! Pure functions from the domain's types to a page; the HTTP layer serves them. Everything
//! people typed (names, item text, tags) goes through maud's escaping, and nothing is inline:
//! no `<script>`, no `<style>`, no `style=` attributes, so the Content-Security-Policy can
//! refuse them all. The one piece of markup embedded as is, the chart, is SVG we draw
//! ourselves (`chart::svg`), with presentation attributes only and its text escaped.

mod packet;
#[cfg(test)]
mod tests;

use crate::domain::framework::Framework;
use crate::domain::growth::plural;
use crate::domain::lens::{one_line, Lens};
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use maud::{html, Markup, DOCTYPE};

/// The stylesheet served at `/assets/cairn.css`: the only styling the pages use.
pub const STYLESHEET: &str = include_str!("../../assets/web/cairn.css");

/// What every page's header needs: who is signed in, and the CSRF token for the logout form.
pub struct Chrome<'a> {
    pub viewer_name: &'a str,
    pub csrf: &'a str,
    /// true when the viewer has reports (show the "My team" link)
    pub has_team: bool,
}

/// Which link of the main navigation is the current page (`aria-current`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Here {
    Me,
    Team,
    Elsewhere,
}

/// `/me`: my own summary, everything including private items, and who else looked at it.
pub fn me(chrome: &Chrome, framework: &Framework, summary: &Summary) -> String {
    let (title, main) = packet::page(framework, summary, true);
    layout(Some(chrome), Here::Me, &title, main)
}

/// `/people/{user}`: a person's packet as the viewer may see it (the summary is already
/// limited to what the viewer may see).
pub fn person(chrome: &Chrome, framework: &Framework, summary: &Summary) -> String {
    let (title, main) = packet::page(framework, summary, false);
    layout(Some(chrome), Here::Elsewhere, &title, main)
}

/// `/team`: the manager's direct reports over `period`, one section each as `/growth team`
/// shows them (alphabetical, as given), each name linking to the report's packet over the same
/// period. Takes the parts of `services::team::TeamView` (`view.period`, `&view.reports`)
/// rather than the view itself: `report` may not use `services` (docs/architecture.md).
pub fn team(
    chrome: &Chrome,
    framework: &Framework,
    period: Period,
    reports: &[Summary],
    manager_name: &str,
) -> String {
    let title = format!("Team of {manager_name}");
    let main = html! {
        h1 { (title) }
        p.period { (period.label()) " · " (plural(reports.len() as u64, "direct report", "direct reports")) }
        p {
            "What the evidence in Cairn shows for each direct report, alphabetically. Private items are \
             left out, and each person can see that you looked. "
            strong { "Quiet" }
            " means nobody has recognised their work for six weeks: work going unseen, not a judgement."
        }
        @if reports.is_empty() {
            p { "Nobody reports to " (manager_name) " in Cairn's org chart." }
        }
        @for report in reports {
            (team_entry(framework, report, period))
        }
    };
    layout(Some(chrome), Here::Team, &title, main)
}

/// One report as the team view's line in Slack has it: level, reach (now and by quarter),
/// multiplier figures, the lens against the next level in one line, the latest evidence and the
/// quiet flag.
fn team_entry(framework: &Framework, report: &Summary, period: Period) -> Markup {
    let s = &report.growth;
    let lens = one_line(&report.lens);
    html! {
        section.report {
            h2 { a href=(people_href(&s.subject, period)) { (report.name(&s.subject)) } }
            p.level { (level_text(&report.lens)) }
            @if report.lens.level.is_some() && !lens.is_empty() {
                p.lens { (lens) }
            }
            dl.figures {
                dt { "Reach" }
                dd { (s.reach.map_or_else(|| "not shown yet".to_owned(), |r| r.label(framework))) }
                @if !report.trajectory.is_empty() {
                    dt { "Reach by quarter" }
                    dd { (crate::domain::trajectory::reach_line(framework, &report.trajectory)) }
                }
                dt { "Multiplier effect" }
                dd { (s.multiplier.sentence(framework)) }
                dt { "Latest evidence" }
                dd {
                    @match report.latest_evidence {
                        Some(at) => (at.format("%-d %b %Y")),
                        None => "No evidence yet",
                    }
                }
            }
            @if report.quiet {
                p.quiet {
                    strong { "Quiet" }
                    ": nobody has recognised their work in six weeks. Work going unseen, not a judgement."
                }
            }
        }
    }
}

/// Any short page: a refusal, a 404, the sign-in page, an error. `body` is plain text; a blank
/// line starts a new paragraph. `link` is an optional (href, label) call to action.
pub fn message(
    chrome: Option<&Chrome>,
    title: &str,
    body: &str,
    link: Option<(&str, &str)>,
) -> String {
    let main = html! {
        h1 { (title) }
        @for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (paragraph) }
        }
        @if let Some((href, label)) = link {
            p { a.action href=(href) { (label) } }
        }
    };
    layout(chrome, Here::Elsewhere, title, main)
}

/// `GET /login/link?token=…`: one button that signs in by posting the token back. Opening the
/// link spends nothing, so a link preview or a browser's prefetch cannot use it up.
pub fn sign_in_with_link(token: &str) -> String {
    let title = "Sign in to Cairn";
    let main = html! {
        h1 { (title) }
        p { "This link from Cairn in Slack signs you in once. Press the button to continue." }
        form method="post" action="/login/link" {
            input type="hidden" name="token" value=(token);
            button type="submit" { "Sign in" }
        }
    };
    layout(None, Here::Elsewhere, title, main)
}

/// The page around `main`: head, the header with the main navigation (when someone is signed
/// in), and `main` itself, which holds the page's one `<h1>`.
fn layout(chrome: Option<&Chrome>, here: Here, title: &str, main: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Cairn" }
                link rel="stylesheet" href="/assets/cairn.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (header(chrome, here))
                main #main { (main) }
            }
        }
    }
    .into_string()
}

fn header(chrome: Option<&Chrome>, here: Here) -> Markup {
    let current = |page: Here| (here == page).then_some("page");
    html! {
        header.site {
            @match chrome {
                Some(chrome) => {
                    a.brand href="/me" { "Cairn" }
                    nav aria-label="Main" {
                        ul {
                            li { a href="/me" aria-current=[current(Here::Me)] { "My growth" } }
                            @if chrome.has_team {
                                li { a href="/team" aria-current=[current(Here::Team)] { "My team" } }
                            }
                        }
                        form.signout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(chrome.csrf);
                            span.viewer { "Signed in as " (chrome.viewer_name) }
                            " "
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                None => span.brand { "Cairn" },
            }
        }
    }
}

/// "Senior engineer (Individual contributor)", or "no level set" when the org chart gives
/// none (the lens then reads against an assumed first rung, which is not the person's level).
fn level_text(lens: &Lens) -> String {
    match &lens.level {
        Some(level) if !lens.assumed => format!("{} ({})", level.name, level.track_name),
        _ => "no level set".to_owned(),
    }
}

/// `/people/{user}?from=…&to=…`: a report's packet over the team view's period.
fn people_href(user: &str, period: Period) -> String {
    format!(
        "/people/{}?from={}&to={}",
        path_segment(user),
        period.from,
        period.to
    )
}

/// Percent-encodes everything but unreserved characters, so an id is one path segment.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
