# strata's everyday recipes (https://just.systems). `just` lists them.

default:
    @just --list

# The whole test suite, as CI runs it (installs test dependencies and the ZFS lab as root).
test:
    cargo xtask ci

# Format, lint and host tests only (no ZFS lab).
check:
    cargo xtask ci --no-lab

# Regenerate man pages and completions after changing a command's flags.
gen:
    cargo xtask gen

# The main job on a real pool inside the lab VM.
demo:
    cargo xtask lab demo

# An interactive lab VM with a pool and the strata tools on PATH.
lab-shell:
    cargo xtask lab shell

# Benchmarks, each against its reference.
bench:
    cargo xtask bench

# Install the binaries into ~/.cargo/bin.
install:
    cargo install --locked --path .

# What changed in a dataset since its newest snapshot (the seed's `just diff`).
diff dataset:
    strata diff {{dataset}}
