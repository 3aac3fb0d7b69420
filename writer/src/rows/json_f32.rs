//! One JSON number to the nearest `f32`, in one pass over its digits.
//!
//! Float vectors are most of what a JSONL row holds (768 numbers of about
//! 18 characters), and parsing them is most of the work of writing them.
//! The literal is walked once: JSON's grammar is checked, and its digits
//! (eight at a time) and exponent are gathered as `w × 10^q`.
//!
//! The common case (at most 19 digits, `|q| <= 22`) is converted here, and
//! exactly: `r = w ⊗ 10^q` in `f64` rounds three times at most (`w` to
//! `f64` when `w > 2^53`, `10^q` when `q < 0`, the product), so it is within
//! 3.01 ulp of the true value `x`. Rounding `r` to `f32` gives what rounding
//! `x` would, unless an `f32` rounding boundary (a midpoint between two
//! `f32`s) lies between `x` and `r`; every such boundary has its low 29
//! `f64` significand bits at `2^28`, so when `r` is within 8 ulp of one,
//! the literal goes to `fast-float2` instead, as does everything else (more
//! digits, larger exponents). Tests check the result against `fast-float2`
//! bit for bit, midpoints included.

/// `10^i`, each exact in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10^-i`, each the nearest `f64`: a product costs a few cycles, a
/// quotient fifteen or more.
const NEG_POW10: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// Parses the JSON number at the start of `text`: the nearest `f32` (an
/// infinity when out of range) and the bytes it took; `None` if the text
/// there is not a JSON number. Inlined into the caller's loop, so one
/// number's conversion overlaps the next one's digits.
#[inline(always)]
pub(crate) fn parse(text: &[u8]) -> Option<(f32, usize)> {
    let mut i = usize::from(text.first() == Some(&b'-'));
    let negative = i == 1;
    // w: the significant digits (wrapping past 19 of them, then unused).
    let (mut w, mut digits) = (0u64, 0usize);
    match text.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(&d @ b'0'..=b'9') = text.get(i) {
                w = w.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                digits += 1;
                i += 1;
            }
        }
        _ => return None,
    }
    let mut q = 0i64;
    if text.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        if w == 0 {
            // Zeros before the first significant digit.
            while text.get(i) == Some(&b'0') {
                i += 1;
            }
        }
        let significant = i;
        while let Some(eight) = eight_digits(text, i) {
            w = w.wrapping_mul(100_000_000).wrapping_add(eight);
            i += 8;
        }
        while let Some(&d @ b'0'..=b'9') = text.get(i) {
            w = w.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        digits += i - significant;
        q = -((i - start) as i64);
    } else if text.get(i).is_some_and(u8::is_ascii_digit) {
        // A leading zero followed by digits.
        return None;
    }
    if let Some(b'e' | b'E') = text.get(i) {
        i += 1;
        let minus = text.get(i) == Some(&b'-');
        if let Some(b'+' | b'-') = text.get(i) {
            i += 1;
        }
        let start = i;
        let mut e = 0i64;
        while let Some(&d @ b'0'..=b'9') = text.get(i) {
            // Past this, only fast-float's answer is used.
            if e < 1 << 20 {
                e = e * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        q += if minus { -e } else { e };
    }
    if w == 0 && digits <= 19 {
        // Only zeros.
        return Some((if negative { -0.0 } else { 0.0 }, i));
    }
    if digits <= 19 && (-22..=22).contains(&q) {
        // One instruction from i64, several from u64.
        let wide = if w < 1 << 63 {
            w as i64 as f64
        } else {
            w as f64
        };
        let scale = if q < 0 {
            NEG_POW10[(-q) as usize]
        } else {
            POW10[q as usize]
        };
        let r = wide * scale;
        let low = r.to_bits() & ((1 << 29) - 1);
        if low.abs_diff(1 << 28) > 8 {
            let v = r as f32;
            return Some((if negative { -v } else { v }, i));
        }
    }
    fast_float2::parse::<f32, _>(&text[..i])
        .ok()
        .map(|v| (v, i))
}

/// The value of eight ASCII digits at `text[i..]`, if that is what is
/// there.
#[inline]
fn eight_digits(text: &[u8], i: usize) -> Option<u64> {
    let bytes: [u8; 8] = text.get(i..i + 8)?.try_into().ok()?;
    let v = u64::from_le_bytes(bytes);
    // Every byte in b'0'..=b'9': subtracting '0' borrows nowhere, adding
    // 0x46 carries into no high bit.
    let digits = v.wrapping_sub(0x3030_3030_3030_3030);
    if (v.wrapping_add(0x4646_4646_4646_4646) | digits) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    // Pairs, then fours, then the eight (the first digit is the lowest
    // byte).
    let v = digits * 10 + (digits >> 8);
    let pairs = (v & 0x0000_00FF_0000_00FF).wrapping_mul(0x000F_4240_0000_0064);
    let fours = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(0x0000_2710_0000_0001);
    Some(u64::from((pairs.wrapping_add(fours) >> 32) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both parsers on one literal, whole: same bits, or both refuse.
    fn agree(literal: &str) {
        let ours = parse(literal.as_bytes())
            .map(|(v, used)| (v.to_bits(), used))
            .ok_or(());
        let theirs = fast_float2::parse::<f32, _>(literal).map(|v| (v.to_bits(), literal.len()));
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{literal}"),
            (Err(_), _) => panic!("{literal} refused"),
            (Ok(a), Err(_)) => panic!("{literal} read as {a:?}, fast-float refuses it"),
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn same_bits_as_fast_float_on_shortest_forms() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut ryu = ryu::Buffer::new();
        for _ in 0..200_000 {
            let v = f32::from_bits(rng.next() as u32);
            if !v.is_finite() {
                continue;
            }
            // What Python's json.dumps writes for a float32 (the f64's
            // shortest digits), and the f32's own shortest digits.
            agree(ryu.format(f64::from(v)));
            agree(ryu.format(v));
            agree(&format!("{:.9e}", v));
        }
    }

    #[test]
    fn same_bits_at_and_near_midpoints() {
        // The literal nearest to the midpoint between two neighbouring
        // f32s is where rounding through f64 first would go wrong.
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut ryu = ryu::Buffer::new();
        for _ in 0..30_000 {
            let v = f32::from_bits(rng.next() as u32 & 0x7F7F_FFFF);
            let next = f32::from_bits(v.to_bits() + 1);
            if !next.is_finite() {
                continue;
            }
            let mid = (f64::from(v) + f64::from(next)) / 2.0;
            agree(ryu.format(mid));
            for digits in [8, 15, 17, 18, 20] {
                agree(&format!("{mid:.digits$e}"));
            }
            // A few f64 ulps either side, where a conversion with a
            // rounding or two of its own could land on the wrong side.
            for k in 1..=10 {
                for near in [mid.to_bits() - k, mid.to_bits() + k] {
                    let near = f64::from_bits(near);
                    agree(ryu.format(near));
                    agree(&format!("-{near:.18e}"));
                }
            }
        }
    }

    #[test]
    fn same_bits_on_random_literals() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..200_000 {
            let r = rng.next();
            let len = 1 + (r % 22) as usize;
            let mut digits: String = (0..len)
                .map(|_| char::from(b'0' + (rng.next() % 10) as u8))
                .collect();
            if digits.len() > 1 && digits.starts_with('0') {
                digits.replace_range(0..1, "1");
            }
            let point = (r >> 8) as usize % (len + 1);
            let mut literal = if point == 0 || point == len {
                digits
            } else if digits.starts_with('0') {
                continue;
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            };
            if r >> 20 & 1 == 1 {
                literal.insert(0, '-');
            }
            if r >> 21 & 1 == 1 {
                let e = ((r >> 24) % 100) as i64 - 50;
                literal.push_str(&format!("e{e}"));
            }
            agree(&literal);
            agree(&format!(
                "0.{}",
                literal.trim_start_matches('-').replace('.', "")
            ));
        }
    }

    #[test]
    fn edges() {
        for literal in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "0e5",
            "1",
            "-1",
            "1e22",
            "1e-22",
            "1e23",
            "1e-23",
            "3.4028235e38",
            "3.4028236e38",
            "340282356779733661637539395458142568447",
            "1.1754944e-38",
            "1e-45",
            "1.401298464324817e-45",
            "7e-46",
            "0.1",
            "0.5",
            "16777217",
            "9007199254740993",
            "18446744073709551615",
            "99999999999999999999",
            "0.00000000000000000000001",
            "123456789012345678901234567890e-20",
            "1.00000001",
            "1E+2",
            "2e-0",
            "0.000",
            "5e-324",
        ] {
            agree(literal);
        }
        assert!(parse(b"3.5e38").unwrap().0.is_infinite());
        assert!(parse(b"-1e39").unwrap().0.is_infinite());
    }

    #[test]
    fn takes_the_literal_only() {
        assert_eq!(parse(b"0.25, 1"), Some((0.25, 4)));
        assert_eq!(parse(b"-12345678.5]"), Some((-12345678.0, 11)));
        assert_eq!(parse(b"1e2}"), Some((100.0, 3)));
    }

    #[test]
    fn any_text_is_a_json_number_read_exactly_or_refused() {
        let alphabet = b"0123456789.-+eE ,]x";
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        for _ in 0..100_000 {
            let len = (rng.next() % 12) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            let Some((v, used)) = parse(&text) else {
                continue;
            };
            let literal = &text[..used];
            let shown = String::from_utf8_lossy(&text);
            // Skipped as a value: its grammar is checked, not its range.
            assert!(
                serde_json::from_slice::<serde::de::IgnoredAny>(literal).is_ok(),
                "{shown}: took {used} bytes that are not a JSON number"
            );
            let theirs = fast_float2::parse::<f32, _>(literal).unwrap();
            assert_eq!(v.to_bits(), theirs.to_bits(), "{shown}");
        }
    }

    #[test]
    fn refuses_what_json_refuses() {
        for bad in [
            "01", "1.", ".5", "1e", "-", "1e+", "+1", "1.e5", "inf", "NaN", "-inf", "", "- 1",
            "00", "-01.5", "1.x",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad}");
        }
    }
}
