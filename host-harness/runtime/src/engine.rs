//! The wasmtime engine and the thread that makes time limits work.
//!
//! One [`Runtime`] per process: it owns the [`Engine`] (compiled code, the
//! instance pool) and, when calls have time limits, the epoch ticker thread.
//! Every [`crate::Plugin`] loaded into it, including a newer version of the
//! component loaded while calls are in flight, shares both.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How the engine is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Reserve instance slots up front (many tenants, many calls); `None`
    /// allocates each instance on demand (a CLI, a few calls).
    pub pooling: Option<PoolingOptions>,
    /// The epoch tick: the granularity of the guest-time limit. `None` turns
    /// time limits off (no ticker thread, no checks in the generated code).
    pub epoch_tick: Option<Duration>,
}

impl EngineOptions {
    /// What the CLI uses: on-demand allocation, no time limits.
    pub fn single_user() -> Self {
        Self {
            pooling: None,
            epoch_tick: None,
        }
    }

    /// What a multi-tenant host uses: a pool of `max_live_instances` slots
    /// and a 10 ms epoch tick.
    pub fn multi_tenant(max_live_instances: u32) -> Self {
        Self {
            pooling: Some(PoolingOptions {
                max_live_instances,
                ..PoolingOptions::default()
            }),
            epoch_tick: Some(Duration::from_millis(10)),
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self::single_user()
    }
}

/// The instance pool's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolingOptions {
    /// How many component instances may be alive at once, over all tenants
    /// (default 1,000). One more is refused with a trap error until one ends.
    pub max_live_instances: u32,
    /// The largest linear memory a pooled instance may have (default 16 MiB).
    /// A tenant's [`crate::limits::CallLimits::max_memory_bytes`] above this
    /// is lowered to it.
    pub max_memory_bytes: usize,
    /// Virtual address space reserved per linear memory (default 4 GiB).
    /// Must be at least `max_memory_bytes`. With 4 GiB (plus the 32 MiB
    /// guard) a 32-bit memory can never be addressed out of its reservation,
    /// so Cranelift drops every bounds check; the cost is address space only
    /// (10,000 slots reserve about 40 TiB of the 128 TiB a process has, none
    /// of it committed). Lower it where address space is limited (`ulimit
    /// -v`, `vm.overcommit_memory = 2`): every load and store then carries a
    /// bounds check (`sasl.xoauth2` took 1.5 to 2.9 times as long in our
    /// runs on a busy 2-core machine).
    pub memory_reservation: u64,
    /// Bytes at the start of a linear memory kept resident (zeroed with
    /// memset, not returned with madvise) when a slot is freed (default
    /// 256 KiB: the component's 128 KiB stack, its data and first heap pages).
    /// Every call touches those pages, so keeping them saves a madvise and
    /// the page faults of the next call (ensure-fresh + xoauth2 throughput:
    /// about 3x, measured by tests/bench.sh); it costs up to that much RSS
    /// per idle warm slot.
    pub keep_resident: usize,
}

impl Default for PoolingOptions {
    fn default() -> Self {
        Self {
            max_live_instances: 1_000,
            max_memory_bytes: 16 << 20,
            memory_reservation: 4 << 30,
            keep_resident: 256 << 10,
        }
    }
}

/// Core instances, memories and tables one instance of the component needs:
/// the main module, its data and the component model's small shim modules.
/// Counted on the current component (`wasm-tools print`): 1 memory, 2 tables
/// and a handful of core instances; these bounds leave room for growth.
const CORE_INSTANCES_PER_COMPONENT: u32 = 8;
const TABLES_PER_COMPONENT: u32 = 4;
const MEMORIES_PER_COMPONENT: u32 = 1;

/// The engine, and the ticker thread when time limits are on.
pub struct Runtime {
    engine: Engine,
    options: EngineOptions,
    ticker: Option<Ticker>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine (and starts the ticker when `epoch_tick` is set).
    pub fn new(options: EngineOptions) -> anyhow::Result<Self> {
        let engine = Engine::new(&config(&options)?)?;
        let ticker = match options.epoch_tick {
            Some(tick) => Some(Ticker::start(&engine, tick)?),
            None => None,
        };
        Ok(Self {
            engine,
            options,
            ticker,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The options it was built with.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The epoch tick, when time limits are on.
    pub fn epoch_tick(&self) -> Option<Duration> {
        self.ticker.as_ref().map(|t| t.tick)
    }

    /// The memory cap of a pooled slot, when pooling.
    pub(crate) fn pooled_memory_cap(&self) -> Option<usize> {
        self.options.pooling.as_ref().map(|p| p.max_memory_bytes)
    }
}

/// The engine configuration, each setting with why.
/// Compiles `component` ahead of time for engines built with `options`, on
/// the machine whose target triple is `target` (`None`: this machine, with
/// this CPU's features). The result loads with
/// [`crate::Plugin::from_precompiled`]; a build script embeds it so that a
/// first run does not compile (the `mail-oauth` CLI does).
pub fn precompile(
    options: &EngineOptions,
    component: &[u8],
    target: Option<&str>,
) -> anyhow::Result<Vec<u8>> {
    let mut config = config(options)?;
    if let Some(triple) = target {
        config.target(triple)?;
    }
    Ok(Engine::new(&config)?.precompile_component(component)?)
}

fn config(options: &EngineOptions) -> anyhow::Result<Config> {
    let mut config = Config::new();
    // The exports are plain synchronous calls: the host's imports block the
    // calling thread, which is what a CLI or a thread-per-request server
    // wants. No async support in the calls: cheaper entry and exit.
    config.wasm_component_model(true);
    // Optimize generated code for speed: the component is compiled once and
    // cached, so compile time matters less than call time.
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // Copy-on-write memory images: a new instance maps the component's data
    // segments instead of copying them, so instantiation does not grow with
    // the data size and untouched pages cost no RSS. (The default; set so
    // that the choice is visible.)
    config.memory_init_cow(true);
    if options.epoch_tick.is_some() {
        // Epoch interruption: the generated code checks a counter at function
        // entries and loop headers (a load and a compare, a few percent of
        // guest time) and stops when the store's deadline is passed. The
        // alternative, fuel, counts every instruction and costs far more.
        config.epoch_interruption(true);
    }
    if let Some(pool) = &options.pooling {
        anyhow::ensure!(
            pool.memory_reservation >= pool.max_memory_bytes as u64,
            "memory_reservation ({}) must be at least max_memory_bytes ({})",
            pool.memory_reservation,
            pool.max_memory_bytes
        );
        let n = pool.max_live_instances;
        let mut p = PoolingAllocationConfig::new();
        // Slots are reserved up front: instantiation takes a free slot
        // instead of mapping memory, and a reused slot keeps its mappings.
        p.total_component_instances(n);
        p.total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT));
        p.max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT);
        p.total_memories(n.saturating_mul(MEMORIES_PER_COMPONENT));
        p.max_memories_per_component(MEMORIES_PER_COMPONENT);
        p.total_tables(n.saturating_mul(TABLES_PER_COMPONENT));
        p.max_tables_per_component(TABLES_PER_COMPONENT);
        // The component's tables have 213 and 15 entries.
        p.table_elements(1_000);
        p.max_memory_size(pool.max_memory_bytes);
        // Keep a little of each slot resident for the next call (see
        // `keep_resident`), and reset the rest with madvise.
        p.linear_memory_keep_resident(pool.keep_resident);
        p.table_keep_resident(16 << 10);
        // Idle slots affine to an old component version are reused rather
        // than cold slots touched: RSS follows the live count, not the pool.
        p.max_unused_warm_slots(0);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(p));
        config.memory_reservation(pool.memory_reservation);
        // No room for growth beyond the reservation: a memory never moves.
        config.memory_reservation_for_growth(0);
        // A guard region after each memory catches the static offsets of
        // loads and stores past the reservation; 32 MiB per slot is address
        // space, not RSS.
        config.memory_guard_size(32 << 20);
    }
    Ok(config)
}

/// Advances the engine's epoch every `tick` until dropped.
struct Ticker {
    tick: Duration,
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: &Engine, tick: Duration) -> anyhow::Result<Self> {
        let engine = engine.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mail-oauth-epoch".into())
            .spawn(move || {
                // The channel doubles as an interruptible sleep: dropping the
                // sender ends the thread at once.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    engine.increment_epoch();
                }
            })
            .map_err(|e| anyhow::anyhow!("cannot start the epoch ticker thread: {e}"))?;
        Ok(Self {
            tick,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
