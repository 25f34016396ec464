// mimalloc: the load allocates millions of small strings and vectors; the system allocator
// spends a large share of a cold run in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(rescore::cli::main());
}
