use std::process::ExitCode;

fn main() -> ExitCode {
    limit_allocator_caching();
    convene::cli::main()
}

/// glibc gives each thread that allocates its own arena (up to 8 per core) and, after a
/// large block is freed, serves blocks up to that size from the arenas instead of mmap.
/// With argon2's 19 MiB per hash on the blocking threads, every arena came to hold one
/// (829 MiB peak in the login-flood benchmark). Two arenas and a fixed mmap threshold
/// return large blocks to the system as soon as they are freed.
fn limit_allocator_caching() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
