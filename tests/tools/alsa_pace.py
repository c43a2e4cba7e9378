#!/usr/bin/env python3
"""Paces ALSA's `file` plugin at the speed of a real sound card.

The `file` plugin with a `null` slave accepts audio as fast as it is written, hundreds of times
faster than real time. Named as the plugin's pipe command it receives what was played on
stdin; this copies it to OUT no faster than the stream's byte rate, so the writer (ALSA, and
cpal above it) blocks as it would on a device:

    pcm.!default { type file; slave.pcm "null"; format "wav";
                   file "|python3 tests/tools/alsa_pace.py OUT.wav [BYTES_PER_SEC]" }

The byte rate comes from the WAV header the plugin writes first, or from BYTES_PER_SEC (for
format "raw"). Used by tests/it/cpal_output.rs; docs/oracles.md section 6 explains why.
"""
import struct
import sys
import time

WAV_HEADER = 44
LEAD_SECONDS = 0.05  # how far the copy may run ahead of the wall clock
F_SETPIPE_SZ = 1031


def main():
    out = open(sys.argv[1], "wb", buffering=0)
    src = sys.stdin.buffer
    try:
        # A small pipe keeps the writer from queueing seconds of audio ahead of us.
        import fcntl

        fcntl.fcntl(0, F_SETPIPE_SZ, 4096)
    except (ImportError, OSError):
        pass
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    header = src.read(WAV_HEADER)
    if not rate and header[:4] == b"RIFF":
        rate = struct.unpack("<I", header[28:32])[0]
    if not rate:
        rate = 48000 * 8  # 48 kHz stereo f32
    out.write(header)
    chunk = max(rate // 100, 64)  # about 10 ms
    start = time.monotonic()
    written = 0
    while True:
        data = src.read(chunk)
        if not data:
            break
        out.write(data)
        written += len(data)
        ahead = written / rate - (time.monotonic() - start)
        if ahead > LEAD_SECONDS:
            time.sleep(ahead - LEAD_SECONDS)


if __name__ == "__main__":
    main()
