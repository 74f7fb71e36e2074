//! Growth by quarter: for each of four stretches of time, the items per sphere level, the
//! reach and the multiplier figures, so a reader sees how far the work reaches now against a
//! year ago.
//!
//! The stretches are the last four calendar quarters, the last one ending with the period (a
//! summary of the last 90 days still shows the year that led to it); a period longer than a
//! year is cut in four equal parts instead.

use super::framework::Framework;
use super::growth::{self, Evidence, Item, Multiplier, Sphere, Spread};
use super::period::Period;
use chrono::{Datelike, Months, NaiveDate};
use std::collections::HashMap;

/// A period longer than this many days is cut in four rather than shown by calendar quarter.
const CUT_IN_FOUR_AFTER_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarter {
    pub period: Period,
    /// "2026 Q3", or the stretch's dates when the period is cut in four.
    pub label: String,
    pub items: u64,
    pub sphere: Spread,
    pub reach: Option<Sphere>,
    pub multiplier: Multiplier,
}

/// The four stretches a summary of `period` shows, oldest first.
pub fn quarters(period: Period) -> [(Period, String); 4] {
    if (period.to - period.from).num_days() > CUT_IN_FOUR_AFTER_DAYS {
        let days = (period.to - period.from).num_days() + 1;
        let at = |k: i64| period.from + chrono::Days::new((days * k / 4) as u64);
        return [0, 1, 2, 3].map(|k| {
            let p = Period {
                from: at(k),
                to: if k == 3 {
                    period.to
                } else {
                    at(k + 1).pred_opt().unwrap_or(period.to)
                },
            };
            (p, p.label())
        });
    }
    let to = period.to;
    let first_month = (to.month0() / 3) * 3 + 1;
    let last = NaiveDate::from_ymd_opt(to.year(), first_month, 1).unwrap_or(to);
    [3u32, 2, 1, 0].map(|back| {
        let from = last
            .checked_sub_months(Months::new(3 * back))
            .unwrap_or(last);
        let end = if back == 0 {
            to
        } else {
            from.checked_add_months(Months::new(3))
                .and_then(|d| d.pred_opt())
                .unwrap_or(to)
        };
        let label = format!("{} Q{}", from.year(), from.month0() / 3 + 1);
        (Period { from, to: end }, label)
    })
}

/// Where the first stretch starts: a summary reads its items from here (or its own start, if
/// earlier) so one read serves both.
pub fn start(period: Period) -> NaiveDate {
    quarters(period)[0].0.from.min(period.from)
}

/// The figures of each stretch, from `items` (what the viewer may see, over at least the four
/// stretches); `teams` places the people the items name, as for the summary.
pub fn trajectory(
    framework: &Framework,
    subject: &str,
    items: &[Item],
    teams: &HashMap<String, String>,
    period: Period,
) -> Vec<Quarter> {
    quarters(period)
        .into_iter()
        .map(|(p, label)| {
            let within: Vec<Item> = items
                .iter()
                .filter(|i| p.contains(i.occurred_at))
                .cloned()
                .collect();
            let g = growth::summarize(
                framework,
                Evidence {
                    subject,
                    items: within,
                    kudos_given: 0,
                    teams,
                },
            );
            Quarter {
                period: p,
                label,
                items: g.items.len() as u64,
                sphere: g.sphere,
                reach: g.reach,
                multiplier: g.multiplier,
            }
        })
        .collect()
}

/// "Team → Team → Group → Organisation": each stretch's reach in the framework's words.
pub fn reach_line(framework: &Framework, quarters: &[Quarter]) -> String {
    quarters
        .iter()
        .map(|q| {
            q.reach
                .map_or_else(|| "not yet".to_owned(), |r| r.label(framework))
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn period(from: &str, to: &str) -> Period {
        Period {
            from: d(from),
            to: d(to),
        }
    }

    #[test]
    fn a_summary_of_the_last_90_days_shows_the_last_four_quarters() {
        let q = quarters(period("2026-09-08", "2026-12-07"));
        let got: Vec<(String, String)> =
            q.iter().map(|(p, l)| (p.to_string(), l.clone())).collect();
        assert_eq!(
            got,
            [
                ("2026-01-01..2026-03-31".to_owned(), "2026 Q1".to_owned()),
                ("2026-04-01..2026-06-30".to_owned(), "2026 Q2".to_owned()),
                ("2026-07-01..2026-09-30".to_owned(), "2026 Q3".to_owned()),
                ("2026-10-01..2026-12-07".to_owned(), "2026 Q4".to_owned()),
            ]
        );
        assert_eq!(start(period("2026-09-08", "2026-12-07")), d("2026-01-01"));
        // Across a year's end.
        let q = quarters(period("2026-01-01", "2026-02-10"));
        assert_eq!(q[0].0.to_string(), "2025-04-01..2025-06-30");
        assert_eq!(q[0].1, "2025 Q2");
        assert_eq!(q[3].0.to_string(), "2026-01-01..2026-02-10");
    }

    #[test]
    fn a_period_over_a_year_is_cut_in_four() {
        let q = quarters(period("2025-01-01", "2026-12-31"));
        let got: Vec<String> = q.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(
            got,
            [
                "2025-01-01..2025-07-01",
                "2025-07-02..2025-12-31",
                "2026-01-01..2026-07-01",
                "2026-07-02..2026-12-31"
            ]
        );
        assert_eq!(q[0].1, "1 Jan – 1 Jul 2025");
        assert_eq!(start(period("2025-01-01", "2026-12-31")), d("2025-01-01"));
    }

    fn kudos(id: u32, giver: &str, sphere: Sphere, day: &str) -> Item {
        let at = Utc.from_utc_datetime(&d(day).and_hms_opt(12, 0, 0).unwrap());
        Item::sample_kudos(id, "U0ANA", giver, sphere, &["leadership"], at)
    }

    #[test]
    fn reach_grows_quarter_by_quarter() {
        let f = Framework::load("matrix-3x3").unwrap();
        let items = vec![
            kudos(1, "U0BEN", Sphere::Team, "2026-02-01"),
            kudos(2, "U0CAT", Sphere::Team, "2026-03-01"),
            kudos(3, "U0BEN", Sphere::Team, "2026-05-01"),
            kudos(4, "U0DEV", Sphere::Team, "2026-05-02"),
            kudos(5, "U0DEV", Sphere::Group, "2026-08-01"),
            kudos(6, "U0EMI", Sphere::Group, "2026-08-02"),
            kudos(7, "U0PAT", Sphere::Org, "2026-11-01"),
            kudos(8, "U0MIA", Sphere::Org, "2026-11-02"),
            // Outside the four quarters: left out.
            kudos(9, "U0MIA", Sphere::Org, "2025-11-02"),
        ];
        let q = trajectory(
            &f,
            "U0ANA",
            &items,
            &HashMap::new(),
            period("2026-09-08", "2026-12-07"),
        );
        let reach: Vec<Option<Sphere>> = q.iter().map(|q| q.reach).collect();
        assert_eq!(
            reach,
            [
                Some(Sphere::Team),
                Some(Sphere::Team),
                Some(Sphere::Group),
                Some(Sphere::Org)
            ]
        );
        assert_eq!(q.iter().map(|q| q.items).collect::<Vec<_>>(), [2, 2, 2, 2]);
        assert_eq!(q[3].sphere.get(Sphere::Org), 2);
        // Leadership leans on the multiplier: every item counts; each quarter helped its givers.
        assert_eq!(q[2].multiplier.items, 2);
        assert_eq!(q[2].multiplier.people, 2);
        assert_eq!(reach_line(&f, &q), "Team → Team → Group → Organisation");
        let quiet = trajectory(
            &f,
            "U0ANA",
            &items[..1],
            &HashMap::new(),
            period("2026-09-08", "2026-12-07"),
        );
        assert_eq!(
            reach_line(&f, &quiet),
            "not yet → not yet → not yet → not yet"
        );
    }
}
