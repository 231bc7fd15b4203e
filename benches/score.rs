//! Benchmark placeholder (engine issue).
fn main() {}
