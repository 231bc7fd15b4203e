# Sourced by build.sh and serve.sh: the tools setup.sh installed on PATH, and
# no version check over the network (Trunk.toml is offline). The wasm32 flags
# and build-std come from .cargo/config.toml, so plain `trunk build` works too.
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
