//! TLS and mTLS with throwaway certificates made here (rcgen): who gets through and who not.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use weightslab::config::TlsConfig;
use weightslab_e2e::proto::*;
use weightslab_e2e::*;

struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// (certificate PEM, key PEM)
    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| name.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

struct Pki {
    dir: tempfile::TempDir,
    ca: Authority,
}

impl Pki {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            ca: Authority::new("weightslab test CA"),
        }
    }

    fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn server_tls(&self, require_client_certificates: bool) -> TlsConfig {
        let (cert, key) = self.ca.issue(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        TlsConfig {
            cert: self.write("server.pem", &cert),
            key: self.write("server.key", &key),
            client_ca: require_client_certificates.then(|| self.write("ca.pem", &self.ca.pem())),
        }
    }
}

async fn heartbeat(endpoint: Endpoint) -> Result<(), String> {
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| format!("connect: {error:?}"))?;
    ExperimentServiceClient::new(channel)
        .experiment_command(TrainerCommand {
            get_hyper_parameters: true,
            ..Default::default()
        })
        .await
        .map(|_| ())
        .map_err(|status| format!("call: {status:?}"))
}

fn https(addr: std::net::SocketAddr, tls: ClientTlsConfig) -> Endpoint {
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(10))
}

#[tokio::test]
async fn tls_matrix() {
    let pki = Pki::new();
    let server = TestServer::start_with(TestOptions {
        tls: Some(pki.server_tls(false)),
        ..Default::default()
    })
    .await;
    let trusted = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pki.ca.pem()))
        .domain_name("localhost");
    assert_eq!(heartbeat(https(server.addr, trusted)).await, Ok(()));

    let stranger = Authority::new("someone else");
    let untrusted = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(stranger.pem()))
        .domain_name("localhost");
    assert!(
        heartbeat(https(server.addr, untrusted)).await.is_err(),
        "a client that does not trust our CA fails"
    );

    let plain = Endpoint::from_shared(format!("http://{}", server.addr)).unwrap();
    assert!(
        heartbeat(plain).await.is_err(),
        "plain text is refused on a TLS port"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn mtls_matrix() {
    let pki = Pki::new();
    let server = TestServer::start_with(TestOptions {
        tls: Some(pki.server_tls(true)),
        ..Default::default()
    })
    .await;
    let base = || {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(pki.ca.pem()))
            .domain_name("localhost")
    };
    let (cert, key) = pki
        .ca
        .issue(&["studio-user"], ExtendedKeyUsagePurpose::ClientAuth);
    assert_eq!(
        heartbeat(https(
            server.addr,
            base().identity(Identity::from_pem(cert, key))
        ))
        .await,
        Ok(())
    );
    assert!(
        heartbeat(https(server.addr, base())).await.is_err(),
        "no client certificate"
    );

    let stranger = Authority::new("someone else");
    let (cert, key) = stranger.issue(&["intruder"], ExtendedKeyUsagePurpose::ClientAuth);
    assert!(
        heartbeat(https(
            server.addr,
            base().identity(Identity::from_pem(cert, key))
        ))
        .await
        .is_err(),
        "a certificate from another CA"
    );
    server.shutdown().await;
}
