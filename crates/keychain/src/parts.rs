//! A secret too large for one keychain item, as several: pure functions, no keychain.
//!
//! Windows Credential Manager keeps at most `CRED_MAX_CREDENTIAL_BLOB_SIZE` = 5 × 512 = 2,560
//! bytes per credential. keyring's `set_secret` stores the bytes it is given as the blob (only
//! `set_password` re-encodes text as UTF-16, doubling it), and rolecall writes every item with
//! `set_secret`, so an item may hold 2,560 bytes: [`MAX_ITEM_BYTES`], the limit on every platform
//! so that what works on one works on all.
//!
//! Each item is a header line, then a newline, then its share of the payload (cut at character
//! boundaries, so every item stays UTF-8):
//!
//! ```text
//! {"v":1,"part":2,"parts":3,"len":6120,"sum":"9f3c2a…"}
//! …the second share of the payload…
//! ```
//!
//! The header says which part this is, how many there are, and the whole payload's length and
//! checksum (64-bit FNV-1a). [`join`] accepts the items only when every one is there and all of
//! them describe the same payload, and the joined text has that length and checksum: the items
//! of two different writes (one torn midway) never join into a payload neither wrote.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The most bytes one keychain item may hold (Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`).
pub const MAX_ITEM_BYTES: usize = 5 * 512;

/// The most items one payload may take (80 KiB: far above any Identity Center token).
pub const MAX_PARTS: usize = 32;

/// The header version this build writes and reads.
const VERSION: u32 = 1;

/// What each item says about itself and the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    v: u32,
    /// Which part (1-based).
    pub part: usize,
    /// How many parts the payload has.
    pub parts: usize,
    /// The whole payload's length in bytes.
    len: usize,
    /// The whole payload's checksum (FNV-1a, 64 bits, as 16 hex digits).
    sum: Sum,
}

/// A checksum, serialized as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sum(u64);

impl Serialize for Sum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:016x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Sum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sum, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 16 {
            return Err(serde::de::Error::custom("a checksum is 16 hex digits"));
        }
        u64::from_str_radix(&text, 16).map(Sum).map_err(serde::de::Error::custom)
    }
}

/// 64-bit FNV-1a: stable across builds and platforms (std's hashers promise neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The payload is larger than [`MAX_PARTS`] items can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// `payload` as the items to store, part 1 first, each at most [`MAX_ITEM_BYTES`].
pub fn split(payload: &str) -> Result<Vec<Zeroizing<Vec<u8>>>, TooLarge> {
    let (len, sum) = (payload.len(), Sum(fnv1a(payload.as_bytes())));
    let header = |part, parts| Header { v: VERSION, part, parts, len, sum };
    // The longest header any part of this payload can have, so every share fits beside its own.
    let widest = serde_json::to_vec(&header(MAX_PARTS, MAX_PARTS)).expect("plain numbers serialize").len();
    let room = MAX_ITEM_BYTES - widest - 1;
    let mut shares = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() || shares.is_empty() {
        let mut cut = rest.len().min(room);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (share, tail) = rest.split_at(cut);
        shares.push(share);
        rest = tail;
    }
    if shares.len() > MAX_PARTS {
        return Err(TooLarge);
    }
    let parts = shares.len();
    Ok(shares
        .iter()
        .enumerate()
        .map(|(i, share)| {
            let mut item = Zeroizing::new(serde_json::to_vec(&header(i + 1, parts)).expect("plain numbers serialize"));
            item.push(b'\n');
            item.extend_from_slice(share.as_bytes());
            item
        })
        .collect())
}

/// The header of one item, if it has one this build reads.
pub fn header(item: &[u8]) -> Option<Header> {
    let end = item.iter().position(|b| *b == b'\n')?;
    let header: Header = serde_json::from_slice(&item[..end]).ok()?;
    (header.v == VERSION && (1..=MAX_PARTS).contains(&header.parts) && (1..=header.parts).contains(&header.part))
        .then_some(header)
}

/// The payload of `items` (part 1 first), or `None` unless every part is there, each in its
/// place, and all of them agree on the payload, whose length and checksum they match.
pub fn join(items: &[Zeroizing<Vec<u8>>]) -> Option<Zeroizing<String>> {
    let first = header(items.first()?)?;
    if items.len() != first.parts {
        return None;
    }
    let mut payload = Zeroizing::new(Vec::with_capacity(first.len));
    for (i, item) in items.iter().enumerate() {
        let h = header(item)?;
        if h.part != i + 1 || h.parts != first.parts || h.len != first.len || h.sum != first.sum {
            return None;
        }
        let start = item.iter().position(|b| *b == b'\n')? + 1;
        payload.extend_from_slice(&item[start..]);
    }
    if payload.len() != first.len || fnv1a(&payload) != first.sum.0 {
        return None;
    }
    let text = std::str::from_utf8(&payload).ok()?.to_owned();
    Some(Zeroizing::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload of `n` bytes that is not one byte repeated (so a misplaced share shows).
    fn payload(n: usize) -> String {
        (0..n).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect()
    }

    fn round_trip(text: &str) -> usize {
        let items = split(text).unwrap();
        for item in &items {
            assert!(item.len() <= MAX_ITEM_BYTES, "an item of {} bytes", item.len());
        }
        assert_eq!(join(&items).as_deref().map(String::as_str), Some(text));
        items.len()
    }

    #[test]
    fn payloads_around_the_limit_take_one_or_two_items() {
        assert_eq!(round_trip(""), 1);
        assert_eq!(round_trip("{}"), 1);
        let first = split(&payload(10)).unwrap();
        let overhead = first[0].len() - 10;
        // The largest payload one item holds, and one byte more.
        let room = (1..MAX_ITEM_BYTES).rev().find(|n| split(&payload(*n)).unwrap().len() == 1).unwrap();
        assert!(room + overhead <= MAX_ITEM_BYTES && room + overhead > MAX_ITEM_BYTES - 40, "room {room}");
        assert_eq!(round_trip(&payload(room)), 1);
        assert_eq!(round_trip(&payload(room + 1)), 2);
        assert_eq!(round_trip(&payload(2 * room)), 2);
        assert_eq!(round_trip(&payload(2 * room + 1)), 3);
    }

    #[test]
    fn large_payloads_take_many_items_and_too_large_ones_are_refused() {
        assert_eq!(round_trip(&payload(6 * 1024)), 3);
        // No more items than needed: each but the last is full to within a header.
        assert!(round_trip(&payload(40_000)) > 16);
        let items = split(&payload(40_000)).unwrap();
        for item in &items[..items.len() - 1] {
            assert!(item.len() > MAX_ITEM_BYTES - 100, "an item of {} bytes", item.len());
        }
        // The share each item of a payload this long holds (the header's length field has as
        // many digits as at the limit's).
        let first = &split(&payload(70_000)).unwrap()[0];
        let room = first.len() - first.iter().position(|b| *b == b'\n').unwrap() - 1;
        assert_eq!(round_trip(&payload(MAX_PARTS * room)), MAX_PARTS);
        assert_eq!(split(&payload(MAX_PARTS * room + 1)), Err(TooLarge));
    }

    #[test]
    fn shares_end_at_character_boundaries() {
        // Two- and four-byte characters straddling every cut.
        let text: String = (0..3000).map(|i| if i % 3 == 0 { 'é' } else { '🦀' }).collect();
        let items = split(&text).unwrap();
        assert!(items.len() > 3);
        for item in &items {
            assert!(std::str::from_utf8(item).is_ok());
        }
        assert_eq!(round_trip(&text), items.len());
    }

    #[test]
    fn a_missing_part_joins_into_nothing() {
        let items = split(&payload(6000)).unwrap();
        assert_eq!(items.len(), 3);
        assert!(join(&items[..2]).is_none(), "the last part missing");
        assert!(join(&[items[0].clone(), items[2].clone()]).is_none(), "a middle part missing");
        assert!(join(&items[1..]).is_none(), "the first part missing");
        assert!(join(&[]).is_none());
        let mut swapped = items.clone();
        swapped.swap(1, 2);
        assert!(join(&swapped).is_none(), "parts out of place");
    }

    #[test]
    fn parts_of_two_writes_never_join() {
        // A torn write: the new first part, old later ones (same count, same length).
        let old = split(&payload(6000)).unwrap();
        let new_text = payload(6000).replace('a', "b");
        let new = split(&new_text).unwrap();
        assert_eq!((old.len(), new.len()), (3, 3));
        let torn = vec![new[0].clone(), old[1].clone(), old[2].clone()];
        assert!(join(&torn).is_none());
        // A stale part left over from a longer payload does not count: the header says 2.
        let short = split(&payload(3000)).unwrap();
        assert_eq!(short.len(), 2);
        assert!(join(&[short[0].clone(), short[1].clone(), old[2].clone()]).is_none());
        assert!(join(&short).is_some());
        // A share altered under a header that still agrees: the checksum does not.
        let mut altered = new.clone();
        let last = altered[2].len() - 1;
        altered[2][last] ^= 1;
        assert!(join(&altered).is_none());
    }

    #[test]
    fn items_without_a_header_this_build_reads_join_into_nothing() {
        let plain = Zeroizing::new(br#"{"v":1,"access_token":"x"}"#.to_vec());
        assert!(join(&[plain]).is_none(), "no header line");
        let mut item = split("payload").unwrap().remove(0);
        let text = String::from_utf8(item.to_vec()).unwrap().replace(r#""v":1"#, r#""v":2"#);
        item = Zeroizing::new(text.into_bytes());
        assert!(join(&[item]).is_none(), "a later version");
        assert!(header(b"{\"v\":1,\"part\":2,\"parts\":2,\"len\":1,\"sum\":\"0000000000000000\"}\nx").is_some());
        assert!(header(b"{\"v\":1,\"part\":3,\"parts\":2,\"len\":1,\"sum\":\"0000000000000000\"}\nx").is_none());
        assert!(header(b"{\"v\":1,\"part\":1,\"parts\":99,\"len\":1,\"sum\":\"0000000000000000\"}\nx").is_none());
    }
}
