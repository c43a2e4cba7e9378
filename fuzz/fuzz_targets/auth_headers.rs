//! HTTP authentication headers: a server's `WWW-Authenticate` challenges as the client takes
//! them, and a client's `Authorization` as the server checks it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmsplay_net::auth::{ClientAuth, Credentials, ServerAuth, parse_challenges};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(challenges) = parse_challenges(&text) {
        assert!(challenges.len() <= mmsplay_net::auth::MAX_CHALLENGES);
    }
    let mut client = ClientAuth::new(Some(Credentials::from_spec("user:pass")));
    if client.on_challenge(text.split('\n')).is_ok() {
        assert!(client.authorization("DESCRIBE", "rtsp://h/a.asf").is_some());
    }
    let server = ServerAuth::new("user", "pass", [1; 32]);
    let _ = server.check("GET", "/a.asf", Some(&text), 1_000);
});
