//! PLACEHOLDER example, replaced by its owner.
fn main() {}
