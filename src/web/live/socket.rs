//! One WebSocket of a live scan: opened on a URL, its events (open, text,
//! close or error) handed to one callback as [`SocketEvent`]s, closed on
//! request or when dropped. Text frames only (Binance sends JSON text); the
//! browser answers the server's pings by itself. Page only.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::web::js::js_message;

/// What a socket reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    Open,
    Text(String),
    /// The connection is gone (closed by either side, or failed to open).
    Closed {
        code: u16,
        reason: String,
    },
}

/// An open (or opening) socket. Dropping it closes it and detaches the
/// handlers, so a late event of a replaced socket reaches nobody.
pub struct Socket {
    ws: web_sys::WebSocket,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Closure<dyn FnMut(web_sys::CloseEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Socket {
    /// Opens `url`; every event goes to `on_event`. An URL the browser refuses
    /// outright (bad scheme, blocked port) is an error here; a server that
    /// cannot be reached is a `Closed` event later.
    pub fn open(url: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<Socket, String> {
        let ws = web_sys::WebSocket::new(url)
            .map_err(|e| format!("cannot open {url}: {}", js_message(&e)))?;
        let on_event = std::rc::Rc::new(on_event);
        let f = on_event.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| f(SocketEvent::Open));
        let f = on_event.clone();
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                // Binary frames are not Binance's: shown as what they are.
                let text = ev
                    .data()
                    .as_string()
                    .unwrap_or_else(|| "(a binary frame)".to_string());
                f(SocketEvent::Text(text));
            });
        let f = on_event.clone();
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |ev: web_sys::CloseEvent| {
                f(SocketEvent::Closed {
                    code: ev.code(),
                    reason: ev.reason(),
                })
            });
        // An error is always followed by a close event: nothing to report twice.
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {});
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        // 1000: a normal close, asked for by this side.
        let _ = self.ws.close_with_code(1000);
    }
}
