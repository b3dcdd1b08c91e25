//! CIDR arithmetic (go-cty-funcs `cidr`, built on apparentlymart/go-cidr):
//! `cidrhost`, `cidrnetmask`, `cidrsubnet`, `cidrsubnets`, for IPv4 and
//! IPv6.
//!
//! Prefixes are parsed as Go's `net.ParseCIDR` does: the host bits of the
//! address are dropped (`10.1.2.3/8` is `10.0.0.0/8`). Addresses print as
//! Go prints them: IPv6 in its shortest form, and an IPv4-mapped IPv6
//! address (`::ffff:a.b.c.d`) as plain IPv4.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{p, FnCtx, Func, Kind, ParamType, Value};

pub(super) static FUNCS: &[Func] = &[
    Func {
        name: "cidrhost",
        params: &[p("prefix", ParamType::String), p("hostnum", ParamType::Number)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The address of host number `hostnum` in a CIDR prefix (negative numbers count from the end).",
        call: cidrhost,
    },
    Func {
        name: "cidrnetmask",
        params: &[p("prefix", ParamType::String)],
        variadic: None,
        kind: Kind::Pure,
        doc: "The subnet mask of a CIDR prefix, as an address (`255.255.0.0`).",
        call: cidrnetmask,
    },
    Func {
        name: "cidrsubnet",
        params: &[
            p("prefix", ParamType::String),
            p("newbits", ParamType::Number),
            p("netnum", ParamType::Number),
        ],
        variadic: None,
        kind: Kind::Pure,
        doc: "Subnet number `netnum` of a CIDR prefix extended by `newbits` bits.",
        call: cidrsubnet,
    },
    Func {
        name: "cidrsubnets",
        params: &[p("prefix", ParamType::String)],
        variadic: Some(p("newbits", ParamType::Number)),
        kind: Kind::Pure,
        doc: "Consecutive subnets of a CIDR prefix, one per `newbits` argument, packed in order.",
        call: cidrsubnets,
    },
];

/// A parsed prefix: the network address (host bits cleared) as a number,
/// the prefix length and the address width (32 or 128).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cidr {
    addr: u128,
    len: u32,
    bits: u32,
    /// 96 for an IPv4-mapped IPv6 prefix worked on as IPv4: Go still
    /// counts its prefix lengths in IPv6 bits in messages.
    shown_offset: u32,
}

impl Cidr {
    /// Go's `net.ParseCIDR`, with its error text.
    fn parse(s: &str) -> Result<Cidr, String> {
        let err = || format!("invalid CIDR expression: invalid CIDR address: {s}");
        // Go refuses IPv4 octets with leading zeros (they once meant octal).
        let addr = s.split('/').next().unwrap_or_default();
        let v4_part = addr.rsplit(':').next().unwrap_or_default();
        if v4_part.contains('.')
            && v4_part
                .split('.')
                .any(|octet| octet.len() > 1 && octet.starts_with('0'))
        {
            return Err(err());
        }
        let net: ipnet::IpNet = s.parse().map_err(|_| err())?;
        Ok(match net.trunc() {
            ipnet::IpNet::V4(n) => Cidr {
                addr: u32::from(n.addr()) as u128,
                len: u32::from(n.prefix_len()),
                bits: 32,
                shown_offset: 0,
            },
            ipnet::IpNet::V6(n) => Cidr {
                addr: u128::from(n.addr()),
                len: u32::from(n.prefix_len()),
                bits: 128,
                shown_offset: 0,
            },
        })
    }

    /// An IPv4-mapped IPv6 prefix (`::ffff:10.0.0.0/104`) as the IPv4
    /// prefix it stands for, as go-cidr ends up treating it.
    fn normalized(self) -> Cidr {
        if self.bits == 128 && self.len >= 96 && is_v4_mapped(self.addr) {
            Cidr {
                addr: self.addr & 0xffff_ffff,
                len: self.len - 96,
                bits: 32,
                shown_offset: 96,
            }
        } else {
            self
        }
    }

    /// The number of host bits.
    fn host_bits(&self) -> u32 {
        self.bits - self.len
    }

    /// The last address of the prefix.
    fn last(&self) -> u128 {
        self.addr | low_ones(self.host_bits())
    }

    /// A prefix length as Go reports it.
    fn shown(&self, len: u32) -> u32 {
        len + self.shown_offset
    }

    fn protocol(&self) -> &'static str {
        if self.bits == 32 && self.shown_offset == 0 {
            "IPv4"
        } else {
            "IPv6"
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", format_addr(self.addr, self.bits), self.len)
    }
}

/// A number with the low `n` bits set (`n` up to 128).
fn low_ones(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

fn is_v4_mapped(addr: u128) -> bool {
    addr >> 32 == 0xffff
}

/// An address as Go's `net.IP.String` prints it.
fn format_addr(addr: u128, bits: u32) -> String {
    if bits == 32 || is_v4_mapped(addr) {
        Ipv4Addr::from(addr as u32).to_string()
    } else {
        Ipv6Addr::from(addr).to_string()
    }
}

/// A whole-number argument, as gocty converts it to a Go `int`.
fn whole(v: &Value, name: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("{name} must be a whole number"))
}

fn cidrhost(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let hostnum = whole(&args[1], "hostnum")?;
    let net = Cidr::parse(args[0].as_str().unwrap_or_default())?.normalized();
    let max = low_ones(net.host_bits());
    // go-cidr: -1 is the last address, -2 the one before, and so on.
    let (magnitude, num) = if hostnum < 0 {
        let m = hostnum.unsigned_abs() as u128 - 1;
        (m, max.checked_sub(m))
    } else {
        (hostnum as u128, Some(hostnum as u128))
    };
    match num {
        Some(num) if magnitude <= max => Ok(Value::String(format_addr(net.addr | num, net.bits))),
        _ => {
            // go-cidr reports the number after its negative adjustment.
            let shown = if hostnum < 0 {
                max as i128 - magnitude as i128
            } else {
                hostnum as i128
            };
            Err(format!(
                "prefix of {} does not accommodate a host numbered {shown}",
                net.shown(net.len)
            ))
        }
    }
}

fn cidrnetmask(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let net = Cidr::parse(args[0].as_str().unwrap_or_default())?;
    let mask = !low_ones(net.host_bits()) & low_ones(net.bits);
    // The mask of an IPv6 prefix prints as IPv6, even a mapped one.
    Ok(Value::String(if net.bits == 32 {
        Ipv4Addr::from(mask as u32).to_string()
    } else {
        format_addr(mask, 128)
    }))
}

fn cidrsubnet(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let newbits = whole(&args[1], "newbits")?;
    let netnum = whole(&args[2], "netnum")?;
    let net = Cidr::parse(args[0].as_str().unwrap_or_default())?.normalized();
    if newbits > 32 {
        return Err("may not extend prefix by more than 32 bits".into());
    }
    if newbits < 0 {
        return Err("newbits must not be negative".into());
    }
    let new_len = net.len + newbits as u32;
    if new_len > net.bits {
        return Err(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.shown(net.len)
        ));
    }
    let max = (1u64 << newbits) - 1;
    if netnum < 0 || netnum as u64 > max {
        return Err(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        ));
    }
    let sub = Cidr {
        addr: net.addr | ((netnum as u128) << (net.bits - new_len)),
        len: new_len,
        ..net
    };
    Ok(Value::String(sub.to_string()))
}

fn cidrsubnets(_: &FnCtx, args: Vec<Value>) -> Result<Value, String> {
    let net = Cidr::parse(args[0].as_str().unwrap_or_default())?.normalized();
    let newbits = &args[1..];
    let Some(first) = newbits.first() else {
        return Ok(Value::List(vec![]));
    };
    let first_len =
        (whole(first, "newbits")? + i64::from(net.len)).clamp(0, i64::from(net.bits)) as u32;
    // The subnet "before" the first one, as go-cidr's PreviousSubnet
    // computes it; it only shows in error messages.
    let before = net.addr.wrapping_sub(1) & low_ones(net.bits);
    let mut current = Cidr {
        addr: before & !low_ones(net.bits - first_len),
        len: first_len,
        ..net
    };
    // The first address not yet allocated (None past the address space).
    let mut cursor = Some(net.addr);
    let mut out = Vec::with_capacity(newbits.len());
    for n in newbits {
        let n = whole(n, "newbits")?;
        if n < 1 {
            return Err("must extend prefix by at least one bit".into());
        }
        if n > 32 {
            return Err("may not extend prefix by more than 32 bits".into());
        }
        let len = net.len + n as u32;
        if len > net.bits {
            return Err(format!(
                "would extend prefix to {} bits, which is too long for an {} address",
                net.shown(len),
                net.protocol()
            ));
        }
        let size_mask = low_ones(net.bits - len);
        let next = cursor
            .and_then(|c| c.checked_add(size_mask))
            .map(|c| c & !size_mask)
            .filter(|start| {
                start
                    .checked_add(size_mask)
                    .is_some_and(|end| end <= net.last())
            });
        let Some(start) = next else {
            return Err(format!(
                "not enough remaining address space for a subnet with a prefix of {} bits after {current}",
                net.shown(len)
            ));
        };
        current = Cidr {
            addr: start,
            len,
            ..net
        };
        cursor = start.checked_add(size_mask).and_then(|e| e.checked_add(1));
        out.push(Value::String(current.to_string()));
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, err, list, n, ok, s};
    use super::Value;

    fn host(prefix: &str, num: f64) -> Value {
        ok("cidrhost", vec![s(prefix), n(num)])
    }

    #[test]
    fn cidrhost_counts_from_the_start_and_from_the_end() {
        assert_eq!(host("10.12.112.0/20", 16.0), s("10.12.112.16"));
        assert_eq!(host("10.12.112.0/20", 268.0), s("10.12.113.12"));
        assert_eq!(host("192.168.1.0/24", 5.0), s("192.168.1.5"));
        assert_eq!(host("192.168.1.0/24", -5.0), s("192.168.1.251"));
        assert_eq!(host("192.168.1.0/24", -1.0), s("192.168.1.255"));
        assert_eq!(host("192.168.1.0/24", -256.0), s("192.168.1.0"));
        assert_eq!(host("192.168.1.0/24", 0.0), s("192.168.1.0"));
        // Host bits in the prefix are ignored, as by net.ParseCIDR.
        assert_eq!(host("192.168.1.77/24", 5.0), s("192.168.1.5"));
        assert_eq!(host("10.0.0.1/32", 0.0), s("10.0.0.1"));
        assert_eq!(host("0.0.0.0/0", -1.0), s("255.255.255.255"));
        assert_eq!(
            host("fd00:fd12:3456:7890:00a2::/72", 34.0),
            s("fd00:fd12:3456:7890::22")
        );
        assert_eq!(host("fe80::/64", -1.0), s("fe80::ffff:ffff:ffff:ffff"));
        assert_eq!(host("::/0", 1.0), s("::1"));
        // The number may be a numeric string.
        assert_eq!(ok("cidrhost", vec![s("10.0.0.0/8"), s("3")]), s("10.0.0.3"));
        // IPv4-mapped IPv6 prefixes work as the IPv4 prefix they map.
        assert_eq!(host("::ffff:192.168.0.0/112", 5.0), s("192.168.0.5"));
    }

    #[test]
    fn cidrhost_errors() {
        assert_eq!(
            err("cidrhost", vec![s("192.168.1.0/30"), n(255.0)]),
            "cidrhost(): prefix of 30 does not accommodate a host numbered 255"
        );
        assert_eq!(
            err("cidrhost", vec![s("192.168.1.0/30"), n(-255.0)]),
            "cidrhost(): prefix of 30 does not accommodate a host numbered -251"
        );
        assert_eq!(
            err("cidrhost", vec![s("192.168.1.0/24"), n(256.0)]),
            "cidrhost(): prefix of 24 does not accommodate a host numbered 256"
        );
        assert!(call_fn("cidrhost", vec![s("192.168.1.0/24"), n(-257.0)]).is_err());
        assert_eq!(
            err("cidrhost", vec![s("not-a-cidr"), n(6.0)]),
            "cidrhost(): invalid CIDR expression: invalid CIDR address: not-a-cidr"
        );
        assert!(err("cidrhost", vec![s("10.256.0.0/8"), n(6.0)]).contains("invalid CIDR"));
        assert!(err("cidrhost", vec![s("10.0.0.0"), n(6.0)]).contains("invalid CIDR"));
        // Leading zeros in IPv4 octets are refused, as by Go; a zone too.
        assert!(err("cidrhost", vec![s("010.0.0.0/8"), n(6.0)]).contains("invalid CIDR"));
        assert!(err("cidrhost", vec![s("fe80::1%eth0/64"), n(6.0)]).contains("invalid CIDR"));
        assert_eq!(
            err("cidrhost", vec![s("::ffff:1.2.3.4/128"), n(1.0)]),
            "cidrhost(): prefix of 128 does not accommodate a host numbered 1"
        );
        assert!(err("cidrhost", vec![s("10.0.0.0/33"), n(6.0)]).contains("invalid CIDR"));
        assert!(err("cidrhost", vec![s("10.0.0.0/8"), n(1.5)]).contains("whole number"));
        assert!(err("cidrhost", vec![s("10.0.0.0/8"), s("x")]).contains("number is required"));
        assert!(err("cidrhost", vec![Value::Null, n(1.0)]).contains("must not be null"));
    }

    #[test]
    fn cidrnetmask_prints_the_mask() {
        let mask = |p: &str| ok("cidrnetmask", vec![s(p)]);
        assert_eq!(mask("172.16.0.0/12"), s("255.240.0.0"));
        assert_eq!(mask("10.0.0.0/8"), s("255.0.0.0"));
        assert_eq!(mask("10.1.2.3/32"), s("255.255.255.255"));
        assert_eq!(mask("0.0.0.0/0"), s("0.0.0.0"));
        assert_eq!(mask("192.168.1.0/25"), s("255.255.255.128"));
        assert_eq!(mask("fe80::/64"), s("ffff:ffff:ffff:ffff::"));
        assert_eq!(mask("::/0"), s("::"));
        assert_eq!(
            mask("::ffff:10.0.0.0/104"),
            s("ffff:ffff:ffff:ffff:ffff:ffff:ff00:0")
        );
        assert!(err("cidrnetmask", vec![s("10.0.0.0/40")])
            .contains("invalid CIDR address: 10.0.0.0/40"));
        assert!(err("cidrnetmask", vec![s("")]).contains("invalid CIDR"));
    }

    fn subnet(prefix: &str, newbits: f64, netnum: f64) -> Value {
        ok("cidrsubnet", vec![s(prefix), n(newbits), n(netnum)])
    }

    #[test]
    fn cidrsubnet_extends_the_prefix() {
        assert_eq!(subnet("172.16.0.0/12", 4.0, 2.0), s("172.18.0.0/16"));
        assert_eq!(subnet("10.1.2.0/24", 4.0, 15.0), s("10.1.2.240/28"));
        assert_eq!(subnet("192.168.2.0/20", 4.0, 6.0), s("192.168.6.0/24"));
        assert_eq!(
            subnet("fd00:fd12:3456:7890::/56", 16.0, 162.0),
            s("fd00:fd12:3456:7800:a200::/72")
        );
        assert_eq!(subnet("fe80::/48", 16.0, 6.0), s("fe80:0:0:6::/64"));
        assert_eq!(subnet("10.0.0.0/8", 0.0, 0.0), s("10.0.0.0/8"));
        assert_eq!(
            subnet("10.0.0.0/8", 24.0, 16777215.0),
            s("10.255.255.255/32")
        );
        // IPv4 written in IPv6 syntax comes out as IPv4 (go-cty-funcs' test).
        assert_eq!(
            subnet("::ffff:192.168.0.0/112", 8.0, 6.0),
            s("192.168.6.0/24")
        );
        assert_eq!(subnet("::/0", 32.0, 1.0), s("0:1::/32"));
    }

    #[test]
    fn cidrsubnet_errors() {
        let e = |p: &str, b: f64, x: f64| err("cidrsubnet", vec![s(p), n(b), n(x)]);
        assert_eq!(
            e("192.168.0.0/30", 4.0, 6.0),
            "cidrsubnet(): insufficient address space to extend prefix of 30 by 4"
        );
        assert_eq!(
            e("192.168.0.0/24", 2.0, 16.0),
            "cidrsubnet(): prefix extension of 2 does not accommodate a subnet numbered 16"
        );
        assert_eq!(
            e("192.168.0.0/24", 2.0, -1.0),
            "cidrsubnet(): prefix extension of 2 does not accommodate a subnet numbered -1"
        );
        assert_eq!(
            e("fe80::/48", 33.0, 6.0),
            "cidrsubnet(): may not extend prefix by more than 32 bits"
        );
        assert!(e("10.0.0.0/8", -1.0, 0.0).contains("must not be negative"));
        assert!(e("not-a-cidr", 4.0, 6.0).contains("invalid CIDR expression"));
        assert!(e("10.256.0.0/8", 4.0, 6.0).contains("invalid CIDR expression"));
        assert!(e("10.0.0.0/8", 4.5, 6.0).contains("whole number"));
        let e = err("cidrsubnet", vec![s("10.0.0.0/8"), n(4.0)]);
        assert!(e.contains("takes 3 arguments"), "{e}");
    }

    fn subnets(prefix: &str, bits: &[f64]) -> Result<Value, String> {
        let mut args = vec![s(prefix)];
        args.extend(bits.iter().map(|b| n(*b)));
        call_fn("cidrsubnets", args)
    }

    #[test]
    fn cidrsubnets_packs_consecutive_subnets() {
        assert_eq!(
            subnets(
                "10.0.0.0/21",
                &[3.0, 3.0, 3.0, 4.0, 4.0, 4.0, 7.0, 7.0, 7.0]
            )
            .unwrap(),
            list(&[
                s("10.0.0.0/24"),
                s("10.0.1.0/24"),
                s("10.0.2.0/24"),
                s("10.0.3.0/25"),
                s("10.0.3.128/25"),
                s("10.0.4.0/25"),
                s("10.0.4.128/28"),
                s("10.0.4.144/28"),
                s("10.0.4.160/28"),
            ])
        );
        // Packer's documentation examples.
        assert_eq!(
            subnets("10.1.0.0/16", &[4.0, 4.0, 8.0, 4.0]).unwrap(),
            list(&[
                s("10.1.0.0/20"),
                s("10.1.16.0/20"),
                s("10.1.32.0/24"),
                s("10.1.48.0/20")
            ])
        );
        assert_eq!(
            subnets("fd00:fd12:3456:7890::/56", &[16.0, 16.0, 16.0, 32.0]).unwrap(),
            list(&[
                s("fd00:fd12:3456:7800::/72"),
                s("fd00:fd12:3456:7800:100::/72"),
                s("fd00:fd12:3456:7800:200::/72"),
                s("fd00:fd12:3456:7800:300::/88"),
            ])
        );
        // A smaller subnet after a larger one is aligned; the whole space
        // can be used up.
        assert_eq!(
            subnets("10.0.0.0/8", &[1.0, 1.0]).unwrap(),
            list(&[s("10.0.0.0/9"), s("10.128.0.0/9")])
        );
        assert_eq!(
            subnets("10.0.0.0/30", &[2.0, 2.0, 2.0, 2.0]).unwrap(),
            list(&[
                s("10.0.0.0/32"),
                s("10.0.0.1/32"),
                s("10.0.0.2/32"),
                s("10.0.0.3/32")
            ])
        );
        assert_eq!(
            subnets("255.255.255.0/24", &[1.0, 1.0]).unwrap(),
            list(&[s("255.255.255.0/25"), s("255.255.255.128/25")])
        );
        assert_eq!(subnets("10.0.0.0/8", &[]).unwrap(), list(&[]));
        assert_eq!(
            subnets("0.0.0.0/0", &[1.0]).unwrap(),
            list(&[s("0.0.0.0/1")])
        );
        assert_eq!(
            subnets("::ffff:10.0.0.0/104", &[8.0, 8.0]).unwrap(),
            list(&[s("10.0.0.0/16"), s("10.1.0.0/16")])
        );
        // The prefix length may have leading zeros; hex is any case.
        assert_eq!(
            subnets("10.0.0.0/08", &[8.0]).unwrap(),
            list(&[s("10.0.0.0/16")])
        );
        assert_eq!(
            subnets("FE80::/10", &[6.0]).unwrap(),
            list(&[s("fe80::/16")])
        );
    }

    #[test]
    fn cidrsubnets_errors() {
        assert_eq!(
            subnets("10.0.0.0/30", &[1.0, 3.0]).unwrap_err(),
            "cidrsubnets(): would extend prefix to 33 bits, which is too long for an IPv4 address"
        );
        assert_eq!(
            subnets("10.0.0.0/8", &[1.0, 1.0, 1.0]).unwrap_err(),
            "cidrsubnets(): not enough remaining address space for a subnet with a prefix of 9 bits after 10.128.0.0/9"
        );
        assert_eq!(
            subnets("10.0.0.0/8", &[1.0, 0.0]).unwrap_err(),
            "cidrsubnets(): must extend prefix by at least one bit"
        );
        assert_eq!(
            subnets("10.0.0.0/8", &[1.0, -1.0]).unwrap_err(),
            "cidrsubnets(): must extend prefix by at least one bit"
        );
        assert_eq!(
            subnets("fe80::/48", &[1.0, 33.0]).unwrap_err(),
            "cidrsubnets(): may not extend prefix by more than 32 bits"
        );
        assert!(subnets("fe80::/120", &[9.0])
            .unwrap_err()
            .contains("too long for an IPv6 address"));
        assert!(subnets("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", &[1.0, 1.0, 1.0])
            .unwrap_err()
            .contains("not enough remaining address space for a subnet with a prefix of 121 bits after ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff80/121"));
        assert!(subnets("nope", &[1.0])
            .unwrap_err()
            .contains("invalid CIDR expression"));
        assert_eq!(
            subnets("::ffff:10.0.0.0/120", &[9.0]).unwrap_err(),
            "cidrsubnets(): would extend prefix to 129 bits, which is too long for an IPv6 address"
        );
        assert!(subnets("10.0.0.0/8", &[1.5])
            .unwrap_err()
            .contains("whole number"));
        let e = call_fn("cidrsubnets", vec![]).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
    }
}
