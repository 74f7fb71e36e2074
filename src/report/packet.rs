//! The review packet: Markdown with the figures, growth by quarter and the evidence against the
//! person's level, then the items grouped by competency then sphere, with each item's text,
//! author, date and link to the Slack message; and a CSV of the items. Written for people reading it
//! outside Slack, so mentions become names.

use crate::domain::framework::Framework;
use crate::domain::growth::{plural, Item, Source, Sphere};
use crate::domain::markup::{self, Token};
use crate::domain::summary::Summary;
use std::fmt::Write;

/// Slack wire text as plain text, with mentions as `@Name`.
pub(super) fn readable(report: &Summary, wire: &str) -> String {
    let mut out = String::new();
    for token in markup::tokenize(wire) {
        match token {
            Token::User { id, .. } => {
                let _ = write!(out, "@{}", report.name(id.as_str()));
            }
            other => out.push_str(&markup::to_plain(&[other])),
        }
    }
    out
}

pub(super) fn competency_name(framework: &Framework, id: &str) -> String {
    framework
        .competency(id)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

pub(super) fn who(report: &Summary, item: &Item) -> String {
    match item.source {
        Source::Kudos if item.author.is_empty() => "kudos from a former teammate".into(),
        Source::Kudos if item.sphere == Sphere::External => format!(
            "kudos from {} (another organisation)",
            report.name(&item.author)
        ),
        Source::Kudos => format!("kudos from {}", report.name(&item.author)),
        Source::Reflection => "reflection".into(),
        Source::Message => "saved message".into(),
        Source::SelfLogged | Source::Import => "logged by them".into(),
    }
}

pub fn markdown(framework: &Framework, report: &Summary) -> String {
    let s = &report.growth;
    let mut md = String::new();
    let subject = report.name(&s.subject);
    let _ = writeln!(md, "# Review packet: {subject}\n");
    let _ = writeln!(
        md,
        "{} · {} {} · {}\n",
        report.period.label(),
        framework.about.name,
        framework.version(),
        match report.access {
            crate::domain::growth::Access::Own => "everything, private items included",
            crate::domain::growth::Access::Manager =>
                "as their managers see it: private items left out",
        }
    );
    let _ = writeln!(md, "## At a glance\n");
    let c = &s.counts;
    let _ = writeln!(
        md,
        "- {}, {} given, {}, {}",
        plural(c.kudos_received, "kudos received", "kudos received"),
        c.kudos_given,
        plural(c.evidence, "piece of evidence", "pieces of evidence"),
        plural(c.reflections, "reflection", "reflections"),
    );
    let spread: Vec<String> = Sphere::ALL
        .iter()
        .map(|l| format!("{} {}", l.label(framework), s.sphere.get(*l)))
        .collect();
    let _ = writeln!(md, "- Sphere of influence: {}", spread.join(" · "));
    let _ = writeln!(
        md,
        "- Reach: {}",
        match s.reach {
            Some(level) => format!(
                "{} (items at this level or wider come from at least two people)",
                level.label(framework)
            ),
            None => "not yet shown (it takes two items from two people)".into(),
        }
    );
    let _ = writeln!(
        md,
        "- Multiplier effect: {}",
        s.multiplier.sentence(framework)
    );
    let _ = writeln!(md, "- {}", s.givers.sentence());
    if !s.gaps.is_empty() {
        let gaps: Vec<String> = s
            .gaps
            .iter()
            .map(|g| competency_name(framework, g))
            .collect();
        let _ = writeln!(md, "- No evidence in this period: {}", gaps.join(", "));
    }
    super::insight::quarters(&mut md, framework, report);
    super::insight::lens(&mut md, report);
    for competency in &s.competencies {
        let _ = writeln!(
            md,
            "\n## {} ({})",
            competency_name(framework, &competency.id),
            competency.items
        );
        let items: Vec<&Item> = s
            .items
            .iter()
            .filter(|i| i.competencies.contains(&competency.id))
            .collect();
        section(&mut md, framework, report, &items);
    }
    let untagged: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.competencies.is_empty())
        .collect();
    if !untagged.is_empty() {
        let _ = writeln!(md, "\n## Not tagged with a competency ({})", untagged.len());
        section(&mut md, framework, report, &untagged);
    }
    if s.items.is_empty() {
        let _ = writeln!(md, "\nNo evidence in this period.");
    }
    md
}

/// A competency's items, widest sphere first, newest first within a level.
fn section(md: &mut String, framework: &Framework, report: &Summary, items: &[&Item]) {
    for level in Sphere::ALL.iter().rev() {
        let at: Vec<&&Item> = items.iter().filter(|i| i.sphere == *level).collect();
        if at.is_empty() {
            continue;
        }
        let _ = writeln!(md, "\n### {} ({})\n", level.label(framework), at.len());
        for item in at {
            let link = item
                .permalink
                .as_deref()
                .map(|l| format!(" · [in Slack]({l})"))
                .unwrap_or_default();
            let declared = if item.declared {
                " · sphere as declared"
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "- {} · {}{declared}{link}",
                item.occurred_at.format("%Y-%m-%d"),
                who(report, item),
            );
            for line in readable(report, &item.text).lines() {
                let _ = writeln!(md, "  > {line}");
            }
        }
    }
}

pub fn csv(framework: &Framework, report: &Summary) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record([
        "id",
        "occurred_at",
        "source",
        "subject",
        "author",
        "author_name",
        "competencies",
        "multiplier_kinds",
        "sphere",
        "sphere_label",
        "sphere_declared",
        "visibility",
        "text",
        "permalink",
    ]);
    for item in &report.growth.items {
        let _ = out.write_record([
            item.id.as_str(),
            &item
                .occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            item.source.as_str(),
            &item.subject,
            &item.author,
            if item.author.is_empty() {
                "a former teammate"
            } else {
                report.name(&item.author)
            },
            &item.competencies.join(";"),
            &item.multiplier_kinds.join(";"),
            item.sphere.as_str(),
            &item.sphere.label(framework),
            if item.declared { "true" } else { "false" },
            item.visibility.as_str(),
            &readable(report, &item.text),
            item.permalink.as_deref().unwrap_or(""),
        ]);
    }
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::growth::{self, Access, Evidence, Visibility};
    use crate::domain::period::Period;
    use chrono::{NaiveDate, TimeZone, Utc};
    use std::collections::HashMap;

    fn item(
        id: &str,
        source: Source,
        author: &str,
        tags: &[&str],
        sphere: Sphere,
        day: u32,
    ) -> Item {
        Item {
            id: id.into(),
            source,
            subject: "U0ANA00001".into(),
            author: author.into(),
            competencies: tags.iter().map(|t| t.to_string()).collect(),
            multiplier_kinds: Vec::new(),
            sphere,
            declared: false,
            people: Vec::new(),
            text: String::new(),
            permalink: None,
            visibility: Visibility::Public,
            occurred_at: Utc.with_ymd_and_hms(2026, 9, day, 10, 0, 0).unwrap(),
        }
    }

    /// A quarter of Ana's evidence, as her manager sees it (`Access::Manager`) or as she does.
    pub(crate) fn report(access: Access) -> (Framework, Summary) {
        let f = Framework::load("matrix-3x3").unwrap();
        let mut items = vec![
            Item {
                text: "<@U0BOB00002> and I owe you: fixed the flaky deploy &amp; wrote it up"
                    .into(),
                permalink: Some("https://acme.slack.com/archives/C1/p1".into()),
                ..item(
                    "kudos:1",
                    Source::Kudos,
                    "U0BOB00002",
                    &["technical"],
                    Sphere::Team,
                    2,
                )
            },
            Item {
                text: "ran the incident review for three teams".into(),
                multiplier_kinds: vec!["mentoring".into()],
                ..item(
                    "kudos:2",
                    Source::Kudos,
                    "U0CARA0003",
                    &["leadership", "technical"],
                    Sphere::Group,
                    9,
                )
            },
            Item {
                text: "helped search ship\nand stayed late".into(),
                ..item("kudos:3", Source::Kudos, "", &["values"], Sphere::Org, 20)
            },
            Item {
                text: "paired with <@U0PEER0008> on the ledger".into(),
                declared: true,
                people: vec!["U0PEER0008".into()],
                visibility: Visibility::Private,
                ..item(
                    "evidence:1",
                    Source::SelfLogged,
                    "U0ANA00001",
                    &[],
                    Sphere::Group,
                    21,
                )
            },
        ];
        items.retain(|i| access.sees(i.visibility));
        let teams = HashMap::from([("U0BOB00002".to_owned(), "payments".to_owned())]);
        let summary = growth::summarize(
            &f,
            Evidence {
                subject: "U0ANA00001",
                items,
                kudos_given: 1,
                teams: &teams,
            },
        );
        let names = [
            ("U0ANA00001", "Ana Lima"),
            ("U0BOB00002", "Bob Jones"),
            ("U0CARA0003", "Cara Diaz"),
            ("U0PEER0008", "Pat Peer"),
        ];
        let period = Period {
            from: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 10, 30).unwrap(),
        };
        let rung = crate::domain::lens::Rung {
            track: Some("ic".into()),
            level: Some("senior".into()),
        };
        let lens =
            crate::domain::lens::lens(&f, &rung, &summary.items, &HashMap::new(), "Ana Lima");
        let trajectory =
            crate::domain::trajectory::trajectory(&f, "U0ANA00001", &summary.items, &teams, period);
        let report = Summary {
            team: "T1".into(),
            period,
            access,
            chain: vec!["U0MIA00006".into()],
            growth: summary,
            names: names
                .iter()
                .map(|(u, n)| (u.to_string(), n.to_string()))
                .collect(),
            views: Vec::new(),
            lens,
            trajectory,
            latest_evidence: None,
            quiet: false,
        };
        (f, report)
    }

    #[test]
    fn the_markdown_packet_groups_by_competency_then_sphere() {
        let (f, r) = report(Access::Own);
        insta::assert_snapshot!(markdown(&f, &r));
    }

    #[test]
    fn managers_do_not_see_private_items_in_the_packet() {
        let (f, r) = report(Access::Manager);
        let md = markdown(&f, &r);
        assert!(
            !md.contains("ledger") && md.contains("private items left out"),
            "{md}"
        );
        let csv = csv(&f, &r);
        let records = ::csv::Reader::from_reader(csv.as_bytes()).records().count();
        assert_eq!(records, 3, "three items (one text spans two lines): {csv}");
        assert!(
            csv.contains(",@Bob Jones and I owe you: fixed the flaky deploy & wrote it up,"),
            "{csv}"
        );
        assert!(csv.contains("a former teammate"), "{csv}");
    }
}
