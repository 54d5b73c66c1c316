//! Per-call limits of the sandbox, and the typed error for a limit hit.
//!
//! Each call into the component runs in its own `Store`, so a limit hit
//! costs that one call: the instance is dropped with its store, the next
//! call gets a fresh one, and nothing is shared with other tenants.
//!
//! Four limits are enforced by the host, on top of the HTTP and socket
//! limits ([`crate::http_client::HttpLimits`],
//! [`crate::transport::TransportLimits`]):
//! - linear memory, tables and instances, through wasmtime's `StoreLimits`;
//! - time spent executing guest code, through epoch interruption (the
//!   [`crate::engine::Runtime`] owns the ticker thread); time blocked in host
//!   imports is not counted, those have their own timeouts;
//! - wall-clock time of the whole call, checked at the same ticks and
//!   passed to the mail transport as the deadline of every socket wait;
//! - bytes passed through the host imports in either direction.

use std::time::{Duration, Instant};

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// The limits of one call into the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLimits {
    /// Largest linear memory the instance may grow to (default 16 MiB; the
    /// component starts at about 1.1 MiB and a token exchange needs a few
    /// hundred KiB more).
    pub max_memory_bytes: usize,
    /// Largest table (default 10,000 elements; the component declares 213).
    pub max_table_elements: usize,
    /// Guest execution time allowed per call, host imports excluded (default
    /// 1 s; real calls take microseconds). Enforced with the granularity of
    /// the runtime's epoch tick.
    pub max_guest_time: Duration,
    /// Wall-clock time allowed per call, host imports included (default
    /// 120 s). Checked while guest code runs, and passed to the mail
    /// transport as its deadline: no connect, read, write or TLS handshake
    /// waits past it, however slowly a server sends.
    pub max_call_time: Duration,
    /// Bytes the guest may pass to and receive from the host imports over one
    /// call (default 8 MiB): request URLs, headers and bodies, response
    /// bodies, mail lines and writes.
    pub max_hostcall_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            max_memory_bytes: 16 << 20,
            max_table_elements: 10_000,
            max_guest_time: Duration::from_secs(1),
            max_call_time: Duration::from_secs(120),
            max_hostcall_bytes: 8 << 20,
        }
    }
}

/// A call stopped by a host limit. The call's instance is gone; the next
/// call works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The guest asked for more linear memory (or table space) than allowed.
    #[error("the call needed more than {limit} bytes of linear memory")]
    Memory {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The guest grew a table past its cap.
    #[error("the call needed more than {limit} table elements")]
    Table {
        /// The cap, in elements.
        limit: usize,
    },
    /// The guest computed for longer than allowed.
    #[error("the call ran guest code for longer than {limit:?}")]
    GuestTime {
        /// The cap.
        limit: Duration,
    },
    /// The whole call took longer than allowed.
    #[error("the call took longer than {limit:?}")]
    CallTime {
        /// The cap.
        limit: Duration,
    },
    /// Every instance slot of the runtime's pool is taken by calls in
    /// flight; nothing ran. Retry, or give the pool more slots.
    #[error("no free instance slot: {detail}")]
    PoolFull {
        /// wasmtime's description of the exhausted resource.
        detail: String,
    },
    /// The guest passed more data through host imports than allowed.
    #[error("the call passed more than {limit} bytes through host imports")]
    HostcallData {
        /// The cap, in bytes.
        limit: usize,
    },
}

impl LimitExceeded {
    /// A stable machine name, for metrics and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            LimitExceeded::Memory { .. } => "limit_memory",
            LimitExceeded::Table { .. } => "limit_table",
            LimitExceeded::GuestTime { .. } => "limit_guest_time",
            LimitExceeded::CallTime { .. } => "limit_call_time",
            LimitExceeded::HostcallData { .. } => "limit_hostcall_data",
            LimitExceeded::PoolFull { .. } => "pool_full",
        }
    }
}

/// The limits' live state in one store.
pub(crate) struct CallMeter {
    limits: CallLimits,
    store_limits: StoreLimits,
    started: Instant,
    /// Time spent inside host imports during the current call.
    pub(crate) host_time: Duration,
    /// Time spent inside host imports over every call of the store.
    pub(crate) total_host_time: Duration,
    /// Bytes through host imports so far.
    hostcall_bytes: usize,
}

impl CallMeter {
    pub(crate) fn new(limits: CallLimits) -> Self {
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(limits.max_memory_bytes)
            .table_elements(limits.max_table_elements)
            // A refused grow traps instead of returning -1: the Rust guest
            // would abort on allocation failure anyway, and the trap carries
            // the typed reason.
            .trap_on_grow_failure(true)
            .build();
        Self {
            limits,
            store_limits,
            started: Instant::now(),
            host_time: Duration::ZERO,
            total_host_time: Duration::ZERO,
            hostcall_bytes: 0,
        }
    }

    pub(crate) fn limits(&self) -> &CallLimits {
        &self.limits
    }

    /// When the current call must end: its start plus
    /// [`CallLimits::max_call_time`]. Every mail read, write and handshake
    /// waits at most until then.
    pub(crate) fn deadline(&self) -> Instant {
        self.started + self.limits.max_call_time
    }

    /// Adds time spent in a host import.
    pub(crate) fn add_host_time(&mut self, d: Duration) {
        self.host_time += d;
        self.total_host_time += d;
    }

    /// Restarts the per-call clocks and counters before each export call.
    pub(crate) fn start(&mut self) {
        self.started = Instant::now();
        self.host_time = Duration::ZERO;
        self.hostcall_bytes = 0;
    }

    /// Counts `n` bytes through an import; the error traps the call.
    pub(crate) fn charge(&mut self, n: usize) -> Result<(), LimitExceeded> {
        self.hostcall_bytes = self.hostcall_bytes.saturating_add(n);
        if self.hostcall_bytes > self.limits.max_hostcall_bytes {
            return Err(LimitExceeded::HostcallData {
                limit: self.limits.max_hostcall_bytes,
            });
        }
        Ok(())
    }

    /// Called at each epoch deadline: `Ok(ticks)` to go on for that many more
    /// ticks, or the limit that stops the call.
    pub(crate) fn check_time(&self, tick: Duration) -> Result<u64, LimitExceeded> {
        self.check_time_at(self.started.elapsed(), tick)
    }

    fn check_time_at(&self, elapsed: Duration, tick: Duration) -> Result<u64, LimitExceeded> {
        if elapsed > self.limits.max_call_time {
            return Err(LimitExceeded::CallTime {
                limit: self.limits.max_call_time,
            });
        }
        let guest = elapsed.saturating_sub(self.host_time);
        if guest > self.limits.max_guest_time {
            return Err(LimitExceeded::GuestTime {
                limit: self.limits.max_guest_time,
            });
        }
        Ok(ticks_for(self.limits.max_guest_time - guest, tick))
    }
}

/// Ticks to wait for `budget`, at least one.
pub(crate) fn ticks_for(budget: Duration, tick: Duration) -> u64 {
    let tick = tick.as_nanos().max(1);
    (budget.as_nanos().div_ceil(tick) as u64).max(1)
}

impl ResourceLimiter for CallMeter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match self.store_limits.memory_growing(current, desired, maximum) {
            Ok(true) => Ok(true),
            _ => Err(LimitExceeded::Memory {
                limit: self.limits.max_memory_bytes,
            }
            .into()),
        }
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match self.store_limits.table_growing(current, desired, maximum) {
            Ok(true) => Ok(true),
            _ => Err(LimitExceeded::Table {
                limit: self.limits.max_table_elements,
            }
            .into()),
        }
    }

    fn instances(&self) -> usize {
        self.store_limits.instances()
    }

    fn tables(&self) -> usize {
        self.store_limits.tables()
    }

    fn memories(&self) -> usize {
        self.store_limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostcall_bytes_are_capped_per_call() {
        let mut m = CallMeter::new(CallLimits {
            max_hostcall_bytes: 100,
            ..CallLimits::default()
        });
        assert_eq!(m.charge(60), Ok(()));
        assert_eq!(m.charge(40), Ok(()));
        assert_eq!(m.charge(1), Err(LimitExceeded::HostcallData { limit: 100 }));
        m.start();
        assert_eq!(m.charge(100), Ok(()), "a new call starts from zero");
    }

    #[test]
    fn memory_past_the_cap_is_a_typed_trap() {
        let mut m = CallMeter::new(CallLimits {
            max_memory_bytes: 2 << 20,
            ..CallLimits::default()
        });
        assert!(m.memory_growing(0, 1 << 20, None).unwrap());
        let err = m.memory_growing(1 << 20, 3 << 20, None).unwrap_err();
        assert_eq!(
            err.downcast_ref::<LimitExceeded>(),
            Some(&LimitExceeded::Memory { limit: 2 << 20 })
        );
    }

    #[test]
    fn time_budget_is_turned_into_ticks() {
        let tick = Duration::from_millis(10);
        assert_eq!(ticks_for(Duration::from_millis(95), tick), 10);
        assert_eq!(ticks_for(Duration::ZERO, tick), 1);
    }

    #[test]
    fn guest_time_excludes_host_time_and_wall_time_is_capped() {
        let tick = Duration::from_millis(10);
        let mut m = CallMeter::new(CallLimits {
            max_guest_time: Duration::from_millis(100),
            max_call_time: Duration::from_secs(5),
            ..CallLimits::default()
        });
        let ms = Duration::from_millis;
        // 40 ms of guest time left: 4 more ticks.
        assert_eq!(m.check_time_at(ms(60), tick), Ok(4));
        assert_eq!(
            m.check_time_at(ms(101), tick),
            Err(LimitExceeded::GuestTime { limit: ms(100) })
        );
        // Two seconds blocked in an import do not count as guest time...
        m.host_time = ms(2000);
        assert_eq!(m.check_time_at(ms(2050), tick), Ok(5));
        // ...but the whole call is still bounded.
        m.host_time = ms(5500);
        assert_eq!(
            m.check_time_at(ms(5501), tick),
            Err(LimitExceeded::CallTime { limit: ms(5000) })
        );
    }
}
