#!/bin/sh
# Starts the whole platform on embedded defaults: the README's start command
# (`sh packages/toolchain/bin/start.sh`) and `pnpm start` both run this file.
#
# 1. bin/start.mjs prepares in a process of its own: builds what is stale, regenerates
#    spin-all.toml, applies migrations; then it exits.
# 2. The shell replaces itself with the runtime (`exec`): spin-local is the only process left,
#    and a terminal's Ctrl-C reaches it directly. Run as the README runs it, nothing else waits
#    beside it; through `npx … pnpm start`, npm exec and pnpm wait as its parents (~180 MB).
#
# Arguments go to `spin-local up` (`--listen 0.0.0.0:8080`). Paths are the repository's root:
# the script moves there first, wherever it is run from.
cd "$(dirname "$0")/../../.." || exit 1
node packages/toolchain/bin/start.mjs || exit $?
# glibc makes up to eight malloc arenas per core for the runtime's threads; two hold less.
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} exec node packages/spin-local/bin/spin-local.mjs up --from spin-all.toml --tick 30 "$@"
