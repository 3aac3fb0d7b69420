//! Connections that make no progress, over raw TCP: header drippers, idle
//! keep-alive connections, a descriptor limit under many drippers, and a
//! client that stops reading its answers.

use std::time::{Duration, Instant};

use serde_json::json;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::*;

#[tokio::test]
async fn slow_header_drippers_are_cut_while_others_are_served() {
    const DRIPPERS: usize = 64;
    const SILENT: usize = 8;
    const TIMEOUT: Duration = Duration::from_millis(1_500);
    let h = manual_builder()
        .header_read_timeout(TIMEOUT)
        .start()
        .await
        .expect("emulator starts");
    let addr = h.local_addr();

    // Each dripper sends a request line, then one header line every 100 ms
    // (at most 60, so 6 s) and never the blank line that ends the head; the
    // silent ones send nothing. Each reports when the server closed it.
    let mut tasks = Vec::new();
    for i in 0..DRIPPERS + SILENT {
        let drips = i < DRIPPERS;
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut s = TcpStream::connect(addr).await.expect("connects");
            let (mut rd, mut wr) = s.split();
            let drip = async {
                if !drips {
                    return std::future::pending::<()>().await;
                }
                if wr
                    .write_all(format!("POST {LIST} HTTP/1.1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return std::future::pending().await;
                }
                for n in 0..60 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if wr
                        .write_all(format!("x-drip-{n}: a\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                std::future::pending().await
            };
            let closed = async {
                let mut chunk = [0u8; 1024];
                loop {
                    match rd.read(&mut chunk).await {
                        Ok(0) | Err(_) => return started.elapsed(),
                        Ok(_) => {}
                    }
                }
            };
            timeout(Duration::from_secs(8), async {
                tokio::select! {
                    () = drip => unreachable!(),
                    at = closed => at,
                }
            })
            .await
            .ok()
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // With them all open, a normal request is answered well within the timeout.
    let started = Instant::now();
    let (status, body) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    let took = started.elapsed();
    assert_eq!((status, body["code"].clone()), (200, json!(0)));
    assert!(took < Duration::from_millis(1_000), "{took:?}");

    let mut closed_at = Vec::new();
    for task in tasks {
        closed_at.push(task.await.expect("task ran"));
    }
    let cut: Vec<Duration> = closed_at.iter().flatten().copied().collect();
    assert_eq!(
        cut.len(),
        DRIPPERS + SILENT,
        "every slow connection closed: {closed_at:?}"
    );
    let early = cut
        .iter()
        .filter(|&&t| t < TIMEOUT - Duration::from_millis(100))
        .count();
    let late = cut
        .iter()
        .filter(|&&t| t > TIMEOUT + Duration::from_secs(3))
        .count();
    assert_eq!((early, late), (0, 0), "closed at the timeout: {cut:?}");
    // Cut before a head was complete, so none of them made a request.
    assert_eq!(h.requests().len(), 1);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    const TIMEOUT: Duration = Duration::from_millis(1_000);
    let h = manual_builder()
        .header_read_timeout(TIMEOUT)
        .start()
        .await
        .expect("emulator starts");
    let body = json!({"clusterId": CLUSTER}).to_string();
    let mut request = head(LIST, Some(KEY), body.len());
    request.extend_from_slice(body.as_bytes());
    let empty =
        json!({"code": 0, "data": {"count": 0, "currentPage": 1, "pageSize": 10, "records": []}});

    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    // Two requests on one connection, 600 ms apart (less than the timeout):
    // the connection is kept alive between them.
    for pause in [Duration::ZERO, Duration::from_millis(600)] {
        tokio::time::sleep(pause).await;
        s.write_all(&request).await.expect("request sent");
        let answer = read_response(&mut s, Duration::from_secs(5)).await;
        assert_eq!(answer, Some((200, empty.clone())));
    }
    // Then idle: closed by the server once the timeout has passed.
    let idle_since = Instant::now();
    let closed = wait_closed(&mut s, idle_since, Duration::from_secs(6)).await;
    let closed = closed.expect("the idle connection was closed");
    assert!(
        closed >= TIMEOUT - Duration::from_millis(100) && closed < TIMEOUT + Duration::from_secs(3),
        "{closed:?}"
    );
    assert_eq!(h.requests().len(), 2);
}

/// The outside tester's setup: the emulator under a 256-descriptor limit and
/// 300 clients dripping header lines at it. The emulator runs in a child
/// process (this test binary again, under `ulimit -n 256`, printing its
/// address), so the low limit is the server's alone, as it was for the tester.
#[tokio::test]
async fn under_a_256_descriptor_limit_300_drippers_do_not_starve_a_normal_request() {
    use tokio::io::AsyncBufReadExt;

    const CHILD: &str = "ZI_EMULATOR_FD_LIMIT_CHILD";
    // The test's name in the `it` binary, for `--exact`.
    const NAME: &str =
        "connections::under_a_256_descriptor_limit_300_drippers_do_not_starve_a_normal_request";
    if std::env::var_os(CHILD).is_some() {
        // The child: serve for at most 40 s.
        let h = manual_builder()
            .header_read_timeout(Duration::from_millis(1_000))
            .start()
            .await
            .expect("emulator starts");
        println!("EMULATOR-ADDR {}", h.local_addr());
        tokio::time::sleep(Duration::from_secs(40)).await;
        return;
    }

    let exe = std::env::current_exe().expect("test binary");
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0" "$@""#)
        .arg(exe)
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let find_addr = async {
        while let Ok(Some(line)) = lines.next_line().await {
            // libtest may have written "test NAME ... " on the same line.
            if let Some((_, addr)) = line.split_once("EMULATOR-ADDR ") {
                return addr.trim().parse::<std::net::SocketAddr>().ok();
            }
        }
        None
    };
    let addr = timeout(Duration::from_secs(20), find_addr)
        .await
        .ok()
        .flatten()
        .expect("the child printed its address");
    assert!(addr.ip().is_loopback());

    // Each dripper drips for up to 20 s unless the server closes it first.
    let mut drippers = Vec::new();
    for _ in 0..300 {
        drippers.push(tokio::spawn(async move {
            let started = Instant::now();
            let Ok(mut s) = TcpStream::connect(addr).await else {
                return None;
            };
            let (mut rd, mut wr) = s.split();
            let drip = async {
                let _ = wr
                    .write_all(format!("POST {LIST} HTTP/1.1\r\n").as_bytes())
                    .await;
                for n in 0..100 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if wr
                        .write_all(format!("x-drip-{n}: a\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                std::future::pending::<()>().await;
            };
            let closed = async {
                let mut chunk = [0u8; 256];
                while let Ok(n) = rd.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            tokio::select! {
                () = drip => None,
                () = closed => Some(started.elapsed()),
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A normal request on one connection, sent while they drip: it waits in
    // the listen queue until the server has descriptors again, and must be
    // answered within 10 s (the drippers alone would hold them for 20 s).
    let body = json!({"clusterId": CLUSTER}).to_string();
    let mut request = head(LIST, Some(KEY), body.len());
    request.extend_from_slice(body.as_bytes());
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(&request).await.expect("request sent");
    let answer = read_response(&mut s, Duration::from_secs(10)).await;
    let took = started.elapsed();
    eprintln!("normal request answered after {took:?}");
    assert_eq!(
        answer.map(|(status, body)| (status, body["code"].clone())),
        Some((200, json!(0))),
        "after {took:?}"
    );

    let mut cut = 0;
    for d in drippers {
        cut += usize::from(d.await.expect("dripper ran").is_some());
    }
    assert_eq!(cut, 300, "every dripper was closed by the server");
    let _ = child.kill().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_write_timeout() {
    const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
    const PIPELINED: usize = 32;
    // A long header timeout, so only the write timeout can close the connection.
    let h = manual_builder()
        .write_timeout(WRITE_TIMEOUT)
        .header_read_timeout(Duration::from_secs(30))
        .start()
        .await
        .expect("emulator starts");
    // One job with a NumPy group of 5,000 files: its describe answer is
    // over a megabyte.
    let urls: Vec<String> = (0..5_000)
        .map(|i| {
            format!("s3://bucket/a/rather/long/prefix/to/make/the/answer/large/part-{i:05}.npy")
        })
        .collect();
    let (_, created) = post(
        &h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": [urls]}),
    )
    .await;
    let job_id = created["data"]["jobId"].as_str().expect("jobId").to_owned();
    let one = describe(&h, &job_id).await.to_string().len();
    assert!(one > 1_000_000, "{one}");

    // 32 describes sent at once on a connection with a small receive buffer,
    // then nothing read for 2 s: far more than the socket buffers can hold.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let mut s = socket.connect(h.local_addr()).await.expect("connects");
    let body = json!({"clusterId": CLUSTER, "jobId": job_id}).to_string();
    let mut one_request = head(DESCRIBE, Some(KEY), body.len());
    one_request.extend_from_slice(body.as_bytes());
    s.write_all(&one_request.repeat(PIPELINED))
        .await
        .expect("requests sent");
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Reading now finds the connection closed after what was buffered.
    let mut got = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    let closed = timeout(Duration::from_secs(10), async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after reading {got} bytes");
    assert!(got < PIPELINED * one, "{got} of {} bytes", PIPELINED * one);
}
