//! Protocol rollover: trying transports in Windows Media Player's order until one delivers
//! media. The plan is pure (which step comes next); the driver runs it with per-step deadlines.

use std::time::Duration;

use crate::Transport;
use crate::error::{ErrorKind, NetError, Result};
use crate::session::{ConnectOptions, Session};
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

/// Runs the plan: each step in turn, until one connects.
pub async fn connect(
    url: &StreamUrl,
    mut plan: RolloverPlan,
    opts: &ConnectOptions,
    on_event: &mut (dyn FnMut(ConnectEvent) + Send),
) -> Result<Session> {
    let mut last_kind = None;
    let mut last_err: Option<NetError> = None;
    while let Some(t) = plan.next(last_kind) {
        on_event(ConnectEvent::Attempt {
            transport: t,
            url: url.for_transport(t, &opts.ports),
        });
        let mut step = opts.clone();
        step.connect_timeout = opts.connect_timeout.min(STEP_TIMEOUT);
        match Session::open(url, t, &step).await {
            Ok(s) => {
                on_event(ConnectEvent::Connected { transport: t });
                return Ok(s);
            }
            Err(e) => {
                on_event(ConnectEvent::Failed {
                    transport: t,
                    reason: e.to_string(),
                });
                last_kind = Some(e.kind);
                last_err = Some(e);
            }
        }
    }
    Err(match last_err {
        Some(e) if plan.steps().len() == 1 => e,
        Some(e) => NetError::new(e.kind, format!("every transport failed (last: {e})")),
        None => NetError::unsupported("no transport to try"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
