//! The MMSH side of the server ([MS-WMSP] 3.2): answers Describe with the ASF header and Play
//! with `$H $D… $E`, on demand or as a looping broadcast, the way Windows Media Services does
//! so that ffmpeg, VLC and libmms accept it (protocols.md 6.3 and 6A.3):
//! `Server: Cougar/9.01.01.3814`, `application/vnd.ms.wms-hdr.asfv1` for Describe and
//! `application/x-mms-framed` for Play, `features="seekable,stridable"` or `"broadcast"`, one
//! `$H` with AFFlags 0x0C, `$D` with PacketLength == PacketSize, `$M` only to clients of
//! version 9 and later (ffmpeg, libmms and VLC say 4.1 and 7.10 and abort on it), never `$P` or
//! `$T`, Content-Length *and* close after a Describe (libmms waits for the close). Data packets go out whole, padding included: [MS-WMSP] 2.2.3.3 says padding
//! SHOULD be stripped, but every client tested accepts padded packets, and with them libmms
//! rebuilds the served file byte for byte (protocols.md, correction 2).
//!
//! Each connection is its own task; request heads are bounded, reads and writes have
//! deadlines, and whatever a client sends only ends its own connection.

mod live;
mod sink;

pub use live::broadcast_header;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mmsplay_net::Transport;
use mmsplay_net::auth::Verdict;
use mmsplay_net::mmsh::chunk::{
    ChunkKind, encode_header_chunks, encode_mms_chunk, encode_packet_pair_chunks,
    encode_reason_chunk,
};
use mmsplay_net::mmsh::http::MAX_HEAD_LEN;
use mmsplay_net::mmsh::stream::EOS_ENTRY_DONE;
use mmsplay_net::mmsh::{RequestKind, ServerRequest, StartAt, parse_request_head};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

use crate::clients::Arrival;
use crate::media::Media;
use crate::pacing::Pacer;
use crate::record::SessionRecord;
use crate::thinning::StreamFilter;
use crate::{ServerContext, ServerError};
use sink::Sink;

/// What Windows Media Services 9 calls itself; accepted by ffmpeg, VLC and libmms.
pub const SERVER_NAME: &str = "Cougar/9.01.01.3814";
/// How long a client may take to send a request head.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a blackholed connection is held before we let go of it.
const BLACKHOLE_HOLD: Duration = Duration::from_secs(300);
/// Largest request body (Log, SendEvent POSTs) we read and discard.
const MAX_REQUEST_BODY: u64 = 64 * 1024;
/// Most requests on one keep-alive connection.
const MAX_REQUESTS_PER_CONNECTION: usize = 32;

/// The stream selections of the Plays under way, by the client-id their response gave, so
/// that a SelectStream on another connection ([MS-WMSP] 3.2.5.7) reaches its Play.
#[derive(Default)]
struct Selections(Mutex<HashMap<u32, Arc<Mutex<StreamFilter>>>>);

impl Selections {
    fn register(&self, client_id: u32, filter: Arc<Mutex<StreamFilter>>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(client_id, filter);
        }
    }

    fn unregister(&self, client_id: u32) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&client_id);
        }
    }

    fn find(&self, client_id: u32) -> Option<Arc<Mutex<StreamFilter>>> {
        self.0.lock().ok()?.get(&client_id).cloned()
    }
}

/// Accepts connections until the runtime stops.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    // The broadcast clock: every live stream has been "on the air" since the server started.
    let epoch = Instant::now();
    let selections = Arc::new(Selections::default());
    crate::accept::accept_each(listener, &ctx, "mmsh", |sock, peer, arrival| {
        let ctx = ctx.clone();
        let selections = selections.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(sock, peer, arrival, &ctx, (epoch, &selections)).await {
                tracing::debug!("mmsh connection: {e}");
            }
        });
    })
    .await;
}

/// One connection: one request (HTTP/1.0), or several on a keep-alive connection.
async fn handle(
    sock: TcpStream,
    peer: SocketAddr,
    mut arrival: Arrival,
    ctx: &ServerContext,
    (epoch, selections): (Instant, &Selections),
) -> Result<(), ServerError> {
    let _ = sock.set_nodelay(true);
    if ctx.faults.blackholes(Transport::Mmsh) {
        blackhole(sock).await;
        ctx.session_end(&SessionRecord::new(Transport::Mmsh, Some(peer)));
        return Ok(());
    }
    let mut sink = Sink::new(sock, ctx.queue);
    let mut buf: Vec<u8> = Vec::new();
    let mut stop = ctx.shutdown.subscribe();
    for n in 0..MAX_REQUESTS_PER_CONNECTION {
        // The first request is the handshake, with its own (usually shorter) deadline.
        let limit = if n == 0 {
            ctx.handshake_timeout
        } else {
            REQUEST_TIMEOUT
        };
        let head = tokio::select! {
            h = read_head(&mut sink, &mut buf, limit) => h?,
            _ = crate::stopping(&mut stop) => None,
        };
        let Some(head) = head else {
            return Ok(());
        };
        if arrival.admit().is_err() {
            sink.busy().await;
            return Ok(());
        }
        if ctx.faults.refuses(Transport::Mmsh) {
            sink.simple(503, "Service Unavailable").await;
            return Ok(());
        }
        let req = ServerRequest::from_head(&head);
        // Discard a request body (POSTs), bounded.
        if let Some(len) = head
            .headers
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            if len > MAX_REQUEST_BODY {
                sink.simple(413, "Request Entity Too Large").await;
                return Ok(());
            }
            discard_body(&mut sink, &mut buf, len as usize).await?;
        }
        let keep_alive = head.minor == 1
            && !head
                .headers
                .all("connection")
                .any(|v| v.to_ascii_lowercase().contains("close"));
        if matches!(req.kind, RequestKind::Describe | RequestKind::Play) {
            if let Some(to) = ctx.access.redirect_for(&req.path) {
                sink.redirect(to).await;
                return Ok(());
            }
            let verdict = ctx.access.check(
                &head.method,
                &head.target,
                head.headers.get("authorization"),
            );
            if verdict != Verdict::Allowed {
                sink.unauthorized(&ctx.access.challenges(verdict)).await;
                return Ok(());
            }
        }
        match req.kind {
            RequestKind::Describe => {
                let Some(media) = ctx.library.find(&req.path) else {
                    sink.simple(404, "Not Found").await;
                    return Ok(());
                };
                // Content-Length and close: libmms waits for the close (protocols.md 4.3).
                // A pipelined-mode client keeps the connection for its Play.
                let keep = req.pipelined && keep_alive;
                describe(&mut sink, ctx, &media, &req, keep).await?;
                if !keep {
                    return Ok(());
                }
            }
            RequestKind::Play => {
                let Some(media) = ctx.library.find(&req.path) else {
                    sink.simple(404, "Not Found").await;
                    return Ok(());
                };
                let mut record = SessionRecord::new(Transport::Mmsh, Some(peer));
                record.set_user_agent(&req.user_agent);
                record.path = req.path.clone();
                let client_id = new_client_id();
                let filter = Arc::new(Mutex::new(StreamFilter::default()));
                selections.register(client_id, filter.clone());
                let play = Play {
                    client_id,
                    filter,
                    epoch,
                };
                let result = stream(&mut sink, ctx, &media, &req, &play, &mut record).await;
                selections.unregister(client_id);
                ctx.session_end(&record);
                result?;
                if !req.pipelined || !keep_alive {
                    return Ok(());
                }
            }
            RequestKind::OtherPost if !req.stream_switches().is_empty() => {
                // SelectStream (non-pipelined: a POST on its own connection naming the Play
                // by client-id): the Play's next packets follow the new selection.
                let play = req
                    .pragmas
                    .number("client-id")
                    .and_then(|id| selections.find(u32::try_from(id).ok()?));
                let Some(filter) = play else {
                    sink.simple(404, "Not Found").await;
                    return Ok(());
                };
                if let (Some(media), Ok(mut f)) = (ctx.library.find(&req.path), filter.lock()) {
                    let entries = req.stream_switches().into_iter();
                    f.switch(
                        &media.header,
                        entries.map(|e| (e.dst, u16::from(e.thinning))),
                    );
                }
                sink.empty_ok(keep_alive).await?;
                if !keep_alive {
                    return Ok(());
                }
            }
            RequestKind::KeepAlive | RequestKind::Stop | RequestKind::OtherPost => {
                sink.empty_ok(keep_alive).await?;
                if !keep_alive {
                    return Ok(());
                }
            }
            RequestKind::Unsupported => {
                sink.simple(405, "Method Not Allowed").await;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads a request head (bounded in size and time). `None`: the client closed cleanly.
async fn read_head(
    sink: &mut Sink,
    buf: &mut Vec<u8>,
    limit: Duration,
) -> Result<Option<mmsplay_net::mmsh::RequestHead>, ServerError> {
    let deadline = Instant::now() + limit;
    loop {
        match parse_request_head(buf) {
            Ok(Some((head, used))) => {
                buf.drain(..used);
                return Ok(Some(head));
            }
            Ok(None) => {}
            Err(e) => {
                sink.simple(400, "Bad Request").await;
                return Err(ServerError::Usage(format!("mmsh: {e}")));
            }
        }
        let mut chunk = [0u8; 4096];
        let n = match tokio::time::timeout_at(deadline, sink.sock().read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) => return Ok(None),
            Err(_) => {
                sink.simple(408, "Request Timeout").await;
                return Ok(None);
            }
        };
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_HEAD_LEN + 4096 {
            sink.simple(431, "Request Header Fields Too Large").await;
            return Ok(None);
        }
    }
}

async fn discard_body(
    sink: &mut Sink,
    buf: &mut Vec<u8>,
    mut len: usize,
) -> Result<(), ServerError> {
    let have = buf.len().min(len);
    buf.drain(..have);
    len -= have;
    let mut chunk = [0u8; 4096];
    while len > 0 {
        let n = match timeout(REQUEST_TIMEOUT, sink.sock().read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return Err(ServerError::Usage("mmsh: request body cut short".into())),
        };
        let used = n.min(len);
        len -= used;
        buf.extend_from_slice(&chunk[used..n]);
    }
    Ok(())
}

/// Accepts and never answers: read and drop whatever comes until the client gives up.
async fn blackhole(mut sock: TcpStream) {
    let mut chunk = [0u8; 4096];
    let _ = timeout(BLACKHOLE_HOLD, async {
        while let Ok(n) = sock.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// A client-id for a response ([MS-WMSP] 2.2.1.4.5): a positive 31-bit number.
fn new_client_id() -> u32 {
    rand::random::<u32>() & 0x7FFF_FFFF
}

/// The response head lines both requests share ([MS-WMSP] 2.2.2.1, 2.2.2.6).
fn common_headers(ctx_live: bool, content_type: &str, client_id: u32) -> String {
    let features = if ctx_live {
        "\"broadcast\""
    } else {
        "\"seekable,stridable\""
    };
    format!(
        "Content-Type: {content_type}\r\nServer: {SERVER_NAME}\r\nCache-Control: no-cache\r\nPragma: no-cache,client-id={client_id},features={features},timeout=60000\r\n"
    )
}

/// The `$M` packet for clients of version 9 and later, empty for others
/// ([MS-WMSP] 2.2.3.6, 3.2.5.1): playlist-gen-id, broadcast-id, features, NUL, no CDL.
fn metadata_chunk(live: bool, req: &ServerRequest) -> Vec<u8> {
    if !req.wants_metadata() {
        return Vec::new();
    }
    let (broadcast_id, features) = if live {
        (1, "\"broadcast\"")
    } else {
        (0, "\"seekable,stridable\"")
    };
    let mut payload =
        format!("playlist-gen-id=1, broadcast-id={broadcast_id}, features={features}").into_bytes();
    payload.push(0);
    encode_mms_chunk(ChunkKind::Meta, 0, 0, 0x0C, &payload).unwrap_or_default()
}

fn header_for(ctx: &ServerContext, media: &Media) -> bytes::Bytes {
    if ctx.live && media.relay.is_none() {
        live::broadcast_header(&media.header_bytes)
    } else {
        media.header_bytes.clone()
    }
}

async fn describe(
    sink: &mut Sink,
    ctx: &ServerContext,
    media: &Media,
    req: &ServerRequest,
    keep_alive: bool,
) -> Result<(), ServerError> {
    let mut body = metadata_chunk(ctx.is_live(media), req);
    body.extend(encode_header_chunks(&header_for(ctx, media)));
    let (version, conn) = if keep_alive {
        ("1.1", "Keep-Alive")
    } else {
        ("1.0", "close")
    };
    // A packet-pair experiment ([MS-WMSP] 2.2.1.4.14, 2.2.3.7): three `$P` before the rest,
    // whose total length does not depend on the head's (only their split does).
    let pair = req.pragmas.flag("packet-pair-experiment");
    let pair_len = if pair {
        encode_packet_pair_chunks(0, 1).len()
    } else {
        0
    };
    let head = format!(
        "HTTP/{version} 200 OK\r\n{}{}Content-Length: {}\r\nConnection: {conn}\r\n\r\n",
        common_headers(
            ctx.is_live(media),
            "application/vnd.ms.wms-hdr.asfv1",
            new_client_id()
        ),
        if pair {
            "Pragma: packet-pair-experiment=1\r\n"
        } else {
            ""
        },
        pair_len + body.len()
    );
    sink.raw(head.as_bytes()).await?;
    if pair {
        // Back to back in one write, so the pair leaves the server together.
        let pairs = encode_packet_pair_chunks(head.len(), rand::random());
        sink.raw(&pairs).await?;
    }
    sink.raw(&body).await?;
    sink.flush().await
}

/// One Play: the client-id its response gives, the streams selected (shared with
/// SelectStream requests), and the broadcast clock.
struct Play {
    client_id: u32,
    filter: Arc<Mutex<StreamFilter>>,
    epoch: Instant,
}

/// The Play response ([MS-WMSP] 2.2.2.6): head, [`$M`] `$H`, the data, `$E` (on demand).
async fn stream(
    sink: &mut Sink,
    ctx: &ServerContext,
    media: &Media,
    req: &ServerRequest,
    play: &Play,
    record: &mut SessionRecord,
) -> Result<(), ServerError> {
    let epoch = play.epoch;
    let n = media.packets.len();
    let head = if req.pipelined {
        format!(
            "HTTP/1.1 200 OK\r\n{}Transfer-Encoding: chunked\r\nConnection: Keep-Alive\r\n\r\n",
            common_headers(
                ctx.is_live(media),
                "application/x-mms-framed",
                play.client_id
            )
        )
    } else {
        format!(
            "HTTP/1.0 200 OK\r\n{}Connection: close\r\n\r\n",
            common_headers(
                ctx.is_live(media),
                "application/x-mms-framed",
                play.client_id
            )
        )
    };
    sink.raw(head.as_bytes()).await?;
    sink.set_chunked(req.pipelined);
    let mut first = metadata_chunk(ctx.is_live(media), req);
    first.extend(encode_header_chunks(&header_for(ctx, media)));
    sink.body(&first).await?;
    // The streams the client selected ([MS-WMSP] 2.2.1.4.27); the others are thinned out.
    if let Ok(mut f) = play.filter.lock() {
        let entries = req.stream_switches().into_iter();
        f.switch(
            &media.header,
            entries.map(|e| (e.dst, u16::from(e.thinning))),
        );
    }
    let mut out = Outgoing {
        filter: play.filter.clone(),
        location: 0,
        packet_size: media.packet_size,
    };
    let r = if let Some(relay) = media.relay() {
        send_relay(sink, ctx, &relay, media, record, &mut out).await
    } else if n == 0 {
        end_of_stream(sink).await
    } else if ctx.live {
        send_live(sink, ctx, media, epoch, record, &mut out).await
    } else {
        let start = start_index(media, req);
        out.location = start as u32;
        match send_on_demand(
            sink,
            ctx,
            media,
            start,
            req.acceleration(),
            record,
            &mut out,
        )
        .await
        {
            Ok(()) => match send_later_entries(sink, ctx, media, req, record, &mut out).await {
                Ok(()) => end_of_stream(sink).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    };
    if let Ok(f) = out.filter.lock() {
        record.streams = f.sent(&media.header);
    }
    r
}

/// A server-side playlist: each later entry after `$E` (reason 1), `$C`, [`$M`] and its `$H`,
/// from its start, every stream of it (the client's selection named the first entry's
/// streams), its LocationIds from 0.
async fn send_later_entries(
    sink: &mut Sink,
    ctx: &ServerContext,
    media: &Media,
    req: &ServerRequest,
    record: &mut SessionRecord,
    out: &mut Outgoing,
) -> Result<(), ServerError> {
    for entry in crate::playlist::entries(media).skip(1) {
        if *ctx.shutdown.borrow() {
            break;
        }
        let mut change = encode_reason_chunk(ChunkKind::End, EOS_ENTRY_DONE).to_vec();
        change.extend(encode_reason_chunk(ChunkKind::Change, 0));
        change.extend(metadata_chunk(false, req));
        change.extend(encode_header_chunks(&entry.header_bytes));
        sink.body(&change).await?;
        if let Ok(mut f) = out.filter.lock() {
            *f = StreamFilter::default();
        }
        out.location = 0;
        out.packet_size = entry.packet_size;
        // The client's buffer is already ahead: later entries go in real time.
        send_on_demand(sink, ctx, entry, 0, None, record, out).await?;
    }
    Ok(())
}

/// How a Play's data packets go out: thinned to the selected streams, numbered in the order
/// sent (LocationId counts the packets a client gets, so a thinned stream shows no gaps).
struct Outgoing {
    filter: Arc<Mutex<StreamFilter>>,
    location: u32,
    packet_size: u32,
}

impl Outgoing {
    /// Queues the `$D` chunk of what the client selected of `packet` (nothing when none of
    /// it is), the packet itself shared, not copied, when nothing needs leaving out.
    fn queue(
        &mut self,
        sink: &mut Sink,
        packet: &bytes::Bytes,
        record: &mut SessionRecord,
    ) -> Result<(), ServerError> {
        let kept = match self.filter.lock() {
            Ok(mut f) => f.apply(packet, self.packet_size),
            Err(_) => Some(packet.clone()),
        };
        let Some(packet) = kept else {
            return Ok(());
        };
        // AFFlags = sequence from 0 ([MS-WMSP] 2.2.3.1.2).
        sink.data(self.location, record.packets_sent as u8, &packet)?;
        record.sent(packet.len());
        self.location = self.location.wrapping_add(1);
        Ok(())
    }
}

/// Broadcast: join where the broadcast is now and loop for ever on one continuous timeline,
/// LocationIds counting on as if through one endless virtual file ([MS-WMSP] 2.2.3.1.2).
/// Ends only when the client goes away.
async fn send_live(
    sink: &mut Sink,
    ctx: &ServerContext,
    media: &Media,
    epoch: Instant,
    record: &mut SessionRecord,
    out: &mut Outgoing,
) -> Result<(), ServerError> {
    let n = media.packets.len();
    let clock = live::LiveClock::new(media);
    let mut i = clock.packet_now(epoch.elapsed());
    record.playing(media, i);
    let mut loops = 0u64;
    out.location = i as u32;
    let first_ms = u64::from(media.send_times_ms[i]);
    let preroll = media.header.file.preroll_ms;
    let pacer = Pacer::new(ctx.fast, first_ms, preroll).batched(media);
    let mut stop = ctx.shutdown.subscribe();
    loop {
        tokio::select! {
            r = sink.until_due(&pacer, clock.timeline_ms(i, loops)) => r?,
            _ = crate::stopping(&mut stop) => return end_of_stream(sink).await,
        }
        out.queue(sink, &media.packets[i], record)?;
        i += 1;
        if i == n {
            i = 0;
            loops += 1;
        }
    }
}

/// A relay: its packets as they come, until the relay ends, the client stops reading (its
/// queue overflows) or the server shuts down.
async fn send_relay(
    sink: &mut Sink,
    ctx: &ServerContext,
    relay: &crate::relay::Relay,
    media: &Media,
    record: &mut SessionRecord,
    out: &mut Outgoing,
) -> Result<(), ServerError> {
    use crate::relay::Next;
    let Some(mut feed) = relay.subscribe() else {
        return end_of_stream(sink).await;
    };
    record.playing(media, 0);
    let mut stop = ctx.shutdown.subscribe();
    loop {
        // Once a tick: what the relay sent since, in one write.
        tokio::select! {
            _ = crate::tick::next() => {}
            _ = crate::stopping(&mut stop) => return end_of_stream(sink).await,
        }
        // Still a whole queue behind since the last tick: dropped.
        sink.write_queued()?;
        sink.check_queue()?;
        loop {
            let packet = match feed.try_next() {
                None => break,
                Some(Next::Packet(p)) => p,
                Some(Next::End) => return end_of_stream(sink).await,
                Some(Next::TooSlow) => {
                    return Err(ServerError::Usage("mmsh: client too slow, dropped".into()));
                }
            };
            out.queue(sink, &packet, record)?;
        }
        sink.write_queued()?;
    }
}

/// Ends a Play body: the End-of-Stream packet, then the end of the body.
async fn end_of_stream(sink: &mut Sink) -> Result<(), ServerError> {
    sink.body(&encode_reason_chunk(ChunkKind::End, 0)).await?;
    sink.finish().await
}

/// On demand: packets `start..` paced by their send times, the first stretch faster when the
/// client asked for fast start.
async fn send_on_demand(
    sink: &mut Sink,
    ctx: &ServerContext,
    media: &Media,
    start: usize,
    accelerate: Option<mmsplay_net::Acceleration>,
    record: &mut SessionRecord,
    out: &mut Outgoing,
) -> Result<(), ServerError> {
    record.playing(media, start);
    let times = &media.send_times_ms;
    let Some(first) = times.get(start) else {
        return Ok(());
    };
    let pacer = Pacer::new(ctx.fast, u64::from(*first), 0)
        .accelerated(accelerate, media.header.file.max_bitrate)
        .batched(media);
    let mut stop = ctx.shutdown.subscribe();
    for (i, packet) in media.packets.iter().enumerate().skip(start) {
        tokio::select! {
            biased;
            _ = crate::stopping(&mut stop) => return Ok(()),
            r = sink.until_due(&pacer, u64::from(times[i])) => r?,
        }
        out.queue(sink, packet, record)?;
    }
    Ok(())
}

/// The first packet a Play asks for ([MS-WMSP] 3.2.5.6 precedence), clamped to the file.
fn start_index(media: &Media, req: &ServerRequest) -> usize {
    let n = media.packets.len();
    let idx = match req.start_at() {
        StartAt::Beginning => 0,
        StartAt::TimeMs(ms) => media.packet_at_ms(ms),
        StartAt::Packet(p) => usize::try_from(p).unwrap_or(n),
        StartAt::Offset(off) => {
            // The spec counts from the start of the file, VLC from the first data packet
            // (protocols.md 6.3): take a packet boundary of the file if it is one, else VLC's.
            let size = u64::from(media.packet_size.max(1));
            let data_at = media.header_bytes.len() as u64;
            let idx = if off >= data_at && (off - data_at).is_multiple_of(size) {
                (off - data_at) / size
            } else {
                off / size
            };
            usize::try_from(idx).unwrap_or(n)
        }
    };
    idx.min(n)
}
