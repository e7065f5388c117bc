fn main() {
    strata_core::cli::main(&strata_prune::TOOL)
}
