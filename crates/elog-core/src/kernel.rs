//! The lane kernels of [`crate::aggregate`] and their CPU-feature dispatch.
//!
//! Every kernel is written once, as generic lane code over fixed arrays
//! (`[f64; L]` per statistic, branch-free `if x < m { x } else { m }` for
//! MIN/MAX), and instantiated per instruction set:
//!
//! * **portable**: the code as the target compiles it (SSE2 on a default
//!   x86-64 build, scalar soft/hard float on a microcontroller; already
//!   AVX2/AVX-512 wide when the build enables those features, e.g.
//!   `-C target-cpu=native`);
//! * **avx2** / **avx512f** (x86-64 with `std`, when the build does not
//!   already enable AVX2): the *same* generic code inside a
//!   `#[target_feature]` function, so LLVM vectorises it 256/512 bits wide.
//!   The CPU is asked once (`is_x86_feature_detected!`), the answer cached
//!   in an atomic.
//!
//! All instantiations give bit-identical results: the lane layout (which
//! sample goes to which lane) and the order of operations within a lane are
//! the same; only how many lanes one instruction covers and how the four
//! statistics are grouped into passes differ. There is no FMA: Rust emits
//! `a + x * x` as a separate multiply and add that LLVM may not fuse, even
//! where the enabled features include `fma` (`avx512f` implies it), and the
//! caller folds the lanes in the same order on every path.
//!
//! This module holds the crate's only `unsafe` code: the calls of the
//! `#[target_feature]` instantiations after the runtime detection.

/// Lanes per statistic of the per-channel batch kernel.
pub(crate) const LANES: usize = 16;

/// Samples per block of the lane loops (16 KiB of `f64`: stays in L1).
const BLOCK: usize = 2048;

/// Lane accumulators of the four statistics, `L` lanes each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Lanes<const L: usize> {
    /// Lane sums.
    pub s: [f64; L],
    /// Lane sums of squares.
    pub q: [f64; L],
    /// Lane minima.
    pub lo: [f64; L],
    /// Lane maxima.
    pub hi: [f64; L],
}

impl<const L: usize> Lanes<L> {
    /// No samples yet.
    pub const EMPTY: Self = Self {
        s: [0.0; L],
        q: [0.0; L],
        lo: [f64::INFINITY; L],
        hi: [f64::NEG_INFINITY; L],
    };
}

/// How a kernel groups the four statistics into passes over one L1 block.
/// The grouping changes speed only, never a result.
#[derive(Clone, Copy)]
enum Passes {
    /// One pass doing all four statistics.
    Fused,
    /// Sum + squares, then min + max.
    Two,
    /// One pass per statistic.
    Four,
}

/// Adds `xs` (`xs.len()` a multiple of `L`) to the lanes, block by block.
#[inline(always)]
fn blocks<const L: usize>(xs: &[f64], acc: &mut Lanes<L>, passes: Passes) {
    for block in xs.chunks(BLOCK) {
        match passes {
            Passes::Fused => fused(block, acc),
            Passes::Two => {
                sum_sq(block, &mut acc.s, &mut acc.q);
                min_max(block, &mut acc.lo, &mut acc.hi);
            }
            Passes::Four => {
                lane_pass::<L, SUM>(block, &mut acc.s);
                lane_pass::<L, SQ>(block, &mut acc.q);
                lane_pass::<L, MIN>(block, &mut acc.lo);
                lane_pass::<L, MAX>(block, &mut acc.hi);
            }
        }
    }
}

/// All four statistics in one pass over `xs` (`xs.len()` a multiple of `L`).
#[inline(always)]
#[allow(
    clippy::needless_range_loop,
    reason = "one index loop per statistic is the lane shape the vectoriser sees"
)]
fn fused<const L: usize>(xs: &[f64], acc: &mut Lanes<L>) {
    let mut a = *acc;
    for c in xs.chunks_exact(L) {
        for j in 0..L {
            a.s[j] += c[j];
        }
        for j in 0..L {
            a.q[j] += c[j] * c[j];
        }
        for j in 0..L {
            a.lo[j] = if c[j] < a.lo[j] { c[j] } else { a.lo[j] };
        }
        for j in 0..L {
            a.hi[j] = if c[j] > a.hi[j] { c[j] } else { a.hi[j] };
        }
    }
    *acc = a;
}

/// Lane sums and sums of squares over `xs` (`xs.len()` a multiple of `L`).
#[inline(always)]
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

/// Lane minima and maxima over `xs`, branch-free (`xs.len()` a multiple of `L`).
#[inline(always)]
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

const SUM: u8 = 0;
const SQ: u8 = 1;
const MIN: u8 = 2;
const MAX: u8 = 3;

/// One statistic `K` in lanes over `xs` (`xs.len()` a multiple of `L`).
#[inline(always)]
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

/// The portable instantiations (the code as the target compiles it).
mod portable {
    use super::{Lanes, Passes, blocks};

    /// How many passes the registers of the build allow for `lanes` lanes:
    /// AVX-512 (32 × 8 lanes) holds all four statistics of 16 lanes, AVX2
    /// (16 × 4 lanes) two of them, SSE2 (16 × 2 lanes) one.
    const fn passes(lanes: usize) -> Passes {
        if cfg!(target_feature = "avx512f") {
            Passes::Fused
        } else if cfg!(target_feature = "avx2") {
            if lanes >= 16 {
                Passes::Two
            } else {
                Passes::Fused
            }
        } else if lanes >= 16 {
            Passes::Four
        } else {
            Passes::Two
        }
    }

    /// The batch kernel: `xs.len()` a multiple of [`super::LANES`].
    #[inline(never)]
    pub(super) fn batch(xs: &[f64], acc: &mut Lanes<{ super::LANES }>) {
        blocks(xs, acc, passes(super::LANES));
    }

    /// The frames kernel for `N` interleaved channels.
    #[inline(never)]
    pub(super) fn frames<const N: usize>(xs: &[f64], acc: &mut Lanes<N>) {
        blocks(xs, acc, passes(N));
    }
}

/// The `#[target_feature]` instantiations of the same generic code.
#[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
mod wide {
    use super::{Lanes, Passes, blocks};

    /// The batch kernel, 256 bits wide (16 lanes × 2 statistics fill the
    /// 16 registers: two passes; one fused pass spills and runs at ⅔ speed).
    #[target_feature(enable = "avx2")]
    pub(super) fn batch_avx2(xs: &[f64], acc: &mut Lanes<{ super::LANES }>) {
        blocks(xs, acc, Passes::Two);
    }

    /// The frames kernel, 256 bits wide.
    #[target_feature(enable = "avx2")]
    pub(super) fn frames_avx2<const N: usize>(xs: &[f64], acc: &mut Lanes<N>) {
        let passes = if N >= 16 { Passes::Two } else { Passes::Fused };
        blocks(xs, acc, passes);
    }

    /// The batch kernel, 512 bits wide (8 of the 32 registers hold all
    /// four statistics: one fused pass).
    #[target_feature(enable = "avx512f")]
    pub(super) fn batch_avx512(xs: &[f64], acc: &mut Lanes<{ super::LANES }>) {
        blocks(xs, acc, Passes::Fused);
    }

    /// The frames kernel, 512 bits wide.
    #[target_feature(enable = "avx512f")]
    pub(super) fn frames_avx512<const N: usize>(xs: &[f64], acc: &mut Lanes<N>) {
        blocks(xs, acc, Passes::Fused);
    }
}

/// An instruction set the kernels run with.
///
/// Only this module constructs values, and only for instruction sets the
/// running CPU has (compile-time features or runtime detection): holding an
/// `Isa` is the proof the `unsafe` calls below rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Isa(IsaKind);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IsaKind {
    Portable,
    #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
    Avx2,
    #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
    Avx512,
}

impl Isa {
    /// The portable code (always available).
    pub(crate) const PORTABLE: Isa = Isa(IsaKind::Portable);

    /// The best instruction set of this CPU (detected once, then cached).
    #[inline]
    pub(crate) fn best() -> Isa {
        #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
        {
            detect::best()
        }
        #[cfg(not(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2"))))]
        {
            Isa::PORTABLE
        }
    }

    /// Every instruction set this CPU can run, portable first.
    #[cfg(test)]
    pub(crate) fn available() -> alloc::vec::Vec<Isa> {
        #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
        {
            let mut v = alloc::vec![Isa::PORTABLE];
            if std::is_x86_feature_detected!("avx2") {
                v.push(Isa(IsaKind::Avx2));
            }
            if std::is_x86_feature_detected!("avx512f") {
                v.push(Isa(IsaKind::Avx512));
            }
            v
        }
        #[cfg(not(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2"))))]
        {
            alloc::vec![Isa::PORTABLE]
        }
    }

    /// A short name (`portable`, `avx2`, `avx512f`).
    pub(crate) fn name(self) -> &'static str {
        match self.0 {
            IsaKind::Portable => {
                if cfg!(target_feature = "avx512f") {
                    "portable (avx512f at compile time)"
                } else if cfg!(target_feature = "avx2") {
                    "portable (avx2 at compile time)"
                } else {
                    "portable"
                }
            }
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            IsaKind::Avx2 => "avx2",
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            IsaKind::Avx512 => "avx512f",
        }
    }

    /// Adds `xs` (`xs.len()` a multiple of [`LANES`]) to the batch lanes.
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) fn batch(self, xs: &[f64], acc: &mut Lanes<LANES>) {
        match self.0 {
            IsaKind::Portable => portable::batch(xs, acc),
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            // SAFETY: an `Isa(Avx2)` exists only after
            // `is_x86_feature_detected!("avx2")` returned true at runtime.
            IsaKind::Avx2 => unsafe { wide::batch_avx2(xs, acc) },
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            // SAFETY: an `Isa(Avx512)` exists only after
            // `is_x86_feature_detected!("avx512f")` returned true at runtime.
            IsaKind::Avx512 => unsafe { wide::batch_avx512(xs, acc) },
        }
    }

    /// Adds whole frames of `N` interleaved channels (lane `j` = column `j`).
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) fn frames<const N: usize>(self, xs: &[f64], acc: &mut Lanes<N>) {
        match self.0 {
            IsaKind::Portable => portable::frames(xs, acc),
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            // SAFETY: an `Isa(Avx2)` exists only after
            // `is_x86_feature_detected!("avx2")` returned true at runtime.
            IsaKind::Avx2 => unsafe { wide::frames_avx2(xs, acc) },
            #[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
            // SAFETY: an `Isa(Avx512)` exists only after
            // `is_x86_feature_detected!("avx512f")` returned true at runtime.
            IsaKind::Avx512 => unsafe { wide::frames_avx512(xs, acc) },
        }
    }
}

/// The runtime detection, cached.
#[cfg(all(target_arch = "x86_64", feature = "std", not(target_feature = "avx2")))]
mod detect {
    use core::sync::atomic::{AtomicU8, Ordering};

    use super::{Isa, IsaKind};

    const UNKNOWN: u8 = 0;
    const PORTABLE: u8 = 1;
    const AVX2: u8 = 2;
    const AVX512: u8 = 3;

    /// The detected instruction set (`UNKNOWN` until the first call).
    static CHOICE: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// The best instruction set: AVX-512F, else AVX2, else portable (as measured).
    #[inline]
    pub(super) fn best() -> Isa {
        let mut c = CHOICE.load(Ordering::Relaxed);
        if c == UNKNOWN {
            c = if std::is_x86_feature_detected!("avx512f") {
                AVX512
            } else if std::is_x86_feature_detected!("avx2") {
                AVX2
            } else {
                PORTABLE
            };
            CHOICE.store(c, Ordering::Relaxed);
        }
        match c {
            AVX2 => Isa(IsaKind::Avx2),
            AVX512 => Isa(IsaKind::Avx512),
            _ => Isa::PORTABLE,
        }
    }
}
