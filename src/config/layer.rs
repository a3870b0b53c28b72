//! Layers of settings. The command line, the config file's `[defaults]` and
//! each `[[check]]` are layers of the same structs, where unset is `None`; a
//! layer lies `over` the one below it. `layer!` declares such a struct once:
//! clap's derive makes its flags, the field names are its config-file keys,
//! and `Layer` (how a file value sets a field, how layers merge) is written
//! from the same declaration.

use std::time::Duration;

use clap::ValueEnum;
use reqwest::header::{HeaderMap, HeaderValue};

use super::toml_text::{FileValue, TomlText, Value};
use super::values::{
    ColorArg, Format, Header, HeaderRule, Lookahead, Method, StatusSet, Streak, Threads, Workers,
    show_duration,
};

/// A struct of settings that can be read from a config-file table and laid
/// over another.
pub(crate) trait Layer: Sized {
    /// The config-file keys, in declaration order.
    const KEYS: &'static [&'static str];

    /// Set the field named `key` from a file value; `Ok(false)` when this
    /// layer has no such key.
    fn read(&mut self, text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<bool>;

    /// `self` over `below`: what is set here wins.
    fn over(self, below: Self) -> Self;
}

/// One field of a layer: how a file value sets it and how it merges.
pub(crate) trait Field: Sized {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self>;
    fn over(self, below: Self) -> Self;
}

/// A single value: set here, it wins.
impl<T: FileValue> Field for Option<T> {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        T::read(text, key, value).map(Some)
    }

    fn over(self, below: Self) -> Self {
        self.or(below)
    }
}

/// Request headers: a layer's header replaces the same-named ones below it
/// (all of them); other headers below are kept.
impl Field for Vec<Header> {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        let mut headers = Vec::new();
        for (name, value) in text.table(value, "a table of header names and values")? {
            let name = super::values::header_name(name.get_ref())
                .map_err(|problem| text.error_at(name.span().start, format!("{key}: {problem}")))?;
            let expanded = text.expand(value)?;
            // The value is never quoted, since it may hold a secret.
            let value = super::values::header_value(&expanded.text, expanded.has_variables())
                .map_err(|_| {
                    text.error_at(
                        value.span().start,
                        format!(
                            "{key}: the value of {name} has characters a header cannot carry \
                             (such as a line break)"
                        ),
                    )
                })?;
            headers.push(Header { name, value });
        }
        Ok(headers)
    }

    fn over(self, below: Self) -> Self {
        let mut merged: Vec<Header> = below
            .into_iter()
            .filter(|b| !self.iter().any(|h| h.name == b.name))
            .collect();
        merged.extend(self);
        merged
    }
}

/// Header expectations add up: a layer's rules join those below it.
impl Field for Vec<HeaderRule> {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        let mut rules = Vec::new();
        for (name, pattern) in text.table(value, "a table of header names and regexes")? {
            let name = super::values::header_name(name.get_ref())
                .map_err(|problem| text.error_at(name.span().start, format!("{key}: {problem}")))?;
            let written: String = text.serde(pattern)?;
            let pattern = text.regex(&written, pattern.span().start, key)?;
            rules.push(HeaderRule { name, pattern });
        }
        Ok(rules)
    }

    fn over(self, mut below: Self) -> Self {
        below.extend(self);
        below
    }
}

/// A list of texts (`sitemap`), written as one string or an array of them;
/// a layer's list replaces the one below it, as a repeated flag does.
impl Field for Vec<String> {
    fn read(text: &TomlText<'_>, _key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        one_or_many(text, value)
    }

    fn over(self, below: Self) -> Self {
        if self.is_empty() { below } else { self }
    }
}

/// URL filters (`include`, `exclude`), one regex or an array of them; a
/// layer's filters join those below it.
impl Field for Vec<regex::Regex> {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        one_or_many(text, value)?
            .iter()
            .map(|pattern| text.regex(pattern, value.span().start, key))
            .collect()
    }

    fn over(self, mut below: Self) -> Self {
        below.extend(self);
        below
    }
}

/// `report`: one `FORMAT:PATH` or an array of them; the file's reports and
/// the flags' are all written.
impl Field for Vec<super::values::Report> {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        one_or_many(text, value)?
            .iter()
            .map(|report| {
                report.parse().map_err(|problem| {
                    text.error_at(value.span().start, format!("{key}: {problem}"))
                })
            })
            .collect()
    }

    fn over(self, mut below: Self) -> Self {
        below.extend(self);
        below
    }
}

fn one_or_many(text: &TomlText<'_>, value: &Value<'_>) -> anyhow::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match text.serde::<OneOrMany>(value)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// The headers of a layer, in order, for a request.
pub(crate) fn header_map(headers: &[Header]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for header in headers {
        map.append(header.name.clone(), header.value.clone());
    }
    map
}

/// A setting with a default: what it resolves to, and how `--help` shows
/// the default.
pub(crate) trait Defaulted {
    /// The resolved value (a checked newtype's plain number).
    type Value;
    /// The value set, or `default`.
    fn or(&self, default: Self::Value) -> Self::Value;
    /// The default as `--help` shows it after `default:`; none for a switch.
    fn show(default: &Self::Value) -> Option<String>;
}

/// `Defaulted` for `Option<T>` settings: `value` unwraps what is set, `show`
/// words the default.
macro_rules! defaulted {
    ($($ty:ty => $value:ty, |$set:ident| $unwrap:expr, |$default:ident| $show:expr;)*) => {
        $(
            impl Defaulted for Option<$ty> {
                type Value = $value;
                fn or(&self, default: $value) -> $value {
                    match self {
                        Some($set) => $unwrap,
                        None => default,
                    }
                }
                fn show($default: &$value) -> Option<String> {
                    $show
                }
            }
        )*
    };
}

defaulted! {
    bool => bool, |set| *set, |_default| None;
    u32 => u32, |set| *set, |default| Some(default.to_string());
    Duration => Duration, |set| *set, |default| Some(show_duration(*default));
    Workers => usize, |set| set.0, |default| Some(default.to_string());
    Threads => usize, |set| set.0, |default| Some(default.to_string());
    Lookahead => usize, |set| set.0, |default| Some(default.to_string());
    Streak => u32, |set| set.0, |default| Some(default.to_string());
    Method => Method, |set| *set, |default| Some(default.to_string());
    StatusSet => StatusSet, |set| set.clone(), |default| Some(default.to_string());
    Format => Format, |set| *set, |default| Some(default.to_string());
    ColorArg => ColorArg, |set| *set, |default| {
        default.to_possible_value().map(|v| v.get_name().to_string())
    };
    HeaderValue => HeaderValue, |set| set.clone(), |default| default.to_str().ok().map(String::from);
}

/// Declares a layer: the struct as written (its fields `Option`s or lists,
/// each optionally with `= default`), its `Layer` impl, and an accessor per
/// field, all from the same names. Fields are private to `config`: the rest
/// of the program reads a setting only through its accessor, which applies
/// the default, so a setting declared and never used is dead code that the
/// compiler points out.
macro_rules! layer {
    (
        $(#[$meta:meta])*
        pub(crate) struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field:ident: $ty:ty $(= $default:expr)?,
            )*
        }
    ) => {
        $(#[$meta])*
        pub(crate) struct $name {
            $(
                $(#[$field_meta])*
                pub(super) $field: $ty,
            )*
        }

        impl $name {
            $($crate::config::layer::accessor!($field: $ty $(= $default)?);)*

            /// Each defaulted setting's default, as `--help` shows it.
            pub(crate) fn defaults() -> Vec<(&'static str, String)> {
                #[allow(unused_imports)]
                use $crate::config::layer::Defaulted;
                let shown: Vec<(&'static str, Option<String>)> = vec![
                    $($((stringify!($field), <$ty as Defaulted>::show(&$default)),)?)*
                ];
                shown
                    .into_iter()
                    .filter_map(|(key, default)| Some((key, default?)))
                    .collect()
            }
        }

        impl $crate::config::layer::Layer for $name {
            const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn read(
                &mut self,
                text: &$crate::config::toml_text::TomlText<'_>,
                key: &str,
                value: &$crate::config::toml_text::Value<'_>,
            ) -> anyhow::Result<bool> {
                use $crate::config::layer::Field;
                match key {
                    $(stringify!($field) => self.$field = Field::read(text, key, value)?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }

            fn over(self, below: Self) -> Self {
                use $crate::config::layer::Field;
                $name {
                    $($field: Field::over(self.$field, below.$field),)*
                }
            }
        }
    };
}

/// A layer's accessor: with a default, the value or the default; without
/// one, the setting as given.
macro_rules! accessor {
    ($field:ident: $ty:ty = $default:expr) => {
        pub(crate) fn $field(&self) -> <$ty as $crate::config::layer::Defaulted>::Value {
            $crate::config::layer::Defaulted::or(&self.$field, $default)
        }
    };
    ($field:ident: $ty:ty) => {
        pub(crate) fn $field(&self) -> &$ty {
            &self.$field
        }
    };
}

pub(crate) use accessor;
pub(crate) use layer;

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Header {
        line.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn rule(line: &str) -> HeaderRule {
        line.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn headers_replace_by_name_and_keep_the_rest() {
        let below = vec![
            header("X-Team: web"),
            header("X-Team: ops"),
            header("X-A: 1"),
        ];
        let merged = vec![header("x-team: api")].over(below);
        let shown: Vec<String> = merged
            .iter()
            .map(|h| format!("{}: {}", h.name, h.value.to_str().unwrap_or("?")))
            .collect();
        assert_eq!(shown, ["x-a: 1", "x-team: api"]);
    }

    #[test]
    fn header_rules_add_up_below_first() {
        let merged = vec![rule("X-Top: t")].over(vec![rule("X-Base: b")]);
        let names: Vec<_> = merged.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["x-base", "x-top"]);
    }

    #[test]
    fn options_set_above_win() {
        assert_eq!(Some(1).over(Some(2)), Some(1));
        assert_eq!(None.over(Some(2)), Some(2));
    }
}
