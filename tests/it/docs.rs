//! Docs that cannot go stale: ARCHITECTURE.md's tree lists exactly the files
//! of `src/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every file under `dir`, as a path relative to the crate's root.
fn files_under(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            let relative = path.strip_prefix(ROOT).unwrap();
            out.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The files that the tree in ARCHITECTURE.md names: `src/x.rs` at the top,
/// and under a folder line (`src/run/`) its files, indented 4 spaces a level.
fn files_in_the_tree(text: &str) -> BTreeSet<String> {
    let tree = text
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("ARCHITECTURE.md has a ```text tree");
    let mut folders: Vec<String> = Vec::new();
    let mut files = BTreeSet::new();
    for line in tree.lines().filter(|l| !l.trim().is_empty()) {
        let depth = (line.len() - line.trim_start().len()) / 4;
        let name = line.split_whitespace().next().unwrap();
        folders.truncate(depth);
        let path = match folders.last() {
            Some(folder) => format!("{folder}{name}"),
            None => name.to_string(),
        };
        if path.ends_with('/') {
            folders.push(path);
        } else {
            files.insert(path);
        }
    }
    files
}

#[test]
fn the_architecture_tree_lists_every_file_of_src_and_no_other() {
    let text = std::fs::read_to_string(PathBuf::from(ROOT).join("ARCHITECTURE.md")).unwrap();
    let listed = files_in_the_tree(&text);
    let mut present = BTreeSet::new();
    files_under(&PathBuf::from(ROOT).join("src"), &mut present);
    let missing: Vec<_> = present.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&present).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "ARCHITECTURE.md's tree is out of date: not listed {missing:?}; listed but gone {gone:?}"
    );
}

#[test]
fn the_tree_reader_follows_folders_by_indentation() {
    let text =
        "```text\nsrc/a.rs   x\nsrc/b/   y\n    c.rs  z\n    d/\n        e.rs\nsrc/f.rs\n```\n";
    let files: Vec<String> = files_in_the_tree(text).into_iter().collect();
    assert_eq!(
        files,
        ["src/a.rs", "src/b/c.rs", "src/b/d/e.rs", "src/f.rs"]
    );
}

/// The reference page.
fn reference() -> String {
    std::fs::read_to_string(PathBuf::from(ROOT).join("docs/reference.md")).unwrap()
}

/// The text of the section whose heading line is `heading`, up to the next
/// heading of the same or a higher level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let level = heading.split(' ').next().unwrap();
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let body = &text[start + heading.len() + 2..];
    let end = body
        .lines()
        .scan(0, |at, line| {
            let here = *at;
            *at += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| {
            let hashes = line.split(' ').next().unwrap_or("");
            !hashes.is_empty() && hashes.chars().all(|c| c == '#') && hashes.len() <= level.len()
        })
        .map_or(body.len(), |(at, _)| at);
    &body[..end]
}

/// The first cells of a Markdown table's rows, without backticks.
fn first_cells(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .filter_map(|row| row.split('|').nth(1))
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .filter(|cell| !matches!(cell.as_str(), "Kind" | "Field" | "Code"))
        .collect()
}

/// `--help`, whole.
fn long_help() -> String {
    let out = crate::support::run(&["--help"], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    out.stdout
}

/// The comma-separated names after `label` in `--help`, up to a blank line
/// or a line that starts another part.
fn help_list(help: &str, label: &str, stop: &str) -> BTreeSet<String> {
    let rest = help
        .split(label)
        .nth(1)
        .unwrap_or_else(|| panic!("no {label:?} in --help"));
    let text = rest
        .split("\n\n")
        .next()
        .unwrap()
        .split(stop)
        .next()
        .unwrap();
    text.split([',', '\n'])
        .flat_map(|names| names.split(" and "))
        .map(|name| name.trim().trim_start_matches("and ").trim())
        .map(|name| name.trim_end_matches(" (required)").to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_reference_names_every_failure_kind_that_help_does() {
    let help = help_list(&long_help(), "Failure kinds (error_kind):", "\n\n");
    let documented = first_cells(section(&reference(), "## Failure kinds"));
    assert_eq!(
        help, documented,
        "failure kinds: --help vs docs/reference.md"
    );
}

#[test]
fn the_reference_names_every_record_field_that_help_does() {
    let help_text = long_help();
    let fields = help_list(&help_text, "Record fields (jsonl, csv):", "  With --watch");
    let documented = first_cells(section(&reference(), "### jsonl and csv"));
    assert_eq!(
        fields, documented,
        "record fields: --help vs docs/reference.md"
    );
    let watch_fields = help_list(&help_text, "With --watch also:", "\n\n");
    let watch = std::fs::read_to_string(PathBuf::from(ROOT).join("docs/watch.md")).unwrap();
    for field in &watch_fields {
        assert!(
            watch.contains(&format!("`{field}`")),
            "docs/watch.md does not name the event field {field}"
        );
    }
}

#[test]
fn the_reference_has_every_exit_code_that_help_has() {
    let help = long_help();
    let codes: BTreeSet<String> = help
        .split("Exit codes:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    let documented = first_cells(section(&reference(), "## Exit codes"));
    assert_eq!(codes, documented, "exit codes: --help vs docs/reference.md");
}

#[test]
fn the_reference_names_every_config_key_that_help_does() {
    let help = long_help();
    let defaults = help_list(&help, "\n  [defaults]", "[[check]]");
    let check = help_list(&help, "\n  [[check]]", "${VAR}");
    assert!(
        defaults.len() > 25 && check.len() > 8,
        "{defaults:?} {check:?}"
    );
    let reference = reference();
    let documented = section(&reference, "## Config file");
    for key in defaults.iter().chain(&check) {
        assert!(
            documented.contains(&format!("`{key}`")),
            "the config key {key} is not in docs/reference.md's Config file section"
        );
    }
}
