//! One timer for all pacing: a process-wide tick that wakes exactly the sessions whose next
//! packet falls due at it.
//!
//! With ten thousand listeners a timer per session and per packet costs more than the
//! writes: every packet registers, fires and drops a timer. Instead one thread sleeps from
//! tick to tick ([`TICK`]) and wakes the sessions waiting for that tick: a session waits in
//! the slot of a small wheel for the tick before its next packet is due (a hashed timing
//! wheel: a wait further ahead than the wheel reaches hops through it), so that no session
//! wakes at a tick it has nothing to send at. A packet goes out at the first tick at or after
//! its time, never before it (a client may act on what it has received, a stream move for
//! one): at most one tick late, which a client's preroll buffer absorbs many times over.
//!
//! The tick is a plain thread, not a tokio task, so that it serves every runtime of the
//! process (the tests start many) and outlives none of them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The pacing period: packets due within one tick go out together.
pub const TICK: Duration = Duration::from_millis(200);
/// Slots of the wheel: a wait up to this many ticks ahead wakes only at its own tick.
const SLOTS: usize = 64;

struct Clock {
    epoch: Instant,
    /// Ticks since `epoch` the thread has announced.
    ticks: AtomicU64,
}

static WHEEL: [Notify; SLOTS] = [const { Notify::const_new() }; SLOTS];
static CLOCK: OnceLock<Clock> = OnceLock::new();

/// The clock, its thread started at the first use.
fn clock() -> &'static Clock {
    let mut fresh = false;
    let clock = CLOCK.get_or_init(|| {
        fresh = true;
        Clock {
            epoch: Instant::now(),
            ticks: AtomicU64::new(0),
        }
    });
    if fresh {
        let spawned = std::thread::Builder::new()
            .name("mmsplay-tick".into())
            .spawn(move || run(clock));
        if let Err(e) = spawned {
            // Without the thread waiters would never wake: fail loudly at the first use.
            panic!("cannot start the pacing tick thread: {e}");
        }
    }
    clock
}

/// The tick thread: deadline-based, so that the period does not drift with load; a tick
/// that comes late still wakes its waiters, and the ones it skipped over.
fn run(clock: &'static Clock) {
    let mut k = 0u64;
    loop {
        k += 1;
        let at = clock.epoch + TICK * k as u32;
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
        clock.ticks.store(k, Ordering::Release);
        WHEEL[(k % SLOTS as u64) as usize].notify_waiters();
    }
}

impl Clock {
    /// The tick at which something due at `due` goes out: the first one at or after it.
    fn tick_for(&self, due: Instant) -> u64 {
        let since = due.saturating_duration_since(self.epoch);
        since.as_nanos().div_ceil(TICK.as_nanos()) as u64
    }
}

/// Whether something due at `due` goes out now: its time has come.
pub fn is_due(due: tokio::time::Instant) -> bool {
    due.into_std() <= Instant::now()
}

/// Waits for the tick at which `due` falls due; at once if its time has already come (a new
/// session's first packets, a seek's: they should not wait up to a tick for nothing).
pub async fn until(due: tokio::time::Instant) {
    if is_due(due) {
        return;
    }
    let clock = clock();
    let target = clock.tick_for(due.into_std());
    wait_tick(clock, target).await;
}

/// Waits for the next tick.
pub async fn next() {
    let clock = clock();
    let target = clock.ticks.load(Ordering::Acquire) + 1;
    wait_tick(clock, target).await;
}

async fn wait_tick(clock: &Clock, target: u64) {
    loop {
        let now = clock.ticks.load(Ordering::Acquire);
        if now >= target {
            return;
        }
        // Beyond the wheel's reach: wait for the furthest slot it has, then look again.
        let slot = target.min(now + SLOTS as u64 - 1);
        let woken = WHEEL[(slot % SLOTS as u64) as usize].notified();
        let mut woken = std::pin::pin!(woken);
        // Registered before the second look, so that the tick cannot slip in between.
        woken.as_mut().enable();
        if clock.ticks.load(Ordering::Acquire) >= slot {
            continue;
        }
        woken.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_time_maps_to_the_first_tick_at_or_after_it() {
        let c = Clock {
            epoch: Instant::now(),
            ticks: AtomicU64::new(0),
        };
        assert_eq!(c.tick_for(c.epoch), 0);
        assert_eq!(c.tick_for(c.epoch + TICK), 1);
        assert_eq!(c.tick_for(c.epoch + TICK + Duration::from_millis(1)), 2);
        assert_eq!(c.tick_for(c.epoch + TICK * 70), 70);
    }

    #[tokio::test]
    async fn a_wait_ends_at_the_first_tick_it_is_due_at() {
        let start = tokio::time::Instant::now();
        until(start).await;
        assert!(start.elapsed() < TICK * 2, "something due now waited");
        let due = tokio::time::Instant::now() + TICK * 3;
        tokio::time::timeout(TICK * 15, until(due))
            .await
            .expect("the tick wakes waiters");
        let now = tokio::time::Instant::now();
        // Never early, and about a tick late at most (loosely: a loaded machine may run the
        // tick thread late).
        assert!(now >= due, "woke {:?} early", due - now);
        assert!(now <= due + TICK * 5, "woke {:?} late", now - due);
    }
}
