//! `technic`: the native CLI over the engine (`technic scan …`). Thin glue only.

fn main() {
    eprintln!("technic: not implemented yet");
    std::process::exit(2);
}
