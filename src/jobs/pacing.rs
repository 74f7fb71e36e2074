//! Per-channel pacing for Slack: about one message a second per channel, with short bursts (the
//! documented limit of `chat.postMessage`), and a channel that got a 429 waits out `Retry-After`.
//!
//! A message that may not go yet is given a later slot instead of a Slack call. Slots are handed
//! out one interval apart, so a backlog for one channel drains steadily rather than coming back
//! all at once.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

pub const INTERVAL: Duration = Duration::seconds(1);
pub const BURST: i32 = 3;

#[derive(Debug, Default)]
pub struct Pacer {
    channels: HashMap<String, Channel>,
}

#[derive(Debug)]
struct Channel {
    /// When the bucket is next empty (GCRA's theoretical arrival time).
    tat: DateTime<Utc>,
    /// Set by a 429: nothing goes to the channel before this.
    blocked_until: Option<DateTime<Utc>>,
    /// The next slot to hand to a deferred message.
    horizon: DateTime<Utc>,
}

impl Pacer {
    /// `Ok` takes a send slot now; `Err(t)` says to come back at `t`.
    pub fn admit(&mut self, channel: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let c = self.channels.entry(channel.to_owned()).or_insert(Channel {
            tat: now,
            blocked_until: None,
            horizon: now,
        });
        if let Some(until) = c.blocked_until.filter(|u| *u > now) {
            return Err(c.defer(until));
        }
        let tat = c.tat.max(now);
        let allowed_at = tat + INTERVAL - INTERVAL * BURST;
        if allowed_at <= now {
            c.tat = tat + INTERVAL;
            Ok(())
        } else {
            Err(c.defer(allowed_at))
        }
    }

    /// Slack said 429 for this channel: hold it until `until`; returns the message's new slot.
    pub fn rate_limited(&mut self, channel: &str, until: DateTime<Utc>) -> DateTime<Utc> {
        let c = self.channels.entry(channel.to_owned()).or_insert(Channel {
            tat: until,
            blocked_until: None,
            horizon: until,
        });
        c.blocked_until = Some(c.blocked_until.map_or(until, |b| b.max(until)));
        c.defer(until)
    }

    /// Forgets channels idle for a while, so the map stays small.
    pub fn forget_idle(&mut self, now: DateTime<Utc>) {
        let idle = now - Duration::minutes(5);
        self.channels.retain(|_, c| {
            c.tat > idle || c.horizon > idle || c.blocked_until.is_some_and(|b| b > now)
        });
    }
}

impl Channel {
    fn defer(&mut self, earliest: DateTime<Utc>) -> DateTime<Utc> {
        let slot = self.horizon.max(earliest);
        self.horizon = slot + INTERVAL;
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_burst_of_three_then_one_a_second() {
        let mut p = Pacer::default();
        assert_eq!(p.admit("C1", t(0)), Ok(()));
        assert_eq!(p.admit("C1", t(0)), Ok(()));
        assert_eq!(p.admit("C1", t(0)), Ok(()));
        // The fourth and fifth get successive slots.
        assert_eq!(p.admit("C1", t(0)), Err(t(1)));
        assert_eq!(p.admit("C1", t(0)), Err(t(2)));
        // Other channels are not held up.
        assert_eq!(p.admit("C2", t(0)), Ok(()));
        // Back at their slots, they go.
        assert_eq!(p.admit("C1", t(1)), Ok(()));
        assert_eq!(p.admit("C1", t(2)), Ok(()));
        assert_eq!(p.admit("C1", t(2)), Err(t(3)));
    }

    #[test]
    fn a_quiet_channel_gets_its_burst_back() {
        let mut p = Pacer::default();
        for _ in 0..3 {
            assert_eq!(p.admit("C1", t(0)), Ok(()));
        }
        for _ in 0..3 {
            assert_eq!(p.admit("C1", t(10)), Ok(()));
        }
    }

    #[test]
    fn a_429_holds_the_channel_until_retry_after() {
        let mut p = Pacer::default();
        assert_eq!(p.admit("C1", t(0)), Ok(()));
        assert_eq!(p.rate_limited("C1", t(30)), t(30));
        assert_eq!(p.admit("C1", t(5)), Err(t(31)));
        assert_eq!(p.admit("C2", t(5)), Ok(()));
        assert_eq!(p.admit("C1", t(31)), Ok(()));
    }

    #[test]
    fn idle_channels_are_forgotten() {
        let mut p = Pacer::default();
        p.admit("C1", t(0)).unwrap();
        p.forget_idle(t(600));
        assert!(p.channels.is_empty());
    }
}
