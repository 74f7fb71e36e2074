//! Cadences, quiet days, pauses and the form that sets them.

use super::*;

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
