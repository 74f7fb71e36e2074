//! Properties over every zone the tz database knows, 2020 to 2035.

use super::*;
use std::sync::LazyLock;

static ZONES: LazyLock<Vec<Tz>> = LazyLock::new(|| Tz::all().map(|(_, tz)| tz).collect());

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
        zone_index in 0..ZONES.len(),
        day in 0u8..7,
        hour in 0u32..24,
        minute in 0u32..60,
        after in START_2020..END_2035,
    ) {
        let tz = ZONES[zone_index];
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
        zone_index in 0..ZONES.len(),
        day in 0u8..7,
        hour in 0u32..24,
        minute in 0u32..60,
        fortnightly in any::<bool>(),
        after in START_2020..END_2035,
        last in proptest::option::of(-20i64..=10),
        paused in proptest::option::of(-10i64..=40),
        quiet in proptest::collection::vec(0i64..60, 0..8),
    ) {
        let tz = ZONES[zone_index];
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
