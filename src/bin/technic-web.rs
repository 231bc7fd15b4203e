//! The browser app's entry point: mounts the Leptos UI (wasm32 only; trunk
//! builds it, see README). Natively it only says where to look.

#[cfg(target_arch = "wasm32")]
fn main() {
    technic::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("technic-web is the browser app: build and serve it with scripts/serve.sh");
}
