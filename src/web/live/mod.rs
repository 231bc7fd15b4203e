//! Live scanning, the browser's part: after a Binance scan, the scan stays on
//! and each symbol is scanned again the moment its bar closes. Every decision
//! (which sockets, when a bar is closed, which gap to fetch, when to
//! reconnect, what changed in the table) is `data::live`'s, tested natively;
//! this file only wires it: WebSockets ([`socket`]), REST gap fills through the
//! scan's feed, the appended bars into IndexedDB, re-scans on the worker pool,
//! one owner tab per scan and followers ([`tabs`]), a 1 s timer and the
//! page's visibility.
//!
//! Flow: socket text → `Live::on_text` → `Append` → the symbol's series grows
//! (and is cached) → dirty → after a short debounce (bars that close together
//! are batched; the wall clock is never waited for) the dirty symbols are
//! scanned off the page → `Marks::apply` → the UI's rows, marks and log.

mod rescan;
pub mod socket;
pub mod tabs;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::data::fnv1a_64;
use crate::data::interval::Interval;
use crate::data::live::{
    Changes, ClosedBar, Command, LiveConfig, LiveStatus, LogEntry, Mark, Marks,
};
use crate::data::loader::{Feed, LoadPlan};
use crate::engine::bars::Bars;
use crate::engine::lang::Scan;
use crate::engine::run::{self, Limits, Row, RunOptions};

use super::fetch::{AbortRegistry, BrowserTransport};
use super::loader::WebFeed;
use super::pool;
use super::runner::ScanJob;
use super::store::{BarStore, CacheKey, DEFAULT_QUOTA_BYTES};
use super::time::{epoch_ms, WebClock};
use crate::data::live::wire::{unwire_bar, wire_bar, LiveStatusWire, TabMessage};
use rescan::{closed_bars, scan_symbols};
use socket::{Socket, SocketEvent};
use tabs::{request_lock, Channel, LockRequest};

/// Closed bars that arrive within this many ms are scanned together (a
/// boundary closes every symbol of the interval within a few ms).
const DEBOUNCE_MS: u32 = 15;
/// How often the state machine is asked about stalls, due reconnects and
/// rotation, and the status line refreshed.
const TICK_MS: u32 = 1_000;

/// A page event listener kept alive while it is attached.
type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// What a live scan starts from: the first full scan and its bars.
pub struct LiveSetup {
    /// The first scan's job (a Binance source, its interval and base).
    pub job: ScanJob,
    /// `wss://…` (the `stream-base` field).
    pub stream_base: String,
    /// Each loaded symbol's whole series, ascending (the last bar may be the
    /// one still forming when the scan fetched it).
    pub series: Vec<(String, Arc<Bars>)>,
    /// The symbols the first scan matched.
    pub matching: Vec<String>,
    pub store: Rc<BarStore>,
    /// A connection silent this long is closed and opened again.
    pub stall_ms: i64,
}

/// Whether this tab holds the sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Another tab of the same scan owns the sockets; this one follows.
    Follower,
    Owner,
    Stopped,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Owner => "owner",
            Role::Stopped => "stopped",
        }
    }
}

/// The live scan as the status line and the hooks show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveView {
    pub role: Role,
    /// The owner's status (a follower shows the owner's last broadcast).
    pub status: LiveStatus,
    /// When `status` was taken (epoch ms).
    pub at_ms: f64,
    pub rescans: u64,
    /// Close message to rows handed to the UI, for the last re-scan (ms).
    pub last_rescan_ms: Option<f64>,
    /// Bars received from the owner tab (followers).
    pub followed_bars: u64,
}

/// One re-scan's news for the table.
#[derive(Debug, Clone)]
pub struct Rescanned {
    /// The rows of the re-scanned symbols that match now (replace or add).
    pub rows: Vec<Row>,
    pub changes: Changes,
    /// The mark of each re-scanned symbol after it (None: no mark).
    pub marks: Vec<(String, Option<Mark>)>,
    /// Log entries this re-scan added.
    pub log: Vec<LogEntry>,
}

/// What the page hears from a live scan.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Status(LiveView),
    Rescanned(Rescanned),
}

/// A running live scan. `stop` (or dropping every clone and calling stop)
/// closes its sockets, its timer, its lock and its channel.
#[derive(Clone)]
pub struct LiveHandle {
    inner: Rc<Inner>,
}

struct Inner {
    setup: LiveSetup,
    interval: Interval,
    plan: LoadPlan,
    scan: Arc<Scan>,
    feed: WebFeed,
    aborts: AbortRegistry,
    role: Cell<Role>,
    core: RefCell<Option<crate::data::live::Live>>,
    sockets: RefCell<HashMap<usize, Socket>>,
    series: RefCell<HashMap<String, Arc<Bars>>>,
    dirty: RefCell<BTreeSet<String>>,
    /// When the first bar of the pending re-scan closed (epoch ms, for the latency).
    dirty_since: Cell<Option<f64>>,
    /// Open time of the newest bar appended since the last re-scan.
    dirty_bar_open: Cell<i64>,
    rescan_scheduled: Cell<bool>,
    /// The pending debounce (dropping it cancels it).
    rescan_timer: RefCell<Option<gloo_timers::callback::Timeout>>,
    rescanning: Cell<bool>,
    rescans: Cell<u64>,
    last_rescan_ms: Cell<Option<f64>>,
    followed_bars: Cell<u64>,
    /// The owner's last status, as a follower heard it.
    followed_status: RefCell<Option<LiveStatusWire>>,
    marks: RefCell<Marks>,
    next_row_scan: Cell<u64>,
    timer: RefCell<Option<gloo_timers::callback::Interval>>,
    visibility: RefCell<Option<Listener>>,
    lock: RefCell<Option<LockRequest>>,
    channel: RefCell<Option<Channel>>,
    on_event: Box<dyn Fn(LiveEvent)>,
}

impl LiveHandle {
    /// Starts following `setup`'s scan live: as the owner of its sockets if
    /// no other tab of this scan is, else as a follower until it is.
    pub fn start(
        setup: LiveSetup,
        on_event: impl Fn(LiveEvent) + 'static,
    ) -> Result<LiveHandle, String> {
        let interval = setup.job.config.interval;
        let scan =
            Arc::new(Scan::compile(&setup.job.expr, &setup.job.columns).map_err(|e| e.message)?);
        let plan = LoadPlan::new(setup.job.source, &setup.job.config);
        let aborts = AbortRegistry::new();
        let feed = Feed::new(
            setup.job.source,
            setup.job.config.clone(),
            BrowserTransport {
                aborts: aborts.clone(),
            },
            WebClock,
            || {},
        );
        let name = lock_name(&setup, interval);
        let series = setup.series.iter().cloned().collect();
        let marks = Marks::new(setup.matching.iter().cloned());
        let inner = Rc::new(Inner {
            interval,
            plan,
            scan,
            feed,
            aborts,
            role: Cell::new(Role::Follower),
            core: RefCell::new(None),
            sockets: RefCell::new(HashMap::new()),
            series: RefCell::new(series),
            dirty: RefCell::new(BTreeSet::new()),
            dirty_since: Cell::new(None),
            dirty_bar_open: Cell::new(i64::MIN),
            rescan_scheduled: Cell::new(false),
            rescan_timer: RefCell::new(None),
            rescanning: Cell::new(false),
            rescans: Cell::new(0),
            last_rescan_ms: Cell::new(None),
            followed_bars: Cell::new(0),
            followed_status: RefCell::new(None),
            marks: RefCell::new(marks),
            next_row_scan: Cell::new(1 << 40),
            timer: RefCell::new(None),
            visibility: RefCell::new(None),
            lock: RefCell::new(None),
            channel: RefCell::new(None),
            on_event: Box::new(on_event),
            setup,
        });
        let weak = Rc::downgrade(&inner);
        let channel = Channel::open(&name, move |text| {
            if let Some(inner) = weak.upgrade() {
                inner.on_tab_message(&text);
            }
        })?;
        inner.channel.replace(Some(channel));
        let weak = Rc::downgrade(&inner);
        let lock = request_lock(&name, move || {
            if let Some(inner) = weak.upgrade() {
                Inner::become_owner(&inner);
            }
        })?;
        inner.lock.replace(Some(lock));
        inner.emit_status();
        Ok(LiveHandle { inner })
    }

    /// Closes everything: sockets, requests in flight, the timer, the lock
    /// (a follower tab takes over) and the channel.
    pub fn stop(&self) {
        let inner = &self.inner;
        if inner.role.get() == Role::Stopped {
            return;
        }
        inner.role.set(Role::Stopped);
        if let Some(core) = inner.core.borrow_mut().as_mut() {
            let _ = core.stop();
        }
        inner.sockets.borrow_mut().clear();
        inner.aborts.abort_all();
        inner.timer.borrow_mut().take();
        inner.rescan_timer.borrow_mut().take();
        if let Some(listener) = inner.visibility.borrow_mut().take() {
            for (target, event) in wake_events() {
                let _ = target
                    .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
            }
        }
        inner.lock.borrow_mut().take();
        inner.channel.borrow_mut().take();
        inner.emit_status();
    }

    pub fn is_stopped(&self) -> bool {
        self.inner.role.get() == Role::Stopped
    }

    pub fn view(&self) -> LiveView {
        self.inner.view()
    }

    /// A symbol's bars as its last re-scan saw them (the scan's lookback
    /// applied): the first scan's bars with every closed bar since. `None`
    /// for a symbol this live scan does not follow.
    pub fn bars(&self, symbol: &str) -> Option<Arc<Bars>> {
        let bars = self.inner.series.borrow().get(symbol).cloned()?;
        Some(match self.inner.setup.job.lookback {
            Some(n) if n < bars.len() => Arc::new(bars.last(n)),
            _ => bars,
        })
    }
}

/// The events after which the page may have missed bars: shown again, resumed
/// from a freeze (Page Lifecycle), back online. The state machine then cuts
/// its waits short and replaces a silent socket at once.
fn wake_events() -> Vec<(web_sys::EventTarget, &'static str)> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut events = vec![(window.clone().into(), "online")];
    if let Some(doc) = window.document() {
        events.push((doc.clone().into(), "visibilitychange"));
        events.push((doc.into(), "resume"));
    }
    events
}

/// The lock and channel name: one per (stream base, interval, symbols).
fn lock_name(setup: &LiveSetup, interval: Interval) -> String {
    let mut symbols: Vec<&str> = setup.series.iter().map(|(s, _)| s.as_str()).collect();
    symbols.sort_unstable();
    let key = format!(
        "{}|{}|{}|{}",
        setup.stream_base.trim(),
        setup.job.config.base.trim(),
        interval.name(),
        symbols.join(",")
    );
    format!("technic-live:{:016x}", fnv1a_64(key.as_bytes()))
}

impl Inner {
    fn view(&self) -> LiveView {
        let status = match (self.role.get(), self.core.borrow().as_ref()) {
            (Role::Owner, Some(core)) => core.status().clone(),
            _ => self
                .followed_status
                .borrow()
                .as_ref()
                .map(LiveStatusWire::to_status)
                .unwrap_or_default(),
        };
        LiveView {
            role: self.role.get(),
            status,
            at_ms: epoch_ms(),
            rescans: self.rescans.get(),
            last_rescan_ms: self.last_rescan_ms.get(),
            followed_bars: self.followed_bars.get(),
        }
    }

    fn emit_status(&self) {
        (self.on_event)(LiveEvent::Status(self.view()));
    }

    /// This tab got the lock: it opens the sockets, fed from its own bars.
    fn become_owner(this: &Rc<Inner>) {
        if this.role.get() == Role::Stopped {
            return;
        }
        let p = this.interval.ms();
        // The last bar of a fetched series may be the one still forming: it
        // counts as not closed, so its closing message (or a REST fetch of
        // it) replaces it.
        let last_open = this
            .series
            .borrow()
            .iter()
            .filter_map(|(s, b)| b.time().last().map(|&t| (s.clone(), t - p)))
            .collect();
        let mut symbols: Vec<String> = this.setup.series.iter().map(|(s, _)| s.clone()).collect();
        symbols.dedup();
        let mut config = LiveConfig::new(&this.setup.stream_base, this.interval, symbols);
        config.last_open = last_open;
        config.stall_ms = this.setup.stall_ms;
        config.seed = epoch_ms().to_bits();
        let mut core = match crate::data::live::Live::new(config) {
            Ok(core) => core,
            Err(e) => {
                web_sys::console::warn_1(&format!("live: {e}").into());
                this.role.set(Role::Stopped);
                this.emit_status();
                return;
            }
        };
        let commands = core.start(epoch_ms() as i64);
        this.core.replace(Some(core));
        this.role.set(Role::Owner);
        Inner::apply(this, commands);
        let weak = Rc::downgrade(this);
        let timer = gloo_timers::callback::Interval::new(TICK_MS, move || {
            if let Some(inner) = weak.upgrade() {
                Inner::on_tick(&inner);
            }
        });
        this.timer.replace(Some(timer));
        let weak = Rc::downgrade(this);
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if let (true, Some(inner)) = (visible, weak.upgrade()) {
                Inner::drive(&inner, |core, now| core.on_resume(now));
            }
        });
        for (target, event) in wake_events() {
            let _ =
                target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        this.visibility.replace(Some(listener));
        this.emit_status();
    }

    /// Runs one input through the state machine and carries out its commands.
    fn drive(
        this: &Rc<Inner>,
        input: impl FnOnce(&mut crate::data::live::Live, i64) -> Vec<Command>,
    ) {
        if this.role.get() != Role::Owner {
            return;
        }
        let commands = match this.core.borrow_mut().as_mut() {
            Some(core) => input(core, epoch_ms() as i64),
            None => return,
        };
        Inner::apply(this, commands);
    }

    fn on_tick(this: &Rc<Inner>) {
        Inner::drive(this, |core, now| core.on_timer(now));
        this.emit_status();
        if let (Some(channel), Some(core)) =
            (this.channel.borrow().as_ref(), this.core.borrow().as_ref())
        {
            let message = TabMessage::Status {
                status: LiveStatusWire::from_status(core.status()),
            };
            if let Ok(text) = serde_json::to_string(&message) {
                channel.post(&text);
            }
        }
    }

    fn on_socket(this: &Rc<Inner>, conn: usize, event: SocketEvent) {
        match event {
            SocketEvent::Open => {
                Inner::drive(this, |core, now| core.on_open(conn, now));
                this.emit_status();
            }
            SocketEvent::Text(text) => {
                Inner::drive(this, |core, now| core.on_text(conn, &text, now))
            }
            SocketEvent::Closed { .. } => {
                this.sockets.borrow_mut().remove(&conn);
                Inner::drive(this, |core, now| core.on_close(conn, now));
                this.emit_status();
            }
        }
    }

    fn apply(this: &Rc<Inner>, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Open { conn, url } => {
                    let weak = Rc::downgrade(this);
                    let opened = Socket::open(&url, move |event| {
                        if let Some(inner) = weak.upgrade() {
                            Inner::on_socket(&inner, conn, event);
                        }
                    });
                    match opened {
                        Ok(socket) => {
                            this.sockets.borrow_mut().insert(conn, socket);
                        }
                        Err(why) => {
                            web_sys::console::warn_1(&format!("live: {why}").into());
                            // Told later, never from inside this loop.
                            let this = this.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                Inner::on_socket(
                                    &this,
                                    conn,
                                    SocketEvent::Closed {
                                        code: 1006,
                                        reason: why,
                                    },
                                );
                            });
                        }
                    }
                }
                Command::Close { conn } => {
                    this.sockets.borrow_mut().remove(&conn);
                }
                Command::FetchGap {
                    symbol,
                    start_ms,
                    end_ms,
                } => {
                    let this = this.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let result = this
                            .feed
                            .load_between(&symbol, start_ms, end_ms)
                            .await
                            .map(|fetched| {
                                fetched.bars.map(|b| closed_bars(&b)).unwrap_or_default()
                            })
                            .map_err(|e| e.to_string());
                        Inner::drive(&this, |core, now| core.on_gap(&symbol, result, now));
                    });
                }
                Command::Append { symbol, bars } => {
                    if let Some(channel) = this.channel.borrow().as_ref() {
                        let message = TabMessage::Bars {
                            symbol: symbol.clone(),
                            bars: bars.iter().map(wire_bar).collect(),
                        };
                        if let Ok(text) = serde_json::to_string(&message) {
                            channel.post(&text);
                        }
                    }
                    Inner::append(this, &symbol, &bars, true);
                }
            }
        }
    }

    /// A follower hears the owner.
    fn on_tab_message(self: &Rc<Self>, text: &str) {
        if self.role.get() != Role::Follower {
            return;
        }
        match serde_json::from_str::<TabMessage>(text) {
            Ok(TabMessage::Bars { symbol, bars }) => {
                let bars: Vec<ClosedBar> = bars.iter().map(unwire_bar).collect();
                self.followed_bars
                    .set(self.followed_bars.get() + bars.len() as u64);
                Inner::append(self, &symbol, &bars, false);
            }
            Ok(TabMessage::Status { status }) => {
                self.followed_status.replace(Some(status));
                self.emit_status();
            }
            Err(e) => {
                web_sys::console::warn_1(&format!("live: a message from another tab: {e}").into())
            }
        }
    }

    /// Closed bars join `symbol`'s series (a bar with the open time of its
    /// last bar replaces it; older ones are already there), the owner caches
    /// the series, and the symbol waits for the next re-scan.
    fn append(this: &Rc<Inner>, symbol: &str, bars: &[ClosedBar], persist: bool) {
        if bars.is_empty() {
            return;
        }
        let merged = {
            let series = this.series.borrow();
            let Some(old) = series.get(symbol) else {
                return;
            };
            match crate::data::live::append_closed(symbol, old, bars) {
                Ok(Some(merged)) => Arc::new(merged),
                Ok(None) => return,
                Err(why) => {
                    web_sys::console::warn_1(&format!("live: {symbol}: {why}").into());
                    return;
                }
            }
        };
        this.series
            .borrow_mut()
            .insert(symbol.to_string(), merged.clone());
        if persist {
            let key = CacheKey::new(
                &this.plan.source,
                &this.plan.endpoint,
                symbol,
                this.interval.name(),
            );
            let store = this.setup.store.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = store.put_within(&key, &merged, DEFAULT_QUOTA_BYTES).await {
                    web_sys::console::warn_1(&format!("live: bar cache: {e}").into());
                }
            });
        }
        let newest = bars.iter().map(|b| b.open_ms).max().unwrap_or(i64::MIN);
        this.dirty_bar_open
            .set(this.dirty_bar_open.get().max(newest));
        this.dirty.borrow_mut().insert(symbol.to_string());
        if this.dirty_since.get().is_none() {
            this.dirty_since.set(Some(epoch_ms()));
        }
        Inner::schedule_rescan(this);
    }

    fn schedule_rescan(this: &Rc<Inner>) {
        if this.rescan_scheduled.get() || this.rescanning.get() {
            return;
        }
        this.rescan_scheduled.set(true);
        // Weak: the timer lives in `Inner`, which must not keep itself alive.
        let weak = Rc::downgrade(this);
        let timer = gloo_timers::callback::Timeout::new(DEBOUNCE_MS, move || {
            if let Some(this) = weak.upgrade() {
                this.rescan_scheduled.set(false);
                wasm_bindgen_futures::spawn_local(Inner::rescan(this));
            }
        });
        this.rescan_timer.replace(Some(timer));
    }

    /// Scans the dirty symbols off the page, then tells the page what changed.
    async fn rescan(this: Rc<Inner>) {
        if this.role.get() == Role::Stopped {
            return;
        }
        let symbols: Vec<String> = std::mem::take(&mut *this.dirty.borrow_mut())
            .into_iter()
            .collect();
        if symbols.is_empty() {
            return;
        }
        this.rescanning.set(true);
        let since = this.dirty_since.take();
        let bar_open = this.dirty_bar_open.replace(i64::MIN);
        let source: HashMap<String, Arc<Bars>> = {
            let series = this.series.borrow();
            symbols
                .iter()
                .filter_map(|s| series.get(s).map(|b| (s.clone(), b.clone())))
                .collect()
        };
        let scan_id = this.next_row_scan.get();
        this.next_row_scan.set(scan_id + 1);
        let options = RunOptions {
            scan_id,
            settings: this.setup.job.settings,
            lookback: this.setup.job.lookback,
            limits: Limits::default(),
            chunk: 1,
        };
        let scan = this.scan.clone();
        let list = symbols.clone();
        let rows = pool::off_page(move || scan_symbols(&scan, &list, source, &options))
            .await
            .unwrap_or_default();
        this.rescanning.set(false);
        if this.role.get() == Role::Stopped {
            return;
        }
        let matching: std::collections::HashSet<String> = rows
            .iter()
            .filter(|r| matches!(r.outcome, run::Outcome::Match(_)))
            .map(|r| r.symbol.clone())
            .collect();
        let (changes, marks, log) = {
            let mut m = this.marks.borrow_mut();
            let before = m.log().len();
            let changes = m.apply(&symbols, &matching, bar_open, epoch_ms() as i64);
            let marks = symbols.iter().map(|s| (s.clone(), m.mark(s))).collect();
            let log = m.log()[before.min(m.log().len())..].to_vec();
            (changes, marks, log)
        };
        let rows = rows
            .into_iter()
            .filter(|r| matching.contains(&r.symbol))
            .collect();
        this.rescans.set(this.rescans.get() + 1);
        (this.on_event)(LiveEvent::Rescanned(Rescanned {
            rows,
            changes,
            marks,
            log,
        }));
        if let Some(since) = since {
            this.last_rescan_ms.set(Some(epoch_ms() - since));
        }
        this.emit_status();
        if !this.dirty.borrow().is_empty() {
            Inner::schedule_rescan(&this);
        }
    }
}
