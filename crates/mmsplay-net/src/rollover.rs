//! Protocol rollover: trying transports in Windows Media Player's order until one delivers
//! media. The plan is pure (which step comes next); the driver runs it with per-step deadlines.

use std::time::Duration;

use tokio::time::Instant;

use crate::Transport;
use crate::error::{ErrorKind, NetError, Result};
use crate::session::Session;
use crate::stream::ConnectOptions;
use crate::url::StreamUrl;

/// Which steps to try, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloverPlan {
    steps: Vec<Transport>,
    next: usize,
}

impl RolloverPlan {
    /// The scheme's own steps, or `--transports` (in the order given, limited to the ones the
    /// scheme can use when the scheme names one protocol family).
    pub fn new(url: &StreamUrl, transports: Option<&[Transport]>) -> RolloverPlan {
        let own = url.default_transports();
        let steps = match transports {
            Some(list) if url.scheme == "mms" => list.to_vec(),
            Some(list) => list.iter().copied().filter(|t| own.contains(t)).collect(),
            None => own,
        };
        let mut seen = Vec::new();
        for t in steps {
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
        RolloverPlan {
            steps: seen,
            next: 0,
        }
    }

    pub fn steps(&self) -> &[Transport] {
        &self.steps
    }

    /// The step after a failure of kind `last` (None before the first step). A stream that does
    /// not exist on one transport does not exist on the others either, so `NotFound` ends the
    /// ladder; every other failure moves on.
    pub fn next(&mut self, last: Option<ErrorKind>) -> Option<Transport> {
        if last == Some(ErrorKind::NotFound) {
            return None;
        }
        let t = self.steps.get(self.next).copied();
        self.next += 1;
        t
    }
}

/// What the driver reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectEvent {
    Attempt {
        transport: Transport,
        url: String,
    },
    Failed {
        transport: Transport,
        reason: String,
    },
    Connected {
        transport: Transport,
    },
}

/// Per-step deadline: long enough for a slow server, short enough that a silently blocked
/// transport does not hold the ladder up.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a step runs alone before the next one is started beside it. Steps that fail fast
/// (refused) hand over at once; steps that hang (blackholed UDP) overlap with the next ones, so
/// the ladder costs about one deadline instead of the sum of them. The preference order is still
/// Windows Media Player's: a later step that connects is used only once every earlier one failed.
pub const STAGGER: Duration = Duration::from_millis(300);

/// Once a less preferred step already delivers media, how long a more preferred step that has
/// not connected yet (counted from its start) is still waited for. A server that works answers
/// well within this; one that accepted the connection and went silent (a firewall, a hung
/// server) would otherwise hold the ready stream back for the whole step deadline.
pub const PREFERRED_GRACE: Duration = Duration::from_millis(1500);

/// Where one step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StepState {
    NotStarted,
    Running { since: Instant },
    Failed,
    Connected,
}

/// What the ladder says to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Step `i` connected and every more preferred step has failed: use it.
    Use(usize),
    /// Start step `i` now.
    Start(usize),
    /// Give step `i` up: step `ready`, less preferred, delivers media and `i` had its grace.
    Abandon { step: usize, ready: usize },
    /// Nothing to do until a step reports, or until this time if one is given.
    Wait(Option<Instant>),
    /// Every step failed.
    Exhausted,
}

/// The rules of the rollover, without IO: which step starts when ([`STAGGER`]), how long a
/// more preferred step is still waited for once a later one is ready ([`PREFERRED_GRACE`]),
/// and which result wins (the most preferred step that connects). The driver tells it what
/// happened and asks [`Ladder::decide`] what to do.
#[derive(Clone, Debug)]
pub struct Ladder {
    steps: Vec<StepState>,
}

impl Ladder {
    pub fn new(steps: usize) -> Ladder {
        Ladder {
            steps: vec![StepState::NotStarted; steps],
        }
    }

    pub fn started(&mut self, i: usize, now: Instant) {
        self.steps[i] = StepState::Running { since: now };
    }

    pub fn connected(&mut self, i: usize) {
        self.steps[i] = StepState::Connected;
    }

    pub fn failed(&mut self, i: usize) {
        self.steps[i] = StepState::Failed;
    }

    /// Steps running or connected, which a winner leaves unneeded.
    pub fn in_play(&self) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, StepState::Running { .. } | StepState::Connected))
            .map(|(i, _)| i)
    }

    /// What to do at `now`.
    pub fn decide(&self, now: Instant) -> Decision {
        use StepState::*;
        // The most preferred step still in play decides what happens next.
        let Some(first) = self.steps.iter().position(|s| *s != Failed) else {
            return Decision::Exhausted;
        };
        match self.steps[first] {
            Connected => return Decision::Use(first),
            NotStarted => return Decision::Start(first),
            _ => {}
        }
        // When a later step is ready, earlier ones still running get their grace, no more.
        let ready = self.steps.iter().position(|s| *s == Connected);
        let mut grace_due = None;
        if let Some(r) = ready {
            for (i, s) in self.steps[..r].iter().enumerate() {
                if let Running { since } = *s {
                    let due = since + PREFERRED_GRACE;
                    if now >= due {
                        return Decision::Abandon { step: i, ready: r };
                    }
                    grace_due = Some(grace_due.map_or(due, |d: Instant| d.min(due)));
                }
            }
        }
        // Start the next step early once the newest started one has had its head start, or
        // at once if it has already failed (earlier steps may still be hanging).
        let newest = self.steps.iter().rposition(|s| *s != NotStarted);
        let next_due = newest.and_then(|k| match self.steps[k] {
            _ if k + 1 >= self.steps.len() => None,
            Running { since } => Some((k + 1, since + STAGGER)),
            Failed => Some((k + 1, now)),
            _ => None,
        });
        if let Some((k, at)) = next_due
            && now >= at
        {
            return Decision::Start(k);
        }
        let wake = match (next_due.map(|(_, at)| at), grace_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Decision::Wait(wake)
    }
}

/// Runs the plan until the most preferred step that works has connected.
pub async fn connect(
    url: &StreamUrl,
    mut plan: RolloverPlan,
    opts: &ConnectOptions,
    on_event: &mut (dyn FnMut(ConnectEvent) + Send),
) -> Result<Session> {
    let order: Vec<Transport> = std::iter::from_fn(|| plan.next(None)).collect();
    let mut step_opts = opts.clone();
    step_opts.connect_timeout = opts.connect_timeout.min(STEP_TIMEOUT);
    let open = |t: Transport| {
        let u = url.clone();
        let o = step_opts.clone();
        async move { Session::open(&u, t, &o).await }
    };
    let attempt_url = |t: Transport| url.for_transport(t, &opts.ports);
    let dispose = |s: Session| {
        tokio::spawn(s.close());
    };
    drive(&order, open, attempt_url, dispose, on_event).await
}

/// The IO side of the ladder: starts steps, awaits their results and timers, and applies
/// what [`Ladder::decide`] says. Generic over the session so tests can run it with fake steps
/// on tokio's paused clock.
async fn drive<S, F>(
    order: &[Transport],
    open: impl Fn(Transport) -> F,
    attempt_url: impl Fn(Transport) -> String,
    dispose: impl Fn(S),
    on_event: &mut (dyn FnMut(ConnectEvent) + Send),
) -> Result<S>
where
    S: Send + 'static,
    F: Future<Output = Result<S>> + Send + 'static,
{
    let mut ladder = Ladder::new(order.len());
    let mut sessions: Vec<Option<S>> = order.iter().map(|_| None).collect();
    let mut handles: Vec<Option<tokio::task::AbortHandle>> = order.iter().map(|_| None).collect();
    let mut running = tokio::task::JoinSet::new();
    let mut last_err: Option<NetError> = None;
    loop {
        match ladder.decide(Instant::now()) {
            Decision::Exhausted => break,
            Decision::Use(i) => {
                on_event(ConnectEvent::Connected {
                    transport: order[i],
                });
                running.abort_all();
                let winner = sessions[i].take();
                for j in ladder.in_play().filter(|j| *j != i).collect::<Vec<_>>() {
                    on_event(ConnectEvent::Failed {
                        transport: order[j],
                        reason: format!("not needed: {} connected first", order[i]),
                    });
                    if let Some(loser) = sessions[j].take() {
                        dispose(loser);
                    }
                }
                match winner {
                    Some(s) => return Ok(s),
                    None => break,
                }
            }
            Decision::Start(i) => {
                let t = order[i];
                on_event(ConnectEvent::Attempt {
                    transport: t,
                    url: attempt_url(t),
                });
                let step = open(t);
                handles[i] = Some(running.spawn(async move { (i, step.await) }));
                ladder.started(i, Instant::now());
            }
            Decision::Abandon { step, ready } => {
                if let Some(h) = handles[step].take() {
                    h.abort();
                }
                on_event(ConnectEvent::Failed {
                    transport: order[step],
                    reason: format!(
                        "no media within {:.1} s while {} was ready",
                        PREFERRED_GRACE.as_secs_f64(),
                        order[ready]
                    ),
                });
                ladder.failed(step);
            }
            Decision::Wait(wake_at) => {
                let wake = async {
                    match wake_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    joined = running.join_next() => {
                        let Some(joined) = joined else { continue };
                        let Ok((i, result)) = joined else { continue };
                        handles[i] = None;
                        match result {
                            Ok(session) => {
                                sessions[i] = Some(session);
                                ladder.connected(i);
                            }
                            Err(e) => {
                                on_event(ConnectEvent::Failed {
                                    transport: order[i],
                                    reason: e.to_string(),
                                });
                                ladder.failed(i);
                                let not_found = e.kind == ErrorKind::NotFound;
                                // A server that wants credentials says the most useful
                                // thing: later refusals do not hide it.
                                let held_auth = last_err
                                    .as_ref()
                                    .is_some_and(|l| l.kind == ErrorKind::Unauthorized);
                                if !held_auth || e.kind == ErrorKind::Unauthorized {
                                    last_err = Some(e);
                                }
                                if not_found {
                                    // The stream does not exist: no other transport will find it.
                                    running.abort_all();
                                    break;
                                }
                            }
                        }
                    }
                    _ = wake => {}
                }
            }
        }
    }
    Err(match last_err {
        Some(e) if order.len() == 1 => e,
        Some(e) if e.kind == ErrorKind::Unauthorized => {
            NetError::new(e.kind, format!("every transport failed; {e}")).with_cause(e)
        }
        Some(e) => {
            NetError::new(e.kind, format!("every transport failed (last: {e})")).with_cause(e)
        }
        None => NetError::unsupported("no transport to try"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_starts_at_its_own_steps() {
        use Transport::*;
        for (url, steps) in [
            ("mms://h/x", &[Rtspu, Rtspt, Mmsu, Mmst, Mmsh][..]),
            ("mmst://h/x", &[Mmst]),
            ("mmsu://h/x", &[Mmsu]),
            ("mmsh://h/x", &[Mmsh]),
            ("http://h/x", &[Mmsh]),
            ("rtsp://h/x", &[Rtspu, Rtspt]),
            ("rtspu://h/x", &[Rtspu]),
            ("rtspt://h/x", &[Rtspt]),
        ] {
            let u = StreamUrl::parse(url).unwrap();
            assert_eq!(RolloverPlan::new(&u, None).steps(), steps, "{url}");
        }
    }

    #[test]
    fn plan_follows_scheme_and_list() {
        let u = StreamUrl::parse("mms://h/x").unwrap();
        let mut p = RolloverPlan::new(&u, None);
        assert_eq!(p.next(None), Some(Transport::Rtspu));
        assert_eq!(p.next(Some(ErrorKind::Timeout)), Some(Transport::Rtspt));
        assert_eq!(p.next(Some(ErrorKind::NotFound)), None);
        let p = RolloverPlan::new(
            &u,
            Some(&[Transport::Mmsh, Transport::Mmst, Transport::Mmsh]),
        );
        assert_eq!(p.steps(), &[Transport::Mmsh, Transport::Mmst]);
        let u = StreamUrl::parse("rtsp://h/x").unwrap();
        let p = RolloverPlan::new(&u, Some(&[Transport::Mmsh, Transport::Rtspt]));
        assert_eq!(p.steps(), &[Transport::Rtspt]);
    }

    /// How a fake step ends, and after how long.
    #[derive(Clone, Copy)]
    enum Outcome {
        Connects(u64),
        Fails(u64, ErrorKind),
        Hangs,
    }

    /// Runs the driver on fake steps (tokio's clock paused, so times are exact) and returns the
    /// winner and the events with their times in milliseconds.
    async fn run(steps: &[(Transport, Outcome)]) -> (Result<Transport>, Vec<(u64, String)>) {
        let start = Instant::now();
        let order: Vec<Transport> = steps.iter().map(|(t, _)| *t).collect();
        let outcomes: Vec<(Transport, Outcome)> = steps.to_vec();
        let open = move |t: Transport| {
            let outcome = outcomes.iter().find(|(x, _)| *x == t).map(|(_, o)| *o);
            async move {
                match outcome {
                    Some(Outcome::Connects(ms)) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        Ok(t)
                    }
                    Some(Outcome::Fails(ms, kind)) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        Err(NetError::new(kind, format!("{t} failed")))
                    }
                    _ => std::future::pending().await,
                }
            }
        };
        let mut events = Vec::new();
        let mut on_event = |e: ConnectEvent| {
            let ms = start.elapsed().as_millis() as u64;
            events.push((
                ms,
                match e {
                    ConnectEvent::Attempt { transport, .. } => format!("attempt {transport}"),
                    ConnectEvent::Failed { transport, .. } => format!("failed {transport}"),
                    ConnectEvent::Connected { transport } => format!("connected {transport}"),
                },
            ));
        };
        let r = drive(&order, open, |t| t.to_string(), drop, &mut on_event).await;
        (r, events)
    }

    fn ev(list: &[(u64, &str)]) -> Vec<(u64, String)> {
        list.iter().map(|(t, s)| (*t, s.to_string())).collect()
    }

    use Outcome::*;
    use Transport::{Mmsh, Mmst, Rtspt, Rtspu};

    #[tokio::test(start_paused = true)]
    async fn a_hanging_step_hands_over_after_the_stagger_and_is_given_up_after_its_grace() {
        let (r, events) = run(&[(Rtspu, Hangs), (Rtspt, Connects(100))]).await;
        assert_eq!(r.unwrap(), Rtspt);
        assert_eq!(
            events,
            ev(&[
                (0, "attempt rtspu"),
                (300, "attempt rtspt"),
                (1500, "failed rtspu"),
                (1500, "connected rtspt"),
            ])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_hands_over_at_once() {
        let (r, events) =
            run(&[(Rtspu, Fails(50, ErrorKind::Refused)), (Mmst, Connects(20))]).await;
        assert_eq!(r.unwrap(), Mmst);
        assert_eq!(
            events,
            ev(&[
                (0, "attempt rtspu"),
                (50, "failed rtspu"),
                (50, "attempt mmst"),
                (70, "connected mmst"),
            ])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_preferred_step_wins_when_it_connects_within_its_grace() {
        let (r, events) = run(&[
            (Rtspu, Connects(1400)),
            (Rtspt, Connects(10)),
            (Mmsh, Hangs),
        ])
        .await;
        assert_eq!(r.unwrap(), Rtspu);
        assert_eq!(
            events,
            ev(&[
                (0, "attempt rtspu"),
                (300, "attempt rtspt"),
                // rtspt connected at 310: no later step starts, rtspu is still waited for.
                (1400, "connected rtspu"),
                (1400, "failed rtspt"),
            ])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_steps_start_one_stagger_apart_while_they_hang() {
        let (r, events) = run(&[(Rtspu, Hangs), (Rtspt, Hangs), (Mmsh, Connects(0))]).await;
        assert_eq!(r.unwrap(), Mmsh);
        assert_eq!(
            events,
            ev(&[
                (0, "attempt rtspu"),
                (300, "attempt rtspt"),
                (600, "attempt mmsh"),
                (1500, "failed rtspu"),
                (1800, "failed rtspt"),
                (1800, "connected mmsh"),
            ])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_ends_the_ladder_and_every_failure_is_one_error() {
        let (r, events) = run(&[
            (Rtspu, Fails(10, ErrorKind::NotFound)),
            (Rtspt, Connects(10)),
        ])
        .await;
        assert_eq!(r.unwrap_err().kind, ErrorKind::NotFound);
        assert_eq!(events, ev(&[(0, "attempt rtspu"), (10, "failed rtspu")]));
        let (r, _) = run(&[
            (Rtspu, Fails(10, ErrorKind::Refused)),
            (Mmsh, Fails(10, ErrorKind::Timeout)),
        ])
        .await;
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(
            e.to_string()
                .starts_with("every transport failed (last: mmsh failed"),
            "{e}"
        );
    }
}
