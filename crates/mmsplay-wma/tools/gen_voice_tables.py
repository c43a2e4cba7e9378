#!/usr/bin/env python3
"""Writes src/voice/tables.rs from the numeric tables of a WMA Voice table header.

Usage: gen_voice_tables.py path/to/wmavoice_data.h > src/voice/tables.rs

The input is FFmpeg 5.1.9's libavcodec/wmavoice_data.h (fetched by hand, never committed). Only
the numbers are carried over: every array initialiser is stripped of comments, its literals are
parsed and stored with the element type the C declaration gives them (a float literal becomes
the f32 that C's double-to-float conversion yields). For each table the script also prints the
element count, the sum and an FNV-1a 64 hash over the little-endian bytes of the stored values;
the unit tests in tables.rs recompute them, so an edit to a number is caught. It cross-checks
the first 16 hex digits of the SHA-256 over the same bytes against the values the team recorded
when it first read the tables.
"""
import hashlib
import re
import struct
import sys

# sha256[0..16] of the little-endian bytes of each table, as recorded when the tables were
# first read (u8 / f32 / f64 as declared).
EXPECTED_SHA = {
    "wmavoice_dq_lsp10i": "563a57fdebf8ec76",
    "wmavoice_dq_lsp16i1": "6e0d385a15cab64d",
    "wmavoice_dq_lsp16i2": "8c3e11cedb25e71d",
    "wmavoice_dq_lsp16i3": "c84831ace5de854f",
    "wmavoice_dq_lsp10r": "49cd23862edcbf1b",
    "wmavoice_dq_lsp16r1": "bb6b56a7d24f540b",
    "wmavoice_dq_lsp16r2": "f2301903f42c9b1e",
    "wmavoice_dq_lsp16r3": "29e1d1af7fc2b811",
    "wmavoice_lsp10_intercoeff_a": "c9d5ba93c9320b66",
    "wmavoice_lsp10_intercoeff_b": "b2febd50c23d92fe",
    "wmavoice_lsp16_intercoeff_a": "e1ea38fbc33bf2c7",
    "wmavoice_lsp16_intercoeff_b": "cb37c8f92f296cd7",
    "wmavoice_mean_lsf10": "8ba5f3fffbd97017",
    "wmavoice_mean_lsf16": "6cea9310457f8b8a",
    "wmavoice_std_codebook": "ef13b80d05c0c9c1",
    "wmavoice_gain_silence": "be83259c807e1faf",
    "wmavoice_gain_universal": "45e5d0625e16298e",
    "wmavoice_gain_codebook_acb": "3e0998c8eff7103e",
    "wmavoice_gain_codebook_fcb": "1db06e79bdf18a39",
    "wmavoice_ipol1_coeffs": "cbcd8fb6260561d1",
    "wmavoice_ipol2_coeffs": "fa87b531b52c463d",
    "wmavoice_energy_table": "bbbe736db6b27ec9",
    "wmavoice_denoise_power_table": "13bd25515f84e9c4",
}

# Rust name and shape (outer dimensions; the element count is their product) per table.
SHAPES = {
    "wmavoice_dq_lsp10i": ("DQ_LSP10I", [3840]),
    "wmavoice_dq_lsp16i1": ("DQ_LSP16I1", [1600]),
    "wmavoice_dq_lsp16i2": ("DQ_LSP16I2", [960]),
    "wmavoice_dq_lsp16i3": ("DQ_LSP16I3", [768]),
    "wmavoice_dq_lsp10r": ("DQ_LSP10R", [5120]),
    "wmavoice_dq_lsp16r1": ("DQ_LSP16R1", [1280]),
    "wmavoice_dq_lsp16r2": ("DQ_LSP16R2", [1280]),
    "wmavoice_dq_lsp16r3": ("DQ_LSP16R3", [1536]),
    "wmavoice_lsp10_intercoeff_a": ("LSP10_INTERCOEFF_A", [32, 2, 10]),
    "wmavoice_lsp10_intercoeff_b": ("LSP10_INTERCOEFF_B", [32, 2, 10]),
    "wmavoice_lsp16_intercoeff_a": ("LSP16_INTERCOEFF_A", [32, 2, 16]),
    "wmavoice_lsp16_intercoeff_b": ("LSP16_INTERCOEFF_B", [32, 2, 16]),
    "wmavoice_mean_lsf10": ("MEAN_LSF10", [2, 10]),
    "wmavoice_mean_lsf16": ("MEAN_LSF16", [2, 16]),
    "wmavoice_std_codebook": ("STD_CODEBOOK", [1000]),
    "wmavoice_gain_silence": ("GAIN_SILENCE", [256]),
    "wmavoice_gain_universal": ("GAIN_UNIVERSAL", [64]),
    "wmavoice_gain_codebook_acb": ("GAIN_CODEBOOK_ACB", [128]),
    "wmavoice_gain_codebook_fcb": ("GAIN_CODEBOOK_FCB", [128]),
    "wmavoice_ipol1_coeffs": ("IPOL1_COEFFS", [153]),
    "wmavoice_ipol2_coeffs": ("IPOL2_COEFFS", [32]),
    "wmavoice_energy_table": ("ENERGY_TABLE", [128]),
    "wmavoice_denoise_power_table": ("DENOISE_POWER_TABLE", [12, 64]),
}


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    decl = re.compile(r"static const (uint8_t|float|double) (\w+)\s*((?:\[[^\]]*\])+)\s*=\s*\{(.*?)\};", re.S)
    out = []
    found = set()
    for m in decl.finditer(text):
        ctype, name, _dims, body = m.groups()
        if name not in SHAPES:
            continue
        rname, shape = SHAPES[name]
        lits = re.findall(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fF]?", body)
        count = 1
        for d in shape:
            count *= d
        assert len(lits) == count, (name, len(lits), count)
        if ctype == "uint8_t":
            vals = [int(v) for v in lits]
            raw = bytes(vals)
            rty, fmt = "u8", None
            strs = [str(v) for v in vals]
            total = sum(vals)
        elif ctype == "float":
            vals = [struct.unpack("<f", struct.pack("<f", float(v.rstrip("fF"))))[0] for v in lits]
            raw = b"".join(struct.pack("<f", v) for v in vals)
            rty = "f32"
            strs = [repr(v) for v in vals]
            total = sum(vals)
        else:
            vals = [float(v) for v in lits]
            raw = b"".join(struct.pack("<d", v) for v in vals)
            rty = "f64"
            strs = [repr(v) for v in vals]
            total = sum(vals)
        sha = hashlib.sha256(raw).hexdigest()[:16]
        assert sha == EXPECTED_SHA[name], (name, sha)
        found.add(name)
        ty = rty
        for d in reversed(shape):
            ty = f"[{ty}; {d}]"

        def nest(items, dims):
            if len(dims) == 1:
                lines = []
                per = 16 if rty == "u8" else 6
                for i in range(0, len(items), per):
                    lines.append(", ".join(items[i:i + per]) + ",")
                return "[\n" + "\n".join(lines) + "\n]"
            step = len(items) // dims[0]
            return "[\n" + ",\n".join(nest(items[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])) + ",\n]"

        out.append(f"/// `{name}` ({count} values).")
        out.append(f"pub(crate) static {rname}: {ty} = {nest(strs, shape)};")
        out.append("#[cfg(test)]")
        out.append(f"pub(crate) const {rname}_CHECK: TableCheck = TableCheck {{ count: {count}, "
                   f"fnv1a64: 0x{fnv1a64(raw):016x}, sum: {float(total)!r} }};")
        out.append("")
    missing = set(SHAPES) - found
    assert not missing, missing
    print("// @generated by tools/gen_voice_tables.py from FFmpeg 5.1.9 libavcodec/wmavoice_data.h:")
    print("// numbers only (see TABLES.md). Do not edit by hand; the tests below guard every table.")
    print("#![allow(clippy::excessive_precision, clippy::unreadable_literal)]")
    print()
    print("/// Element count, FNV-1a 64 over the little-endian bytes, and sum of a table, as")
    print("/// written by the generator.")
    print("#[cfg(test)]")
    print("pub(crate) struct TableCheck {")
    print("    pub(crate) count: usize,")
    print("    pub(crate) fnv1a64: u64,")
    print("    pub(crate) sum: f64,")
    print("}")
    print()
    print("\n".join(out))


if __name__ == "__main__":
    main()
