//! Reading the files a user picked or dropped: their names and bytes,
//! through `gloo-file` (typed `File`/`FileList`, no reflection). `JsValue`
//! never leaves this file.

/// A picked or dropped file, not read yet. Taken from the event right away,
/// because an input's or a drop's list is gone once the handler returns.
pub struct PickedFile {
    pub name: String,
    file: gloo_file::File,
}

/// The files of an `<input type=file>` (from its change event).
pub fn from_input(input: &web_sys::HtmlInputElement) -> Vec<PickedFile> {
    input.files().map(file_list).unwrap_or_default()
}

/// The files of a drop event (its `dataTransfer.files`).
pub fn from_drop(ev: &web_sys::DragEvent) -> Vec<PickedFile> {
    ev.data_transfer()
        .and_then(|t| t.files())
        .map(file_list)
        .unwrap_or_default()
}

fn file_list(files: web_sys::FileList) -> Vec<PickedFile> {
    gloo_file::FileList::from(files)
        .iter()
        .map(|file| PickedFile {
            name: file.name(),
            file: file.clone(),
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
        match gloo_file::futures::read_as_bytes(&self.file).await {
            Ok(bytes) => Ok((self.name, bytes)),
            Err(e) => Err(ReadError {
                file: self.name,
                message: e.to_string(),
            }),
        }
    }
}
