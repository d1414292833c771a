#![no_main]
// PLACEHOLDER: replaced by the crate owner with the real target.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
