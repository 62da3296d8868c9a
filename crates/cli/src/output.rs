//! Human and JSON output.

use chrono::{DateTime, Local, Utc};
use rolecall_core::time::human_duration;

/// `2026-11-25 14:03:12 +01:00`
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// `expires 2026-11-25 14:03:12 +01:00 (in 59m)` or `expired 2026-… (3m ago)`.
pub fn expiry_phrase(now: DateTime<Utc>, expires: DateTime<Utc>) -> String {
    let left = (expires - now).num_seconds();
    if left > 0 {
        format!("expires {} (in {})", local_time(expires), human_duration(left))
    } else {
        format!("expired {} ({} ago)", local_time(expires), human_duration(-left))
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(v).expect("output values serialize"));
}

/// Left-aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}
