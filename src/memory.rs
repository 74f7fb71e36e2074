//! Handing memory Cairn no longer uses back to the system. glibc's allocator keeps freed memory
//! for reuse; under bursts (a replica taking over another's traffic, a backlog of packets) the
//! heap grows to the burst's size and the process's RSS stays there. Trimming every half minute
//! returns the free pages, so RSS follows what is in use.

use std::time::Duration;

/// How often free memory is handed back.
pub const TRIM_EVERY: Duration = Duration::from_secs(30);

/// Returns free heap pages to the system (glibc on Linux; elsewhere the allocator does it).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
