//! The bytes the upload tests send, shared by the test crates that include
//! this file (`#[path = "common/test_data.rs"] mod test_data;`).

/// `len` bytes from `seed`, the same on every run: a xorshift stream, so
/// that bytes differ from part to part and a part (or block) sent to the
/// wrong place, or twice, shows in the object read back.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
