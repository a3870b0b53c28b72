//! Links found in documents, pages and sitemaps: what each extractor returns
//! (a link as written, where it was, and the anchors a document defines), and
//! the one way a byte offset becomes a line and a column.
//!
//! The extractors are pure: bytes or text in, values out, no network and no
//! file system. `resolve` then says what a link's text means (a URL to check,
//! a local file, a fragment, or a scheme that is not checked).

pub(crate) mod html;
pub(crate) mod markdown;
pub(crate) mod resolve;
pub(crate) mod sitemap;

/// One link, as it is written in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The link as written: HTML entities decoded, surrounding whitespace
    /// trimmed, nothing resolved.
    pub(crate) text: String,
    /// 1-based line of the link text's start.
    pub(crate) line: u64,
    /// 1-based column, in characters, of the link text's start (the
    /// attribute value, or the Markdown destination).
    pub(crate) column: u64,
    /// Where it was found: the HTML element ("a", "img", "link", "meta"...),
    /// or "markdown", "autolink" and "bare" for Markdown's own links.
    pub(crate) element: &'static str,
}

/// Everything one document yields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Extracted {
    /// The links, in document order.
    pub(crate) links: Vec<Found>,
    /// The fragment targets the document defines (`id`s, `<a name>`s,
    /// heading slugs), in document order, as written.
    pub(crate) anchors: Vec<String>,
    /// The first `<base href>` of an HTML document, as written (it may itself
    /// be relative to the page's URL). Always `None` for Markdown.
    pub(crate) base: Option<String>,
}

/// Byte offsets of a text turned into lines and columns. A line ends at
/// `\n`, `\r\n` or a lone `\r`; a column counts characters, where a byte
/// that is not a UTF-8 continuation byte starts one (so text that is not
/// valid UTF-8 still gets a column, one per stray byte).
pub(crate) struct LineIndex<'a> {
    bytes: &'a [u8],
    /// The offset at which each line starts; the first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { bytes, starts }
    }

    /// The 1-based line and column of the character at `offset` (an offset
    /// past the end is taken as the end).
    pub(crate) fn position(&self, offset: usize) -> (u64, u64) {
        let offset = offset.min(self.bytes.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = self.bytes[start..offset]
            .iter()
            .filter(|&&b| !is_continuation(b))
            .count();
        (line as u64, column as u64 + 1)
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_of_every_ending_and_columns_in_characters() {
        let text = "ab\ncd\r\nxé€y\rz";
        let index = LineIndex::new(text.as_bytes());
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(1), (1, 2));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(text.find('x').unwrap()), (3, 1));
        assert_eq!(index.position(text.find('€').unwrap()), (3, 3));
        assert_eq!(index.position(text.find('y').unwrap()), (3, 4));
        assert_eq!(index.position(text.find('z').unwrap()), (4, 1));
        assert_eq!(index.position(1000), (4, 2));
        assert_eq!(LineIndex::new(b"").position(0), (1, 1));
    }

    #[test]
    fn a_stray_byte_is_one_column() {
        let index = LineIndex::new(b"\xff\xfeab");
        assert_eq!(index.position(2), (1, 3));
    }
}

#[cfg(test)]
mod proptests {
    //! Properties over arbitrary input: no extractor panics, and every link
    //! is placed inside the document.

    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_config as config;

    /// Text made of what the extractors look for.
    const MARKUP: &str = "[<>a-z0-9 =\"'/#&;:,.!?()\\[\\]{}`*_~|\n\r\t\u{e9}\u{20ac}-]{0,120}";

    fn check_placed(extracted: &Extracted, bytes: &[u8]) -> Result<(), TestCaseError> {
        let lines = LineIndex::new(bytes).starts.len() as u64;
        for found in &extracted.links {
            prop_assert!((1..=lines).contains(&found.line), "{found:?}");
            prop_assert!(found.column >= 1, "{found:?}");
            prop_assert_eq!(found.text.trim(), found.text.as_str());
        }
        Ok(())
    }

    fn read_sitemap(text: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let input = tokio::io::BufReader::with_capacity(5, text.as_bytes());
            let mut reader = sitemap::SitemapReader::new(input);
            for _ in 0..1000 {
                match reader.next().await {
                    Ok(None) => return,
                    Ok(Some(_)) => {}
                    Err(e) if e.is_fatal() => return,
                    Err(_) => {}
                }
            }
            panic!("the reader did not end");
        });
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn html_never_panics_and_places_links_inside(
            bytes in any::<Vec<u8>>(),
            text in MARKUP,
        ) {
            check_placed(&html::extract(&bytes), &bytes)?;
            check_placed(&html::extract(text.as_bytes()), text.as_bytes())?;
            let tagged = format!(
                "<a href='{text}'><img srcset=\"{text}\">\
                 <meta http-equiv=refresh content='{text}'>"
            );
            check_placed(&html::extract(tagged.as_bytes()), tagged.as_bytes())?;
        }

        #[test]
        fn markdown_never_panics_and_places_links_inside(
            text in MARKUP,
            any_text in any::<String>(),
        ) {
            check_placed(&markdown::extract(&text), text.as_bytes())?;
            check_placed(&markdown::extract(&any_text), any_text.as_bytes())?;
        }

        #[test]
        fn resolve_and_robots_never_panic(text in MARKUP, any_text in any::<String>()) {
            let base = reqwest::Url::parse("https://x.test/a/b").unwrap();
            for text in [&text, &any_text] {
                let _ = resolve::resolve(text, None);
                let _ = resolve::resolve(text, Some(&base));
                for (value, line) in sitemap::robots_sitemaps(text) {
                    prop_assert!(!value.is_empty() && line >= 1);
                }
            }
        }

        #[test]
        fn sitemaps_never_panic(text in "(<urlset>|<sitemapindex>)?[<>/a-z &#;\\[\\]!\n-]{0,120}") {
            read_sitemap(&text);
            read_sitemap(&format!("<urlset><url><loc>{text}</loc></url></urlset>"));
        }
    }
}
