fn main() {
    strata_core::cli::main(&strata_harden_check::TOOL)
}
