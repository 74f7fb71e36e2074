//! The period a summary covers: `30d`, `12w`, `6m`, `2026-Q3` or `YYYY-MM-DD..YYYY-MM-DD`
//! (contracts.md), as whole UTC days with both ends included.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use std::fmt;

/// What a summary covers when nobody says.
pub const DEFAULT_DAYS: u64 = 90;
/// Longer periods are refused: a summary is about recent work, and the cost grows with it.
const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    /// Included.
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeriodError(pub String);

fn error(text: &str, why: &str) -> PeriodError {
    PeriodError(format!(
        "'{text}' is not a period: {why}. Use 30d, 12w, 6m, 2026-Q3 or 2026-07-01..2026-09-30."
    ))
}

impl Period {
    /// The last `days` days up to and including `today`.
    pub fn last_days(today: NaiveDate, days: u64) -> Self {
        let from = today
            .checked_sub_days(chrono::Days::new(days))
            .unwrap_or(NaiveDate::MIN);
        Period { from, to: today }
    }

    /// The default period ending `today`.
    pub fn default_ending(today: NaiveDate) -> Self {
        Self::last_days(today, DEFAULT_DAYS)
    }

    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, PeriodError> {
        let t = text.trim();
        let period = if let Some((from, to)) = t.split_once("..") {
            let date = |s: &str| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| error(text, &format!("'{}' is not a date (YYYY-MM-DD)", s.trim())))
            };
            Period {
                from: date(from)?,
                to: date(to)?,
            }
        } else if let Some((year, quarter)) = t
            .split_once(['-', '–'])
            .filter(|(_, q)| q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')))
        {
            let year: i32 = year
                .parse()
                .map_err(|_| error(text, "the year must be a number"))?;
            let q: u32 = quarter[1..]
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(|| error(text, "quarters are Q1 to Q4"))?;
            let from = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1)
                .ok_or_else(|| error(text, "the year is out of range"))?;
            let to = from
                .checked_add_months(Months::new(3))
                .and_then(|d| d.pred_opt())
                .ok_or_else(|| error(text, "the year is out of range"))?;
            Period { from, to }
        } else {
            let split = t
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(|| error(text, "say what the number counts: d, w or m"))?;
            let (n, unit) = t.split_at(split);
            let n: u32 = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| error(text, "it must start with a number above 0, like 30d"))?;
            match unit {
                "d" => Self::last_days(today, n.into()),
                "w" => Self::last_days(today, u64::from(n) * 7),
                "m" => Period {
                    from: today
                        .checked_sub_months(Months::new(n))
                        .ok_or_else(|| error(text, "that is too far back"))?,
                    to: today,
                },
                _ => return Err(error(text, &format!("'{unit}' is not d, w or m"))),
            }
        };
        period.checked(text)
    }

    /// From the API's `from` and `to` dates, either of which may be missing.
    pub fn between(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, PeriodError> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| Self::default_ending(to).from);
        Period { from, to }.checked(&format!("{from}..{to}"))
    }

    fn checked(self, text: &str) -> Result<Self, PeriodError> {
        if self.from > self.to {
            return Err(error(text, "it ends before it starts"));
        }
        if (self.to - self.from).num_days() > MAX_DAYS {
            return Err(error(text, "it is longer than three years"));
        }
        Ok(self)
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        self.to
            .succ_opt()
            .unwrap_or(self.to)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start() <= at && at < self.end()
    }

    /// "1 Aug – 30 Oct 2026", for people.
    pub fn label(&self) -> String {
        if self.from.year() == self.to.year() {
            format!(
                "{} – {}",
                self.from.format("%-d %b"),
                self.to.format("%-d %b %Y")
            )
        } else {
            format!(
                "{} – {}",
                self.from.format("%-d %b %Y"),
                self.to.format("%-d %b %Y")
            )
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_form_of_the_grammar() {
        let today = d("2026-10-30");
        for (text, from, to) in [
            ("30d", "2026-09-30", "2026-10-30"),
            ("12w", "2026-08-07", "2026-10-30"),
            ("6m", "2026-04-30", "2026-10-30"),
            ("2026-Q3", "2026-07-01", "2026-09-30"),
            ("2026-q4", "2026-10-01", "2026-12-31"),
            ("2025-Q1", "2025-01-01", "2025-03-31"),
            ("2026-07-01..2026-09-30", "2026-07-01", "2026-09-30"),
            (" 2026-07-01 .. 2026-07-01 ", "2026-07-01", "2026-07-01"),
        ] {
            let p = Period::parse(text, today).unwrap();
            assert_eq!((p.from, p.to), (d(from), d(to)), "{text}");
        }
    }

    #[test]
    fn the_default_is_the_contracts_example() {
        let p = Period::default_ending(d("2026-10-30"));
        assert_eq!(p.to_string(), "2026-08-01..2026-10-30");
        assert_eq!(p.label(), "1 Aug – 30 Oct 2026");
    }

    #[test]
    fn bad_periods_say_what_to_type() {
        let today = d("2026-10-30");
        for (text, why) in [
            ("soon", "start with a number"),
            ("30", "say what the number counts"),
            ("30x", "'x' is not d, w or m"),
            ("0d", "above 0"),
            ("2026-Q5", "Q1 to Q4"),
            ("2026-10-01..2026-09-01", "ends before it starts"),
            ("2026-13-01..2026-12-01", "'2026-13-01' is not a date"),
            ("2020-01-01..2026-01-01", "longer than three years"),
        ] {
            let e = Period::parse(text, today).unwrap_err().0;
            assert!(e.contains(why) && e.contains("Use 30d"), "{text}: {e}");
        }
    }

    #[test]
    fn whole_days_both_ends_included() {
        let p = Period::parse("2026-07-01..2026-07-31", d("2026-10-30")).unwrap();
        assert!(p.contains(d("2026-07-31").and_hms_opt(23, 59, 59).unwrap().and_utc()));
        assert!(!p.contains(d("2026-08-01").and_hms_opt(0, 0, 0).unwrap().and_utc()));
        assert!(p.contains(d("2026-07-01").and_hms_opt(0, 0, 0).unwrap().and_utc()));
        let api = Period::between(None, Some(d("2026-10-30")), d("2026-11-22")).unwrap();
        assert_eq!(api.from, d("2026-08-01"));
    }
}
