//! Protocol rollover: trying transports in Windows Media Player's order until one delivers
//! media. The plan is pure (which step comes next); the driver runs it with per-step deadlines.

use std::time::Duration;

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

/// The state of one step.
enum Step {
    NotStarted,
    Running(tokio::time::Instant, tokio::task::AbortHandle),
    Failed,
    Connected(Box<Session>),
}

/// Runs the plan until the most preferred step that works has connected.
pub async fn connect(
    url: &StreamUrl,
    mut plan: RolloverPlan,
    opts: &ConnectOptions,
    on_event: &mut (dyn FnMut(ConnectEvent) + Send),
) -> Result<Session> {
    let order: Vec<Transport> = std::iter::from_fn(|| plan.next(None)).collect();
    let mut steps: Vec<Step> = order.iter().map(|_| Step::NotStarted).collect();
    let mut running = tokio::task::JoinSet::new();
    let mut last_err: Option<NetError> = None;
    let start_step = |i: usize,
                      steps: &mut Vec<Step>,
                      running: &mut tokio::task::JoinSet<(usize, Result<Session>)>,
                      on_event: &mut (dyn FnMut(ConnectEvent) + Send)| {
        let t = order[i];
        on_event(ConnectEvent::Attempt {
            transport: t,
            url: url.for_transport(t, &opts.ports),
        });
        let mut step_opts = opts.clone();
        step_opts.connect_timeout = opts.connect_timeout.min(STEP_TIMEOUT);
        let u = url.clone();
        let handle = running.spawn(async move { (i, Session::open(&u, t, &step_opts).await) });
        steps[i] = Step::Running(tokio::time::Instant::now(), handle);
    };
    loop {
        // The most preferred step still in play decides what happens next.
        let first_live = steps.iter().position(|s| !matches!(s, Step::Failed));
        match first_live {
            None => break,
            Some(i) if matches!(steps[i], Step::Connected(_)) => {
                let Step::Connected(session) = std::mem::replace(&mut steps[i], Step::Failed)
                else {
                    break;
                };
                on_event(ConnectEvent::Connected {
                    transport: order[i],
                });
                running.abort_all();
                for (j, s) in steps.iter_mut().enumerate() {
                    let was = std::mem::replace(s, Step::Failed);
                    if matches!(was, Step::Running(..) | Step::Connected(_)) {
                        on_event(ConnectEvent::Failed {
                            transport: order[j],
                            reason: format!("not needed: {} connected first", order[i]),
                        });
                    }
                    if let Step::Connected(loser) = was {
                        tokio::spawn(loser.close());
                    }
                }
                return Ok(*session);
            }
            Some(i) if matches!(steps[i], Step::NotStarted) => {
                start_step(i, &mut steps, &mut running, on_event);
                continue;
            }
            Some(_) => {}
        }
        // Start the next step early once the newest started one has had its head start, or at
        // once if it has already failed (earlier steps may still be hanging).
        let newest = steps.iter().rposition(|s| !matches!(s, Step::NotStarted));
        let next_due = newest.and_then(|k| match steps[k] {
            _ if k + 1 >= steps.len() => None,
            Step::Running(since, _) => Some((k + 1, since + STAGGER)),
            Step::Failed => Some((k + 1, tokio::time::Instant::now())),
            _ => None,
        });
        // When a later step is ready, earlier ones still running get their grace, no more.
        let ready = steps.iter().position(|s| matches!(s, Step::Connected(_)));
        let grace_due = ready.and_then(|r| {
            steps[..r]
                .iter()
                .filter_map(|s| match s {
                    Step::Running(since, _) => Some(*since + PREFERRED_GRACE),
                    _ => None,
                })
                .min()
        });
        let wake_at = match (next_due.map(|(_, at)| at), grace_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
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
                match result {
                    Ok(session) => steps[i] = Step::Connected(Box::new(session)),
                    Err(e) => {
                        on_event(ConnectEvent::Failed { transport: order[i], reason: e.to_string() });
                        steps[i] = Step::Failed;
                        let not_found = e.kind == ErrorKind::NotFound;
                        last_err = Some(e);
                        if not_found {
                            // The stream does not exist: no other transport will find it.
                            running.abort_all();
                            break;
                        }
                    }
                }
            }
            _ = wake => {
                let now = tokio::time::Instant::now();
                if let Some(r) = ready {
                    for i in 0..r {
                        if let Step::Running(since, handle) = &steps[i]
                            && now >= *since + PREFERRED_GRACE
                        {
                            handle.abort();
                            on_event(ConnectEvent::Failed {
                                transport: order[i],
                                reason: format!(
                                    "no media within {:.1} s while {} was ready",
                                    PREFERRED_GRACE.as_secs_f64(),
                                    order[r]
                                ),
                            });
                            steps[i] = Step::Failed;
                        }
                    }
                }
                if let Some((k, at)) = next_due
                    && now >= at
                    && matches!(steps[k], Step::NotStarted)
                {
                    start_step(k, &mut steps, &mut running, on_event);
                }
            }
        }
    }
    Err(match last_err {
        Some(e) if order.len() == 1 => e,
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
}
