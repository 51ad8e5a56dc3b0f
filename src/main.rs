fn main() {
    println!("pbitsim {}", env!("CARGO_PKG_VERSION"));
}
