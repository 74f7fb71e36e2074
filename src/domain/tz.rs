//! IANA time zones for chrono: the tz database compiled into Cairn (`tzdb_data`), read with
//! `tz-rs`.
//!
//! Why not chrono-tz: its tables keep a string pointer in each of some 40,000 transitions, which
//! a position-independent binary relocates at every start, so every Cairn process wrote 1.1 MB
//! of memory at load whether or not it ever used a zone. Here the rules are plain data, read
//! from the binary only for the zones in use (benches/README.md).

use chrono::{
    DateTime, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Utc,
};
use std::fmt;
use std::str::FromStr;
use tz::timezone::TransitionRule;
use tz::{LocalTimeType, TimeZoneRef};

/// A zone of the IANA database, e.g. `Europe/Berlin`. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Tz {
    name: &'static str,
    rules: &'static TimeZoneRef<'static>,
}

/// A name the database does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone;

impl Tz {
    pub const UTC: Tz = Tz {
        name: "UTC",
        rules: &tzdb_data::time_zone::UTC,
    };

    /// The zone's name as the database spells it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every zone name the database knows, with its zone.
    pub fn all() -> impl Iterator<Item = (&'static str, Tz)> {
        tzdb_data::TZ_NAMES
            .iter()
            .filter_map(|name| Some((*name, name.parse().ok()?)))
    }

    /// The local time type in force at `unix` seconds. Outside the database's reach (which
    /// chrono's range exceeds) the nearest end's type stands.
    fn kind_at(&self, unix: i64) -> &'static LocalTimeType {
        let zone = self.rules;
        zone.find_local_time_type(unix).unwrap_or_else(|_| {
            let last = zone.transitions().last().filter(|_| unix > 0);
            &zone.local_time_types()[last.map_or(0, |t| t.local_time_type_index())]
        })
    }

    fn offset_at(&self, unix: i64) -> TzOffset {
        TzOffset {
            tz: *self,
            kind: self.kind_at(unix),
        }
    }

    /// Every UTC offset the zone has had or will have, each once.
    fn offsets(&self) -> Vec<i32> {
        let zone = self.rules;
        let mut offsets: Vec<i32> = zone
            .local_time_types()
            .iter()
            .map(|t| t.ut_offset())
            .collect();
        match zone.extra_rule() {
            Some(TransitionRule::Fixed(t)) => offsets.push(t.ut_offset()),
            Some(TransitionRule::Alternate(a)) => {
                offsets.extend([a.std().ut_offset(), a.dst().ut_offset()])
            }
            None => {}
        }
        offsets.sort_unstable();
        offsets.dedup();
        offsets
    }

    /// The first instant after the spring-forward gap that `local` falls in, or `None` when
    /// `local` exists.
    pub fn gap_end(&self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        if !matches!(
            self.offset_from_local_datetime(local),
            MappedLocalTime::None
        ) {
            return None;
        }
        let wall = local.and_utc().timestamp();
        let wall_at = |unix: i64| unix + i64::from(self.kind_at(unix).ut_offset());
        // No offset reaches a day, so the wall clock is behind `wall` a day before it and past
        // it a day after; the first instant whose wall clock is past `wall` ends its gap.
        let (mut before, mut after) = (wall - 86_400, wall + 86_400);
        while after - before > 1 {
            let middle = before + (after - before) / 2;
            if wall_at(middle) > wall {
                after = middle;
            } else {
                before = middle;
            }
        }
        DateTime::from_timestamp(after, 0)
    }
}

impl FromStr for Tz {
    type Err = UnknownZone;

    /// An IANA name, in any case.
    fn from_str(name: &str) -> Result<Tz, UnknownZone> {
        let names = tzdb_data::TZ_NAMES;
        // Slack spells names as the database does: look that up first.
        let name = match names.binary_search(&name) {
            Ok(i) => names[i],
            Err(_) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(name))
                .ok_or(UnknownZone)?,
        };
        let rules = tzdb_data::find_tz(name.as_bytes()).ok_or(UnknownZone)?;
        Ok(Tz { name, rules })
    }
}

impl PartialEq for Tz {
    fn eq(&self, other: &Tz) -> bool {
        self.name == other.name
    }
}

impl Eq for Tz {}

impl fmt::Display for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Debug for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A zone's offset at one instant, with its abbreviation (`CET`, `CEST`).
#[derive(Clone, Copy)]
pub struct TzOffset {
    tz: Tz,
    kind: &'static LocalTimeType,
}

impl Offset for TzOffset {
    fn fix(&self) -> FixedOffset {
        FixedOffset::east_opt(self.kind.ut_offset()).unwrap_or(Utc.fix())
    }
}

impl fmt::Display for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.time_zone_designation())
    }
}

impl fmt::Debug for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind.time_zone_designation(), self.fix())
    }
}

impl TimeZone for Tz {
    type Offset = TzOffset;

    fn from_offset(offset: &TzOffset) -> Tz {
        offset.tz
    }

    /// A date's offset is taken at its noon, clear of the changes zones make at night.
    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<TzOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap()))
    }

    /// A wall-clock time exists at offset `o` when the instant `local - o` has offset `o`; in
    /// a spring-forward gap none does, in a fall-back overlap two do (earlier instant first).
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<TzOffset> {
        let wall = local.and_utc().timestamp();
        let mut found = self.offsets().into_iter().rev().filter_map(|offset| {
            let at = self.offset_at(wall - i64::from(offset));
            (at.kind.ut_offset() == offset).then_some(at)
        });
        match (found.next(), found.next()) {
            (None, _) => MappedLocalTime::None,
            (Some(only), None) => MappedLocalTime::Single(only),
            (Some(earlier), Some(later)) => MappedLocalTime::Ambiguous(earlier, later),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> TzOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> TzOffset {
        self.offset_at(utc.and_utc().timestamp())
    }
}

#[cfg(test)]
mod tests {
    //! Checked against chrono-tz, which Cairn used before, over every zone both know.
    use super::*;
    use chrono::Duration;

    /// Zones agreeing since 1970 are links in the database and may differ before; a rule made
    /// after chrono-tz's copy may differ after.
    const FROM: i64 = 172_800; // 1970-01-03: the database keeps zones apart from 1970 on
    const UNTIL: i64 = 1_735_689_600; // 2025-01-01

    fn zones() -> impl Iterator<Item = (Tz, chrono_tz::Tz)> {
        chrono_tz::TZ_VARIANTS
            .iter()
            .filter_map(|old| Some((old.name().parse().ok()?, *old)))
    }

    fn fixed<T: Offset>(result: MappedLocalTime<T>) -> MappedLocalTime<FixedOffset> {
        result.map(|o| o.fix())
    }

    /// Instants to compare at: each transition and a second either side, and a spread of
    /// others in between.
    fn instants(tz: Tz) -> Vec<i64> {
        let mut at: Vec<i64> = (FROM..UNTIL).step_by(3_881_333).collect();
        for t in tz.rules.transitions() {
            at.extend([-1, 0, 1].map(|d| t.unix_leap_time() + d));
        }
        at.retain(|t| (FROM..UNTIL).contains(t));
        at
    }

    #[test]
    fn every_zone_chrono_tz_knew_is_known() {
        let missing: Vec<_> = chrono_tz::TZ_VARIANTS
            .iter()
            .filter(|old| old.name().parse::<Tz>().is_err())
            .map(|old| old.name())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        assert!(Tz::all().count() >= chrono_tz::TZ_VARIANTS.len());
    }

    #[test]
    fn names_are_read_in_any_case_and_unknown_ones_refused() {
        let berlin: Tz = "europe/BERLIN".parse().unwrap();
        assert_eq!(berlin.name(), "Europe/Berlin");
        assert_eq!(berlin, "Europe/Berlin".parse().unwrap());
        assert_eq!(Tz::UTC, "UTC".parse().unwrap());
        assert_eq!("Mars/Olympus_Mons".parse::<Tz>(), Err(UnknownZone));
        assert_eq!("".parse::<Tz>(), Err(UnknownZone));
    }

    /// Whether both give the same offset at every instant of `instants`.
    fn same_data(tz: Tz, old: chrono_tz::Tz) -> bool {
        instants(tz).into_iter().all(|unix| {
            let at = DateTime::from_timestamp(unix, 0).unwrap().naive_utc();
            tz.offset_from_utc_datetime(&at).fix() == old.offset_from_utc_datetime(&at).fix()
        })
    }

    #[test]
    fn offsets_at_instants_agree_with_chrono_tz() {
        let differ: Vec<_> = zones()
            .filter(|(tz, old)| !same_data(*tz, *old))
            .map(|(tz, _)| tz.name())
            .collect();
        // The newer database has Baja California on different time in the 1970s: data, not
        // reading.
        let baja = [
            "America/Ensenada",
            "America/Santa_Isabel",
            "America/Tijuana",
            "Mexico/BajaNorte",
        ];
        assert_eq!(differ, baja);
    }

    #[test]
    fn wall_clock_times_resolve_as_chrono_tz_resolves_them() {
        for (tz, old) in zones().filter(|(tz, old)| same_data(*tz, *old)) {
            for unix in instants(tz) {
                // Wall-clock times on both sides of each change: in a gap, in an overlap, or
                // plain.
                let offsets = [unix - 1, unix].map(|u| {
                    let at = DateTime::from_timestamp(u, 0).unwrap().naive_utc();
                    i64::from(tz.offset_from_utc_datetime(&at).fix().local_minus_utc())
                });
                for wall in offsets
                    .iter()
                    .flat_map(|o| [-1, 0, 1, 1800].map(|d| unix + o + d))
                {
                    let local = DateTime::from_timestamp(wall, 0).unwrap().naive_utc();
                    assert_eq!(
                        fixed(tz.offset_from_local_datetime(&local)),
                        fixed(old.offset_from_local_datetime(&local)),
                        "{} at {local} local",
                        tz.name()
                    );
                    let end = chrono_tz::GapInfo::new(&local, &old)
                        .and_then(|gap| gap.end)
                        .map(|end| end.with_timezone(&Utc));
                    assert_eq!(tz.gap_end(&local), end, "{} at {local} local", tz.name());
                }
            }
        }
    }

    #[test]
    fn future_changes_follow_the_zones_rule() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let at = |text: &str| text.parse::<NaiveDateTime>().unwrap();
        // Summer time from the last Sunday of March, 02:00 jumping to 03:00.
        let gap = at("2091-03-25T02:30:00");
        assert!(matches!(
            berlin.offset_from_local_datetime(&gap),
            MappedLocalTime::None
        ));
        assert_eq!(
            berlin.gap_end(&gap),
            Some("2091-03-25T01:00:00Z".parse().unwrap())
        );
        let overlap = berlin.offset_from_local_datetime(&at("2091-10-28T02:30:00"));
        let MappedLocalTime::Ambiguous(earlier, later) = overlap else {
            panic!("{overlap:?}")
        };
        assert_eq!(
            (earlier.to_string(), later.to_string()),
            ("CEST".into(), "CET".into())
        );
        assert_eq!(
            earlier.fix().local_minus_utc() - later.fix().local_minus_utc(),
            3600
        );
        let summer = at("2091-07-01T12:00:00")
            .and_local_timezone(berlin)
            .unwrap();
        assert_eq!(
            summer.with_timezone(&Utc) + Duration::hours(2),
            summer.naive_local().and_utc()
        );
    }
}
