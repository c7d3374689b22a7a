use fnv::FnvHashMap;

static_assertions::const_assert!(std::mem::size_of::<u64>() == 8);

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        const OS: &str = "unix";
    } else {
        const OS: &str = "other";
    }
}

fn main() {
    let mut ints = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    let mut seen: FnvHashMap<&str, usize> = FnvHashMap::default();
    let side: either::Either<u8, &str> = either::Either::Left(42);
    let guard = scopeguard::guard(0u32, |_| {});
    seen.insert(ints.format(*guard + 7), 1);
    seen.insert(floats.format(1.5f64), 2);
    println!("offline-hello {} {} {}", OS, seen.len(), side.left().unwrap_or(0));
}
