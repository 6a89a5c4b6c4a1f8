//! Which addresses a webhook may be delivered to when private addresses are refused.
//!
//! The check runs on the addresses the client actually connects to: a DNS resolver that drops
//! non-public answers (so a public name that resolves to `127.0.0.1` is refused too), plus a
//! check of URLs whose host is an IP literal, which the HTTP client connects to without asking
//! any resolver. Redirects are never followed, so a public endpoint cannot bounce a delivery to
//! an internal one either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, IPv6 unique
/// local), link-local, shared (carrier-grade NAT), unspecified, broadcast, multicast or
/// documentation. An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let this_network = a == 0;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || this_network)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local())
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

/// A resolver that keeps only public addresses and fails when none is left.
#[derive(Debug, Default)]
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = resolved.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(RefusedAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
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
    fn ordinary_internet_addresses_are_public() {
        for address in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2a00:1450:4001::1",
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

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        let resolved = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(resolved.is_err());
    }
}
