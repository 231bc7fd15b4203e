//! `technic`: the native CLI over the engine (`technic scan …`, `technic backtest …`). The CLI itself
//! lives in `cli.rs`; on wasm32 (where the browser app is built) this binary is
//! an empty stub, because the CLI's dependencies are native-only.

#[cfg(not(target_arch = "wasm32"))]
mod backtest;
#[cfg(not(target_arch = "wasm32"))]
mod cli;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    cli::main();
}
