//! Past one run: `--shard` (separate processes together give each line
//! exactly once, whatever the order), `--resume` after `kill -9` at random
//! moments, `--replay` renders what a live run did, `--baseline` fails only
//! on new failures. SARIF's validation by a real validator is in
//! `tests/e2e/sarif.sh`.

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{TestServer, run, sorted_lines, url_file, urlcheck};

/// A list of `n` URL lines for `server`: passes, 404s, invalid lines,
/// duplicates, comments and blank lines.
fn mixed_list(server: &TestServer, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for i in 0..n {
        lines.push(match i % 10 {
            0 => format!("not a url {i}"),
            1 => server.url(&format!("/status/404?{i}")),
            // Duplicates: the same URL on many lines.
            2 => server.url("/ok?dup"),
            _ => server.url(&format!("/ok?{i}")),
        });
        if i % 50 == 0 {
            lines.push("# a comment".into());
            lines.push(String::new());
        }
    }
    lines
}

/// What a record says about its line, timings left out.
fn key(record: &Value) -> (u64, String, bool, String, String) {
    (
        record["line"].as_u64().unwrap(),
        record["url"].as_str().unwrap().to_string(),
        record["ok"].as_bool().unwrap(),
        record["status"].to_string(),
        record["error_kind"].to_string(),
    )
}

fn shard_records(path: &str, index: u64, count: u64) -> Vec<Value> {
    let shard = format!("{index}/{count}");
    let out = run(&["-q", "-f", "jsonl", "--shard", &shard, path], None);
    assert!(matches!(out.code, Some(0 | 1)), "{out:?}");
    out.records()
}

#[test]
fn shards_together_give_every_line_once_whatever_the_order() {
    let server = TestServer::http();
    let lines = mixed_list(&server, 10_000);
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    let whole = shard_records(&path, 1, 1);
    let url_lines = lines
        .iter()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(whole.len(), url_lines);
    let mut expected: Vec<_> = whole.iter().map(key).collect();
    expected.sort();

    let mut shard_of: HashMap<String, u64> = HashMap::new();
    for count in [3, 8] {
        let mut union = Vec::new();
        for index in 1..=count {
            let records = shard_records(&path, index, count);
            if count == 8 {
                for r in &records {
                    shard_of.insert(r["url"].as_str().unwrap().to_string(), index);
                }
            }
            union.extend(records);
        }
        let mut got: Vec<_> = union.iter().map(key).collect();
        got.sort();
        assert_eq!(got.len(), expected.len(), "{count} shards");
        assert!(got == expected, "{count} shards give other records");
    }

    // Shuffled: every URL stays in its shard.
    let mut shuffled = lines.clone();
    fastrand::shuffle(&mut shuffled);
    let (_dir2, shuffled_path) = url_file(&(shuffled.join("\n") + "\n"));
    let mut seen = 0;
    for index in 1..=8 {
        for r in shard_records(&shuffled_path, index, 8) {
            let url = r["url"].as_str().unwrap();
            assert_eq!(shard_of[url], index, "{url} moved shard");
            seen += 1;
        }
    }
    assert_eq!(seen, url_lines);
}

/// `urlcheck -f jsonl --resume OUT LIST >> OUT`, started.
fn resumed(out: &str, list: &str, workers: &str) -> std::process::Child {
    let file = OpenOptions::new().append(true).open(out).unwrap();
    urlcheck()
        .args(["-q", "-f", "jsonl", "-w", workers, "--resume", out, list])
        .stdout(Stdio::from(file))
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_run_killed_at_random_moments_resumes_to_one_record_per_line() {
    let server = TestServer::http();
    let n = 600;
    let lines: Vec<String> = (0..n)
        .map(|i| match i % 7 {
            0 => format!("not a url {i}"),
            _ => server.url(&format!("/slow/{}?{i}", 5 + i % 20)),
        })
        .collect();
    let (dir, path) = url_file(&(lines.join("\n") + "\n"));
    for trial in 0..3 {
        let out = dir.path().join(format!("out{trial}.jsonl"));
        std::fs::write(&out, "").unwrap();
        let out_path = out.to_str().unwrap();
        let mut kills = 0;
        loop {
            let mut child = resumed(out_path, &path, "16");
            let moment = Duration::from_millis(fastrand::u64(20..250));
            std::thread::sleep(moment);
            if child.try_wait().unwrap().is_some() || kills == 10 {
                let status = child.wait().unwrap();
                assert!(
                    matches!(status.code(), Some(0 | 1)),
                    "trial {trial}: {status}"
                );
                break;
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
        }
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with('\n'), "trial {trial}: a cut last line");
        let mut by_line: BTreeMap<u64, usize> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let record: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("trial {trial}, line {}: {e}: {line}", i + 1));
            let number = record["line"].as_u64().unwrap();
            assert_eq!(record["url"], lines[number as usize - 1].as_str());
            *by_line.entry(number).or_default() += 1;
        }
        assert_eq!(by_line.len(), n, "trial {trial} after {kills} kills");
        assert!(
            by_line.values().all(|&c| c == 1),
            "trial {trial}: a line twice"
        );
        assert!(kills > 0, "trial {trial}: the run was never killed");
    }
}

#[test]
fn a_run_stopped_by_sigterm_resumes_and_checks_what_it_never_checked() {
    let server = TestServer::http();
    let n = 300;
    let lines: Vec<String> = (0..n)
        .map(|i| server.url(&format!("/slow/{}?{i}", 20 + i % 30)))
        .collect();
    let (dir, path) = url_file(&(lines.join("\n") + "\n"));
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, "").unwrap();
    let out_path = out.to_str().unwrap();
    let mut stops = 0;
    loop {
        let mut child = resumed(out_path, &path, "8");
        std::thread::sleep(Duration::from_millis(fastrand::u64(100..400)));
        if child.try_wait().unwrap().is_some() || stops == 8 {
            assert_eq!(child.wait().unwrap().code(), Some(0));
            break;
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        // 143 once the handlers are set; killed outright before that.
        let code = child.wait().unwrap().code();
        assert!(
            matches!(code, Some(143) | None),
            "a stop by SIGTERM: {code:?}"
        );
        stops += 1;
    }
    let records: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen = sorted_lines(&records);
    assert_eq!(
        seen,
        (1..=n as u64).collect::<Vec<_>>(),
        "after {stops} stops"
    );
    assert!(
        records.iter().all(|r| r["ok"] == true),
        "interrupted lines were checked again"
    );
    assert!(stops > 0);
}

#[test]
fn resume_refuses_the_output_of_other_inputs() {
    let server = TestServer::http();
    let (dir, path) = url_file(&format!("{}\n{}\n", server.url("/ok"), server.url("/ok?2")));
    let out = run(&["-q", "-f", "jsonl", &path], None);
    let done = dir.path().join("done.jsonl");
    std::fs::write(&done, &out.stdout).unwrap();
    let done = done.to_str().unwrap();
    // The same inputs: nothing left to check.
    let again = run(&["-f", "jsonl", "--resume", done, &path], None);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert_eq!(again.stdout, "");
    assert!(
        again.stderr.contains("skipped: 2 URL lines"),
        "{}",
        again.stderr
    );
    // Another list: refused before any check.
    let (_other_dir, other) = url_file(&format!("{}\n", server.url("/ok")));
    let refused = run(&["-f", "jsonl", "--resume", done, &other], None);
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("not an input of this run"),
        "{}",
        refused.stderr
    );
    // The same file name with other lines: refused at the line.
    std::fs::write(&path, format!("{}\n", server.url("/changed"))).unwrap();
    let changed = run(&["-f", "jsonl", "--resume", done, &path], None);
    assert_eq!(changed.code, Some(2), "{changed:?}");
    assert!(
        changed.stderr.contains(":1 with another URL"),
        "{}",
        changed.stderr
    );
}

#[test]
fn resume_needs_json_lines() {
    let server = TestServer::http();
    let (dir, path) = url_file(&format!("{}\n", server.url("/ok")));
    let out_file = dir.path().join("out.txt");
    std::fs::write(&out_file, "").unwrap();
    let out_path = out_file.to_str().unwrap();
    for format in ["human", "csv", "junit"] {
        let out = run(&["-f", format, "--resume", out_path, &path], None);
        assert_eq!(out.code, Some(2), "{format}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "urlcheck: --resume {out_path} needs --format jsonl: the run appends its \
                 records to that file, and a resumed run reads them back as JSON Lines (with \
                 -f {format} the next resume would fail on them); e.g. urlcheck -f jsonl \
                 --resume {out_path} urls.txt >> {out_path}\n"
            )
        );
        assert_eq!(out.stdout, "");
    }
    assert_eq!(server.counters.requests(), 0);
    // The default format is human: --resume alone is refused too.
    let out = run(&["--resume", out_path, &path], None);
    assert_eq!(out.code, Some(2), "{out:?}");
}

/// `urlcheck -f jsonl --resume OUT LIST` with stdout opened on OUT as
/// `>` (truncating) or `>>` (appending) would.
fn resumed_into(out: &str, list: &str, append: bool) -> crate::support::Run {
    let file = if append {
        OpenOptions::new().append(true).open(out).unwrap()
    } else {
        std::fs::File::create(out).unwrap()
    };
    let output = urlcheck()
        .args(["-f", "jsonl", "--resume", out, list])
        .stdout(Stdio::from(file))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    crate::support::Run {
        code: output.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn resume_into_its_own_file_with_a_truncating_redirect_says_so() {
    let server = TestServer::http();
    let (dir, path) = url_file(&format!("{}\n{}\n", server.url("/ok"), server.url("/ok?2")));
    let out_file = dir.path().join("out.jsonl");
    let out_path = out_file.to_str().unwrap();
    let warning = format!(
        "urlcheck: warning: stdout is the --resume file {out_path}, opened with > which \
         empties it: whatever records it held are gone, so every line is checked again; \
         append instead, so that a later --resume can pick up: >> {out_path}\n"
    );
    // A first run with >>: an empty file, rightly; nothing to say.
    std::fs::write(&out_file, "").unwrap();
    let first = resumed_into(out_path, &path, true);
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(!first.stderr.contains("warning"), "{}", first.stderr);
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap().lines().count(),
        2
    );
    // Again with >>: all done, nothing checked.
    let again = resumed_into(out_path, &path, true);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(!again.stderr.contains("warning"), "{}", again.stderr);
    assert_eq!(server.counters.requests(), 2);
    // With >: the shell emptied the file; every line is checked again, and
    // stderr says why.
    let emptied = resumed_into(out_path, &path, false);
    assert_eq!(emptied.code, Some(0), "{emptied:?}");
    assert!(emptied.stderr.starts_with(&warning), "{}", emptied.stderr);
    assert_eq!(server.counters.requests(), 4);
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap().lines().count(),
        2
    );
    // stdout elsewhere: a resume file emptied by hand is no redirect mistake.
    std::fs::write(&out_file, "").unwrap();
    let elsewhere = run(&["-f", "jsonl", "--resume", out_path, &path], None);
    assert_eq!(elsewhere.code, Some(0), "{elsewhere:?}");
    assert!(
        !elsewhere.stderr.contains("warning"),
        "{}",
        elsewhere.stderr
    );
}

/// JUnit with what a CI system reads, times and timestamps left out.
fn junit_cases(xml: &str) -> Vec<(String, String, Option<String>)> {
    let suites = junit_parser::from_reader(xml.as_bytes()).expect("valid JUnit");
    let mut cases: Vec<_> = suites.suites[0]
        .cases
        .iter()
        .map(|c| {
            let failure = match &c.status {
                junit_parser::TestStatus::Failure(f) => {
                    Some(format!("{}: {}", f.failure_type, f.message))
                }
                _ => None,
            };
            (
                c.name.clone(),
                c.classname.clone().unwrap_or_default(),
                failure,
            )
        })
        .collect();
    cases.sort();
    cases
}

/// Markdown without the lines that hold times.
fn markdown_without_times(md: &str) -> String {
    md.lines()
        .filter(|l| !l.starts_with("- latency") && !l.starts_with("- wall time"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn replay_renders_what_the_live_run_did() {
    let server = TestServer::http();
    let lines = [
        server.url("/ok"),
        server.url("/status/503"),
        "not a url".to_string(),
        server.url("/redirect/1"),
    ];
    let (dir, path) = url_file(&(lines.join("\n") + "\n"));
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let live = run(
        &[
            "-q",
            "-f",
            "jsonl",
            "--report",
            &format!("junit:{}", file("live.xml")),
            "--report",
            &format!("markdown:{}", file("live.md")),
            "--report",
            &format!("sarif:{}", file("live.sarif")),
            &path,
        ],
        None,
    );
    assert_eq!(live.code, Some(1));
    std::fs::write(file("live.jsonl"), &live.stdout).unwrap();
    let replay = |format: &str| {
        let out = run(&["-q", "-f", format, "--replay", "-"], Some(&live.stdout));
        assert_eq!(out.code, live.code, "{format}: {out:?}");
        out.stdout
    };
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap();
    assert_eq!(
        junit_cases(&replay("junit")),
        junit_cases(&read("live.xml"))
    );
    assert_eq!(
        markdown_without_times(&replay("markdown")),
        markdown_without_times(&read("live.md"))
    );
    let sarif = |text: &str| serde_json::from_str::<Value>(text).unwrap()["runs"][0].clone();
    assert_eq!(sarif(&replay("sarif")), sarif(&read("live.sarif")));
    assert_eq!(
        replay("jsonl"),
        live.stdout,
        "jsonl round-trips byte for byte"
    );

    // A line that is not a record is an error with its place.
    std::fs::write(file("bad.jsonl"), format!("{}{{\"url\":1}}\n", live.stdout)).unwrap();
    let out = run(&["-q", "--replay", &file("bad.jsonl")], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "{}:5: not a urlcheck JSON Lines record",
            file("bad.jsonl")
        )),
        "{}",
        out.stderr
    );
}

/// The records of `--shard K/N` of the list at `path`, as written.
fn shard_output(path: &str, index: u64, count: u64) -> String {
    let shard = format!("{index}/{count}");
    let out = run(&["-q", "-f", "jsonl", "--shard", &shard, path], None);
    assert!(matches!(out.code, Some(0 | 1)), "{out:?}");
    out.stdout
}

#[test]
fn replay_merges_whole_shards_and_says_when_one_is_missing() {
    let server = TestServer::http();
    let lines: Vec<String> = (0..60)
        .map(|i| match i % 6 {
            0 => server.url(&format!("/status/404?{i}")),
            _ => server.url(&format!("/ok?{i}")),
        })
        .collect();
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    let shards: Vec<String> = (1..=3).map(|k| shard_output(&path, k, 3)).collect();
    // Every record names its shard; a run without --shard names none.
    for (k, output) in shards.iter().enumerate() {
        for line in output.lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["shard"], format!("{}/3", k + 1), "{record}");
        }
    }
    let whole = run(&["-q", "-f", "jsonl", &path], None);
    assert!(whole.records().iter().all(|r| r["shard"].is_null()));

    // All three: every line once; the summary has no rate, which a replay
    // cannot have.
    let all = shards.concat();
    let out = run(
        &["--no-progress", "-f", "jsonl", "--replay", "-"],
        Some(&all),
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(sorted_lines(&out.records()), (1..=60).collect::<Vec<u64>>());
    assert!(
        out.stderr
            .contains("Summary: 60 URLs replayed: 50 ok, 10 failed\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("/s)"), "{}", out.stderr);

    // Shard 2 missing: with 7 or more records a shard, surely missing.
    let two_missing = format!("{}{}", shards[0], shards[2]);
    let out = run(&["-q", "-f", "jsonl", "--replay", "-"], Some(&two_missing));
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(
        out.stderr,
        "urlcheck: no record came from shard 2/3: its output is missing from the merge; \
         give every shard's output (a shard's job may have failed before uploading it)\n"
    );

    // Shards of another split do not mix.
    let mixed = format!("{}{}", shards[0], shard_output(&path, 1, 2));
    let out = run(&["-q", "--replay", "-"], Some(&mixed));
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "urlcheck: stdin:{}: records came from shard 1/3 and from shard 1/2: the \
             outputs of runs split 3 and 2 ways are mixed",
            shards[0].lines().count() + 1
        )),
        "{}",
        out.stderr
    );

    // A short list: a shard with no record may have had no line.
    let (_small_dir, small) = url_file(&format!("{}\n", server.url("/ok")));
    let short: String = (1..=4).map(|k| shard_output(&small, k, 4)).collect();
    let out = run(&["-q", "-f", "jsonl", "--replay", "-"], Some(&short));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.records().len(), 1);
    assert!(
        out.stderr
            .starts_with("urlcheck: warning: no record came from shard "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            ": its output may be missing, or it had no line (so few records, a \
                        shard may well have none)\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn replay_refuses_a_line_twice_unless_told_to_keep_the_last() {
    let server = TestServer::http();
    let (dir, path) = url_file(&format!(
        "{}\n{}\n{}\n",
        server.url("/ok"),
        server.url("/status/503"),
        server.url("/ok?3")
    ));
    let live = run(&["-q", "-f", "jsonl", &path], None);
    assert_eq!(live.code, Some(1));
    let first: Value = live.records()[0].clone();
    let out_file = dir.path().join("out.jsonl");
    std::fs::write(&out_file, &live.stdout).unwrap();
    let out_path = out_file.to_str().unwrap();

    // The same output given twice: the second file's first record is the
    // first duplicate, named with its place.
    let twice = run(&["-q", "--replay", out_path, "--replay", out_path], None);
    assert_eq!(twice.code, Some(2), "{twice:?}");
    assert_eq!(
        twice.stderr,
        format!(
            "urlcheck: {out_path}:1: a second record of {path}:{} {}: the same output given \
             twice, or a run of the same lines appended to another's? Give each output once, \
             or --keep-last to keep the last record of each line\n",
            first["line"],
            first["url"].as_str().unwrap()
        )
    );

    // A line checked again (the 503 now passes, say) and appended: with
    // --keep-last, its last record is the one kept, also from stdin.
    let mut again: Value = live.record(&server.url("/status/503"));
    again["ok"] = true.into();
    again["status"] = 200.into();
    again["error_kind"] = Value::Null;
    again["error"] = Value::Null;
    let appended = format!("{}{again}\n", live.stdout);
    let kept = run(
        &[
            "-f",
            "jsonl",
            "--no-progress",
            "--keep-last",
            "--replay",
            "-",
        ],
        Some(&appended),
    );
    assert_eq!(kept.code, Some(0), "{kept:?}");
    assert_eq!(sorted_lines(&kept.records()), [1, 2, 3]);
    assert_eq!(kept.record(&server.url("/status/503"))["status"], 200);
    assert!(
        kept.stderr.starts_with(
            "urlcheck: --keep-last: left out 1 records of lines that have a later record\n"
        ),
        "{}",
        kept.stderr
    );
    assert!(
        kept.stderr
            .contains("Summary: 3 URLs replayed: 3 ok, 0 failed"),
        "{}",
        kept.stderr
    );
    // A named pipe (as `<(cat …)` gives) is read once, then copied aside.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("records.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let (fifo, text) = (fifo.clone(), appended.clone());
            std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
        };
        // Should the pipe be opened a second time, that open waits for a
        // writer: this one ends it with nothing, so the test fails, not hangs.
        {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(30));
                let _ = std::fs::OpenOptions::new().write(true).open(fifo);
            });
        }
        let fifo_path = fifo.to_str().unwrap();
        let piped = run(
            &["-f", "jsonl", "-q", "--keep-last", "--replay", fifo_path],
            None,
        );
        writer.join().unwrap();
        assert_eq!(piped.code, Some(0), "{piped:?}");
        assert_eq!(sorted_lines(&piped.records()), [1, 2, 3]);
        assert_eq!(piped.record(&server.url("/status/503"))["status"], 200);
    }
    // Without it, refused at the appended line.
    let refused = run(&["-q", "--replay", "-"], Some(&appended));
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused
            .stderr
            .starts_with("urlcheck: stdin:4: a second record of "),
        "{}",
        refused.stderr
    );
    // --keep-last without --replay is a usage error.
    let usage = run(&["--keep-last", &path], None);
    assert_eq!(usage.code, Some(2), "{usage:?}");
    assert!(usage.stderr.contains("--replay"), "{}", usage.stderr);
}

#[test]
fn a_baseline_fails_the_run_only_on_new_failures() {
    let server = TestServer::http();
    let (broken, fixed, fine, new) = (
        server.url("/status/500"),
        server.url("/status/404"),
        server.url("/ok"),
        server.url("/status/502"),
    );
    let main = run(&["-q", "-f", "jsonl", &broken, &fixed, &fine], None);
    assert_eq!(main.code, Some(1));
    let (dir, _) = url_file("");
    let baseline = dir.path().join("main.jsonl");
    std::fs::write(&baseline, &main.stdout).unwrap();
    let baseline = baseline.to_str().unwrap();

    // Still broken, and nothing new: exit 0, the failure marked known.
    let same = run(
        &["-f", "jsonl", "--baseline", baseline, &broken, &fine],
        None,
    );
    assert_eq!(same.code, Some(0), "{same:?}");
    assert_eq!(same.record(&broken)["known"], true);
    assert_eq!(same.record(&broken)["ok"], false);
    assert_eq!(same.record(&fine)["known"], false);
    assert!(same.stderr.contains("1 known"), "{}", same.stderr);

    // A new failure: exit 1. The /status/404 that failed before is fixed
    // when it passes, which here it cannot; /ok stands in by name.
    let out = run(
        &[
            "--no-progress",
            "--baseline",
            baseline,
            &broken,
            &new,
            &fine,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("New failures:"), "{}", out.stderr);
    assert!(out.stderr.contains("Known failures"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("against the baseline: 1 new, 1 known, 0 fixed")
    );

    // Fixed: the baseline's failing URL now passes (a baseline edited to
    // say /ok failed).
    let edited = main.stdout.replace(&fixed, &fine);
    std::fs::write(dir.path().join("edited.jsonl"), edited).unwrap();
    let edited = dir.path().join("edited.jsonl");
    let out = run(
        &[
            "--no-progress",
            "--baseline",
            edited.to_str().unwrap(),
            &fine,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("Fixed (they failed in the baseline"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("fixed: it failed in the baseline"),
        "{}",
        out.stdout
    );
}

#[test]
fn shard_reports_name_the_shard() {
    let server = TestServer::http();
    let (_dir, path) = url_file(&format!("{}\n", server.url("/ok")));
    for index in 1..=2 {
        let shard = format!("{index}/2");
        let out = run(
            &["--no-progress", "-f", "junit", "--shard", &shard, &path],
            None,
        );
        assert!(
            out.stdout
                .contains(&format!("name=\"urlcheck (shard {shard})\"")),
            "{out:?}"
        );
        assert!(
            out.stderr.contains(&format!("Summary (shard {shard}):")),
            "{}",
            out.stderr
        );
    }
    let out = run(&["-f", "jsonl", "--shard", "3/2", &path], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("1 <= K <= N"), "{}", out.stderr);
}
