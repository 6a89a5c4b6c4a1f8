//! Which addresses a webhook may be delivered to when private addresses are refused (the
//! default).
//!
//! The check runs on the addresses the client actually connects to: a DNS resolver that drops
//! non-public answers (so a public name that resolves to `127.0.0.1` is refused too, and a name
//! whose answers change between registration and delivery, DNS rebinding, is judged by the
//! answer the connection uses), plus a check of URLs whose host is an IP literal, which the HTTP
//! client connects to without asking any resolver. Redirects are never followed and no proxy is
//! used, so a public endpoint cannot bounce a delivery to an internal one either.
//!
//! What counts as public follows the IANA IPv4 and IPv6 Special-Purpose Address Registries: an
//! address in a block the registry does not mark "globally reachable" is refused, as are
//! multicast and the deprecated site-local and IPv4-compatible blocks. The Rust standard
//! library's `is_global`, which follows the same registries, is still unstable (rust-lang/rust
//! #27709), and no maintained crate offers it on stable, so [`IPV4_NOT_GLOBAL`] and
//! [`IPV6_NOT_GLOBAL`] are the registries' entries, one line each with its RFC, and the tests
//! check the first and last address of every one. Addresses that carry an IPv4 address (IPv4-mapped,
//! NAT64, 6to4) are judged by the IPv4 address they carry.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The IPv4 blocks that are not globally reachable: every entry of the IANA IPv4
/// Special-Purpose Address Registry marked so (2024-10 edition), plus multicast (224.0.0.0/4),
/// as (network, prefix length).
pub const IPV4_NOT_GLOBAL: [(Ipv4Addr, u8); 18] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),          // "this network", RFC 791
    (Ipv4Addr::new(10, 0, 0, 0), 8),         // private use, RFC 1918
    (Ipv4Addr::new(100, 64, 0, 0), 10),      // shared address space (carrier-grade NAT), RFC 6598
    (Ipv4Addr::new(127, 0, 0, 0), 8),        // loopback, RFC 1122
    (Ipv4Addr::new(169, 254, 0, 0), 16),     // link local (cloud metadata services), RFC 3927
    (Ipv4Addr::new(172, 16, 0, 0), 12),      // private use, RFC 1918
    (Ipv4Addr::new(192, 0, 0, 0), 24),       // IETF protocol assignments, RFC 6890 (but .9, .10)
    (Ipv4Addr::new(192, 0, 2, 0), 24),       // documentation (TEST-NET-1), RFC 5737
    (Ipv4Addr::new(192, 88, 99, 0), 24),     // deprecated 6to4 relay anycast, RFC 7526
    (Ipv4Addr::new(192, 168, 0, 0), 16),     // private use, RFC 1918
    (Ipv4Addr::new(198, 18, 0, 0), 15),      // benchmarking, RFC 2544
    (Ipv4Addr::new(198, 51, 100, 0), 24),    // documentation (TEST-NET-2), RFC 5737
    (Ipv4Addr::new(203, 0, 113, 0), 24),     // documentation (TEST-NET-3), RFC 5737
    (Ipv4Addr::new(224, 0, 0, 0), 4),        // multicast, RFC 5771
    (Ipv4Addr::new(240, 0, 0, 0), 4),        // reserved, RFC 1112
    (Ipv4Addr::new(255, 255, 255, 255), 32), // limited broadcast, RFC 919 (inside 240.0.0.0/4)
    (Ipv4Addr::new(192, 0, 0, 8), 32),       // IPv4 dummy address, RFC 7600 (inside 192.0.0.0/24)
    (Ipv4Addr::new(192, 0, 0, 170), 31), // NAT64/DNS64 discovery, RFC 7050 (inside 192.0.0.0/24)
];

/// The addresses inside [`IPV4_NOT_GLOBAL`] that the registry marks globally reachable.
pub const IPV4_GLOBAL_EXCEPTIONS: [Ipv4Addr; 2] = [
    Ipv4Addr::new(192, 0, 0, 9),  // Port Control Protocol anycast, RFC 7723
    Ipv4Addr::new(192, 0, 0, 10), // Traversal Using Relays around NAT anycast, RFC 8155
];

/// The IPv6 blocks that are not globally reachable: every entry of the IANA IPv6
/// Special-Purpose Address Registry marked so or "N/A" (2024-10 edition), plus multicast
/// (ff00::/8) and the deprecated site-local block (fec0::/10, RFC 3879), as (network, prefix
/// length). IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses
/// are judged by the IPv4 address they carry, before this list.
pub const IPV6_NOT_GLOBAL: [(Ipv6Addr, u8); 16] = [
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96), // unspecified, loopback and IPv4-compatible (deprecated, RFC 4291)
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48), // local-use IPv4/IPv6 translation, RFC 8215
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),     // discard-only, RFC 6666
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, RFC 2928 (exceptions below)
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32), // Teredo, RFC 4380 (N/A)
    (Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0), 48), // benchmarking, RFC 5180
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation, RFC 3849
    (Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0), 28), // deprecated ORCHID, RFC 4843
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4 (N/A) whose IPv4 address is not public
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation, RFC 9637
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16), // segment routing SIDs, RFC 9602
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),  // unique local, RFC 4193
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local unicast, RFC 4291
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // site-local (deprecated), RFC 3879
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),  // multicast, RFC 4291
    (Ipv6Addr::new(0x0064, 0xff9b, 0, 0, 0, 0, 0, 0), 96), // NAT64 whose IPv4 address is not public
];

/// The blocks inside 2001::/23 that the registry marks globally reachable.
pub const IPV6_GLOBAL_EXCEPTIONS: [(Ipv6Addr, u8); 6] = [
    (Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 1), 128), // PCP anycast, RFC 7723
    (Ipv6Addr::new(0x2001, 1, 0, 0, 0, 0, 0, 2), 128), // TURN anycast, RFC 8155
    (Ipv6Addr::new(0x2001, 3, 0, 0, 0, 0, 0, 0), 32),  // AMT, RFC 7450
    (Ipv6Addr::new(0x2001, 4, 0x112, 0, 0, 0, 0, 0), 48), // AS112-v6, RFC 7535
    (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28), // ORCHIDv2, RFC 7343
    (Ipv6Addr::new(0x2001, 0x30, 0, 0, 0, 0, 0, 0), 28), // drone remote ID, RFC 9374
];

/// Whether `ip` is a globally reachable unicast address by the IANA special-purpose registries
/// (see the module documentation). An address that carries an IPv4 address (IPv4-mapped,
/// NAT64 well-known prefix, 6to4) is public only when that IPv4 address is.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    IPV4_GLOBAL_EXCEPTIONS.contains(&ip)
        || !IPV4_NOT_GLOBAL.iter().any(|&(network, length)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
            bits & mask == u32::from(network) & mask
        })
}

fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, length: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    IPV6_GLOBAL_EXCEPTIONS
        .iter()
        .any(|&(network, length)| in_v6(ip, network, length))
        || !IPV6_NOT_GLOBAL
            .iter()
            .any(|&(network, length)| in_v6(ip, network, length))
}

/// The IPv4 address an IPv6 address carries and is routed to: IPv4-mapped (`::ffff:a.b.c.d`),
/// the NAT64 well-known prefix (`64:ff9b::a.b.c.d`, RFC 6052) and 6to4 (`2002:AABB:CCDD::/48`,
/// RFC 3056). IPv4-compatible addresses (`::a.b.c.d`) are deprecated and refused whole.
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        Some(low)
    } else if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32))
    } else {
        None
    }
}

/// The host of `url` when it is an IP literal (`http://10.0.0.1/`, `http://[::1]:8080/`).
pub(crate) fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// The name resolved only to addresses that are not public.
#[derive(Debug, thiserror::Error)]
#[error("refused: the host resolves only to private or loopback addresses")]
pub struct RefusedAddress;

/// The public addresses among `resolved`; refused when there is none.
pub fn public_answers(
    resolved: impl IntoIterator<Item = SocketAddr>,
) -> Result<Vec<SocketAddr>, RefusedAddress> {
    let public: Vec<SocketAddr> = resolved.into_iter().filter(|a| is_public(a.ip())).collect();
    if public.is_empty() {
        Err(RefusedAddress)
    } else {
        Ok(public)
    }
}

/// A resolver that keeps only public addresses and fails when none is left.
#[derive(Debug, Default)]
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        // Asked for every new connection, so the answer judged is the one connected to: a name
        // that resolved to a public address before cannot be rebound to an internal one.
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public = public_answers(resolved)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn loopback_private_and_link_local_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!public(address), "{address} counted as public");
        }
    }

    #[test]
    fn ranges_a_hand_list_misses_are_not_public() {
        for address in [
            "64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
            "64:ff9b::a00:1",     // NAT64 of 10.0.0.1
            "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
            "64:ff9b:1::1",       // local-use NAT64
            "::127.0.0.1",        // IPv4-compatible (deprecated)
            "::8.8.8.8",          // IPv4-compatible, even of a public address
            "fec0::1",            // site-local (deprecated)
            "2002:7f00:1::",      // 6to4 of 127.0.0.1
            "2002:c0a8:101::1",   // 6to4 of 192.168.1.1
            "2001::1",            // Teredo
            "2001:db8::1",        // documentation
            "3fff::1",            // documentation (RFC 9637)
            "2001:2::1",          // benchmarking
            "100::1",             // discard-only
            "5f00::1",            // segment routing
            "ff02::1",            // multicast
            "192.0.2.1",          // TEST-NET-1
            "198.51.100.7",       // TEST-NET-2
            "203.0.113.9",        // TEST-NET-3
            "198.18.0.1",         // benchmarking
            "198.19.255.255",     // benchmarking
            "240.0.0.1",          // reserved
            "192.0.0.8",          // IETF protocol assignment
            "192.88.99.1",        // 6to4 relay anycast
        ] {
            assert!(!public(address), "{address} counted as public");
        }
    }

    #[test]
    fn the_first_and_last_address_of_every_registry_block_are_refused() {
        for (network, length) in IPV4_NOT_GLOBAL {
            let first = u32::from(network);
            let last = first | u32::MAX.checked_shr(u32::from(length)).unwrap_or(0);
            for bits in [first, last] {
                let ip = Ipv4Addr::from(bits);
                assert!(!is_public(IpAddr::V4(ip)), "{ip} in {network}/{length}");
            }
        }
        for (network, length) in IPV6_NOT_GLOBAL {
            let first = u128::from(network);
            let last = first | u128::MAX.checked_shr(u32::from(length)).unwrap_or(0);
            for bits in [first, last] {
                let ip = Ipv6Addr::from(bits);
                let excepted = IPV6_GLOBAL_EXCEPTIONS.iter().any(|&(n, l)| in_v6(ip, n, l));
                assert!(
                    excepted || !is_public(IpAddr::V6(ip)),
                    "{ip} in {network}/{length}"
                );
            }
        }
    }

    #[test]
    fn ordinary_internet_addresses_are_public() {
        for address in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "198.20.0.1",
            "192.0.0.9",
            "2a00:1450:4001::1",
            "2001:4860:4860::8888",
            "2001:3::1",
            "64:ff9b::5db8:d822", // NAT64 of 93.184.216.34
            "2002:5db8:d822::1",  // 6to4 of 93.184.216.34
            "::ffff:93.184.216.34",
        ] {
            assert!(public(address), "{address} counted as private");
        }
    }

    #[test]
    fn ip_literal_hosts_are_recognised_in_both_families() {
        let v4 = reqwest::Url::parse("http://10.0.0.1:8080/hook").unwrap();
        let v6 = reqwest::Url::parse("http://[::1]:8080/hook").unwrap();
        let name = reqwest::Url::parse("https://hooks.example.org/x").unwrap();
        assert_eq!(literal_ip(&v4), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(literal_ip(&v6), Some("::1".parse().unwrap()));
        assert_eq!(literal_ip(&name), None);
    }

    #[test]
    fn of_mixed_answers_only_the_public_ones_are_connected_to() {
        let answer = |list: &[&str]| -> Vec<SocketAddr> {
            list.iter().map(|a| a.parse().unwrap()).collect()
        };
        let mixed = answer(&["127.0.0.1:443", "93.184.216.34:443", "[64:ff9b::a00:1]:443"]);
        assert_eq!(
            public_answers(mixed).unwrap(),
            answer(&["93.184.216.34:443"])
        );
        // A name rebound to internal addresses only is refused outright.
        assert!(public_answers(answer(&["10.0.0.7:443", "[fd00::7]:443"])).is_err());
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        let resolved = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(resolved.is_err());
    }
}
