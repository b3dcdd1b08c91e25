//! Data sources and `aws_secretsmanager()` against AWS: the [`Remote`] that
//! `amibake build` gives the recipe loader, so they are evaluated once,
//! before anything is launched.
//!
//! The loader is synchronous (it is also what `validate` runs, with no
//! runtime at all); these calls block their worker thread on the build's
//! runtime (`block_in_place`), which is multi-threaded.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::aws::{error_code, sdk_error, Aws};
use crate::recipe::lang::Value;
use crate::recipe::{AmiFilter, DataFetch, Fetch, Remote};

/// AWS for the recipe loader, in the build's default region.
#[derive(Clone, Debug)]
pub struct AwsRemote {
    aws: Aws,
    region: String,
}

impl AwsRemote {
    pub fn remote(aws: Aws, region: String) -> Remote {
        let r = Arc::new(AwsRemote { aws, region });
        Remote {
            data: r.clone(),
            secrets: r,
        }
    }

    fn block<T>(&self, fut: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fut))
    }

    fn region_of(&self, args: &BTreeMap<String, Value>) -> String {
        text(args, "region").unwrap_or_else(|| self.region.clone())
    }

    fn secret_value(
        &self,
        region: &str,
        name: &str,
        version_id: Option<String>,
        stage: Option<String>,
    ) -> Result<(String, Option<String>, String), String> {
        let sm = self.aws.secretsmanager(region);
        let out = self
            .block(
                sm.get_secret_value()
                    .secret_id(name)
                    .set_version_id(version_id)
                    .set_version_stage(stage)
                    .send(),
            )
            .map_err(|e| match error_code(&e) {
                Some("ResourceNotFoundException") => {
                    format!("secret `{name}` does not exist in {region}")
                }
                _ => sdk_error("secretsmanager:GetSecretValue", &e).to_string(),
            })?;
        let string = out.secret_string().unwrap_or_default().to_owned();
        let binary = out
            .secret_binary()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
        Ok((
            string,
            binary,
            out.version_id().unwrap_or_default().to_owned(),
        ))
    }
}

fn text(args: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    args.get(name)
        .and_then(Value::to_text)
        .filter(|s| !s.is_empty())
}

fn flag(args: &BTreeMap<String, Value>, name: &str) -> bool {
    matches!(args.get(name), Some(Value::Bool(true)))
        || args.get(name).and_then(Value::as_str) == Some("true")
}

/// One key of a secret's JSON object, as Packer's amazon-secretsmanager
/// data source and function read it.
fn secret_key(secret: &str, key: &str) -> Result<String, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(secret)
        .map_err(|_| format!("the secret is not a JSON object, so it has no key `{key}`"))?;
    match map.get(key) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(format!("the secret has no key `{key}`")),
    }
}

impl DataFetch for AwsRemote {
    fn fetch(&self, kind: &str, args: &BTreeMap<String, Value>) -> Result<Value, String> {
        let region = self.region_of(args);
        match kind {
            "amazon-ami" => {
                let mut filters = BTreeMap::new();
                if let Some(Value::Map(m)) = args.get("filters") {
                    for (k, v) in m {
                        let vals = match v {
                            Value::List(xs) => xs.iter().filter_map(Value::to_text).collect(),
                            // Packer splits a string at commas (as for source_ami_filter).
                            other => other
                                .to_text()
                                .map(|t| crate::recipe::filters::split_values(&t))
                                .unwrap_or_default(),
                        };
                        filters.insert(k.clone(), vals);
                    }
                }
                let f = AmiFilter {
                    filters,
                    owners: match args.get("owners") {
                        Some(Value::List(xs)) => xs.iter().filter_map(Value::to_text).collect(),
                        _ => Vec::new(),
                    },
                    most_recent: flag(args, "most_recent"),
                    include_deprecated: flag(args, "include_deprecated"),
                };
                let ec2 = self.aws.ec2(&region);
                let image = self
                    .block(super::steps::source_ami::by_filter(&ec2, &f, &region, "data \"amazon-ami\""))
                    .map_err(|e| e.to_string())?;
                let facts = super::steps::source_ami::facts(&image);
                Ok(Value::Map(BTreeMap::from([
                    ("id".into(), Value::String(facts.id)),
                    ("name".into(), Value::String(facts.name)),
                    ("creation_date".into(), Value::String(facts.creation_date)),
                    ("owner".into(), Value::String(facts.owner)),
                    ("owner_name".into(), Value::String(facts.owner_name)),
                    (
                        "tags".into(),
                        Value::Map(facts.tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
                    ),
                ])))
            }
            "amazon-parameterstore" => {
                let name = text(args, "name").unwrap_or_default();
                let ssm = self.aws.ssm(&region);
                let out = self
                    .block(ssm.get_parameter().name(&name).with_decryption(flag(args, "with_decryption")).send())
                    .map_err(|e| match error_code(&e) {
                        Some("ParameterNotFound") => format!("SSM parameter `{name}` does not exist in {region}"),
                        _ => sdk_error("ssm:GetParameter", &e).to_string(),
                    })?;
                let p = out.parameter().ok_or_else(|| format!("SSM parameter `{name}` has no value"))?;
                Ok(Value::Map(BTreeMap::from([
                    ("value".into(), Value::String(p.value().unwrap_or_default().to_owned())),
                    ("version".into(), Value::Number(p.version() as f64)),
                    ("arn".into(), Value::String(p.arn().unwrap_or_default().to_owned())),
                ])))
            }
            "amazon-secretsmanager" => {
                let name = text(args, "name").unwrap_or_default();
                let (string, binary, version_id) =
                    self.secret_value(&region, &name, text(args, "version_id"), text(args, "version_stage"))?;
                let value = match text(args, "key") {
                    Some(key) => secret_key(&string, &key)?,
                    None => string.clone(),
                };
                Ok(Value::Map(BTreeMap::from([
                    ("value".into(), Value::String(value)),
                    ("secret_string".into(), Value::String(string)),
                    ("secret_binary".into(), Value::String(binary.unwrap_or_default())),
                    ("version_id".into(), Value::String(version_id)),
                ])))
            }
            "http" => http(args),
            "null" => Ok(Value::Map(BTreeMap::from([(
                "output".into(),
                args.get("input").cloned().unwrap_or(Value::Null),
            )]))),
            other => Err(format!(
                "data \"{other}\" cannot be evaluated by amibake's build yet; use a variable (--var) for this value"
            )),
        }
    }
}

/// Packer's `http` data source: one request; a response outside 2xx, or
/// whose content type is not `text/*` or `application/json`, is an error.
/// Its attributes are `url`, `body` and (Packer's name for the response's
/// headers) `request_headers`.
fn http(args: &BTreeMap<String, Value>) -> Result<Value, String> {
    let url = text(args, "url").unwrap_or_default();
    let method = text(args, "method")
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    if !["HEAD", "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"].contains(&method.as_str()) {
        return Err(format!(
            "method `{method}` is not one of HEAD, GET, POST, PUT, DELETE, OPTIONS, PATCH"
        ));
    }
    let mut req = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(&url);
    if let Some(Value::Map(h)) = args.get("request_headers") {
        for (k, v) in h {
            req = req.header(k.as_str(), v.to_text().unwrap_or_default());
        }
    }
    let req = req
        .body(text(args, "request_body").unwrap_or_default())
        .map_err(|e| format!("`{url}` is not a valid request: {e}"))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let mut resp = agent.run(req).map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!(
            "{method} {url} answered {status}; the http data source needs a 2xx response"
        ));
    }
    let mut headers: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in resp.headers() {
        let v = v.to_str().unwrap_or_default().to_owned();
        headers
            .entry(canonical_header(k.as_str()))
            .and_modify(|x| {
                if let Value::String(s) = x {
                    s.push_str(", ");
                    s.push_str(&v);
                }
            })
            .or_insert(Value::String(v));
    }
    let content_type = headers
        .get("Content-Type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !(content_type.starts_with("text/") || content_type.starts_with("application/json")) {
        return Err(format!(
            "{method} {url} answered with content type `{content_type}`; the http data source reads text/* and application/json only"
        ));
    }
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("{method} {url}: reading the body: {e}"))?;
    Ok(Value::Map(BTreeMap::from([
        ("url".into(), Value::String(url)),
        ("body".into(), Value::String(body)),
        ("request_headers".into(), Value::Map(headers)),
    ])))
}

/// `content-type` → `Content-Type`, as Go's net/http names headers.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl Fetch for AwsRemote {
    fn secret(&self, name: &str, key: Option<&str>) -> Result<String, String> {
        let (string, _, _) = self.secret_value(&self.region, name, None, None)?;
        match key {
            Some(k) => secret_key(&string, k),
            None => Ok(string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot HTTP server on 127.0.0.1 answering `status`, `content_type`
    /// and `body`; returns its URL and the request it received.
    fn serve(
        status: &str,
        content_type: &str,
        body: &str,
    ) -> (String, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/check", listener.local_addr().unwrap());
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nX-Extra: a\r\nx-extra: b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let handle = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap();
            conn.write_all(reply.as_bytes()).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (url, handle)
    }

    fn args(url: &str) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("url".to_owned(), Value::str(url)),
            (
                "request_headers".to_owned(),
                Value::Map(BTreeMap::from([(
                    "Accept".to_owned(),
                    Value::str("application/json"),
                )])),
            ),
        ])
    }

    #[test]
    fn http_returns_the_body_and_the_response_headers() {
        let (url, server) = serve("200 OK", "application/json", r#"{"v":"1.2.3"}"#);
        let v = http(&args(&url)).unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /v1/check"), "{request}");
        assert!(
            request
                .to_ascii_lowercase()
                .contains("accept: application/json"),
            "{request}"
        );
        let m = v.as_map().unwrap();
        assert_eq!(m["body"], Value::str(r#"{"v":"1.2.3"}"#));
        assert_eq!(m["url"], Value::str(url));
        let h = m["request_headers"].as_map().unwrap();
        assert_eq!(h["Content-Type"], Value::str("application/json"));
        assert_eq!(
            h["X-Extra"],
            Value::str("a, b"),
            "duplicates joined as in Packer"
        );
    }

    #[test]
    fn http_refuses_errors_and_binary_content() {
        let (url, server) = serve("404 Not Found", "text/plain", "nope");
        let e = http(&args(&url)).unwrap_err();
        server.join().unwrap();
        assert!(e.contains("404") && e.contains("2xx"), "{e}");
        let (url, server) = serve("200 OK", "application/octet-stream", "\u{0}");
        let e = http(&args(&url)).unwrap_err();
        server.join().unwrap();
        assert!(e.contains("application/octet-stream"), "{e}");
    }
}
