//! `--generate`: shell completions that a shell loads and completes with,
//! and a man page that renders.

use std::process::Command;

use crate::support::run;

#[test]
fn bash_loads_the_completions_and_completes_a_flag() {
    let out = run(&["--generate", "complete-bash"], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("urlcheck.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let completed = Command::new("bash")
        .arg("-c")
        .arg(
            "source \"$1\" && COMP_WORDS=(urlcheck --form) && COMP_CWORD=1 \
             && COMP_LINE='urlcheck --form' && COMP_POINT=15 \
             && _urlcheck urlcheck --form urlcheck && echo \"${COMPREPLY[@]}\"",
        )
        .arg("bash")
        .arg(&script)
        .output()
        .unwrap();
    assert!(completed.status.success(), "{completed:?}");
    assert_eq!(
        String::from_utf8_lossy(&completed.stdout).trim(),
        "--format"
    );
}

#[test]
fn the_other_shells_get_their_scripts() {
    for (kind, marker) in [
        ("complete-zsh", "#compdef urlcheck"),
        ("complete-fish", "complete -c urlcheck"),
        ("complete-powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(&["--generate", kind], None);
        assert_eq!(out.code, Some(0), "{kind}: {out:?}");
        assert!(out.stdout.contains(marker), "{kind}: no {marker:?}");
        assert!(
            out.stdout.contains("--watch"),
            "{kind}: the flags are there"
        );
    }
}

#[test]
fn the_man_page_renders() {
    let out = run(&["--generate", "man"], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains(".TH urlcheck 1"), "roff with a title");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("urlcheck.1");
    std::fs::write(&page, &out.stdout).unwrap();
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS"] {
        assert!(out.stdout.contains(section), "no {section}");
    }
    // Rendered as `man -l` does, where man-db is installed (it is on the
    // machines this project runs on; elsewhere the roff checks above stand).
    let rendered = match Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(&page)
        .env("MANWIDTH", "80")
        .output()
    {
        Ok(rendered) => rendered,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("man is not installed: the page was checked as roff only");
            return;
        }
        Err(e) => panic!("cannot run man: {e}"),
    };
    assert!(rendered.status.success(), "{rendered:?}");
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(text.contains("SYNOPSIS"), "{text}");
    assert!(text.contains("--workers"), "{text}");
}

/// The options an option list names: `--format` from `-f, --format <FORMAT>`.
fn long_options(lines: impl Iterator<Item = String>) -> std::collections::BTreeSet<String> {
    lines
        .filter_map(|line| {
            let line = line.trim_start().to_string();
            line.starts_with('-').then(|| {
                let head = line.split("  ").next().unwrap_or_default();
                head.split([',', ' ', '`', '['])
                    .filter(|w| w.starts_with("--") && w.len() > 2 && !w.starts_with("---"))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect()
}

#[test]
fn short_help_fits_a_screen_and_long_help_lists_every_option_of_the_reference() {
    let short = run(&["-h"], None);
    assert_eq!(short.code, Some(0), "{short:?}");
    let lines = short.stdout.lines().count();
    assert!(
        (20..=50).contains(&lines),
        "-h is {lines} lines:\n{}",
        short.stdout
    );
    assert!(
        short.stdout.contains("urlcheck --help lists every option"),
        "-h says where to read more:\n{}",
        short.stdout
    );
    let shown = long_options(short.stdout.lines().map(str::to_string));
    assert_eq!(
        shown.into_iter().collect::<Vec<_>>(),
        [
            "--config",
            "--expect-status",
            "--format",
            "--header",
            "--help",
            "--only-failures",
            "--quiet",
            "--report",
            "--retries",
            "--timeout",
            "--version",
            "--workers",
        ]
    );

    let long = run(&["--help"], None);
    assert_eq!(long.code, Some(0), "{long:?}");
    let reference =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md")).unwrap();
    let table = reference
        .split("## Options")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").nth(1))
        .unwrap();
    // Each row's first cell: `| `-f, --format FORMAT` |` -> `-f, --format FORMAT`.
    let documented = long_options(
        table
            .lines()
            .filter_map(|row| row.split('|').nth(1))
            .map(|cell| cell.trim().trim_matches('`').to_string()),
    );
    let listed = long_options(long.stdout.lines().map(str::to_string));
    assert!(documented.len() > 50, "{documented:?}");
    assert_eq!(
        listed, documented,
        "--help and the option table of docs/reference.md name the same options"
    );
}
