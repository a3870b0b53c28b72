//! The server's certificate: when the https leaf certificate of a response
//! expires, for `cert_not_after`, `cert_days_left` and `--min-cert-days`.

use std::time::{Duration, SystemTime};

use crate::results::CertInfo;

/// The expiry of the server's leaf certificate, for https responses.
pub(crate) fn leaf_certificate(response: &reqwest::Response) -> Option<CertInfo> {
    let info = response.extensions().get::<reqwest::tls::TlsInfo>()?;
    cert_info(info.peer_certificate()?, SystemTime::now())
}

/// The expiry of a DER certificate, relative to `now`.
pub(crate) fn cert_info(der: &[u8], now: SystemTime) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    let now = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    let now = i64::try_from(now).ok()?;
    let days_left = (not_after - now).div_euclid(86_400);
    let when = if not_after >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(not_after.unsigned_abs())
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(not_after.unsigned_abs())
    };
    Some(CertInfo {
        not_after: humantime::format_rfc3339_seconds(when).to_string(),
        days_left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_info_reads_not_after() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000 - 10 * 86_400);
        let info = cert_info(cert.der(), now).unwrap();
        assert_eq!(info.not_after, "2030-01-01T00:00:00Z");
        assert_eq!(info.days_left, 10);
        assert_eq!(cert_info(b"not a certificate", now), None);
    }
}
