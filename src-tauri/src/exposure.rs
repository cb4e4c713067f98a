//! "Expose on network": a fresh token, the addresses a remote Studio can use, and the text the
//! app shows. The window keeps its own loopback listener (no token), and a second listener on
//! every interface requires the token, so turning exposure off never disturbs the window.

use std::net::IpAddr;

use rand::RngCore;

/// Bytes of randomness in a generated token (256 bits, hex-encoded to 64 characters).
const TOKEN_BYTES: usize = 32;

/// A new random bearer token from the operating system's CSPRNG-seeded generator.
pub fn fresh_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Addresses of this machine a remote Studio could reach: non-loopback interfaces, IPv4
/// first, link-local IPv6 left out (it needs a zone id no browser URL carries).
pub fn reachable_addresses() -> Vec<IpAddr> {
    let interfaces = match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces,
        Err(error) => {
            tracing::warn!(%error, "cannot list network interfaces; showing only the port");
            return Vec::new();
        }
    };
    order_addresses(interfaces.into_iter().map(|interface| interface.ip()))
}

/// Keeps the addresses worth showing, IPv4 before IPv6, without duplicates.
pub fn order_addresses(addresses: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut kept: Vec<IpAddr> = addresses
        .into_iter()
        .filter(|address| !address.is_loopback() && !address.is_unspecified())
        .filter(|address| match address {
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
            IpAddr::V4(_) => true,
        })
        .collect();
    kept.sort_by_key(|address| (address.is_ipv6(), *address));
    kept.dedup();
    kept
}

/// A running exposure, as shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureInfo {
    pub port: u16,
    pub token: String,
    pub addresses: Vec<IpAddr>,
}

impl ExposureInfo {
    /// The Studio URLs, one per address (`localhost` when no interface could be listed).
    pub fn urls(&self) -> Vec<String> {
        if self.addresses.is_empty() {
            return vec![format!("http://localhost:{}/", self.port)];
        }
        self.addresses
            .iter()
            .map(|address| match address {
                IpAddr::V4(v4) => format!("http://{v4}:{}/", self.port),
                IpAddr::V6(v6) => format!("http://[{v6}]:{}/", self.port),
            })
            .collect()
    }

    /// The dialog text: where to point the remote Studio and what token to paste.
    pub fn instructions(&self) -> String {
        format!(
            "WeightsLab now accepts remote Studios on port {port}.\n\n\
             Open one of these in a browser on another machine:\n{urls}\n\n\
             When it asks for a token, paste:\n{token}\n\n\
             (gRPC clients send it as `authorization: Bearer <token>`.) \
             Choose \"Expose on network\" again to close the port; the token then stops working.",
            port = self.port,
            urls = self
                .urls()
                .iter()
                .map(|url| format!("  {url}"))
                .collect::<Vec<_>>()
                .join("\n"),
            token = self.token,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_long_hex_and_differ() {
        let first = fresh_token();
        let second = fresh_token();
        assert_eq!(first.len(), 64);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    #[test]
    fn loopback_and_link_local_are_not_shown() {
        let shown = order_addresses([
            "127.0.0.1".parse().unwrap(),
            "::1".parse().unwrap(),
            "fe80::1".parse().unwrap(),
            "2001:db8::5".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
            "10.0.0.3".parse().unwrap(),
            "10.0.0.3".parse().unwrap(),
        ]);
        let expected: Vec<IpAddr> = vec![
            "10.0.0.3".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
            "2001:db8::5".parse().unwrap(),
        ];
        assert_eq!(shown, expected);
    }

    #[test]
    fn urls_and_instructions_name_port_and_token() {
        let info = ExposureInfo {
            port: 50051,
            token: "abc123".into(),
            addresses: vec!["10.0.0.3".parse().unwrap(), "2001:db8::5".parse().unwrap()],
        };
        assert_eq!(
            info.urls(),
            vec!["http://10.0.0.3:50051/", "http://[2001:db8::5]:50051/"]
        );
        let text = info.instructions();
        assert!(text.contains("  http://10.0.0.3:50051/"));
        assert!(text.contains("abc123"));
        let bare = ExposureInfo {
            addresses: vec![],
            ..info
        };
        assert_eq!(bare.urls(), vec!["http://localhost:50051/"]);
    }

    proptest! {
        #[test]
        fn ordering_keeps_only_shown_addresses_once(raw in proptest::collection::vec(any::<[u8; 4]>(), 0..20)) {
            let input: Vec<IpAddr> = raw.iter().map(|octets| IpAddr::from(*octets)).collect();
            let shown = order_addresses(input.clone());
            prop_assert!(shown.windows(2).all(|pair| pair[0] < pair[1]));
            for address in &input {
                let expected = !address.is_loopback() && !address.is_unspecified();
                prop_assert_eq!(shown.contains(address), expected);
            }
        }
    }
}
