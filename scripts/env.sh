# Sourced by build.sh and serve.sh: the environment the browser build
# needs: the tools setup.sh installed on PATH, std rebuilt with the thread
# features for wasm32 (scripts that source this build only wasm32 with cargo;
# `cargo fetch` then also fetches std's own dependencies), and no version check
# over the network (Trunk.toml is offline).
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_UNSTABLE_BUILD_STD=panic_abort,std
export TRUNK_SKIP_VERSION_CHECK=true
