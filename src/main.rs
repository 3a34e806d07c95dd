use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: glibc's took about a tenth of the service's CPU
/// in the benchmark's profiles (its arenas' locks, with `M_ARENA_MAX` below, and its
/// consolidation); with mimalloc the machine's CPU per request in the PostgreSQL lines
/// fell by a ninth to a sixth (`BENCHMARKS.md`, session 17). Argon2's 19 MiB per hash,
/// which made session 10 give it up (490 MiB peak), now runs on the hashing threads alone
/// (`auth::password`), not on every blocking thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tune_allocators();
    convene::cli::main()
}

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, `mi_option_t`; libmimalloc-sys
/// names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps the memory the allocators hold near what is in use; the peak over the
/// benchmark's scenarios must stay under 150 MB.
fn tune_allocators() {
    // Without transparent huge pages: with them, mimalloc's memory came to 191-207 MiB at
    // its peak in the benchmark (a huge page is resident as a whole), 123-140 MiB without.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Memory freed is given back to the system after 10 ms rather than mimalloc's default
    // second: a peak of 97 MiB instead of 138-140, at no measurable cost. The operator's
    // MIMALLOC_PURGE_DELAY, if set, stands.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
    // glibc's malloc still serves the C libraries (SQLite, libpq). It gives each thread
    // that allocates its own arena (up to 8 per core) and keeps freed large blocks in
    // them: two arenas and a fixed mmap threshold return large blocks to the system as
    // soon as they are freed (829 MiB peak in the login-flood benchmark before, when
    // argon2 still allocated through it on the blocking threads).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
