fn main() {
    strata_cli::main()
}
