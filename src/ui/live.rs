//! The Live panel of a Binance scan: the switch (`live`), the stream base
//! (`stream-base`), optional notification and sound on a new match, the
//! status line (`live-status`) and the log of entries and exits
//! (`live-log`). Turning Live on runs the scan if none has finished; once a
//! full scan has finished, `web::live` keeps it on, and each re-scan's rows,
//! marks (`data-live` on the rows) and log entries land here.
//! `window.__technicLive` mirrors the status for tests and outside checks.

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::data::live::{LogEntry, Mark, DEFAULT_STREAM_BASE};
use crate::engine::run::{Outcome, StopReason};
use crate::view::fields::whole_number;
use crate::view::live::{log_line, state_word, status_line};
use crate::web::live::{LiveEvent, LiveHandle, LiveSetup, LiveView, Rescanned, Role};
use crate::web::sources::SourceId;

use super::state::{use_scan_state, ScanState};
use super::stored;

/// localStorage entry of the stream base.
const STREAM_BASE_KEY: &str = "technic.streamBase";
/// Log lines kept on the page.
const LOG_LINES: usize = 200;
/// Reconnect a connection silent this long (seconds) unless the form says.
const STALL_SECS: usize = 60;

/// The live part of the page's state.
#[derive(Clone, Copy)]
pub struct LiveState {
    /// The switch.
    pub on: RwSignal<bool>,
    pub stream_base: RwSignal<String>,
    /// Seconds of silence after which a connection is replaced; empty = 60.
    pub stall: RwSignal<String>,
    pub notify: RwSignal<bool>,
    pub sound: RwSignal<bool>,
    pub view: RwSignal<Option<LiveView>>,
    /// The rows' marks (`data-live`), by symbol.
    pub marks: RwSignal<HashMap<String, Mark>>,
    /// Entries and exits, newest last.
    pub log: RwSignal<Vec<LogEntry>>,
    pub handle: StoredValue<Option<LiveHandle>, LocalStorage>,
    /// Moves on every re-scan (an open chart draws the new bars).
    pub version: RwSignal<u64>,
}

impl LiveState {
    pub fn new() -> LiveState {
        LiveState {
            on: RwSignal::new(false),
            // The field shows the base in use: Binance's market-data host
            // until the user sets another (kept in this browser).
            stream_base: RwSignal::new(
                stored::read::<String>(STREAM_BASE_KEY)
                    .filter(|b| !b.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_STREAM_BASE.to_string()),
            ),
            stall: RwSignal::new(String::new()),
            notify: RwSignal::new(false),
            sound: RwSignal::new(false),
            view: RwSignal::new(None),
            marks: RwSignal::new(HashMap::new()),
            log: RwSignal::new(Vec::new()),
            handle: StoredValue::new_local(None),
            version: RwSignal::new(0),
        }
    }
}

/// `data-live` of a row: "new", "dropped" or nothing.
pub fn mark_name(mark: Option<Mark>) -> Option<&'static str> {
    match mark? {
        Mark::New => Some("new"),
        Mark::Dropped => Some("dropped"),
    }
}

/// Stops the live scan, if one runs (a new Run, Live off, another source).
pub fn stop_live(state: ScanState) {
    if let Some(handle) = state.live.handle.get_value() {
        handle.stop();
    }
    state.live.handle.set_value(None);
}

/// Stop (the button, Esc): ends the running scan and the live scan alike.
pub fn stop_all(state: ScanState) {
    super::control::stop_scan(state.env);
    if state.live.on.get_untracked() {
        state.live.on.set(false);
    }
}

/// Whether a live scan is on (Stop is enabled while it is).
pub fn is_live(state: ScanState) -> bool {
    state.live.on.get()
        && state
            .live
            .view
            .with(|v| v.as_ref().is_some_and(|v| v.role != Role::Stopped))
}

/// Starts following the finished scan, if it is a completed Binance scan.
fn start_live(state: ScanState) {
    let live = state.live;
    let Some(scan) = state.env.handle.get_value() else {
        return;
    };
    let Some(store) = state.env.store.get_value() else {
        return;
    };
    let job = scan.job().clone();
    if job.source != SourceId::Binance {
        return;
    }
    let series: Vec<_> = scan
        .symbols()
        .into_iter()
        .filter_map(|s| scan.series(&s).map(|b| (s, b)))
        .collect();
    let matching = state.run.rows.with_untracked(|rows| {
        rows.iter()
            .filter(|r| matches!(r.outcome, Outcome::Match(_)))
            .map(|r| r.symbol.clone())
            .collect()
    });
    let base = live.stream_base.get_untracked();
    let stall_secs = match whole_number(&live.stall.get_untracked(), "Reconnect after silence", 1) {
        Ok(n) => n.unwrap_or(STALL_SECS),
        Err(why) => {
            state.run.refused.set(Some(why));
            live.on.set(false);
            return;
        }
    };
    let setup = LiveSetup {
        job,
        stream_base: if base.trim().is_empty() {
            DEFAULT_STREAM_BASE.to_string()
        } else {
            base.trim().trim_end_matches('/').to_string()
        },
        series,
        matching,
        store,
        stall_ms: i64::try_from(stall_secs.min(86_400)).unwrap_or(60) * 1000,
    };
    live.marks.set(HashMap::new());
    live.log.set(Vec::new());
    match LiveHandle::start(setup, move |event| on_event(state, event)) {
        Ok(handle) => live.handle.set_value(Some(handle)),
        Err(why) => {
            state.run.refused.set(Some(format!("Live: {why}")));
            live.on.set(false);
        }
    }
}

fn on_event(state: ScanState, event: LiveEvent) {
    match event {
        LiveEvent::Status(view) => {
            publish(&view);
            state.live.view.set(Some(view));
        }
        LiveEvent::Rescanned(news) => on_rescan(state, news),
    }
}

/// A re-scan's rows replace the symbols' rows in place (new matches are
/// added, rows dropped at the previous bar and still not matching go), its
/// marks and log entries are shown, and a new match is announced if asked.
fn on_rescan(state: ScanState, news: Rescanned) {
    let Rescanned {
        rows,
        changes,
        marks,
        log,
    } = news;
    state.run.rows.update(|all| {
        all.retain(|r| !changes.removed.contains(&r.symbol));
        for row in rows {
            match all.iter().position(|r| r.symbol == row.symbol) {
                Some(i) => all[i] = row,
                None => all.push(row),
            }
        }
    });
    state.live.marks.update(|m| {
        for (symbol, mark) in marks {
            match mark {
                Some(mark) => m.insert(symbol, mark),
                None => m.remove(&symbol),
            };
        }
    });
    if !log.is_empty() {
        state.live.log.update(|l| {
            l.extend(log);
            let over = l.len().saturating_sub(LOG_LINES);
            l.drain(..over);
        });
    }
    state.live.version.update(|v| *v += 1);
    if !changes.entered.is_empty() {
        announce(state, &changes.entered);
    }
}

/// A notification and/or a short tone for new matches, when switched on.
fn announce(state: ScanState, symbols: &[String]) {
    let text = match symbols {
        [one] => format!("{one} now matches"),
        many => format!("{} symbols now match: {}", many.len(), many.join(", ")),
    };
    if state.live.notify.get_untracked() {
        let granted =
            web_sys::Notification::permission() == web_sys::NotificationPermission::Granted;
        if granted {
            let options = web_sys::NotificationOptions::new();
            options.set_body(&text);
            let _ = web_sys::Notification::new_with_options("Technic live scan", &options);
        }
    }
    if state.live.sound.get_untracked() {
        beep();
    }
}

thread_local! {
    /// One audio context for every tone, made when Sound is switched on: a
    /// click is the user gesture browsers ask for before a page makes sound.
    static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes (or wakes) the tone's audio context; called from the Sound switch.
fn prepare_sound() {
    AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_none() {
            *a = web_sys::AudioContext::new().ok();
        }
        if let Some(ctx) = a.as_ref() {
            let _ = ctx.resume();
        }
    });
}

/// A 120 ms tone (no file to load).
fn beep() {
    AUDIO.with(|a| {
        let Some(ctx) = a.borrow().clone() else {
            return;
        };
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
            return;
        };
        osc.frequency().set_value(880.0);
        gain.gain().set_value(0.08);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let now = ctx.current_time();
        let _ = osc.start();
        let _ = osc.stop_with_when(now + 0.12);
    });
}

/// `window.__technicLive = {role, state, streams, connections, lastMessageMs,
/// bars, gaps, gapBars, malformed, outOfOrder, duplicates, reconnects,
/// rescans, lastRescanMs, followedBars}`.
fn publish(view: &LiveView) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let s = &view.status;
    let report = js_sys::Object::new();
    let n = |v: f64| JsValue::from_f64(v);
    let fields: [(&str, JsValue); 15] = [
        ("role", JsValue::from_str(view.role.name())),
        (
            "state",
            JsValue::from_str(if view.role == Role::Stopped {
                "off"
            } else {
                state_word(s, view.role == Role::Follower)
            }),
        ),
        ("streams", n(s.streams as f64)),
        ("connections", n(s.connections.len() as f64)),
        (
            "lastMessageMs",
            s.last_message_ms.map_or(JsValue::NULL, |t| n(t as f64)),
        ),
        ("bars", n(s.bars_received as f64)),
        ("gaps", n(s.gaps_filled as f64)),
        ("gapBars", n(s.gap_bars as f64)),
        ("malformed", n(s.malformed as f64)),
        ("outOfOrder", n(s.out_of_order as f64)),
        ("duplicates", n(s.duplicates as f64)),
        ("reconnects", n(s.reconnects as f64)),
        ("rescans", n(view.rescans as f64)),
        ("lastRescanMs", view.last_rescan_ms.map_or(JsValue::NULL, n)),
        ("followedBars", n(view.followed_bars as f64)),
    ];
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&report, &JsValue::from_str(name), &value);
    }
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("__technicLive"), &report);
}

/// Keeps the live scan in step with the switch and the scans: on after a
/// completed Binance scan while the switch is on; off when it is switched
/// off, a new scan starts or the source changes.
pub fn follow_scans(state: ScanState) {
    let (run, live) = (state.run, state.live);
    Effect::new(move || {
        let on = live.on.get();
        let running = run.running.get();
        let completed = run.finished.with(|f| {
            f.as_ref()
                .is_some_and(|f| f.reason == StopReason::Completed)
        });
        let binance = run.source.get() == Some(SourceId::Binance)
            && state.form.source.get() == SourceId::Binance;
        let active = live
            .handle
            .with_value(|h| h.as_ref().is_some_and(|h| !h.is_stopped()));
        if running {
            // A new scan's rows carry no live marks.
            live.marks.set(HashMap::new());
        }
        if !on || running || !binance {
            if active {
                stop_live(state);
                if !on || !binance {
                    live.view.set(None);
                }
            }
            return;
        }
        if completed && !active {
            untrack(|| start_live(state));
        }
    });
}

#[component]
pub fn LivePanel() -> impl IntoView {
    let state = use_scan_state();
    let live = state.live;
    let source = state.form.source;
    let on_switch = move |ev| {
        let on = event_target_checked(&ev);
        live.on.set(on);
        // No finished scan to follow: run one (Live starts when it ends).
        let finished = state.run.finished.with_untracked(|f| {
            f.as_ref()
                .is_some_and(|f| f.reason == StopReason::Completed)
        }) && state.run.source.get_untracked() == Some(SourceId::Binance);
        if on && !finished && !state.run.running.get_untracked() {
            super::control::run_scan(state);
        }
    };
    let on_notify = move |ev| {
        let on = event_target_checked(&ev);
        live.notify.set(on);
        // Permission is asked only when notifications are switched on.
        if on && web_sys::Notification::permission() == web_sys::NotificationPermission::Default {
            let _ = web_sys::Notification::request_permission();
        }
    };
    let now = move || live.view.with(|v| v.as_ref().map_or(0, |v| v.at_ms as i64));
    let status = move || {
        live.view.with(|v| {
            v.as_ref().map(|v| match v.role {
                Role::Stopped => "Off".to_string(),
                role => status_line(&v.status, role == Role::Follower, now()),
            })
        })
    };
    let state_attr = move || {
        live.view.with(|v| {
            v.as_ref().map_or("off", |v| match v.role {
                Role::Stopped => "off",
                role => state_word(&v.status, role == Role::Follower),
            })
        })
    };
    let interval = move || {
        state
            .env
            .handle
            .with_value(|h| h.as_ref().map(|h| h.job().config.interval))
            .unwrap_or_default()
    };
    view! {
        <Show when=move || source.get() == SourceId::Binance>
            <section class="panel live" aria-label="Live scan">
                <div class="live-controls">
                    <label class="switch" title="After the scan, re-scan each symbol the moment its bar closes (Binance streams)">
                        <input type="checkbox" data-testid="live" prop:checked=move || live.on.get() on:change=on_switch />
                        <span>"Live"</span>
                    </label>
                    <label class="field wide">
                        <span>"Stream base"</span>
                        <input
                            type="text"
                            data-testid="stream-base"
                            placeholder=DEFAULT_STREAM_BASE
                            spellcheck="false"
                            autocomplete="off"
                            prop:value=move || live.stream_base.get()
                            on:change=move |ev| {
                                let text = event_target_value(&ev);
                                stored::write(STREAM_BASE_KEY, &text);
                                live.stream_base.set(text);
                            }
                        />
                    </label>
                    <label class="field" title="A connection silent this long is closed and opened again (Binance sends every 2 s); empty = 60">
                        <span>"Reconnect after silence (s)"</span>
                        <input
                            type="text"
                            inputmode="numeric"
                            data-testid="live-stall"
                            placeholder="60"
                            prop:value=move || live.stall.get()
                            on:input=move |ev| live.stall.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="switch" title="A browser notification when a symbol starts matching">
                        <input type="checkbox" data-testid="live-notify" prop:checked=move || live.notify.get() on:change=on_notify />
                        <span>"Notify"</span>
                    </label>
                    <label class="switch" title="A short tone when a symbol starts matching">
                        <input
                            type="checkbox"
                            data-testid="live-sound"
                            prop:checked=move || live.sound.get()
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                if on {
                                    prepare_sound();
                                }
                                live.sound.set(on);
                            }
                        />
                        <span>"Sound"</span>
                    </label>
                </div>
                <p class="live-status" data-testid="live-status" data-state=state_attr role="status" aria-live="polite">
                    {move || status().unwrap_or_else(|| "Off".to_string())}
                </p>
                <Show when=move || live.log.with(|l| !l.is_empty())>
                    <ol class="live-log" data-testid="live-log" aria-label="Entries and exits">
                        {move || {
                            let interval = interval();
                            live.log
                                .get()
                                .into_iter()
                                .rev()
                                .map(|e| {
                                    let kind = if e.entered { "entry" } else { "exit" };
                                    view! {
                                        <li data-testid="live-log-entry" data-symbol=e.symbol.clone() data-kind=kind class=kind>
                                            {log_line(&e, interval)}
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ol>
                </Show>
            </section>
        </Show>
    }
}
