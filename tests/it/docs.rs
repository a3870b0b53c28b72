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
