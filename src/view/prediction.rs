//! The prediction's words (issue 9's `data-testid="prediction"`): what the
//! next run is expected to take and find, said plainly when there is no
//! basis; the last run's predicted against actual; the model's record. Pure
//! text from `data::history` values, tested natively.

use crate::data::history::{Accuracy, Order, Prediction};

use super::format::seconds;

/// What the next run is expected to do, or why nothing is said.
pub fn forecast(p: &Prediction) -> String {
    let duration = p.duration_ms.map(|ms| match p.duration_range_ms {
        Some((lo, hi)) => format!(
            "≈ {} ({}–{})",
            seconds(ms / 1000.0),
            seconds(lo / 1000.0),
            seconds(hi / 1000.0)
        ),
        None => format!("≈ {}", seconds(ms / 1000.0)),
    });
    let matches = p.matches.map(|m| match p.matches_sd {
        Some(sd) if sd >= 0.5 => format!("{} ± {:.0} matches", round(m), sd.round().max(1.0)),
        _ => format!(
            "{} {}",
            round(m),
            if round(m) == "1" { "match" } else { "matches" }
        ),
    });
    match (duration, matches) {
        (None, None) => "No prediction yet: this device has no history of this scan.".into(),
        (Some(d), None) => format!(
            "Expected {d} (from {} runs on this device); matches unknown: this scan has not run here yet.",
            p.runs_used
        ),
        (None, Some(m)) => format!(
            "Expected {m}; duration unknown until this device has timed more runs."
        ),
        (Some(d), Some(m)) => format!(
            "Expected {d} and {m} (from {} runs on this device).",
            p.runs_used
        ),
    }
}

/// The warning shown before Run, if any.
pub fn warning(p: &Prediction) -> Option<String> {
    p.warning
        .map(|w| format!("This scan looks {}.", w.message()))
}

/// The last run's predicted against actual figures, with the order it used.
pub fn outcome(
    p: Option<&Prediction>,
    order: Order,
    actual_ms: f64,
    actual_matches: usize,
) -> String {
    let actual = format!(
        "took {} and found {}",
        seconds(actual_ms / 1000.0),
        plural(actual_matches, "match", "matches")
    );
    let Some(p) = p else {
        return format!("Last run ({order} order) {actual} (no prediction: no history then).");
    };
    let predicted = match (p.duration_ms, p.matches) {
        (Some(d), Some(m)) => format!("{} and {} matches", seconds(d / 1000.0), round(m)),
        (Some(d), None) => seconds(d / 1000.0),
        (None, Some(m)) => format!("{} matches", round(m)),
        (None, None) => "nothing".into(),
    };
    format!("Last run ({order} order): predicted {predicted}; it {actual}.")
}

/// The model's track record over this device's runs with a prediction.
pub fn accuracy(a: &Accuracy) -> Option<String> {
    let d = a.duration_median_error.map(|e| {
        format!(
            "duration off by {:.0}% (median of {} runs)",
            e * 100.0,
            a.duration_runs
        )
    });
    let m = a.matches_median_error.map(|e| {
        format!(
            "matches off by {:.0}% (median of {} runs)",
            e * 100.0,
            a.matches_runs
        )
    });
    match (d, m) {
        (None, None) => None,
        (Some(d), None) => Some(format!("Model so far: {d}.")),
        (None, Some(m)) => Some(format!("Model so far: {m}.")),
        (Some(d), Some(m)) => Some(format!("Model so far: {d}; {m}.")),
    }
}

fn round(x: f64) -> String {
    if x < 10.0 {
        let r = (x * 10.0).round() / 10.0;
        if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    } else {
        format!("{:.0}", x.round())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::history::Warning;

    #[test]
    fn with_no_history_it_says_so_rather_than_guess() {
        let p = Prediction::default();
        let text = forecast(&p);
        assert!(text.starts_with("No prediction yet"), "{text}");
        assert!(
            !text.chars().any(|c| c.is_ascii_digit()),
            "no number: {text}"
        );
        assert_eq!(warning(&p), None);
    }

    #[test]
    fn a_full_prediction_gives_duration_range_and_matches() {
        let p = Prediction {
            duration_ms: Some(12_300.0),
            duration_range_ms: Some((9_000.0, 15_000.0)),
            matches: Some(14.2),
            matches_sd: Some(3.1),
            runs_used: 5,
            warning: Some(Warning::TooTight),
        };
        assert_eq!(
            forecast(&p),
            "Expected ≈ 12.3 s (9.0 s–15.0 s) and 14 ± 3 matches (from 5 runs on this device)."
        );
        assert!(warning(&p).unwrap().contains("too tight"));
    }

    #[test]
    fn partial_predictions_say_what_is_unknown() {
        let only_matches = Prediction {
            matches: Some(1.0),
            matches_sd: Some(0.2),
            ..Prediction::default()
        };
        assert_eq!(
            forecast(&only_matches),
            "Expected 1 match; duration unknown until this device has timed more runs."
        );
        let only_duration = Prediction {
            duration_ms: Some(400.0),
            runs_used: 2,
            ..Prediction::default()
        };
        assert!(forecast(&only_duration).contains("≈ 400 ms"));
        assert!(forecast(&only_duration).contains("matches unknown"));
    }

    #[test]
    fn the_outcome_compares_predicted_with_actual() {
        let p = Prediction {
            duration_ms: Some(2_000.0),
            matches: Some(7.4),
            ..Prediction::default()
        };
        assert_eq!(
            outcome(Some(&p), Order::Learned, 2_500.0, 1),
            "Last run (learned order): predicted 2.0 s and 7.4 matches; it took 2.5 s and found 1 match."
        );
        let none = outcome(None, Order::Random, 80.0, 3);
        assert!(
            none.contains("no prediction") && none.contains("random order"),
            "{none}"
        );
    }

    #[test]
    fn accuracy_is_shown_only_with_a_record() {
        assert_eq!(accuracy(&Accuracy::default()), None);
        let a = Accuracy {
            duration_runs: 4,
            duration_median_error: Some(0.123),
            ..Accuracy::default()
        };
        assert_eq!(
            accuracy(&a).unwrap(),
            "Model so far: duration off by 12% (median of 4 runs)."
        );
    }
}
