//! verify-smtp (and its refresh-once retry) against arbitrary server bytes;
//! the properties are those of [`mail_oauth_fuzz::dialogue`].
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_oauth_fuzz::{Protocol, dialogue};

fuzz_target!(|data: &[u8]| dialogue(Protocol::Smtp, data));
