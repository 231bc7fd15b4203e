//! Invariant checks shared by the fuzz targets (fuzz_targets/*.rs): what every
//! `Bars` the readers hand out must satisfy, and that errors render. Imports only
//! the `technic` library's public API; no browser crate, no I/O.

use std::fmt::Display;
use technic::data::codec;
use technic::engine::Bars;

/// Panics (a fuzz finding) unless `bars` satisfies every rule of SPEC §2.1 that
/// `Bars::new` promises, and survives the cache codec bit for bit.
pub fn check_bars(bars: &Bars) {
    let n = bars.len();
    assert!(n > 0, "a Bars value with no bars");
    let (t, o, h, l, c, v) = (
        bars.time(),
        bars.open(),
        bars.high(),
        bars.low(),
        bars.close(),
        bars.volume(),
    );
    for len in [o.len(), h.len(), l.len(), c.len(), v.len()] {
        assert_eq!(len, n, "columns of unequal length");
    }
    for i in 0..n {
        if i > 0 {
            assert!(t[i] > t[i - 1], "time not strictly increasing at {i}");
        }
        for x in [o[i], h[i], l[i], c[i], v[i]] {
            assert!(x.is_finite(), "non-finite value at {i}");
        }
        assert!(
            o[i] > 0.0 && h[i] > 0.0 && l[i] > 0.0 && c[i] > 0.0,
            "non-positive price at {i}"
        );
        assert!(h[i] >= o[i].max(c[i]), "high below body at {i}");
        assert!(l[i] <= o[i].min(c[i]), "low above body at {i}");
        assert!(h[i] >= l[i], "high below low at {i}");
        assert!(v[i] >= 0.0, "negative volume at {i}");
    }
    let bytes = codec::encode(bars);
    let back = codec::decode("FUZZ", &bytes).expect("encoded bars decode");
    assert_same_bars(bars, &back);
}

/// Bit-for-bit equality (so `-0.0` vs `0.0` would count as a difference).
pub fn assert_same_bars(a: &Bars, b: &Bars) {
    assert_eq!(a.time(), b.time(), "time differs");
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for (name, x, y) in [
        ("open", a.open(), b.open()),
        ("high", a.high(), b.high()),
        ("low", a.low(), b.low()),
        ("close", a.close(), b.close()),
        ("volume", a.volume(), b.volume()),
    ] {
        assert_eq!(bits(x), bits(y), "{name} differs");
    }
}

/// An error must render to a non-empty message (formatting can panic too, e.g.
/// slicing text at a byte that is not a char boundary).
pub fn check_error(e: &impl Display) {
    let text = e.to_string();
    assert!(!text.is_empty(), "an error with an empty message");
}
