//! Sizes as ZFS takes and shows them: `zfs set quota=10G` (binary units, `none`) and the
//! human-readable columns of `zfs list` without `-p`.

/// A size as ZFS properties take it: bytes, or `none` (no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Size {
    None,
    Bytes(u64),
}

impl Size {
    pub fn bytes(self) -> Option<u64> {
        match self {
            Size::None => None,
            Size::Bytes(b) => Some(b),
        }
    }
}

/// Parses a size the way `zfs set` does: bytes or a number with a binary unit (`10G`, `512M`,
/// `1.5T`, `64k`, `10GiB`, `10GB`), case-insensitive, or `none`.
pub fn size(s: &str) -> Result<Size, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(Size::None);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.starts_with('.') && num.len() == 1 {
        return Err(format!("invalid size {s:?}: expected a number with an optional unit (10G, 512M, 1.5T) or none"));
    }
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        "P" | "PB" | "PIB" => 50,
        "E" | "EB" | "EIB" => 60,
        _ => {
            return Err(format!("invalid size {s:?}: unknown unit {unit:?} (use B, K, M, G, T, P, E)"));
        }
    };
    // Checked all the way: a number that does not fit is an error, never a wrapped value (2^68 E
    // is 2^128 bytes, which u128 arithmetic would wrap to 0, and `zfs set quota=0` means none).
    let too_large = || format!("invalid size {s:?}: too large, a size must be below 16 EiB (2^64 bytes)");
    let mult = 1u128 << shift;
    let whole = |int: &str| -> Result<u128, String> {
        if int.is_empty() {
            return Ok(0);
        }
        // Only digits are left here, so the one parse error is a number above u128::MAX.
        int.parse::<u128>().map_err(|_| too_large())?.checked_mul(mult).ok_or_else(too_large)
    };
    let bytes: u128 = if let Some((int, frac)) = num.split_once('.') {
        if frac.contains('.') {
            return Err(format!("invalid size {s:?}: more than one decimal point"));
        }
        if shift == 0 && !frac.chars().all(|c| c == '0') {
            return Err(format!("invalid size {s:?}: a byte count must be a whole number"));
        }
        // At most 18 fraction digits count (a part in 10^18 of 1E is below one byte): their value
        // is below 10^18 < 2^60, times at most 2^60, which fits a u128.
        let frac_digits = frac.len().min(18) as u32;
        let frac_val: u128 = if frac_digits == 0 {
            0
        } else {
            frac[..frac_digits as usize].parse().map_err(|_| format!("invalid size {s:?}"))?
        };
        whole(int)?.checked_add(frac_val * mult / 10u128.pow(frac_digits)).ok_or_else(too_large)?
    } else {
        whole(num)?
    };
    u64::try_from(bytes).map(Size::Bytes).map_err(|_| too_large())
}

/// Formats bytes the way `zfs list` does without `-p`: `512`, `1.50K`, `10G`, `2.25T`
/// (three significant digits, binary units).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut i = 0;
    while i + 1 < UNITS.len() && bytes >= 1u64 << (10 * (i + 1)) {
        i += 1;
    }
    let v = bytes as f64 / (1u64 << (10 * i)) as f64;
    let u = UNITS[i];
    if bytes.is_multiple_of(1u64 << (10 * i)) {
        return format!("{}{u}", bytes >> (10 * i));
    }
    for prec in (0..=2).rev() {
        let s = format!("{v:.prec$}");
        if s.len() <= 4 {
            return format!("{s}{u}");
        }
    }
    format!("{v:.0}{u}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes() {
        assert_eq!(size("10G").unwrap(), Size::Bytes(10 << 30));
        assert_eq!(size("512M").unwrap(), Size::Bytes(512 << 20));
        assert_eq!(size("1.5T").unwrap(), Size::Bytes(3 << 39));
        assert_eq!(size("64k").unwrap(), Size::Bytes(64 << 10));
        assert_eq!(size("10GiB").unwrap(), Size::Bytes(10 << 30));
        assert_eq!(size("4096").unwrap(), Size::Bytes(4096));
        assert_eq!(size("none").unwrap(), Size::None);
        assert_eq!(size("NONE").unwrap(), Size::None);
        for bad in ["", "G", "10X", "1.2.3G", "-1G", "1.5", "99999999E"] {
            assert!(size(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn human_sizes_like_zfs() {
        assert_eq!(human_size(0), "0");
        assert_eq!(human_size(1023), "1023");
        assert_eq!(human_size(1024), "1K");
        assert_eq!(human_size(1536), "1.50K");
        assert_eq!(human_size(10 << 30), "10G");
        assert_eq!(human_size(67206144), "64.1M");
        assert_eq!(human_size(123 << 20 | 1), "123M");
    }

    /// 2^64 bytes is 16 EiB: one more than a u64 holds, and one more than ZFS takes.
    const EIB_16: u128 = 1 << 64;

    #[test]
    fn sizes_at_the_bounds() {
        assert_eq!(size("18446744073709551615").unwrap(), Size::Bytes(u64::MAX));
        assert_eq!(size("15E").unwrap(), Size::Bytes(15 << 60));
        assert_eq!(size("1.5E").unwrap(), Size::Bytes(3 << 59));
        assert_eq!(size("15.5E").unwrap(), Size::Bytes(31 << 59));
        assert_eq!(size("16383P").unwrap(), Size::Bytes(16383 << 50));
        assert_eq!(size("17179869183G").unwrap(), Size::Bytes(17179869183 << 30));
        // 2^68 E is 2^128 bytes (wraps a u128 to 0), 2^68+1 E wraps to 1E; 2^124 + 1 bytes, once
        // wrapped past u128, is a small number too. Each is refused, naming the value.
        for bad in [
            "18446744073709551616",
            "16E",
            "16.0E",
            "16384P",
            "17179869184G",
            "15.9999999999E5",
            "295147905179352825856E",
            "295147905179352825857E",
            "295147905179352825857.5E",
            "340282366920938463463374607431768211456",
            "340282366920938463463374607431768211457K",
            "99999999999999999999999999999999999999999999E",
        ] {
            let e = size(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
            assert!(e.contains("16 EiB") || e.contains("unknown unit"), "{bad}: {e}");
        }
    }

    /// The units `size` takes, with their shifts.
    const UNITS: [(&str, u32); 7] = [("", 0), ("K", 10), ("M", 20), ("G", 30), ("T", 40), ("P", 50), ("E", 60)];

    proptest! {
        #[test]
        fn any_u64_byte_count_is_itself(n in any::<u64>()) {
            prop_assert_eq!(size(&n.to_string()).unwrap(), Size::Bytes(n));
        }

        /// A whole number of any unit is exact when it fits in a u64 and an error otherwise, never
        /// a wrapped value: numbers near the bound of each unit, and numbers far past it.
        #[test]
        fn whole_units_never_wrap(
            unit in 0usize..7,
            near in any::<bool>(),
            offset in 0u128..1_000,
            wide in any::<u128>(),
        ) {
            let (u, shift) = UNITS[unit];
            let n = if near { (EIB_16 >> shift).saturating_sub(500) + offset } else { wide };
            let exact = n.checked_mul(1 << shift).filter(|&b| b < EIB_16);
            let text = format!("{n}{u}");
            match (size(&text), exact) {
                (Ok(got), Some(b)) => prop_assert_eq!(got, Size::Bytes(b as u64)),
                (Err(e), None) => prop_assert!(e.contains(&format!("{text:?}")) && e.contains("16 EiB"), "{}", e),
                (got, want) => prop_assert!(false, "{text}: got {got:?}, want {want:?}"),
            }
        }

        /// A number with a fraction is the exact value rounded down to whole bytes (checked
        /// against f64 arithmetic, which is within a few parts in 10^15), or an error at 16 EiB
        /// and above.
        #[test]
        fn fractions_never_wrap(
            unit in 1usize..7,
            int in prop_oneof![0u128..2_000, 16_000u128..17_000, any::<u64>().prop_map(u128::from), any::<u128>()],
            frac in 0u64..1_000_000_000,
            digits in 1usize..10,
        ) {
            let (u, shift) = UNITS[unit];
            let frac = format!("{frac:09}");
            let frac = &frac[..digits];
            let text = format!("{int}.{frac}{u}");
            let approx = format!("{int}.{frac}").parse::<f64>().unwrap() * 2f64.powi(shift as i32);
            let bound = EIB_16 as f64;
            match size(&text) {
                Ok(Size::Bytes(b)) => {
                    prop_assert!(approx < bound * (1.0 + 1e-12), "{text} = {b}, but it is {approx}");
                    prop_assert!((b as f64 - approx).abs() <= approx * 1e-12 + 1.0, "{text} = {b}, not {approx}");
                }
                Ok(Size::None) => prop_assert!(false, "{text} is none"),
                Err(e) => {
                    prop_assert!(approx >= bound * (1.0 - 1e-12), "{text} refused: {e}");
                    prop_assert!(e.contains(&format!("{text:?}")) && e.contains("16 EiB"), "{}", e);
                }
            }
        }

        #[test]
        fn size_roundtrips_whole_units(n in 0u64..1_000_000, unit in 0usize..5) {
            let u = ["", "K", "M", "G", "T"][unit];
            prop_assert_eq!(size(&format!("{n}{u}")).unwrap(), Size::Bytes(n << (10 * unit)));
        }

    }
}
