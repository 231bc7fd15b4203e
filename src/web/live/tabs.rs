//! One tab owns a live scan's sockets: a Web Lock named after the scan
//! (`navigator.locks.request`) decides which, and the owner tells the other
//! tabs of the same scan each closed bar over a `BroadcastChannel` of the
//! same name. A follower's lock request waits: when the owner's tab closes
//! or turns Live off, the browser grants it to a follower, which then opens
//! the sockets itself (filling what it missed by REST). Page only.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::web::js::js_message;

/// A request for a Web Lock: granted once (then held until dropped), or
/// still waiting (dropping it withdraws the request).
pub struct LockRequest {
    /// Resolves the promise the lock callback returned: releases the lock.
    release: Rc<RefCell<Option<js_sys::Function>>>,
    abort: web_sys::AbortController,
    _granted: Closure<dyn FnMut(JsValue) -> JsValue>,
    _ignore: Closure<dyn FnMut(JsValue)>,
}

/// Asks for the exclusive lock `name`; `on_granted` runs once this tab holds
/// it. Browsers without Web Locks grant it at once (each tab owns its own
/// sockets then, as before locks existed).
pub fn request_lock(
    name: &str,
    on_granted: impl FnOnce() + 'static,
) -> Result<LockRequest, String> {
    let release: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let abort = web_sys::AbortController::new().map_err(|e| js_message(&e))?;
    let held = release.clone();
    let mut on_granted = Some(on_granted);
    let granted = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |_lock: JsValue| {
        // Held until `release` resolves this promise.
        let held = held.clone();
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            held.borrow_mut().replace(resolve);
        });
        if let Some(f) = on_granted.take() {
            f();
        }
        promise.into()
    });
    // A withdrawn request rejects with an AbortError: expected, not a fault.
    let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
    let locks = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    match locks {
        Some(locks) => {
            let request: js_sys::Function = js_sys::Reflect::get(&locks, &"request".into())
                .map_err(|e| js_message(&e))?
                .dyn_into()
                .map_err(|_| "navigator.locks.request is not a function".to_string())?;
            let options = js_sys::Object::new();
            js_sys::Reflect::set(&options, &"signal".into(), &abort.signal())
                .map_err(|e| js_message(&e))?;
            let promise = request
                .call3(&locks, &name.into(), &options, granted.as_ref())
                .map_err(|e| js_message(&e))?;
            if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                let _ = promise.catch(&ignore);
            }
        }
        None => {
            let f: &js_sys::Function = granted.as_ref().unchecked_ref();
            let _ = f.call1(&JsValue::NULL, &JsValue::NULL);
        }
    }
    Ok(LockRequest {
        release,
        abort,
        _granted: granted,
        _ignore: ignore,
    })
}

impl Drop for LockRequest {
    fn drop(&mut self) {
        match self.release.borrow_mut().take() {
            Some(resolve) => {
                let _ = resolve.call0(&JsValue::NULL);
            }
            None => self.abort.abort(),
        }
    }
}

/// A `BroadcastChannel` between the tabs of one live scan: text messages.
pub struct Channel {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Channel {
    pub fn open(name: &str, on_text: impl Fn(String) + 'static) -> Result<Channel, String> {
        let channel = web_sys::BroadcastChannel::new(name).map_err(|e| js_message(&e))?;
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if let Some(text) = ev.data().as_string() {
                    on_text(text);
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Channel {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, text: &str) {
        let _ = self.channel.post_message(&text.into());
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
