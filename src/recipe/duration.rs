//! Durations written the way Packer and Go write them: `90s`, `5m`, `1h30m`,
//! plus days (`7d`) for retention policies.

use std::time::Duration;

/// Parse `1h30m`, `7d`, `500ms`, `45s`. A bare number is seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return if secs >= 0.0 {
            Ok(Duration::from_secs_f64(secs))
        } else {
            Err(format!("negative duration `{text}`"))
        };
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad(text));
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad(text))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad(text)),
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

fn bad(text: &str) -> String {
    format!("`{text}` is not a duration; write it like `90s`, `5m`, `1h30m` or `7d`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_and_days() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("120").unwrap(), Duration::from_secs(120));
        assert!(parse("5 minutes").is_err());
        assert!(parse("m5").is_err());
    }
}
