//! The first-order recursion `y = β·y + α·x` (Wilder's smoothing in RSI and
//! ATR) four bars per step, for kernels whose oracle tolerance (1e-9
//! relative) allows a different rounding than TA-Lib's. Imports nothing.
//!
//! Why: each value waits for the previous one, so one bar costs a multiply
//! and an add of latency (TA-Lib's port pays one fused multiply-add, which
//! wasm lacks). Written out four bars ahead, `y₄ = β⁴·y₀ + Σ βʲ·α·xᵢ`: the
//! chain carries one multiply and one add per four bars, and the other terms
//! are independent work the CPU overlaps. The values differ from the one-step
//! recursion by a few ulps, which the recursion then damps by β per bar.

/// Powers of β and the weights of the four inputs of one step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Smoothing4 {
    beta: f64,
    alpha: f64,
    /// β², β³, β⁴.
    b2: f64,
    b3: f64,
    b4: f64,
    /// βα, β²α, β³α.
    k1: f64,
    k2: f64,
    k3: f64,
}

impl Smoothing4 {
    pub fn new(beta: f64, alpha: f64) -> Self {
        let b2 = beta * beta;
        Self {
            beta,
            alpha,
            b2,
            b3: b2 * beta,
            b4: b2 * b2,
            k1: beta * alpha,
            k2: b2 * alpha,
            k3: b2 * beta * alpha,
        }
    }

    /// One bar: `β·y + α·x`.
    #[inline(always)]
    pub fn one(&self, y: f64, x: f64) -> f64 {
        self.beta * y + self.alpha * x
    }

    /// The next four values after `y` for inputs `x`.
    #[inline(always)]
    pub fn four(&self, y: f64, x: [f64; 4]) -> [f64; 4] {
        let (a, k1, k2, k3) = (self.alpha, self.k1, self.k2, self.k3);
        [
            self.beta * y + a * x[0],
            self.b2 * y + (k1 * x[0] + a * x[1]),
            self.b3 * y + ((k2 * x[0] + k1 * x[1]) + a * x[2]),
            self.b4 * y + ((k3 * x[0] + k2 * x[1]) + (k1 * x[2] + a * x[3])),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_steps_at_once_equal_four_single_steps_to_a_few_ulps() {
        let s = Smoothing4::new(13.0 / 14.0, 1.0 / 14.0);
        let xs = [3.5, 0.0, 12.25, 7.0, 1e-3, 250.0, 0.5, 9.0];
        let (mut one, mut four) = (40.0, 40.0);
        for chunk in xs.chunks_exact(4) {
            let ys = s.four(four, [chunk[0], chunk[1], chunk[2], chunk[3]]);
            for (&x, &y) in chunk.iter().zip(&ys) {
                one = s.one(one, x);
                assert!((y - one).abs() <= 1e-14 * one.abs(), "{y} vs {one}");
            }
            four = ys[3];
        }
    }
}
