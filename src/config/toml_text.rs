//! A TOML text being read: every mistake becomes `FILE:LINE:COLUMN: what is
//! wrong`, values are read by the same parsers as the flags, and `${VAR}`
//! placeholders are expanded from the environment without ever quoting what
//! they expand to.

use std::fmt;
use std::ops::Range;

use anyhow::anyhow;
use regex::Regex;
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::text::escape_control;

/// A value in the file, with where it is written.
pub(crate) type Value<'a> = Spanned<DeValue<'a>>;

/// A table in the file, with where its keys and values are written.
pub(crate) type Table<'a> = DeTable<'a>;

/// A table's key, with where it is written.
pub(crate) type Key<'a> = Spanned<std::borrow::Cow<'a, str>>;

/// A table's entries in file order.
pub(crate) type Entries<'v, 'a> = Vec<(&'v Key<'a>, &'v Value<'a>)>;

/// How a setting's value is read from the file. Each value type implements
/// it next to its `FromStr`, with the same parser.
pub(crate) trait FileValue: Sized {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self>;
}

/// Values this short are not secrets, and replacing them everywhere would
/// garble the output.
const MIN_SECRET_LEN: usize = 4;

/// A secret that a `${VAR}` expanded to, in one of the forms a URL may show
/// it in, and the `${VAR}` to show instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redaction {
    pub(crate) secret: String,
    pub(crate) shown: String,
}

/// A string with its `${VAR}`s expanded.
pub(crate) struct Expanded {
    /// The string as the file writes it, `${VAR}`s and all.
    pub(crate) written: String,
    pub(crate) text: String,
    /// What each variable expanded to, with its placeholder.
    values: Vec<(String, String)>,
}

impl Expanded {
    /// Any part of the text came from a variable.
    pub(crate) fn has_variables(&self) -> bool {
        !self.values.is_empty()
    }

    /// The expanded values long enough to be secrets, raw and as a URL
    /// would percent-encode them, each with its `${VAR}`: longest first,
    /// so that a raw value inside an encoded one is not replaced first.
    pub(crate) fn redactions(&self) -> Vec<Redaction> {
        let mut redactions: Vec<Redaction> = self
            .values
            .iter()
            .filter(|(value, _)| value.len() >= MIN_SECRET_LEN)
            .flat_map(|(value, placeholder)| {
                encoded_forms(value).into_iter().map(|secret| Redaction {
                    secret,
                    shown: placeholder.clone(),
                })
            })
            .collect();
        redactions.sort_by_key(|r| std::cmp::Reverse(r.secret.len()));
        redactions.dedup();
        redactions
    }
}

/// `value` as it may appear in a URL: raw, and percent-encoded as a path and
/// as a query encode it.
pub(crate) fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    if let Ok(url) = reqwest::Url::parse(&format!("http://h/{value}?{value}")) {
        forms.push(url.path()[1..].to_string());
        forms.extend(url.query().map(str::to_string));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// The file: its text (for line and column), its name (to start messages)
/// and where `${VAR}` values come from.
pub(crate) struct TomlText<'a> {
    text: &'a str,
    name: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> TomlText<'a> {
    /// `text` without a leading byte-order mark: not TOML, but editors on
    /// Windows write one.
    pub(crate) fn new(
        text: &'a str,
        name: &'a str,
        lookup: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        TomlText { text, name, lookup }
    }

    /// The whole document.
    pub(crate) fn parse(&self) -> anyhow::Result<Spanned<Table<'a>>> {
        DeTable::parse(self.text).map_err(|e| self.toml_error(&e))
    }

    /// `FILE:LINE:COLUMN: message` for the byte `offset` of the file.
    pub(crate) fn error_at(&self, offset: usize, message: impl fmt::Display) -> anyhow::Error {
        let (line, column) = line_column(self.text, offset);
        // The message may quote the file, which could hold escape sequences.
        let message = message.to_string();
        anyhow!(
            "{}:{line}:{column}: {}",
            self.name,
            escape_control(&message)
        )
    }

    /// A toml error, without the multi-line snippet its `Display` adds.
    fn toml_error(&self, error: &toml::de::Error) -> anyhow::Error {
        let message = one_line(error.message());
        match error.span() {
            Some(span) => self.error_at(span.start, message),
            None => anyhow!("{}: {}", self.name, escape_control(&message)),
        }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> u64 {
        line_column(self.text, offset).0
    }

    /// `value` as serde reads a `T`: type mistakes get serde's words.
    pub(crate) fn serde<T: Deserialize<'a>>(&self, value: &Value<'a>) -> anyhow::Result<T> {
        T::deserialize(value.clone().into_deserializer()).map_err(|e| self.toml_error(&e))
    }

    /// A value written as text or a bare number (`timeout = 5`,
    /// `expect_status = 200`), read by the parser the flag uses; its
    /// complaint, prefixed by the key, points at the value.
    pub(crate) fn parsed<T: std::str::FromStr<Err = String>>(
        &self,
        value: &Value<'a>,
        key: &str,
        expected: &'static str,
    ) -> anyhow::Result<T> {
        self.parsed_with(value, key, expected, T::from_str)
    }

    /// `parsed`, with the parser given.
    pub(crate) fn parsed_with<T>(
        &self,
        value: &Value<'a>,
        key: &str,
        expected: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> anyhow::Result<T> {
        let scalar = value
            .clone()
            .into_deserializer()
            .deserialize_any(ScalarVisitor { expected })
            .map_err(|e| self.toml_error(&e))?;
        parse(&scalar)
            .map_err(|problem| self.error_at(value.span().start, format!("{key}: {problem}")))
    }

    /// A regex, its error cut to one line.
    pub(crate) fn regex(&self, pattern: &str, offset: usize, key: &str) -> anyhow::Result<Regex> {
        Regex::new(pattern).map_err(|e| {
            self.error_at(
                offset,
                format!(
                    "{key}: '{pattern}' is not a valid regex: {}",
                    regex_problem(&e)
                ),
            )
        })
    }

    /// The entries of a table value in the order they were written, so that
    /// the first mistake reported is the first one in the file.
    pub(crate) fn table<'v>(
        &self,
        value: &'v Value<'a>,
        what: &str,
    ) -> anyhow::Result<Entries<'v, 'a>> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(in_file_order(table)),
            other => Err(self.error_at(
                value.span().start,
                format!("invalid type: {}, expected {what}", describe(other)),
            )),
        }
    }

    /// A string value with each `${NAME}` replaced by that environment
    /// variable. Errors name the variable, never a value.
    pub(crate) fn expand(&self, value: &Value<'a>) -> anyhow::Result<Expanded> {
        let written: String = self.serde(value)?;
        let mut out = Expanded {
            written: String::new(),
            text: String::with_capacity(written.len()),
            values: Vec::new(),
        };
        let mut rest_start = 0;
        while let Some(found) = written[rest_start..].find("${") {
            let start = rest_start + found;
            out.text.push_str(&written[rest_start..start]);
            let at = || self.placeholder_offset(value.span(), &written, start);
            let Some(len) = written[start + 2..].find('}') else {
                return Err(self.error_at(at(), "'${' is not closed; write ${NAME}"));
            };
            let name = &written[start + 2..start + 2 + len];
            if !is_variable_name(name) {
                return Err(self.error_at(
                    at(),
                    format!(
                        "'${{{name}}}' is not a variable name; use letters, digits and _ \
                         (such as ${{API_TOKEN}})"
                    ),
                ));
            }
            let Some(expanded) = (self.lookup)(name) else {
                return Err(self.error_at(at(), format!("environment variable {name} is not set")));
            };
            out.text.push_str(&expanded);
            out.values.push((expanded, format!("${{{name}}}")));
            rest_start = start + 2 + len + 1;
        }
        out.text.push_str(&written[rest_start..]);
        out.written = written;
        Ok(out)
    }

    /// The file offset of the `${` at byte `index` of a string's value. The
    /// value may differ from the file text (quotes, escapes), so the same
    /// `${` is found by its count; if escapes hide one, the string's start.
    fn placeholder_offset(&self, span: Range<usize>, value: &str, index: usize) -> usize {
        let Some(written) = self.text.get(span.clone()) else {
            return span.start;
        };
        let nth = value[..index].matches("${").count();
        let same_count = written.matches("${").count() == value.matches("${").count();
        match written.match_indices("${").nth(nth) {
            Some((offset, _)) if same_count => span.start + offset,
            _ => span.start,
        }
    }
}

/// The entries of a table in the order they were written.
pub(crate) fn in_file_order<'v, 'a>(table: &'v Table<'a>) -> Entries<'v, 'a> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    entries
}

/// A value's type in serde's words, for a type mistake.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("string {s:?}"),
        DeValue::Integer(i) => format!("integer `{}`", i.as_str()),
        DeValue::Float(f) => format!("floating point `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(_) => "datetime".into(),
        DeValue::Array(_) => "sequence".into(),
        DeValue::Table(_) => "map".into(),
    }
}

/// Reads the text of a value written as a string or a number; `expected`
/// says what was expected, for a type mistake.
struct ScalarVisitor {
    expected: &'static str,
}

impl de::Visitor<'_> for ScalarVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Environment variable names as shells write them.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line as u64, column as u64)
}

/// The gist of a regex error: its `Display` is a multi-line drawing of the
/// pattern, and the message must fit on the error's one line.
fn regex_problem(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("error: "))
        .map_or_else(|| one_line(&text), str::to_owned)
}

/// Collapse a multi-line message onto one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\nçé=x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 7), (2, 3), "ç and é are two bytes each");
        assert_eq!(
            line_column(text, 4),
            (2, 1),
            "inside a character: its start"
        );
        assert_eq!(line_column(text, 999), (3, 1), "past the end: the end");
    }
}
