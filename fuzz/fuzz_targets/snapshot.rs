//! Bytes → the snapshot loader; a snapshot that loads is evaluated and survives a
//! save → load round trip.
#![no_main]

use atlas_audit::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::check_snapshot(data);
});
