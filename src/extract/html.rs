//! Links and anchors of an HTML document or page, read with html5gum's
//! WHATWG tokenizer (no tree is built, nothing is held but the current tag).
//!
//! Positions: html5gum's callback emitter gives each attribute value's byte
//! span in the input (after the opening quote); `LineIndex` turns that byte
//! offset into a line and a column. An attribute value holding several URLs
//! (`srcset`, a refresh `content`) places each one at the value's start plus
//! its offset in the decoded value, exact unless an entity comes before it.
//! An empty value has no span of its own: it is placed after the `=` and
//! the quote, found in the input.
//!
//! Comments, `<script>` and `<style>` text, and the text of the elements
//! whose content is not markup (`title`, `textarea`, `xmp`, `iframe`...) give
//! no links. `<noscript>` content is read as markup: a checker runs no
//! scripts, so those links are the ones a visitor without scripts follows.
//!
//! Not read: CSS `url()`s (in `<style>` or a `style` attribute), SVG's
//! `xlink:href`, `cite`, `ping`, form actions, `<input type=image src>`,
//! and `<link imagesrcset>`.

use std::convert::Infallible;

use html5gum::emitters::callback::{Callback, CallbackEmitter, CallbackEvent};
use html5gum::{Emitter, ForwardingEmitter, Span, State, Tokenizer};

use super::{Extracted, Found, LineIndex};

/// Links, anchors and the base of an HTML document. Never fails: HTML has
/// no syntax errors a browser would refuse, and neither does this.
pub(crate) fn extract(bytes: &[u8]) -> Extracted {
    let scanned = scan(bytes);
    let index = LineIndex::new(bytes);
    Extracted {
        links: scanned
            .links
            .into_iter()
            .map(|link| link.placed(&index, 0))
            .collect(),
        anchors: scanned.anchors,
        base: scanned.base,
    }
}

/// The title and the visible text of an HTML page (no script or style),
/// for telling pages apart (`check/soft404.rs`).
pub(crate) fn title_and_text(bytes: &[u8]) -> (Option<String>, String) {
    use html5gum::{DefaultEmitter, Token};
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut title: Option<String> = None;
    let mut text = String::new();
    let (mut in_title, mut hidden) = (false, false);
    for token in Tokenizer::new_with_emitter(bytes, emitter).flatten() {
        match token {
            Token::StartTag(tag) => match tag.name.as_slice() {
                b"title" => in_title = true,
                b"script" | b"style" | b"template" => hidden = true,
                _ => {}
            },
            Token::EndTag(tag) => match tag.name.as_slice() {
                b"title" => in_title = false,
                b"script" | b"style" | b"template" => hidden = false,
                _ => {}
            },
            Token::String(string) if in_title => title
                .get_or_insert_default()
                .push_str(&String::from_utf8_lossy(&string.value)),
            Token::String(string) if !hidden => {
                text.push_str(&String::from_utf8_lossy(&string.value));
                text.push(' ');
            }
            _ => {}
        }
    }
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    (title, text)
}

/// A link before its byte offset becomes a line and a column.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RawLink {
    pub(super) text: String,
    /// Byte offset of the link text's start in the bytes scanned.
    pub(super) offset: usize,
    pub(super) element: &'static str,
}

impl RawLink {
    /// Placed by `index`, for bytes that start at `shift` in what `index`
    /// covers.
    pub(super) fn placed(self, index: &LineIndex<'_>, shift: usize) -> Found {
        let (line, column) = index.position(shift + self.offset);
        Found {
            text: self.text,
            line,
            column,
            element: self.element,
        }
    }
}

/// What one pass of the tokenizer found, with byte offsets.
#[derive(Debug, Default)]
pub(super) struct Scanned {
    pub(super) links: Vec<RawLink>,
    pub(super) anchors: Vec<String>,
    pub(super) base: Option<String>,
}

/// One pass of the tokenizer over `bytes`.
pub(super) fn scan(bytes: &[u8]) -> Scanned {
    let mut scanned = Scanned::default();
    let emitter = TagEmitter {
        inner: CallbackEmitter::new(Collector {
            input: bytes,
            out: &mut scanned,
            tag: Vec::new(),
            in_start_tag: false,
            attributes: Vec::new(),
            current: None,
            closed: None,
        }),
    };
    // Reading from a slice cannot fail: the error type is `Infallible`.
    let Ok(()) = Tokenizer::new_with_emitter(bytes, emitter).finish();
    scanned
}

/// The callback emitter, plus the tokenizer state each start tag leads to:
/// without it, the text of `<script>` would be read as markup.
struct TagEmitter<'a> {
    inner: CallbackEmitter<Collector<'a>, Infallible, usize>,
}

impl ForwardingEmitter for TagEmitter<'_> {
    type Token = Infallible;

    fn inner(&mut self) -> &mut impl Emitter<Token = Infallible> {
        &mut self.inner
    }

    fn emit_current_tag(&mut self) -> Option<State> {
        // The inner emitter's own state switching is off: it returns None.
        let _ = self.inner.emit_current_tag();
        let closed = self.inner.callback_mut().closed.take()?;
        let state = text_state(&closed);
        if state.is_some() {
            self.inner.init_string();
        }
        state
    }
}

/// The tokenizer state for the content of a start tag named `tag`, as the
/// tree builder would set it (scripting off, so `noscript` is markup).
fn text_state(tag: &[u8]) -> Option<State> {
    match tag {
        b"script" => Some(State::ScriptData),
        b"style" | b"xmp" | b"iframe" | b"noembed" | b"noframes" => Some(State::RawText),
        b"title" | b"textarea" => Some(State::RcData),
        b"plaintext" => Some(State::PlainText),
        _ => None,
    }
}

/// One attribute of the current start tag.
struct Attribute {
    name: Vec<u8>,
    value: Vec<u8>,
    /// Byte offset of the value's first byte, if it has one.
    value_start: Option<usize>,
    /// Byte offset just past the name.
    name_end: usize,
}

/// Receives the tokenizer's events; keeps the current start tag's name and
/// attributes until the tag closes, then records what it holds.
struct Collector<'a> {
    input: &'a [u8],
    out: &'a mut Scanned,
    tag: Vec<u8>,
    in_start_tag: bool,
    attributes: Vec<Attribute>,
    /// The attribute whose value comes next (None for a duplicate name, whose
    /// value the HTML spec drops).
    current: Option<usize>,
    /// The name of the start tag just closed, for `TagEmitter`.
    closed: Option<Vec<u8>>,
}

impl Callback<Infallible, usize> for Collector<'_> {
    fn handle_event(&mut self, event: CallbackEvent<'_>, span: Span<usize>) -> Option<Infallible> {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag.clear();
                self.tag.extend_from_slice(name);
                self.attributes.clear();
                self.current = None;
                self.in_start_tag = true;
            }
            // An end tag's attributes come too; they mean nothing.
            CallbackEvent::AttributeName { name } if self.in_start_tag => {
                self.current = if self.attributes.iter().any(|a| a.name == name) {
                    None
                } else {
                    self.attributes.push(Attribute {
                        name: name.to_vec(),
                        value: Vec::new(),
                        value_start: None,
                        name_end: span.end,
                    });
                    Some(self.attributes.len() - 1)
                };
            }
            CallbackEvent::AttributeValue { value } if self.in_start_tag => {
                if let Some(attribute) = self.current.and_then(|i| self.attributes.get_mut(i)) {
                    attribute.value = value.to_vec();
                    attribute.value_start = Some(span.start);
                }
            }
            CallbackEvent::CloseStartTag { .. } => {
                self.in_start_tag = false;
                self.record_tag();
                self.closed = Some(std::mem::take(&mut self.tag));
            }
            CallbackEvent::EndTag { .. } => {
                self.in_start_tag = false;
                self.attributes.clear();
                self.current = None;
            }
            _ => {}
        }
        None
    }
}

impl Collector<'_> {
    fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name.as_bytes())
    }

    /// A non-empty `id` or `name`, as written.
    fn anchor(&self, name: &str) -> Option<String> {
        self.attribute(name)
            .map(|a| text_of(&a.value))
            .filter(|value| !value.is_empty())
    }

    /// The links, anchors and base the tag that just closed holds.
    fn record_tag(&mut self) {
        if let Some(id) = self.anchor("id") {
            self.out.anchors.push(id);
        }
        let (element, attributes): (&'static str, &[&str]) = match self.tag.as_slice() {
            b"a" => ("a", &["href"]),
            b"area" => ("area", &["href"]),
            b"link" => ("link", &["href"]),
            b"img" => ("img", &["src", "srcset"]),
            b"source" => ("source", &["src", "srcset"]),
            b"script" => ("script", &["src"]),
            b"iframe" => ("iframe", &["src"]),
            b"video" => ("video", &["src", "poster"]),
            b"audio" => ("audio", &["src"]),
            b"track" => ("track", &["src"]),
            b"embed" => ("embed", &["src"]),
            b"object" => ("object", &["data"]),
            b"base" => {
                if self.out.base.is_none() {
                    self.out.base = self
                        .attribute("href")
                        .map(|a| trim_html(&text_of(&a.value)).to_string());
                }
                return;
            }
            b"meta" => {
                self.record_refresh();
                return;
            }
            _ => return,
        };
        if element == "a"
            && let Some(name) = self.anchor("name")
        {
            self.out.anchors.push(name);
        }
        for &name in attributes {
            let Some(attribute) = self.attribute(name) else {
                continue;
            };
            let start = self.value_start(attribute);
            let value = text_of(&attribute.value);
            if name == "srcset" {
                for (offset, url) in srcset_urls(&value) {
                    self.out.links.push(RawLink {
                        text: url.to_string(),
                        offset: start + offset,
                        element,
                    });
                }
            } else {
                let link = raw_link(&value, start, element);
                self.out.links.push(link);
            }
        }
    }

    /// `<meta http-equiv="refresh" content="5; url=...">`: the URL part.
    fn record_refresh(&mut self) {
        let is_refresh = self
            .attribute("http-equiv")
            .is_some_and(|a| trim_html(&text_of(&a.value)).eq_ignore_ascii_case("refresh"));
        let Some(content) = self.attribute("content").filter(|_| is_refresh) else {
            return;
        };
        let start = self.value_start(content);
        let value = text_of(&content.value);
        if let Some((offset, url)) = refresh_url(&value) {
            self.out.links.push(raw_link(url, start + offset, "meta"));
        }
    }

    /// Where an attribute's value starts in the input: its span, or for an
    /// empty value, past the `=`, the spaces and the opening quote.
    fn value_start(&self, attribute: &Attribute) -> usize {
        if let Some(start) = attribute.value_start {
            return start;
        }
        let mut at = attribute.name_end;
        let skip_spaces = |at: &mut usize| {
            while self.input.get(*at).is_some_and(|b| is_html_space(*b)) {
                *at += 1;
            }
        };
        skip_spaces(&mut at);
        if self.input.get(at) != Some(&b'=') {
            // No value at all (`<a href>`): the name's start.
            return attribute.name_end.saturating_sub(attribute.name.len());
        }
        at += 1;
        skip_spaces(&mut at);
        if matches!(self.input.get(at), Some(b'"' | b'\'')) {
            at += 1;
        }
        at
    }
}

/// A link from `value` (decoded) whose first byte is at `start`: trimmed,
/// and placed where its first non-space character is.
fn raw_link(value: &str, start: usize, element: &'static str) -> RawLink {
    let leading = value.len() - value.trim_start_matches(is_html_space_char).len();
    RawLink {
        text: trim_html(value).to_string(),
        offset: start + leading,
        element,
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// ASCII whitespace as HTML defines it: space, tab, LF, FF, CR.
fn is_html_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

fn is_html_space_char(c: char) -> bool {
    c.is_ascii() && is_html_space(c as u8)
}

fn trim_html(text: &str) -> &str {
    text.trim_matches(is_html_space_char)
}

/// The URLs of a `srcset` value, each with its byte offset in the value,
/// following the HTML spec's "parse a srcset attribute": candidates are
/// separated by whitespace and commas before a URL; a URL runs to the next
/// whitespace (so it may hold commas), losing commas at its end; then its
/// descriptors run to the next comma outside parentheses. Descriptors are
/// not checked: a candidate the spec would drop for a bad descriptor is
/// still a URL someone wrote.
pub(super) fn srcset_urls(value: &str) -> Vec<(usize, &str)> {
    let bytes = value.as_bytes();
    let mut urls = Vec::new();
    let mut at = 0;
    loop {
        while at < bytes.len() && (is_html_space(bytes[at]) || bytes[at] == b',') {
            at += 1;
        }
        if at >= bytes.len() {
            return urls;
        }
        let start = at;
        while at < bytes.len() && !is_html_space(bytes[at]) {
            at += 1;
        }
        let url = value[start..at].trim_end_matches(',');
        let ended_with_comma = url.len() < at - start;
        if !url.is_empty() {
            urls.push((start, url));
        }
        if ended_with_comma {
            continue;
        }
        let mut in_parentheses = false;
        while at < bytes.len() {
            let byte = bytes[at];
            at += 1;
            match byte {
                b'(' => in_parentheses = true,
                b')' => in_parentheses = false,
                b',' if !in_parentheses => break,
                _ => {}
            }
        }
    }
}

/// The URL of a refresh `content` value (`5; url='/next'`) and its byte
/// offset, following the HTML spec's "shared declarative refresh steps";
/// None when there is no URL (a refresh of the page itself) or the value
/// is not a refresh.
pub(super) fn refresh_url(content: &str) -> Option<(usize, &str)> {
    let bytes = content.as_bytes();
    let mut at = 0;
    let skip_spaces = |at: &mut usize| {
        while *at < bytes.len() && is_html_space(bytes[*at]) {
            *at += 1;
        }
    };
    skip_spaces(&mut at);
    let digits = at;
    while at < bytes.len() && bytes[at].is_ascii_digit() {
        at += 1;
    }
    if at == digits && bytes.get(at) != Some(&b'.') {
        return None;
    }
    while at < bytes.len() && (bytes[at].is_ascii_digit() || bytes[at] == b'.') {
        at += 1;
    }
    if at < bytes.len() {
        if !(is_html_space(bytes[at]) || matches!(bytes[at], b';' | b',')) {
            return None;
        }
        skip_spaces(&mut at);
        if matches!(bytes.get(at), Some(b';' | b',')) {
            at += 1;
        }
        skip_spaces(&mut at);
    }
    if at >= bytes.len() {
        return None;
    }
    let mut url_start = at;
    if content
        .get(at..at + 3)
        .is_some_and(|word| word.eq_ignore_ascii_case("url"))
    {
        let mut after = at + 3;
        skip_spaces(&mut after);
        if bytes.get(after) == Some(&b'=') {
            after += 1;
            skip_spaces(&mut after);
            url_start = after;
        }
    }
    let mut url = &content[url_start..];
    if let Some(quote @ (b'"' | b'\'')) = bytes.get(url_start).copied() {
        url_start += 1;
        url = &content[url_start..];
        if let Some(end) = url.find(quote as char) {
            url = &url[..end];
        }
    }
    let leading = url.len() - url.trim_start_matches(is_html_space_char).len();
    let url = trim_html(url);
    (!url.is_empty()).then_some((url_start + leading, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (text, line, column, element) of every link.
    fn links(html: &str) -> Vec<(String, u64, u64, &'static str)> {
        extract(html.as_bytes())
            .links
            .into_iter()
            .map(|f| (f.text, f.line, f.column, f.element))
            .collect()
    }

    fn texts(html: &str) -> Vec<String> {
        extract(html.as_bytes())
            .links
            .into_iter()
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn every_element_kind_gives_its_links() {
        let html = concat!(
            r#"<a href="a.html">a</a><map><area href="area.html"></map>"#,
            r#"<link rel="stylesheet" href="s.css"><link rel="icon" href="i.ico">"#,
            r#"<link rel="canonical" href="https://c.test/">"#,
            r#"<img src="i.png"><picture><source src="v.webm" srcset="s.webp"></picture>"#,
            r#"<script src="j.js"></script><iframe src="f.html"></iframe>"#,
            r#"<video src="v.mp4" poster="p.jpg"><track src="t.vtt"></video>"#,
            r#"<audio src="a.mp3"></audio><embed src="e.swf"><object data="o.pdf"></object>"#,
            r#"<form action="/post"><input src="x"></form>"#,
        );
        let found: Vec<(String, &str)> = extract(html.as_bytes())
            .links
            .into_iter()
            .map(|f| (f.text, f.element))
            .collect();
        let expected = [
            ("a.html", "a"),
            ("area.html", "area"),
            ("s.css", "link"),
            ("i.ico", "link"),
            ("https://c.test/", "link"),
            ("i.png", "img"),
            ("v.webm", "source"),
            ("s.webp", "source"),
            ("j.js", "script"),
            ("f.html", "iframe"),
            ("v.mp4", "video"),
            ("p.jpg", "video"),
            ("t.vtt", "track"),
            ("a.mp3", "audio"),
            ("e.swf", "embed"),
            ("o.pdf", "object"),
        ];
        let expected: Vec<(String, &str)> =
            expected.iter().map(|&(t, e)| (t.to_string(), e)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn base_is_the_first_base_with_an_href() {
        let html = concat!(
            r#"<head><base target="_blank"><base href=" /docs/ ">"#,
            r#"<base href="/other/"></head><a href="x">"#,
        );
        let extracted = extract(html.as_bytes());
        assert_eq!(extracted.base.as_deref(), Some("/docs/"));
        assert_eq!(texts(html), ["x"]);
        assert_eq!(extract(b"<a href=x>").base, None);
    }

    #[test]
    fn srcset_gives_each_candidate() {
        assert_eq!(
            srcset_urls("a.png 1x, b.png 2x"),
            [(0, "a.png"), (10, "b.png")]
        );
        assert_eq!(srcset_urls("x.jpg?w=1,2 100w"), [(0, "x.jpg?w=1,2")]);
        assert_eq!(
            srcset_urls(" a.png,  b.png 2x,c.png"),
            [(1, "a.png"), (9, "b.png"), (18, "c.png")]
        );
        assert_eq!(
            srcset_urls("a.png (max-width: 1px, 2px) 1x, b.png"),
            [(0, "a.png"), (32, "b.png")]
        );
        // No whitespace, no descriptor: one URL with a comma in it, as the
        // spec reads it.
        assert_eq!(srcset_urls("a.png,b.png"), [(0, "a.png,b.png")]);
        assert!(srcset_urls(" , ,").is_empty());
        assert!(srcset_urls("").is_empty());

        let html = r#"<img src="i.png" srcset="a.png 1x, b.png 2x">"#;
        assert_eq!(
            links(html),
            [
                ("i.png".to_string(), 1, 11, "img"),
                ("a.png".to_string(), 1, 26, "img"),
                ("b.png".to_string(), 1, 36, "img"),
            ]
        );
        assert_eq!(
            texts(r#"<img srcset="x.jpg?w=1,2 100w, y.jpg 200w">"#),
            ["x.jpg?w=1,2", "y.jpg"]
        );
    }

    #[test]
    fn meta_refresh_gives_its_url_part() {
        assert_eq!(refresh_url("5; url=/next"), Some((7, "/next")));
        assert_eq!(refresh_url("0;URL='/q?a=1'"), Some((7, "/q?a=1")));
        assert_eq!(
            refresh_url("3 , url = \"https://x.test/\" "),
            Some((11, "https://x.test/"))
        );
        assert_eq!(
            refresh_url("0; https://x.test/"),
            Some((3, "https://x.test/"))
        );
        assert_eq!(refresh_url("1.5;url=a"), Some((8, "a")));
        assert_eq!(refresh_url("0;urx"), Some((2, "urx")));
        assert_eq!(refresh_url("0; ü"), Some((3, "ü")));
        assert_eq!(refresh_url("0;éé"), Some((2, "éé")));
        assert_eq!(refresh_url("5"), None);
        assert_eq!(refresh_url("5; "), None);
        assert_eq!(refresh_url("soon; url=a"), None);
        assert_eq!(refresh_url("5x; url=a"), None);

        let html = concat!(
            r#"<meta http-equiv="Refresh" content="5; url=/next">"#,
            r#"<meta http-equiv="refresh" content="10">"#,
            r#"<meta name="x" content="0; url=/not-a-refresh">"#,
        );
        assert_eq!(links(html), [("/next".to_string(), 1, 44, "meta")]);
    }

    #[test]
    fn entities_are_decoded_and_whitespace_trimmed() {
        assert_eq!(
            texts(r#"<a href=" /q?a=1&amp;b=2&#38;c=&quot;3&quot; ">"#),
            ["/q?a=1&b=2&c=\"3\""]
        );
        assert_eq!(
            links("<a href='\n  x.html'>"),
            [("x.html".to_string(), 2, 3, "a")]
        );
    }

    #[test]
    fn comments_script_and_style_give_no_links() {
        let html = concat!(
            "<!-- <a href=\"commented.html\"> -->\n",
            "<script>var s = '<a href=\"in-script.html\">';</script>\n",
            "<style>a { background: url(in-style.png) } /* <img src=x> */</style>\n",
            "<title><a href=\"in-title\"></title><textarea><a href=\"t\"></textarea>\n",
            "<noscript><img src=\"noscript.png\"></noscript>\n",
            "<a href=\"after.html\">",
        );
        assert_eq!(texts(html), ["noscript.png", "after.html"]);
    }

    #[test]
    fn empty_links_and_a_lone_hash_are_returned_as_found() {
        let html = "<a href=\"\">e</a> <a href=#>h</a> <a href>n</a> <a href = ''>s</a>";
        assert_eq!(
            links(html),
            [
                (String::new(), 1, 10, "a"),
                ("#".to_string(), 1, 26, "a"),
                (String::new(), 1, 37, "a"),
                (String::new(), 1, 59, "a"),
            ]
        );
        assert!(texts("<a>no href</a><a name=x></a>").is_empty());
    }

    #[test]
    fn anchors_are_ids_and_a_names() {
        let html = concat!(
            r#"<h1 id="top">T</h1><a name="legacy"></a><div id=""></div>"#,
            r#"<span id="caf&eacute;"></span><img name="not-an-anchor">"#,
            r##"<a id="both" name="also" href="#top"></a>"##,
        );
        let extracted = extract(html.as_bytes());
        assert_eq!(extracted.anchors, ["top", "legacy", "café", "both", "also"]);
    }

    #[test]
    fn lines_and_columns_on_a_multi_line_document() {
        let html = concat!(
            "<!doctype html>\n",
            "<html>\n",
            "<p>Grüße, 日本 — <a class=x href=\"one.html\">1</a>\n",
            "  <img\n",
            "     alt=\"é\" src=two.png>\n",
            "<link href='three.css'><a href=\"four\nfive\">",
        );
        assert_eq!(
            links(html),
            [
                ("one.html".to_string(), 3, 33, "a"),
                ("two.png".to_string(), 5, 18, "img"),
                ("three.css".to_string(), 6, 13, "link"),
                ("four\nfive".to_string(), 6, 33, "a"),
            ]
        );
    }

    #[test]
    fn crlf_line_endings_and_uppercase_names() {
        let html = "<P>\r\n<A HREF=\"x\">\r\n\r\n<IMG SRC='y'>";
        assert_eq!(
            links(html),
            [
                ("x".to_string(), 2, 10, "a"),
                ("y".to_string(), 4, 11, "img")
            ]
        );
    }

    #[test]
    fn duplicate_attributes_keep_the_first_and_end_tags_give_nothing() {
        assert_eq!(
            texts(r#"<a href="first" href="second"></a href="end">"#),
            ["first"]
        );
    }

    #[test]
    fn broken_html_and_bytes_that_are_not_utf8_still_give_links() {
        assert_eq!(
            extract(b"<a href=\"x\xff.html\">").links[0].text,
            "x\u{fffd}.html"
        );
        let bytes = b"<p>\xff\xfe<a href='a'><a href=\"unclosed";
        let extracted = extract(bytes);
        assert_eq!(extracted.links[0].text, "a");
        assert_eq!(extracted.links[0].column, 15);
        assert_eq!(extract(b"<a href='a'").links.len(), 0);
        assert_eq!(extract(b"").links.len(), 0);
    }
}
