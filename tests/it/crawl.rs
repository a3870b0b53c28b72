//! `--crawl`: depth, scope, cycles, a page with 10,000 links, robots.txt
//! (wildcards, `Allow` over `Disallow`, `Crawl-delay`), and soft 404s: a
//! CMS-like "not found" page with a 200, a single-page app's shell that must
//! not be failed, and a real 404 that must not be called soft; against
//! sites served here.

use std::time::Duration;

use crate::sites::{Site, by_url};
use crate::support::run;

fn html_links(paths: &[String]) -> String {
    let links: String = paths
        .iter()
        .map(|p| format!("<a href=\"{p}\">{p}</a>\n"))
        .collect();
    format!("<html><head><title>Page</title></head><body>\n{links}</body></html>")
}

#[test]
fn a_crawl_reads_each_page_once_to_its_depth_within_its_scope() {
    let site = Site::start();
    let other = Site::start();
    other.html("/", &html_links(&["/never-followed".into()]));
    other.html("/landing", &html_links(&["/off-site".into()]));
    site.html(
        "/",
        &html_links(&[
            "/a".into(),
            "/b".into(),
            other.url("/"),
            "/missing".into(),
            "/moved".into(),
        ]),
    );
    // A page of the site that redirects to another host: checked there,
    // not read.
    site.put("/moved", 301, "text/html", other.url("/landing"));
    // A cycle back to the start, and pages seen twice.
    site.html(
        "/a",
        &html_links(&["/".into(), "/a/deep".into(), "/b".into()]),
    );
    site.html("/b", &html_links(&["/a".into(), "/logo.png".into()]));
    site.html("/a/deep", &html_links(&["/a/deeper".into()]));
    site.html("/a/deeper", &html_links(&["/a/deepest".into()]));
    site.put("/logo.png", 200, "image/png", b"png".to_vec());

    let out = run(&["-f", "jsonl", "--crawl", "2", &site.url("/")], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    for path in ["/", "/a", "/b", "/a/deep", "/a/deeper", "/logo.png"] {
        assert_eq!(records[&site.url(path)]["ok"], true, "{path}: {out:?}");
        assert_eq!(site.hits(path), 1, "{path} requested once");
    }
    assert_eq!(
        records[&site.url("/missing")]["error"],
        "status 404, expected 200-299"
    );
    // Another host: checked, not crawled.
    assert_eq!(records[&other.url("/")]["ok"], true);
    assert_eq!(other.hits("/never-followed"), 0);
    assert_eq!(
        records[&site.url("/moved")]["final_url"],
        other.url("/landing")
    );
    assert_eq!(
        other.hits("/off-site"),
        0,
        "a page that left the scope is not read"
    );
    assert!(
        out.stderr.contains("1 redirected out of scope"),
        "{}",
        out.stderr
    );
    // Depth 2 is read, and what it links to checked, but no deeper.
    assert_eq!(site.hits("/a/deepest"), 0);
    assert_eq!(records.len(), 9, "{out:?}");
    // A page found by crawling names the page it was first found on.
    let deep = &records[&site.url("/a/deep")];
    assert_eq!(deep["source"], site.url("/a"));
    assert!(out.stderr.contains("crawl: "), "{}", out.stderr);

    // --crawl-scope: only under /a/ (the start page is read all the same).
    let out = run(
        &[
            "-f",
            "jsonl",
            "--crawl",
            "--crawl-scope",
            &site.url("/a"),
            &site.url("/"),
        ],
        None,
    );
    let records = by_url(&out.stdout);
    assert!(records.contains_key(&site.url("/a/deepest")), "{out:?}");
    assert_eq!(
        site.hits("/a/deepest"),
        1,
        "unlimited depth within the scope"
    );
    // /b is out of scope: checked, not read, so /logo.png is not found.
    assert_eq!(site.hits("/b"), 2);
    assert!(!records.contains_key(&site.url("/logo.png")), "{out:?}");
}

#[test]
fn a_page_linking_to_10000_pages_that_link_back_is_crawled_once_each() {
    let site = Site::start();
    let pages: Vec<String> = (0..10_000).map(|i| format!("/p/{i}")).collect();
    site.html("/", &html_links(&pages));
    for page in &pages {
        site.html(page, &html_links(&["/".into(), page.clone()]));
    }
    let out = run(&["-f", "jsonl", "-q", "--crawl", &site.url("/")], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let records = by_url(&out.stdout);
    assert_eq!(records.len(), 10_001);
    assert_eq!(site.hits("/"), 1);
    assert!(pages.iter().all(|p| site.hits(p) == 1));
}

#[test]
fn robots_txt_rules_decide_what_is_crawled_and_its_delay_spaces_pages() {
    let site = Site::start();
    // The group for urlcheck applies, not the one for every other agent.
    site.put(
        "/robots.txt",
        200,
        "text/plain",
        "User-agent: *\nDisallow: /\n\n\
         User-agent: urlcheck\nDisallow: /private/\nAllow: /private/open\n\
         Disallow: /*.pdf$\nCrawl-delay: 0.3\n",
    );
    site.html(
        "/",
        &html_links(&[
            "/private/secret".into(),
            "/private/open".into(),
            "/report.pdf".into(),
            "/ok".into(),
        ]),
    );
    site.html("/private/secret", &html_links(&["/hidden".into()]));
    site.html("/private/open", &html_links(&["/visible".into()]));
    site.put(
        "/report.pdf",
        200,
        "text/html",
        html_links(&["/in-pdf".into()]),
    );
    site.html("/ok", "<html><body>ok</body></html>");
    site.html("/visible", "<html><body>visible</body></html>");
    site.html("/hidden", "<html><body>hidden</body></html>");
    site.html("/in-pdf", "<html><body>in the pdf</body></html>");

    let out = run(&["-f", "jsonl", "--crawl", &site.url("/")], None);
    assert_eq!(site.hits("/robots.txt"), 1);
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = by_url(&out.stdout);
    // Disallowed: checked once, not read for links.
    assert_eq!(site.hits("/private/secret"), 1);
    assert_eq!(records[&site.url("/private/secret")]["ok"], true);
    assert_eq!(site.hits("/hidden"), 0);
    assert_eq!(site.hits("/report.pdf"), 1);
    assert_eq!(site.hits("/in-pdf"), 0);
    // Allow wins over the shorter Disallow.
    assert_eq!(site.hits("/visible"), 1);
    assert!(
        out.stderr
            .contains("2 not crawled, disallowed by robots.txt"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Crawl-delay"), "{}", out.stderr);
    // The pages crawled after the first are spaced by the delay.
    let mut crawled: Vec<std::time::Instant> = ["/private/open", "/ok", "/visible"]
        .iter()
        .flat_map(|p| site.arrivals(p))
        .collect();
    crawled.sort();
    for pair in crawled.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(250),
            "{:?}",
            pair[1] - pair[0]
        );
    }

    // --ignore-robots: everything is crawled.
    let out = run(
        &["-f", "jsonl", "--crawl", "--ignore-robots", &site.url("/")],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(site.hits("/hidden"), 1);
    assert_eq!(site.hits("/in-pdf"), 1);
}

/// A CMS's "not found" page: its site's template, a 200.
fn cms_page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title} | Example News</title>\
         <style>body {{ font-family: serif }}</style></head><body>\
         <header><a href=\"/\">Example News</a><nav><a href=\"/world\">World</a> \
         <a href=\"/business\">Business</a> <a href=\"/sport\">Sport</a> \
         <a href=\"/culture\">Culture</a></nav></header>\
         <main>{main}</main><footer>Example News Ltd. Registered in England. \
         Contact us, privacy policy, terms of use.</footer></body></html>"
    )
}

#[test]
fn a_200_that_says_not_found_is_a_soft_404_and_a_real_404_is_not() {
    let site = Site::start();
    site.otherwise(
        200,
        &cms_page(
            "Page not found",
            "<h1>Sorry, we could not find that page</h1><p>The address may be \
             mistyped, or the page may have moved. Try the search box.</p>",
        ),
    );
    site.html(
        "/",
        &cms_page(
            "Home",
            "<h1>Today</h1><a href=\"/world/story-1\">A story</a> \
             <a href=\"/world/deleted-story\">An old story</a> \
             <a href=\"/gone\">Gone</a>",
        ),
    );
    site.html(
        "/world/story-1",
        &cms_page(
            "A story",
            "<h1>A story</h1><p>Something happened somewhere today, and people \
             talked about it at length in several places.</p>",
        ),
    );
    site.put("/gone", 404, "text/html", "<h1>Not found</h1>");
    for path in ["/world", "/business", "/sport", "/culture"] {
        site.html(
            path,
            &cms_page(path, "<h1>A section</h1><p>Its stories.</p>"),
        );
    }

    let out = run(&["-f", "jsonl", "--links", &site.url("/")], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    let soft = &records[&site.url("/world/deleted-story")];
    assert_eq!(soft["error_kind"], "soft_404", "{soft}");
    assert_eq!(soft["status"], 200);
    let message = soft["error"].as_str().unwrap();
    assert!(
        message.contains("% alike") && message.contains("Page not found"),
        "{message}"
    );
    assert_eq!(records[&site.url("/world/story-1")]["ok"], true);
    assert_eq!(records[&site.url("/")]["ok"], true);
    // A real 404 is a status failure, not a soft one.
    assert_eq!(records[&site.url("/gone")]["error_kind"], "status");
    let failed: Vec<&str> = records
        .values()
        .filter(|r| r["ok"] == false)
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");

    // --soft-404=false turns it off.
    let out = run(
        &["-f", "jsonl", "--links", "--soft-404=false", &site.url("/")],
        None,
    );
    let records = by_url(&out.stdout);
    assert_eq!(records[&site.url("/world/deleted-story")]["ok"], true);
}

#[test]
fn a_single_page_app_that_answers_every_path_with_its_shell_is_not_failed() {
    let site = Site::start();
    let shell = "<!doctype html><html><head><title>My App</title>\
                 <script src=\"/app.js\"></script></head>\
                 <body><div id=\"root\">Loading the app...</div>\
                 <a href=\"/settings\">Settings</a> <a href=\"/no-such-route\">Old</a></body></html>";
    site.otherwise(200, shell);
    site.html("/", shell);
    site.put("/app.js", 200, "text/javascript", "render()".to_string());
    let out = run(&["-f", "jsonl", "--crawl", &site.url("/")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = by_url(&out.stdout);
    assert!(records.values().all(|r| r["ok"] == true), "{out:?}");
    assert_eq!(
        out.stderr
            .matches("answers every path with the same page")
            .count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn a_crawl_cannot_be_sharded_and_its_scope_needs_it() {
    let out = run(&["--crawl", "--shard", "1/2", "https://a.test/"], None);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("each shard would crawl the whole site"),
        "{}",
        out.stderr
    );
    let out = run(
        &["--crawl-scope", "https://a.test/", "https://a.test/"],
        None,
    );
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("give --crawl too"), "{}", out.stderr);
}

#[test]
fn a_stop_records_every_page_found_and_not_read_once() {
    let site = Site::start();
    // One page links to 30 pages that hang, each of which would link on.
    let pages: Vec<String> = (0..30).map(|i| format!("/hang/{i}")).collect();
    site.html("/", &html_links(&pages));
    let out = run(
        &[
            "-f",
            "jsonl",
            "-w",
            "2",
            "--crawl",
            "--deadline",
            "2s",
            &site.url("/"),
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = by_url(&out.stdout);
    assert_eq!(records[&site.url("/")]["ok"], true);
    for page in &pages {
        let record = &records[&site.url(page)];
        assert_eq!(record["error_kind"], "interrupted", "{record}");
        assert_eq!(record["source"], site.url("/"), "{record}");
    }
    assert_eq!(records.len(), 31, "{out:?}");
}
