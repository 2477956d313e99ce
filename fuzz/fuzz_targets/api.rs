//! Bytes → one Atlas API response decoder, picked by the first byte; what decodes is
//! assembled into a snapshot, evaluated, and survives a save → load round trip.
#![no_main]

use atlas_audit::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::check_api(data);
});
