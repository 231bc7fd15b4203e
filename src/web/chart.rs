//! The detail chart: TradingView's Lightweight Charts (its standalone build,
//! a same-origin script that defines `window.LightweightCharts`; see
//! www/index.html) bound through its global namespace, not as a module, so
//! the rayon workers, which load this wasm's JS glue too, never import it.
//! Draws candles, volume, lines, markers and price lines from Rust values
//! and publishes `window.__technicChart`. `JsValue` stays in this file; what
//! to draw is decided in `view::detail`.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::engine::bars::Bars;
use crate::view::detail::{chart_time, ChartColors, ChartSeries, PriceLine};

use super::js::js_message;

#[wasm_bindgen]
extern "C" {
    type ChartApi;
    type SeriesApi;
    type ScaleApi;

    #[wasm_bindgen(catch, js_namespace = LightweightCharts, js_name = createChart)]
    fn create_chart(
        container: &web_sys::HtmlElement,
        options: &JsValue,
    ) -> Result<ChartApi, JsValue>;

    #[wasm_bindgen(catch, js_namespace = LightweightCharts, js_name = createSeriesMarkers)]
    fn create_series_markers(series: &SeriesApi, markers: &Array) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, method, js_name = addSeries)]
    fn add_series(this: &ChartApi, kind: &JsValue, options: &JsValue)
        -> Result<SeriesApi, JsValue>;

    #[wasm_bindgen(method)]
    fn remove(this: &ChartApi);

    #[wasm_bindgen(method, js_name = timeScale)]
    fn time_scale(this: &ChartApi) -> ScaleApi;

    #[wasm_bindgen(method, js_name = setVisibleLogicalRange)]
    fn set_visible_logical_range(this: &ScaleApi, range: &JsValue);

    #[wasm_bindgen(method, js_name = applyOptions)]
    fn apply_options(this: &ScaleApi, options: &JsValue);

    #[wasm_bindgen(catch, method, js_name = setData)]
    fn set_data(this: &SeriesApi, data: &Array) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = priceScale)]
    fn price_scale(this: &SeriesApi) -> ScaleApi;

    #[wasm_bindgen(catch, method, js_name = createPriceLine)]
    fn create_price_line(this: &SeriesApi, options: &JsValue) -> Result<JsValue, JsValue>;
}

/// Bars in view when the chart opens: the newest, where the match is, about
/// four pixels each (a year of daily bars on a wide screen, four months on
/// a phone); pan and zoom show the rest.
const PIXELS_PER_BAR: f64 = 4.0;
const INITIAL_BARS: (f64, f64) = (60.0, 260.0);

/// Why the chart could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn err(e: JsValue) -> ChartError {
    ChartError(js_message(&e))
}

/// A drawn chart; dropping it removes the chart (and its canvases).
pub struct Chart {
    api: ChartApi,
}

impl Drop for Chart {
    fn drop(&mut self) {
        self.api.remove();
    }
}

/// What one chart shows.
pub struct ChartSpec<'a> {
    pub symbol: &'a str,
    pub bars: &'a Bars,
    pub series: &'a ChartSeries,
    pub price_lines: &'a [PriceLine],
    pub colors: ChartColors,
}

/// A plain object from (key, value) pairs.
fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn n(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

/// One of the library's series definitions (`LightweightCharts.LineSeries`, …).
fn series_kind(name: &str) -> Result<JsValue, ChartError> {
    let lib = Reflect::get(&js_sys::global(), &s("LightweightCharts")).map_err(err)?;
    if lib.is_undefined() {
        return Err(ChartError("the chart library did not load".into()));
    }
    let kind = Reflect::get(&lib, &s(name)).map_err(err)?;
    if kind.is_undefined() {
        return Err(ChartError(format!("the chart library has no {name}")));
    }
    Ok(kind)
}

/// Draws `spec` into `container` (emptied first by the caller dropping the
/// previous chart) and publishes `window.__technicChart`.
pub fn draw(container: &web_sys::HtmlElement, spec: &ChartSpec<'_>) -> Result<Chart, ChartError> {
    let c = spec.colors;
    let options = obj(&[
        ("autoSize", JsValue::TRUE),
        (
            "layout",
            obj(&[
                (
                    "background",
                    obj(&[("type", s("solid")), ("color", s(c.background))]),
                ),
                ("textColor", s(c.text)),
                // The logo injects a <style> element, which the page's CSP
                // refuses; the attribution is in the About panel instead.
                ("attributionLogo", JsValue::FALSE),
            ]),
        ),
        (
            "grid",
            obj(&[
                ("vertLines", obj(&[("color", s(c.grid))])),
                ("horzLines", obj(&[("color", s(c.grid))])),
            ]),
        ),
        ("rightPriceScale", obj(&[("borderColor", s(c.border))])),
        ("timeScale", obj(&[("borderColor", s(c.border))])),
    ]);
    let chart = Chart {
        api: create_chart(container, &options).map_err(err)?,
    };
    let api = &chart.api;
    let bars = spec.bars;
    let times: Vec<JsValue> = bars
        .time()
        .iter()
        .map(|&t| n(chart_time(t) as f64))
        .collect();

    let candles = api
        .add_series(
            &series_kind("CandlestickSeries")?,
            &obj(&[
                ("upColor", s(c.up)),
                ("downColor", s(c.down)),
                ("borderUpColor", s(c.up)),
                ("borderDownColor", s(c.down)),
                ("wickUpColor", s(c.up)),
                ("wickDownColor", s(c.down)),
            ]),
        )
        .map_err(err)?;
    let (open, high, low, close) = (bars.open(), bars.high(), bars.low(), bars.close());
    let data: Array = (0..bars.len())
        .map(|i| {
            obj(&[
                ("time", times[i].clone()),
                ("open", n(open[i])),
                ("high", n(high[i])),
                ("low", n(low[i])),
                ("close", n(close[i])),
            ])
        })
        .collect();
    candles.set_data(&data).map_err(err)?;
    candles.price_scale().apply_options(&obj(&[(
        "scaleMargins",
        obj(&[("top", n(0.08)), ("bottom", n(0.25))]),
    )]));

    let volume = api
        .add_series(
            &series_kind("HistogramSeries")?,
            &obj(&[
                ("priceFormat", obj(&[("type", s("volume"))])),
                ("priceScaleId", s("")),
                ("lastValueVisible", JsValue::FALSE),
                ("priceLineVisible", JsValue::FALSE),
            ]),
        )
        .map_err(err)?;
    let data: Array = (0..bars.len())
        .map(|i| {
            let up = close[i] >= open[i];
            obj(&[
                ("time", times[i].clone()),
                ("value", n(bars.volume()[i])),
                ("color", s(if up { c.volume_up } else { c.volume_down })),
            ])
        })
        .collect();
    volume.set_data(&data).map_err(err)?;
    volume.price_scale().apply_options(&obj(&[(
        "scaleMargins",
        obj(&[("top", n(0.8)), ("bottom", n(0.0))]),
    )]));

    let line_kind = series_kind("LineSeries")?;
    for (k, line) in spec.series.lines.iter().enumerate() {
        let series = api
            .add_series(
                &line_kind,
                &obj(&[
                    ("color", s(c.line(k))),
                    ("lineWidth", n(1.0)),
                    ("lastValueVisible", JsValue::FALSE),
                    ("priceLineVisible", JsValue::FALSE),
                    ("crosshairMarkerVisible", JsValue::FALSE),
                ]),
            )
            .map_err(err)?;
        // A bar without a value is whitespace: the line has a gap there.
        let data: Array = line
            .values
            .iter()
            .zip(&times)
            .map(|(v, t)| match v {
                Some(v) => obj(&[("time", t.clone()), ("value", n(*v))]),
                None => obj(&[("time", t.clone())]),
            })
            .collect();
        series.set_data(&data).map_err(err)?;
    }

    let markers: Array = spec
        .series
        .markers
        .iter()
        .filter_map(|&i| times.get(i))
        .map(|t| {
            obj(&[
                ("time", t.clone()),
                ("position", s("belowBar")),
                ("shape", s("circle")),
                ("color", s(c.marker)),
                ("size", n(0.4)),
            ])
        })
        .collect();
    create_series_markers(&candles, &markers).map_err(err)?;

    for line in spec.price_lines {
        candles
            .create_price_line(&obj(&[
                ("price", n(line.price)),
                ("color", s(c.price(line.kind))),
                ("lineWidth", n(1.0)),
                ("lineStyle", n(2.0)),
                ("axisLabelVisible", JsValue::TRUE),
                ("title", s(line.title)),
            ]))
            .map_err(err)?;
    }

    let len = bars.len() as f64;
    let in_view = (f64::from(container.client_width()) / PIXELS_PER_BAR)
        .clamp(INITIAL_BARS.0, INITIAL_BARS.1);
    api.time_scale().set_visible_logical_range(&obj(&[
        ("from", n((len - in_view).max(0.0) - 0.5)),
        ("to", n(len + 2.0)),
    ]));
    publish(spec);
    Ok(chart)
}

/// `window.__technicChart = {symbol, bars, markers, priceLines}`: what the
/// canvas shows (bar count, the marked bars' times in UTC seconds, the
/// price lines as `{title, price}`), for tests.
fn publish(spec: &ChartSpec<'_>) {
    let times = spec.bars.time();
    let markers: Array = spec
        .series
        .markers
        .iter()
        .filter_map(|&i| times.get(i))
        .map(|&t| n(chart_time(t) as f64))
        .collect();
    let lines: Array = spec
        .price_lines
        .iter()
        .map(|l| obj(&[("title", s(l.title)), ("price", n(l.price))]))
        .collect();
    let report = obj(&[
        ("symbol", s(spec.symbol)),
        ("bars", n(spec.bars.len() as f64)),
        ("markers", markers.into()),
        ("priceLines", lines.into()),
    ]);
    let _ = Reflect::set(&js_sys::global(), &s("__technicChart"), &report);
}

/// Clears `window.__technicChart` (the detail is closed).
pub fn unpublish() {
    let _ = Reflect::set(&js_sys::global(), &s("__technicChart"), &JsValue::NULL);
}

/// Whether the page is in the dark theme, and a watch that calls `on_change`
/// with the new answer whenever it changes (kept alive by the returned value).
pub fn dark_theme(on_change: impl Fn(bool) + 'static) -> (bool, Option<ThemeWatch>) {
    let Some(query) = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok())
        .flatten()
    else {
        return (false, None);
    };
    let dark = query.matches();
    let watched = query.clone();
    let callback = Closure::<dyn Fn()>::new(move || on_change(watched.matches()));
    let _ = query.add_event_listener_with_callback("change", callback.as_ref().unchecked_ref());
    (dark, Some(ThemeWatch { query, callback }))
}

/// A live `prefers-color-scheme` listener; dropping it stops listening.
pub struct ThemeWatch {
    query: web_sys::MediaQueryList,
    callback: Closure<dyn Fn()>,
}

impl Drop for ThemeWatch {
    fn drop(&mut self) {
        let _ = self
            .query
            .remove_event_listener_with_callback("change", self.callback.as_ref().unchecked_ref());
    }
}
