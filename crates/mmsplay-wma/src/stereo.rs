//! Mid/side stereo (wma-decoder.md §5.4): L = M + S, R = M − S, applied to the spectra
//! before the inverse MDCT.

pub(crate) fn mid_side_to_left_right(mid: &mut [f32], side: &mut [f32]) {
    for (m, s) in mid.iter_mut().zip(side.iter_mut()) {
        let (a, b) = (*m, *s);
        *m = a + b;
        *s = a - b;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn butterfly() {
        let mut m = [1.0f32, 0.5];
        let mut s = [0.25f32, -0.5];
        super::mid_side_to_left_right(&mut m, &mut s);
        assert_eq!(m, [1.25, 0.0]);
        assert_eq!(s, [0.75, 1.0]);
    }
}
