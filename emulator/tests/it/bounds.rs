//! What the emulator bounds, over HTTP: the request log, bodies (read only
//! once authorized, in size and in time), the jobs held, hostile values,
//! and the spread of job durations.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use zilliz_import_emulator::{Emulator, JobState};

use crate::support::*;

#[tokio::test]
async fn the_request_log_is_a_ring_of_the_most_recent_requests() {
    const CAPACITY: usize = 5;
    const EXTRA: usize = 3;
    let h = manual_builder()
        .request_log_capacity(CAPACITY)
        .start()
        .await
        .expect("emulator starts");
    for i in 0..CAPACITY + EXTRA {
        let job_id = format!("job-{i}");
        let (status, body) =
            post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": job_id})).await;
        assert_eq!((status, body["code"].clone()), (200, json!(96026)));
    }
    let kept: Vec<Value> = h
        .requests()
        .into_iter()
        .map(|r| r.body["jobId"].clone())
        .collect();
    let expected: Vec<Value> = (EXTRA..CAPACITY + EXTRA)
        .map(|i| json!(format!("job-{i}")))
        .collect();
    assert_eq!(kept, expected, "the oldest {EXTRA} dropped, order kept");

    // The default keeps a load test's worth.
    let h = manual_builder().start().await.expect("emulator starts");
    for _ in 0..3 {
        post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    }
    assert_eq!(h.requests().len(), 3);
    assert_eq!(zilliz_import_emulator::DEFAULT_REQUEST_LOG_CAPACITY, 16_384);
}

#[tokio::test]
async fn an_unauthenticated_body_is_neither_read_nor_recorded() {
    // A long body timeout: if the server waited for the body, the 401 below
    // would take 30 seconds instead of arriving at once.
    let h = manual_builder()
        .body_read_timeout(Duration::from_secs(30))
        .start()
        .await
        .expect("emulator starts");

    // 1. A head announcing 1 MiB that never comes: answered at once.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some("wrong-key"), 1 << 20))
        .await
        .expect("head sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    assert_eq!(
        answer,
        Some((
            401,
            json!({"code": 21119, "message": "The apikey is illegal."})
        ))
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The body is not waited for: the server closes the connection.
    assert!(
        wait_closed(&mut s, started, Duration::from_secs(5))
            .await
            .is_some()
    );

    // 2. A large, valid JSON body sent in full without a key.
    let big = json!({"clusterId": CLUSTER, "jobId": "1", "pad": vec![0; 400_000]}).to_string();
    assert!(big.len() > 500_000);
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    let mut request = head(DESCRIBE, None, big.len());
    request.extend_from_slice(big.as_bytes());
    let (mut rd, mut wr) = s.split();
    // The server may close before taking it all; a failed write is fine.
    let write = async {
        let _ = wr.write_all(&request).await;
    };
    let read = async {
        let mut got = Vec::new();
        let _ = timeout(Duration::from_secs(5), rd.read_to_end(&mut got)).await;
        got
    };
    let ((), got) = tokio::join!(write, read);
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");

    // 3. An authorized request still has its body recorded.
    post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": "7"})).await;

    let recorded: Vec<(bool, u16, i64, Value)> = h
        .requests()
        .into_iter()
        .map(|r| (r.authorized, r.status, r.code, r.body))
        .collect();
    assert_eq!(
        recorded,
        [
            (false, 401, 21119, Value::Null),
            (false, 401, 21119, Value::Null),
            (
                true,
                200,
                96026,
                json!({"clusterId": CLUSTER, "jobId": "7"})
            ),
        ]
    );
}

#[tokio::test]
async fn bodies_are_bounded_in_size_and_time() {
    let h = manual_builder()
        .body_read_timeout(Duration::from_millis(500))
        .start()
        .await
        .expect("emulator starts");
    let limit = zilliz_import_emulator::MAX_BODY_BYTES;
    assert_eq!(limit, 2 * 1024 * 1024);

    // Declared larger than the limit: 413 without reading it.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some(KEY), limit + 1))
        .await
        .expect("head sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    assert_eq!(
        answer,
        Some((
            413,
            json!({"code": 413, "message": "request body too large: at most 2097152 bytes are accepted"})
        ))
    );
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // A body that stops halfway: 408 once the body timeout has passed.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some(KEY), 100))
        .await
        .expect("head sent");
    s.write_all(br#"{"clusterId":"#).await.expect("part sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    let waited = started.elapsed();
    assert_eq!(
        answer,
        Some((
            408,
            json!({"code": 408, "message": "request body not received within 500ms"})
        ))
    );
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // A chunked body that runs past the limit: 413.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    let chunked = format!(
        "POST {DESCRIBE} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {KEY}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    s.write_all(chunked.as_bytes()).await.expect("head sent");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    let answer = loop {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&frame).await.is_err() || sent > limit + chunk.len() {
            break read_response(&mut s, Duration::from_secs(5)).await;
        }
        sent += chunk.len();
    };
    assert_eq!(answer.map(|(status, _)| status), Some(413));

    let recorded: Vec<(u16, Value)> = h
        .requests()
        .into_iter()
        .map(|r| (r.status, r.body))
        .collect();
    assert_eq!(
        recorded,
        [(413, Value::Null), (408, Value::Null), (413, Value::Null)]
    );
}

#[tokio::test]
async fn finished_jobs_beyond_the_limit_are_forgotten() {
    let h = manual_builder()
        .job_limit(2)
        .start()
        .await
        .expect("emulator starts");
    let a = create(&h, "c", "s3://b/a.json").await;
    let b = create(&h, "c", "s3://b/b.json").await;
    let c = create(&h, "c", "s3://b/c.json").await;
    // Three running jobs are all kept, whatever the limit.
    assert_eq!(h.job_count(), 3);
    h.advance(Duration::from_secs(10));
    let d = create(&h, "c", "s3://b/d.json").await;
    let held: Vec<String> = h.jobs().into_iter().map(|j| j.job_id).collect();
    assert_eq!(held, [c.clone(), d.clone()]);
    for gone in [&a, &b] {
        let (_, body) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": gone})).await;
        assert_eq!(body["code"], 96026, "{body}");
    }
    assert_eq!(describe(&h, &c).await["state"], "Completed");
    let (_, list) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    assert_eq!(list["data"]["count"], 2);
    let listed: Vec<&str> = list["data"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["jobId"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, [c.as_str(), d.as_str()]);
}

#[tokio::test]
async fn hostile_values_get_envelopes_not_panics() {
    let h = manual_builder().start().await.expect("emulator starts");
    let id = create(&h, "c", "s3://b/a.json").await;
    let cases = [
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 100, "currentPage": i64::MAX}),
            json!({"code": 0, "data": {"count": 1, "currentPage": i64::MAX, "pageSize": 100, "records": []}}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "currentPage": u64::MAX}),
            json!({"code": 80000, "message": "invalid parameter: currentPage must be an integer"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 1e300}),
            json!({"code": 80000, "message": "invalid parameter: pageSize must be an integer"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "currentPage": i64::MIN}),
            json!({"code": 96009, "message": format!("currentPage must be at least 1, got {}", i64::MIN)}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": u64::MAX}),
            json!({"code": 96026, "message": format!("job not found: jobId '{}' does not exist in cluster '{CLUSTER}'", u64::MAX)}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": format!("+{id}")}),
            json!({"code": 96026, "message": format!("job not found: jobId '+{id}' does not exist in cluster '{CLUSTER}'")}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": "é€😀"}),
            json!({"code": 96026, "message": format!("job not found: jobId 'é€😀' does not exist in cluster '{CLUSTER}'")}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": [[1]]}),
            json!({"code": 80000, "message": "invalid parameter: objectUrls must be an array of arrays of strings"}),
        ),
        (
            CREATE,
            json!({"clusterId": [], "collectionName": "c", "objectUrl": "s3://b/k"}),
            json!({"code": 80000, "message": "invalid parameter: clusterId must be a string"}),
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = post(&h, path, body.clone()).await;
        assert_eq!((status, answer), (200, expected), "{path} {body}");
    }
    // Nothing was stored by them, and the server still answers.
    assert_eq!(h.job_count(), 1);
    assert_eq!(describe(&h, &id).await["jobId"], id.as_str());
}

/// `job_durations`: each job's length is drawn between the two bounds, so
/// jobs created together end apart; none ends before the shortest, all by
/// the longest.
#[tokio::test]
async fn job_durations_spread_the_ends_of_jobs_created_together() {
    let h = Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .job_durations(Duration::from_secs(10), Duration::from_secs(20))
        .manual_clock()
        .start()
        .await
        .expect("emulator starts");
    for i in 0..20 {
        create(&h, "coll", &format!("s3://bucket/spread/{i}.json")).await;
    }
    h.advance(Duration::from_millis(9_999));
    assert!(h.jobs().iter().all(|j| j.state != JobState::Completed));
    h.advance(Duration::from_millis(10_001));
    let ends: HashSet<Duration> = h
        .jobs()
        .iter()
        .map(|j| {
            assert_eq!(j.state, JobState::Completed);
            let end = j.finished_at.expect("finished");
            assert!((Duration::from_secs(10)..=Duration::from_secs(20)).contains(&end));
            end
        })
        .collect();
    assert!(ends.len() > 10, "ends drawn apart: {ends:?}");
}

#[tokio::test]
async fn recorded_requests_hold_no_secrets() {
    let h = start_manual(Duration::from_secs(10)).await;
    let (_, created) = post(
        &h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/k.json",
               "accessKey": "AKIA-VERY-SECRET", "secretKey": "SK-VERY-SECRET",
               "token": "SESSION-VERY-SECRET", "apiKey": KEY}),
    )
    .await;
    assert_eq!(created["code"], 0);
    let recorded = h.requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, CREATE);
    assert!(r.authorized);
    assert_eq!(r.status, 200);
    assert_eq!(r.code, 0);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.body,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/k.json",
               "accessKey": "<redacted>", "secretKey": "<redacted>",
               "token": "<redacted>", "apiKey": "<redacted>"})
    );
    let dump = format!("{recorded:?}");
    for secret in [
        "AKIA-VERY-SECRET",
        "SK-VERY-SECRET",
        "SESSION-VERY-SECRET",
        KEY,
    ] {
        assert!(!dump.contains(secret), "{secret} leaked");
    }
    let debug = format!("{h:?} {:?}", Emulator::builder().api_key(KEY));
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("<redacted>"));
}
