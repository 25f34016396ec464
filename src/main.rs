// mimalloc: the load allocates millions of small strings and vectors; the system allocator
// spends a large share of a cold run in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's option enum (the same in v2 and v3; libmimalloc-sys
/// names no constant for it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long, in milliseconds, mimalloc holds memory freed before it returns it to the system.
/// Its default (a second in v3) outlasts a phase of a cold `check` at 100k pages, so the parse
/// detail dropped once the graph is built would still be resident while evaluation allocates:
/// ~45 MB more at the peak. At 50 ms the extra system time is within noise, at 0 it is not.
const PURGE_DELAY_MS: std::ffi::c_long = 50;

/// Sets the allocator's options, unless the environment sets them (`MIMALLOC_PURGE_DELAY`).
/// Before any thread is started: `mi_option_set` is not thread safe.
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain store into mimalloc's option table, on the only thread there is.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

fn main() {
    tune_allocator();
    std::process::exit(rescore::cli::main());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_memory_is_returned_after_the_short_delay() {
        tune_allocator();
        // SAFETY: a plain read of mimalloc's option table.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        let expected = match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(set) => set.parse().unwrap_or(delay),
            Err(_) => PURGE_DELAY_MS,
        };
        assert_eq!(delay, expected);
    }
}
