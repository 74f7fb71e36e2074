//! Local times across DST changes, gaps and repeated hours, and zones with odd offsets.

use super::*;

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
