//! The one duration grammar of amibake: recipe timeouts, `retention`,
//! `gc --min-age/--grace`, `cleanup --older-than`.
//!
//! It is Go's `time.ParseDuration` (what Packer templates are written in:
//! `90s`, `1h30m`, `1.5h`, `500ms`), plus `d` (24 h) and `w` (7 d) for
//! retention periods, plus a bare number meaning seconds.

use std::time::Duration;

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("μs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
    ("w", 7.0 * 86400.0),
];

/// Parse a non-negative duration: `1h30m`, `7d`, `2w`, `500ms`, `45s`, `120`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return if secs >= 0.0 && secs.is_finite() {
            Ok(Duration::from_secs_f64(secs))
        } else {
            Err(format!(
                "`{text}` is not a duration: it must not be negative"
            ))
        };
    }
    let secs = parse_signed(t, true)?;
    if secs < 0.0 {
        return Err(format!(
            "`{text}` is not a duration: it must not be negative"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Go's `time.ParseDuration` exactly (a sign, then number-unit pairs; no
/// days), in seconds. `timeadd()` uses this.
pub fn parse_go(text: &str) -> Result<f64, String> {
    parse_signed(text.trim(), false)
}

fn parse_signed(t: &str, with_days: bool) -> Result<f64, String> {
    let bad = || {
        format!(
            "`{t}` is not a duration; write it like `90s`, `5m`, `1h30m`{}",
            if with_days { ", `7d` or `2w`" } else { "" }
        )
    };
    let (sign, mut rest) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if rest == "0" {
        return Ok(0.0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let factor = UNITS
            .iter()
            .filter(|(u, _)| with_days || !matches!(*u, "d" | "w"))
            .find(|(u, _)| *u == unit)
            .map(|(_, f)| *f)
            .ok_or_else(bad)?;
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Ok(sign * total)
}

/// `7d`, `36h`, `90m`, `30s`: the largest unit that divides exactly.
pub fn format(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, n) in [("d", 86400), ("h", 3600), ("m", 60)] {
        if s >= n && s % n == 0 && d.subsec_nanos() == 0 {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_days_weeks_and_seconds() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse("2w").unwrap(), Duration::from_secs(14 * 86400));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("120").unwrap(), Duration::from_secs(120));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert!(parse("5 minutes").is_err());
        assert!(parse("m5").is_err());
        assert!(parse("-5m").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn go_grammar_is_signed_and_has_no_days() {
        assert_eq!(parse_go("-24h").unwrap(), -86400.0);
        assert_eq!(parse_go("1h0m30s").unwrap(), 3630.0);
        assert!(parse_go("1d").is_err());
        assert!(parse_go("10").is_err());
    }

    #[test]
    fn formats_with_the_largest_exact_unit() {
        assert_eq!(format(Duration::from_secs(14 * 86400)), "14d");
        assert_eq!(format(Duration::from_secs(36 * 3600)), "36h");
        assert_eq!(format(Duration::from_secs(61)), "61s");
    }
}
