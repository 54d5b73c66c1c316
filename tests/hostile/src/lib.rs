//! A hostile implementation of the `mail-oauth:plugin` world, built only for
//! the sandbox tests (`tests/tests/hostile_*.rs`); it is never shipped.
//!
//! It implements every export so that the reference host loads it like the
//! real component. `oauth.discover(issuer)` is its command line: the issuer
//! is `<command> <argument>`, the answer comes back as the provider's
//! `display-name`, and an HTTP failure as the typed `http` error:
//!
//! | command           | argument              | what it does                         |
//! |-------------------|-----------------------|--------------------------------------|
//! | `whoami`          | –                     | answers `hostile` (a version probe)  |
//! | `memory-bomb`     | –                     | allocates and touches 1 MiB forever  |
//! | `infinite-loop`   | –                     | spins forever                        |
//! | `sleep`           | seconds               | waits on a timer through wasi:io/poll |
//! | `stack-overflow`  | –                     | recurses forever                     |
//! | `random-bytes`    | length                | one wasi:random `get-random-bytes`   |
//! | `resources`       | count                 | holds `count` stdout stream handles  |
//! | `http-get`        | `url`                 | sends `GET url` through `http`       |
//! | `http-post`       | `bytes url`           | `POST url` with a `bytes`-long body  |
//! | `connect-many`    | `count host port`     | opens `count` plain connections and  |
//! |                   |                       | holds them all                       |
//!
//! Every other export answers `invalid-input`.

#[cfg(target_arch = "wasm32")]
mod component;
