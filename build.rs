//! Links the `cairn` binary with packed relative relocations (RELR) where the C library loads
//! them: glibc 2.36 and later. A position-independent Rust binary carries about a megabyte of
//! relocations that the loader reads at every start and that then stay resident; packed, they
//! take a few kilobytes (idle and peak RSS about 1.2 MB lower, benches/README.md). An older glibc
//! refuses such a binary, so it is asked for only when building for this machine and its glibc
//! has them.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let (target, host) = (std::env::var("TARGET"), std::env::var("HOST"));
    let native_glibc =
        matches!((&target, &host), (Ok(t), Ok(h)) if t == h && t.ends_with("-linux-gnu"));
    if native_glibc && glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// This machine's glibc, from `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let (major, rest) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    let minor = rest.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
