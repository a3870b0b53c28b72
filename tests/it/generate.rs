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
