//! Pacing for Slack, so a burst of messages drains steadily instead of provoking a storm of 429s.
//!
//! Two budgets apply to every message: its channel's (Slack allows `chat.postMessage` about one
//! message a second per channel, and does not promise that bursts are shown) and its workspace's
//! (Slack also keeps an unpublished workspace-wide limit). A message that may not go yet is given
//! a later slot instead of a Slack call; slots are handed out one interval apart, so a backlog
//! comes back steadily rather than all at once. A channel that got a 429 waits out `Retry-After`,
//! and so does the whole workspace when several of its channels get one at about the same time.
//!
//! The budgets are per process: with N replicas, divide the workspace budget by N.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// A little under one a second, so that network jitter never puts two messages into one second.
pub const CHANNEL_PER_MINUTE: u32 = 55;
/// Ten a second: Slack's workspace limit is unpublished; this stays well clear of it while a
/// thousand weekly prompts still go out in under two minutes.
pub const WORKSPACE_PER_MINUTE: u32 = 600;
/// A kudos to twenty people sends its twenty DMs at once.
const WORKSPACE_BURST: i32 = 20;
/// A message may go this fraction of an interval early (1/20: at 55 a minute, 55 ms).
const SLACK_DIVISOR: i32 = 20;
/// 429s from this many channels of one workspace within `STORM_WINDOW` mean the workspace limit.
const STORM_CHANNELS: usize = 3;
const STORM_WINDOW: Duration = Duration::seconds(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    interval: Duration,
    burst: i32,
}

/// The two budgets; `None` is no limit (a fake Slack in a benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub channel: Option<Rate>,
    pub workspace: Option<Rate>,
}

impl Limits {
    /// Messages a minute per channel and per workspace; 0 means no limit.
    pub fn per_minute(channel: u32, workspace: u32) -> Self {
        let rate = |n: u32, burst| {
            (n > 0).then(|| Rate {
                interval: Duration::microseconds(60_000_000 / i64::from(n)),
                burst,
            })
        };
        Limits {
            channel: rate(channel, 1),
            workspace: rate(workspace, WORKSPACE_BURST),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::per_minute(CHANNEL_PER_MINUTE, WORKSPACE_PER_MINUTE)
    }
}

#[derive(Debug, Default)]
pub struct Pacer {
    limits: Limits,
    channels: HashMap<(String, String), Bucket>,
    workspaces: HashMap<String, Bucket>,
    /// When idle buckets were last let go.
    tidied_at: Option<DateTime<Utc>>,
}

/// How often idle buckets are let go.
const TIDY_EVERY: Duration = Duration::minutes(1);

#[derive(Debug)]
struct Bucket {
    /// When the bucket is next empty (GCRA's theoretical arrival time).
    tat: DateTime<Utc>,
    /// Set by a 429: nothing goes before this.
    blocked_until: Option<DateTime<Utc>>,
    /// The next slot to hand to a deferred message.
    horizon: DateTime<Utc>,
    /// Recent 429s (channel, when), for a workspace bucket.
    recent_429s: Vec<(String, DateTime<Utc>)>,
}

impl Pacer {
    pub fn new(limits: Limits) -> Self {
        Pacer {
            limits,
            ..Pacer::default()
        }
    }

    /// The slot of a message written now for `channel` of `team`: now when the channel is free,
    /// else the next free one after those already given. The message is written due then, so
    /// a busy channel's backlog waits in the database, never claimed before its turn; when it
    /// comes back it `returns` to the slot kept for it.
    pub fn reserve(&mut self, team: &str, channel: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        self.tidy(now);
        let rate = self.limits.channel;
        let c = self
            .channels
            .entry((team.to_owned(), channel.to_owned()))
            .or_insert_with(|| Bucket::new(now));
        let earliest = c.check(rate, now, false).err().unwrap_or(now);
        c.defer(rate, earliest)
    }

    /// `Ok` takes a send slot now in `channel` of `team`; `Err(t)` says to come back at `t`.
    /// A message that `returns` from an earlier slot and still may not go is given the first
    /// free moment, ahead of the slots handed out since, so a channel's messages stay in order.
    pub fn admit(
        &mut self,
        team: &str,
        channel: &str,
        now: DateTime<Utc>,
        returns: bool,
    ) -> Result<(), DateTime<Utc>> {
        self.tidy(now);
        let Limits {
            channel: channel_rate,
            workspace: workspace_rate,
        } = self.limits;
        let c = self
            .channels
            .entry((team.to_owned(), channel.to_owned()))
            .or_insert_with(|| Bucket::new(now));
        if let Err(at) = c.check(channel_rate, now, returns) {
            return Err(if returns {
                at
            } else {
                c.defer(channel_rate, at)
            });
        }
        let w = self
            .workspaces
            .entry(team.to_owned())
            .or_insert_with(|| Bucket::new(now));
        if let Err(at) = w.check(workspace_rate, now, returns) {
            return Err(if returns {
                at
            } else {
                w.defer(workspace_rate, at)
            });
        }
        w.take(workspace_rate, now);
        c.take(channel_rate, now);
        Ok(())
    }

    /// Slack said 429 for this channel: hold it until `until` (and the workspace too, when this
    /// is one of several channels refused at once); returns the message's new slot.
    pub fn rate_limited(
        &mut self,
        team: &str,
        channel: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let w = self
            .workspaces
            .entry(team.to_owned())
            .or_insert_with(|| Bucket::new(now));
        w.recent_429s.retain(|(_, at)| *at > now - STORM_WINDOW);
        w.recent_429s.push((channel.to_owned(), now));
        let mut refused: Vec<&str> = w.recent_429s.iter().map(|(c, _)| c.as_str()).collect();
        refused.sort_unstable();
        refused.dedup();
        if refused.len() >= STORM_CHANNELS {
            w.block(until);
        }
        let c = self
            .channels
            .entry((team.to_owned(), channel.to_owned()))
            .or_insert_with(|| Bucket::new(until));
        c.block(until);
        c.defer(self.limits.channel, until)
    }

    fn tidy(&mut self, now: DateTime<Utc>) {
        if self.tidied_at.is_none_or(|t| now - t >= TIDY_EVERY) {
            self.tidied_at = Some(now);
            self.forget_idle(now);
        }
    }

    /// Forgets buckets idle for a while, so the maps stay small.
    pub fn forget_idle(&mut self, now: DateTime<Utc>) {
        let idle = now - Duration::minutes(5);
        self.channels.retain(|_, b| b.busy_since(idle, now));
        self.workspaces.retain(|_, b| b.busy_since(idle, now));
    }
}

impl Bucket {
    fn new(now: DateTime<Utc>) -> Self {
        Bucket {
            tat: now,
            blocked_until: None,
            horizon: now,
            recent_429s: Vec::new(),
        }
    }

    /// Whether one message may go at `now`, or the earliest time it may. A message that is not
    /// back from a slot of its own waits behind those that are (the slots handed out so far).
    fn check(
        &self,
        rate: Option<Rate>,
        now: DateTime<Utc>,
        returns: bool,
    ) -> Result<(), DateTime<Utc>> {
        if let Some(until) = self.blocked_until.filter(|u| *u > now) {
            return Err(until);
        }
        let Some(rate) = rate else { return Ok(()) };
        if !returns && self.horizon > now + rate.interval / SLACK_DIVISOR {
            return Err(self.horizon);
        }
        let allowed_at = self.tat.max(now) + rate.interval - rate.interval * rate.burst;
        // A message sent a little after its slot moves the bucket on by that much; without some
        // slack the next message, due exactly one interval after the slot, would be refused
        // and sent to the back of its channel's queue.
        if allowed_at <= now + rate.interval / SLACK_DIVISOR {
            Ok(())
        } else {
            Err(allowed_at)
        }
    }

    fn take(&mut self, rate: Option<Rate>, now: DateTime<Utc>) {
        if let Some(rate) = rate {
            self.tat = self.tat.max(now) + rate.interval;
        }
    }

    fn block(&mut self, until: DateTime<Utc>) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }

    fn defer(&mut self, rate: Option<Rate>, earliest: DateTime<Utc>) -> DateTime<Utc> {
        // Without a rate (no limit set), what a 429 held back all goes when the hold ends.
        let step = rate.map_or(Duration::zero(), |r| r.interval);
        let slot = self.horizon.max(earliest);
        self.horizon = slot + step;
        slot
    }

    fn busy_since(&self, idle: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.tat > idle || self.horizon > idle || self.blocked_until.is_some_and(|b| b > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(millis: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_800_000_000_000 + millis)
            .unwrap()
    }

    /// One a second per channel, five a second per workspace with a burst of 20.
    fn pacer() -> Pacer {
        Pacer::new(Limits::per_minute(60, 300))
    }

    #[test]
    fn one_a_second_per_channel() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        // The next ones get successive slots, without calling Slack.
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(1000)));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(2000)));
        // Other channels, and the same channel id in another workspace, are not held up.
        assert_eq!(p.admit("T1", "C2", t(0), false), Ok(()));
        assert_eq!(p.admit("T2", "C1", t(0), false), Ok(()));
        // Back at their slots, they go; never two within a second.
        assert_eq!(p.admit("T1", "C1", t(1000), true), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(1500), false), Err(t(3000)));
        assert_eq!(p.admit("T1", "C1", t(2000), true), Ok(()));
    }

    #[test]
    fn a_slot_taken_a_little_late_does_not_cost_the_next_one_its_turn() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(1000)));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(2000)));
        // The first deferred one goes 30 ms late; the next is still on time at its slot...
        assert_eq!(p.admit("T1", "C1", t(1030), true), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(2000), true), Ok(()));
        // ...but never much earlier than a second after the one before.
        assert_eq!(p.admit("T1", "C1", t(2500), true), Err(t(3030)));
    }

    #[test]
    fn a_message_back_from_its_slot_keeps_its_place_in_line() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(1000)));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(2000)));
        // The first goes 100 ms late, so the second, back at its slot, may not go yet: it is
        // told the first free moment, ahead of anything queued after it.
        assert_eq!(p.admit("T1", "C1", t(1100), true), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(2000), true), Err(t(2100)));
        assert_eq!(p.admit("T1", "C1", t(2000), false), Err(t(3000)));
        assert_eq!(p.admit("T1", "C1", t(2100), true), Ok(()));
    }

    #[test]
    fn a_new_message_never_jumps_the_line() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(1000)));
        assert_eq!(p.admit("T1", "C1", t(0), false), Err(t(2000)));
        // At 2.5 s the channel's budget would allow one, but two are still queued for their
        // slots (the one due at 1 s has not come back yet): the new one goes after them.
        assert_eq!(p.admit("T1", "C1", t(2500), false), Err(t(3000)));
        assert_eq!(p.admit("T1", "C1", t(2500), true), Ok(()));
    }

    #[test]
    fn a_workspace_gets_a_burst_then_its_rate() {
        let mut p = pacer();
        for i in 0..20 {
            assert_eq!(
                p.admit("T1", &format!("D{i}"), t(0), false),
                Ok(()),
                "message {i}"
            );
        }
        // Then one every 200 ms, handed out in order.
        assert_eq!(p.admit("T1", "D20", t(0), false), Err(t(200)));
        assert_eq!(p.admit("T1", "D21", t(0), false), Err(t(400)));
        assert_eq!(p.admit("T2", "D20", t(0), false), Ok(()));
        assert_eq!(p.admit("T1", "D20", t(200), true), Ok(()));
        assert_eq!(p.admit("T1", "D22", t(200), false), Err(t(600)));
        // A refused message does not use its channel's budget.
        assert_eq!(p.admit("T1", "D21", t(400), true), Ok(()));
    }

    #[test]
    fn no_limits_admit_everything() {
        let mut p = Pacer::new(Limits::per_minute(0, 0));
        for _ in 0..1000 {
            assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        }
    }

    #[test]
    fn a_quiet_channel_can_send_again() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(10_000), false), Ok(()));
    }

    #[test]
    fn a_429_holds_the_channel_until_retry_after() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.rate_limited("T1", "C1", t(0), t(30_000)), t(30_000));
        assert_eq!(p.admit("T1", "C1", t(5000), false), Err(t(31_000)));
        assert_eq!(p.admit("T1", "C2", t(5000), false), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(31_000), true), Ok(()));
    }

    #[test]
    fn rate_limits_in_several_channels_hold_the_workspace() {
        let mut p = pacer();
        p.rate_limited("T1", "C1", t(0), t(20_000));
        p.rate_limited("T1", "C2", t(1000), t(20_000));
        assert_eq!(
            p.admit("T1", "C9", t(2000), false),
            Ok(()),
            "two channels may be busy ones"
        );
        p.rate_limited("T1", "C3", t(3000), t(20_000));
        assert_eq!(p.admit("T1", "C9", t(4000), false), Err(t(20_000)));
        assert_eq!(p.admit("T2", "C9", t(4000), false), Ok(()));
        assert_eq!(p.admit("T1", "C9", t(20_000), true), Ok(()));
    }

    #[test]
    fn without_a_workspace_limit_what_a_storm_held_back_all_goes_when_it_ends() {
        let mut p = Pacer::new(Limits::per_minute(60, 0));
        for (i, c) in ["C1", "C2", "C3"].into_iter().enumerate() {
            p.rate_limited("T1", c, t(i as i64 * 100), t(1000));
        }
        // Every other channel's message is held to the storm's end, not spaced a second apart.
        for c in 0..50 {
            assert_eq!(
                p.admit("T1", &format!("C1{c:02}"), t(500), false),
                Err(t(1000))
            );
        }
        assert_eq!(p.admit("T1", "C200", t(1000), true), Ok(()));
    }

    #[test]
    fn a_busy_channel_s_messages_are_written_with_their_slots() {
        let mut p = pacer();
        // A quiet channel: the first goes at once, the rest one a second after it.
        assert_eq!(p.reserve("T1", "C1", t(0)), t(0));
        assert_eq!(p.reserve("T1", "C1", t(0)), t(1000));
        assert_eq!(p.reserve("T1", "C1", t(10)), t(2000));
        assert_eq!(p.reserve("T1", "C2", t(10)), t(10));
        // Each is let through when it comes back at its slot, and not before.
        assert_eq!(p.admit("T1", "C1", t(0), true), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(500), true), Err(t(1000)));
        assert_eq!(p.admit("T1", "C1", t(1000), true), Ok(()));
        assert_eq!(p.admit("T1", "C1", t(2000), true), Ok(()));
        // A message written without a slot waits behind the slots given.
        assert_eq!(p.reserve("T1", "C1", t(2000)), t(3000));
        assert_eq!(p.admit("T1", "C1", t(2100), false), Err(t(4000)));
    }

    #[test]
    fn a_channel_that_sent_just_now_gives_the_next_slot_a_second_later() {
        let mut p = pacer();
        assert_eq!(p.admit("T1", "C1", t(0), false), Ok(()));
        assert_eq!(p.reserve("T1", "C1", t(300)), t(1000));
        assert_eq!(p.admit("T1", "C1", t(1000), true), Ok(()));
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let mut p = pacer();
        p.admit("T1", "C1", t(0), false).unwrap();
        p.forget_idle(t(600_000));
        assert!(p.channels.is_empty() && p.workspaces.is_empty());
    }
}
