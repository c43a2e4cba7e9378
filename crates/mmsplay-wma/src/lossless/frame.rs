//! One frame: the tile header, optional DRC and skip fields, then the tiles one by one; and
//! one tile: its (optional) seekable-tile parameters, then the residuals run back through
//! the reconstruction stages in the reference decoder's order:
//! per channel residual → CDLMS cascade; then over all channels MCLMS → stereo step →
//! AC filter → quantiser step; then the padding shift.
//!
//! Like the reference, the residual and filter stages of a tile run over every channel with
//! that tile's length, not only over the channels the tile covers. With the aligned tiling of
//! every known file (all channels share each tile) that is the same thing.

// Channel and sample indices address several parallel arrays at once.
#![allow(clippy::needless_range_loop)]

use super::cdlms::Cascade;
use super::filters::{AcFilter, undo_stereo};
use super::mclms::Mclms;
use super::params::{MAX_CHANNELS, Params};
use super::residual::{ResidualCtx, ceil_log2, read_residuals, sign_extend};
use super::tiling::Tiling;
use crate::bitreader::BitReader;

/// The CDLMS cascades of all channels, with the history type of the stream's bit depth.
enum Cascades {
    S16(Vec<Cascade<i16>>),
    S32(Vec<Cascade<i32>>),
}

/// Runs `$body` with `$c` bound to the cascades' vector, whichever its history type.
macro_rules! with_cascades {
    ($cascades:expr, $c:ident => $body:expr) => {
        match $cascades {
            Cascades::S16($c) => $body,
            Cascades::S32($c) => $body,
        }
    };
}

/// How a frame ended (see [`crate::packets::FrameDecoder`] for what the packet layer does
/// with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameEnd {
    /// The trailer bit: another frame follows in the same data.
    pub(crate) more: bool,
    /// The frame was damaged (what could be decoded of it was still output). The packet layer
    /// then drops its reservoir and resynchronises.
    pub(crate) error: Option<&'static str>,
}

/// Everything that persists from tile to tile.
pub(crate) struct Decoder {
    pub(crate) p: Params,
    do_ac: bool,
    do_icd: bool,
    do_mclms: bool,
    ac: AcFilter,
    mclms: Mclms,
    /// The per-channel cascades, `[ch][f]`.
    cascades: Cascades,
    ave_sum: [u32; MAX_CHANNELS],
    movave_shift: u32,
    qstep: u32,
    /// Per channel, the tile being reconstructed (its values persist: see `residual`).
    res: Vec<Vec<i32>>,
    /// Per channel, the frame's output samples (already shifted by the padding).
    out: Vec<Vec<i32>>,
    coded: [bool; MAX_CHANNELS],
    /// Samples per channel this decoder may still output before the engine renews the
    /// allowance (one demuxer packet's worth).
    pub(crate) budget: usize,
}

/// Where the frame's tiles stand.
struct Cursor {
    tiling: Tiling,
    done: [usize; MAX_CHANNELS],
    next: [usize; MAX_CHANNELS],
}

impl Decoder {
    pub(crate) fn new(p: Params) -> Decoder {
        let nch = p.channels;
        Decoder {
            do_ac: false,
            do_icd: false,
            do_mclms: false,
            ac: AcFilter::default(),
            mclms: Mclms::default(),
            cascades: if p.bits == 16 {
                Cascades::S16(vec![Cascade::default(); nch])
            } else {
                Cascades::S32(vec![Cascade::default(); nch])
            },
            ave_sum: [0; MAX_CHANNELS],
            movave_shift: 0,
            qstep: 1,
            res: vec![vec![0; p.frame_len]; nch],
            out: vec![vec![0; p.frame_len]; nch],
            coded: [false; MAX_CHANNELS],
            budget: 0,
            p,
        }
    }

    /// After a seek: decoding waits for the next seekable tile (the filters' other state is
    /// kept, as in the reference).
    pub(crate) fn wait_for_seekable(&mut self) {
        with_cascades!(&mut self.cascades, c => c[0].forget_order());
    }

    /// Decodes one frame from `r`, appending its samples to `planes` as f32 scaled by
    /// 2^-(bits-1). A tile error still outputs the samples of the tiles before it.
    pub(crate) fn decode_frame(
        &mut self,
        r: &mut BitReader<'_>,
        planes: &mut [Vec<f32>],
    ) -> FrameEnd {
        if self.budget < self.p.frame_len {
            return FrameEnd {
                more: false,
                error: Some("wmalossless: packet expands to too many samples"),
            };
        }
        let start = r.pos();
        let p = &self.p;
        let frame_len_field = if p.len_prefix {
            r.read(p.log2_frame_size) as usize
        } else {
            0
        };
        let tiling = match Tiling::read(r, p) {
            Ok(t) => t,
            Err(e) => {
                return FrameEnd {
                    more: false,
                    error: Some(e),
                };
            }
        };
        if p.drc {
            r.read(8);
        }
        let mut n_out = p.frame_len;
        if r.read_bit() {
            let bits = (2 * p.frame_len).ilog2();
            // The leading skip is parsed and not applied (the reference outputs the
            // encoder's padding); the trailing skip shortens the last frame.
            if r.read_bit() {
                r.read(bits);
            }
            if r.read_bit() {
                let end_skip = r.read(bits) as usize;
                if end_skip >= n_out {
                    return FrameEnd {
                        more: false,
                        error: Some("wmalossless: end skip covers the whole frame"),
                    };
                }
                n_out -= end_skip;
            }
        }
        for o in &mut self.out {
            o.fill(0);
        }
        let mut cur = Cursor {
            tiling,
            done: [0; MAX_CHANNELS],
            next: [0; MAX_CHANNELS],
        };
        let mut error = None;
        loop {
            let before = cur.done[0];
            match self.decode_tile(r, &mut cur) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    n_out = before;
                    error = Some(e);
                    break;
                }
            }
        }
        let mut more = false;
        if error.is_none() && self.p.len_prefix {
            let used = r.pos() - start;
            if frame_len_field != used + 2 {
                error = Some("wmalossless: frame length does not match its prefix");
            } else {
                r.skip(frame_len_field - used - 1);
            }
        }
        if error.is_none() {
            more = r.read_bit();
        }
        self.emit(n_out, planes);
        self.budget -= n_out.min(self.budget);
        FrameEnd { more, error }
    }

    fn emit(&self, n: usize, planes: &mut [Vec<f32>]) {
        let scale = 1.0 / (1u32 << (self.p.bits - 1)) as f32;
        for (plane, out) in planes.iter_mut().zip(&self.out) {
            plane.extend(out[..n].iter().map(|&v| v as f32 * scale));
        }
    }

    /// Decodes the next tile; `Ok(true)` when it was the frame's last.
    fn decode_tile(
        &mut self,
        r: &mut BitReader<'_>,
        cur: &mut Cursor,
    ) -> Result<bool, &'static str> {
        let nch = self.p.channels;
        let spf = self.p.frame_len;
        // The next tile starts at the lowest position any channel has reached; it covers
        // the channels whose next tile starts there with the same length.
        let mut offset = spf;
        let mut len = spf;
        for ch in 0..nch {
            if cur.done[ch] < offset {
                offset = cur.done[ch];
                // A channel short of the frame end has a next tile (the tiling was
                // checked); 0 would end the frame as broken.
                len = cur.tiling.lens[ch]
                    .get(cur.next[ch])
                    .map_or(0, |&l| usize::from(l));
            }
        }
        let mut members = [false; MAX_CHANNELS];
        let mut remaining = spf * nch;
        for ch in 0..nch {
            remaining = remaining.saturating_sub(cur.done[ch]);
            let l = usize::from(cur.tiling.lens[ch][cur.next[ch].min(31)]);
            if cur.done[ch] == offset && l == len && cur.next[ch] < cur.tiling.count[ch] {
                remaining = remaining.saturating_sub(l);
                members[ch] = true;
            }
        }
        let starts: [usize; MAX_CHANNELS] = cur.done;
        for ch in 0..nch {
            if members[ch] {
                cur.done[ch] += len;
                cur.next[ch] += 1;
            }
        }
        if len == 0 || !members[..nch].contains(&true) {
            return Err("wmalossless: broken tiling");
        }

        let seekable = r.read_bit();
        if seekable {
            self.read_seekable_params(r)?;
        }
        let raw = r.read_bit();
        let waiting = with_cascades!(&self.cascades, c => c[0].first_order() == 0);
        if !raw && waiting {
            return Err("wmalossless: waiting for a seekable tile");
        }
        self.coded = [true; MAX_CHANNELS];
        if !raw {
            for ch in 0..nch {
                self.coded[ch] = r.read_bit();
            }
            if self.p.v3rtm && r.read_bit() {
                // LPC parameters: parsed and ignored, as the reference decoder does (no
                // stream using them is known).
                let order = r.read(5) as usize + 1;
                let shift = r.read(4) as usize;
                let int_bits = r.read(3) as usize + 1;
                r.skip(nch * order * (shift + int_bits));
            }
        }
        if r.bits_left() < 1 {
            return Err("wmalossless: tile truncated");
        }
        let pad = if r.read_bit() { r.read(5) } else { 0 };
        let bits = self.p.bits;
        if raw {
            if pad >= bits {
                return Err("wmalossless: raw tile padding too large");
            }
            let b = bits - pad;
            for ch in 0..nch {
                for v in &mut self.res[ch][..len] {
                    *v = sign_extend(r.read(b), b);
                }
            }
        } else {
            if pad > bits {
                return Err("wmalossless: padding too large");
            }
            self.reconstruct(r, seekable, len);
        }
        // Output, with the padding shift, for the channels this tile covers.
        for ch in 0..nch {
            if !members[ch] {
                continue;
            }
            let dst = &mut self.out[ch][starts[ch]..starts[ch] + len];
            let src = &self.res[ch][..len];
            if bits == 16 {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = i32::from(((s as i16 as i32) << pad) as i16);
                }
            } else {
                // The reference keeps 24-bit samples in the top of an i32; this is that
                // value's top 24 bits.
                let mul = if pad + 8 >= 32 { 0 } else { 256u32 << pad };
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = ((s as u32).wrapping_mul(mul) as i32) >> 8;
                }
            }
        }
        Ok(remaining == 0)
    }

    /// The residuals and every filter stage of a coded tile.
    fn reconstruct(&mut self, r: &mut BitReader<'_>, seekable: bool, len: usize) {
        let nch = self.p.channels;
        let range = 1i32 << (self.p.bits - 1);
        let ctx = ResidualCtx {
            bits: self.p.bits,
            seekable,
            icd: self.do_icd,
            movave_shift: self.movave_shift,
        };
        let pad16 = self.p.bits == 16;
        for ch in 0..nch {
            let res = &mut self.res[ch][..len];
            if !self.coded[ch] {
                res.fill(0);
                continue;
            }
            // A run into the end of the data leaves the rest of the tile as it was; the
            // reference carries on in that case, and so do we.
            let _complete = read_residuals(r, &ctx, &mut self.ave_sum[ch], res);
            let v3rtm = self.p.v3rtm;
            with_cascades!(&mut self.cascades, c => c[ch].run(res, seekable, v3rtm, range, pad16));
        }
        if self.do_mclms {
            let mut views: Vec<&mut [i32]> = self.res.iter_mut().map(|v| &mut v[..len]).collect();
            self.mclms.run(&mut views, &self.coded[..nch], len, range);
        }
        if self.do_icd && nch == 2 && (self.coded[0] || self.coded[1]) {
            let (a, b) = self.res.split_at_mut(1);
            undo_stereo(&mut a[0][..len], &mut b[0][..len]);
        }
        if self.do_ac {
            for ch in 0..nch {
                self.ac.run(ch, &mut self.res[ch][..len]);
            }
        }
        if self.qstep != 1 {
            for res in &mut self.res {
                for v in &mut res[..len] {
                    *v = (*v as u32).wrapping_mul(self.qstep) as i32;
                }
            }
        }
    }

    /// A seekable tile: clear the filter state, then read the coding tools and their
    /// parameters. The CDLMS filters cleared are those of the previous configuration's
    /// count, as in the reference.
    fn read_seekable_params(&mut self, r: &mut BitReader<'_>) -> Result<(), &'static str> {
        let nch = self.p.channels;
        self.ac.clear();
        self.mclms.clear();
        with_cascades!(&mut self.cascades, c => c.iter_mut().for_each(Cascade::clear));
        self.ave_sum = [0; MAX_CHANNELS];
        if r.read_bit() {
            return Err("wmalossless: arithmetic coding is not supported");
        }
        self.do_ac = r.read_bit();
        self.do_icd = r.read_bit();
        self.do_mclms = r.read_bit();
        if self.do_ac {
            self.ac.order = r.read(4) as usize + 1;
            self.ac.shift = r.read(4);
            for c in &mut self.ac.coef[..self.ac.order] {
                *c = i32::from((r.read(self.ac.shift) + 1) as u16 as i16);
            }
        }
        if self.do_mclms {
            let m = &mut self.mclms;
            m.order = 2 * (r.read(4) as usize + 1);
            m.shift = r.read(4);
            if r.read_bit() {
                let b = r.read(ceil_log2(m.shift + 1)) + 2;
                // Unsigned fields, wrapped to 16 bits.
                for c in &mut m.coef[..m.order * nch * nch] {
                    *c = r.read(b) as u16 as i16;
                }
                for ch in 0..nch {
                    for c in 0..ch {
                        m.cur[ch * nch + c] = r.read(b) as u16 as i16;
                    }
                }
            }
        }
        let send = r.read_bit();
        with_cascades!(&mut self.cascades, c => {
            for ch in 0..nch {
                if let Err(e) = c[ch].read_params(r, send) {
                    c[0].forget_order();
                    return Err(e);
                }
            }
        });
        self.movave_shift = r.read(3);
        self.qstep = r.read(8) + 1;
        self.mclms.restart(nch);
        with_cascades!(&mut self.cascades, c => c.iter_mut().for_each(Cascade::restart));
        Ok(())
    }
}

impl crate::packets::FrameDecoder for Decoder {
    type Output = [Vec<f32>];

    fn decode_frame(
        &mut self,
        r: &mut BitReader<'_>,
        out: &mut [Vec<f32>],
    ) -> Result<bool, crate::engine::DecodeError> {
        let end = Decoder::decode_frame(self, r, out);
        match end.error {
            Some(e) => Err(crate::engine::DecodeError(e)),
            None => Ok(end.more),
        }
    }
}
