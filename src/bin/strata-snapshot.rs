fn main() {
    strata_core::cli::main(&strata_snapshot::TOOL)
}
