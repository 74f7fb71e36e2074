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

mod cadence;
mod cron;
mod properties;
mod zones;
