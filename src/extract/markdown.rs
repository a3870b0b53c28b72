//! Links and anchors of a Markdown document, read with pulldown-cmark's
//! offset iterator (GitHub's extensions on: tables, footnotes,
//! strikethrough, task lists, and `{#id}` heading attributes).
//!
//! Links: inline links and images at their destination; reference-style
//! links at each use (the `[` of the use, or the `!` of an image), with
//! the destination of their definition (a definition no link uses is not a
//! link in the rendered page, and is not reported); autolinks `<https://…>`;
//! bare `http://` and `https://` URLs in text, found by linkify; and the
//! links of raw HTML, found by the HTML extractor and placed where that HTML
//! is in the file. Code spans and code blocks give no links; neither do
//! email autolinks.
//!
//! Anchors: each heading's slug as GitHub makes it (or its `{#id}`), and the
//! `id`s and `<a name>`s of raw HTML.
//!
//! Limits: a bare URL ends where Markdown markup or an entity splits the
//! text (`https://x.test/a*b*` gives `https://x.test/a`); `www.` without a
//! scheme is not a link; a heading's slug is made from its text as written,
//! so an emoji shortcode (`:tada:`) stays a word where GitHub drops the
//! emoji, and combining marks outside the common blocks are dropped.

use std::collections::HashMap;
use std::ops::Range;

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html;
use super::{Extracted, Found, LineIndex};

/// Links and anchors of a Markdown document. Never fails: every text is
/// Markdown.
pub(crate) fn extract(text: &str) -> Extracted {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut walker = Walker {
        source: text,
        index: LineIndex::new(text.as_bytes()),
        finder: url_finder(),
        out: Extracted::default(),
        links: Vec::new(),
        in_code_block: false,
        images: 0,
        heading: None,
        slugs: Slugger::default(),
        text_run: Run::default(),
        html_block: None,
    };
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        walker.event(event, range);
    }
    walker.flush_text();
    walker.out
}

fn url_finder() -> LinkFinder {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    finder
}

/// A link or image whose end has not been seen yet.
struct OpenLink {
    /// Its entry in `out.links` (None for an email autolink).
    found: Option<usize>,
    link_type: LinkType,
    range: Range<usize>,
    /// Where the link text's events end so far: the `](` comes after.
    text_end: usize,
    image: bool,
}

/// Pieces of text read as one (pulldown-cmark may split a text, say at an
/// entity), each piece remembering where it was in the source.
#[derive(Default)]
struct Run {
    text: String,
    /// (offset in `text`, offset in the source, whether the piece is the
    /// source's bytes as they are): an offset inside a piece that is not
    /// (an entity, a line of a container) is placed at the piece's start.
    pieces: Vec<(usize, usize, bool)>,
}

impl Run {
    fn push(&mut self, piece: &str, range: Range<usize>, source: &str) {
        let verbatim = source.get(range.clone()) == Some(piece);
        self.pieces.push((self.text.len(), range.start, verbatim));
        self.text.push_str(piece);
    }

    /// The source offset of `offset` in the run's text.
    fn source_offset(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|&(at, _, _)| at <= offset);
        match self.pieces.get(i.saturating_sub(1)) {
            Some(&(at, source, true)) => source + (offset - at),
            Some(&(_, source, false)) => source,
            None => 0,
        }
    }

    fn single(piece: &str, range: Range<usize>, source: &str) -> Self {
        let mut run = Run::default();
        run.push(piece, range, source);
        run
    }
}

struct Walker<'a> {
    source: &'a str,
    index: LineIndex<'a>,
    finder: LinkFinder,
    out: Extracted,
    links: Vec<OpenLink>,
    in_code_block: bool,
    /// Images open: their alt text is not part of a heading's text.
    images: usize,
    /// The heading being read: its `{#id}`, and its text so far.
    heading: Option<(Option<String>, String)>,
    slugs: Slugger,
    /// Text that may hold bare URLs, not yet searched.
    text_run: Run,
    /// The HTML block being read.
    html_block: Option<Run>,
}

impl Walker<'_> {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if !matches!(event, Event::End(TagEnd::Link | TagEnd::Image)) {
            for open in &mut self.links {
                open.text_end = open.text_end.max(range.end);
            }
        }
        if let Event::Text(text) = &event {
            self.text(text, range);
            return;
        }
        self.flush_text();
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => self.open_link(link_type, &dest_url, range, false),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => self.open_link(link_type, &dest_url, range, true),
            Event::End(TagEnd::Link | TagEnd::Image) => self.close_link(),
            Event::Start(Tag::CodeBlock(_)) => self.in_code_block = true,
            Event::End(TagEnd::CodeBlock) => self.in_code_block = false,
            Event::Start(Tag::Heading { id, .. }) => {
                self.heading = Some((id.map(|id| id.to_string()), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((id, text)) = self.heading.take() {
                    let anchor = id.unwrap_or_else(|| self.slugs.unique(slug(&text)));
                    if !anchor.is_empty() {
                        self.out.anchors.push(anchor);
                    }
                }
            }
            Event::Code(code) => self.heading_text(&code),
            Event::SoftBreak | Event::HardBreak => self.heading_text("\n"),
            Event::Start(Tag::HtmlBlock) => self.html_block = Some(Run::default()),
            // Always inside an HTML block: read with the block's other lines.
            Event::Html(html) => match self.html_block.as_mut() {
                Some(block) => block.push(&html, range, self.source),
                None => self.html(&Run::single(&html, range, self.source)),
            },
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(block) = self.html_block.take() {
                    self.html(&block);
                }
            }
            Event::InlineHtml(html) => self.html(&Run::single(&html, range, self.source)),
            _ => {}
        }
    }

    fn text(&mut self, text: &str, range: Range<usize>) {
        if self.in_code_block {
            return;
        }
        self.heading_text(text);
        // A link's text is not searched: its URL is the link.
        if self.links.is_empty() {
            self.text_run.push(text, range, self.source);
        }
    }

    fn heading_text(&mut self, text: &str) {
        if self.images == 0
            && let Some((_, heading)) = self.heading.as_mut()
        {
            heading.push_str(text);
        }
    }

    /// Bare URLs in the text read since the last event that was not text.
    fn flush_text(&mut self) {
        let run = std::mem::take(&mut self.text_run);
        for link in self.finder.links(&run.text) {
            let url = link.as_str();
            if !(starts_with_ignore_case(url, "http://")
                || starts_with_ignore_case(url, "https://"))
            {
                continue;
            }
            let found = self.found(url, run.source_offset(link.start()), "bare");
            self.out.links.push(found);
        }
    }

    fn found(&self, text: &str, offset: usize, element: &'static str) -> Found {
        let (line, column) = self.index.position(offset);
        Found {
            text: text.trim().to_string(),
            line,
            column,
            element,
        }
    }

    fn open_link(&mut self, link_type: LinkType, dest: &str, range: Range<usize>, image: bool) {
        if image {
            self.images += 1;
        }
        let found = match link_type {
            LinkType::Email => None,
            LinkType::Autolink => {
                let found = self.found(dest, range.start + 1, "autolink");
                self.out.links.push(found);
                Some(self.out.links.len() - 1)
            }
            // Placed at the use; an inline link's place is known at its end.
            _ => {
                let found = self.found(dest, range.start, "markdown");
                self.out.links.push(found);
                Some(self.out.links.len() - 1)
            }
        };
        let text_end = range.start + if image { 2 } else { 1 };
        self.links.push(OpenLink {
            found,
            link_type,
            range,
            text_end,
            image,
        });
    }

    /// An inline link's destination comes after its text's `](`, spaces,
    /// and a `<` if it is written `<…>`.
    fn close_link(&mut self) {
        let Some(open) = self.links.pop() else {
            return;
        };
        if open.image {
            self.images = self.images.saturating_sub(1);
        }
        for outer in &mut self.links {
            outer.text_end = outer.text_end.max(open.range.end);
        }
        let (Some(i), LinkType::Inline) = (open.found, open.link_type) else {
            return;
        };
        let within = self.source.get(..open.range.end).unwrap_or_default();
        let Some(close) = within.get(open.text_end..).and_then(|rest| rest.find("](")) else {
            return;
        };
        let mut at = open.text_end + close + 2;
        let bytes = within.as_bytes();
        while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        if bytes.get(at) == Some(&b'<') {
            at += 1;
        }
        let (line, column) = self.index.position(at);
        if let Some(found) = self.out.links.get_mut(i) {
            found.line = line;
            found.column = column;
        }
    }

    /// The links and anchors of raw HTML, placed where it is in the file.
    fn html(&mut self, run: &Run) {
        let scanned = html::scan(run.text.as_bytes());
        for link in scanned.links {
            let offset = run.source_offset(link.offset);
            let mut found = self.found("", offset, link.element);
            // Trimmed and decoded by the HTML extractor already.
            found.text = link.text;
            self.out.links.push(found);
        }
        self.out.anchors.extend(scanned.anchors);
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A heading's slug as GitHub makes it (github-slugger): lowercase; every
/// character dropped but letters, digits, combining marks, `-`, `_` and
/// spaces; then each space a `-`.
pub(super) fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || is_combining_mark(c) || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The combining marks that are not letters already (`is_alphanumeric`
/// takes in most vowel signs): the combining diacritical blocks, and the
/// virama and nukta of the Indic scripts.
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{064B}'..='\u{065F}'
        | '\u{093C}' | '\u{094D}' | '\u{09BC}' | '\u{09CD}' | '\u{0A3C}' | '\u{0A4D}'
        | '\u{0ABC}' | '\u{0ACD}' | '\u{0B3C}' | '\u{0B4D}' | '\u{0BCD}' | '\u{0C4D}'
        | '\u{0CBC}' | '\u{0CCD}' | '\u{0D4D}' | '\u{0DCA}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{3099}'..='\u{309A}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Slugs made unique as GitHub does: the second "Intro" is `intro-1`, the
/// third `intro-2`, and a heading that is itself "Intro 1" then gets
/// `intro-1-1`.
#[derive(Default)]
struct Slugger {
    seen: HashMap<String, u32>,
}

impl Slugger {
    fn unique(&mut self, slug: String) -> String {
        let mut result = slug.clone();
        while self.seen.contains_key(&result) {
            let count = self.seen.entry(slug.clone()).or_insert(0);
            *count += 1;
            result = format!("{slug}-{count}");
        }
        self.seen.insert(result.clone(), 0);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Link = (String, u64, u64, &'static str);

    /// (text, line, column, element) of every link.
    fn links(markdown: &str) -> Vec<Link> {
        extract(markdown)
            .links
            .into_iter()
            .map(|f| (f.text, f.line, f.column, f.element))
            .collect()
    }

    fn link(text: &str, line: u64, column: u64, element: &'static str) -> Link {
        (text.to_string(), line, column, element)
    }

    #[test]
    fn inline_links_and_images_at_their_destination() {
        let markdown = concat!(
            "# Title\n",
            "\n",
            "See [the guide](guide.md) and ![a logo](img/logo.png \"Logo\").\n",
            "Über [`code` and [brackets]](  <with space.md> ) [empty]()\n",
            "[![badge](https://ci.test/badge.svg)](https://ci.test/run)\n",
            "[a](\n  next-line.md)\n",
        );
        assert_eq!(
            links(markdown),
            [
                link("guide.md", 3, 17, "markdown"),
                link("img/logo.png", 3, 41, "markdown"),
                link("with space.md", 4, 33, "markdown"),
                link("", 4, 58, "markdown"),
                link("https://ci.test/run", 5, 39, "markdown"),
                link("https://ci.test/badge.svg", 5, 11, "markdown"),
                link("next-line.md", 7, 3, "markdown"),
            ]
        );
    }

    #[test]
    fn reference_links_are_placed_at_each_use() {
        let markdown = concat!(
            "Read [the docs][docs], [docs][] and [docs].\n",
            "\n",
            "![img][pic]\n",
            "\n",
            "[docs]: https://docs.test/a?b&amp;c \"Title\"\n",
            "[pic]: <img/a b.png>\n",
            "[unused]: https://unused.test/\n",
        );
        assert_eq!(
            links(markdown),
            [
                link("https://docs.test/a?b&c", 1, 6, "markdown"),
                link("https://docs.test/a?b&c", 1, 24, "markdown"),
                link("https://docs.test/a?b&c", 1, 37, "markdown"),
                link("img/a b.png", 3, 1, "markdown"),
            ]
        );
    }

    #[test]
    fn autolinks_and_bare_urls() {
        let markdown = concat!(
            "Mail <someone@x.test> or see <https://auto.test/a>.\n",
            "Bare: https://bare.test/path?q=1, and (http://paren.test/x).\n",
            "Not these: www.example.test, ftp://files.test/, someone@x.test\n",
            "Größe: https://ü.test/ä_b_c*d* &amp; https://after.test/\n",
        );
        assert_eq!(
            links(markdown),
            [
                link("https://auto.test/a", 1, 31, "autolink"),
                link("https://bare.test/path?q=1", 2, 7, "bare"),
                link("http://paren.test/x", 2, 40, "bare"),
                link("https://ü.test/ä_b_c", 4, 8, "bare"),
                link("https://after.test/", 4, 38, "bare"),
            ]
        );
    }

    #[test]
    fn raw_html_is_read_by_the_html_extractor_in_place() {
        let markdown = concat!(
            "Text <a href=\"inline.html\">x</a> and <img src='pic.png'>.\n",
            "\n",
            "<div id=\"box\">\n",
            "  <a name=\"old\"\n",
            "     href=\"block.html\">y</a>\n",
            "</div>\n",
            "\n",
            "> <p><a href=\"quoted.html\">q</a></p>\n",
            "\n",
            "<!-- [commented](out.md) <a href=\"c.html\"> -->\n",
            "Inline <!-- [also](out.md) --> end.\n",
        );
        assert_eq!(
            links(markdown),
            [
                link("inline.html", 1, 15, "a"),
                link("pic.png", 1, 48, "img"),
                link("block.html", 5, 12, "a"),
                link("quoted.html", 8, 15, "a"),
            ]
        );
        assert_eq!(extract(markdown).anchors, ["box", "old"]);
    }

    #[test]
    fn code_gives_no_links() {
        let markdown = concat!(
            "Use `[x](in-code.md)` or `https://in-code.test/`.\n",
            "\n",
            "```\n",
            "[y](in-block.md) https://in-block.test/ <a href=\"z\">\n",
            "```\n",
            "\n",
            "    indented https://indented.test/\n",
            "\n",
            "After [z](after.md).\n",
        );
        assert_eq!(links(markdown), [link("after.md", 9, 11, "markdown")]);
    }

    #[test]
    fn a_link_s_text_is_not_searched_for_bare_urls() {
        assert_eq!(
            links("[https://text.test/](https://dest.test/)"),
            [link("https://dest.test/", 1, 22, "markdown")]
        );
    }

    #[test]
    fn links_in_tables_footnotes_and_lists() {
        let markdown = concat!(
            "| a | b |\n",
            "|---|---|\n",
            "| [t](table.md) | https://cell.test/ |\n",
            "\n",
            "- [x] [done](task.md)\n",
            "\n",
            "Note[^1].\n",
            "\n",
            "[^1]: See [f](footnote.md).\n",
        );
        assert_eq!(
            links(markdown),
            [
                link("table.md", 3, 7, "markdown"),
                link("https://cell.test/", 3, 19, "bare"),
                link("task.md", 5, 14, "markdown"),
                link("footnote.md", 9, 15, "markdown"),
            ]
        );
    }

    #[test]
    fn heading_slugs_are_github_s() {
        assert_eq!(slug("Hello, World!"), "hello-world");
        assert_eq!(slug("Foo & Bar"), "foo--bar");
        assert_eq!(slug("Über Uns"), "über-uns");
        assert_eq!(
            slug("snake_case and kebab-case"),
            "snake_case-and-kebab-case"
        );
        assert_eq!(slug("v1.2.3 (beta) — “quoted”"), "v123-beta--quoted");
        assert_eq!(slug("🎉 Party"), "-party");
        assert_eq!(slug("Cafe\u{301} नमस्ते"), "cafe\u{301}-नमस्ते");
        assert_eq!(slug("日本語"), "日本語");
    }

    #[test]
    fn heading_anchors_with_duplicates_and_custom_ids() {
        let markdown = concat!(
            "# Hello, World!\n",
            "## Foo & Bar\n",
            "## Intro\n",
            "## Intro\n",
            "Intro\n",
            "-----\n",
            "## Intro 1\n",
            "### With `code` and [a link](x.md) ![alt](i.png)\n",
            "## Custom {#my-id}\n",
            "## Über Uns\n",
        );
        assert_eq!(
            extract(markdown).anchors,
            [
                "hello-world",
                "foo--bar",
                "intro",
                "intro-1",
                "intro-2",
                "intro-1-1",
                "with-code-and-a-link-",
                "my-id",
                "über-uns",
            ]
        );
    }

    #[test]
    fn lines_and_columns_count_characters_and_every_line_ending() {
        let markdown = "Ünïcödé → [a](a.md)\r\n\r\n日本語 https://jp.test/ ok\r\n";
        assert_eq!(
            links(markdown),
            [
                link("a.md", 1, 15, "markdown"),
                link("https://jp.test/", 3, 5, "bare"),
            ]
        );
    }

    #[test]
    fn nothing_in_an_empty_document() {
        assert_eq!(extract(""), Extracted::default());
        assert_eq!(
            extract("[dangling][nowhere] and [unclosed](x"),
            Extracted::default()
        );
    }
}
