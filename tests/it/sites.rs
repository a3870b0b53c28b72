//! Sites: sitemaps (indexes, gzip, robots.txt, broken ones), the links on
//! pages (`--links`), documents (Markdown, HTML, local files, fragments),
//! `--include`/`--exclude` and `--dry-run`, against sites served here.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::support::run;

/// A page: status, content type and body.
type Page = (u16, &'static str, Vec<u8>);
type Pages = Arc<Mutex<HashMap<String, Page>>>;

/// A site served from a map of paths, filled after it starts (its pages
/// name its own address). Stopped when dropped.
pub(crate) struct Site {
    pub(crate) addr: SocketAddr,
    pages: Pages,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// What a path not in `pages` gets: a plain 404 unless set.
    otherwise: Arc<Mutex<Option<Page>>>,
    /// Each request's path and when it came.
    arrivals: Arc<Mutex<Vec<(String, std::time::Instant)>>>,
    runtime: Option<Runtime>,
}

impl Site {
    pub(crate) fn start() -> Self {
        let runtime = Runtime::new().unwrap();
        let pages: Pages = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let otherwise: Arc<Mutex<Option<Page>>> = Arc::default();
        let arrivals: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(serve).with_state(SiteState {
            pages: pages.clone(),
            hits: hits.clone(),
            otherwise: otherwise.clone(),
            arrivals: arrivals.clone(),
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Site {
            addr,
            pages,
            hits,
            otherwise,
            arrivals,
            runtime: Some(runtime),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn put(
        &self,
        path: &str,
        status: u16,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
    ) {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_string(), (status, content_type, body.into()));
    }

    pub(crate) fn html(&self, path: &str, body: &str) {
        self.put(path, 200, "text/html; charset=utf-8", body);
    }

    /// Every path not put gets this HTML page with this status.
    pub(crate) fn otherwise(&self, status: u16, body: &str) {
        *self.otherwise.lock().unwrap() = Some((status, "text/html; charset=utf-8", body.into()));
    }

    pub(crate) fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// When each request for `path` came.
    pub(crate) fn arrivals(&self, path: &str) -> Vec<std::time::Instant> {
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, at)| *at)
            .collect()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[derive(Clone)]
struct SiteState {
    pages: Pages,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    otherwise: Arc<Mutex<Option<Page>>>,
    arrivals: Arc<Mutex<Vec<(String, std::time::Instant)>>>,
}

async fn serve(State(site): State<SiteState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    *site.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    site.arrivals
        .lock()
        .unwrap()
        .push((path.clone(), std::time::Instant::now()));
    if path.starts_with("/hang/") {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
    if path.starts_with("/slow/") {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    let page = site.pages.lock().unwrap().get(&path).cloned();
    let page = page.or_else(|| site.otherwise.lock().unwrap().clone());
    match page {
        // A redirect's body is where it goes.
        Some((status, _, body)) if (300..400).contains(&status) => (
            StatusCode::from_u16(status).unwrap(),
            [(header::LOCATION, String::from_utf8(body).unwrap())],
        )
            .into_response(),
        Some((status, content_type, body)) => (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, content_type)],
            body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html")],
            "<h1>Not found</h1>",
        )
            .into_response(),
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn urlset(urls: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str(&format!("  <url><loc>{url}</loc></url>\n"));
    }
    xml.push_str("</urlset>\n");
    xml
}

fn index(urls: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str(&format!("  <sitemap><loc>{url}</loc></sitemap>\n"));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// The records by URL; each URL must have exactly one.
pub(crate) fn by_url(stdout: &str) -> HashMap<String, Value> {
    let mut records = HashMap::new();
    for line in stdout.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let url = record["url"].as_str().unwrap().to_string();
        assert!(
            records.insert(url.clone(), record).is_none(),
            "two records for {url}:\n{stdout}"
        );
    }
    records
}

#[test]
fn a_sitemap_index_with_a_gzipped_child_a_loop_and_broken_children() {
    let site = Site::start();
    let pages: Vec<String> = (1..=3).map(|i| site.url(&format!("/p{i}"))).collect();
    for i in 1..=3 {
        site.html(&format!("/p{i}"), "<p>ok</p>");
    }
    site.put("/a.xml", 200, "application/xml", urlset(&pages[..2]));
    site.put(
        "/b.xml.gz",
        200,
        "application/gzip",
        gzip(urlset(&[pages[2].clone(), site.url("/gone")]).as_bytes()),
    );
    site.put(
        "/html.xml",
        200,
        "text/html",
        "<html><body>not a sitemap</body></html>",
    );
    site.put("/cut.xml.gz", 200, "application/gzip", {
        let mut cut = gzip(urlset(&pages).as_bytes());
        cut.truncate(cut.len() / 2);
        cut
    });
    // The index names itself, its children, a missing one and the others.
    let children = [
        site.url("/a.xml"),
        site.url("/b.xml.gz"),
        site.url("/index.xml"),
        site.url("/missing.xml"),
        site.url("/html.xml"),
        site.url("/cut.xml.gz"),
    ];
    site.put("/index.xml", 200, "application/xml", index(&children));
    let out = run(&["-f", "jsonl", "--sitemap", &site.url("/index.xml")], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    for page in &pages {
        assert_eq!(records[page]["ok"], true, "{page}");
        assert_eq!(records[page]["occurrences"], 1);
        assert!(records[page]["column"].is_null());
    }
    // Each page's source is its sitemap, its line the line of its <loc>.
    assert_eq!(records[&pages[0]]["source"], site.url("/a.xml"));
    assert_eq!(records[&pages[0]]["line"], 3);
    assert_eq!(records[&pages[1]]["line"], 4);
    assert_eq!(records[&pages[2]]["source"], site.url("/b.xml.gz"));
    assert_eq!(records[&site.url("/gone")]["error_kind"], "status");
    // Broken sitemaps: a record each, located where the index names them.
    let missing = &records[&site.url("/missing.xml")];
    assert_eq!(missing["error_kind"], "sitemap");
    assert_eq!(missing["error"], "status 404");
    assert_eq!(missing["source"], site.url("/index.xml"));
    assert_eq!(missing["line"], 6);
    let html = &records[&site.url("/html.xml")];
    assert_eq!(html["error_kind"], "sitemap");
    assert!(html["error"].as_str().unwrap().contains("html"), "{html}");
    assert_eq!(records[&site.url("/cut.xml.gz")]["error_kind"], "sitemap");
    // The loop: the index is read once.
    assert_eq!(site.hits("/index.xml"), 1);
    assert!(out.stderr.contains("sitemaps: "), "{}", out.stderr);
}

#[test]
fn a_site_root_finds_its_sitemaps_through_robots_txt_then_sitemap_xml() {
    let site = Site::start();
    site.html("/from-robots", "ok");
    site.put(
        "/maps/one.xml",
        200,
        "text/xml",
        urlset(&[site.url("/from-robots")]),
    );
    site.put(
        "/robots.txt",
        200,
        "text/plain",
        format!(
            "User-agent: *\nDisallow: /private\n\nsitemap: {} # the map\n",
            site.url("/maps/one.xml")
        ),
    );
    let out = run(&["-f", "jsonl", "--sitemap", &site.url("/")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = by_url(&out.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[&site.url("/from-robots")]["source"],
        site.url("/maps/one.xml")
    );

    let bare = Site::start();
    bare.html("/page", "ok");
    bare.put(
        "/sitemap.xml",
        200,
        "application/xml",
        urlset(&[bare.url("/page")]),
    );
    let out = run(&["-f", "jsonl", "--sitemap", &bare.url("/")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        by_url(&out.stdout)[&bare.url("/page")]["source"],
        bare.url("/sitemap.xml")
    );

    let none = Site::start();
    let out = run(&["-f", "jsonl", "--sitemap", &none.url("/")], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = &by_url(&out.stdout)[&none.url("/sitemap.xml")];
    assert_eq!(record["error_kind"], "sitemap");
}

#[test]
fn links_of_every_kind_are_checked_once_each_with_every_place() {
    let site = Site::start();
    let page = format!(
        r#"<!doctype html>
<html><head>
<base href="/sub/">
<link rel="stylesheet" href="style.css">
<link rel="icon" href="/favicon.ico">
<script src="app.js"></script>
<meta http-equiv="refresh" content="30; url=/refreshed">
</head><body>
<a href="page">relative to base</a> <a href="page">twice</a>
<img src="img.png" srcset="img-2x.png 2x, /img-3x.png 3x">
<picture><source srcset="/pic.webp"></picture>
<iframe src="/frame"></iframe>
<video src="/v.mp4" poster="/poster.jpg"></video>
<audio src="/a.mp3"></audio>
<object data="/obj"></object>
<map><area href="/area"></map>
<a href="mailto:someone@example.com">mail</a> <a href="tel:+123">call</a>
<a href="javascript:void(0)">js</a> <img src="data:image/png;base64,AAAA">
<a href="{}">out</a>
<a href="/broken">broken</a>
<!-- <a href="/commented">no</a> -->
</body></html>
"#,
        "http://127.0.0.1:9/other-host"
    );
    site.html("/", &page);
    site.html(
        "/second",
        r#"<a href="/broken">again</a> <a href="/">home</a>"#,
    );
    // Every link of the page, as resolved against its <base href>.
    let assets = [
        "/sub/style.css",
        "/favicon.ico",
        "/sub/app.js",
        "/refreshed",
        "/sub/page",
        "/sub/img.png",
        "/sub/img-2x.png",
        "/img-3x.png",
        "/pic.webp",
        "/frame",
        "/v.mp4",
        "/poster.jpg",
        "/a.mp3",
        "/obj",
        "/area",
    ];
    for path in assets {
        site.put(path, 200, "application/octet-stream", "x");
    }
    let (_dir, list) =
        crate::support::url_file(&format!("{}\n{}\n", site.url("/"), site.url("/second")));
    let out = run(&["-f", "jsonl", "--links", &list], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    for path in assets {
        let record = &records[&site.url(path)];
        assert_eq!(record["ok"], true, "{path}: {record}");
        assert_eq!(record["source"], site.url("/"), "{path}");
        assert!(record["column"].as_u64().is_some(), "{path}");
        assert_eq!(site.hits(path), 1, "{path} checked once");
    }
    assert_eq!(records[&site.url("/sub/page")]["occurrences"], 2);
    // The broken link: one record, both pages located.
    let broken = &records[&site.url("/broken")];
    assert_eq!(broken["error_kind"], "status");
    assert_eq!(broken["occurrences"], 2);
    assert_eq!(broken["source"], site.url("/"));
    assert_eq!(broken["line"], 20);
    assert_eq!(site.hits("/broken"), 1);
    // A link to a page checked anyway is not checked again; the comment's
    // link is not a link; the other host is.
    assert_eq!(site.hits("/"), 1);
    assert!(!records.contains_key(&site.url("/commented")));
    assert_eq!(
        records["http://127.0.0.1:9/other-host"]["error_kind"],
        "connect"
    );
    // Two list lines, 17 distinct links.
    assert_eq!(records.len(), 2 + 17, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("links not checked: 1 mailto:, 1 tel:, 1 javascript:, 1 data:"),
        "{}",
        out.stderr
    );

    // Human output: the broken link, with the pages that link to it.
    let human = run(&["--links", &list], None);
    assert!(
        human.stdout.contains("linked from 2 places:"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(&format!("{}:20:", site.url("/"))),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains(&format!("{}:1:", site.url("/second"))),
        "{}",
        human.stdout
    );

    // --links internal: the other host is left out.
    let internal = run(&["-f", "jsonl", "--links", "internal", &list], None);
    assert!(!by_url(&internal.stdout).contains_key("http://127.0.0.1:9/other-host"));
    assert!(
        internal.stderr.contains("1 to other hosts"),
        "{}",
        internal.stderr
    );
}

#[test]
fn markdown_and_html_documents_give_their_links_and_local_files() {
    let site = Site::start();
    site.html("/guide", r#"<h2 id="install">Install</h2>"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/there.md"),
        "# Title\n\n## Getting Started\n",
    )
    .unwrap();
    let readme = format!(
        "# Read me\n\
         \n\
         An [inline link]({guide}) and a [reference][ref].\n\
         An autolink <{ok}> and a bare URL {bare} in text.\n\
         `{code}` is code, not a link.\n\
         <a href=\"{html}\">raw HTML</a>\n\
         A [local file](docs/there.md), a [missing one](docs/gone.md),\n\
         [a heading](docs/there.md#getting-started), [no heading](docs/there.md#nope),\n\
         [the guide's anchor]({guide}#install), [a missing anchor]({guide}#nowhere).\n\
         [mail](mailto:a@b.c)\n\
         \n\
         [ref]: {reference}\n",
        guide = site.url("/guide"),
        ok = site.url("/auto"),
        bare = site.url("/bare"),
        code = site.url("/code"),
        html = site.url("/raw"),
        reference = site.url("/ref"),
    );
    std::fs::write(dir.path().join("README.md"), &readme).unwrap();
    for path in ["/auto", "/bare", "/raw", "/ref"] {
        site.put(path, 200, "text/plain", "ok");
    }
    let readme_path = dir.path().join("README.md");
    let readme_path = readme_path.to_str().unwrap();
    let out = run(&["-f", "jsonl", "--check-fragments", readme_path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    let inline = &records[&site.url("/guide")];
    assert_eq!(inline["ok"], true);
    assert_eq!(
        (
            inline["source"].as_str(),
            inline["line"].as_u64(),
            inline["column"].as_u64()
        ),
        (Some(readme_path), Some(3), Some(18))
    );
    assert_eq!(records[&site.url("/ref")]["ok"], true);
    assert_eq!(records[&site.url("/auto")]["line"], 4);
    assert_eq!(records[&site.url("/bare")]["line"], 4);
    assert_eq!(records[&site.url("/raw")]["line"], 6);
    assert!(!records.contains_key(&site.url("/code")));
    let local = |name: &str| {
        let path = std::fs::canonicalize(dir.path()).unwrap().join(name);
        let url = reqwest_like_file_url(&path);
        records
            .iter()
            .find(|(u, _)| **u == url)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no record for {url} in {}", out.stdout))
    };
    assert_eq!(local("docs/there.md")["ok"], true);
    let gone = local("docs/gone.md");
    assert_eq!(gone["error_kind"], "file");
    assert_eq!(gone["line"], 7);
    assert_eq!(local("docs/there.md#getting-started")["ok"], true);
    assert_eq!(local("docs/there.md#nope")["error_kind"], "fragment");
    assert_eq!(
        records[&format!("{}#install", site.url("/guide"))]["ok"],
        true
    );
    assert_eq!(
        records[&format!("{}#nowhere", site.url("/guide"))]["error_kind"],
        "fragment"
    );
    assert!(out.stderr.contains("1 mailto:"), "{}", out.stderr);

    // --base-url: relative links are the site's pages, not files.
    let (base_dir, _) = (tempfile::tempdir().unwrap(), ());
    std::fs::write(
        base_dir.path().join("index.html"),
        r#"<a href="guide">guide</a> <a href="/auto">auto</a>"#,
    )
    .unwrap();
    let out = crate::support::urlcheck()
        .current_dir(base_dir.path())
        .args(["-f", "jsonl", "--base-url", &site.url("/"), "index.html"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records = by_url(&stdout);
    assert_eq!(records[&site.url("/guide")]["ok"], true, "{stdout}");
    assert_eq!(records[&site.url("/auto")]["source"], "index.html");
}

/// The `file://` URL of an absolute path, as the url crate writes it.
fn reqwest_like_file_url(path: &std::path::Path) -> String {
    let (path, fragment) = match path.to_str().unwrap().split_once('#') {
        Some((path, fragment)) => (path.to_string(), Some(fragment.to_string())),
        None => (path.to_str().unwrap().to_string(), None),
    };
    let mut url = format!("file://{}", path.replace(' ', "%20"));
    if let Some(fragment) = fragment {
        url = format!("{url}#{fragment}");
    }
    url
}

#[test]
fn include_exclude_and_dry_run() {
    let site = Site::start();
    site.put(
        "/sitemap.xml",
        200,
        "application/xml",
        urlset(&[site.url("/a"), site.url("/b"), site.url("/private/c")]),
    );
    site.html("/a", "ok");
    site.html("/b", "ok");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--sitemap",
            &site.url("/sitemap.xml"),
            "--exclude",
            "/private/",
            "--include",
            "/(a|private)",
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = by_url(&out.stdout);
    assert_eq!(
        records.keys().cloned().collect::<Vec<_>>(),
        [site.url("/a")]
    );
    assert!(out.stderr.contains("excluded: 2 URLs"), "{}", out.stderr);
    assert_eq!(site.hits("/private/c") + site.hits("/b"), 0);

    let dry = run(&["--dry-run", "--sitemap", &site.url("/sitemap.xml")], None);
    assert_eq!(dry.code, Some(0), "{dry:?}");
    assert_eq!(
        dry.stdout,
        format!(
            "{}\t{sitemap}:3\n{}\t{sitemap}:4\n{}\t{sitemap}:5\n",
            site.url("/a"),
            site.url("/b"),
            site.url("/private/c"),
            sitemap = site.url("/sitemap.xml")
        )
    );
    assert_eq!(site.hits("/a"), 1, "a dry run checks nothing");
    assert!(
        dry.stderr.contains("Dry run: 3 URLs listed"),
        "{}",
        dry.stderr
    );
}

/// Run with `args`, watching the process's peak RSS (VmHWM) as it goes.
fn run_measured(args: &[&str]) -> (crate::support::Run, u64) {
    let mut child = crate::support::urlcheck()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let run = crate::support::Run {
        code: out.status.code(),
        stdout: reader.join().unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    (run, peak)
}

#[test]
fn one_worker_checks_pages_with_100000_links_in_all() {
    // 100 pages, 1,000 links each, 10,000 distinct: the links found wait
    // in the frontier, and one worker gets through them all.
    let site = Site::start();
    let mut list = String::new();
    for p in 0..100 {
        let mut html = String::new();
        for l in 0..1_000 {
            html.push_str(&format!(
                "<a href=\"/l/{}\">x</a>\n",
                (p * 100 + l) % 10_000
            ));
        }
        site.html(&format!("/page/{p}"), &html);
        list.push_str(&format!("{}\n", site.url(&format!("/page/{p}"))));
    }
    let (_dir, list_file) = crate::support::url_file(&list);
    let (out, peak_kib) = run_measured(&[
        "-f",
        "jsonl",
        "-w",
        "1",
        "--links",
        "--only-failures",
        &list_file,
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    eprintln!("peak RSS: {peak_kib} KiB");
    // docs/sites.md: about 40 bytes per place and 100 per URL waiting, on
    // top of a debug build's 20-odd MB.
    assert!(peak_kib < 100 * 1024, "peak RSS {peak_kib} KiB");
    // Every link answers 404 (the site has no /l/ pages): 10,000 records.
    let records = by_url(&out.stdout);
    assert_eq!(records.len(), 10_000);
    assert!(
        records.values().all(|r| r["occurrences"] == 10),
        "each named 10 times"
    );
    assert!(
        out.stderr
            .contains("links: 100000 found in 100 pages, 10000 distinct URLs"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_stop_records_every_link_found_and_not_checked_once() {
    let site = Site::start();
    let mut page = String::new();
    for i in 0..20 {
        // Each link twice: one record each all the same.
        page.push_str(&format!(
            "<a href=\"/hang/{i}\">a</a> <img src=\"/hang/{i}\">\n"
        ));
    }
    site.html("/", &page);
    let out = run(
        &[
            "-f",
            "jsonl",
            "-w",
            "1",
            "--links",
            "--deadline",
            "2s",
            &site.url("/"),
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    assert_eq!(records[&site.url("/")]["ok"], true);
    for i in 0..20 {
        let record = &records[&site.url(&format!("/hang/{i}"))];
        assert_eq!(record["error_kind"], "interrupted", "{record}");
        assert_eq!(record["occurrences"], 2);
        assert_eq!(record["line"], i + 1);
    }
    assert_eq!(records.len(), 21);
    assert!(out.stderr.contains("20 not checked"), "{}", out.stderr);
}

#[test]
fn ctrl_c_while_a_page_is_read_still_records_the_links_it_finds() {
    let site = Site::start();
    let links: String = (0..5)
        .map(|i| format!("<a href=\"/l/{i}\">l</a>\n"))
        .collect();
    site.html("/slow/page", &links);
    let child = crate::support::urlcheck()
        .args([
            "-f",
            "jsonl",
            "--links",
            "--shutdown-timeout",
            "10s",
            &site.url("/slow/page"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The page is in flight (it answers after 1.5 s): stop now.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while site.hits("/slow/page") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the page was never requested"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records = by_url(&stdout);
    // The page finished within the grace period; its links were found
    // after the stop, and each is recorded as not checked.
    assert_eq!(records[&site.url("/slow/page")]["ok"], true, "{stdout}");
    for i in 0..5 {
        assert_eq!(
            records[&site.url(&format!("/l/{i}"))]["error_kind"],
            "interrupted"
        );
    }
    assert_eq!(records.len(), 6);
}

/// Run with `args` in `dir`, failing (not hanging) past 60 s.
fn run_within_a_minute(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = crate::support::urlcheck()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("urlcheck {args:?} did not finish within a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_document_with_nothing_to_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notes.md"),
        "# Notes\n\nSee [below](#notes).\n",
    )
    .unwrap();
    let (code, stdout, stderr) =
        run_within_a_minute(dir.path(), &["--check-fragments", "notes.md"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("Summary: 0 URLs"), "{stderr}");
}

#[test]
fn many_local_files_and_a_dry_run_of_one_host_take_no_host_slots() {
    // A site run is limited to 8 checks per host: local files and a dry
    // run make no request, and must not wait for a slot they never free.
    let dir = tempfile::tempdir().unwrap();
    let mut doc = String::new();
    for i in 0..30 {
        std::fs::write(dir.path().join(format!("f{i}.md")), "# F\n").unwrap();
        doc.push_str(&format!("[f{i}](f{i}.md) [web](http://127.0.0.1:9/p{i})\n"));
    }
    std::fs::write(dir.path().join("index.md"), &doc).unwrap();
    let (code, stdout, stderr) = run_within_a_minute(dir.path(), &["--dry-run", "index.md"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 60);
    assert!(
        stdout.lines().all(|l| l.contains("\tindex.md:")),
        "{stdout}"
    );
    let (_, stdout, stderr) = run_within_a_minute(
        dir.path(),
        &["-f", "jsonl", "--exclude", "127.0.0.1:9", "index.md"],
    );
    let records = by_url(&stdout);
    assert_eq!(records.len(), 30, "{stderr}");
    assert!(records.values().all(|r| r["ok"] == true), "{stdout}");
}

#[test]
fn shards_of_a_links_run_record_each_page_and_link_once_between_them() {
    let site = Site::start();
    let mut list = String::new();
    for p in 0..10 {
        let links: String = (0..10)
            .map(|l| format!("<a href=\"/l/{}\">x</a>\n", (p + l) % 15))
            .collect();
        site.html(&format!("/p/{p}"), &links);
        list.push_str(&format!("{}\n", site.url(&format!("/p/{p}"))));
    }
    for l in 0..15 {
        site.put(&format!("/l/{l}"), 200, "text/plain", "ok");
    }
    let (_dir, list) = crate::support::url_file(&list);
    let whole = by_url(&run(&["-f", "jsonl", "--links", &list], None).stdout);
    assert_eq!(whole.len(), 10 + 15);
    let mut merged: HashMap<String, Value> = HashMap::new();
    for shard in ["1/2", "2/2"] {
        let out = run(&["-f", "jsonl", "--links", "--shard", shard, &list], None);
        assert_eq!(out.code, Some(0), "{out:?}");
        for (url, record) in by_url(&out.stdout) {
            assert!(
                merged.insert(url.clone(), record).is_none(),
                "{url} in two shards"
            );
        }
    }
    let mut urls: Vec<&String> = merged.keys().collect();
    urls.sort();
    let mut expected: Vec<&String> = whole.keys().collect();
    expected.sort();
    assert_eq!(urls, expected);
    // A link's places are every page's, whichever shard checked it.
    for (url, record) in &whole {
        assert_eq!(merged[url]["occurrences"], record["occurrences"], "{url}");
    }
}
