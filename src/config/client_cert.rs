//! `--cert` and `--key`: a client certificate chain and its private key,
//! PEM, checked when the configuration is resolved: both must be there,
//! and the key must be the certificate's.

use std::sync::Arc;

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// A certificate chain and its private key, as read from PEM.
pub(crate) type CertAndKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The certificate chain and private key in `pem`; the problem in words if
/// there is none of either.
pub(crate) fn parse(pem: &[u8]) -> Result<CertAndKey, String> {
    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let mut key: Option<PrivateKeyDer<'static>> = None;
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) = section.map_err(|e| format!("not valid PEM ({e})"))?;
        match kind {
            SectionKind::Certificate => certs.push(CertificateDer::from(der)),
            SectionKind::PrivateKey => key = Some(PrivateKeyDer::Pkcs8(der.into())),
            SectionKind::RsaPrivateKey => key = Some(PrivateKeyDer::Pkcs1(der.into())),
            SectionKind::EcPrivateKey => key = Some(PrivateKeyDer::Sec1(der.into())),
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err("no PEM certificate found (a BEGIN CERTIFICATE block)".into());
    }
    let Some(key) = key else {
        return Err("no PEM private key found; give it with --key FILE".into());
    };
    Ok((certs, key))
}

/// Whether `pem` holds a certificate chain and the private key of its
/// first certificate; the problem in words if not.
pub(crate) fn check(pem: &[u8]) -> Result<(), String> {
    let (certs, key) = parse(pem)?;
    let signing_key = default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("the private key cannot be used: {e}"))?;
    CertifiedKey::new(certs, Arc::clone(&signing_key))
        .keys_match()
        .map_err(|_| "the private key does not belong to the certificate".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let params = rcgen::CertificateParams::new(vec!["client.test".to_string()])
            .unwrap_or_else(|e| panic!("{e}"));
        let cert = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_matching_pair_passes_and_a_stranger_key_does_not() {
        let (cert, key) = pair();
        assert_eq!(check(format!("{cert}\n{key}").as_bytes()), Ok(()));
        let (_, other_key) = pair();
        assert_eq!(
            check(format!("{cert}\n{other_key}").as_bytes()),
            Err("the private key does not belong to the certificate".to_string())
        );
        assert!(check(cert.as_bytes()).unwrap_err().contains("--key"));
        assert!(
            check(key.as_bytes())
                .unwrap_err()
                .contains("no PEM certificate")
        );
        assert!(check(b"not pem at all").is_err());
    }
}
