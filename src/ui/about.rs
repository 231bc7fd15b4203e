//! The About panel in the header: what the app is, and the attribution the
//! chart library's licence asks for (its NOTICE text and a link to
//! TradingView). A native `<details>`: no script, reachable by keyboard.

use leptos::prelude::*;

/// The NOTICE file of tradingview/lightweight-charts (Apache-2.0 §4(d)).
const CHART_NOTICE: [&str; 2] = [
    "TradingView Lightweight Charts",
    "Copyright (c) 2023 TradingView, Inc. https://www.tradingview.com/",
];

#[component]
pub fn About() -> impl IntoView {
    view! {
        <details class="about" data-testid="about">
            <summary>"About"</summary>
            <div class="about-body">
                <p>
                    "Technic Web scans stocks with technical indicators in your browser: bars are fetched "
                    "from the source you choose and cached on this device; nothing else leaves it."
                </p>
                <p data-testid="about-chart">
                    "Charts by "
                    <a href="https://www.tradingview.com/" target="_blank" rel="noopener noreferrer">
                        "TradingView Lightweight Charts™"
                    </a>
                    " (Apache License 2.0), shipped with the app. Its notice:"
                </p>
                <pre class="notice" data-testid="about-notice">{CHART_NOTICE.join("\n")}</pre>
                <p>
                    <a href="https://www.apache.org/licenses/LICENSE-2.0" target="_blank" rel="noopener noreferrer">
                        "Apache License 2.0"
                    </a>
                    " · "
                    <a href="https://github.com/tradingview/lightweight-charts" target="_blank" rel="noopener noreferrer">
                        "lightweight-charts source"
                    </a>
                </p>
            </div>
        </details>
    }
}
