//! Proxies: `--proxy` and `--noproxy`, or else the proxy environment
//! variables, read the way reqwest and curl read them. Every value is
//! checked once, up front: a proxy that cannot be parsed is a usage error
//! naming its flag or variable, never a silent direct connection.

use hyper_util::client::proxy::matcher::Matcher;
use reqwest::Url;

use super::values::ProxyUrl;
use crate::target::display_url;

/// The proxy environment variables, each in the order they are looked at:
/// the first one set (and not empty) wins.
const HTTP_VARS: [&str; 2] = ["HTTP_PROXY", "http_proxy"];
const HTTPS_VARS: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
const ALL_VARS: [&str; 2] = ["ALL_PROXY", "all_proxy"];
const NO_PROXY_VARS: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// Every variable that can set a proxy, for `Environment` to capture.
pub(crate) const VARIABLES: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// A proxy, and the flag or variable it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Proxy {
    pub(crate) url: Url,
    pub(crate) from: String,
}

/// Where requests go: through which proxy for http:// and https:// URLs,
/// and which hosts are reached directly.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Proxies {
    pub(crate) http: Option<Proxy>,
    pub(crate) https: Option<Proxy>,
    /// `--noproxy` or `NO_PROXY`: hosts reached directly.
    pub(crate) no_proxy: Option<String>,
}

impl Proxies {
    /// `--proxy` and `--noproxy` over the environment (`var` reads it).
    pub(crate) fn resolve(
        proxy: Option<ProxyUrl>,
        noproxy: Option<String>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let first = |names: &[&str]| -> anyhow::Result<Option<Proxy>> {
            for name in names {
                // In a CGI script, HTTP_PROXY may come from a request header.
                if *name == "HTTP_PROXY" && set("REQUEST_METHOD").is_some() {
                    continue;
                }
                if let Some(value) = set(name) {
                    let url = value
                        .parse::<ProxyUrl>()
                        .map_err(|problem| anyhow::anyhow!("{name}: {problem}"))?;
                    return Ok(Some(Proxy {
                        url: url.0,
                        from: (*name).to_string(),
                    }));
                }
            }
            Ok(None)
        };
        let no_proxy = match noproxy {
            Some(list) => Some(list),
            None => NO_PROXY_VARS.iter().find_map(|name| set(name)),
        };
        if let Some(url) = proxy {
            let flag = Proxy {
                url: url.0,
                from: "--proxy".into(),
            };
            return Ok(Proxies {
                http: Some(flag.clone()),
                https: Some(flag),
                no_proxy,
            });
        }
        let all = first(&ALL_VARS)?;
        Ok(Proxies {
            http: first(&HTTP_VARS)?.or_else(|| all.clone()),
            https: first(&HTTPS_VARS)?.or(all),
            no_proxy,
        })
    }

    /// A matcher that decides, as the HTTP client does, which proxy a URL
    /// goes through.
    pub(crate) fn matcher(&self) -> Matcher {
        let mut builder = Matcher::builder();
        if let Some(http) = &self.http {
            builder = builder.http(http.url.to_string());
        }
        if let Some(https) = &self.https {
            builder = builder.https(https.url.to_string());
        }
        if let Some(list) = &self.no_proxy {
            builder = builder.no(list.clone());
        }
        builder.build()
    }

    /// The proxy `url` goes through, as messages name it (no password).
    pub(crate) fn shown_for(&self, matcher: &Matcher, url: &Url) -> Option<String> {
        let uri: hyper::Uri = url.as_str().parse().ok()?;
        matcher.intercept(&uri)?;
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            _ => self.http.as_ref(),
        }?;
        let host = proxy.url.host_str().unwrap_or_default();
        Some(match proxy.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => display_url(&proxy.url),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(vars: &[(&str, &str)], flag: Option<&str>) -> anyhow::Result<Proxies> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let var = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let flag = flag.map(|f| f.parse::<ProxyUrl>().unwrap_or_else(|e| panic!("{e}")));
        Proxies::resolve(flag, None, &var)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn upper_case_first_then_lower_case_and_all_proxy_fills_in() {
        let p = resolve(
            &[
                ("http_proxy", "http://lower:1"),
                ("HTTP_PROXY", "http://upper:2"),
                ("all_proxy", "http://all:3"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(p.http.as_ref().unwrap().from, "HTTP_PROXY");
        assert_eq!(p.https.as_ref().unwrap().url.as_str(), "http://all:3/");
    }

    #[test]
    fn the_flag_overrides_the_environment() {
        let p = resolve(&[("HTTPS_PROXY", "http://env:1")], Some("127.0.0.1:3128")).unwrap();
        assert_eq!(p.https.as_ref().unwrap().from, "--proxy");
        assert_eq!(p.https.unwrap().url.as_str(), "http://127.0.0.1:3128/");
    }

    #[test]
    fn a_malformed_variable_is_an_error_naming_it() {
        for (value, expected) in [
            ("\"http://proxy:3128\"", "remove the quotes"),
            ("socks5://proxy:1080", "SOCKS proxies are not supported"),
            ("http://", "not a proxy URL"),
        ] {
            let err = resolve(&[("HTTPS_PROXY", value)], None).unwrap_err();
            let message = format!("{err:#}");
            assert!(message.starts_with("HTTPS_PROXY: "), "{message}");
            assert!(message.contains(expected), "{message}");
        }
        let err = resolve(&[("HTTPS_PROXY", "http://u:s3cret@\"proxy")], None).unwrap_err();
        assert!(!format!("{err:#}").contains("s3cret"));
    }

    #[test]
    fn http_proxy_is_ignored_in_cgi() {
        let p = resolve(
            &[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")],
            None,
        )
        .unwrap();
        assert!(p.http.is_none());
    }

    #[test]
    fn messages_name_the_proxy_without_its_password() {
        let p = Proxies {
            no_proxy: Some("direct.test".into()),
            ..resolve(&[("ALL_PROXY", "http://u:pw@127.0.0.1:3128")], None).unwrap()
        };
        let matcher = p.matcher();
        assert_eq!(
            p.shown_for(&matcher, &url("https://a.test/")).as_deref(),
            Some("127.0.0.1:3128")
        );
        assert_eq!(p.shown_for(&matcher, &url("http://direct.test/")), None);
    }
}
