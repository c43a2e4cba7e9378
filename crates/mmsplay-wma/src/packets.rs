//! The packet layer and bit reservoir shared by WMA Pro (0x0162) and WMA Lossless (0x0163).
//!
//! Both codecs cut their bitstream into packets of exactly `nBlockAlign` bytes (a demuxer
//! packet may carry several back to back). Frames have variable length, are packed without
//! alignment and may run from one packet into the next. Each packet starts with a header:
//!
//! ```text
//! 4 bits   sequence number (mod 16): a jump means a packet was lost
//! 2 bits   Pro: unused; Lossless: "seekable frame in packet", "spliced packet"
//! n bits   bits of the previous frame: how many bits at the start of the payload finish
//!          the frame begun in earlier packets (n = log2(nBlockAlign) + 4)
//! ```
//!
//! then those bits, then the frames that start in this packet, then either the head of a
//! frame that the next packet finishes or padding.
//!
//! Frames are always decoded from a separate buffer, the *reservoir*: a frame that lies in
//! one packet is copied there first, one that crosses packets is assembled there. The packet
//! reader decides where the next frame starts: with the length prefix (decode flag 0x40) from
//! the frame's length field; without it the end of a frame is only known by decoding it, so
//! the reservoir then holds everything after the cross-packet bits of the previous packet and
//! frames are decoded one packet late (those starting in the last packet are only decoded by
//! Lossless's end-of-stream drain).
//!
//! Loss and resynchronisation follow the reference decoder (FFmpeg's `decode_packet` in
//! `wmaprodec.c` and `wmalosslessdec.c`), so output length and error decisions match it: after
//! a sequence jump, a seek or a damaged frame, the frame crossing into the next packet is
//! dropped and decoding resumes with the first frame that starts in a packet.
//!
//! The codec plugs in through [`FrameDecoder`]: it reads one frame from a [`BitReader`] over
//! the reservoir and says whether another frame follows in the same packet.

use crate::bitreader::BitReader;
use crate::engine::DecodeError;

/// The reference decoders' reservoir size (MAX_FRAMESIZE) in bytes. WMA Lossless allows this
/// much per channel (see [`PacketConfig::with_max_reservoir_bytes`]).
pub(crate) const MAX_FRAME_BYTES: usize = 32768;

/// Which codec's packet rules apply. The two differ only in small ways, listed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// WMA Pro: the two header bits after the sequence number are skipped; a packet shorter
    /// than `nBlockAlign` is an error; a cross-packet frame whose bits run to the packet's end
    /// is still decoded (it normally fails its own length check); the reservoir size check
    /// rounds `bits + 7` up to bytes.
    Pro,
    /// WMA Lossless: the header bits are `seekable` and `spliced`; a short final packet is
    /// decoded as far as it goes; a cross-packet frame is decoded only once its last bits
    /// arrived (frames may span several packets); the size check rounds `bits + 8`.
    Lossless,
}

/// Fixed facts of one stream's packet layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PacketConfig {
    pub(crate) variant: Variant,
    /// Packet size in bytes (nBlockAlign).
    pub(crate) block_align: usize,
    /// Width of the "bits of the previous frame" field and of a frame's length prefix.
    pub(crate) log2_frame_size: u32,
    /// Every frame starts with its length in bits (decode flag 0x40).
    pub(crate) len_prefix: bool,
    /// Largest reservoir in bytes; a frame that would need more counts as a lost packet.
    pub(crate) max_reservoir_bytes: usize,
}

impl PacketConfig {
    /// The configuration for packets of `block_align` bytes (must be > 0; the length fields
    /// are `floor(log2(block_align)) + 4` bits, at most 25).
    pub(crate) fn new(
        variant: Variant,
        block_align: usize,
        len_prefix: bool,
    ) -> Result<PacketConfig, DecodeError> {
        if block_align == 0 {
            return Err(DecodeError("wma: block align must not be zero"));
        }
        let log2_frame_size = block_align.ilog2() + 4;
        if log2_frame_size > 25 {
            return Err(DecodeError("wma: block align too large"));
        }
        Ok(PacketConfig {
            variant,
            block_align,
            log2_frame_size,
            len_prefix,
            max_reservoir_bytes: MAX_FRAME_BYTES,
        })
    }

    /// Sets the reservoir limit (WMA Lossless: `MAX_FRAME_BYTES` × channels).
    pub(crate) fn with_max_reservoir_bytes(mut self, bytes: usize) -> PacketConfig {
        self.max_reservoir_bytes = bytes;
        self
    }
}

/// One codec's frame syntax, as the packet layer sees it.
pub(crate) trait FrameDecoder {
    /// Where decoded samples go (for example one `Vec` per channel).
    type Output: ?Sized;

    /// Decodes the frame starting at `r`'s position; `r` reads the reservoir and returns
    /// zeros past its end. The codec reads its own length prefix (if any), checks it, and
    /// reads the trailer bit. Returns `Ok(true)` when the trailer says another frame starts in
    /// the same packet, `Ok(false)` when not, and `Err` when the frame is damaged: the packet
    /// layer then treats it like a lost packet. A codec may write samples to `out` before
    /// returning an error if the reference outputs them.
    fn decode_frame(
        &mut self,
        r: &mut BitReader<'_>,
        out: &mut Self::Output,
    ) -> Result<bool, DecodeError>;

    /// Called before each `decode_frame`: whether the frame is the one completed by this
    /// packet's first bits (begun in an earlier packet). The reference forgives that frame's
    /// errors (WMA Pro still outputs it); the default ignores the hint.
    fn begin_frame(&mut self, _crosses_packets: bool) {}
}

/// The header of the last packet seen (for diagnostics; Lossless logs `spliced`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PacketHeader {
    pub(crate) sequence: u8,
    /// Lossless only ("seekable frame in packet"); `false` for Pro.
    pub(crate) seekable: bool,
    /// Lossless only ("spliced packet"); `false` for Pro.
    pub(crate) spliced: bool,
    /// Bits at the start of the payload that finish the previous frame.
    pub(crate) prev_frame_bits: u32,
}

/// The saved bits frames are decoded from. `buf` holds `len` valid bits; the first `offset`
/// bits are the unused head of the first byte copied (copying whole bytes keeps the source's
/// bit phase); `read` is where decoding continues.
struct Reservoir {
    buf: Vec<u8>,
    len: usize,
    offset: usize,
    read: usize,
}

impl Reservoir {
    fn clear(&mut self) {
        self.buf.clear();
        self.len = 0;
        self.offset = 0;
        self.read = 0;
    }

    fn has_unread(&self) -> bool {
        self.len > self.read
    }

    /// Starts over with the `n` bits of `src` at bit `pos`.
    fn reset_with(&mut self, src: &[u8], pos: usize, n: usize) {
        self.offset = pos & 7;
        self.len = self.offset + n;
        let first = pos >> 3;
        let bytes = self.len.div_ceil(8);
        self.buf.clear();
        let avail = src.get(first..).unwrap_or(&[]);
        self.buf.extend_from_slice(&avail[..bytes.min(avail.len())]);
        self.buf.resize(bytes, 0);
        self.mask_tail();
        self.read = self.offset;
    }

    /// Adds the `n` bits of `src` at bit `pos` after the saved ones; decoding restarts at the
    /// beginning of the saved frame.
    fn append(&mut self, src: &[u8], pos: usize, n: usize) {
        let mut r = BitReader::new(src);
        r.seek(pos);
        self.buf.resize((self.len + n).div_ceil(8), 0);
        let mut left = n;
        while left > 0 {
            let k = left.min(8);
            let v = r.read(k as u32) << (8 - k);
            let at = self.len >> 3;
            let shift = self.len & 7;
            self.buf[at] |= (v >> shift) as u8;
            if shift + k > 8 {
                self.buf[at + 1] |= (v << (8 - shift)) as u8;
            }
            self.len += k;
            left -= k;
        }
        self.read = self.offset;
    }

    /// Zeroes the bits of the last byte past `len`, so reads past the end give zeros.
    fn mask_tail(&mut self) {
        let used = self.len & 7;
        if used != 0
            && let Some(b) = self.buf.last_mut()
        {
            *b &= 0xFFu8 << (8 - used);
        }
    }
}

/// The state that links one packet to the next: the reservoir, the last sequence number and
/// whether the link was broken (loss, seek, damage).
pub(crate) struct PacketLayer {
    cfg: PacketConfig,
    res: Reservoir,
    last_seq: u8,
    /// Set at start, after a seek, a sequence jump or a damaged frame: the next packet's
    /// cross-packet bits are dropped instead of decoded.
    loss: bool,
    last_header: Option<PacketHeader>,
    /// Packets whose sequence number did not follow the previous one.
    lost_packets: u64,
}

impl PacketLayer {
    pub(crate) fn new(cfg: PacketConfig) -> PacketLayer {
        PacketLayer {
            cfg,
            res: Reservoir {
                buf: Vec::with_capacity(cfg.max_reservoir_bytes.min(MAX_FRAME_BYTES) + 8),
                len: 0,
                offset: 0,
                read: 0,
            },
            last_seq: 0,
            loss: true,
            last_header: None,
            lost_packets: 0,
        }
    }

    pub(crate) fn config(&self) -> &PacketConfig {
        &self.cfg
    }

    /// The header of the last packet decoded.
    pub(crate) fn last_header(&self) -> Option<PacketHeader> {
        self.last_header
    }

    /// How many sequence-number jumps were seen.
    pub(crate) fn lost_packets(&self) -> u64 {
        self.lost_packets
    }

    /// After a seek: the next packet starts afresh (its cross-packet bits are dropped).
    pub(crate) fn reset(&mut self) {
        self.loss = true;
        self.res.clear();
    }

    /// Decodes the WMA packets of one demuxer packet (`data` is one or more `block_align`
    /// chunks). Stops at the first damaged packet or frame and returns its error; the rest of
    /// `data` is dropped, as the reference does, and the next call resynchronises. Whatever
    /// frames were decoded before the error stay in `out`.
    pub(crate) fn decode<D: FrameDecoder>(
        &mut self,
        data: &[u8],
        dec: &mut D,
        out: &mut D::Output,
    ) -> Result<(), DecodeError> {
        for chunk in data.chunks(self.cfg.block_align) {
            self.decode_packet(chunk, dec, out)?;
        }
        Ok(())
    }

    /// End of stream (Lossless; the reference does not drain WMA Pro): decodes the frames
    /// still waiting in the reservoir, which exist when frames carry no length prefix.
    pub(crate) fn drain<D: FrameDecoder>(&mut self, dec: &mut D, out: &mut D::Output) {
        // Each frame consumes at least its trailer bit, so this bounds the loop.
        let mut budget = self.res.len + 1;
        while self.res.has_unread() && budget > 0 {
            budget -= 1;
            match self.run_frame(dec, out, false) {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    self.res.clear();
                    break;
                }
            }
        }
        self.loss = false;
    }

    /// Decodes one WMA packet (`block_align` bytes, or fewer for Lossless's last one).
    fn decode_packet<D: FrameDecoder>(
        &mut self,
        pkt: &[u8],
        dec: &mut D,
        out: &mut D::Output,
    ) -> Result<(), DecodeError> {
        if self.cfg.variant == Variant::Pro && pkt.len() < self.cfg.block_align {
            self.loss = true;
            return Err(DecodeError("wma: packet shorter than the block size"));
        }
        let mut pr = BitReader::new(pkt);
        let sequence = pr.read(4) as u8;
        let (seekable, spliced) = match self.cfg.variant {
            Variant::Pro => {
                pr.skip(2);
                (false, false)
            }
            Variant::Lossless => (pr.read_bit(), pr.read_bit()),
        };
        let prev_frame_bits = pr.read(self.cfg.log2_frame_size);
        self.last_header = Some(PacketHeader {
            sequence,
            seekable,
            spliced,
            prev_frame_bits,
        });
        if !self.loss && (self.last_seq + 1) & 15 != sequence {
            self.loss = true;
            self.lost_packets += 1;
        }
        self.last_seq = sequence;

        // The end of the frame begun in earlier packets.
        let mut done = false;
        if prev_frame_bits > 0 {
            let left = pr.bits_left().max(0) as usize;
            let mut n = prev_frame_bits as usize;
            let truncated = n >= left;
            if truncated {
                n = left;
                done = true;
            }
            if self.save(pkt, &mut pr, n, true) {
                let complete = self.cfg.variant == Variant::Pro || !truncated;
                if !self.loss && complete {
                    // Its trailer bit is not used: the frames of this packet follow anyway.
                    let _ = self.run_frame(dec, out, true);
                }
            }
        }
        if self.loss {
            // Whatever the reservoir held cannot be completed: resynchronise on the next
            // frame that starts in this packet. A damaged cross-packet frame ends here too,
            // without failing the packet (the reference's behaviour).
            self.res.clear();
            self.loss = false;
        }

        // The frames that start in this packet. Each pass consumes packet or reservoir bits,
        // so the bound below is never reached by a valid stream.
        let mut budget = pkt.len() * 8 + self.res.len + 2;
        while !done && budget > 0 {
            budget -= 1;
            if self.cfg.len_prefix {
                let left = pr.bits_left();
                let n = (pr.peek32() >> (32 - self.cfg.log2_frame_size)) as usize;
                if left > self.cfg.log2_frame_size as isize && n != 0 && n as isize <= left {
                    if !self.save(pkt, &mut pr, n, false) {
                        break;
                    }
                    done = !self.run_frame(dec, out, false)?;
                } else {
                    done = true;
                }
            } else if self.res.has_unread() {
                done = !self.run_frame(dec, out, false)?;
            } else {
                done = true;
            }
        }
        if self.loss {
            return Err(DecodeError("wma: damaged packet"));
        }
        if pr.bits_left() < 0 {
            self.loss = true;
            return Err(DecodeError("wma: packet overread"));
        }
        // The head of a frame that the next packet finishes (or, without length prefixes,
        // everything not yet decoded).
        let left = pr.bits_left() as usize;
        if done && left > 0 && !self.save(pkt, &mut pr, left, false) {
            return Err(DecodeError("wma: frame larger than the reservoir"));
        }
        Ok(())
    }

    /// Copies `n` bits at the packet reader's position into the reservoir (appending or
    /// starting over) and advances the reader. A copy the reservoir cannot hold counts as a
    /// lost packet; returns whether the bits were saved.
    fn save(&mut self, pkt: &[u8], pr: &mut BitReader<'_>, n: usize, append: bool) -> bool {
        let pos = pr.pos();
        let held = if append { self.res.len } else { pos & 7 };
        let round = match self.cfg.variant {
            Variant::Pro => 7,
            Variant::Lossless => 8,
        };
        if n == 0 || (held + n + round) / 8 > self.cfg.max_reservoir_bytes {
            self.loss = true;
            if self.cfg.variant == Variant::Lossless {
                self.res.clear();
            }
            return false;
        }
        if append {
            self.res.append(pkt, pos, n);
        } else {
            self.res.reset_with(pkt, pos, n);
        }
        pr.skip(n);
        true
    }

    /// Decodes one frame from the reservoir. An error marks the link as broken.
    fn run_frame<D: FrameDecoder>(
        &mut self,
        dec: &mut D,
        out: &mut D::Output,
        crosses_packets: bool,
    ) -> Result<bool, DecodeError> {
        dec.begin_frame(crosses_packets);
        let mut r = BitReader::with_bit_len(&self.res.buf, self.res.len);
        r.seek(self.res.read);
        let res = dec.decode_frame(&mut r, out);
        self.res.read = r.pos();
        if res.is_err() {
            self.loss = true;
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MSB-first bit writer for building test packets.
    #[derive(Default)]
    struct Bits {
        bytes: Vec<u8>,
        len: usize,
    }

    impl Bits {
        fn put(&mut self, n: u32, v: u32) {
            for i in (0..n).rev() {
                if self.len.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                if (v >> i) & 1 != 0 {
                    *self.bytes.last_mut().unwrap() |= 0x80 >> (self.len & 7);
                }
                self.len += 1;
            }
        }
        fn bit(&self, i: usize) -> u32 {
            u32::from((self.bytes[i >> 3] >> (7 - (i & 7))) & 1)
        }
    }

    /// A toy frame: [length prefix] 8-bit value, 1-bit "damaged" flag, terminator 1,
    /// trailer. Damaged frames fail, like a frame whose length check fails.
    struct Toy {
        len_prefix: bool,
        log2: u32,
    }

    impl FrameDecoder for Toy {
        type Output = Vec<u32>;
        fn decode_frame(
            &mut self,
            r: &mut BitReader<'_>,
            out: &mut Vec<u32>,
        ) -> Result<bool, DecodeError> {
            let start = r.pos();
            let len = if self.len_prefix {
                r.read(self.log2) as usize
            } else {
                0
            };
            let v = r.read(8);
            let damaged = r.read_bit();
            if damaged {
                return Err(DecodeError("toy: damaged"));
            }
            if self.len_prefix && len != r.pos() - start + 2 {
                return Err(DecodeError("toy: length"));
            }
            r.skip(1);
            out.push(v);
            Ok(r.read_bit())
        }
    }

    /// Frame bits (without trailer) of the toy syntax.
    fn frame(v: u32, damaged: bool, prefix: Option<u32>) -> Vec<u32> {
        let mut b = Bits::default();
        let body = 8 + 1 + 1;
        if let Some(w) = prefix {
            b.put(w, w + body + 1);
        }
        b.put(8, v);
        b.put(1, u32::from(damaged));
        b.put(1, 1);
        (0..b.len).map(|i| b.bit(i)).collect()
    }

    /// Packs frames (lists of bits) into packets of `block_align` bytes with Pro headers;
    /// `seq_of(k)` gives packet k's sequence number.
    fn pack(frames: &[Vec<u32>], block_align: usize, lossless: bool) -> Vec<Vec<u8>> {
        let log2 = block_align.ilog2() + 4;
        // One bit string with trailers; remember frame starts.
        let mut stream: Vec<u32> = Vec::new();
        let mut starts = Vec::new();
        for f in frames {
            starts.push(stream.len());
            stream.extend(f);
            stream.push(0); // trailer, fixed below
        }
        let payload = block_align * 8 - 6 - log2 as usize;
        let mut packets = Vec::new();
        let mut pos = 0;
        let mut seq = 0;
        while pos < stream.len() {
            let end = (pos + payload).min(stream.len());
            // Bits before the first frame start in this packet finish an earlier frame.
            let first = starts.iter().copied().find(|&s| s >= pos).unwrap_or(end);
            let nbpf = first.min(end) - pos;
            // Trailer: 1 iff the next frame starts within this packet.
            for (i, &s) in starts.iter().enumerate() {
                let t = s + frames[i].len();
                if t >= pos && t < end {
                    let next = starts.get(i + 1).copied();
                    stream[t] = u32::from(next.is_some_and(|n| n < end));
                }
            }
            let mut b = Bits::default();
            b.put(4, seq);
            b.put(2, if lossless { 0 } else { 2 });
            b.put(log2, nbpf as u32);
            for &bit in &stream[pos..end] {
                b.put(1, bit);
            }
            while b.len < block_align * 8 {
                b.put(1, 0);
            }
            packets.push(b.bytes);
            pos = end;
            seq = (seq + 1) & 15;
        }
        packets
    }

    fn layer(variant: Variant, block_align: usize, len_prefix: bool) -> PacketLayer {
        PacketLayer::new(PacketConfig::new(variant, block_align, len_prefix).unwrap())
    }

    fn frames(n: u32, prefix: Option<u32>) -> Vec<Vec<u32>> {
        (0..n).map(|i| frame(i * 7 % 256, false, prefix)).collect()
    }

    #[test]
    fn config_widths() {
        let c = PacketConfig::new(Variant::Pro, 2230, true).unwrap();
        assert_eq!(c.log2_frame_size, 15);
        assert!(PacketConfig::new(Variant::Pro, 0, true).is_err());
    }

    #[test]
    fn frames_crossing_packets_are_reassembled() {
        let ba = 6; // 48-bit packets: 6 header + 6 nbpf bits, 36 payload bits
        let fs = frames(12, Some(6));
        let pkts = pack(&fs, ba, false);
        let mut l = layer(Variant::Pro, ba, true);
        let mut dec = Toy {
            len_prefix: true,
            log2: 6,
        };
        let mut out = Vec::new();
        for p in &pkts {
            l.decode(p, &mut dec, &mut out).unwrap();
        }
        let want: Vec<u32> = (0..12).map(|i| i * 7 % 256).collect();
        // Every frame decodes: the first starts in the first packet.
        assert_eq!(out, want);
        assert_eq!(l.lost_packets(), 0);
        // Several packets in one demuxer packet give the same result.
        let mut l = layer(Variant::Pro, ba, true);
        let mut out2 = Vec::new();
        l.decode(&pkts.concat(), &mut dec, &mut out2).unwrap();
        assert_eq!(out2, want);
    }

    #[test]
    fn lost_packet_drops_the_crossing_frames_and_resyncs() {
        let ba = 6;
        let fs = frames(12, Some(6));
        let pkts = pack(&fs, ba, false);
        let mut dec = Toy {
            len_prefix: true,
            log2: 6,
        };
        let mut full = Vec::new();
        let mut l = layer(Variant::Pro, ba, true);
        for p in &pkts {
            l.decode(p, &mut dec, &mut full).unwrap();
        }
        let mut l = layer(Variant::Pro, ba, true);
        let mut out = Vec::new();
        for (k, p) in pkts.iter().enumerate() {
            if k != 2 {
                l.decode(p, &mut dec, &mut out).unwrap();
            }
        }
        assert_eq!(l.lost_packets(), 1);
        assert!(out.len() < full.len());
        // Frames after the gap decode again: the tail matches.
        assert_eq!(out.last(), full.last());
        // A seek (reset) behaves the same: no error, later frames decode.
        l.reset();
        let mut after = Vec::new();
        l.decode(&pkts[pkts.len() - 2], &mut dec, &mut after)
            .unwrap();
        l.decode(&pkts[pkts.len() - 1], &mut dec, &mut after)
            .unwrap();
        assert!(after.ends_with(&full[full.len() - 1..]));
    }

    #[test]
    fn without_length_prefix_frames_come_one_packet_late() {
        let ba = 6;
        let fs = frames(11, None);
        let pkts = pack(&fs, ba, false);
        let mut dec = Toy {
            len_prefix: false,
            log2: 6,
        };
        let mut l = layer(Variant::Pro, ba, false);
        let mut out = Vec::new();
        let mut after_first = 0;
        for (k, p) in pkts.iter().enumerate() {
            l.decode(p, &mut dec, &mut out).unwrap();
            if k == 0 {
                after_first = out.len();
            }
        }
        assert_eq!(after_first, 0);
        // Frames starting in the last packet wait for a drain (Lossless only does one).
        let all: Vec<u32> = (0..11).map(|i| i * 7 % 256).collect();
        assert!(out.len() < all.len());
        assert_eq!(out[..], all[..out.len()]);
        l.drain(&mut dec, &mut out);
        assert_eq!(out, all);
    }

    #[test]
    fn damaged_frame_fails_the_packet_and_decoding_goes_on() {
        let ba = 8;
        let mut fs = frames(14, Some(7));
        fs[5] = frame(99, true, Some(7));
        let pkts = pack(&fs, ba, false);
        let mut dec = Toy {
            len_prefix: true,
            log2: 7,
        };
        let mut l = layer(Variant::Pro, ba, true);
        let mut out = Vec::new();
        let mut errors = 0;
        for p in &pkts {
            if l.decode(p, &mut dec, &mut out).is_err() {
                errors += 1;
            }
        }
        assert!(!out.contains(&99));
        assert!(errors <= 1);
        assert_eq!(out.last(), Some(&91));
    }

    #[test]
    fn short_packet_rules_differ() {
        let mut dec = Toy {
            len_prefix: true,
            log2: 6,
        };
        let pkts = pack(&frames(2, Some(6)), 6, false);
        let mut out = Vec::new();
        let mut l = layer(Variant::Pro, 6, true);
        assert!(l.decode(&pkts[0][..5], &mut dec, &mut out).is_err());
        let pkts = pack(&frames(2, Some(6)), 6, true);
        let mut l = layer(Variant::Lossless, 6, true);
        // The first frame (28 bits incl. trailer) lies in the first 5 bytes.
        l.decode(&pkts[0][..5], &mut dec, &mut out).unwrap();
        assert_eq!(out, vec![0]);
        let h = l.last_header().unwrap();
        assert_eq!((h.sequence, h.seekable, h.spliced), (0, false, false));
    }

    #[test]
    fn reservoir_limit_counts_as_loss() {
        let mut dec = Toy {
            len_prefix: true,
            log2: 6,
        };
        let pkts = pack(&frames(12, Some(6)), 6, false);
        let cfg = PacketConfig::new(Variant::Pro, 6, true)
            .unwrap()
            .with_max_reservoir_bytes(1);
        let mut l = PacketLayer::new(cfg);
        let mut out = Vec::new();
        for p in &pkts {
            let _ = l.decode(p, &mut dec, &mut out);
        }
        assert!(out.is_empty());
    }

    #[test]
    fn reservoir_copies_keep_bits_exact() {
        let src = [0b1011_0110u8, 0b0101_1100, 0xFF, 0x00];
        let mut r = Reservoir {
            buf: Vec::new(),
            len: 0,
            offset: 0,
            read: 0,
        };
        r.reset_with(&src, 3, 7); // bits 3..10: 1 0110 01
        r.append(&src, 13, 6); // bits 13..19: 100 111
        let mut br = BitReader::with_bit_len(&r.buf, r.len);
        br.seek(r.read);
        assert_eq!(br.read(13), 0b1_0110_0110_0111);
        assert_eq!(br.read(8), 0);
    }
}
