//! Policy TOML text → a validated policy or a list of problems; never a panic.
#![no_main]

use atlas_audit::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    fuzzing::check_policy(text);
});
