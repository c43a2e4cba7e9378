//! Live relays: a source on standard input (`ffmpeg ... -f asf -`) and at a URL (another
//! `mmsplay serve`), relayed on all five transports with the source's packets unchanged but
//! for their times; a source that drops and comes back keeps its listeners; relays chain.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mmsplay_net::{AsfEvent, Session, Transport};
use mmsplay_server::ServerOptions;
use mmsplay_server::relay::Source;

use super::{FILE, Running, TRANSPORTS, client_options, next_event};
use crate::common::{ServeProcess, asset, have_tool};

/// The next `n` data packets of a session (a repeated header is allowed, an end is not).
async fn collect(s: &mut Session, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while out.len() < n {
        match next_event(s).await {
            AsfEvent::Packet(p) => out.push(p.to_vec()),
            AsfEvent::End => panic!("the relay ended after {} packets", out.len()),
            _ => {}
        }
    }
    out
}

/// Whether `p` is one of `source`'s packets with its times moved (a live loop or a relay's
/// timeline moves them; nothing else may differ).
fn is_source_packet(p: &[u8], source: &[Vec<u8>]) -> bool {
    let Some(got) = mmsplay_asf::timing::time_fields(p) else {
        return false;
    };
    source.iter().any(|s| {
        let Some(want) = mmsplay_asf::timing::time_fields(s) else {
            return false;
        };
        let mut moved = p.to_vec();
        let delta = i64::from(want.send_time_ms) - i64::from(got.send_time_ms);
        mmsplay_asf::timing::shift_times(&mut moved, delta) && moved == *s
    })
}

/// The packets of an ASF byte stream (header, Data Object prefix, fixed-size packets).
fn split_stream(bytes: &[u8]) -> Vec<Vec<u8>> {
    let len = mmsplay_asf::header_object_len(bytes).unwrap();
    let size = mmsplay_asf::parse_header(&bytes[..len])
        .unwrap()
        .packet_size() as usize;
    bytes[len + 50..]
        .chunks_exact(size)
        .map(<[u8]>::to_vec)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encoder_on_stdin_is_relayed_on_every_transport() {
    if !have_tool("ffmpeg") {
        return;
    }
    // What `ffmpeg ... -f asf -` writes to a pipe: 100 ms packets of 64 kb/s WMA.
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("aevalsrc=0.5*sin(2*PI*(200*t+90*t*t)):s=44100:d=8")
        .args([
            "-c:a",
            "wmav2",
            "-b:a",
            "64k",
            "-packet_size",
            "800",
            "-f",
            "asf",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stream = out.stdout;
    let source = split_stream(&stream);
    let (_server, ports) = super::stdin_relay(stream, &[]);
    let port = |k: &str| ports[k].as_u64().unwrap();
    // The relay is served once the source's header is in.
    let mut up = false;
    for _ in 0..200 {
        up = super::wire::mmsh_describe(port("http") as u16, "/radio").await == 200;
        if up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(up, "the relay never came up");
    let mut listeners = Vec::new();
    for t in TRANSPORTS {
        let p = match t {
            Transport::Rtspu | Transport::Rtspt => port("rtsp"),
            Transport::Mmsu | Transport::Mmst => port("mms"),
            _ => port("http"),
        };
        let url = mmsplay_net::StreamUrl::parse(&format!("{}://127.0.0.1:{p}/radio", t.as_str()))
            .unwrap();
        let source = source.clone();
        listeners.push(tokio::spawn(async move {
            let mut s = Session::open(&url, t, &client_options())
                .await
                .unwrap_or_else(|e| panic!("{t:?}: {e}"));
            let got = collect(&mut s, 12).await;
            s.close().await;
            // The first source connection's packets go out exactly as they came.
            let first = source.iter().position(|p| *p == got[0]);
            let first = first.unwrap_or_else(|| panic!("{t:?}: a packet not from the source"));
            assert_eq!(got[..], source[first..first + got.len()], "{t:?}");
        }));
    }
    for l in listeners {
        l.await.unwrap();
    }
}

/// A relay of `url` in this process.
async fn relay_of(name: &str, url: String) -> Running {
    Running::start(ServerOptions {
        relays: vec![(name.to_string(), Source::Url(url))],
        ..ServerOptions::default()
    })
    .await
}

/// Waits (bounded) until the relay has its source's header.
async fn until_up(srv: &Running, name: &str) {
    for _ in 0..200 {
        if super::wire::mmsh_describe(srv.server.bound.http.port(), &format!("/{name}")).await
            == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("relay {name} never came up");
}

/// A listener reading on a task of its own (a client not read from for a while takes its
/// source for dead), keeping what arrives.
struct Listener {
    what: String,
    packets: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Why the session ended, if it did.
    ended: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    fn spawn(srv: &Running, t: Transport, name: &str) -> Listener {
        let url = srv.url(t, name);
        let packets = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(Mutex::new(None));
        let (p, e) = (packets.clone(), ended.clone());
        let task = tokio::spawn(async move {
            let mut s = match Session::open(&url, t, &client_options()).await {
                Ok(s) => s,
                Err(err) => {
                    *e.lock().unwrap() = Some(format!("open: {err}"));
                    return;
                }
            };
            loop {
                match s.next_event().await {
                    Ok(AsfEvent::Packet(pk)) => p.lock().unwrap().push(pk.to_vec()),
                    Ok(AsfEvent::End) => {
                        *e.lock().unwrap() = Some("end of stream".into());
                        return;
                    }
                    Ok(_) => {}
                    Err(err) => {
                        *e.lock().unwrap() = Some(err.to_string());
                        return;
                    }
                }
            }
        });
        Listener {
            what: format!("{t:?} /{name}"),
            packets,
            ended,
            task,
        }
    }

    fn count(&self) -> usize {
        self.packets.lock().unwrap().len()
    }

    /// Waits (bounded) until `n` packets are in; fails if the session ended.
    async fn until(&self, n: usize) {
        for _ in 0..400 {
            if let Some(why) = self.ended.lock().unwrap().clone() {
                panic!(
                    "{}: ended ({why}) after {} packets",
                    self.what,
                    self.count()
                );
            }
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: only {} packets, not {n}", self.what, self.count());
    }

    /// Every packet came from the source, and times never ran back.
    fn check(&self, source: &[Vec<u8>]) {
        let got = self.packets.lock().unwrap();
        for p in got.iter() {
            assert!(
                is_source_packet(p, source),
                "{}: not a source packet",
                self.what
            );
        }
        let times: Vec<u32> = got
            .iter()
            .map(|p| mmsplay_asf::timing::time_fields(p).unwrap().send_time_ms)
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{}: {times:?}",
            self.what
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_chain_keeps_listeners_through_a_source_restart() {
    let file = asset(FILE);
    let source = mmsplay_server::Media::load(&file).unwrap();
    let source: Vec<Vec<u8>> = source.packets.iter().map(|p| p.to_vec()).collect();
    let origin = ServeProcess::start(&[file.as_path()], &["--live"]);
    let origin_http = origin.http;
    // Origin -> first relay (over MMSH) -> second relay (over RTSP): a chain of two.
    let first = relay_of("up", format!("mmsh://127.0.0.1:{origin_http}/{FILE}")).await;
    until_up(&first, "up").await;
    let second = relay_of(
        "down",
        format!("rtsp://127.0.0.1:{}/up", first.server.bound.rtsp.port()),
    )
    .await;
    until_up(&second, "down").await;
    let mut listeners: Vec<Listener> = TRANSPORTS
        .iter()
        .map(|t| Listener::spawn(&first, *t, "up"))
        .collect();
    listeners.push(Listener::spawn(&second, Transport::Mmsh, "down"));
    for l in &listeners {
        l.until(3).await;
    }
    // The origin goes away for a second and comes back on the same port.
    drop(origin);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let _origin = tokio::task::spawn_blocking(move || {
        ServeProcess::start_on_http_port(&[asset(FILE).as_path()], origin_http, &["--live"])
    })
    .await
    .unwrap();
    // Every listener is still there and plays source packets again.
    let before: Vec<usize> = listeners.iter().map(Listener::count).collect();
    for (l, n) in listeners.iter().zip(before) {
        l.until(n + 5).await;
        l.check(&source);
    }
    for l in listeners {
        l.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_stops_reading_is_dropped_and_slows_nobody() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = super::pcm_file(dir.path(), 3);
    let origin = ServeProcess::start(&[file.as_path()], &["--live"]);
    let relay = Running::start(ServerOptions {
        relays: vec![(
            "pcm".into(),
            Source::Url(format!("mmsh://127.0.0.1:{}/pcm.asf", origin.http)),
        )],
        queue: 16,
        ..ServerOptions::default()
    })
    .await;
    until_up(&relay, "pcm").await;
    let reader = Listener::spawn(&relay, Transport::Mmsh, "pcm");
    reader.until(2).await;
    let stuck = super::stuck_mmsh_play(relay.server.bound.http, "/pcm").await;
    // The stuck listener's session ends (dropped) while the reader plays on at full rate.
    let start = std::time::Instant::now();
    let counted = reader.count();
    let ends = relay.wait_session_ends(1).await;
    assert_eq!(ends[0]["transport"], "mmsh");
    assert!(ends[0]["packets_sent"].as_u64().unwrap() > 0, "{}", ends[0]);
    assert!(
        reader.ended.lock().unwrap().is_none(),
        "the reader was dropped too"
    );
    // 1.4 Mb/s in 4000-byte packets is 44 a second: the reader kept (nearly) that pace.
    reader.until(counted + 20).await;
    let rate = (reader.count() - counted) as f64 / start.elapsed().as_secs_f64();
    assert!(rate > 30.0, "the reader got {rate:.1} packets/s");
    reader.task.abort();
    drop(stuck);
}
