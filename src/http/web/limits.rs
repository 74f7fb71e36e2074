//! How often a browser may try to sign in: per address, and for everyone together (behind a
//! proxy every browser may share one address). Counted in fixed one-minute windows, in memory:
//! each replica counts its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sign-in attempts one address may make in a minute.
pub const PER_ADDRESS: u32 = 20;
/// Sign-in attempts all addresses together may make in a minute.
pub const IN_ALL: u32 = 600;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Limits {
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    started: Option<Instant>,
    all: u32,
    by_address: HashMap<Option<IpAddr>, u32>,
}

impl Limits {
    /// Counts an attempt from `address`; `Err(wait)` when it is one too many.
    pub fn attempt(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let started = *w.started.get_or_insert(now);
        if now.duration_since(started) >= WINDOW {
            *w = Windows {
                started: Some(now),
                ..Windows::default()
            };
        }
        let wait = WINDOW.saturating_sub(now.duration_since(w.started.unwrap_or(now)));
        // Checked first, so the map holds at most `IN_ALL` addresses.
        if w.all >= IN_ALL {
            return Err(wait);
        }
        let mine = w.by_address.entry(address).or_default();
        if *mine >= PER_ADDRESS {
            return Err(wait);
        }
        *mine += 1;
        w.all += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_then_waits_for_the_next_minute() {
        let limits = Limits::default();
        let start = Instant::now();
        let me = Some("10.0.0.1".parse().unwrap());
        for _ in 0..PER_ADDRESS {
            assert_eq!(limits.attempt(me, start), Ok(()));
        }
        let wait = limits
            .attempt(me, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another address is not held back by mine.
        assert_eq!(
            limits.attempt(Some("10.0.0.2".parse().unwrap()), start),
            Ok(())
        );
        assert_eq!(limits.attempt(me, start + WINDOW), Ok(()));
    }

    #[test]
    fn everyone_together_is_capped() {
        let limits = Limits::default();
        let start = Instant::now();
        for i in 0..IN_ALL {
            let address = Some(IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]));
            assert_eq!(limits.attempt(address, start), Ok(()));
        }
        assert!(limits
            .attempt(Some("10.9.9.9".parse().unwrap()), start)
            .is_err());
    }
}
