//! An emulator of a Liquid Instruments Moku (Go, Lab, Pro or Delta) running the **Datalogger**,
//! served over real HTTP/1.1 on a loopback port, so that the Rust client, its tests and examples,
//! and the vendor's own Python client (`moku` 4.4) can run without hardware.
//!
//! ```
//! use moku_emulator::{Config, Emulator, Model, Signal};
//!
//! let emu = Emulator::start(Config { model: Model::Pro, ..Config::default() })?;
//! emu.set_input_signal(1, Signal::Constant(0.25));
//! println!("a client connects to http://{}/api/...", emu.host());
//! emu.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What is emulated (spec `moku-http.md` §13)
//! * **Transport**: hyper 1 HTTP/1.1 with keep-alive, exact `Content-Length`, any number of
//!   concurrent connections, empty-body POSTs, percent-decoded path segments, and the response
//!   header spelled exactly `Moku-Client-Key` (hyper's title-case writer). `relinquish_ownership`
//!   answers with `Connection: close`.
//! * **Envelopes** `{"success","data","code","messages"}` with all four keys and only the `data`
//!   shapes the official client accepts; bare answers where the official client expects them
//!   (`GET /api/v2/bitstreams`, downloads, `save_settings`, `get_chunk`).
//! * **Ownership**: `claim_ownership` returns a string key in `data` and in the header. While the
//!   device is owned, a request carrying another key is refused (`INVALID_REQUEST`), and a new
//!   claim without `force_connect` is refused. A claim while a session is acquiring needs
//!   `ignore_busy`. Unless `persist_state` is set, a claim resets the instruments' settings (when
//!   nothing is acquiring). With [`Config::require_client_key`] a keyless request is refused too,
//!   except `claim_ownership`, the file endpoints, which the vendor documents as key-free, and
//!   `v2/get_chunk`, which `mokucli stream` calls without the key.
//! * **Device endpoints**: `describe` (`hardware`, `mokuOS`, `proxy_version: "3"`,
//!   `instruments_build`, ...), `name`, `serial_number`, `mokuos_version`, `calibration_date`,
//!   `summary`, `instrument_supported` / `platform_supported` (only instrument id 7 and the model's
//!   platform sizes), `platform/<n>`, bitstream listing and `.mokuinst` upload (the MANIFEST's
//!   `items[0].sha256` is listed under the bare name afterwards).
//! * **Slots**: `/api/slot<N>/datalogger/<op>`; slot 1 works without a deploy in single-instrument
//!   mode; `GET /api/slot<N>/datalogger` deploys in multi-instrument mode; `mim/get_instruments`,
//!   `mim/set_connections`, `mim/get_connections`, `mim/set_frontend`.
//! * **The Datalogger**: every operation of spec §7.2 with its exact verb (a wrong verb is 405);
//!   settings round-trip through the getters; the per-model limits of §11 ([`Model::limits`]) with
//!   `strict=true` → `INVALID_PARAM` and `strict=false` → the nearest allowed value plus a note in
//!   `messages`; `INVALID_REQUEST` for requests that conflict with the state (stop_logging with no
//!   session, a second session, changing the acquisition while acquiring, termination on a Go).
//! * **Logging** sessions progress in real time (delay, then `duration` seconds) and leave an LI v3
//!   `.li` file ([`li`]) in the model's location (`persist`, `media` or `ssd`), which
//!   list/download/upload/delete serve. `stop_logging` keeps the samples logged so far.
//! * **Streaming** sessions produce LI v3 chunks in real time on `POST /api/v2/get_chunk` (both body
//!   shapes, including the `"null"` id the official client sends after `stop_streaming`): each
//!   chunk holds the samples acquired since the previous one; nothing new → 200 with an empty body;
//!   after the end → `{"error": "End of stream"}`. `get_stream_status` reports the queue.
//! * **Signals**: each input sees a [`Signal`] (by default input `n` carries a sine of `1/n` V peak
//!   at `10·n` Hz), clipped to the front end's range; [`Signal::FromOutput`] wires an input to the
//!   waveform generator (all seven types of `generate_waveform`).
//! * **Faults** ([`Faults`]): delays, status codes with or without body, error envelopes, dropped
//!   connections, truncated or corrupt bodies, non-JSON bodies; a device owned by another client is
//!   produced by claiming it first with another key.
//!
//! # What is invented (spec §12 and §14: unknown without hardware)
//! The wording of every message; the error codes for ownership refusals (`INVALID_REQUEST`); the
//! client-key format (`emu-<n>-<hex>`) and its use as claim_ownership's `data`; every describe value
//! except `proxy_version`; the default front-end bandwidths (Go `30MHz`, Lab `200MHz`); file names
//! (`<prefix>_YYYYMMDD_HHMMSS.li`, UTC, `_2`... on collision); the logging_progress fields and
//! messages; `stream_id` `logsink<slot-1>`; get_stream_status numbers (256 MiB of stream memory);
//! the end-of-stream signal; the **LI v3 layout** for chunks and files (pymoku's reader, not
//! necessarily what MokuOS 4.4 writes: see [`li`]); the `.mokuconf` content (JSON); the
//! `get_instruments` strings (`"datalogger"`). Settings such as coupling, impedance, acquisition
//! mode, bandwidth, termination and triggers are validated, stored and echoed but do not change
//! the simulated samples (only the range clips them); a trigger does not delay the start. Samples
//! are computed when delivered, from the signals and settings of that moment. Storage is capped
//! ([`Config::storage_bytes`]), `.li` files hold at most [`Config::max_log_samples`] samples, and
//! chunks at most [`Config::max_chunk_samples`].
#![cfg_attr(docsrs, feature(doc_cfg))]

mod datalogger;
mod device;
mod fault;
mod files;
pub mod li;
mod model;
mod params;
mod reply;
mod server;
mod session;
mod settings;
mod signal;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

pub use fault::{Fault, FaultRule, Faults};
pub use model::{Limits, Model, UnknownModel};
pub use signal::Signal;

use device::Device;
use server::Shared;

/// How to run an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// The hardware model (limits, channel count, file locations).
    pub model: Model,
    /// Where to listen; the default `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// The serial number (`serial_number`).
    pub serial: String,
    /// Refuse requests without a `Moku-Client-Key` (except claim_ownership and file endpoints).
    pub require_client_key: bool,
    /// The device name (`name`); empty means `Moku<Model><serial>`.
    pub name: String,
    /// The `mokuOS` version string of `describe`.
    pub mokuos_version: String,
    /// The `instruments_build` of `describe`.
    pub instruments_build: u64,
    /// Largest request body accepted (bigger ones get HTTP 413).
    pub max_body_bytes: usize,
    /// Total bytes of file storage.
    pub storage_bytes: usize,
    /// Largest `.li` file, in samples over all channels (longer sessions are refused when strict,
    /// shortened when not).
    pub max_log_samples: u64,
    /// Largest `get_chunk` answer, in samples over all channels.
    pub max_chunk_samples: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: Model::Go,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            serial: "000123".into(),
            require_client_key: true,
            name: String::new(),
            mokuos_version: "4.4.1".into(),
            instruments_build: 4_400,
            max_body_bytes: 64 * 1024 * 1024,
            storage_bytes: 512 * 1024 * 1024,
            max_log_samples: 8 * 1024 * 1024,
            max_chunk_samples: 256 * 1024,
        }
    }
}

/// A running emulator: an HTTP server on a background thread. Dropping it shuts it down.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    model: Model,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.listen` and starts serving on a background thread.
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        let mut config = config;
        if config.name.is_empty() {
            let model = config.model.hardware().replace(':', "");
            config.name = format!("{model}{}", config.serial);
        }
        let listener = StdListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            device: Mutex::new(Device::new(&config)),
            faults: Faults::default(),
            max_body: config.max_body_bytes,
        });
        let (stop, stopped) = oneshot::channel();
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let served = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("moku-emulator {addr}"))
            .spawn(move || {
                runtime.block_on(server::run(listener, served, stopped));
                // Dropping the runtime cancels every connection task and closes their sockets.
                drop(runtime);
            })?;
        Ok(Emulator {
            addr,
            model: config.model,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `"127.0.0.1:PORT"`: what a client passes as the device's IP.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The emulated model.
    pub fn model(&self) -> Model {
        self.model
    }

    /// The fault-injection table.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Sets what input `input` (1-based) sees from now on. Inputs the model does not have are
    /// ignored; use [`Emulator::try_set_input_signal`] to find out.
    pub fn set_input_signal(&self, input: u8, signal: Signal) {
        self.try_set_input_signal(input, signal);
    }

    /// Like [`Emulator::set_input_signal`]; false if the model has no input `input`.
    pub fn try_set_input_signal(&self, input: u8, signal: Signal) -> bool {
        self.shared.device().set_input(input, signal)
    }

    /// Stops the server and waits for its thread (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}
