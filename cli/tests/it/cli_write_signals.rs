//! A signal in the middle of `zilliz-import write`: the run ends as
//! interrupted (130 or 143) and the writer's begun files are removed, even
//! while it waits on a pipe that gives no more rows.

use std::{
    io::Write,
    process::{Child, Stdio},
    time::Duration,
};

use crate::{
    cli_write::{Dir, GOOD},
    common::cli_env::std_cli,
};

/// Kills the child should the test fail before it ends.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Names in `out` (none once the run cleaned up).
fn names(dir: &Dir) -> Vec<String> {
    std::fs::read_dir(dir.path("out"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_signal_while_rows_still_come_removes_the_begun_files() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = Dir::new();
        // 52 MB of rows, a group per 1 KiB: the writer begins groups well
        // before the rows end (it reads ahead a few 4 MiB blocks).
        let mut child = Guard(Some(
            std_cli()
                .args([
                    "--output",
                    "json",
                    "write",
                    "--schema",
                    &dir.arg("schema.json"),
                ])
                .args([
                    "--out",
                    &dir.arg("out"),
                    "--input",
                    "-",
                    "--format",
                    "jsonl",
                ])
                .args(["--file-size", "1024"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts"),
        ));
        let running = child.0.as_mut().expect("running");
        let mut stdin = running.stdin.take().expect("piped");
        let rows: String = GOOD.repeat(400_000);
        stdin.write_all(rows.as_bytes()).expect("rows written");
        stdin.flush().expect("flushed");
        // The pipe stays open: the writer waits for more rows. Polled until
        // it has begun a file, at most a minute.
        let mut waited = 0;
        while !names(&dir).iter().any(|n| n.ends_with(".partial")) {
            assert!(waited < 600, "no file begun: {:?}", names(&dir));
            std::thread::sleep(Duration::from_millis(100));
            waited += 1;
        }
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), running.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        // It ends on its own, the pipe still open (no end of input), within
        // a minute; the guard kills it otherwise.
        let mut waited = 0;
        while running.try_wait().expect("waits").is_none() {
            assert!(waited < 600, "still running after SIG{signal}");
            std::thread::sleep(Duration::from_millis(100));
            waited += 1;
        }
        let out = child.0.take().expect("ended");
        let out = out.wait_with_output().expect("its output");
        drop(stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert_eq!(names(&dir), Vec::<String>::new(), "{stderr}");
    }
}
