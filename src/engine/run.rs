//! The streaming scan run: rayon over symbols (outer loop only), result batches
//! pushed into a sink that can answer "stop", one atomic stop flag, auto-stop
//! rules and real per-stage progress counters.
//!
//! TODO(engine issue): implement.
