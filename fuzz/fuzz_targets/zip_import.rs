//! Fuzz target: file import (`technic::data::formats::import::import_files`)
//! with the input as a ZIP archive, as a CSV file, and as the members of a ZIP
//! this target writes (NUL-separated name, content, name, content…; so the
//! fuzzer reaches member handling without forging CRCs). Never panics; accepted
//! bars pass the invariants; no symbol is accepted twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Write};
use technic::data::formats::import::{import_files, ImportResult};
use technic_fuzz::{check_bars, check_error};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Keeps one input from asking for thousands of members.
const MAX_MEMBERS: usize = 16;

fn build_zip(data: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let mut parts = data.split(|&b| b == 0);
    let mut k = 0;
    while let (Some(name), Some(content)) = (parts.next(), parts.next()) {
        if k == MAX_MEMBERS {
            break;
        }
        let name = String::from_utf8_lossy(name);
        let method = if k % 2 == 0 {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        // A name the writer refuses (or a directory entry) just ends the archive early.
        if name.ends_with('/') {
            if zip.add_directory(name.as_ref(), options).is_err() {
                break;
            }
        } else if zip.start_file(name.as_ref(), options).is_err() || zip.write_all(content).is_err()
        {
            break;
        }
        k += 1;
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

fn check_results(results: &[ImportResult]) {
    let mut accepted: Vec<&str> = Vec::new();
    for r in results {
        assert!(!r.file.is_empty(), "a result without a file name");
        match &r.outcome {
            Ok(bars) => {
                check_bars(bars);
                assert_eq!(r.bar_count(), bars.len());
                let symbol = r
                    .symbol
                    .as_deref()
                    .expect("an accepted result has a symbol");
                assert!(!accepted.contains(&symbol), "{symbol} accepted twice");
                accepted.push(symbol);
            }
            Err(e) => {
                check_error(e);
                assert_eq!(r.bar_count(), 0);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let built = build_zip(data);
    check_results(&import_files(vec![("fuzz.zip".into(), data.to_vec())]));
    check_results(&import_files(vec![("fuzz.csv".into(), data.to_vec())]));
    check_results(&import_files(vec![("built.zip".into(), built.clone())]));
    // Together: a later file naming an already imported symbol is rejected.
    check_results(&import_files(vec![
        ("data/FUZZ.csv".into(), data.to_vec()),
        ("built.zip".into(), built),
        ("fuzz.zip".into(), data.to_vec()),
    ]));
});
