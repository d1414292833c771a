//! Bare-metal proof: this binary links `scpi-parser`, `elog-core` and `elog`
//! (its embedded-io transport) with `default-features = false` (plus
//! `alloc`) and no `std`.
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
    let n = sink.len() as i32;
    n + elog() + transport()
}

/// A stream that has nothing to read and takes every byte (a UART stand-in).
struct Uart;

impl embedded_io::ErrorType for Uart {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, _buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(0)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Serves the ELOG instrument over the embedded-io transport.
fn transport() -> i32 {
    use elog::transport::embedded::{EmbeddedServer, Ended};
    let tree = elog::ElogInstrument::tree();
    let mut inst = elog::ElogInstrument::default();
    let mut server: EmbeddedServer<512, 64> =
        EmbeddedServer::new(elog::limits::ConnectionLimits::default());
    match server.serve(&mut Uart, &tree, &mut inst) {
        Ok(Ended::Eof) => 0,
        _ => 1,
    }
}

/// Drives the ELOG engine through configure, start, ingest and fetch.
fn elog() -> i32 {
    use elog_core::{Duration, Engine, Instant, Layout, StaticCatalog, Timebase};
    let mut cat = StaticCatalog::new();
    let id = cat.add_scalar("AI 1/1", 1000.0);
    let mut engine = Engine::default();
    let _ = engine.set_items(&cat, ["AI 1/1"]);
    let _ = engine.set_period_secs(0.1);
    let _ = engine.start(Instant::ZERO, Timebase::default());
    let _ = engine.push_batch(id, Instant::ZERO, Duration::from_millis(1), &[1.0; 4]);
    let mut buf = [0u8; 64];
    let mut sink = elog_core::SliceSink::new(&mut buf);
    let _ = engine.fetch_into(None, &mut sink);
    let layout: Layout = engine.layout();
    let decoded = elog_core::decode(sink.written(), layout).map_or(0, |r| r.len());
    decoded as i32 + engine.state() as i32
}
