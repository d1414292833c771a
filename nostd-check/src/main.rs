//! Bare-metal proof: this binary links `scpi-parser` and `elog-core` with
//! `default-features = false` (plus `alloc`) and no `std`.
//!
//! * `cargo build -p nostd-check --target thumbv7em-none-eabihf` where that
//!   target is installed (a real Cortex-M4F build);
//! * otherwise `cargo check -p nostd-check` on the host: any crate that pulls
//!   in `std` makes this fail with E0152 (duplicate lang item `panic_impl`).
#![no_std]
#![no_main]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};

/// An allocator that never hands out memory: enough to link, never run.
struct NoHeap;

// SAFETY-free: the workspace forbids unsafe code, but `GlobalAlloc` is an
// unsafe trait; this crate is only ever compiled, never executed.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static HEAP: NoHeap = NoHeap;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// Touches the public API so the crates are really linked in.
#[unsafe(no_mangle)]
pub extern "C" fn main() -> i32 {
    let mut buf = [0u8; 32];
    let mut sink = scpi_parser::SliceSink::new(&mut buf);
    let _ = scpi_parser::number::write_nr3_f32(&mut sink, 1.5);
    sink.len() as i32
}
