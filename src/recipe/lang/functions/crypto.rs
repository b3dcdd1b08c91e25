//! Hashes, bcrypt, RSA decryption and UUIDs (go-cty-funcs `crypto` and
//! `uuid`, as Packer registers them).
//!
//! Strings are hashed as their UTF-8 bytes. Hex digests are lower case,
//! base64 digests use the standard alphabet with padding.

use base64::Engine as _;

use super::{p, str_arg, FnCtx, Func, Kind, ParamType, Value};

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "base64sha256",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The SHA-256 digest of a string, base64-encoded.",
        call: base64sha256,
    },
    Func {
        name: "base64sha512",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The SHA-512 digest of a string, base64-encoded.",
        call: base64sha512,
    },
    Func {
        name: "bcrypt",
        params: &[p("str", ParamType::String)],
        variadic: Some(p("cost", ParamType::Number)),
        kind: Kind::Impure,
        doc: "A bcrypt hash of a string (cost optional, default 10), salted at random.",
        call: bcrypt_fn,
    },
    Func {
        name: "md5",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The MD5 digest of a string, in lower-case hex.",
        call: md5_fn,
    },
    Func {
        name: "rsadecrypt",
        params: &[
            p("ciphertext", ParamType::String),
            p("privatekey", ParamType::String),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "The cleartext of base64 RSA (PKCS #1 v1.5) ciphertext, given a PKCS #1 PEM private key.",
        call: rsadecrypt,
    },
    Func {
        name: "sha1",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The SHA-1 digest of a string, in lower-case hex.",
        call: sha1_fn,
    },
    Func {
        name: "sha256",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The SHA-256 digest of a string, in lower-case hex.",
        call: sha256_fn,
    },
    Func {
        name: "sha512",
        params: &[p("str", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The SHA-512 digest of a string, in lower-case hex.",
        call: sha512_fn,
    },
    Func {
        name: "uuidv4",
        params: &[],
        variadic: None,
        kind: Kind::Impure,
        doc: "A new random (version 4) UUID.",
        call: uuidv4,
    },
    Func {
        name: "uuidv5",
        params: &[p("namespace", ParamType::String), p("name", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The name-based (version 5, SHA-1) UUID of a name in a namespace (\"dns\", \"url\", \"oid\", \"x500\" or a UUID).",
        call: uuidv5,
    },
];

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn digest<D: md5::Digest>(s: &str) -> Vec<u8> {
    D::digest(s.as_bytes()).to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64sha256(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(b64(&digest::<sha2::Sha256>(str_arg(
        &args, 0,
    )))))
}

fn base64sha512(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(b64(&digest::<sha2::Sha512>(str_arg(
        &args, 0,
    )))))
}

fn md5_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(hex(&digest::<md5::Md5>(str_arg(&args, 0)))))
}

fn sha1_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(hex(&digest::<sha1::Sha1>(str_arg(&args, 0)))))
}

fn sha256_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(hex(&digest::<sha2::Sha256>(str_arg(
        &args, 0,
    )))))
}

fn sha512_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(hex(&digest::<sha2::Sha512>(str_arg(
        &args, 0,
    )))))
}

/// bcrypt as golang.org/x/crypto/bcrypt does it: `$2a$` hashes, a cost
/// below 4 means the default (10), above 31 is an error, and passwords
/// longer than 72 bytes are refused rather than truncated.
fn bcrypt_fn(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    if args.len() > 2 {
        return Err("takes no more than two arguments".into());
    }
    let mut cost: i64 = 10;
    if let Some(c) = args.get(1) {
        cost = c.as_i64().ok_or("cost must be a whole number")?;
    }
    if cost < 4 {
        cost = 10;
    }
    if cost > 31 {
        return Err(format!(
            "error occurred generating password: cost {cost} is outside allowed range (4,31)"
        ));
    }
    let password = str_arg(&args, 0);
    if password.len() > 72 {
        return Err("error occurred generating password: password length exceeds 72 bytes".into());
    }
    let parts = bcrypt::hash_with_result(password, cost as u32)
        .map_err(|e| format!("error occurred generating password: {e}"))?;
    Ok(Value::String(
        parts.format_for_version(bcrypt::Version::TwoA),
    ))
}

/// One PEM block: its type label, its headers and its decoded body.
struct Pem {
    headers: Vec<(String, String)>,
    der: Vec<u8>,
}

/// The first PEM block in `text`, as Go's `pem.Decode` finds it (any type
/// label, `Key: value` headers before the base64 body). `None` when there
/// is no well-formed block.
fn pem_decode(text: &str) -> Option<Pem> {
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after.find("-----")?;
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        if label.contains('\n') || !body_start.starts_with(['\n', '\r']) {
            rest = after;
            continue;
        }
        let Some(end) = body_start.find(&end_marker) else {
            rest = after;
            continue;
        };
        let body = body_start[..end]
            .strip_prefix("\r\n")
            .or_else(|| body_start[..end].strip_prefix('\n'))
            .unwrap_or(&body_start[..end]);
        let mut headers = Vec::new();
        let mut b64 = String::new();
        let mut in_headers = true;
        for line in body.lines() {
            let line = line.trim();
            if in_headers {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                    continue;
                }
                in_headers = false;
            }
            b64.push_str(line);
        }
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) else {
            rest = after;
            continue;
        };
        return Some(Pem { headers, der });
    }
}

fn rsadecrypt(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    let ciphertext = str_arg(&args, 0);
    let key = str_arg(&args, 1);
    let raw = super::encoding::go_base64_decode(ciphertext).map_err(|_| {
        format!("failed to decode input {ciphertext:?}: cipher text must be base64-encoded")
    })?;
    let pem = pem_decode(key).ok_or("failed to parse key: no key found")?;
    if pem
        .headers
        .iter()
        .any(|(k, v)| k == "Proc-Type" && v == "4,ENCRYPTED")
    {
        return Err("failed to parse key: password protected keys are not supported. Please decrypt the key prior to use".into());
    }
    let private = rsa::RsaPrivateKey::from_pkcs1_der(&pem.der).map_err(|_| {
        "failed to parse key: not a PKCS #1 RSA private key (\"BEGIN RSA PRIVATE KEY\")".to_string()
    })?;
    let clear = private
        .decrypt(rsa::Pkcs1v15Encrypt, &raw)
        .map_err(|_| "decryption error".to_string())?;
    String::from_utf8(clear)
        .map(Value::String)
        .map_err(|_| "the decrypted text is not valid UTF-8".into())
}

fn uuidv4(_: &FnCtx, _: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}

fn uuidv5(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let ns = str_arg(&args, 0);
    let namespace = match ns {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            format!(
                "doesn't support namespace {other:?}: use \"dns\", \"url\", \"oid\", \"x500\" or a UUID"
            )
        })?,
    };
    let name = str_arg(&args, 1);
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace, name.as_bytes()).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, n, s};
    use super::super::{lookup, Kind};
    use super::Value;

    fn ok(name: &str, args: Vec<Value>) -> String {
        match call_fn(name, args) {
            Ok(Value::String(s)) => s,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn hex_digests_match_known_vectors() {
        assert_eq!(
            ok("md5", vec![s("hello world")]),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        assert_eq!(
            ok("sha1", vec![s("hello world")]),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(
            ok("sha256", vec![s("hello world")]),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            ok("sha512", vec![s("hello world")]),
            "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f\
             989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"
        );
        assert_eq!(ok("md5", vec![s("")]), "d41d8cd98f00b204e9800998ecf8427e");
        // Strings hash as their UTF-8 bytes.
        assert_eq!(
            ok("md5", vec![s("\u{e9}")]),
            "66ddcd97cfdeabb2f6fb8a999b4bc76f"
        );
        assert_eq!(
            ok("sha1", vec![s("\u{e9}")]),
            "bf15be717ac1b080b4f1c456692825891ff5073d"
        );
        // Numbers and bools are converted to strings first, as HCL does.
        assert_eq!(ok("sha256", vec![n(1.0)]), ok("sha256", vec![s("1")]));
        assert_eq!(
            ok("md5", vec![Value::Bool(true)]),
            ok("md5", vec![s("true")])
        );
    }

    #[test]
    fn base64_digests_match_known_vectors() {
        assert_eq!(
            ok("base64sha256", vec![s("hello world")]),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(
            ok("base64sha512", vec![s("hello world")]),
            "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="
        );
        assert_eq!(
            ok("base64sha256", vec![s("")]),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn hashes_refuse_non_strings_and_null() {
        let e = call_fn("sha256", vec![Value::List(vec![])]).unwrap_err();
        assert!(e.contains("string required"), "{e}");
        let e = call_fn("md5", vec![Value::Null]).unwrap_err();
        assert!(e.contains("must not be null"), "{e}");
        let e = call_fn("sha1", vec![]).unwrap_err();
        assert!(e.contains("takes 1 argument"), "{e}");
        let e = call_fn("base64sha512", vec![s("a"), s("b")]).unwrap_err();
        assert!(e.contains("takes 1 argument"), "{e}");
    }

    #[test]
    fn bcrypt_hashes_verify_and_use_the_2a_prefix() {
        assert_eq!(lookup("bcrypt").unwrap().kind, Kind::Impure);
        let h = ok("bcrypt", vec![s("hello world")]);
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert_eq!(h.len(), 60);
        assert!(bcrypt::verify("hello world", &h).unwrap());
        assert!(!bcrypt::verify("hello", &h).unwrap());
        // Salted at random: two calls differ.
        assert_ne!(h, ok("bcrypt", vec![s("hello world"), n(4.0)]));

        let h = ok("bcrypt", vec![s("pw"), n(5.0)]);
        assert!(h.starts_with("$2a$05$"), "{h}");
        assert!(bcrypt::verify("pw", &h).unwrap());
        // A cost below the minimum means the default, as in Go.
        let h = ok("bcrypt", vec![s("pw"), n(2.0)]);
        assert!(h.starts_with("$2a$10$"), "{h}");
        // The cost may be given as a numeric string.
        let h = ok("bcrypt", vec![s("pw"), s("4")]);
        assert!(h.starts_with("$2a$04$"), "{h}");
    }

    #[test]
    fn bcrypt_errors() {
        let e = call_fn("bcrypt", vec![s("pw"), n(32.0)]).unwrap_err();
        assert!(e.contains("cost 32 is outside allowed range (4,31)"), "{e}");
        let e = call_fn("bcrypt", vec![s("pw"), n(4.5)]).unwrap_err();
        assert!(e.contains("whole number"), "{e}");
        let e = call_fn("bcrypt", vec![s("pw"), s("high")]).unwrap_err();
        assert!(e.contains("number is required"), "{e}");
        let e = call_fn("bcrypt", vec![s("pw"), n(4.0), n(4.0)]).unwrap_err();
        assert!(
            e.starts_with("bcrypt(): takes no more than two arguments"),
            "{e}"
        );
        let e = call_fn("bcrypt", vec![s(&"x".repeat(73))]).unwrap_err();
        assert!(e.contains("exceeds 72 bytes"), "{e}");
        // 72 bytes is still fine.
        let h = ok("bcrypt", vec![s(&"x".repeat(72)), n(4.0)]);
        assert!(bcrypt::verify("x".repeat(72), &h).unwrap());
        let e = call_fn("bcrypt", vec![]).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
    }

    #[test]
    fn uuidv4_is_random_and_well_formed() {
        assert_eq!(lookup("uuidv4").unwrap().kind, Kind::Impure);
        let a = ok("uuidv4", vec![]);
        let b = ok("uuidv4", vec![]);
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a, a.to_lowercase());
        let e = call_fn("uuidv4", vec![s("x")]).unwrap_err();
        assert!(e.contains("takes 0 arguments"), "{e}");
    }

    #[test]
    fn uuidv5_uses_the_standard_namespaces() {
        assert_eq!(lookup("uuidv5").unwrap().kind, Kind::Pure);
        assert_eq!(
            ok("uuidv5", vec![s("dns"), s("www.terraform.io")]),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        assert_eq!(
            ok("uuidv5", vec![s("url"), s("https://www.terraform.io/")]),
            "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"
        );
        assert_eq!(
            ok("uuidv5", vec![s("oid"), s("1.3.6.1.4")]),
            "af9d40a5-7a36-5c07-b23a-851cd99fbfa5"
        );
        assert_eq!(
            ok(
                "uuidv5",
                vec![
                    s("x500"),
                    s("CN=Example Company Name,OU=Organizational Unit,O=Organization Name,L=City,ST=State,C=US")
                ]
            ),
            "1b375d3a-fee9-5132-bf35-f60610530bad"
        );
        // A namespace given as a UUID is that namespace (here: the DNS one).
        assert_eq!(
            ok(
                "uuidv5",
                vec![
                    s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                    s("www.terraform.io")
                ]
            ),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        let e = call_fn("uuidv5", vec![s("tld"), s("x")]).unwrap_err();
        assert!(
            e.starts_with("uuidv5(): doesn't support namespace \"tld\""),
            "{e}"
        );
        let e = call_fn("uuidv5", vec![s("DNS"), s("x")]).unwrap_err();
        assert!(e.contains("doesn't support namespace"), "{e}");
    }

    /// A throwaway 1024-bit key made for this test with `openssl genrsa
    /// -traditional`; CIPHERTEXT is "message" encrypted to it (PKCS #1 v1.5).
    const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIICXAIBAAKBgQDHP4QvRT5DzgcrdE7vFqGH6JbsHymUCXNZbtx2Z8LNl3jHaM87\n\
81VeVjAM+R9UVAGm7sAA3XeDJyInNLmfIramLZsrYMKtbBdhqrPl75AGld4EU0wL\n\
tyc8HTkRakhX6Gmjf1Z2HZND9upsBZ+2KQtX8Tq4GLIigXA83Mt52SeRywIDAQAB\n\
AoGAO8GB3EdxCBbXMaIdNjlcUo1gDgq+hoZbENxdxCkUVGJ0N6HoXPt6g+NnX8yr\n\
J7hWEoGSFfBVsoDfDlESxnY7vo1+yFCO1SrVil4WgWnYot9ZEKHk8jcqV9o81v3z\n\
2yfGpYpVEmJFl8ELTOiof7GhJNX/yP/ldShGG2kq46PT5nkCQQDkWGhS1EtEGrio\n\
LPMYENtZ7OwQV+9S4x49vVekTpvzqrc22jMRpdWNC5j15YxkxfDeu93mveFEEcQH\n\
UIQpafNXAkEA32D7TbYK0SsT19V7GfKwOrSLFm18hnzWw4Kjh6eIuMUNsRQey2Ci\n\
XFZJktC0S6N/9eX0pwOSN7Z/MwuxQi7grQJAIjjVucQzW4udrSa/cBXmqf2GC5UC\n\
OyvqtloQLoHRgZ1ORBxDlxuBe9gHHqM+fUPlK5yATzqZ7jezZ1070XEdlQJBANjY\n\
SJyTz8Rl0QmBD9OMqE8U3MCU4IGdxs5cj2ss06iqgjQYmBxOXs7MZPfE6oFS4vFO\n\
nkVTTioPW0OuYhEheLECQG6OgCFLKnDZccBojpzBN2coWLm4bPlflcsgGFAaLUy8\n\
qk2pCQkv7/CfzeJrOfQOi3pj9jssAokF8QE/X3ZZOl0=\n\
-----END RSA PRIVATE KEY-----";
    const WRONG_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIICXQIBAAKBgQDKUz6WgZGyeew1e0AYH34jry+rm+T05VgYOML6W0hIaYsvNP0I\n\
d+27FRuRx5YAnEfHZKLyy7qO3F3xK9JkAEkrdgF+xtAdQKdi7tr0YPcqPguDSHF1\n\
tROTlPVP8yY7bqRUr2fy8PJ7h9mJFx+sphTqKIoe6bqyRHHyevaF47OkMQIDAQAB\n\
AoGAQtQSNUZg6JHLCrNGLXGhiYng9g8NJjLm0UFWbble+8QY3CPlfDmYxZWoQJOr\n\
IVJ9hwffptDSM0Pop7Nwz+UkRWc0HeCyOZfnJMdcz++CHN2tUxwV1+mk/abN8x+J\n\
9LPdQbpf8poBRnXuDssbndfT1iieq33KaJ4q48YtLOCRx80CQQDu4/6IDUvFK9uy\n\
zvwg6n8TvrfdTMxUQK6jvVkcN9amwplcDvME17n5oQmVED374bU2i0a2hcL2vFx0\n\
NGi4QbuDAkEA2NDUzdsYCRRriysXsSpuN0VezXdTg8t2yM049ygOEuUznQc47LuV\n\
9kjPP+ZuhIaa0mjyeOMwFIkt/cJZjpBPOwJAPQqQ/V64X7dnOfddwWNp+Tegb7Gx\n\
/E1S0pANdwJlnNLYsQc43aHp6XlWo3o0/GmeDkPkW7suKDHVRfQmVf6l1QJBALen\n\
ROrOcDCYvHPY36uxTkTBHQmbzwEvYoG63Er3AdzdivezO3PDfcZtbCgrb2gQgKpE\n\
PUdK4dozTOLLMoMBGCsCQQCV35qgXz3PtVsluh3G/lrPGFaOgPSAtsRlACkl2Son\n\
H/oH3C7JfLFlcQMtvSkETrlK+5wrnTx26EObVhWdibAZ\n\
-----END RSA PRIVATE KEY-----";
    /// KEY in PKCS #8 form, which Packer does not accept either.
    const KEY_PKCS8: &str = "-----BEGIN PRIVATE KEY-----\n\
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMc/hC9FPkPOByt0\n\
Tu8WoYfoluwfKZQJc1lu3HZnws2XeMdozzvzVV5WMAz5H1RUAabuwADdd4MnIic0\n\
uZ8itqYtmytgwq1sF2Gqs+XvkAaV3gRTTAu3JzwdORFqSFfoaaN/VnYdk0P26mwF\n\
n7YpC1fxOrgYsiKBcDzcy3nZJ5HLAgMBAAECgYA7wYHcR3EIFtcxoh02OVxSjWAO\n\
Cr6GhlsQ3F3EKRRUYnQ3oehc+3qD42dfzKsnuFYSgZIV8FWygN8OURLGdju+jX7I\n\
UI7VKtWKXhaBadii31kQoeTyNypX2jzW/fPbJ8alilUSYkWXwQtM6Kh/saEk1f/I\n\
/+V1KEYbaSrjo9PmeQJBAORYaFLUS0QauKgs8xgQ21ns7BBX71LjHj29V6ROm/Oq\n\
tzbaMxGl1Y0LmPXljGTF8N673ea94UQRxAdQhClp81cCQQDfYPtNtgrRKxPX1XsZ\n\
8rA6tIsWbXyGfNbDgqOHp4i4xQ2xFB7LYKJcVkmS0LRLo3/15fSnA5I3tn8zC7FC\n\
LuCtAkAiONW5xDNbi52tJr9wFeap/YYLlQI7K+q2WhAugdGBnU5EHEOXG4F72Ace\n\
oz59Q+UrnIBPOpnuN7NnXTvRcR2VAkEA2NhInJPPxGXRCYEP04yoTxTcwJTggZ3G\n\
zlyPayzTqKqCNBiYHE5ezsxk98TqgVLi8U6eRVNOKg9bQ65iESF4sQJAbo6AIUsq\n\
cNlxwGiOnME3ZyhYubhs+V+VyyAYUBotTLyqTakJCS/v8J/N4ms59A6LemP2OywC\n\
iQXxAT9fdlk6XQ==\n\
-----END PRIVATE KEY-----";
    const CIPHERTEXT: &str = "N3btOrWz1QTg5r2V/jQ7xScQUroVes6Hn9EL8O3cirE/rcXON1aCQ4qB72DFn8/v7Qc5zhBYroOgZOmecv9lIscQv/L5xuyFBvBRygHpfmZmy0bMz9PsUl+0J2u4C2WqXwJDDIJL2mQ0UPtYDJ/4d/E3rzonf0WvW2ythFN36GE=";

    #[test]
    fn rsadecrypt_decrypts_pkcs1_v15() {
        assert_eq!(ok("rsadecrypt", vec![s(CIPHERTEXT), s(KEY)]), "message");
        // Text around the PEM block is ignored, as by Go's pem.Decode.
        let wrapped = format!("my key:\n{KEY}\ntrailing words\n");
        assert_eq!(
            ok("rsadecrypt", vec![s(CIPHERTEXT), s(&wrapped)]),
            "message"
        );
        // Line breaks in the base64 ciphertext are ignored.
        let folded = format!("{}\n{}", &CIPHERTEXT[..40], &CIPHERTEXT[40..]);
        assert_eq!(ok("rsadecrypt", vec![s(&folded), s(KEY)]), "message");
    }

    #[test]
    fn rsadecrypt_errors() {
        let e = call_fn("rsadecrypt", vec![s(CIPHERTEXT), s(WRONG_KEY)]).unwrap_err();
        assert_eq!(e, "rsadecrypt(): decryption error");
        let e = call_fn("rsadecrypt", vec![s(CIPHERTEXT), s("bad key")]).unwrap_err();
        assert_eq!(e, "rsadecrypt(): failed to parse key: no key found");
        let e = call_fn("rsadecrypt", vec![s(CIPHERTEXT), s("")]).unwrap_err();
        assert!(e.contains("no key found"), "{e}");
        let e = call_fn("rsadecrypt", vec![s("bad cipher"), s(KEY)]).unwrap_err();
        assert!(e.contains("cipher text must be base64-encoded"), "{e}");
        let e = call_fn("rsadecrypt", vec![s(""), s(KEY)]).unwrap_err();
        assert!(e.contains("decryption error"), "{e}");
        let e = call_fn("rsadecrypt", vec![s(CIPHERTEXT), s(KEY_PKCS8)]).unwrap_err();
        assert!(e.contains("not a PKCS #1 RSA private key"), "{e}");
        let encrypted = KEY.replace(
            "-----\n",
            "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n",
        );
        let e = call_fn("rsadecrypt", vec![s(CIPHERTEXT), s(&encrypted)]).unwrap_err();
        assert!(
            e.contains("password protected keys are not supported"),
            "{e}"
        );
    }
}
