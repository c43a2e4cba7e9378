#!/usr/bin/env python3
"""Soak benchmark: long listening to a live stream over each of the five transports.

Not a test (it runs for half an hour by default). One `mmsplay serve --live --udp-loss P`
serves a stream; one headless player per transport (rtspu, rtspt, mmsu, mmst, mmsh) plays it
at the same time. The server is killed and restarted on the same ports RESTARTS times, evenly
spread. At the end it prints, per transport:

- stalls beyond the reconnects (target 0): runs of 3 s or more in which the player's position
  did not move, other than while the server was down or the player was reconnecting;
- reconnect attempts the player made (a restart costs one to three, by the backoff);
- RSS at start (after a minute's warm-up, or a tenth of the run when shorter) and at the end,
  in kB (target: flat within 1 MB);
- open file descriptors at start and end (target: equal).

    python3 tests/tools/soak.py                  # 30 minutes, release build
    python3 tests/tools/soak.py --minutes 3 --bin target/debug/mmsplay

The binary is copied first, so rebuilding while the soak runs changes nothing in it.
Standard library only; Linux (/proc) only.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TRANSPORTS = ["rtspu", "rtspt", "mmsu", "mmst", "mmsh"]
# A position that does not move for this long is a stall.
STALL_SECONDS = 3
# After a restart, or a reconnect event, this long is the reconnect's, not a stall.
RECONNECT_GRACE = 20.0


def free_port():
    """A TCP port free now that is also free for UDP (RTSP and MMS use both numbers)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    sys.exit("soak: no free port")


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Server:
    def __init__(self, binary, media, ports, loss, log_dir):
        self.binary, self.media, self.ports, self.loss = binary, media, ports, loss
        self.log_dir = log_dir
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        out = open(os.path.join(self.log_dir, f"server-{self.starts}.jsonl"), "w")
        err = open(os.path.join(self.log_dir, f"server-{self.starts}.log"), "w")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--live", "--udp-loss", str(self.loss), "--seed", "7",
             "--rtsp-port", str(self.ports["rtsp"]), "--mms-port", str(self.ports["mms"]),
             "--http-port", str(self.ports["http"]), self.media],
            stdout=out, stderr=err)
        # Bounded wait for the listening line.
        deadline = time.time() + 30
        path = out.name
        while time.time() < deadline:
            with open(path) as f:
                if '"listening"' in f.read():
                    return
            if self.proc.poll() is not None:
                sys.exit(f"soak: the server exited at start (see {err.name})")
            time.sleep(0.1)
        sys.exit("soak: the server did not start listening within 30 s")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Player:
    def __init__(self, binary, transport, url, log_dir):
        self.transport = transport
        self.events_path = os.path.join(log_dir, f"{transport}.jsonl")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--events", "json", "--output", "null",
             "--log-file", os.path.join(log_dir, f"{transport}.log"), url],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lock = threading.Lock()
        # (wall time, position_ms) of each stats event; wall times of reconnect events.
        self.positions = []
        self.reconnects = []
        self.ended = None
        self.rss = []
        self.fds = []
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        with open(self.events_path, "w") as log:
            for line in self.proc.stdout:
                log.write(line)
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                now = time.time()
                with self.lock:
                    kind = e.get("event")
                    if kind == "stats":
                        self.positions.append((now, e.get("position_ms", 0)))
                    elif kind == "reconnect":
                        self.reconnects.append(now)
                    elif kind in ("end", "error") and self.ended is None:
                        self.ended = (now, kind, e.get("reason") or e.get("message"))

    def sample(self):
        self.rss.append(rss_kb(self.proc.pid))
        self.fds.append(fd_count(self.proc.pid))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(timeout=10)

    def stalls(self, excused):
        """Runs of STALL_SECONDS or more without progress, outside the excused windows."""
        with self.lock:
            pos = list(self.positions)
            windows = list(excused) + [(t - 2.0, t + RECONNECT_GRACE) for t in self.reconnects]
        stalls, run_start = [], None
        for (t0, p0), (t1, p1) in zip(pos, pos[1:]):
            if p1 <= p0:
                if run_start is None:
                    run_start = t0
            elif run_start is not None:
                stalls.append((run_start, t0))
                run_start = None
        if run_start is not None and pos:
            stalls.append((run_start, pos[-1][0]))
        out = []
        for a, b in stalls:
            if b - a < STALL_SECONDS:
                continue
            if any(w0 <= a and b <= w1 for w0, w1 in windows):
                continue
            out.append((a, b))
        return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="length of the run (default 30)")
    ap.add_argument("--restarts", type=int, default=2, help="server restarts (default 2)")
    ap.add_argument("--loss", type=float, default=0.02, help="UDP loss fraction (default 0.02)")
    ap.add_argument("--bin", default=os.path.join(repo, "target/release/mmsplay"),
                    help="the mmsplay binary (default target/release/mmsplay)")
    ap.add_argument("--media", default=os.path.join(repo, "assets/demo.wma"),
                    help="the file served live (default assets/demo.wma)")
    ap.add_argument("--transports", default=",".join(TRANSPORTS))
    ap.add_argument("--keep", action="store_true", help="keep the logs directory")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"soak: {a.bin} not found (cargo build --release, or pass --bin)")
    work = tempfile.mkdtemp(prefix="mmsplay-soak-")
    binary = os.path.join(work, "mmsplay")
    shutil.copy2(a.bin, binary)
    media = os.path.join(work, os.path.basename(a.media))
    shutil.copy2(a.media, media)
    name = os.path.basename(media)
    ports = {"rtsp": free_port(), "mms": free_port(), "http": free_port()}
    port_of = {"rtspu": "rtsp", "rtspt": "rtsp", "mmsu": "mms", "mmst": "mms", "mmsh": "http"}
    server = Server(binary, media, ports, a.loss, work)
    server.start()
    total = a.minutes * 60.0
    warmup = min(60.0, total / 10.0)
    started = time.time()
    players = [Player(binary, t, f"{t}://127.0.0.1:{ports[port_of[t]]}/{name}", work)
               for t in a.transports.split(",")]
    restart_at = [started + total * (i + 1) / (a.restarts + 1) for i in range(a.restarts)]
    excused = []  # (from, to) wall times the server was down, plus the reconnect grace
    sampled_start = False
    print(f"soak: {a.minutes:g} min, {len(players)} transports, {a.loss:.0%} UDP loss, "
          f"{a.restarts} server restarts; logs in {work}", flush=True)
    while time.time() - started < total:
        time.sleep(1.0)
        now = time.time()
        if not sampled_start and now - started >= warmup:
            for p in players:
                p.sample()
            sampled_start = True
        if restart_at and now >= restart_at[0]:
            restart_at.pop(0)
            down = time.time()
            server.kill()
            time.sleep(1.0)
            server.start()
            excused.append((down - 2.0, time.time() + RECONNECT_GRACE))
            print(f"soak: server restarted at {now - started:.0f} s", flush=True)
    for p in players:
        p.sample()
    stopping = time.time()
    for p in players:
        p.stop()
    server.kill()

    print(f"{'transport':<10}{'stalls':>7}{'reconnects':>11}{'rss_start_kB':>14}"
          f"{'rss_end_kB':>12}{'rss_delta_kB':>14}{'fds_start':>10}{'fds_end':>9}  ended")
    ok = True
    for p in players:
        stalls = p.stalls(excused)
        r0, r1 = (p.rss + [None, None])[:2]
        f0, f1 = (p.fds + [None, None])[:2]
        delta = (r1 - r0) if r0 is not None and r1 is not None else None
        # Only an end before the soak stopped the players counts.
        early = p.ended if p.ended is not None and p.ended[0] < stopping else None
        ended = "no" if early is None else f"{early[1]} {early[2]} at " \
            f"{early[0] - started:.0f} s"
        print(f"{p.transport:<10}{len(stalls):>7}{len(p.reconnects):>11}{r0!s:>14}{r1!s:>12}"
              f"{delta!s:>14}{f0!s:>10}{f1!s:>9}  {ended}")
        for s0, s1 in stalls:
            print(f"    stall from {s0 - started:.0f} s to {s1 - started:.0f} s")
        if stalls or early is not None or delta is None or abs(delta) > 1024 or f0 != f1:
            ok = False
    print("soak: " + ("all targets met" if ok else "some targets missed"), flush=True)
    if not a.keep and ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"soak: logs kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
