//! Packer's EC2 filter maps (`source_ami_filter`, `subnet_filter`,
//! `vpc_filter`, `security_group_filter`): `filters = { NAME = VALUES }`,
//! read the way Packer reads them.
//!
//! Packer types `filters` as `map(string)` and splits each value as one CSV
//! record (its `buildEc2Filters`), so `"tag:Class" = "build, test"` asks for
//! either value; amibake does the same, and also accepts a list of strings
//! (each element one value, not split). The network filters also have
//! Packer's repeatable `filter { name = "...", value = "..." }` block form.

use std::collections::BTreeMap;

use super::fields::{as_string, to_string_list, Fields};
use super::lang::Value;
use super::loader::Loader;

/// The filter set of one filter block (`ff`): its `filters` map and, when
/// `name_value_blocks`, its `filter { name, value }` blocks.
pub(crate) fn read(
    l: &mut Loader,
    ff: &mut Fields<'_>,
    name_value_blocks: bool,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Some((v, span)) = ff.value(l, "filters") {
        match &v {
            Value::Unknown(_) => {}
            Value::Map(o) => {
                for (k, v) in o.iter().filter(|(_, v)| !v.is_null()) {
                    let values = match v {
                        Value::List(_) | Value::Unknown(_) => to_string_list(v),
                        _ => as_string(v).map(|s| split_values(&s)),
                    };
                    match values {
                        Some(vals) if vals.iter().all(|s| s.is_empty()) => {
                            l.error(span.clone(), format!("filter `{k}` has no value"))
                                .hint = Some(format!(
                                "give `{k}` a value, or remove it to not filter by it"
                            ));
                        }
                        Some(vals) => {
                            out.insert(k.clone(), vals);
                        }
                        None => {
                            l.error(
                                span.clone(),
                                format!("filter `{k}` must be a string or a list of strings"),
                            );
                        }
                    }
                }
            }
            other => {
                l.error(
                    span,
                    format!("`filters` must be a map, found {}", other.type_name()),
                )
                .hint = Some("write it as filters = { \"tag:Class\" = \"build\" }".into());
            }
        }
    }
    if name_value_blocks {
        for b in ff.blocks("filter") {
            let mut bf = Fields::of_block(b, "filter");
            let name = bf.required_string(l, "name", "add name = \"tag:Class\"");
            let value = bf.required_string(l, "value", "add value = \"build\"");
            bf.finish(l);
            // Packer copies the blocks over the map (a block wins).
            if let (Some(n), Some(v)) = (name, value) {
                out.insert(n, split_values(&v));
            }
        }
    }
    out
}

/// One filter value as Packer reads it: the first record of Go's
/// `encoding/csv` with `TrimLeadingSpace` and `LazyQuotes` (commas
/// separate values, leading blanks are dropped, `"…"` quotes a value that
/// contains a comma, `""` inside quotes is a quote, stray quotes are kept).
pub(crate) fn split_values(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars
            .peek()
            .is_some_and(|c| c.is_whitespace() && *c != '\n')
        {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => break,
                    Some('"') => match chars.peek() {
                        Some('"') => {
                            chars.next();
                            field.push('"');
                        }
                        None | Some(',') | Some('\n') | Some('\r') => break,
                        Some(_) => field.push('"'),
                    },
                    Some(c) => field.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c == '\n' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        if field.ends_with('\r') {
            field.pop();
        }
        out.push(field);
        if chars.next() != Some(',') {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_values;

    fn split(s: &str) -> Vec<String> {
        split_values(s)
    }

    #[test]
    fn one_value_stays_whole() {
        assert_eq!(split("amzn2-ami-hvm-*"), ["amzn2-ami-hvm-*"]);
        assert_eq!(split("10.0.0.0/24"), ["10.0.0.0/24"]);
    }

    #[test]
    fn commas_separate_values_and_leading_blanks_go() {
        assert_eq!(split("a,b"), ["a", "b"]);
        assert_eq!(split("a, b,  c"), ["a", "b", "c"]);
        assert_eq!(split("a ,b"), ["a ", "b"]);
    }

    #[test]
    fn quotes_protect_commas_and_stray_quotes_are_kept() {
        assert_eq!(split(r#""a,b", c"#), ["a,b", "c"]);
        assert_eq!(split(r#""say ""hi""""#), [r#"say "hi""#]);
        assert_eq!(split(r#"it"s"#), [r#"it"s"#]);
        assert_eq!(split(r#""open"#), ["open"]);
    }

    #[test]
    fn only_the_first_line_counts() {
        assert_eq!(split("a,b\nc"), ["a", "b"]);
        assert_eq!(split("a\r\n"), ["a"]);
    }

    #[test]
    fn empty_is_one_empty_value() {
        assert_eq!(split(""), [""]);
        assert_eq!(split(","), ["", ""]);
    }
}
