//! Turning a JavaScript exception into a message: the one place a thrown
//! `JsValue` becomes text. Browser-only; no other web module depends on.

/// The thrown value's text: a string as it is, an `Error`'s `message`, or a
/// generic phrase.
pub(crate) fn js_message(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "request failed".into())
}
