//! The Rust ELOG client: reads records from any ELOG server (ours or DEWETRON OXYGEN).
