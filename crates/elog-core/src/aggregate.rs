//! Aggregation kernels: AVG, MIN, MAX and RMS of one window, all four at once.
//!
//! Sums and sums of squares are kept in `f64`; the results are emitted as
//! `f32`. The kernels work on fixed arrays of lanes with branch-free min/max
//! (`if x < m { x } else { m }`), a shape the compiler turns into SIMD code.
//! A NaN sample poisons AVG and RMS and is ignored by MIN and MAX.

use crate::config::Calc;

/// Lanes of the per-channel batch kernel.
const LANES: usize = 8;

/// The running statistics of one channel in one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Acc {
    /// Sum of the samples.
    pub sum: f64,
    /// Sum of the squared samples.
    pub sq: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Number of samples.
    pub count: u64,
}

impl Default for Acc {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Acc {
    /// No samples yet.
    pub const EMPTY: Acc = Acc {
        sum: 0.0,
        sq: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        count: 0,
    };

    /// Adds one sample.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.sum += x;
        self.sq += x * x;
        self.min = if x < self.min { x } else { self.min };
        self.max = if x > self.max { x } else { self.max };
        self.count += 1;
    }

    /// Adds a run of samples (the vectorised batch kernel).
    ///
    /// The run is cut into L1-sized blocks; each block is walked by two tight
    /// lane loops (sum + squares, min + max). One loop doing all four keeps
    /// 32 accumulators live and the compiler spills them; two loops over a
    /// block that sits in L1 vectorise cleanly.
    #[inline]
    pub fn push_slice(&mut self, xs: &[f64]) {
        let mut s = [0.0f64; LANES];
        let mut q = [0.0f64; LANES];
        let mut lo = [f64::INFINITY; LANES];
        let mut hi = [f64::NEG_INFINITY; LANES];
        let whole = xs.len() - xs.len() % LANES;
        for block in xs[..whole].chunks(BLOCK) {
            sum_sq::<LANES>(block, &mut s, &mut q);
            min_max::<LANES>(block, &mut lo, &mut hi);
        }
        for j in 0..LANES {
            self.sum += s[j];
            self.sq += q[j];
            self.min = if lo[j] < self.min { lo[j] } else { self.min };
            self.max = if hi[j] > self.max { hi[j] } else { self.max };
        }
        for &x in &xs[whole..] {
            self.sum += x;
            self.sq += x * x;
            self.min = if x < self.min { x } else { self.min };
            self.max = if x > self.max { x } else { self.max };
        }
        self.count += xs.len() as u64;
    }

    /// The value of one calculation (NaN for an empty window).
    #[inline]
    pub fn value(&self, calc: Calc) -> f32 {
        if self.count == 0 {
            return f32::NAN;
        }
        let n = self.count as f64;
        let v = match calc {
            Calc::Avg => self.sum / n,
            Calc::Min => self.min,
            Calc::Max => self.max,
            Calc::Rms => libm::sqrt(self.sq / n),
        };
        v as f32
    }
}

/// Lane-per-channel accumulators for interleaved frames of `n` channels.
#[derive(Clone, Debug, Default)]
pub struct FrameAcc {
    sum: alloc::vec::Vec<f64>,
    sq: alloc::vec::Vec<f64>,
    min: alloc::vec::Vec<f64>,
    max: alloc::vec::Vec<f64>,
}

impl FrameAcc {
    /// Loads the accumulators of the frame's channels (`accs[j]` for column `j`).
    pub fn load(&mut self, accs: impl ExactSizeIterator<Item = Acc>) {
        let n = accs.len();
        for v in [&mut self.sum, &mut self.sq, &mut self.min, &mut self.max] {
            v.clear();
            v.reserve(n);
        }
        for a in accs {
            self.sum.push(a.sum);
            self.sq.push(a.sq);
            self.min.push(a.min);
            self.max.push(a.max);
        }
    }

    /// Column `j`'s accumulator after `extra` more samples on top of `base_count`.
    pub fn get(&self, j: usize, count: u64) -> Acc {
        Acc {
            sum: self.sum[j],
            sq: self.sq[j],
            min: self.min[j],
            max: self.max[j],
            count,
        }
    }

    /// Adds whole frames (`frames.len()` must be a multiple of the loaded width).
    #[inline]
    pub fn push_frames(&mut self, frames: &[f64]) {
        let n = self.sum.len();
        if n == 0 {
            return;
        }
        match n {
            16 => self.push_fixed::<16>(frames),
            8 => self.push_fixed::<8>(frames),
            4 => self.push_fixed::<4>(frames),
            _ => self.push_any(frames),
        }
    }

    fn push_fixed<const N: usize>(&mut self, frames: &[f64]) {
        let mut s = [0.0f64; N];
        let mut q = [0.0f64; N];
        let mut lo = [0.0f64; N];
        let mut hi = [0.0f64; N];
        s.copy_from_slice(&self.sum[..N]);
        q.copy_from_slice(&self.sq[..N]);
        lo.copy_from_slice(&self.min[..N]);
        hi.copy_from_slice(&self.max[..N]);
        let whole = frames.len() - frames.len() % N;
        for block in frames[..whole].chunks(BLOCK) {
            if N >= 16 {
                // 16 lanes × 2 statistics would not fit the registers: one pass each.
                lane_pass::<N, SUM>(block, &mut s);
                lane_pass::<N, SQ>(block, &mut q);
                lane_pass::<N, MIN>(block, &mut lo);
                lane_pass::<N, MAX>(block, &mut hi);
            } else {
                sum_sq::<N>(block, &mut s, &mut q);
                min_max::<N>(block, &mut lo, &mut hi);
            }
        }
        self.sum[..N].copy_from_slice(&s);
        self.sq[..N].copy_from_slice(&q);
        self.min[..N].copy_from_slice(&lo);
        self.max[..N].copy_from_slice(&hi);
    }

    fn push_any(&mut self, frames: &[f64]) {
        let n = self.sum.len();
        let (s, q, lo, hi) = (&mut self.sum, &mut self.sq, &mut self.min, &mut self.max);
        for f in frames.chunks_exact(n) {
            for (j, &x) in f.iter().enumerate() {
                s[j] += x;
                q[j] += x * x;
                lo[j] = if x < lo[j] { x } else { lo[j] };
                hi[j] = if x > hi[j] { x } else { hi[j] };
            }
        }
    }
}

/// Samples per block of the lane loops (16 KiB of `f64`: stays in L1).
const BLOCK: usize = 2048;

/// Lane sums and sums of squares over `xs` (`xs.len()` a multiple of `L`).
#[inline(never)]
fn sum_sq<const L: usize>(xs: &[f64], s: &mut [f64; L], q: &mut [f64; L]) {
    let (mut a, mut b) = (*s, *q);
    for c in xs.chunks_exact(L) {
        for j in 0..L {
            a[j] += c[j];
        }
        for j in 0..L {
            b[j] += c[j] * c[j];
        }
    }
    (*s, *q) = (a, b);
}

const SUM: u8 = 0;
const SQ: u8 = 1;
const MIN: u8 = 2;
const MAX: u8 = 3;

/// One statistic `K` in lanes over `xs` (`xs.len()` a multiple of `L`).
#[inline(never)]
fn lane_pass<const L: usize, const K: u8>(xs: &[f64], acc: &mut [f64; L]) {
    let mut a = *acc;
    for c in xs.chunks_exact(L) {
        for j in 0..L {
            let x = c[j];
            a[j] = match K {
                SUM => a[j] + x,
                SQ => a[j] + x * x,
                MIN => {
                    if x < a[j] {
                        x
                    } else {
                        a[j]
                    }
                }
                _ => {
                    if x > a[j] {
                        x
                    } else {
                        a[j]
                    }
                }
            };
        }
    }
    *acc = a;
}

/// Lane minima and maxima over `xs`, branch-free (`xs.len()` a multiple of `L`).
#[inline(never)]
fn min_max<const L: usize>(xs: &[f64], lo: &mut [f64; L], hi: &mut [f64; L]) {
    let (mut a, mut b) = (*lo, *hi);
    for c in xs.chunks_exact(L) {
        for j in 0..L {
            a[j] = if c[j] < a[j] { c[j] } else { a[j] };
        }
        for j in 0..L {
            b[j] = if c[j] > b[j] { c[j] } else { b[j] };
        }
    }
    (*lo, *hi) = (a, b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_equals_scalar() {
        let xs: alloc::vec::Vec<f64> = (0..37).map(|i| f64::from(i) * 0.5 - 3.0).collect();
        let mut a = Acc::EMPTY;
        a.push_slice(&xs);
        let mut b = Acc::EMPTY;
        for &x in &xs {
            b.push(x);
        }
        assert_eq!(a.count, 37);
        assert_eq!((a.min, a.max), (b.min, b.max));
        assert!((a.sum - b.sum).abs() < 1e-9);
        assert_eq!(a.value(Calc::Min), -3.0);
        assert_eq!(a.value(Calc::Max), 15.0);
        assert_eq!(Acc::EMPTY.value(Calc::Avg).to_bits(), f32::NAN.to_bits());
        let mut r = Acc::EMPTY;
        r.push_slice(&[3.0, -4.0]);
        assert_eq!(r.value(Calc::Rms), libm::sqrtf(12.5));
        assert_eq!(r.value(Calc::Avg), -0.5);
    }

    #[test]
    fn frames_equal_columns() {
        for n in [3usize, 4, 16] {
            let frames: alloc::vec::Vec<f64> = (0..n * 11)
                .map(|i| ((i * 7919) % 101) as f64 - 50.0)
                .collect();
            let mut fa = FrameAcc::default();
            fa.load((0..n).map(|_| Acc::EMPTY));
            fa.push_frames(&frames);
            for j in 0..n {
                let mut a = Acc::EMPTY;
                for f in frames.chunks_exact(n) {
                    a.push(f[j]);
                }
                let got = fa.get(j, 11);
                assert_eq!(
                    (got.min, got.max, got.sum, got.sq),
                    (a.min, a.max, a.sum, a.sq)
                );
            }
        }
    }
}
