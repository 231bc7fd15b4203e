//! The progress panel: one line per stage with its real counts (universe,
//! data, compute, rank), the overall bar, symbols/s and the ETA, and how the
//! scan ended ("completed" / "stopped …").

use leptos::prelude::*;

use crate::engine::run::ProgressSnapshot;
use crate::view::format::{bytes, count, grouped, seconds};

use super::state::use_scan_state;

#[component]
pub fn ProgressPanel() -> impl IntoView {
    let run = use_scan_state().run;
    let p = move || run.progress.get();
    let live_rate = move || {
        let done = run.progress.read().done;
        let secs = run.elapsed_ms.get() / 1000.0;
        (done > 0 && secs > 0.0).then(|| done as f64 / secs)
    };
    let phase = move || match (run.running.get(), run.finished.read().as_ref()) {
        (true, _) => "running",
        (false, Some(f)) if f.stopped => "stopped",
        (false, Some(_)) => "completed",
        (false, None) => "idle",
    };
    let headline = move || match (run.running.get(), run.finished.get()) {
        (true, _) => format!("running · {:.0}%", p().fraction() * 100.0),
        (false, Some(f)) => format!(
            "{} · {} in {}",
            f.reason.label(),
            count(f.rows, "row"),
            seconds(f.total_ms / 1000.0)
        ),
        (false, None) => "ready".to_string(),
    };
    let speed = move || match live_rate() {
        Some(rate) => format!("{rate:.0} symbols/s"),
        None => "— symbols/s".into(),
    };
    // The live rate replaces this device's past rate once symbols are done.
    let eta = move || {
        if !run.running.get() {
            return String::new();
        }
        let p = p();
        let left = p.universe.saturating_sub(p.done);
        match (live_rate(), run.seed_rate.get()) {
            _ if p.universe == 0 => "ETA —".into(),
            (Some(rate), _) => format!("ETA {}", seconds(left as f64 / rate)),
            (None, Some(seed)) => format!("ETA {} (past scans)", seconds(left as f64 / seed)),
            (None, None) => "ETA —".into(),
        }
    };
    let synthetic = move || run.source.get().is_some_and(|s| s.is_synthetic());
    let universe_done = move || p().universe != 0;
    let rank_done = move || p().ranked != 0 || run.finished.read().is_some();
    let bar_width = move || format!("{:.1}%", p().fraction().clamp(0.0, 1.0) * 100.0);
    view! {
        <section class="panel progress" data-testid="progress" data-state=phase aria-live="polite">
            <div class="progress-head">
                <strong class="phase" data-testid="progress-phase">{headline}</strong>
                <span class="rate mono">{speed}</span>
                <span class="eta mono">{eta}</span>
            </div>
            <div class="bar" role="progressbar" aria-label="Scan progress" aria-valuemin="0" aria-valuemax="100">
                <div class="bar-fill" style:width=bar_width></div>
            </div>
            <ol class="stages">
                <Stage name="universe" done=Signal::derive(universe_done) text=Signal::derive(move || universe_text(&p())) />
                <Stage name="data" done=Signal::derive(move || data_done(&p())) text=Signal::derive(move || data_text(&p(), synthetic())) />
                <Stage name="compute" done=Signal::derive(move || compute_done(&p())) text=Signal::derive(move || compute_text(&p())) />
                <Stage name="rank" done=Signal::derive(rank_done) text=Signal::derive(move || rank_text(rank_done())) />
            </ol>
        </section>
    }
}

#[component]
fn Stage(
    name: &'static str,
    #[prop(into)] done: Signal<bool>,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    view! {
        <li data-testid="progress-stage" data-stage=name class:done=done>
            <span class="stage-name">{name}</span>
            <span class="stage-counts mono">{text}</span>
        </li>
    }
}

fn universe_text(p: &ProgressSnapshot) -> String {
    count(p.universe, "symbol")
}

fn data_done(p: &ProgressSnapshot) -> bool {
    p.universe > 0 && p.cache_hits + p.fetched + p.data_failed >= p.universe
}

/// A synthetic market is generated, not fetched: its "cache" is memory.
fn data_text(p: &ProgressSnapshot, synthetic: bool) -> String {
    let (hit, miss) = if synthetic {
        ("in memory", "generated")
    } else {
        ("cache hits", "fetched")
    };
    let counts = format!(
        "{} {hit} · {} {miss} · {} failed",
        grouped(p.cache_hits as u64),
        grouped(p.fetched as u64),
        grouped(p.data_failed as u64),
    );
    if synthetic {
        counts
    } else if p.retries > 0 {
        format!(
            "{counts} · {} retries · {}",
            grouped(p.retries as u64),
            bytes(p.bytes)
        )
    } else {
        format!("{counts} · {}", bytes(p.bytes))
    }
}

fn compute_done(p: &ProgressSnapshot) -> bool {
    p.universe > 0 && p.done >= p.universe
}

fn compute_text(p: &ProgressSnapshot) -> String {
    format!(
        "{} / {} done · {} · {}",
        grouped(p.done as u64),
        grouped(p.universe as u64),
        count(p.matches, "match"),
        count(p.errors, "error")
    )
}

fn rank_text(done: bool) -> String {
    if done {
        "done".into()
    } else {
        "waiting".into()
    }
}
