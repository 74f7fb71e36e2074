//! A review packet as a web page: the Markdown packet's content (`report::packet`) with real
//! tables, the chart inline as SVG, and for the person themselves, who else looked.

use crate::domain::framework::Framework;
use crate::domain::growth::{plural, Access, Item, Source, Sphere, Visibility};
use crate::domain::lens::{Check, LevelRef, Row};
use crate::domain::summary::{Summary, SummaryView};
use crate::report::{chart, chart_data};
use maud::{html, Markup, PreEscaped};

/// The page's title and its `<main>`. `own_page` adds who else looked (`/me`).
pub(super) fn page(framework: &Framework, report: &Summary, own_page: bool) -> (String, Markup) {
    let subject = report.name(&report.growth.subject);
    let title = format!("Review packet: {subject}");
    let main = html! {
        h1 { (title) }
        p.period {
            (super::level_text(&report.lens)) " · " (report.period.label()) " · "
            (framework.about.name) " " (framework.version())
        }
        p.access { (access_line(report)) }
        (at_a_glance(framework, report))
        (quarters(framework, report))
        (lens(report))
        (evidence(framework, report))
        @if own_page {
            (views(report))
        }
    };
    (title, main)
}

/// Whose eyes the page is for, as the Markdown packet says it.
fn access_line(report: &Summary) -> String {
    match report.access {
        Access::Own => "Everything, private items included.".to_owned(),
        Access::Manager => format!(
            "As their managers see it: private items left out. {} can see that you looked.",
            report.name(&report.growth.subject)
        ),
    }
}

/// The figures, the spread across sphere levels as a table (the chart's numbers as text) and
/// the chart itself.
fn at_a_glance(framework: &Framework, report: &Summary) -> Markup {
    let s = &report.growth;
    let c = &s.counts;
    let reach = match s.reach {
        Some(level) => format!(
            "{} (items at this level or wider come from at least two people)",
            level.label(framework)
        ),
        None => "not yet shown (it takes two items from two people)".to_owned(),
    };
    let gaps: Vec<String> = s
        .gaps
        .iter()
        .map(|g| crate::report::packet::competency_name(framework, g))
        .collect();
    html! {
        section {
            h2 { "At a glance" }
            ul.figures {
                li {
                    (plural(c.kudos_received, "kudos received", "kudos received")) ", "
                    (c.kudos_given) " given, "
                    (plural(c.evidence, "piece of evidence", "pieces of evidence")) ", "
                    (plural(c.reflections, "reflection", "reflections"))
                }
                li { strong { "Reach" } ": " (reach) }
                li { strong { "Multiplier effect" } ": " (s.multiplier.sentence(framework)) }
                li { (s.givers.sentence()) }
                @if !gaps.is_empty() {
                    li { strong { "No evidence in this period" } ": " (gaps.join(", ")) }
                }
            }
            (spread_table(framework, report))
            figure.chart {
                // Drawn by us from the figures above; its text is escaped by `chart::svg`.
                (PreEscaped(chart::svg(&chart_data(framework, report))))
                figcaption { "The figures on this page as a chart: items per competency and sphere level, growth by quarter and the evidence against the next level." }
            }
        }
    }
}

/// Levels shown as columns: `external` and `unknown` only when some item has them.
fn shown_levels(has: impl Fn(Sphere) -> bool) -> Vec<Sphere> {
    Sphere::ALL
        .into_iter()
        .filter(|l| !matches!(l, Sphere::External | Sphere::Unknown) || has(*l))
        .collect()
}

/// Items per competency and sphere level: what the chart's bars show, readable as numbers.
fn spread_table(framework: &Framework, report: &Summary) -> Markup {
    let s = &report.growth;
    let levels = shown_levels(|l| s.sphere.get(l) > 0);
    html! {
        div.table-wrap {
            table {
                caption { "Sphere of influence: items per competency and level" }
                thead {
                    tr {
                        th scope="col" { "Competency" }
                        @for level in &levels { th scope="col" { (level.label(framework)) } }
                        th scope="col" { "Items" }
                    }
                }
                tbody {
                    tr.total {
                        th scope="row" { "All evidence" }
                        @for level in &levels { td { (s.sphere.get(*level)) } }
                        td { (s.sphere.total()) }
                    }
                    @for c in &s.competencies {
                        tr {
                            th scope="row" { (crate::report::packet::competency_name(framework, &c.id)) }
                            @for level in &levels { td { (c.sphere.get(*level)) } }
                            td { (c.items) }
                        }
                    }
                }
            }
        }
    }
}

/// Growth by quarter, as the packet's table: items per level, reach and multiplier figures.
fn quarters(framework: &Framework, report: &Summary) -> Markup {
    let q = &report.trajectory;
    if q.is_empty() {
        return html! {};
    }
    let levels = shown_levels(|l| q.iter().any(|q| q.sphere.get(l) > 0));
    let reach = |r: Option<Sphere>| r.map_or_else(|| "not yet".to_owned(), |r| r.label(framework));
    let row = |name: &str, cells: Vec<String>| {
        html! { tr { th scope="row" { (name) } @for c in cells { td { (c) } } } }
    };
    html! {
        section {
            h2 { "Growth by quarter" }
            div.table-wrap {
                table {
                    caption { "Items, reach and multiplier figures in each quarter" }
                    thead {
                        tr {
                            th scope="col" { "Figure" }
                            @for quarter in q { th scope="col" { (quarter.label) } }
                        }
                    }
                    tbody {
                        (row("Items", q.iter().map(|q| q.items.to_string()).collect()))
                        @for level in &levels {
                            (row(&level.label(framework), q.iter().map(|q| q.sphere.get(*level).to_string()).collect()))
                        }
                        (row("Reach", q.iter().map(|q| reach(q.reach)).collect()))
                        (row("Multiplier items", q.iter().map(|q| q.multiplier.items.to_string()).collect()))
                        (row("People helped", q.iter().map(|q| q.multiplier.people.to_string()).collect()))
                        (row("Teams helped", q.iter().map(|q| q.multiplier.teams.to_string()).collect()))
                    }
                }
            }
        }
    }
}

/// The evidence against the person's level and the next: one table, a group of rows per lens
/// row (all evidence, then each competency), a row per dimension.
fn lens(report: &Summary) -> Markup {
    let lens = &report.lens;
    html! {
        section {
            h2 { "Against the framework's levels" }
            @if let Some(note) = &lens.note {
                p.note { (note) }
            }
            @if let Some(level) = &lens.level {
                p {
                    (report.name(&report.growth.subject)) ": " (level.name) " (" (level.track_name) ")"
                    @if lens.assumed { ", assumed" }
                    "."
                    @match &lens.next {
                        Some(next) => { " Read against it and the next level, " (next.name) "." }
                        None => " The top of the track.",
                    }
                }
                p {
                    em { "Evidenced" } " means items at or beyond the expected point from at least two people; "
                    em { "partly" } ", one item or one person's; " em { "not yet evidenced" } ", none; "
                    em { "to read" } ", Cairn cannot tell it from evidence. What the evidence shows, not a verdict."
                }
                (lens_table(report, level, lens.next.as_ref()))
            }
        }
    }
}

fn lens_table(report: &Summary, level: &LevelRef, next: Option<&LevelRef>) -> Markup {
    let columns = if next.is_some() { 5 } else { 3 };
    html! {
        div.table-wrap {
            table.lens {
                caption {
                    "What the evidence shows against " (level.name)
                    @if let Some(next) = next { " and " (next.name) }
                }
                thead {
                    tr {
                        th scope="col" { "Competency and dimension" }
                        th scope="col" { "Expected at " (level.name) }
                        th scope="col" { "Evidence at " (level.name) }
                        @if let Some(next) = next {
                            th scope="col" { "Expected at " (next.name) }
                            th scope="col" { "Evidence at " (next.name) }
                        }
                    }
                }
                @for row in &report.lens.rows {
                    tbody {
                        tr.group { th scope="rowgroup" colspan=(columns) { (row.name) } }
                        @for dimension in dimensions(row) {
                            tr {
                                th scope="row" { (dimension_name(row, dimension)) }
                                (check_cells(report, find(&row.at_level, dimension)))
                                @if next.is_some() {
                                    (check_cells(report, find(&row.at_next, dimension)))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The dimensions a row checks, at either level, in the framework's order.
fn dimensions(row: &Row) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in row.at_level.iter().chain(&row.at_next) {
        if !out.contains(&c.dimension.as_str()) {
            out.push(&c.dimension);
        }
    }
    out
}

fn find<'a>(checks: &'a [Check], dimension: &str) -> Option<&'a Check> {
    checks.iter().find(|c| c.dimension == dimension)
}

fn dimension_name<'a>(row: &'a Row, dimension: &'a str) -> &'a str {
    find(&row.at_level, dimension)
        .or_else(|| find(&row.at_next, dimension))
        .map_or(dimension, |c| c.dimension_name.as_str())
}

/// A check's two cells: what the level expects, in the framework's words, and what the
/// evidence shows, its status in words (the class only adds emphasis).
fn check_cells(report: &Summary, check: Option<&Check>) -> Markup {
    let Some(check) = check else {
        return html! { td { "nothing expected" } td { "" } };
    };
    html! {
        td {
            strong { (check.expected_name) }
            br;
            span.expects { "“" (check.text) "”" }
        }
        td {
            strong.status.(check.status.as_str()) { (check.status.label()) }
            @let detail = crate::report::insight::detail(report, check);
            @if !detail.is_empty() { br; (detail) }
        }
    }
}

/// The items grouped by competency, then by sphere level (widest first, newest first within a
/// level), as in the Markdown packet. An item tagged twice shows under both competencies.
fn evidence(framework: &Framework, report: &Summary) -> Markup {
    let s = &report.growth;
    let tagged = |id: &str| -> Vec<&Item> {
        s.items
            .iter()
            .filter(|i| i.competencies.iter().any(|c| c == id))
            .collect()
    };
    let untagged: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.competencies.is_empty())
        .collect();
    html! {
        section {
            h2 { "Evidence" }
            @if s.items.is_empty() {
                p { "No evidence in this period." }
            }
            @for competency in &s.competencies {
                section.competency {
                    h3 { (crate::report::packet::competency_name(framework, &competency.id)) " (" (competency.items) ")" }
                    (by_sphere(framework, report, &tagged(&competency.id)))
                }
            }
            @if !untagged.is_empty() {
                section.competency {
                    h3 { "Not tagged with a competency (" (untagged.len()) ")" }
                    (by_sphere(framework, report, &untagged))
                }
            }
        }
    }
}

fn by_sphere(framework: &Framework, report: &Summary, items: &[&Item]) -> Markup {
    html! {
        @for level in Sphere::ALL.iter().rev() {
            @let at: Vec<&Item> = items.iter().copied().filter(|i| i.sphere == *level).collect();
            @if !at.is_empty() {
                h4 { (level.label(framework)) " (" (at.len()) ")" }
                ul.items {
                    @for item in at { (item_entry(report, item)) }
                }
            }
        }
    }
}

/// One item: its date, whose word it is, whether it is private, its link in Slack, and its
/// text as plain text (escaped by maud; line breaks kept by the stylesheet).
fn item_entry(report: &Summary, item: &Item) -> Markup {
    let private = item.visibility == Visibility::Private;
    html! {
        li.item {
            p.meta {
                time datetime=(item.occurred_at.format("%Y-%m-%d")) { (item.occurred_at.format("%Y-%m-%d")) }
                " · " (who(report, item))
                @if item.declared { " · sphere as declared" }
                @if private {
                    " · " strong.private { "private" }
                    @if report.access == Access::Own { " (only you see it)" }
                }
                @if let Some(link) = &item.permalink {
                    " · " a href=(link) { "in Slack" }
                }
            }
            blockquote { (crate::report::packet::readable(report, &item.text)) }
        }
    }
}

/// Whose word an item is, in the Markdown packet's words ("you" on the person's own page).
fn who(report: &Summary, item: &Item) -> String {
    match item.source {
        Source::SelfLogged | Source::Import if report.access == Access::Own => {
            "logged by you".into()
        }
        _ => crate::report::packet::who(report, item),
    }
}

/// Who else looked at the person's summary or packet lately: every look is shown to them.
fn views(report: &Summary) -> Markup {
    html! {
        section {
            h2 { "Who looked at your growth" }
            @if report.views.is_empty() {
                p { "Nobody else has looked at your summary or packet lately." }
            } @else {
                div.table-wrap {
                    table {
                        caption { "Looks at your summary or packet by someone else" }
                        thead {
                            tr {
                                th scope="col" { "Who" }
                                th scope="col" { "What" }
                                th scope="col" { "Where" }
                                th scope="col" { "When" }
                            }
                        }
                        tbody {
                            @for view in &report.views {
                                tr {
                                    th scope="row" { (viewer(report, view)) }
                                    td { (view.what) }
                                    td { (via(&view.via)) }
                                    td { (view.viewed_at.format("%-d %b %Y")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where someone looked, for people: `slack`, `api`, `web`.
fn via(via: &str) -> &str {
    match via {
        "slack" => "Slack",
        "api" => "the JSON API",
        "web" => "the web",
        other => other,
    }
}

/// "your manager Mia Chen", "the JSON API (an admin)": who looked, and why they may.
fn viewer(report: &Summary, view: &SummaryView) -> String {
    let v = view.viewer.as_str();
    match v {
        "api" => "the JSON API (an admin)".into(),
        "operator" => "an operator's export".into(),
        _ if report.chain.first().is_some_and(|m| m == v) => {
            format!("your manager {}", report.name(v))
        }
        _ if report.chain.iter().any(|m| m == v) => {
            format!("your manager's manager {}", report.name(v))
        }
        _ => format!("{} (an admin)", report.name(v)),
    }
}
