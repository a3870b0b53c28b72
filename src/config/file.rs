//! The `--config` file: TOML with a `[defaults]` table and `[[check]]` tables,
//! read and validated whole before any check starts, so that every mistake is
//! reported up front as `FILE:LINE:COLUMN: what is wrong`. Each table is a
//! layer of settings (see `settings.rs`): its keys are the settings' names.

use std::path::Path;

use anyhow::Context;
use toml::de::DeValue;

use super::layer::Layer;
use super::settings::{CheckSettings, RunSettings};
use super::toml_text::{
    Expanded, FileValue, Key, Redaction, Table, TomlText, Value, in_file_order,
};
use crate::target::parse_target;

/// A whole config file, validated.
#[derive(Default)]
pub(crate) struct FileConfig {
    /// The `[defaults]` table's run settings.
    pub(crate) run: RunSettings,
    /// The `[defaults]` table's settings for every URL.
    pub(crate) check: CheckSettings,
    /// The `[[check]]` tables, in file order.
    pub(crate) checks: Vec<FileCheck>,
}

/// One `[[check]]` table.
pub(crate) struct FileCheck {
    /// The URL as written, `${VAR}` not expanded: the only form ever shown,
    /// so a secret in a variable never reaches the output.
    pub(crate) url: String,
    /// The URL with variables expanded: what is requested.
    pub(crate) expanded_url: String,
    /// The 1-based line of this check's `url`.
    pub(crate) line: u64,
    /// Its `name`, if it has one.
    pub(crate) name: Option<String>,
    /// This check's own settings, to be laid over the run's.
    pub(crate) settings: CheckSettings,
    /// What the URL's variables expanded to, to be shown as `${VAR}` again.
    pub(crate) redactions: Vec<Redaction>,
}

/// The keys of the file's top level.
const TOP_KEYS: &[&str] = &["defaults", "check"];
/// The key of a `[[check]]`'s URL, before its settings.
const URL_KEY: &str = "url";
/// A `[[check]]`'s optional name, shown by `--watch`'s metrics and /status.
const NAME_KEY: &str = "name";
const MIN_CERT_DAYS_KEY: &str = "min_cert_days";

/// Read and validate the config file at `path`. `lookup` reads environment
/// variables (tests pass a closure).
pub(crate) fn load(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse(&text, &path.display().to_string(), lookup)
}

/// Validate the text of a config file; `file_name` starts every error message.
pub(crate) fn parse(
    text: &str,
    file_name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<FileConfig> {
    let text = TomlText::new(text, file_name, lookup);
    let document = text.parse()?;
    let mut config = FileConfig::default();
    for (key, value) in in_file_order(document.get_ref()) {
        match key.get_ref().as_ref() {
            "defaults" => {
                let table = table_of(&text, value, "a table of settings")?;
                read_layers(&text, table, &mut [&mut config.run, &mut config.check], &[])?;
            }
            "check" => config.checks = checks(&text, value)?,
            other => return Err(unknown_key(&text, key, other, TOP_KEYS)),
        }
    }
    Ok(config)
}

/// The `[[check]]` tables.
fn checks(text: &TomlText<'_>, value: &Value<'_>) -> anyhow::Result<Vec<FileCheck>> {
    let DeValue::Array(tables) = value.get_ref() else {
        return Err(text.error_at(
            value.span().start,
            "invalid type: expected [[check]] tables",
        ));
    };
    tables.iter().map(|table| check(text, table)).collect()
}

fn check(text: &TomlText<'_>, value: &Value<'_>) -> anyhow::Result<FileCheck> {
    let table = table_of(text, value, "a [[check]] table")?;
    let Some(written) = table.get(URL_KEY) else {
        return Err(text.error_at(
            value.span().start,
            "this [[check]] has no url; add one such as url = \"https://example.com/health\"",
        ));
    };
    let expanded = text.expand(written)?;
    check_url(text, written, &expanded)?;
    let name = table
        .get(NAME_KEY)
        .map(|value| String::read(text, NAME_KEY, value))
        .transpose()?;
    let mut settings = CheckSettings::default();
    read_layers(text, table, &mut [&mut settings], &[URL_KEY, NAME_KEY])?;
    let plain_http = expanded
        .text
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
    if plain_http && let Some(days) = table.get(MIN_CERT_DAYS_KEY) {
        return Err(text.error_at(
            days.span().start,
            "min_cert_days: an http:// URL has no certificate to check; \
             remove the key, or check the https:// URL",
        ));
    }
    Ok(FileCheck {
        name,
        redactions: expanded.redactions(),
        url: expanded.written,
        expanded_url: expanded.text,
        line: text.line_of(written.span().start),
        settings,
    })
}

/// Refuse a URL that could never be checked now, rather than as a record
/// later: the file is written by hand, and a typo should stop the run.
fn check_url(text: &TomlText<'_>, written: &Value<'_>, url: &Expanded) -> anyhow::Result<()> {
    let Err(problem) = parse_target(&url.text) else {
        return Ok(());
    };
    // The problem may quote the expanded URL, so it is told only when
    // nothing was expanded.
    let message = if !url.has_variables() {
        format!("url: {problem}")
    } else {
        "url: not a valid http or https URL once its variables are expanded \
         (the expanded URL is not shown, as it may hold a secret)"
            .to_string()
    };
    Err(text.error_at(written.span().start, message))
}

/// Set each key of `table`, in file order, in the first layer that has it.
/// `handled` keys were read by the caller.
fn read_layers(
    text: &TomlText<'_>,
    table: &Table<'_>,
    layers: &mut [&mut dyn ReadKey],
    handled: &[&str],
) -> anyhow::Result<()> {
    'keys: for (key, value) in in_file_order(table) {
        let name = key.get_ref().as_ref();
        if handled.contains(&name) {
            continue;
        }
        for layer in layers.iter_mut() {
            if layer.read_key(text, name, value)? {
                continue 'keys;
            }
        }
        let known: Vec<&str> = handled
            .iter()
            .copied()
            .chain(layers.iter().flat_map(|layer| layer.keys().iter().copied()))
            .collect();
        return Err(unknown_key(text, key, name, &known));
    }
    Ok(())
}

/// A `Layer` as `read_layers` uses it, so that layers of different types
/// can share one table.
trait ReadKey {
    fn keys(&self) -> &'static [&'static str];
    fn read_key(
        &mut self,
        text: &TomlText<'_>,
        key: &str,
        value: &Value<'_>,
    ) -> anyhow::Result<bool>;
}

impl<L: Layer> ReadKey for L {
    fn keys(&self) -> &'static [&'static str] {
        L::KEYS
    }

    fn read_key(
        &mut self,
        text: &TomlText<'_>,
        key: &str,
        value: &Value<'_>,
    ) -> anyhow::Result<bool> {
        self.read(text, key, value)
    }
}

fn table_of<'v, 'a>(
    text: &TomlText<'a>,
    value: &'v Value<'a>,
    what: &str,
) -> anyhow::Result<&'v Table<'a>> {
    match value.get_ref() {
        DeValue::Table(table) => Ok(table),
        _ => Err(text.error_at(value.span().start, format!("invalid type: expected {what}"))),
    }
}

/// serde's words for a key no table has: `unknown field `x`, expected ...`.
fn unknown_key(text: &TomlText<'_>, key: &Key<'_>, name: &str, known: &[&str]) -> anyhow::Error {
    let quoted: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    let expected = match quoted.as_slice() {
        [] => "there are no fields".to_string(),
        [one] => format!("expected {one}"),
        [a, b] => format!("expected {a} or {b}"),
        all => format!("expected one of {}", all.join(", ")),
    };
    text.error_at(
        key.span().start,
        format!("unknown field `{name}`, {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::layer::header_map;
    use crate::config::values::{Method, Workers};
    use reqwest::header::HeaderMap;

    /// A value no error message may ever contain.
    const SECRET: &str = "s3cr3t-t0ken";

    const EXAMPLE: &str = r#"[defaults]
workers = 8
timeout = "5s"
retries = 2
headers = { Authorization = "Bearer ${API_TOKEN}" }

[[check]]
url = "https://example.com/health"
expect_status = "200"
expect_body = "ok"
max_latency = "500ms"
min_cert_days = 14
"#;

    fn env(name: &str) -> Option<String> {
        match name {
            "API_TOKEN" => Some(SECRET.into()),
            "HOST" => Some("a.test".into()),
            "EMPTY" => Some(String::new()),
            "BROKEN" => Some(format!("{SECRET}\nX-Evil: 1")),
            _ => None,
        }
    }

    fn parse_ok(text: &str) -> FileConfig {
        match parse(text, "urls.toml", &env) {
            Ok(config) => config,
            Err(e) => panic!("{text:?} should parse, got: {e:#}"),
        }
    }

    fn error(text: &str) -> String {
        match parse(text, "urls.toml", &env) {
            Ok(_) => panic!("{text:?} should be rejected"),
            Err(e) => format!("{e:#}"),
        }
    }

    /// A file with one valid check followed by `extra` lines in it.
    fn check_with(extra: &str) -> String {
        format!("[[check]]\nurl = \"https://a.test/\"\n{extra}\n")
    }

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn the_example_parses() {
        let config = parse_ok(EXAMPLE);
        let d = &config.run;
        assert_eq!(d.workers, Some(Workers(8)));
        assert_eq!(config.check.timeout, ms(5000));
        assert_eq!(d.retries, Some(2));
        let headers = header_map(&config.check.headers);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers["authorization"], "Bearer s3cr3t-t0ken");
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(
            (
                d.connect_timeout,
                config.check.method,
                d.user_agent.as_ref()
            ),
            (None, None, None)
        );
        assert_eq!(config.checks.len(), 1);
        let check = &config.checks[0];
        assert_eq!(check.expanded_url, "https://example.com/health");
        assert_eq!(check.url, "https://example.com/health");
        assert_eq!(check.line, 8);
        assert_eq!(
            check
                .settings
                .expect_status
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("200")
        );
        assert_eq!(check.settings.expect_body.as_deref(), Some("ok"));
        assert_eq!(check.settings.max_latency, ms(500));
        assert_eq!(check.settings.min_cert_days, Some(14));
        assert!(check.settings.headers.is_empty());
    }

    #[test]
    fn an_empty_file_is_an_empty_config() {
        for text in ["", "# nothing yet\n\n", "[defaults]\n", "\u{feff}"] {
            let config = parse_ok(text);
            assert!(config.checks.is_empty());
            assert_eq!(config.run.workers, None);
            assert!(config.check.headers.is_empty());
            assert!(config.check.expect_status.is_none());
        }
    }

    #[test]
    fn every_defaults_key_is_read() {
        let config = parse_ok(
            r#"[defaults]
workers = "4"
timeout = 1.5
connect_timeout = "2s"
retries = 3
retry_delay = "250ms"
max_redirects = 0
method = "HEAD"
user_agent = "probe/${HOST}"
headers = { X-Team = "web", x-team = "api" }
wait = "2m"
wait_interval = "5s"
deadline = "1m30s"
expect_status = "200-299,301"
expect_body = "ok"
expect_body_regex = "^ok"
reject_body_regex = "error"
expect_header = { Content-Type = "^text/" }
max_latency = 2
min_cert_days = 7
"#,
        );
        let d = &config.run;
        assert_eq!(d.workers, Some(Workers(4)));
        let c = &config.check;
        assert_eq!(c.timeout, ms(1500));
        assert_eq!(d.connect_timeout, ms(2000));
        assert_eq!((d.retries, c.max_redirects), (Some(3), Some(0)));
        assert_eq!(d.retry_delay, ms(250));
        assert_eq!(c.method, Some(Method::Head));
        assert_eq!(
            d.user_agent.as_ref().map(|ua| ua.to_str().unwrap_or("?")),
            Some("probe/a.test")
        );
        let headers: HeaderMap = header_map(&config.check.headers);
        let teams: Vec<_> = headers.get_all("x-team").iter().collect();
        assert_eq!(teams, ["web", "api"], "both values kept, in file order");
        assert!(!headers["x-team"].is_sensitive(), "nothing was expanded");
        assert_eq!(
            (d.wait, d.wait_interval, d.deadline),
            (ms(120_000), ms(5000), ms(90_000))
        );
        let e = &config.check;
        assert_eq!(
            e.expect_status.as_ref().map(ToString::to_string).as_deref(),
            Some("200-299,301")
        );
        assert_eq!(e.expect_body.as_deref(), Some("ok"));
        assert!(
            e.expect_body_regex
                .as_ref()
                .is_some_and(|r| r.is_match("ok then"))
        );
        assert!(
            e.reject_body_regex
                .as_ref()
                .is_some_and(|r| r.is_match("an error"))
        );
        assert_eq!(e.expect_header.len(), 1);
        assert_eq!(e.expect_header[0].name, "content-type");
        assert_eq!((e.max_latency, e.min_cert_days), (ms(2000), Some(7)));
    }

    #[test]
    fn the_sites_keys_are_read() {
        let config = parse_ok(
            r#"[defaults]
sitemap = ["https://a.test/", "map.xml"]
links = "internal"
include = "^https://a\\.test/"
exclude = ["/private/", "\\.pdf$"]
check_fragments = true
base_url = "https://a.test/docs"
input_format = "markdown"
"#,
        );
        let d = &config.run;
        assert_eq!(d.sitemap, ["https://a.test/", "map.xml"]);
        assert_eq!(d.links, Some(super::super::LinkScope::Internal));
        assert_eq!((d.include.len(), d.exclude.len()), (1, 2));
        assert!(d.exclude[1].is_match("a.pdf"));
        assert_eq!(d.check_fragments, Some(true));
        assert_eq!(
            d.base_url.as_ref().map(|b| b.0.as_str()),
            Some("https://a.test/docs/")
        );
        assert_eq!(d.input_format, Some(super::super::InputFormat::Markdown));
        let bad = parse("[defaults]\nlinks = \"some\"\n", "urls.toml", &env);
        assert!(
            format!("{:#}", bad.err().unwrap()).contains("2:9: links: 'some' is not a links scope")
        );
    }

    #[test]
    fn checks_keep_their_order_and_the_line_of_their_url() {
        let text = "# checks\n\n[[check]]\nexpect_body = \"ok\"\nurl = \"https://a.test/\"\n\r\n\
                    [[check]]\r\nurl = 'https://b.test/'\r\n[[check]]\nurl = \"https://c.test/\"\n";
        let checks = parse_ok(text).checks;
        let found: Vec<_> = checks
            .iter()
            .map(|c| (c.expanded_url.as_str(), c.line))
            .collect();
        assert_eq!(
            found,
            [
                ("https://a.test/", 5),
                ("https://b.test/", 8),
                ("https://c.test/", 10)
            ]
        );
    }

    #[test]
    fn check_keys_are_read() {
        let check = &parse_ok(&check_with(
            "headers = { X-Api-Key = \"${API_TOKEN}\" }\nexpect_status = 404\n\
             expect_body_regex = \"v\\\\d+\"\nreject_body_regex = \"(?i)maintenance\"\n\
             expect_header = { \"Content-Type\" = \"^text/html\", Cache-Control = \"no-store\" }",
        ))
        .checks[0];
        let headers = header_map(&check.settings.headers);
        assert_eq!(headers["x-api-key"], SECRET);
        assert!(headers["x-api-key"].is_sensitive());
        let status = check
            .settings
            .expect_status
            .as_ref()
            .map(ToString::to_string);
        assert_eq!(
            status.as_deref(),
            Some("404"),
            "an integer is a status code"
        );
        assert!(
            check
                .settings
                .expect_body_regex
                .as_ref()
                .is_some_and(|r| r.is_match("v12"))
        );
        assert!(
            check
                .settings
                .reject_body_regex
                .as_ref()
                .is_some_and(|r| r.is_match("MAINTENANCE"))
        );
        let headers: Vec<_> = check
            .settings
            .expect_header
            .iter()
            .map(|rule| (rule.name.as_str(), &rule.pattern))
            .collect();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[0].0, "content-type", "in file order");
        assert!(headers[0].1.is_match("text/html; charset=utf-8"));
        assert!(!headers[0].1.is_match("application/json"));
        assert_eq!(headers[1].0, "cache-control");
    }

    #[test]
    fn variables_expand_in_urls_headers_and_user_agent_only() {
        let config = parse_ok(
            "[defaults]\nexpect_body = \"${API_TOKEN}\"\nuser_agent = \"x${EMPTY}y\"\n\
             [[check]]\nurl = \"https://${HOST}/?key=${API_TOKEN}\"\nexpect_body = \"$HOST ${\"\n",
        );
        assert_eq!(config.check.expect_body.as_deref(), Some("${API_TOKEN}"));
        assert_eq!(
            config
                .run
                .user_agent
                .as_ref()
                .map(|ua| ua.to_str().unwrap_or("?")),
            Some("xy")
        );
        let check = &config.checks[0];
        assert_eq!(check.expanded_url, format!("https://a.test/?key={SECRET}"));
        assert_eq!(check.url, "https://${HOST}/?key=${API_TOKEN}");
        assert_eq!(check.settings.expect_body.as_deref(), Some("$HOST ${"));
    }

    #[test]
    fn bad_values_point_at_the_value() {
        let cases = [
            (
                "[defaults]\nworkers = 0\n",
                "urls.toml:2:11: workers: at least 1 worker is needed",
            ),
            (
                "[defaults]\nworkers = \"many\"\n",
                "urls.toml:2:11: workers: 'many' is not a whole number",
            ),
            (
                "[defaults]\nper_host = 0\n",
                "urls.toml:2:12: per_host: at least 1 request per host is needed",
            ),
            (
                "[defaults]\nrate = 0\n",
                "urls.toml:2:8: rate: '0': the rate must be above 0 checks per second",
            ),
            (
                "[defaults]\nrate = true\n",
                "urls.toml:2:8: invalid type: boolean `true`, expected a number of checks per \
                 second such as 10 or 0.5",
            ),
            (
                "[defaults]\n  timeout = \"0s\"\n",
                "urls.toml:2:13: timeout: the duration must be greater than zero",
            ),
            (
                "[defaults]\nconnect_timeout = \"${T}\"\n",
                "urls.toml:2:19: connect_timeout: '${T}' is not a duration (expected number \
                 at 0); try 500ms, 10s or 2m",
            ),
            (
                "[defaults]\nwait = true\n",
                "urls.toml:2:8: invalid type: boolean `true`, expected a duration such as \
                 \"500ms\" or \"10s\"",
            ),
            (
                "[defaults]\nmethod = \"post\"\n",
                "urls.toml:2:10: method: 'post' is not supported; write \"get\" or \"head\"",
            ),
            (
                "[defaults]\nretries = -1\n",
                "urls.toml:2:11: invalid value: integer `-1`, expected u32",
            ),
            (
                "[defaults]\nheaders = { \"bad name\" = \"x\" }\n",
                "urls.toml:2:13: headers: 'bad name' is not a valid header name",
            ),
            (
                "[defaults]\nheaders = { X-A = \"line\\nbreak\" }\n",
                "urls.toml:2:19: headers: the value of x-a has characters a header cannot carry \
                 (such as a line break)",
            ),
            (
                "[defaults]\nuser_agent = \"a\\u0000b\"\n",
                "urls.toml:2:14: user_agent: the value has characters a header cannot carry \
                 (such as a line break)",
            ),
            (
                &check_with("expect_status = \"200-\""),
                "urls.toml:3:17: expect_status: '' is not a status code",
            ),
            (
                &check_with("expect_status = 99"),
                "urls.toml:3:17: expect_status: 99 is not an HTTP status (100-599)",
            ),
            (
                &check_with("expect_status = [200]"),
                "urls.toml:3:17: invalid type: sequence, expected a status list such as \
                 \"200-299,301\" or a code such as 200",
            ),
            (
                &check_with("max_latency = \"10 parsecs\""),
                "urls.toml:3:15: max_latency: '10 parsecs' is not a duration (unknown time unit \
                 \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, \
                 months, years (and few variations)); try 500ms, 10s or 2m",
            ),
            (
                &check_with("min_cert_days = 1.5"),
                "urls.toml:3:17: invalid type: floating point `1.5`, expected u32",
            ),
            (
                &check_with("expect_body_regex = \"(unclosed\""),
                "urls.toml:3:21: expect_body_regex: '(unclosed' is not a valid regex: \
                 unclosed group",
            ),
            (
                &check_with("reject_body_regex = 'a{2,1}'"),
                "urls.toml:3:21: reject_body_regex: 'a{2,1}' is not a valid regex: invalid \
                 repetition count range, the start must be <= the end",
            ),
            (
                &check_with("expect_header = { \"Content-Type\" = \"[\" }"),
                "urls.toml:3:36: expect_header: '[' is not a valid regex: unclosed character class",
            ),
            (
                &check_with("expect_header = { \"Content Type\" = \"x\" }"),
                "urls.toml:3:19: expect_header: 'Content Type' is not a valid header name",
            ),
            (
                "[[check]]\nurl = \"example.com/health\"\n",
                "urls.toml:2:7: url: missing scheme; did you mean https://example.com/health?",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn the_first_bad_header_in_the_file_is_reported() {
        // The table is held sorted by name; the report must follow the file.
        let text = "[defaults]\nheaders = { Z = \"ok\", \"b a d\" = \"x\", \"a b\" = \"y\" }\n";
        assert_eq!(
            error(text),
            "urls.toml:2:23: headers: 'b a d' is not a valid header name"
        );
    }

    #[test]
    fn toml_syntax_errors_are_one_line_with_a_position() {
        let cases = [
            (
                "[defaults\n",
                "urls.toml:1:10: unclosed table, expected `]`",
            ),
            (
                "[defaults]\nworkers = \n",
                "urls.toml:2:11: string values must be quoted, expected literal string",
            ),
            (
                &check_with("url = \"https://b.test/\""),
                "urls.toml:3:1: duplicate key",
            ),
            (
                // Columns count characters, and a byte-order mark is not one.
                "\u{feff}[defaults]\n\u{e9}\u{e9} = 1 = 2\n",
                "urls.toml:2:8: unexpected key or value, expected newline, `#`",
            ),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert_eq!(message, expected, "for {text:?}");
        }
    }

    #[test]
    fn min_cert_days_on_an_http_check_is_refused_with_its_line() {
        let message = error("[[check]]\nurl = \"http://a.test/\"\nmin_cert_days = 14\n");
        assert!(
            message.starts_with("urls.toml:3:17: min_cert_days: an http:// URL"),
            "{message}"
        );
        parse_ok("[[check]]\nurl = \"https://a.test/\"\nmin_cert_days = 14\n");
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert_eq!(
            error("[[checks]]\nurl = \"https://a.test/\"\n"),
            "urls.toml:1:3: unknown field `checks`, expected `defaults` or `check`"
        );
        assert_eq!(
            error(&check_with("expect_body_contains = \"ok\"")),
            "urls.toml:3:1: unknown field `expect_body_contains`, expected one of `url`, \
             `name`, `method`, `timeout`, `max_redirects`, `headers`, `insecure`, `cacert`, \
             `http1_1`, `http2_prior_knowledge`, `proxy`, `expect_status`, `expect_body`, `expect_body_regex`, \
             `reject_body_regex`, `expect_header`, `max_latency`, `min_cert_days`, `interval`"
        );
        let message = error("[defaults]\nworkers = 2\nmax_concurrency = 2\n");
        assert!(
            message.starts_with(
                "urls.toml:3:1: unknown field `max_concurrency`, expected one of `workers`"
            ),
            "{message}"
        );
        assert!(error("[defaults]\nurl = \"https://a.test/\"\n").contains("unknown field `url`"));
    }

    #[test]
    fn a_check_without_url_is_an_error() {
        assert_eq!(
            error("[[check]]\nurl = \"https://a.test/\"\n\n[[check]]\nexpect_body = \"ok\"\n"),
            "urls.toml:4:1: this [[check]] has no url; add one such as \
             url = \"https://example.com/health\""
        );
    }

    #[test]
    fn a_missing_variable_is_named_at_its_position() {
        let text = EXAMPLE.replace("API_TOKEN", "NO_SUCH_TOKEN");
        assert_eq!(
            error(&text),
            "urls.toml:5:37: environment variable NO_SUCH_TOKEN is not set"
        );
        assert_eq!(
            error("[[check]]\nurl = \"https://${HOST}/${MISSING}\"\n"),
            "urls.toml:2:24: environment variable MISSING is not set"
        );
        // Escapes before it do not shift the column: the same `${` is found.
        assert_eq!(
            error("[defaults]\nuser_agent = \"a\\tb ${MISSING}\"\n"),
            "urls.toml:2:20: environment variable MISSING is not set"
        );
        assert_eq!(
            error("[[check]]\nurl = '''\nhttps://a.test/${MISSING}'''\n"),
            "urls.toml:3:16: environment variable MISSING is not set"
        );
    }

    #[test]
    fn broken_placeholders_are_errors() {
        assert_eq!(
            error("[[check]]\nurl = \"https://a.test/${HOST\"\n"),
            "urls.toml:2:23: '${' is not closed; write ${NAME}"
        );
        assert_eq!(
            error("[defaults]\nheaders = { A = \"${A-B}\" }\n"),
            "urls.toml:2:18: '${A-B}' is not a variable name; use letters, digits and _ \
             (such as ${API_TOKEN})"
        );
        assert!(
            error("[defaults]\nuser_agent = \"${}\"\n").contains("'${}' is not a variable name")
        );
        assert!(error("[defaults]\nuser_agent = \"${1A}\"\n").contains("not a variable name"));
    }

    #[test]
    fn secrets_never_reach_an_error_message() {
        let cases = [
            // Expanded values that are wrong where they end up.
            "[[check]]\nurl = \"${API_TOKEN}\"\n".to_string(),
            "[[check]]\nurl = \"https://a.test/ ${API_TOKEN}\"\n".to_string(),
            "[defaults]\nheaders = { A = \"${BROKEN}\" }\n".to_string(),
            "[defaults]\nuser_agent = \"${BROKEN}\"\n".to_string(),
            // Mistakes after a successful expansion.
            format!(
                "{EXAMPLE}\n[[check]]\nurl = \"https://a.test/?k=${{API_TOKEN}}\"\nmethod = 1\n"
            ),
            format!("{EXAMPLE}\n[[check]]\nurl = \"https://a.test/?k=${{API_TOKEN}}\"\n${{\n"),
            EXAMPLE.replace("min_cert_days = 14", "min_cert_days = \"${API_TOKEN}\""),
        ];
        for text in &cases {
            let message = error(text);
            assert!(!message.contains(SECRET), "{message}");
            assert!(message.starts_with("urls.toml:"), "{message}");
        }
        assert_eq!(
            error(&cases[0]),
            "urls.toml:2:7: url: not a valid http or https URL once its variables are expanded \
             (the expanded URL is not shown, as it may hold a secret)"
        );
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("urls.toml");
        std::fs::write(&path, EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        let config = load(&path, &env).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(config.checks.len(), 1);

        std::fs::write(&path, "[defaults]\nworkers = 0\n").unwrap_or_else(|e| panic!("{e}"));
        let Err(e) = load(&path, &env) else {
            panic!("workers = 0 should be rejected")
        };
        assert_eq!(
            format!("{e:#}"),
            format!(
                "{}:2:11: workers: at least 1 worker is needed",
                path.display()
            )
        );

        let missing = dir.path().join("missing.toml");
        let Err(e) = load(&missing, &env) else {
            panic!("a missing file should be an error")
        };
        let message = format!("{e:#}");
        let prefix = format!("cannot read config file {}: ", missing.display());
        assert!(message.starts_with(&prefix), "{message}");
    }

    #[test]
    fn control_characters_in_messages_are_escaped() {
        let message = error("[defaults]\ntimeout = \"\\u001b[31m\"\n");
        assert!(
            message.starts_with("urls.toml:2:11: timeout: '\\u{1b}[31m'"),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'));
    }
}
