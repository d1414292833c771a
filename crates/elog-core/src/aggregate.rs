//! Aggregation kernels: AVG, MIN, MAX and RMS of one window, all four at once.
//!
//! Sums and sums of squares are kept in `f64`; the results are emitted as
//! `f32`. The kernels work on fixed arrays of lanes with branch-free min/max
//! (`if x < m { x } else { m }`), a shape the compiler turns into SIMD code.
//! A NaN sample poisons AVG and RMS and is ignored by MIN and MAX.

use crate::config::Calc;
use crate::kernel::{Isa, LANES, Lanes};

/// The instruction set the aggregation kernels run with on this CPU:
/// `"avx512f"` or `"avx2"` (detected at runtime, x86-64 with `std`), or
/// `"portable"` (the build's own target features). Every choice gives the
/// same bits; see "Safety" in the crate docs.
pub fn kernel_isa() -> &'static str {
    Isa::best().name()
}

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
        self.push_sample(x);
        self.count += 1;
    }

    /// Adds a run of samples (the vectorised batch kernel).
    ///
    /// The samples are dealt round-robin to 16 lanes per statistic; the run
    /// is cut into L1-sized blocks, each walked by the lane loops of the best
    /// instruction set of the CPU ([`kernel_isa`]). The lanes are then folded
    /// in lane order and the last `len % 16` samples added one by one, so the
    /// result is the same bits on every instruction set.
    #[inline]
    pub fn push_slice(&mut self, xs: &[f64]) {
        self.push_slice_with(Isa::best(), xs);
    }

    /// [`Acc::push_slice`] with the kernels of `isa`.
    #[inline]
    fn push_slice_with(&mut self, isa: Isa, xs: &[f64]) {
        let mut l = Lanes::<LANES>::EMPTY;
        let whole = xs.len() - xs.len() % LANES;
        isa.batch(&xs[..whole], &mut l);
        for j in 0..LANES {
            self.sum += l.s[j];
            self.sq += l.q[j];
            self.min = if l.lo[j] < self.min {
                l.lo[j]
            } else {
                self.min
            };
            self.max = if l.hi[j] > self.max {
                l.hi[j]
            } else {
                self.max
            };
        }
        for &x in &xs[whole..] {
            self.push_sample(x);
        }
        self.count += xs.len() as u64;
    }

    /// Adds one sample without counting it.
    #[inline]
    fn push_sample(&mut self, x: f64) {
        self.sum += x;
        self.sq += x * x;
        self.min = if x < self.min { x } else { self.min };
        self.max = if x > self.max { x } else { self.max };
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
    ///
    /// 16, 8 and 4 channels run the lane kernels (one lane per channel, see
    /// [`kernel_isa`]); other widths a plain loop. Either way each channel adds
    /// its samples in frame order, the same bits as [`Acc::push`].
    #[inline]
    pub fn push_frames(&mut self, frames: &[f64]) {
        self.push_frames_with(Isa::best(), frames);
    }

    /// [`FrameAcc::push_frames`] with the kernels of `isa`.
    #[inline]
    fn push_frames_with(&mut self, isa: Isa, frames: &[f64]) {
        match self.sum.len() {
            0 => {}
            16 => self.push_fixed::<16>(isa, frames),
            8 => self.push_fixed::<8>(isa, frames),
            4 => self.push_fixed::<4>(isa, frames),
            _ => self.push_any(frames),
        }
    }

    fn push_fixed<const N: usize>(&mut self, isa: Isa, frames: &[f64]) {
        let mut l = Lanes::<N>::EMPTY;
        l.s.copy_from_slice(&self.sum[..N]);
        l.q.copy_from_slice(&self.sq[..N]);
        l.lo.copy_from_slice(&self.min[..N]);
        l.hi.copy_from_slice(&self.max[..N]);
        let whole = frames.len() - frames.len() % N;
        isa.frames(&frames[..whole], &mut l);
        self.sum[..N].copy_from_slice(&l.s);
        self.sq[..N].copy_from_slice(&l.q);
        self.min[..N].copy_from_slice(&l.lo);
        self.max[..N].copy_from_slice(&l.hi);
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

    /// Deterministic test data with NaN, ±0.0, ±∞ and subnormals mixed in.
    fn data(n: usize, seed: u64) -> alloc::vec::Vec<f64> {
        let mut x = seed | 1;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match x % 97 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 if i % 5 == 0 => f64::INFINITY,
                    4 if i % 7 == 0 => f64::NEG_INFINITY,
                    5 => f64::MIN_POSITIVE / 3.0,
                    _ => (x >> 11) as f64 / (1u64 << 53) as f64 * 2e3 - 1e3,
                }
            })
            .collect()
    }

    fn bits(a: &Acc) -> [u64; 5] {
        [
            a.sum.to_bits(),
            a.sq.to_bits(),
            a.min.to_bits(),
            a.max.to_bits(),
            a.count,
        ]
    }

    #[test]
    fn every_isa_gives_the_portable_bits_for_slices() {
        let isas = Isa::available();
        let mut lens: alloc::vec::Vec<usize> = (0..=70).collect();
        lens.extend([
            127,
            128,
            129,
            1000,
            2047,
            2048,
            2049,
            4096 + 15,
            3 * 2048 + 17,
        ]);
        for (k, &n) in lens.iter().enumerate() {
            // Without the NaN mix too, so that sums stay finite and compare.
            for xs in [
                data(n, k as u64 + 1),
                data(n, k as u64 + 1)
                    .iter()
                    .map(|x| if x.is_finite() { *x } else { 1.5 })
                    .collect(),
            ] {
                let mut want = Acc::EMPTY;
                want.push(0.25);
                want.push_slice_with(Isa::PORTABLE, &xs);
                for &isa in &isas {
                    let mut got = Acc::EMPTY;
                    got.push(0.25);
                    got.push_slice_with(isa, &xs);
                    assert_eq!(bits(&got), bits(&want), "{} len {n}", isa.name());
                }
                let mut best = Acc::EMPTY;
                best.push(0.25);
                best.push_slice(&xs);
                assert_eq!(bits(&best), bits(&want), "dispatched, len {n}");
            }
        }
    }

    #[test]
    fn every_isa_gives_the_portable_bits_for_frames() {
        let isas = Isa::available();
        for n in [3usize, 4, 8, 16] {
            for frames in [0usize, 1, 2, 7, 130, 2048 / n + 3, 5000] {
                let xs = data(n * frames, (n * 1000 + frames) as u64);
                let start = || {
                    (0..n).map(|j| {
                        let mut a = Acc::EMPTY;
                        a.push(j as f64 - 1.5);
                        a
                    })
                };
                let mut want = FrameAcc::default();
                want.load(start());
                want.push_frames_with(Isa::PORTABLE, &xs);
                for &isa in &isas {
                    let mut got = FrameAcc::default();
                    got.load(start());
                    got.push_frames_with(isa, &xs);
                    for j in 0..n {
                        assert_eq!(
                            bits(&got.get(j, 0)),
                            bits(&want.get(j, 0)),
                            "{} n {n} frames {frames} col {j}",
                            isa.name()
                        );
                    }
                }
                // Lane j of the frame kernels is column j added in frame order.
                for j in 0..n {
                    let mut a = start().nth(j).unwrap_or(Acc::EMPTY);
                    for f in xs.chunks_exact(n) {
                        a.push(f[j]);
                    }
                    assert_eq!(bits(&want.get(j, a.count)), bits(&a), "n {n} col {j}");
                }
            }
        }
    }
}
