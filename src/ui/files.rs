//! Reading the files a user picked or dropped: their names and bytes. The
//! `File`, `FileList` and `DataTransfer` web-sys features are not enabled, so
//! they are reached through `js_sys::Reflect` (a `File` is a `Blob`, whose
//! `arrayBuffer()` is available). `JsValue` never leaves this file.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A picked or dropped file, not read yet. Taken from the event right away,
/// because an input's or a drop's list is gone once the handler returns.
pub struct PickedFile {
    pub name: String,
    blob: web_sys::Blob,
}

/// The files of an `<input type=file>` (from its change event).
pub fn from_input(input: &web_sys::HtmlInputElement) -> Vec<PickedFile> {
    let files = js_sys::Reflect::get(input, &JsValue::from_str("files")).unwrap_or(JsValue::NULL);
    file_list(&files)
}

/// The files of a drop event (its `dataTransfer.files`).
pub fn from_drop(ev: &web_sys::Event) -> Vec<PickedFile> {
    let files = js_sys::Reflect::get(ev, &JsValue::from_str("dataTransfer"))
        .ok()
        .filter(|t| !t.is_null() && !t.is_undefined())
        .and_then(|t| js_sys::Reflect::get(&t, &JsValue::from_str("files")).ok())
        .unwrap_or(JsValue::NULL);
    file_list(&files)
}

fn file_list(files: &JsValue) -> Vec<PickedFile> {
    if files.is_null() || files.is_undefined() {
        return Vec::new();
    }
    let len = js_sys::Reflect::get(files, &JsValue::from_str("length"))
        .ok()
        .and_then(|l| l.as_f64())
        .unwrap_or(0.0) as u32;
    (0..len)
        .filter_map(|i| {
            let file = js_sys::Reflect::get(files, &JsValue::from(i)).ok()?;
            let blob = file.dyn_into::<web_sys::Blob>().ok()?;
            let name = js_sys::Reflect::get(&blob, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            Some(PickedFile { name, blob })
        })
        .collect()
}

/// Why a file could not be read (the browser's message, with the file name).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: cannot be read: {message}")]
pub struct ReadError {
    pub file: String,
    pub message: String,
}

impl PickedFile {
    /// The file's bytes.
    pub async fn read(self) -> Result<(String, Vec<u8>), ReadError> {
        let fail = |e: JsValue| ReadError {
            file: self.name.clone(),
            message: crate::web::sources::js_message(&e),
        };
        let buf = JsFuture::from(self.blob.array_buffer())
            .await
            .map_err(fail)?;
        Ok((self.name, js_sys::Uint8Array::new(&buf).to_vec()))
    }
}
