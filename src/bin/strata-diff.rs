fn main() {
    strata_core::cli::main(&strata_diff::TOOL)
}
