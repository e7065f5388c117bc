fn main() {
    strata_core::cli::main(&strata_quota::TOOL)
}
