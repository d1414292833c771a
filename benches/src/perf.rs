//! The headline measurements, one module per area; each appends to a [`Report`](crate::Report).

pub mod e2e;
pub mod elog;
pub mod moku;
pub mod scale;
pub mod scpi;
pub mod transports;
