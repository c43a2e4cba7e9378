#!/usr/bin/env python3
"""Records a client/server conversation through a loopback TCP proxy and trims it to the
connect phase, for the replay tests of the sans-IO clients (rtsp/client, mmsh/client).

    record.py rtsp LISTEN_PORT SERVER_PORT OUT_PREFIX [CONNECTIONS]
    record.py mmsh LISTEN_PORT SERVER_PORT OUT_PREFIX [CONNECTIONS]

Point a client at 127.0.0.1:LISTEN_PORT; the proxy forwards to 127.0.0.1:SERVER_PORT, takes
CONNECTIONS connections (default 1 for rtsp, 2 for mmsh: Describe then Play) one after the
other, and writes:

- rtsp: OUT_PREFIX.requests and OUT_PREFIX.replies, the RTSP messages of each direction up
  to and including PLAY and its reply (interleaved `$` frames dropped);
- mmsh: OUT_PREFIX.N.request and OUT_PREFIX.N.response for connection N: the request head,
  and the response head with its body cut after the `$H` chunk and the first three `$D`
  chunks (the media itself is not the point).
"""
import socket
import sys
import threading

KEEP_DATA_CHUNKS = 3
WAIT_S = 20


def pump(src, dst, log):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            log.append(b)
            dst.sendall(b)
    except OSError:
        pass
    for s in (dst,):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def proxy(listen_port, server_port, connections):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(4)
    ls.settimeout(WAIT_S)
    out = []
    for _ in range(connections):
        c, _ = ls.accept()
        s = socket.create_connection(("127.0.0.1", server_port))
        c2s, s2c = [], []
        t1 = threading.Thread(target=pump, args=(c, s, c2s))
        t2 = threading.Thread(target=pump, args=(s, c, s2c))
        t1.start()
        t2.start()
        t1.join(WAIT_S)
        t2.join(WAIT_S)
        c.close()
        s.close()
        out.append((b"".join(c2s), b"".join(s2c)))
    return out


def rtsp_messages(data):
    """Splits an RTSP byte stream into messages, dropping `$` frames."""
    msgs = []
    i = 0
    while i < len(data):
        if data[i:i + 1] == b"$":
            if i + 4 > len(data):
                break
            i += 4 + int.from_bytes(data[i + 2:i + 4], "big")
            continue
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            break
        head = data[i:end + 4]
        length = 0
        for line in head.split(b"\r\n"):
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        msgs.append(data[i:end + 4 + length])
        i = end + 4 + length
    return msgs


def trim_rtsp(c2s, s2c, prefix):
    requests = rtsp_messages(c2s)
    n = next(i for i, m in enumerate(requests) if m.startswith(b"PLAY ")) + 1
    # Only replies (server requests such as EndOfStream come after PLAY's reply).
    replies = [m for m in rtsp_messages(s2c) if m.startswith(b"RTSP/")][:n]
    open(prefix + ".requests", "wb").write(b"".join(requests[:n]))
    open(prefix + ".replies", "wb").write(b"".join(replies))


def trim_mmsh_body(body):
    """Keeps whole `$` chunks up to the header and KEEP_DATA_CHUNKS data chunks."""
    i, data_chunks = 0, 0
    while i + 4 <= len(body) and data_chunks < KEEP_DATA_CHUNKS:
        kind = body[i:i + 2]
        length = int.from_bytes(body[i + 2:i + 4], "little")
        if i + 4 + length > len(body):
            break
        i += 4 + length
        if kind == b"$D":
            data_chunks += 1
    return body[:i]


def trim_mmsh(c2s, s2c, prefix, n):
    end = c2s.find(b"\r\n\r\n")
    open("%s.%d.request" % (prefix, n), "wb").write(c2s[:end + 4])
    end = s2c.find(b"\r\n\r\n")
    head, body = s2c[:end + 4], s2c[end + 4:]
    open("%s.%d.response" % (prefix, n), "wb").write(head + trim_mmsh_body(body))


def main():
    mode, listen_port, server_port, prefix = sys.argv[1:5]
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else (1 if mode == "rtsp" else 2)
    convs = proxy(int(listen_port), int(server_port), connections)
    for n, (c2s, s2c) in enumerate(convs):
        if mode == "rtsp":
            trim_rtsp(c2s, s2c, prefix)
        else:
            trim_mmsh(c2s, s2c, prefix, n)


if __name__ == "__main__":
    main()
