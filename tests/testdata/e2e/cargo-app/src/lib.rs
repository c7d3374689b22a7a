//! The e2e cargo app: six crates a cold setup downloads from the
//! in-cluster registry and the agent stand-in builds offline.

use fnv::FnvHashMap;

static_assertions::const_assert!(std::mem::size_of::<u64>() == 8);

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        pub const OS: &str = "unix";
    } else {
        pub const OS: &str = "other";
    }
}

/// Counts the distinct decimal renderings of `n` and `n + 1`.
pub fn distinct(n: u32) -> usize {
    let mut a = itoa::Buffer::new();
    let mut b = itoa::Buffer::new();
    let mut seen: FnvHashMap<String, usize> = FnvHashMap::default();
    let guard = scopeguard::guard(n, |_| {});
    seen.insert(a.format(*guard).to_string(), 1);
    seen.insert(b.format(*guard + 1).to_string(), 2);
    let side: either::Either<usize, &str> = either::Either::Left(seen.len());
    side.left().unwrap_or(0)
}
