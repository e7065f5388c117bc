fn main() {
    strata_core::cli::main(&strata_send::TOOL)
}
