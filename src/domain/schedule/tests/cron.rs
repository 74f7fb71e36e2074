//! Cron expressions in a person's local time.

use super::*;

#[test]
fn cron_follows_local_time_across_dst() {
    let monday_nine = CronSpec::parse("0 9 * * 1").unwrap();
    let berlin = zone("Europe/Berlin");
    let next = |after: &str| {
        monday_nine
            .next_after(berlin, utc(after))
            .map(|t| t.to_rfc3339())
    };
    assert_eq!(
        next("2026-03-20T00:00:00Z").as_deref(),
        Some("2026-03-23T08:00:00+00:00")
    );
    assert_eq!(
        next("2026-03-23T08:00:00Z").as_deref(),
        Some("2026-03-30T07:00:00+00:00")
    );
    assert_eq!(
        next("2026-10-17T00:00:00Z").as_deref(),
        Some("2026-10-19T07:00:00+00:00")
    );
    assert_eq!(
        next("2026-10-19T07:00:00Z").as_deref(),
        Some("2026-10-26T08:00:00+00:00")
    );
    // Strictly after, even within the matching second.
    assert_eq!(
        next("2026-03-30T07:00:00.500Z").as_deref(),
        Some("2026-04-06T07:00:00+00:00")
    );
    assert_eq!(
        next("2026-03-30T06:59:59.500Z").as_deref(),
        Some("2026-03-30T07:00:00+00:00")
    );
    assert_eq!(monday_nine.as_str(), "0 9 * * 1");
}

/// Pins croner's DST behaviour, documented on [`CronSpec`].
#[test]
fn cron_in_gaps_and_repeated_hours() {
    let berlin = zone("Europe/Berlin");
    let run = |expr: &str, after: &str, count: usize| {
        let spec = CronSpec::parse(expr).unwrap();
        let mut at = utc(after);
        let mut out = Vec::new();
        for _ in 0..count {
            at = spec.next_after(berlin, at).unwrap();
            out.push(at.to_rfc3339());
        }
        out
    };
    // Fixed time inside the gap: the first instant after it (03:00 CEST), then as usual.
    assert_eq!(
        run("30 2 * * *", "2026-03-28T12:00:00Z", 2),
        ["2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00"]
    );
    // Fixed time in the repeated hour: once, at the earlier (CEST) instant.
    assert_eq!(
        run("30 2 * * *", "2026-10-24T12:00:00Z", 2),
        ["2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"]
    );
    // Interval: wall-clock times in the gap are skipped (no 02:30)...
    assert_eq!(
        run("30 * * * *", "2026-03-29T00:00:00Z", 2),
        ["2026-03-29T00:30:00+00:00", "2026-03-29T01:30:00+00:00"]
    );
    // ...and a repeated time fires at both instants.
    assert_eq!(
        run("30 * * * *", "2026-10-24T23:45:00Z", 3),
        [
            "2026-10-25T00:30:00+00:00",
            "2026-10-25T01:30:00+00:00",
            "2026-10-25T02:30:00+00:00"
        ]
    );
}

#[test]
fn cron_accepts_standard_five_field_expressions_only() {
    for good in [
        "0 9 * * 1",
        "*/15 9-17 * * mon-fri",
        "0 9 1,15 JAN,jul *",
        "  0   9 * *   7 ",
        "0 0 1 */3 *",
    ] {
        assert!(CronSpec::parse(good).is_ok(), "{good}");
    }
    assert_eq!(
        CronSpec::parse("  0   9 * *   7 ").unwrap().as_str(),
        "0 9 * * 7"
    );

    let err = CronSpec::parse("0 0 9 * * 1").unwrap_err();
    assert!(err.contains("6 fields") && err.contains("seconds"), "{err}");
    let err = CronSpec::parse("0 0 9 * * 1 2026").unwrap_err();
    assert!(err.contains("7 fields"), "{err}");
    let err = CronSpec::parse("every monday at nine").unwrap_err();
    assert!(
        err.contains("4 fields") && err.contains("'0 9 * * 1'"),
        "{err}"
    );
    let err = CronSpec::parse("banana 9 * * 1").unwrap_err();
    assert!(err.contains("minute") && err.contains("'banana'"), "{err}");
    let err = CronSpec::parse("61 9 * * 1").unwrap_err();
    assert!(
        err.contains("not a valid cron expression: the minute field '61'"),
        "{err}"
    );
    let err = CronSpec::parse("0 9 * 1 5-1").unwrap_err();
    assert!(err.contains("the day-of-week field '5-1'"), "{err}");
    let err = CronSpec::parse("").unwrap_err();
    assert!(err.contains("empty"), "{err}");
    let err = CronSpec::parse("@weekly").unwrap_err();
    assert!(err.contains("nicknames"), "{err}");
    for extension in [
        "0 9 L * *",
        "0 9 * * 1#2",
        "0 9 15W * *",
        "0 9 ? * 1",
        "0 9 * * 5L",
        "0 9 * JAN MON+",
    ] {
        assert!(CronSpec::parse(extension).is_err(), "{extension}");
    }
    // Names only where they mean something.
    assert!(CronSpec::parse("0 9 * MON *").is_err());
    assert!(CronSpec::parse("0 9 * * JAN").is_err());
}

#[test]
fn cron_that_never_matches_has_no_next_time() {
    let spec = CronSpec::parse("0 0 30 2 *").unwrap();
    assert_eq!(
        spec.next_after(zone("UTC"), utc("2026-01-01T00:00:00Z")),
        None
    );
}
