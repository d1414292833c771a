#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod datalogger;
mod device;
mod fault;
mod files;
pub mod li;
#[cfg(feature = "mdns")]
mod mdns;
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
    /// Start with every platform, empty-slot and Datalogger bitstream of the model already
    /// listed by `GET /api/v2/bitstreams` (sha256 `preinstalled-<name>`), as on a device that
    /// has been used before (default true). False starts with none, as a fresh device: the
    /// official client then uploads them from its data directory.
    pub bitstreams_installed: bool,
    /// Advertise the device over mDNS/DNS-SD as a Moku does (`_moku._tcp.local.`, TXT
    /// `txtver` 0.5 with `serial`, `fwver` = [`Config::instruments_build`], …; instance name
    /// [`Config::name`]), so that a client finds it by serial number. Default false.
    #[cfg(feature = "mdns")]
    pub mdns: bool,
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
            bitstreams_installed: true,
            #[cfg(feature = "mdns")]
            mdns: false,
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
    #[cfg(feature = "mdns")]
    advertisement: Option<mdns::Advertisement>,
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
        #[cfg(feature = "mdns")]
        let advertisement = if config.mdns {
            let txt = mdns::txt_record(config.model, &config.serial, config.instruments_build);
            Some(mdns::Advertisement::start(&config.name, addr, &txt)?)
        } else {
            None
        };
        Ok(Emulator {
            #[cfg(feature = "mdns")]
            advertisement,
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

    /// Makes the device owned by another client named `client_name`, as if it had claimed
    /// ownership; returns that client's key. Requests with any other key are then refused, and a
    /// claim needs `force_connect`.
    pub fn claim_for(&self, client_name: &str) -> String {
        self.shared.device().claim_for(client_name)
    }

    /// Stops the server and waits for its thread (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        #[cfg(feature = "mdns")]
        drop(self.advertisement.take());
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
