//! Two link-time choices for the `cairn` binary, both for memory (benches/README.md):
//!
//! - Packed relative relocations (RELR) where the C library loads them: glibc 2.36 and later. A
//!   position-independent Rust binary carries about a megabyte of relocations that the loader
//!   reads at every start and that then stay resident; packed, they take a few kilobytes. An
//!   older glibc refuses such a binary, so they are asked for only when building for this
//!   machine and its glibc has them.
//! - The functions a running Cairn executes placed together, in `build/hot-functions.txt` (made
//!   by `build/hot-functions.sh`). The kernel maps a binary's code 64 kB at a time around each
//!   page it runs, so the few functions that start and serve, scattered over 6.5 MB, kept most of
//!   it resident; together they take 2.4 MB. Only LLD reads the list, the linker Rust uses on
//!   x86-64 Linux from 1.90 on; names the binary lacks are skipped, so a stale list costs memory,
//!   never a build.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={HOT_FUNCTIONS}");
    let (target, host) = (std::env::var("TARGET"), std::env::var("HOST"));
    let native_glibc =
        matches!((&target, &host), (Ok(t), Ok(h)) if t == h && t.ends_with("-linux-gnu"));
    if native_glibc && glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if target.as_deref() == Ok("x86_64-unknown-linux-gnu") && links_with_rust_lld() {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let list = std::path::Path::new(&dir).join(HOT_FUNCTIONS);
        if list.is_file() {
            println!(
                "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
                list.display()
            );
            println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        }
    }
}

const HOT_FUNCTIONS: &str = "build/hot-functions.txt";

/// Whether the link is Rust's own LLD: the default on x86-64 Linux from Rust 1.90, unless a
/// linker is configured (`RUSTC_LINKER`) or the flags choose one.
fn links_with_rust_lld() -> bool {
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if std::env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("link-self-contained")
    {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-V").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8_lossy(&out.stdout);
    let mut version = text.split_whitespace().nth(1).unwrap_or("").split('.');
    let (major, minor) = (version.next(), version.next());
    matches!((major, minor.and_then(|m| m.parse::<u32>().ok())), (Some("1"), Some(m)) if m >= 90)
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
