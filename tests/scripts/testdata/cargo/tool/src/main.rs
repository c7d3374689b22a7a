fn main() {
    let mut buf = itoa::Buffer::new();
    let v: either::Either<&str, u8> = either::Either::Left(buf.format(7));
    println!("offline-tool {}", v.left().unwrap_or("?"));
}
