fn main() {
    std::process::exit(rescore::cli::main());
}
