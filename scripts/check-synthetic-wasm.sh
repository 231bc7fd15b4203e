#!/usr/bin/env bash
# Checks the synthetic market's simd128 form (src/data/synthetic/pair.rs, what both wasm builds
# compile; native tests run only its [f64; 2] form) in V8: src/data/synthetic.rs compiled
# standalone to wasm32 with +simd128 (a stub Bars/Columns in place of the engine's) and run by
# node. Passes when bars() and bars_pair() both give tests/engine/synthetic.rs's pinned
# fingerprint and every pair of symbols 0..5000 × 300 bars equals its two single symbols; prints
# the generation speed of each (ns a bar).
# Usage: scripts/check-synthetic-wasm.sh   (needs rustc's wasm32 target and node)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
sed -e 's/#\[derive(Debug, Clone, PartialEq, serde::Serialize)\]/#[derive(Debug, Clone, PartialEq)]/' "$root/src/data/synthetic.rs" > "$dir/synthetic.rs"
cp "$root/src/data/synthetic/pair.rs" "$dir/pair.rs"
cat > "$dir/lib.rs" <<'RS'
#![allow(dead_code)]
mod engine { pub mod bars {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Columns { pub time: Vec<i64>, pub open: Vec<f64>, pub high: Vec<f64>, pub low: Vec<f64>, pub close: Vec<f64>, pub volume: Vec<f64> }
    impl Columns {
        pub fn with_capacity(n: usize) -> Self { Columns { time: Vec::with_capacity(n), open: Vec::with_capacity(n), high: Vec::with_capacity(n), low: Vec::with_capacity(n), close: Vec::with_capacity(n), volume: Vec::with_capacity(n) } }
        pub fn push(&mut self, t: i64, o: f64, h: f64, l: f64, c: f64, v: f64) { self.time.push(t); self.open.push(o); self.high.push(h); self.low.push(l); self.close.push(c); self.volume.push(v); }
    }
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Bars(Columns);
    impl Bars {
        pub fn new(_s: &str, c: Columns) -> Result<Bars, ()> { Ok(Bars(c)) }
        pub fn into_columns(self) -> Columns { self.0 }
        pub fn len(&self) -> usize { self.0.time.len() }
        pub fn is_empty(&self) -> bool { self.0.time.is_empty() }
    }
} }
#[path = "synthetic.rs"]
mod synthetic;
use engine::bars::Bars;
fn fold(h: u64, b: Bars) -> u64 {
    let c = b.into_columns();
    let times = c.time.into_iter().map(|t| t as u64);
    let values = [c.open, c.high, c.low, c.close, c.volume].into_iter().flatten().map(f64::to_bits);
    times.chain(values).fold(h, |h, x| (h ^ x).wrapping_mul(0x0100_0000_01b3))
}
#[no_mangle]
pub extern "C" fn single(seed: u64) -> u64 {
    (0..20).fold(0xcbf2_9ce4_8422_2325u64, |h, i| fold(h, synthetic::bars(seed, i, 260)))
}
#[no_mangle]
pub extern "C" fn paired(seed: u64) -> u64 {
    (0..10).fold(0xcbf2_9ce4_8422_2325u64, |h, k| { let (a, b) = synthetic::bars_pair(seed, (2 * k, 2 * k + 1), 260); fold(fold(h, a), b) })
}
/// Symbols 0..n of `bars` bars: 0 when every pair equals its singles, else 1 + the first bad index.
#[no_mangle]
pub extern "C" fn compare(seed: u64, n: usize, bars: usize) -> usize {
    for k in 0..n / 2 {
        let (a, b) = synthetic::bars_pair(seed, (2 * k, 2 * k + 1), bars);
        if a != synthetic::bars(seed, 2 * k, bars) { return 2 * k + 1; }
        if b != synthetic::bars(seed, 2 * k + 1, bars) { return 2 * k + 2; }
    }
    0
}
/// ns a bar, singles then pairs, over symbols 0..n (timed by the host).
#[no_mangle]
pub extern "C" fn gen_single(n: usize, bars: usize) -> usize { (0..n).map(|i| synthetic::bars(7, i, bars).len()).sum() }
#[no_mangle]
pub extern "C" fn gen_pair(n: usize, bars: usize) -> usize { (0..n / 2).map(|k| { let (a, b) = synthetic::bars_pair(7, (2 * k, 2 * k + 1), bars); a.len() + b.len() }).sum() }
RS
cd "$root"
rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown -C opt-level=3 -C target-feature=+simd128 -o "$dir/s.wasm" "$dir/lib.rs" 2>&1 | { grep -v "^warning" || true; } | head -30
node -e '
const fs = require("fs");
const bytes = fs.readFileSync(process.argv[1]);
// Refuse to pass unless the simd128 form was compiled in: f64x2.pmax is 0xfd 0xf7 0x01.
if (!bytes.toString("hex").match(/fdf701/)) { console.error("no f64x2.pmax in the module: simd128 form not compiled"); process.exit(1); }
WebAssembly.instantiate(bytes, {}).then(({ instance: { exports: e } }) => {
  const pinned = 0x6edb30eb8997b12dn; // PINNED in tests/engine/synthetic.rs
  const s = BigInt.asUintN(64, e.single(2026n)), p = BigInt.asUintN(64, e.paired(2026n));
  console.log(`single ${s.toString(16)} paired ${p.toString(16)} pinned ${pinned.toString(16)}`);
  const bad = e.compare(7n, 5000, 300);
  console.log(`compare 5000 x 300 (seed 7): ${bad === 0 ? "all equal" : "first mismatch at symbol " + (bad - 1)}`);
  for (let r = 0; r < 3; r++) {
    let t = performance.now(); e.gen_single(2000, 300); const a = performance.now() - t;
    t = performance.now(); e.gen_pair(2000, 300); const b = performance.now() - t;
    console.log(`round ${r}: single ${(a * 1e6 / 600000).toFixed(1)} ns/bar, pair ${(b * 1e6 / 600000).toFixed(1)} ns/bar`);
  }
  process.exit(s === pinned && p === pinned && bad === 0 ? 0 : 1);
});' "$dir/s.wasm"
