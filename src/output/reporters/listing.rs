//! `--dry-run`: one line per URL that would be checked, and where it was
//! found: `URL<TAB>SOURCE:LINE:COLUMN`, with `<TAB>+N more` when more
//! places name it. An input line that is not a URL says why instead.

use std::io::{self, Write};

use super::Reporter;
use crate::results::CheckResult;

pub(crate) struct Listing<W: Write> {
    out: W,
}

impl<W: Write> Listing<W> {
    pub(crate) fn new(out: W) -> Self {
        Listing { out }
    }
}

impl<W: Write + Send> Reporter for Listing<W> {
    fn report(&mut self, result: &CheckResult) -> io::Result<()> {
        let url = crate::text::escape_control(&result.url);
        let place = match result.found.as_ref().and_then(|f| f.places.first()) {
            Some(place) => place.to_string(),
            None => result.origin.to_string(),
        };
        write!(self.out, "{url}\t{}", crate::text::escape_control(&place))?;
        if let Some(found) = &result.found
            && found.occurrences > 1
        {
            write!(self.out, "\t+{} more", found.occurrences - 1)?;
        }
        if let Some(failure) = &result.failure {
            write!(self.out, "\tnot a URL: {}", failure.message)?;
        }
        writeln!(self.out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Found, Place, Source};
    use std::sync::Arc;

    #[test]
    fn a_url_is_listed_with_its_first_place_and_how_many_more() {
        let mut result = crate::testing::passed();
        result.url = "https://a.test/x".into();
        result.found = Some(Arc::new(Found {
            occurrences: 3,
            places: vec![Place {
                source: Source::File("docs/a.md".into()),
                line: Some(4),
                column: Some(9),
            }],
        }));
        let mut out = Vec::new();
        Listing::new(&mut out).report(&result).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "https://a.test/x\tdocs/a.md:4:9\t+2 more\n"
        );
    }
}
