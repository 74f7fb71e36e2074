use super::*;
use chrono::{Duration, FixedOffset, MappedLocalTime, Timelike};
use proptest::prelude::*;

fn zone(name: &str) -> Tz {
    parse_tz(name).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn slot(weekday: Weekday, h: u32, m: u32, cadence: Cadence) -> Slot {
    Slot {
        weekday,
        time: hm(h, m),
        cadence,
    }
}

fn occurrence(at: &str, local_date: NaiveDate) -> Option<Occurrence> {
    Some(Occurrence {
        at: utc(at),
        local_date,
    })
}

/// Each occurrence after the previous one, feeding back `last` as the store would.
fn series(slot: &Slot, tz: Tz, after: &str, count: usize) -> Vec<(String, NaiveDate)> {
    let mut after = utc(after);
    let mut last = None;
    let mut out = Vec::new();
    for _ in 0..count {
        let limits = Limits {
            last,
            ..Limits::NONE
        };
        let next = next_fire(slot, tz, after, &limits).unwrap();
        out.push((next.at.to_rfc3339(), next.local_date));
        after = next.at;
        last = Some(next.local_date);
    }
    out
}

#[test]
fn resolve_local_moves_gap_times_past_the_gap_and_picks_the_earlier_repeat() {
    let cases = [
        // Spring forward 02:00 -> 03:00: 02:30 does not exist, 03:00 EDT is first.
        (
            "America/New_York",
            date(2026, 3, 8),
            hm(2, 30),
            "2026-03-08T07:00:00Z",
        ),
        (
            "America/New_York",
            date(2027, 3, 14),
            hm(2, 30),
            "2027-03-14T07:00:00Z",
        ),
        // Fall back 02:00 -> 01:00: 01:30 EDT (05:30Z) comes before 01:30 EST (06:30Z).
        (
            "America/New_York",
            date(2026, 11, 1),
            hm(1, 30),
            "2026-11-01T05:30:00Z",
        ),
        (
            "America/New_York",
            date(2027, 11, 7),
            hm(1, 30),
            "2027-11-07T05:30:00Z",
        ),
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            hm(2, 30),
            "2026-03-29T01:00:00Z",
        ),
        (
            "Europe/Berlin",
            date(2027, 3, 28),
            hm(2, 30),
            "2027-03-28T01:00:00Z",
        ),
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            hm(2, 30),
            "2026-10-25T00:30:00Z",
        ),
        (
            "Europe/Berlin",
            date(2027, 10, 31),
            hm(2, 30),
            "2027-10-31T00:30:00Z",
        ),
        // Lord Howe shifts by 30 minutes: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April.
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            hm(2, 15),
            "2026-10-03T15:30:00Z",
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            hm(1, 45),
            "2026-04-04T14:45:00Z",
        ),
        // Either side of the Lord Howe changes, nothing moves.
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            hm(1, 59),
            "2026-10-03T15:29:00Z",
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            hm(2, 30),
            "2026-10-03T15:30:00Z",
        ),
        (
            "Asia/Kathmandu",
            date(2026, 3, 6),
            hm(15, 0),
            "2026-03-06T09:15:00Z",
        ),
        // Samoa skipped 2011-12-30 entirely: the first instant after is 31 Dec 00:00 +14.
        (
            "Pacific/Apia",
            date(2011, 12, 30),
            hm(15, 0),
            "2011-12-30T10:00:00Z",
        ),
        // A rare daytime gap: Athens went 09:00 -> 10:00 on 1979-04-01.
        (
            "Europe/Athens",
            date(1979, 4, 1),
            hm(9, 30),
            "1979-04-01T07:00:00Z",
        ),
    ];
    for (name, day, time, expected) in cases {
        assert_eq!(
            resolve_local(zone(name), day, time),
            Some(utc(expected)),
            "{name} {day} {time}"
        );
    }
}

#[test]
fn a_slot_at_15_00_keeps_its_wall_clock_time_across_dst_changes() {
    let ny = zone("America/New_York");
    let sunday = slot(Weekday::Sun, 15, 0, Cadence::Weekly);
    let berlin = zone("Europe/Berlin");
    let d = |y, m, day| date(y, m, day);
    let cases = [
        (
            ny,
            "2026-02-28T00:00:00Z",
            vec![
                ("2026-03-01T20:00:00+00:00".to_string(), d(2026, 3, 1)),
                ("2026-03-08T19:00:00+00:00".to_string(), d(2026, 3, 8)),
            ],
        ),
        (
            ny,
            "2026-10-24T00:00:00Z",
            vec![
                ("2026-10-25T19:00:00+00:00".to_string(), d(2026, 10, 25)),
                ("2026-11-01T20:00:00+00:00".to_string(), d(2026, 11, 1)),
            ],
        ),
        (
            ny,
            "2027-03-06T00:00:00Z",
            vec![
                ("2027-03-07T20:00:00+00:00".to_string(), d(2027, 3, 7)),
                ("2027-03-14T19:00:00+00:00".to_string(), d(2027, 3, 14)),
            ],
        ),
        (
            ny,
            "2027-10-30T00:00:00Z",
            vec![
                ("2027-10-31T19:00:00+00:00".to_string(), d(2027, 10, 31)),
                ("2027-11-07T20:00:00+00:00".to_string(), d(2027, 11, 7)),
            ],
        ),
        (
            berlin,
            "2026-03-21T00:00:00Z",
            vec![
                ("2026-03-22T14:00:00+00:00".to_string(), d(2026, 3, 22)),
                ("2026-03-29T13:00:00+00:00".to_string(), d(2026, 3, 29)),
            ],
        ),
        (
            berlin,
            "2026-10-17T00:00:00Z",
            vec![
                ("2026-10-18T13:00:00+00:00".to_string(), d(2026, 10, 18)),
                ("2026-10-25T14:00:00+00:00".to_string(), d(2026, 10, 25)),
            ],
        ),
        (
            berlin,
            "2027-03-20T00:00:00Z",
            vec![
                ("2027-03-21T14:00:00+00:00".to_string(), d(2027, 3, 21)),
                ("2027-03-28T13:00:00+00:00".to_string(), d(2027, 3, 28)),
            ],
        ),
        (
            berlin,
            "2027-10-23T00:00:00Z",
            vec![
                ("2027-10-24T13:00:00+00:00".to_string(), d(2027, 10, 24)),
                ("2027-10-31T14:00:00+00:00".to_string(), d(2027, 10, 31)),
            ],
        ),
    ];
    for (tz, after, expected) in cases {
        assert_eq!(
            series(&sunday, tz, after, 2),
            expected,
            "{tz} after {after}"
        );
    }
}

#[test]
fn the_default_slot_is_friday_15_00_weekly() {
    let berlin = zone("Europe/Berlin");
    assert_eq!(
        series(&Slot::DEFAULT, berlin, "2026-03-22T00:00:00Z", 2),
        vec![
            ("2026-03-27T14:00:00+00:00".to_string(), date(2026, 3, 27)),
            ("2026-04-03T13:00:00+00:00".to_string(), date(2026, 4, 3)),
        ]
    );
}

#[test]
fn night_times_are_clamped_into_prompt_hours() {
    assert_eq!(clamp_time(hm(2, 30)), hm(8, 0));
    assert_eq!(clamp_time(hm(7, 59)), hm(8, 0));
    assert_eq!(clamp_time(hm(8, 0)), hm(8, 0));
    assert_eq!(clamp_time(hm(20, 59)), hm(20, 59));
    assert_eq!(clamp_time(hm(21, 0)), hm(20, 59));
    assert_eq!(clamp_time(hm(23, 30)), hm(20, 59));

    let ny = zone("America/New_York");
    // 02:30 on the spring-forward Sunday would be in the gap; the clamp makes it 08:00 EDT.
    let early = slot(Weekday::Sun, 2, 30, Cadence::Weekly);
    assert_eq!(
        next_fire(&early, ny, utc("2026-03-07T00:00:00Z"), &Limits::NONE),
        occurrence("2026-03-08T12:00:00Z", date(2026, 3, 8))
    );
    let late = slot(Weekday::Sun, 23, 30, Cadence::Weekly);
    assert_eq!(
        next_fire(&late, ny, utc("2026-03-07T00:00:00Z"), &Limits::NONE),
        occurrence("2026-03-09T00:59:00Z", date(2026, 3, 8))
    );
}

#[test]
fn local_hour_allowed_is_08_00_up_to_but_not_including_21_00() {
    let berlin = zone("Europe/Berlin");
    assert!(!local_hour_allowed(utc("2026-06-01T05:59:59Z"), berlin));
    assert!(local_hour_allowed(utc("2026-06-01T06:00:00Z"), berlin));
    assert!(local_hour_allowed(utc("2026-06-01T18:59:59Z"), berlin));
    assert!(!local_hour_allowed(utc("2026-06-01T19:00:00Z"), berlin));
}

#[test]
fn kathmandu_keeps_its_quarter_hour_offset() {
    let kathmandu = zone("Asia/Kathmandu");
    assert_eq!(
        next_fire(
            &Slot::DEFAULT,
            kathmandu,
            utc("2026-03-02T00:00:00Z"),
            &Limits::NONE
        ),
        occurrence("2026-03-06T09:15:00Z", date(2026, 3, 6))
    );
}

#[test]
fn the_local_date_is_the_persons_not_utcs() {
    // Monday 08:00 at +14 is Sunday 18:00 UTC.
    let kiritimati = zone("Pacific/Kiritimati");
    let monday = slot(Weekday::Mon, 8, 0, Cadence::Weekly);
    assert_eq!(
        next_fire(
            &monday,
            kiritimati,
            utc("2026-06-01T00:00:00Z"),
            &Limits::NONE
        ),
        occurrence("2026-06-07T18:00:00Z", date(2026, 6, 8))
    );
    // Friday 20:00 at -10 is Saturday 06:00 UTC.
    let honolulu = zone("Pacific/Honolulu");
    let friday = slot(Weekday::Fri, 20, 0, Cadence::Weekly);
    assert_eq!(
        next_fire(
            &friday,
            honolulu,
            utc("2026-06-01T00:00:00Z"),
            &Limits::NONE
        ),
        occurrence("2026-06-06T06:00:00Z", date(2026, 6, 5))
    );
}

#[test]
fn a_three_hour_offset_change_makes_the_week_three_hours_longer() {
    // Antarctica/Casey went from +11 to +08 on 2021-03-14 at 00:00.
    let casey = zone("Antarctica/Casey");
    let sunday = slot(Weekday::Sun, 15, 0, Cadence::Weekly);
    let after = utc("2021-03-07T04:00:00Z");
    let next = next_fire(&sunday, casey, after, &Limits::NONE).unwrap();
    assert_eq!(
        next,
        occurrence("2021-03-14T07:00:00Z", date(2021, 3, 14)).unwrap()
    );
    assert_eq!(next.at - after, Duration::days(7) + Duration::hours(3));
}

#[test]
fn a_friday_that_samoa_skipped_moves_to_the_next_friday() {
    let apia = zone("Pacific/Apia");
    assert_eq!(
        next_fire(
            &Slot::DEFAULT,
            apia,
            utc("2011-12-26T00:00:00Z"),
            &Limits::NONE
        ),
        // 2012-01-06 15:00 at +14.
        occurrence("2012-01-06T01:00:00Z", date(2012, 1, 6))
    );
    // The Thursday before still happened, at -10.
    let thursday = slot(Weekday::Thu, 15, 0, Cadence::Weekly);
    assert_eq!(
        next_fire(&thursday, apia, utc("2011-12-26T00:00:00Z"), &Limits::NONE),
        occurrence("2011-12-30T01:00:00Z", date(2011, 12, 29))
    );
}

#[test]
fn a_slot_in_a_daytime_gap_fires_when_the_gap_ends() {
    let athens = zone("Europe/Athens");
    let sunday = slot(Weekday::Sun, 9, 30, Cadence::Weekly);
    assert_eq!(
        next_fire(&sunday, athens, utc("1979-03-28T00:00:00Z"), &Limits::NONE),
        // 10:00 EEST, the first instant after 09:00 EET jumped to 10:00.
        occurrence("1979-04-01T07:00:00Z", date(1979, 4, 1))
    );
}

/// A made-up zone at +00:00 that jumps forward once, from local `start` to local `end`,
/// for gaps no real zone has: none crosses 21:00 or runs past midnight into prompt hours.
#[derive(Debug, Clone, Copy)]
struct GapZone {
    start: NaiveDateTime,
    end: NaiveDateTime,
}

#[derive(Debug, Clone, Copy)]
struct GapOffset {
    zone: GapZone,
    fixed: FixedOffset,
}

impl chrono::Offset for GapOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl GapZone {
    fn new(start: &str, end: &str) -> Self {
        GapZone {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    fn offset(&self, changed: bool) -> GapOffset {
        let seconds = if changed {
            (self.end - self.start).num_seconds()
        } else {
            0
        };
        GapOffset {
            zone: *self,
            fixed: FixedOffset::east_opt(i32::try_from(seconds).unwrap()).unwrap(),
        }
    }
}

impl TimeZone for GapZone {
    type Offset = GapOffset;
    fn from_offset(offset: &GapOffset) -> Self {
        offset.zone
    }
    fn offset_from_local_date(&self, _: &NaiveDate) -> MappedLocalTime<GapOffset> {
        unimplemented!("not used by the schedule")
    }
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<GapOffset> {
        if *local < self.start {
            MappedLocalTime::Single(self.offset(false))
        } else if *local >= self.end {
            MappedLocalTime::Single(self.offset(true))
        } else {
            MappedLocalTime::None
        }
    }
    fn offset_from_utc_date(&self, _: &NaiveDate) -> GapOffset {
        unimplemented!("not used by the schedule")
    }
    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> GapOffset {
        self.offset(*utc >= self.start)
    }
}

impl Zone for GapZone {
    fn gap_end(&self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        (self.start..self.end)
            .contains(local)
            .then(|| self.start.and_utc())
    }
}

#[test]
fn a_gap_that_would_carry_a_slot_to_21_00_or_later_skips_that_week() {
    let zone = GapZone::new("2030-06-07T20:30:00", "2030-06-07T21:30:00");
    let friday = slot(Weekday::Fri, 20, 45, Cadence::Weekly);
    let after = utc("2030-06-01T00:00:00Z");
    assert_eq!(
        resolve_in(&zone, date(2030, 6, 7), hm(20, 45)),
        Some(utc("2030-06-07T20:30:00Z")),
        "the gap moves 20:45 to 21:30 local"
    );
    assert_eq!(
        next_fire_in(&friday, &zone, after, &Limits::NONE),
        // 2030-06-14 20:45 at +01:00.
        occurrence("2030-06-14T19:45:00Z", date(2030, 6, 14))
    );
    // Just before the gap nothing moves.
    let earlier = slot(Weekday::Fri, 20, 15, Cadence::Weekly);
    assert_eq!(
        next_fire_in(&earlier, &zone, after, &Limits::NONE),
        occurrence("2030-06-07T20:15:00Z", date(2030, 6, 7))
    );
}

#[test]
fn a_gap_that_would_carry_a_slot_onto_the_next_date_skips_that_week() {
    // Local time jumps from Friday 20:00 to Saturday 09:00 (+13:00).
    let zone = GapZone::new("2030-06-07T20:00:00", "2030-06-08T09:00:00");
    let after = utc("2030-06-02T00:00:00Z");
    let friday = slot(Weekday::Fri, 20, 30, Cadence::Weekly);
    assert_eq!(
        next_fire_in(&friday, &zone, after, &Limits::NONE),
        // 2030-06-14 20:30 at +13:00, not Saturday 09:00 under Friday's date.
        occurrence("2030-06-14T07:30:00Z", date(2030, 6, 14))
    );
    // Saturday 08:30 is in the gap too, but its first instant after is still Saturday.
    let saturday = slot(Weekday::Sat, 8, 30, Cadence::Weekly);
    assert_eq!(
        next_fire_in(&saturday, &zone, after, &Limits::NONE),
        occurrence("2030-06-07T20:00:00Z", date(2030, 6, 8))
    );
}

#[test]
fn quiet_days_skip_the_occurrence_without_moving_it() {
    let berlin = zone("Europe/Berlin");
    let quiet = [date(2026, 12, 25), date(2026, 12, 24), date(2027, 1, 1)];
    let limits = Limits {
        quiet_days: &quiet,
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, utc("2026-12-20T00:00:00Z"), &limits),
        occurrence("2027-01-08T14:00:00Z", date(2027, 1, 8))
    );
    // A quiet day on another weekday changes nothing.
    let thursday_only = [date(2026, 12, 24)];
    let limits = Limits {
        quiet_days: &thursday_only,
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, utc("2026-12-20T00:00:00Z"), &limits),
        occurrence("2026-12-25T14:00:00Z", date(2026, 12, 25))
    );
}

#[test]
fn a_pause_skips_occurrences_before_its_date_and_resumes_on_it() {
    let berlin = zone("Europe/Berlin");
    let after = utc("2026-07-01T00:00:00Z");
    let paused = |until| Limits {
        paused_until: Some(until),
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, after, &paused(date(2026, 7, 15))),
        occurrence("2026-07-17T13:00:00Z", date(2026, 7, 17))
    );
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, after, &paused(date(2026, 7, 17))),
        occurrence("2026-07-17T13:00:00Z", date(2026, 7, 17))
    );
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, after, &paused(date(2026, 7, 18))),
        occurrence("2026-07-24T13:00:00Z", date(2026, 7, 24))
    );
    // A pause that ended long ago does nothing.
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, after, &paused(date(2020, 1, 1))),
        occurrence("2026-07-03T13:00:00Z", date(2026, 7, 3))
    );
}

#[test]
fn fortnightly_waits_fourteen_days_after_the_last_prompt() {
    let berlin = zone("Europe/Berlin");
    let fortnightly = Slot {
        cadence: Cadence::Fortnightly,
        ..Slot::DEFAULT
    };
    let after_last = utc("2026-06-05T13:00:01Z");
    let last = Limits {
        last: Some(date(2026, 6, 5)),
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&fortnightly, berlin, after_last, &last),
        occurrence("2026-06-19T13:00:00Z", date(2026, 6, 19))
    );
    // Weekly from the same point fires a week later.
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, after_last, &last),
        occurrence("2026-06-12T13:00:00Z", date(2026, 6, 12))
    );
    // No last prompt: the first slot.
    assert_eq!(
        next_fire(&fortnightly, berlin, after_last, &Limits::NONE),
        occurrence("2026-06-12T13:00:00Z", date(2026, 6, 12))
    );
    // A last prompt long ago: the first slot after `after`.
    let long_ago = Limits {
        last: Some(date(2026, 1, 2)),
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&fortnightly, berlin, after_last, &long_ago),
        occurrence("2026-06-12T13:00:00Z", date(2026, 6, 12))
    );
    // A quiet day on the fortnight moves it to the next regular slot, a week later.
    let quiet = [date(2026, 6, 19)];
    let last_and_quiet = Limits {
        quiet_days: &quiet,
        ..last
    };
    assert_eq!(
        next_fire(&fortnightly, berlin, after_last, &last_and_quiet),
        occurrence("2026-06-26T13:00:00Z", date(2026, 6, 26))
    );
}

#[test]
fn weekly_never_fires_twice_on_one_local_date() {
    let berlin = zone("Europe/Berlin");
    // The prompt for Friday 2026-06-05 went out early (e.g. the slot was moved later the
    // same day); the 15:00 slot that day must not fire again.
    let limits = Limits {
        last: Some(date(2026, 6, 5)),
        ..Limits::NONE
    };
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, utc("2026-06-05T08:00:00Z"), &limits),
        occurrence("2026-06-12T13:00:00Z", date(2026, 6, 12))
    );
}

#[test]
fn the_result_is_strictly_after_after() {
    let berlin = zone("Europe/Berlin");
    let at = utc("2026-06-05T13:00:00Z");
    assert_eq!(
        next_fire(
            &Slot::DEFAULT,
            berlin,
            at - Duration::seconds(1),
            &Limits::NONE
        ),
        occurrence("2026-06-05T13:00:00Z", date(2026, 6, 5))
    );
    assert_eq!(
        next_fire(&Slot::DEFAULT, berlin, at, &Limits::NONE),
        occurrence("2026-06-12T13:00:00Z", date(2026, 6, 12))
    );
}

#[test]
fn off_never_fires() {
    let off = Slot {
        cadence: Cadence::Off,
        ..Slot::DEFAULT
    };
    assert_eq!(
        next_fire(
            &off,
            zone("Europe/Berlin"),
            utc("2026-06-01T00:00:00Z"),
            &Limits::NONE
        ),
        None
    );
}

#[test]
fn cadence_round_trips_through_storage() {
    for cadence in [Cadence::Weekly, Cadence::Fortnightly, Cadence::Off] {
        assert_eq!(Cadence::parse(cadence.as_str()), Ok(cadence));
    }
    assert_eq!(Cadence::parse(" Weekly "), Ok(Cadence::Weekly));
    let err = Cadence::parse("biweekly").unwrap_err();
    assert!(
        err.contains("'biweekly'") && err.contains("fortnightly"),
        "{err}"
    );
}

#[test]
fn form_input_parses_or_says_what_to_fix() {
    assert_eq!(parse_time("15:00"), Ok(hm(15, 0)));
    assert_eq!(parse_time(" 9:05 "), Ok(hm(9, 5)));
    assert_eq!(parse_time("00:00"), Ok(hm(0, 0)));
    for bad in [
        "", "15", "15:0", "15:000", "3pm", "15:00:00", "-1:00", "+9:00", "1 5:00",
    ] {
        let err = parse_time(bad).unwrap_err();
        assert!(err.contains("HH:MM"), "{bad}: {err}");
    }
    let err = parse_time("24:00").unwrap_err();
    assert!(err.contains("00 to 23"), "{err}");
    let err = parse_time("12:60").unwrap_err();
    assert!(err.contains("00 to 59"), "{err}");

    assert_eq!(parse_weekday("friday"), Ok(Weekday::Fri));
    assert_eq!(parse_weekday(" FRI "), Ok(Weekday::Fri));
    assert_eq!(parse_weekday("Sunday"), Ok(Weekday::Sun));
    assert_eq!(parse_weekday("wed"), Ok(Weekday::Wed));
    for bad in ["fr", "fri.", "Freitag", "", "fridays"] {
        let err = parse_weekday(bad).unwrap_err();
        assert!(err.contains("monday to sunday"), "{bad}: {err}");
    }

    assert_eq!(parse_tz(" America/New_York"), Ok(zone("America/New_York")));
    let err = parse_tz("Mars/Olympus_Mons").unwrap_err();
    assert!(
        err.contains("'Mars/Olympus_Mons'") && err.contains("IANA"),
        "{err}"
    );

    assert_eq!(Slot::parse("fri", "15:00", "weekly"), Ok(Slot::DEFAULT));
    let err = Slot::parse("fri", "07:30", "weekly").unwrap_err();
    assert!(err.contains("08:00 to 20:59"), "{err}");
    let err = Slot::parse("fri", "21:00", "weekly").unwrap_err();
    assert!(err.contains("08:00 to 20:59"), "{err}");
    assert!(Slot::parse("fri", "20:59", "fortnightly").is_ok());
}

const START_2020: i64 = 1_577_836_800;
const END_2035: i64 = 2_082_758_400;

fn local(at: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

/// Whether the slot would fire on `day` at all, ignoring `after` and the limits.
fn fires_on(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    resolve_local(tz, day, time)
        .filter(|&at| local(at, tz).date() == day && local_hour_allowed(at, tz))
}

proptest! {
    #[test]
    fn next_fire_lands_on_the_slot_in_every_zone(
        zone_index in 0..chrono_tz::TZ_VARIANTS.len(),
        day in 0u8..7,
        hour in 0u32..24,
        minute in 0u32..60,
        after in START_2020..END_2035,
    ) {
        let tz = chrono_tz::TZ_VARIANTS[zone_index];
        let slot = slot(Weekday::try_from(day).unwrap(), hour, minute, Cadence::Weekly);
        let after = DateTime::from_timestamp(after, 0).unwrap();
        let next = next_fire(&slot, tz, after, &Limits::NONE).unwrap();
        let wall = local(next.at, tz);
        let time = clamp_time(slot.time);

        prop_assert!(next.at > after);
        prop_assert_eq!(wall.weekday(), slot.weekday);
        prop_assert_eq!(wall.date(), next.local_date);
        prop_assert!((8..21).contains(&wall.hour()), "local {}", wall);
        if wall.time() != time {
            // Only a gap may move it, and then to the first instant after the gap.
            let wanted = next.local_date.and_time(time);
            prop_assert!(tz.from_local_datetime(&wanted).earliest().is_none(), "{} exists", wanted);
            prop_assert!(local(next.at - Duration::seconds(1), tz) < wanted);
            prop_assert!(wall > wanted);
        }
        // Nothing earlier was skipped: the week before had passed (or could not fire)...
        let week_before = next.local_date - Duration::days(7);
        if let Some(at) = fires_on(tz, week_before, time) {
            prop_assert!(at <= after, "skipped {}", at);
        }
        // ...and the result is about a week away at most. Antarctica/Casey moved by
        // three hours at a time until 2023, hence the slack.
        prop_assert!(next.at - after <= Duration::days(7) + Duration::hours(3));
    }

    #[test]
    fn next_fire_obeys_the_limits_and_skips_nothing_else(
        zone_index in 0..chrono_tz::TZ_VARIANTS.len(),
        day in 0u8..7,
        hour in 0u32..24,
        minute in 0u32..60,
        fortnightly in any::<bool>(),
        after in START_2020..END_2035,
        last in proptest::option::of(-20i64..=10),
        paused in proptest::option::of(-10i64..=40),
        quiet in proptest::collection::vec(0i64..60, 0..8),
    ) {
        let tz = chrono_tz::TZ_VARIANTS[zone_index];
        let cadence = if fortnightly { Cadence::Fortnightly } else { Cadence::Weekly };
        let slot = slot(Weekday::try_from(day).unwrap(), hour, minute, cadence);
        let after = DateTime::from_timestamp(after, 0).unwrap();
        let today = local(after, tz).date();
        let shift = |days: i64| today + Duration::days(days);
        let quiet: Vec<NaiveDate> = quiet.into_iter().map(shift).collect();
        let limits = Limits {
            quiet_days: &quiet,
            paused_until: paused.map(shift),
            last: last.map(shift),
        };
        let next = next_fire(&slot, tz, after, &limits).unwrap();
        let time = clamp_time(slot.time);
        let min_gap = if fortnightly { 14 } else { 1 };

        let allowed = |day: NaiveDate| {
            !quiet.contains(&day)
                && limits.paused_until.is_none_or(|p| day >= p)
                && limits.last.is_none_or(|l| day >= l + Duration::days(min_gap))
        };
        prop_assert!(next.at > after);
        prop_assert_eq!(local(next.at, tz).date(), next.local_date);
        prop_assert_eq!(next.local_date.weekday(), slot.weekday);
        prop_assert!(allowed(next.local_date));
        prop_assert!(local_hour_allowed(next.at, tz));
        let mut day = today - Duration::days(1);
        while day < next.local_date {
            if day.weekday() == slot.weekday && allowed(day) {
                if let Some(at) = fires_on(tz, day, time) {
                    prop_assert!(at <= after, "skipped {} on {}", at, day);
                }
            }
            day += Duration::days(1);
        }
    }
}

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
