//! Review cycles and when a manager's digest for one is due. A workspace names its review cycles
//! as a list of dates or as a 5-field cron expression; a cycle is a calendar date, and each
//! manager gets the digest some days before it, in the morning of their own time zone.

use super::schedule::{local_hour_allowed, resolve_local, CronSpec};
use crate::domain::tz::Tz;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// The local time a digest is sent on its day (later, if Cairn was down).
pub const DIGEST_TIME: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => panic!("09:00 is a time"),
};

#[derive(Debug, Clone)]
pub enum ReviewCycles {
    Dates(Vec<NaiveDate>),
    /// Evaluated in UTC: only the date of each match counts.
    Cron(Box<CronSpec>),
}

impl ReviewCycles {
    /// `2027-01-15,2027-07-15` or a cron expression such as `0 0 15 1,7 *`.
    pub fn parse(text: &str) -> Result<ReviewCycles, String> {
        let text = text.trim();
        let parts: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let looks_like_dates = !parts.is_empty()
            && parts
                .iter()
                .all(|p| p.len() == 10 && p.as_bytes()[4] == b'-');
        if looks_like_dates {
            let mut dates = parts
                .iter()
                .map(|p| {
                    p.parse::<NaiveDate>()
                        .map_err(|_| format!("'{p}' is not a date like 2027-01-15"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            dates.sort();
            dates.dedup();
            return Ok(ReviewCycles::Dates(dates));
        }
        CronSpec::parse(text)
            .map(|c| ReviewCycles::Cron(Box::new(c)))
            .map_err(|e| format!("{e}; or list the dates, e.g. 2027-01-15,2027-07-15"))
    }

    /// The review dates in `[from, to]`, earliest first.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        match self {
            ReviewCycles::Dates(dates) => dates
                .iter()
                .copied()
                .filter(|d| (from..=to).contains(d))
                .collect(),
            ReviewCycles::Cron(cron) => {
                let mut dates: Vec<NaiveDate> = Vec::new();
                let Some(start) = from.and_hms_opt(0, 0, 0) else {
                    return dates;
                };
                let mut after = start.and_utc() - Duration::seconds(1);
                while let Some(next) = cron.next_after(Tz::UTC, after) {
                    let date = next.date_naive();
                    if date > to {
                        break;
                    }
                    if dates.last() != Some(&date) {
                        dates.push(date);
                    }
                    // On to the next day: several matches in one day are one review date.
                    after = match date.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)) {
                        Some(d) => d.and_utc() - Duration::seconds(1),
                        None => break,
                    };
                }
                dates
            }
        }
    }
}

/// When the digest for the review on `review` is due in `tz`: `days_before` days earlier at
/// [`DIGEST_TIME`] local time.
pub fn digest_at(review: NaiveDate, days_before: u32, tz: Tz) -> Option<DateTime<Utc>> {
    let day = review.checked_sub_signed(Duration::days(i64::from(days_before)))?;
    resolve_local(tz, day, DIGEST_TIME)
}

/// Whether a digest for `review` goes out at `now` to someone in `tz`: its time has come, the
/// review has not started yet in their zone, and it is not night there.
pub fn digest_due(review: NaiveDate, days_before: u32, tz: Tz, now: DateTime<Utc>) -> bool {
    let Some(at) = digest_at(review, days_before, tz) else {
        return false;
    };
    now >= at && now.with_timezone(&tz).date_naive() < review && local_hour_allowed(now, tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_are_read_sorted_and_once() {
        let ReviewCycles::Dates(dates) =
            ReviewCycles::parse("2027-07-15, 2027-01-15,2027-01-15").unwrap()
        else {
            panic!("dates expected");
        };
        assert_eq!(dates, vec![d("2027-01-15"), d("2027-07-15")]);
    }

    #[test]
    fn bad_input_says_what_to_write() {
        let e = ReviewCycles::parse("2027-13-01").unwrap_err();
        assert!(e.contains("'2027-13-01' is not a date"), "{e}");
        let e = ReviewCycles::parse("every january").unwrap_err();
        assert!(e.contains("2027-01-15,2027-07-15"), "{e}");
        assert!(ReviewCycles::parse("").is_err());
    }

    #[test]
    fn a_cron_expression_gives_one_date_per_matching_day() {
        let cycles = ReviewCycles::parse("0 0 15 1,7 *").unwrap();
        assert_eq!(
            cycles.between(d("2026-12-01"), d("2027-12-31")),
            vec![d("2027-01-15"), d("2027-07-15")]
        );
        // Every hour of the first Monday-to-Friday days of March: one date per day.
        let hourly = ReviewCycles::parse("0 * 1-3 3 *").unwrap();
        assert_eq!(
            hourly.between(d("2027-02-27"), d("2027-03-02")),
            vec![d("2027-03-01"), d("2027-03-02")]
        );
        // The range's ends are included.
        assert_eq!(
            cycles.between(d("2027-01-15"), d("2027-01-15")),
            vec![d("2027-01-15")]
        );
    }

    #[test]
    fn listed_dates_are_filtered_to_the_range() {
        let cycles = ReviewCycles::parse("2027-01-15,2027-07-15").unwrap();
        assert_eq!(
            cycles.between(d("2027-01-16"), d("2027-07-15")),
            vec![d("2027-07-15")]
        );
        assert!(cycles.between(d("2027-07-16"), d("2028-01-01")).is_empty());
    }

    #[test]
    fn the_digest_comes_days_before_at_nine_local_until_the_review_starts() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let review = d("2027-01-15");
        let at = digest_at(review, 7, berlin).unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2027, 1, 8, 8, 0, 0).unwrap());
        assert!(!digest_due(review, 7, berlin, at - Duration::minutes(1)));
        assert!(digest_due(review, 7, berlin, at));
        // Cairn was down: still sent later, by day, until the review starts.
        assert!(digest_due(
            review,
            7,
            berlin,
            Utc.with_ymd_and_hms(2027, 1, 14, 12, 0, 0).unwrap()
        ));
        // Not at night.
        assert!(!digest_due(
            review,
            7,
            berlin,
            Utc.with_ymd_and_hms(2027, 1, 10, 22, 30, 0).unwrap()
        ));
        // Not once the review has started in Berlin (though it is still the 14th in UTC).
        assert!(!digest_due(
            review,
            0,
            berlin,
            Utc.with_ymd_and_hms(2027, 1, 14, 23, 30, 0).unwrap()
        ));
    }

    #[test]
    fn each_zone_gets_it_in_its_own_morning() {
        let auckland: Tz = "Pacific/Auckland".parse().unwrap();
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let review = d("2027-03-01");
        let nz = digest_at(review, 3, auckland).unwrap();
        let us = digest_at(review, 3, la).unwrap();
        assert_eq!(nz, Utc.with_ymd_and_hms(2027, 2, 25, 20, 0, 0).unwrap());
        assert_eq!(us, Utc.with_ymd_and_hms(2027, 2, 26, 17, 0, 0).unwrap());
        assert!(digest_due(review, 3, auckland, nz) && !digest_due(review, 3, la, nz));
    }
}
