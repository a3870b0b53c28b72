//! Sitemaps read as a stream: a `<urlset>` or `<sitemapindex>` yields its
//! `<loc>`s one at a time, with the line each is on, and the document is
//! never held (quick-xml reads one event into a buffer that is cleared
//! after it, and no event may be longer than `MAX_TOKEN_BYTES`). Also the
//! `Sitemap:` lines of a robots.txt.
//!
//! A gzipped sitemap is the caller's to decode: any `AsyncBufRead` will do.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, Event};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// A `<loc>` longer than this is an error for its entry (the sitemaps
/// protocol allows 2,048 characters).
pub(crate) const MAX_LOC_BYTES: usize = 8 * 1024;

/// No tag, text, comment or CDATA section may be longer than this: past
/// it the sitemap is refused, rather than held in memory.
pub(crate) const MAX_TOKEN_BYTES: usize = 1024 * 1024;

/// Elements nested deeper than this (a sitemap has four levels) refuse the
/// sitemap: the XML reader keeps the name of every open element.
const MAX_DEPTH: usize = 32;

/// What a sitemap lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `<urlset>`: pages.
    UrlSet,
    /// `<sitemapindex>`: more sitemaps.
    Index,
}

/// One `<url>` or `<sitemap>` of a sitemap: its `<loc>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The location, entities decoded, surrounding whitespace trimmed.
    pub(crate) loc: String,
    /// The 1-based line of the `<loc>` element.
    pub(crate) line: u64,
}

/// Why a sitemap, or one of its entries, could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SitemapError {
    /// The root element is not `<urlset>` or `<sitemapindex>`; `found` says
    /// what it is (`<html>`) or that there is none.
    NotASitemap { found: String, line: u64 },
    /// Not well-formed XML, or a document that ends too early.
    Syntax { message: String, line: u64 },
    /// A `<loc>` over `MAX_LOC_BYTES`: the next entry can still be read.
    LocTooLong { line: u64 },
    /// A token over `MAX_TOKEN_BYTES`, or elements nested too deep.
    TooLarge { what: &'static str, line: u64 },
    /// The input could not be read.
    Read { message: String, line: u64 },
}

impl SitemapError {
    /// Whether the sitemap can be read no further (every error but a long
    /// `<loc>`); after one, `next` returns `Ok(None)`.
    pub(crate) fn is_fatal(&self) -> bool {
        !matches!(self, SitemapError::LocTooLong { .. })
    }

    /// The line the error was found on.
    pub(crate) fn line(&self) -> u64 {
        match self {
            SitemapError::NotASitemap { line, .. }
            | SitemapError::Syntax { line, .. }
            | SitemapError::LocTooLong { line }
            | SitemapError::TooLarge { line, .. }
            | SitemapError::Read { line, .. } => *line,
        }
    }
}

impl fmt::Display for SitemapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SitemapError::NotASitemap { found, line } => write!(
                f,
                "not a sitemap: {found} at line {line}, \
                 where a sitemap has <urlset> or <sitemapindex>"
            ),
            SitemapError::Syntax { message, line } => {
                write!(f, "sitemap XML is broken at line {line}: {message}")
            }
            SitemapError::LocTooLong { line } => write!(
                f,
                "the <loc> at line {line} is longer than {} KiB",
                MAX_LOC_BYTES / 1024
            ),
            SitemapError::TooLarge { what, line } => {
                write!(f, "sitemap refused at line {line}: {what}")
            }
            SitemapError::Read { message, line } => {
                write!(f, "cannot read the sitemap at line {line}: {message}")
            }
        }
    }
}

impl std::error::Error for SitemapError {}

/// Reads the entries of one sitemap from `R`, one at a time.
pub(crate) struct SitemapReader<R> {
    reader: Reader<Counted<R>>,
    /// quick-xml's buffer: one event's bytes, cleared after each.
    buf: Vec<u8>,
    kind: Option<Kind>,
    /// Open elements, the root counted.
    depth: usize,
    /// Whether the open element at depth 2 is a `<url>` (or a `<sitemap>`
    /// in an index), whose `<loc>` is an entry.
    in_entry: bool,
    /// The entry `<loc>` being read.
    loc: Option<Loc>,
    done: bool,
}

struct Loc {
    text: String,
    line: u64,
    too_long: bool,
}

impl Loc {
    fn push(&mut self, piece: &str) {
        if self.text.len() + piece.len() > MAX_LOC_BYTES {
            self.too_long = true;
        } else {
            self.text.push_str(piece);
        }
    }
}

impl<R: AsyncBufRead + Unpin> SitemapReader<R> {
    pub(crate) fn new(input: R) -> Self {
        let mut reader = Reader::from_reader(Counted::new(input));
        let config = reader.config_mut();
        // A raw `&` in a URL is common in sitemaps written by hand.
        config.allow_dangling_amp = true;
        config.check_end_names = true;
        config.trim_text(false);
        SitemapReader {
            reader,
            buf: Vec::new(),
            kind: None,
            depth: 0,
            in_entry: false,
            loc: None,
            done: false,
        }
    }

    /// What the sitemap lists, known once its root element has been read
    /// (by the first call of `next`).
    pub(crate) fn kind(&self) -> Option<Kind> {
        self.kind
    }

    /// The next entry; `Ok(None)` at the end of the sitemap, and after a
    /// fatal error.
    pub(crate) async fn next(&mut self) -> Result<Option<Entry>, SitemapError> {
        if self.done {
            return Ok(None);
        }
        let next = self.read_entry().await;
        if let Err(e) = &next
            && e.is_fatal()
        {
            self.done = true;
        }
        next
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().line()
    }

    async fn read_entry(&mut self) -> Result<Option<Entry>, SitemapError> {
        loop {
            self.buf.clear();
            self.reader.get_mut().start_token();
            // Where the event starts: quick-xml consumes no byte past an
            // event, so the text before a tag has been consumed up to `<`.
            let line = self.line();
            let event = match self.reader.read_event_into_async(&mut self.buf).await {
                Ok(event) => event,
                Err(e) => return Err(self.read_error(e)),
            };
            match event {
                Event::Start(start) => {
                    let name = start.local_name();
                    let name = name.as_ref();
                    let depth = self.depth;
                    self.depth += 1;
                    if depth == 0 {
                        self.kind = Some(root_kind(name, line)?);
                    } else if self.depth > MAX_DEPTH {
                        return Err(SitemapError::TooLarge {
                            what: "elements nested more than 32 deep",
                            line,
                        });
                    } else if depth == 1 {
                        self.in_entry = name == entry_name(self.kind);
                    } else if depth == 2 && self.in_entry && name == "loc" {
                        self.loc = Some(Loc {
                            text: String::new(),
                            line,
                            too_long: false,
                        });
                    }
                }
                Event::Empty(empty) => {
                    let name = empty.local_name();
                    let name = name.as_ref();
                    if self.depth == 0 {
                        self.kind = Some(root_kind(name, line)?);
                        self.done = true;
                        return Ok(None);
                    }
                    if self.depth == 2 && self.in_entry && name == "loc" {
                        return Ok(Some(Entry {
                            loc: String::new(),
                            line,
                        }));
                    }
                }
                Event::Text(text) => {
                    if let Some(loc) = self.loc.as_mut() {
                        loc.push(&text);
                    } else if self.depth == 0 && !is_blank(&text) {
                        return Err(SitemapError::NotASitemap {
                            found: "text before any element".to_string(),
                            line,
                        });
                    }
                }
                Event::CData(data) => {
                    if let Some(loc) = self.loc.as_mut() {
                        loc.push(&data);
                    }
                }
                Event::GeneralRef(reference) => {
                    if let Some(loc) = self.loc.as_mut() {
                        loc.push(&resolved(&reference));
                    }
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.done = true;
                        return Ok(None);
                    }
                    if self.depth == 2
                        && let Some(loc) = self.loc.take()
                    {
                        if loc.too_long {
                            return Err(SitemapError::LocTooLong { line: loc.line });
                        }
                        return Ok(Some(Entry {
                            loc: loc.text.trim().to_string(),
                            line: loc.line,
                        }));
                    }
                }
                Event::Eof => {
                    self.done = true;
                    return match self.kind {
                        None => Err(SitemapError::NotASitemap {
                            found: "no element (an empty document)".to_string(),
                            line,
                        }),
                        Some(kind) => Err(SitemapError::Syntax {
                            message: format!("the document ends before </{}>", root_name(kind)),
                            line,
                        }),
                    };
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    fn read_error(&self, e: quick_xml::Error) -> SitemapError {
        let line = self.line();
        let counted = self.reader.get_ref();
        if counted.exceeded {
            return SitemapError::TooLarge {
                what: "a tag, text or comment longer than 1 MiB",
                line,
            };
        }
        match e {
            quick_xml::Error::Io(e) => SitemapError::Read {
                message: e.to_string(),
                line,
            },
            e => SitemapError::Syntax {
                message: e.to_string(),
                line,
            },
        }
    }
}

fn root_kind(name: &str, line: u64) -> Result<Kind, SitemapError> {
    match name {
        "urlset" => Ok(Kind::UrlSet),
        "sitemapindex" => Ok(Kind::Index),
        other => Err(SitemapError::NotASitemap {
            found: format!("<{}>", other.chars().take(64).collect::<String>()),
            line,
        }),
    }
}

/// Whitespace, or a byte order mark that quick-xml saw as text (it removes
/// one only when its first read holds all three bytes).
fn is_blank(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').trim().is_empty()
}

/// The element whose `<loc>` is an entry.
fn entry_name(kind: Option<Kind>) -> &'static str {
    match kind {
        Some(Kind::Index) => "sitemap",
        _ => "url",
    }
}

fn root_name(kind: Kind) -> &'static str {
    match kind {
        Kind::UrlSet => "urlset",
        Kind::Index => "sitemapindex",
    }
}

/// `&amp;`, `&#38;` and `&#x26;` as the character they stand for; an
/// entity XML does not define stays as written.
fn resolved(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    // XML's five by name, whatever features another crate turns on.
    match resolve_xml_entity(reference) {
        Some(text) => text.to_string(),
        None => format!("&{};", &**reference),
    }
}

/// The input, passed through: it counts the newlines of the bytes the XML
/// reader has consumed (quick-xml knows only byte positions), and hands out
/// at most `MAX_TOKEN_BYTES` per token, so one event cannot grow the
/// reader's buffer without bound.
struct Counted<R> {
    inner: R,
    /// Newlines in the bytes consumed so far.
    newlines: u64,
    /// Bytes consumed so far.
    consumed: u64,
    /// Bytes seen in the inner reader's buffer so far (never fewer than
    /// `consumed`): those past `consumed` are scanned, not yet consumed.
    scanned: u64,
    /// Offsets of the newlines scanned but not yet consumed.
    ahead: VecDeque<u64>,
    /// Bytes the current token may still take.
    budget: usize,
    /// Whether a token ran past its budget.
    exceeded: bool,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Self {
        Counted {
            inner,
            newlines: 0,
            consumed: 0,
            scanned: 0,
            ahead: VecDeque::new(),
            budget: MAX_TOKEN_BYTES,
            exceeded: false,
        }
    }

    /// The 1-based line the next byte is on.
    fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// A new token starts: its budget is whole again.
    fn start_token(&mut self) {
        self.budget = MAX_TOKEN_BYTES;
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Counted<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.budget == 0 {
            this.exceeded = true;
            return Poll::Ready(Err(io::Error::other("a token is too long")));
        }
        let buf = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx))?;
        let seen = usize::try_from(this.scanned - this.consumed).unwrap_or(usize::MAX);
        if let Some(new) = buf.get(seen..) {
            let start = this.scanned;
            this.ahead.extend(
                new.iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'\n')
                    .map(|(i, _)| start + i as u64),
            );
            this.scanned = start + new.len() as u64;
        }
        let n = buf.len().min(this.budget);
        Poll::Ready(Ok(&buf[..n]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        Pin::new(&mut this.inner).consume(amt);
        this.budget = this.budget.saturating_sub(amt);
        this.consumed += amt as u64;
        this.scanned = this.scanned.max(this.consumed);
        while this.ahead.front().is_some_and(|&at| at < this.consumed) {
            this.ahead.pop_front();
            this.newlines += 1;
        }
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Counted<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let data = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = data.len().min(out.remaining());
        out.put_slice(&data[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

/// The `Sitemap:` lines of a robots.txt, with their 1-based line numbers:
/// the key in any case, anywhere in the file (not tied to a user-agent
/// group), a `#` comment removed, the value trimmed, empty values skipped.
pub(crate) fn robots_sitemaps(text: &str) -> Vec<(String, u64)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found = Vec::new();
    let lines = text
        .split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'));
    for (number, line) in lines.enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.trim().eq_ignore_ascii_case("sitemap") && !value.is_empty() {
            found.push((value.to_string(), number as u64 + 1));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    /// Every entry (or error) of `xml`, read through a buffer of
    /// `capacity` bytes, and the kind.
    async fn read_with(
        xml: &[u8],
        capacity: usize,
    ) -> (Vec<Result<Entry, SitemapError>>, Option<Kind>) {
        let mut reader = SitemapReader::new(BufReader::with_capacity(capacity, xml));
        let mut out = Vec::new();
        loop {
            match reader.next().await {
                Ok(Some(entry)) => out.push(Ok(entry)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
        (out, reader.kind())
    }

    /// The same, and the same again at buffer sizes 1 and 7: every answer
    /// must be the same however the input arrives.
    async fn read(xml: &str) -> (Vec<Result<Entry, SitemapError>>, Option<Kind>) {
        let whole = read_with(xml.as_bytes(), 64 * 1024).await;
        for capacity in [1, 7] {
            assert_eq!(
                read_with(xml.as_bytes(), capacity).await,
                whole,
                "capacity {capacity}"
            );
        }
        whole
    }

    fn entry(loc: &str, line: u64) -> Result<Entry, SitemapError> {
        Ok(Entry {
            loc: loc.to_string(),
            line,
        })
    }

    #[tokio::test]
    async fn a_urlset_gives_each_loc_with_its_line() {
        let xml = concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<!-- generated -->\n",
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"\n",
            "        xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n",
            "  <url>\n",
            "    <loc>https://x.test/</loc>\n",
            "    <lastmod>2024-01-01</lastmod>\n",
            "    <image:image><image:loc>https://x.test/i.png</image:loc></image:image>\n",
            "  </url>\n",
            "  <url><changefreq>daily</changefreq><loc>\n",
            "      https://x.test/ünïcode?a=1\n",
            "  </loc></url>\n",
            "  <other><loc>https://x.test/not-an-entry</loc></other>\n",
            "</urlset>\n",
            "<trailing/>",
        );
        let (entries, kind) = read(xml).await;
        assert_eq!(kind, Some(Kind::UrlSet));
        assert_eq!(
            entries,
            [
                entry("https://x.test/", 6),
                entry("https://x.test/ünïcode?a=1", 10),
            ]
        );
    }

    #[tokio::test]
    async fn a_sitemap_index_gives_its_sitemaps() {
        let xml = concat!(
            "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            "<sitemap><loc>https://x.test/a.xml</loc><lastmod>2024-01-01</lastmod></sitemap>\n",
            "<sitemap><loc>https://x.test/b.xml.gz</loc></sitemap>\n",
            "<url><loc>https://x.test/not-in-an-index</loc></url>\n",
            "</sitemapindex>",
        );
        let (entries, kind) = read(xml).await;
        assert_eq!(kind, Some(Kind::Index));
        assert_eq!(
            entries,
            [
                entry("https://x.test/a.xml", 2),
                entry("https://x.test/b.xml.gz", 3),
            ]
        );
    }

    #[tokio::test]
    async fn any_namespace_or_none() {
        let plain = "<urlset><url><loc>https://x.test/a</loc></url></urlset>";
        assert_eq!(read(plain).await.0, [entry("https://x.test/a", 1)]);
        let prefixed = concat!(
            "<sm:urlset xmlns:sm=\"urn:x\"><sm:url>",
            "<sm:loc>https://x.test/b</sm:loc>",
            "</sm:url></sm:urlset>",
        );
        assert_eq!(read(prefixed).await.0, [entry("https://x.test/b", 1)]);
    }

    #[tokio::test]
    async fn cdata_entities_and_empty_locs() {
        let xml = concat!(
            "<urlset>\n",
            "<url><loc><![CDATA[ https://x.test/?a=1&b=<2> ]]></loc></url>\n",
            "<url><loc>https://x.test/?a=1&amp;b=2&#38;c=3&#x26;d=&lt;&quot;</loc></url>\n",
            "<url><loc>https://x.test/?raw=1&b=2</loc></url>\n",
            "<url><loc>https://x.test/&nbsp;</loc></url>\n",
            "<url><loc>  </loc></url>\n",
            "<url><loc/></url>\n",
            "</urlset>",
        );
        assert_eq!(
            read(xml).await.0,
            [
                entry("https://x.test/?a=1&b=<2>", 2),
                entry("https://x.test/?a=1&b=2&c=3&d=<\"", 3),
                entry("https://x.test/?raw=1&b=2", 4),
                entry("https://x.test/&nbsp;", 5),
                entry("", 6),
                entry("", 7),
            ]
        );
    }

    #[tokio::test]
    async fn other_roots_are_refused_by_name() {
        let html = "<!DOCTYPE html>\n<html lang=\"en\"><body><a href=x>x</a></body></html>";
        let (entries, kind) = read(html).await;
        assert_eq!(kind, None);
        assert_eq!(
            entries,
            [Err(SitemapError::NotASitemap {
                found: "<html>".into(),
                line: 2
            })]
        );
        assert_eq!(
            entries[0].as_ref().unwrap_err().to_string(),
            "not a sitemap: <html> at line 2, where a sitemap has <urlset> or <sitemapindex>"
        );
        let rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel/></rss>";
        assert_eq!(
            read(rss).await.0,
            [Err(SitemapError::NotASitemap {
                found: "<rss>".into(),
                line: 1
            })]
        );
        assert_eq!(
            read("https://x.test/a\nhttps://x.test/b\n").await.0,
            [Err(SitemapError::NotASitemap {
                found: "text before any element".into(),
                line: 1
            })]
        );
        assert_eq!(
            read("").await.0,
            [Err(SitemapError::NotASitemap {
                found: "no element (an empty document)".into(),
                line: 1
            })]
        );
        let (entries, kind) = read("<urlset/>").await;
        assert_eq!((entries, kind), (vec![], Some(Kind::UrlSet)));
    }

    #[tokio::test]
    async fn broken_xml_is_an_error_with_its_line() {
        let truncated = "<urlset>\n<url><loc>https://x.test/a</loc></url>\n<url><loc>https://x.te";
        let (entries, _) = read(truncated).await;
        assert_eq!(entries[0], entry("https://x.test/a", 2));
        assert_eq!(
            entries[1],
            Err(SitemapError::Syntax {
                message: "the document ends before </urlset>".into(),
                line: 3
            })
        );
        assert_eq!(entries.len(), 2);

        let cut_in_a_tag = "<urlset>\n<url>\n<loc>https://x.test/a</loc>\n</ur";
        let (entries, _) = read(cut_in_a_tag).await;
        assert_eq!(entries[0], entry("https://x.test/a", 3));
        let Err(SitemapError::Syntax { line, .. }) = &entries[1] else {
            panic!("{entries:?}");
        };
        assert_eq!(*line, 4);

        let mismatched = "<urlset>\n<url>\n<loc>https://x.test/a</lo>\n</url></urlset>";
        let (entries, _) = read(mismatched).await;
        let [Err(SitemapError::Syntax { line, message })] = entries.as_slice() else {
            panic!("{entries:?}");
        };
        assert_eq!(*line, 3);
        assert!(message.contains("lo"), "{message}");
    }

    #[tokio::test]
    async fn a_long_loc_is_an_error_for_its_entry_only() {
        let long = format!("https://x.test/{}", "a".repeat(MAX_LOC_BYTES));
        let xml = format!(
            "<urlset>\n<url><loc>{long}</loc></url>\n\
             <url><loc>https://x.test/next</loc></url>\n</urlset>"
        );
        let (entries, _) = read_with(xml.as_bytes(), 4096).await;
        assert_eq!(
            entries,
            [
                Err(SitemapError::LocTooLong { line: 2 }),
                entry("https://x.test/next", 3)
            ]
        );
        let just_fits = format!("https://x.test/{}", "a".repeat(MAX_LOC_BYTES - 15));
        let xml = format!("<urlset><url><loc>{just_fits}</loc></url></urlset>");
        assert_eq!(
            read_with(xml.as_bytes(), 4096).await.0,
            [entry(&just_fits, 1)]
        );
    }

    #[tokio::test]
    async fn a_token_past_the_limit_stops_the_reader() {
        let huge = format!(
            "<urlset>\n<url><loc>https://x.test/a</loc></url>\n<!-- {} -->\n\
             <url><loc>https://x.test/b</loc></url></urlset>",
            "x".repeat(MAX_TOKEN_BYTES)
        );
        let (entries, _) = read_with(huge.as_bytes(), 8192).await;
        assert_eq!(
            entries,
            [
                entry("https://x.test/a", 2),
                Err(SitemapError::TooLarge {
                    what: "a tag, text or comment longer than 1 MiB",
                    line: 3
                })
            ]
        );
        let deep = format!("<urlset>{}", "<a>".repeat(40));
        let (entries, _) = read_with(deep.as_bytes(), 8192).await;
        assert_eq!(
            entries,
            [Err(SitemapError::TooLarge {
                what: "elements nested more than 32 deep",
                line: 1
            })]
        );
    }

    /// Gives its bytes, then fails.
    struct Failing(&'static [u8]);

    impl AsyncRead for Failing {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            out: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.0.is_empty() {
                return Poll::Ready(Err(io::Error::other("connection reset")));
            }
            let n = self.0.len().min(out.remaining());
            out.put_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_failed_read_is_an_error_with_its_line() {
        let input = Failing(b"<urlset>\n<url><loc>https://x.test/a</loc></url>\n<url><lo");
        let mut reader = SitemapReader::new(BufReader::with_capacity(16, input));
        assert_eq!(
            reader.next().await,
            Ok(Some(Entry {
                loc: "https://x.test/a".into(),
                line: 2
            }))
        );
        let error = reader.next().await.unwrap_err();
        assert!(error.is_fatal());
        assert_eq!(error.line(), 3);
        assert_eq!(
            error.to_string(),
            "cannot read the sitemap at line 3: connection reset"
        );
        assert_eq!(reader.next().await, Ok(None));
    }

    #[tokio::test]
    async fn lines_are_counted_across_crlf_and_a_bom() {
        let xml = "\u{feff}<urlset>\r\n<url>\r\n\r\n<loc>https://x.test/</loc></url></urlset>";
        assert_eq!(read(xml).await.0, [entry("https://x.test/", 4)]);
    }

    #[test]
    fn robots_txt_sitemap_lines() {
        let robots = concat!(
            "\u{feff}# robots\n",
            "User-agent: *\n",
            "Disallow: /private # not this\n",
            "Sitemap: https://x.test/sitemap.xml\r\n",
            "\n",
            "User-agent: bot\n",
            "  sitemap :  https://x.test/news.xml   # news\n",
            "SITEMAP:https://x.test/gz.xml.gz\rsitemap:\n",
            "# Sitemap: https://x.test/commented.xml\n",
            "Sitemaps: https://x.test/wrong-key.xml\n",
            "Sitemap: https://x.test/last.xml",
        );
        assert_eq!(
            robots_sitemaps(robots),
            [
                ("https://x.test/sitemap.xml".to_string(), 4),
                ("https://x.test/news.xml".to_string(), 7),
                ("https://x.test/gz.xml.gz".to_string(), 8),
                ("https://x.test/last.xml".to_string(), 12),
            ]
        );
        assert!(robots_sitemaps("").is_empty());
    }
}
