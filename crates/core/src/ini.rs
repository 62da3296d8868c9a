//! A lossless editor for the AWS shared `credentials` and `config` files.
//!
//! [`IniDocument`] owns the file's bytes and an index of its lines. Reading never changes a byte;
//! an edit splices only the lines it must change, so everything else (unrelated sections, comments,
//! blank lines, spacing around `=`, CRLF endings, a missing final newline, a UTF-8 BOM, tabs,
//! non-UTF-8 bytes) survives exactly. After every edit the new bytes are parsed again, so the index
//! never goes stale and an edit that would leave an unparseable file is refused.
//!
//! # Reading (as Python's `configparser` reads it for botocore and the AWS CLI)
//!
//! - Lines end at `\n`; a `\r` right before it belongs to the line ending. Any other `\r` is
//!   [`IniError::StrayCarriageReturn`]: Python's universal newlines read it as a line break, so
//!   rolecall refuses the file rather than read it differently. A UTF-8 BOM at the start is
//!   skipped for parsing and kept in the bytes. "Whitespace" is what Python's `str.strip()`
//!   removes: space, tab, `\r`, `\x0b`, `\x0c`, `\x1c`–`\x1f` and Unicode spaces such as U+00A0
//!   (in UTF-8); indentation is counted in characters, as `configparser` counts it.
//! - Blank line: only whitespace. Like a comment, it does not end a multi-line value
//!   (`configparser`'s default `empty_lines_in_values`, which botocore uses).
//! - Comment: the first non-blank character is `#` or `;`, anywhere in the file.
//! - Section header: the trimmed line starts with `[` and has a `]` at least two characters later;
//!   the name is the text between `[` and the last `]`, not trimmed (`[ a ]` is section `" a "`).
//!   Text after the last `]` is ignored, as `configparser` does (`[default] # note` is `default`).
//! - Entry: `key = value` or `key: value`, split at the first `=` or `:`; the key is trimmed and
//!   lowercased, the value trimmed. An empty key makes the line unparseable.
//! - Continuation: a line indented deeper than the entry it follows (directly, or after other
//!   continuation or comment lines) is part of that entry's value (`s3 =` nested settings). For the
//!   usual unindented entries this means "any indented line right after an entry".
//! - Anything other than blank lines and comments before the first header is
//!   [`IniError::MissingSectionHeader`]; any other line that is none of the above is
//!   [`IniError::Unparseable`]. Errors carry the 1-based line number, never the line's content.
//! - Duplicate sections are accepted by [`IniDocument::parse`]; operations on such a name fail with
//!   [`IniError::DuplicateSection`]. Duplicate keys in the section being read or edited fail with
//!   [`IniError::DuplicateKey`] (`configparser` refuses both).
//!
//! # Editing
//!
//! - Replacing a value rewrites only the value's bytes on its line (key text, delimiter, the
//!   whitespace around them and the line ending stay) and drops that entry's continuation lines.
//! - New keys go, in the order given, right after the section's last entry or continuation line
//!   (right after the header if it has none), as `key = value` with the document's line ending
//!   (`\r\n` if the first line ending in the file is `\r\n`, else `\n`). They take the indentation
//!   of the section's last entry, so they can never be mistaken for a continuation.
//! - A new section is appended at the end, after a line ending if the file lacks a final one and
//!   after one blank separator line unless the last line is already blank or the file is empty.
//! - Removing lines never adds a final newline the file did not have. Removing a section whose
//!   next header is indented deeper than the entry before it would turn that header into a
//!   continuation line: [`IniError::IndentedHeader`], nothing changes.
//! - The property tests (`ini_prop_*`) and the differential test of the end-to-end suite
//!   (`tests/e2e/reliability.rs`, against Python's `configparser` as botocore configures it) check
//!   these rules; `ROLECALL_PROPTEST_CASES` raises their case count.
//! - Section names, keys and values that could inject INI structure are refused with
//!   [`IniError::InvalidInput`], which names the kind of input but never echoes it.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which part of an edit request [`IniError::InvalidInput`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputField {
    /// A section name: non-empty, no surrounding whitespace, no control characters, no `[` or `]`.
    Section,
    /// A key: non-empty, no surrounding whitespace, no control characters, none of `[ ] = : # ;`,
    /// and given at most once (case-insensitively) per call.
    Key,
    /// A value: no surrounding whitespace and no control characters (so no line breaks).
    Value,
}

impl InputField {
    /// What a valid input of this kind looks like.
    fn rule(self) -> &'static str {
        match self {
            InputField::Section => {
                "it must be non-empty and free of surrounding whitespace, control characters and brackets"
            }
            InputField::Key => {
                "it must be non-empty, given once per edit (ignoring case), and free of surrounding whitespace, control characters and the characters [ ] = : # ;"
            }
            InputField::Value => "it must be free of surrounding whitespace and control characters such as line breaks",
        }
    }
}

impl fmt::Display for InputField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputField::Section => "section name",
            InputField::Key => "key",
            InputField::Value => "value",
        })
    }
}

/// Why a file cannot be parsed or an edit cannot be made. No variant carries a value or a line's
/// content; the line number is available from [`IniError::line`] and is not part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    /// A line that is not blank, a comment or a section header comes before the first section header.
    #[error("content before the first section header")]
    MissingSectionHeader {
        /// The 1-based line number.
        line: usize,
    },
    /// A line is not blank, a comment, a section header, an entry or a continuation line.
    #[error("line is not a section header, an entry, a comment or a continuation")]
    Unparseable {
        /// The 1-based line number.
        line: usize,
    },
    /// A carriage return that does not end a line: AWS tools (Python's universal newlines) read it
    /// as a line break, so rolecall would misread the file.
    #[error("a carriage return that does not end a line (old Mac line endings?); AWS tools read it as a line break")]
    StrayCarriageReturn {
        /// The 1-based line number (counting only `\n` line endings).
        line: usize,
    },
    /// Removing a section would make the indented section header after it part of the value
    /// before it.
    #[error("the indented section header would become part of the value before it; remove its indentation")]
    IndentedHeader {
        /// The 1-based line number of the indented header.
        line: usize,
    },
    /// The section asked for has more than one header in the file.
    #[error("section [{name}] appears more than once")]
    DuplicateSection {
        /// The section name.
        name: String,
        /// The 1-based line number of its second header.
        line: usize,
    },
    /// The section read or edited holds the same key (ignoring case) more than once.
    #[error("key {key} appears more than once in section [{section}]")]
    DuplicateKey {
        /// The section name.
        section: String,
        /// The key, lowercased.
        key: String,
        /// The 1-based line number of its second occurrence.
        line: usize,
    },
    /// A section name, key or value given to an edit could break or inject INI structure.
    #[error("invalid {what}: {}", .what.rule())]
    InvalidInput {
        /// Which kind of input was refused.
        what: InputField,
    },
}

impl IniError {
    /// The 1-based line number the error is about, if it is about a line of the file.
    pub fn line(&self) -> Option<usize> {
        match self {
            IniError::MissingSectionHeader { line }
            | IniError::Unparseable { line }
            | IniError::StrayCarriageReturn { line }
            | IniError::IndentedHeader { line }
            | IniError::DuplicateSection { line, .. }
            | IniError::DuplicateKey { line, .. } => Some(*line),
            IniError::InvalidInput { .. } => None,
        }
    }
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Header,
    Entry,
    Continuation,
}

/// One line of the file, as byte offsets into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// First byte of the line (0 for the first line, even with a BOM).
    start: usize,
    /// First byte that is parsed (after the BOM on the first line).
    body: usize,
    /// The content without surrounding whitespace.
    text: Range<usize>,
    /// The number of whitespace characters before the content, as `configparser` measures
    /// indentation.
    indent: usize,
    /// End of the content, before the line ending.
    end: usize,
    /// Start of the next line (after the line ending).
    next: usize,
    kind: Kind,
}

impl Line {
    /// Width of the leading whitespace, as `configparser` measures indentation.
    fn indent(&self) -> usize {
        self.indent
    }
}

/// One entry of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    line: usize,
    /// The key, normalised for comparison: lowercased if UTF-8, else ASCII-lowercased raw bytes.
    key: Vec<u8>,
    /// The byte right after the key's text.
    key_end: usize,
    /// The `=` or `:`.
    delim: usize,
    /// The value, trimmed; when empty it sits at the end of the content.
    value: Range<usize>,
    /// The continuation lines of the value.
    conts: Vec<usize>,
}

/// One section: its header and entries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    header: usize,
    name: Range<usize>,
    entries: Vec<Entry>,
    /// The last entry or continuation line.
    last_body: Option<usize>,
    /// The indentation of the entry still open for continuation lines right before the header.
    open_before: Option<usize>,
}

impl Section {
    /// The last line that belongs to the section's body, or its header if it has no entries.
    fn last_line(&self) -> usize {
        self.last_body.unwrap_or(self.header)
    }
}

/// A parsed AWS INI file that keeps its original bytes; edits splice byte ranges.
#[derive(Clone, PartialEq, Eq)]
pub struct IniDocument {
    bytes: Vec<u8>,
    bom_len: usize,
    lines: Vec<Line>,
    sections: Vec<Section>,
}

/// The document's `Debug` shows its size and section names, never values.
impl fmt::Debug for IniDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IniDocument")
            .field("len", &self.bytes.len())
            .field("sections", &self.section_names())
            .finish_non_exhaustive()
    }
}

/// A planned change to existing lines.
struct Edit {
    drop: Vec<bool>,
    replace: Vec<Option<(Range<usize>, Vec<u8>)>>,
    /// New lines (without line endings) to put after the given line, dropped or not.
    insert: Option<(usize, Vec<Vec<u8>>)>,
}

impl Edit {
    fn new(lines: usize) -> Self {
        Edit { drop: vec![false; lines], replace: vec![None; lines], insert: None }
    }

    fn is_noop(&self) -> bool {
        !self.drop.contains(&true) && self.replace.iter().all(Option::is_none) && self.insert.is_none()
    }
}

/// Unicode whitespace beyond ASCII that Python's `str.strip()` and `\s` remove, UTF-8 encoded.
const UNICODE_WS: &[&[u8]] = &[
    "\u{85}".as_bytes(),
    "\u{a0}".as_bytes(),
    "\u{1680}".as_bytes(),
    "\u{2000}".as_bytes(),
    "\u{2001}".as_bytes(),
    "\u{2002}".as_bytes(),
    "\u{2003}".as_bytes(),
    "\u{2004}".as_bytes(),
    "\u{2005}".as_bytes(),
    "\u{2006}".as_bytes(),
    "\u{2007}".as_bytes(),
    "\u{2008}".as_bytes(),
    "\u{2009}".as_bytes(),
    "\u{200a}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{2029}".as_bytes(),
    "\u{202f}".as_bytes(),
    "\u{205f}".as_bytes(),
    "\u{3000}".as_bytes(),
];

/// Python's ASCII whitespace (`str.isspace()`), less `\n`, which always ends a line.
fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// The length of the whitespace character starting at `bytes[i..end]`, or 0.
fn ws_len_at(bytes: &[u8], i: usize, end: usize) -> usize {
    if is_ascii_ws(bytes[i]) {
        return 1;
    }
    if bytes[i] < 0x80 {
        return 0;
    }
    UNICODE_WS.iter().find(|w| bytes[i..end].starts_with(w)).map_or(0, |w| w.len())
}

/// The length of the whitespace character ending right before `bytes[end]` (not before `start`), or 0.
fn ws_len_before(bytes: &[u8], start: usize, end: usize) -> usize {
    if is_ascii_ws(bytes[end - 1]) {
        return 1;
    }
    if bytes[end - 1] < 0x80 {
        return 0;
    }
    UNICODE_WS.iter().find(|w| bytes[start..end].ends_with(w)).map_or(0, |w| w.len())
}

/// `start..end` without surrounding whitespace, as Python's `str.strip()` sees it.
fn trim(bytes: &[u8], mut start: usize, mut end: usize) -> Range<usize> {
    while start < end {
        match ws_len_at(bytes, start, end) {
            0 => break,
            n => start += n,
        }
    }
    while end > start {
        match ws_len_before(bytes, start, end) {
            0 => break,
            n => end -= n,
        }
    }
    start..end
}

/// The position of the first `\n` or `\r` in `bytes[from..]`, if any.
///
/// Parsing is dominated by this scan (a credentials file is mostly long token lines), so it
/// looks at eight bytes at a time: a word has a `\n` or `\r` byte where `word ^ repeat(b)` has a
/// zero byte, and the lowest set bit of the classic zero-byte mask marks the first one exactly
/// (false positives can only appear above a real zero byte).
fn find_line_break(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = zero_bytes(word ^ (ONES * u64::from(b'\n'))) | zero_bytes(word ^ (ONES * u64::from(b'\r')));
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n' || b == b'\r').map(|i| offset + i)
}

/// The number of whitespace characters (not bytes) in `bytes[start..end]`: how `configparser`
/// measures the indentation of a line.
fn count_ws_chars(bytes: &[u8], mut start: usize, end: usize) -> usize {
    let mut n = 0;
    while start < end {
        match ws_len_at(bytes, start, end) {
            0 => break,
            len => {
                start += len;
                n += 1;
            }
        }
    }
    n
}

/// The name of a section header line, as `configparser`'s `\[(?P<header>.+)\]` matches it.
fn header_name(bytes: &[u8], text: &Range<usize>) -> Option<Range<usize>> {
    let t = &bytes[text.clone()];
    if t.first() != Some(&b'[') {
        return None;
    }
    let close = t.iter().rposition(|&b| b == b']')?;
    (close >= 2).then(|| text.start + 1..text.start + close)
}

fn normalize_key(raw: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_lowercase().into_bytes(),
        Err(_) => raw.to_ascii_lowercase(),
    }
}

/// Parses an entry line into an [`Entry`] without continuation lines.
fn parse_entry(bytes: &[u8], line: usize, l: &Line) -> Option<Entry> {
    let rel = bytes[l.text.clone()].iter().position(|&b| b == b'=' || b == b':')?;
    let delim = l.text.start + rel;
    let key = trim(bytes, l.text.start, delim);
    if key.is_empty() {
        return None;
    }
    // Skip whitespace up to the end of the line, so an empty value sits after trailing spaces.
    let value_start = trim(bytes, delim + 1, l.end).start;
    let value = value_start..l.text.end.max(value_start);
    Some(Entry { line, key: normalize_key(&bytes[key.clone()]), key_end: key.end, delim, value, conts: Vec::new() })
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// True for characters Python's `str.strip()` might remove or a reader might take as a break.
fn is_unsafe_char(c: char) -> bool {
    c.is_control() || c.is_whitespace()
}

fn validate_section(name: &str) -> Result<(), IniError> {
    let bad = name.is_empty()
        || name.starts_with(is_unsafe_char)
        || name.ends_with(is_unsafe_char)
        || name.chars().any(|c| c.is_control() || c == '[' || c == ']');
    if bad { Err(IniError::InvalidInput { what: InputField::Section }) } else { Ok(()) }
}

fn validate_key(key: &str) -> Result<(), IniError> {
    let bad = key.is_empty()
        || key.starts_with(is_unsafe_char)
        || key.ends_with(is_unsafe_char)
        || key.chars().any(|c| c.is_control() || matches!(c, '[' | ']' | '=' | ':' | '#' | ';'));
    if bad { Err(IniError::InvalidInput { what: InputField::Key }) } else { Ok(()) }
}

fn validate_value(value: &str) -> Result<(), IniError> {
    let bad =
        value.starts_with(is_unsafe_char) || value.ends_with(is_unsafe_char) || value.chars().any(char::is_control);
    if bad { Err(IniError::InvalidInput { what: InputField::Value }) } else { Ok(()) }
}

/// Validates keys and returns them normalised; a key given twice (ignoring case) is invalid.
fn validate_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Result<Vec<Vec<u8>>, IniError> {
    let mut seen = Vec::new();
    for key in keys {
        validate_key(key)?;
        let norm = key.to_lowercase().into_bytes();
        if seen.contains(&norm) {
            return Err(IniError::InvalidInput { what: InputField::Key });
        }
        seen.push(norm);
    }
    Ok(seen)
}

/// `key = value` (or `key =` for an empty value) after `indent`.
fn entry_line(indent: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut line = Vec::with_capacity(indent.len() + key.len() + value.len() + 3);
    line.extend_from_slice(indent);
    line.extend_from_slice(key.as_bytes());
    line.extend_from_slice(b" =");
    if !value.is_empty() {
        line.push(b' ');
        line.extend_from_slice(value.as_bytes());
    }
    line
}

impl IniDocument {
    /// Parses a whole file. Never fails on bytes it need not understand (non-UTF-8 comments/values are kept).
    pub fn parse(bytes: impl Into<Vec<u8>>) -> Result<Self, IniError> {
        let bytes = bytes.into();
        let bom_len = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        let mut lines: Vec<Line> = Vec::new();
        let mut sections: Vec<Section> = Vec::new();
        // Indentation of the entry that an indented line would continue, if any.
        let mut open: Option<usize> = None;
        let mut pos = 0;
        while pos < bytes.len() {
            let idx = lines.len();
            let start = pos;
            let body = if idx == 0 { bom_len } else { start };
            // The line ends at the first `\n` or `\r`. Python reads a lone `\r` as a line break;
            // rolecall would not: a `\r` not followed by `\n` refuses the file.
            let (end, next) = match find_line_break(&bytes, body) {
                Some(nl) if bytes[nl] == b'\n' => (nl, nl + 1),
                Some(cr) if bytes.get(cr + 1) == Some(&b'\n') => (cr, cr + 2),
                Some(_) => return Err(IniError::StrayCarriageReturn { line: idx + 1 }),
                None => (bytes.len(), bytes.len()),
            };
            pos = next;
            let text = trim(&bytes, body, end);
            let indent = count_ws_chars(&bytes, body, text.start);
            let mut line = Line { start, body, text, indent, end, next, kind: Kind::Blank };
            // A blank line does not end a multi-line value (`configparser`'s empty_lines_in_values).
            if line.text.is_empty() {
            } else if matches!(bytes[line.text.start], b'#' | b';') {
                line.kind = Kind::Comment;
            } else {
                let indent = line.indent();
                let continued = match (open, sections.last_mut()) {
                    (Some(open_indent), Some(section)) if indent > open_indent => match section.entries.last_mut() {
                        Some(entry) => {
                            entry.conts.push(idx);
                            section.last_body = Some(idx);
                            true
                        }
                        None => false,
                    },
                    _ => false,
                };
                if continued {
                    line.kind = Kind::Continuation;
                } else if let Some(name) = header_name(&bytes, &line.text) {
                    line.kind = Kind::Header;
                    sections.push(Section {
                        header: idx,
                        name,
                        entries: Vec::new(),
                        last_body: None,
                        open_before: open,
                    });
                    open = None;
                } else {
                    let Some(section) = sections.last_mut() else {
                        return Err(IniError::MissingSectionHeader { line: idx + 1 });
                    };
                    let Some(entry) = parse_entry(&bytes, idx, &line) else {
                        return Err(IniError::Unparseable { line: idx + 1 });
                    };
                    line.kind = Kind::Entry;
                    section.entries.push(entry);
                    section.last_body = Some(idx);
                    open = Some(indent);
                }
            }
            lines.push(line);
        }
        Ok(IniDocument { bytes, bom_len, lines, sections })
    }

    /// The document's bytes, exactly as parsed or edited.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the document and returns its bytes, exactly as parsed or edited.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Section names in file order (duplicates included), e.g. "default", "profile dev".
    ///
    /// Names that are not valid UTF-8 are converted lossily.
    pub fn section_names(&self) -> Vec<String> {
        self.sections.iter().map(|s| lossy(&self.bytes[s.name.clone()])).collect()
    }

    /// Entries (key lowercased and trimmed, value trimmed, continuation lines not included) of the section,
    /// None if absent; Err(IniError::DuplicateSection) if the header appears more than once.
    ///
    /// Also Err([`IniError::DuplicateKey`]) if the section holds a key twice. Bytes that are not
    /// valid UTF-8 are converted lossily.
    pub fn section(&self, name: &str) -> Result<Option<Vec<(String, String)>>, IniError> {
        let Some(si) = self.find_section(name)? else { return Ok(None) };
        self.check_unique_keys(si)?;
        let entries =
            self.sections[si].entries.iter().map(|e| (lossy(&e.key), lossy(&self.bytes[e.value.clone()]))).collect();
        Ok(Some(entries))
    }

    /// The section's own bytes, exactly as in the file: its header line through its last entry
    /// or continuation line, with their line endings (comments and blank lines between its
    /// entries included, those after its last entry and a leading BOM not). None if absent;
    /// Err(IniError::DuplicateSection) if the header appears more than once.
    pub fn section_text(&self, name: &str) -> Result<Option<&[u8]>, IniError> {
        let Some(si) = self.find_section(name)? else { return Ok(None) };
        let sec = &self.sections[si];
        Ok(Some(&self.bytes[self.lines[sec.header].body..self.lines[sec.last_line()].next]))
    }

    /// Convenience: the value of one key (case-insensitive) in a section; None if absent or ambiguous.
    ///
    /// Ambiguous means the section appears more than once or holds the key more than once.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let si = self.find_section(section).ok()??;
        let key = key.to_lowercase().into_bytes();
        let mut found = self.sections[si].entries.iter().filter(|e| e.key == key);
        let entry = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some(lossy(&self.bytes[entry.value.clone()]))
    }

    /// Upsert: sets each (key, value) in `section`, creating the section at the end of the file if absent.
    ///
    /// A key already present keeps its line, its spelling and the spacing around its delimiter;
    /// only its value changes and its continuation lines are dropped. Missing keys are added after
    /// the section's last entry. Setting what is already there changes nothing.
    pub fn set_entries(&mut self, section: &str, entries: &[(&str, &str)]) -> Result<(), IniError> {
        validate_section(section)?;
        let keys = validate_keys(entries.iter().map(|(k, _)| *k))?;
        for (_, value) in entries {
            validate_value(value)?;
        }
        let Some(si) = self.find_section(section)? else {
            return self.append_section(section, entries);
        };
        self.check_unique_keys(si)?;
        let sec = &self.sections[si];
        let mut edit = Edit::new(self.lines.len());
        let mut new_lines = Vec::new();
        let indent = self.new_entry_indent(sec);
        for ((key, value), norm) in entries.iter().zip(&keys) {
            let Some(entry) = sec.entries.iter().find(|e| &e.key == norm) else {
                new_lines.push(entry_line(&indent, key, value));
                continue;
            };
            if &self.bytes[entry.value.clone()] == value.as_bytes() && entry.conts.is_empty() {
                continue;
            }
            let mut replacement = Vec::with_capacity(value.len() + 2);
            if entry.value.is_empty() && entry.value.start == entry.delim + 1 && !value.is_empty() {
                // `key =` or `key=`: mirror the spacing before the delimiter after it.
                let before = &self.bytes[entry.key_end..entry.delim];
                if before.iter().all(|&b| b == b' ' || b == b'\t') {
                    replacement.extend_from_slice(before);
                } else {
                    replacement.push(b' ');
                }
            }
            replacement.extend_from_slice(value.as_bytes());
            edit.replace[entry.line] = Some((entry.value.clone(), replacement));
            for &c in &entry.conts {
                edit.drop[c] = true;
            }
        }
        if !new_lines.is_empty() {
            edit.insert = Some((sec.last_line(), new_lines));
        }
        self.apply(edit)
    }

    /// Removes these keys (and their continuation lines) from the section, if present.
    ///
    /// Comments between continuation lines stay. A missing section or key is not an error.
    pub fn remove_keys(&mut self, section: &str, keys: &[&str]) -> Result<(), IniError> {
        validate_section(section)?;
        let keys = validate_keys(keys.iter().copied())?;
        let Some(si) = self.find_section(section)? else { return Ok(()) };
        self.check_unique_keys(si)?;
        let mut edit = Edit::new(self.lines.len());
        for entry in self.sections[si].entries.iter().filter(|e| keys.contains(&e.key)) {
            edit.drop[entry.line] = true;
            for &c in &entry.conts {
                edit.drop[c] = true;
            }
        }
        self.apply(edit)
    }

    /// Removes the header and every entry/continuation line of the section; returns whether it existed.
    ///
    /// Comments and blank lines between its entries go too; those after its last entry stay.
    pub fn remove_section(&mut self, section: &str) -> Result<bool, IniError> {
        validate_section(section)?;
        let Some(si) = self.find_section(section)? else { return Ok(false) };
        let sec = &self.sections[si];
        let last = sec.last_line();
        let mut edit = Edit::new(self.lines.len());
        for d in &mut edit.drop[sec.header..=last] {
            *d = true;
        }
        // An indented header right after the removed lines would become a continuation of the
        // entry before them, and neither blank lines nor comments end that entry for
        // `configparser`: refuse rather than change how the file reads.
        let next = self.lines[last + 1..].iter().position(|l| !matches!(l.kind, Kind::Comment | Kind::Blank));
        if let (Some(open), Some(next)) = (sec.open_before, next.map(|p| last + 1 + p))
            && self.lines[next].kind == Kind::Header
            && self.lines[next].indent() > open
        {
            return Err(IniError::IndentedHeader { line: next + 1 });
        }
        self.apply(edit)?;
        Ok(true)
    }

    /// The document's line ending: that of its first line ending, `\n` if it has none.
    fn eol(&self) -> &'static [u8] {
        match self.lines.iter().find(|l| l.next > l.end) {
            Some(l) if l.next - l.end == 2 => b"\r\n",
            _ => b"\n",
        }
    }

    /// The one section called `name`, if any.
    fn find_section(&self, name: &str) -> Result<Option<usize>, IniError> {
        let mut found = None;
        for (i, s) in self.sections.iter().enumerate() {
            if &self.bytes[s.name.clone()] == name.as_bytes() {
                if found.is_some() {
                    return Err(IniError::DuplicateSection { name: name.to_owned(), line: s.header + 1 });
                }
                found = Some(i);
            }
        }
        Ok(found)
    }

    fn check_unique_keys(&self, si: usize) -> Result<(), IniError> {
        let sec = &self.sections[si];
        let mut seen = HashSet::new();
        for e in &sec.entries {
            if !seen.insert(e.key.as_slice()) {
                return Err(IniError::DuplicateKey {
                    section: lossy(&self.bytes[sec.name.clone()]),
                    key: lossy(&e.key),
                    line: e.line + 1,
                });
            }
        }
        Ok(())
    }

    /// The indentation for new entries of a section: that of its last entry, or, if it has none
    /// and the next header follows with only comments between, that header's, so neither the new
    /// lines nor that header can turn into continuation lines.
    fn new_entry_indent(&self, sec: &Section) -> Vec<u8> {
        let source = match sec.entries.last() {
            Some(e) => Some(e.line),
            None => self.lines[sec.header + 1..]
                .iter()
                .position(|l| !matches!(l.kind, Kind::Comment | Kind::Blank))
                .map(|p| sec.header + 1 + p)
                .filter(|&i| self.lines[i].kind == Kind::Header),
        };
        let Some(i) = source else { return Vec::new() };
        let l = &self.lines[i];
        // One character per whitespace character: `configparser` counts characters, not bytes.
        let mut indent = Vec::with_capacity(l.indent);
        let mut at = l.body;
        while at < l.text.start {
            indent.push(if self.bytes[at] == b'\t' { b'\t' } else { b' ' });
            at += ws_len_at(&self.bytes, at, l.text.start).max(1);
        }
        indent
    }

    /// Appends a new section with `entries` at the end of the document.
    fn append_section(&mut self, name: &str, entries: &[(&str, &str)]) -> Result<(), IniError> {
        let eol = self.eol();
        let mut out = self.bytes.clone();
        if out.len() > self.bom_len {
            if !out.ends_with(b"\n") {
                out.extend_from_slice(eol);
            }
            if self.lines.last().is_some_and(|l| l.kind != Kind::Blank) {
                out.extend_from_slice(eol);
            }
        }
        out.push(b'[');
        out.extend_from_slice(name.as_bytes());
        out.push(b']');
        out.extend_from_slice(eol);
        for (key, value) in entries {
            out.extend(entry_line(b"", key, value));
            out.extend_from_slice(eol);
        }
        *self = Self::parse(out)?;
        Ok(())
    }

    /// Rebuilds the bytes with `edit` applied and re-parses them; on error nothing changes.
    fn apply(&mut self, edit: Edit) -> Result<(), IniError> {
        if edit.is_noop() {
            return Ok(());
        }
        let eol = self.eol();
        let b = &self.bytes;
        let mut out = Vec::with_capacity(b.len() + 128);
        let mut ends_with_insert = false;
        for (i, line) in self.lines.iter().enumerate() {
            if edit.drop[i] {
                if i == 0 {
                    out.extend_from_slice(&b[..self.bom_len]);
                }
            } else {
                match &edit.replace[i] {
                    Some((range, new)) => {
                        out.extend_from_slice(&b[line.start..range.start]);
                        out.extend_from_slice(new);
                        out.extend_from_slice(&b[range.end..line.next]);
                    }
                    None => out.extend_from_slice(&b[line.start..line.next]),
                }
                ends_with_insert = false;
            }
            if let Some((at, new_lines)) = &edit.insert
                && *at == i
                && !new_lines.is_empty()
            {
                if out.len() > self.bom_len && !out.ends_with(b"\n") {
                    out.extend_from_slice(eol);
                }
                for new_line in new_lines {
                    out.extend_from_slice(new_line);
                    out.extend_from_slice(eol);
                }
                ends_with_insert = true;
            }
        }
        // Dropping the last line must not leave a final newline the file did not have.
        if !ends_with_insert && !b.is_empty() && !b.ends_with(b"\n") && out.ends_with(b"\n") {
            out.pop();
            if out.ends_with(b"\r") {
                out.pop();
            }
        }
        *self = Self::parse(out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(text: &str) -> IniDocument {
        IniDocument::parse(text).expect("test input parses")
    }

    proptest! {
        /// The word-at-a-time scan finds what a byte-by-byte scan finds, from any start.
        #[test]
        fn ini_prop_find_line_break_matches_a_plain_scan(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0x8a_u8), Just(0x0d_u8 | 0x80), any::<u8>(), Just(b'a')], 0..80),
            from in 0usize..90,
        ) {
            let plain = bytes.get(from..).and_then(|r| r.iter().position(|&b| b == b'\n' || b == b'\r')).map(|i| from + i);
            prop_assert_eq!(find_line_break(&bytes, from), plain);
        }
    }

    fn text(d: &IniDocument) -> &str {
        std::str::from_utf8(d.as_bytes()).expect("utf-8")
    }

    fn set(input: &str, section: &str, entries: &[(&str, &str)]) -> String {
        let mut d = doc(input);
        d.set_entries(section, entries).expect("set_entries");
        let out = text(&d).to_owned();
        // Every successful edit re-parses, reads back and is idempotent.
        let again = IniDocument::parse(out.clone()).expect("re-parses");
        for (k, v) in entries {
            assert_eq!(again.get(section, k).as_deref(), Some(*v), "get {section}.{k}");
        }
        d.set_entries(section, entries).expect("second set_entries");
        assert_eq!(text(&d), out, "second set is a no-op");
        out
    }

    fn entries(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// (what the case shows, section, input, entries to set, expected output)
    type SetCase = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], &'static str);

    #[test]
    fn ini_set_entries_table() {
        let cases: &[SetCase] = &[
            (
                "update in place keeps spacing and key spelling",
                "default",
                "[default]\nAWS_Access_Key_ID   =  OLD\naws_secret_access_key=OLD2\nregion = us-east-1\n",
                &[("aws_access_key_id", "NEW"), ("aws_secret_access_key", "NEW2")],
                "[default]\nAWS_Access_Key_ID   =  NEW\naws_secret_access_key=NEW2\nregion = us-east-1\n",
            ),
            (
                "missing keys go after the last entry, before trailing comments",
                "default",
                "[default]\nregion = us-east-1\n\n# dev account\n[profile dev]\nregion = eu-west-1\n",
                &[("aws_access_key_id", "AKIA"), ("region", "us-west-2"), ("aws_secret_access_key", "s3cr3t")],
                "[default]\nregion = us-west-2\naws_access_key_id = AKIA\naws_secret_access_key = s3cr3t\n\n# dev account\n[profile dev]\nregion = eu-west-1\n",
            ),
            ("new section in an empty file", "dev", "", &[("region", "us-east-1")], "[dev]\nregion = us-east-1\n"),
            (
                "new section in a file without final newline",
                "dev",
                "[a]\nk = v",
                &[("x", "1"), ("y", "")],
                "[a]\nk = v\n\n[dev]\nx = 1\ny =\n",
            ),
            (
                "new section after a blank last line adds no separator",
                "dev",
                "[a]\nk = v\n\n",
                &[("x", "1")],
                "[a]\nk = v\n\n[dev]\nx = 1\n",
            ),
            (
                "new section in a CRLF file",
                "dev",
                "[a]\r\nk = v\r\n",
                &[("x", "1")],
                "[a]\r\nk = v\r\n\r\n[dev]\r\nx = 1\r\n",
            ),
            (
                "insert into a CRLF file",
                "dev",
                "# c\r\n[dev]\r\nk = v\r\n\r\n[b]\r\n",
                &[("k", "w"), ("x", "1")],
                "# c\r\n[dev]\r\nk = w\r\nx = 1\r\n\r\n[b]\r\n",
            ),
            (
                "comments and blank lines kept, also between entries",
                "dev",
                "; top\n\n[dev]\n# one\na = 1\n\n  ; two\nb = 2\n# after\n\n[z]\n",
                &[("b", "3"), ("c", "4")],
                "; top\n\n[dev]\n# one\na = 1\n\n  ; two\nb = 3\nc = 4\n# after\n\n[z]\n",
            ),
            (
                "key:value with colon",
                "dev",
                "[dev]\nregion:us-east-1\nout : json\n",
                &[("region", "eu-west-1"), ("out", "text")],
                "[dev]\nregion:eu-west-1\nout : text\n",
            ),
            ("value containing the delimiters", "dev", "[dev]\nk = a=b:c\n", &[("k", "x:y=z")], "[dev]\nk = x:y=z\n"),
            (
                "tabs around the delimiter and trailing",
                "dev",
                "[dev]\n\tk\t=\tv\t\n",
                &[("k", "w")],
                "[dev]\n\tk\t=\tw\t\n",
            ),
            (
                "indented entries give new keys their indentation",
                "dev",
                "[dev]\n\tk = v\n",
                &[("x", "1")],
                "[dev]\n\tk = v\n\tx = 1\n",
            ),
            (
                "empty value gets the spacing mirrored",
                "dev",
                "[dev]\na =\nb=\nc = \n",
                &[("a", "1"), ("b", "2"), ("c", "3")],
                "[dev]\na = 1\nb=2\nc = 3\n",
            ),
            ("setting an empty value", "dev", "[dev]\na = 1\n", &[("a", "")], "[dev]\na = \n"),
            ("BOM kept", "dev", "\u{feff}[dev]\nk = v\n", &[("k", "w")], "\u{feff}[dev]\nk = w\n"),
            ("BOM-only file", "dev", "\u{feff}", &[("k", "w")], "\u{feff}[dev]\nk = w\n"),
            ("header without entries", "dev", "[dev]\n\n[b]\nx = 1\n", &[("k", "v")], "[dev]\nk = v\n\n[b]\nx = 1\n"),
            ("header at end without newline", "dev", "[a]\nx = 1\n[dev]", &[("k", "v")], "[a]\nx = 1\n[dev]\nk = v\n"),
            ("last entry without newline", "dev", "[dev]\nx = 1", &[("x", "2")], "[dev]\nx = 2"),
            ("insert after last entry without newline", "dev", "[dev]\nx = 1", &[("k", "v")], "[dev]\nx = 1\nk = v\n"),
            (
                "continuation lines in other sections untouched",
                "profile dev",
                "[profile dev]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n  multipart_threshold = 64MB\n\n[profile prod]\ns3 =\n    addressing_style = path\n",
                &[("region", "eu-west-1"), ("output", "json")],
                "[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n  multipart_threshold = 64MB\noutput = json\n\n[profile prod]\ns3 =\n    addressing_style = path\n",
            ),
            (
                "continuation lines of a replaced key are dropped, comments between kept",
                "profile dev",
                "[profile dev]\ns3 =\n  max_concurrent_requests = 20\n  # note\n  multipart_threshold = 64MB\nregion = us-east-1\n",
                &[("s3", "")],
                "[profile dev]\ns3 =\n  # note\nregion = us-east-1\n",
            ),
            (
                "continuation dropped at end of file without newline",
                "dev",
                "[dev]\nk = a\n  b",
                &[("k", "c")],
                "[dev]\nk = c",
            ),
            (
                "profile-prefixed sections in a credentials file are ordinary names",
                "profile x",
                "[default]\nk = 1\n[profile x]\nk = 2\n",
                &[("k", "3")],
                "[default]\nk = 1\n[profile x]\nk = 3\n",
            ),
            (
                "a section named with spaces inside the brackets is a different section",
                "dev",
                "[ dev ]\nk = 1\n",
                &[("k", "2")],
                "[ dev ]\nk = 1\n\n[dev]\nk = 2\n",
            ),
            ("header with trailing comment", "dev", "[dev] # mine\nk = 1\n", &[("k", "2")], "[dev] # mine\nk = 2\n"),
            (
                "indented next header stays a header after inserting",
                "dev",
                "[dev]\n  [b]\nx = 1\n",
                &[("k", "v")],
                "[dev]\n  k = v\n  [b]\nx = 1\n",
            ),
            (
                "indented next header after indented entries",
                "dev",
                "[dev]\n  a = 1\n  [b]\nx = 1\n",
                &[("k", "v")],
                "[dev]\n  a = 1\n  k = v\n  [b]\nx = 1\n",
            ),
        ];
        for (name, section, input, set_these, expected) in cases {
            assert_eq!(set(input, section, set_these), *expected, "case: {name}");
        }
    }

    #[test]
    fn ini_non_utf8_bytes_kept() {
        let input = b"# caf\xe9 \xff\xfe\n[dev]\nk = v\nother = \xff\xff\n".to_vec();
        let mut d = IniDocument::parse(input).unwrap();
        assert_eq!(d.get("dev", "other").as_deref(), Some("\u{fffd}\u{fffd}"));
        d.set_entries("dev", &[("k", "w"), ("n", "1")]).unwrap();
        assert_eq!(d.as_bytes(), b"# caf\xe9 \xff\xfe\n[dev]\nk = w\nother = \xff\xff\nn = 1\n");
        d.set_entries("dev", &[("other", "x")]).unwrap();
        assert_eq!(d.into_bytes(), b"# caf\xe9 \xff\xfe\n[dev]\nk = w\nother = x\nn = 1\n");
    }

    #[test]
    fn ini_reading() {
        let d = doc(
            "# c\n[default]\nRegion = us-east-1 \n[profile dev]\ns3 =\n  max = 1\n\tregion\t:\teu\n[ spaced ]\n[default2]\nk=\n",
        );
        assert_eq!(d.section_names(), vec!["default", "profile dev", " spaced ", "default2"]);
        assert_eq!(d.section("default").unwrap(), entries(&[("region", "us-east-1")]));
        assert_eq!(d.section("profile dev").unwrap(), entries(&[("s3", "")]));
        assert_eq!(d.section(" spaced ").unwrap(), Some(vec![]));
        assert_eq!(d.section("spaced").unwrap(), None);
        assert_eq!(d.section("default2").unwrap(), entries(&[("k", "")]));
        assert_eq!(d.get("default", "REGION").as_deref(), Some("us-east-1"));
        assert_eq!(d.get("default", "missing"), None);
        assert_eq!(d.get("nope", "region"), None);
        assert_eq!(
            format!("{d:?}"),
            r#"IniDocument { len: 101, sections: ["default", "profile dev", " spaced ", "default2"], .. }"#
        );
    }

    #[test]
    fn ini_indentation_follows_configparser() {
        // An indented entry followed by an equally indented line: two entries, not a continuation.
        let d = doc("[a]\n  x = 1\n  y = 2\n    z\n");
        assert_eq!(d.section("a").unwrap(), entries(&[("x", "1"), ("y", "2")]));
        // A blank line does not end a multi-line value either (configparser's empty_lines_in_values).
        let d = doc("[a]\nx = 1\n\n  y = 2\n");
        assert_eq!(d.section("a").unwrap(), entries(&[("x", "1")]));
        let d = doc("[a]\nx = 1\n  \t\n  [b]\n");
        assert_eq!(d.section_names(), vec!["a"]);
        // Python's whitespace: U+00A0 and \x1c are indentation and are trimmed, and indentation
        // counts characters, not bytes.
        let d = doc("[a]\n\u{a0}k\u{2003}=\u{3000}v\u{a0}\n\x1cx = 1\n");
        assert_eq!(d.section("a").unwrap(), entries(&[("k", "v"), ("x", "1")]));
        let d = doc("[a]\n\u{3000}k = v\n  y = 2\n");
        assert_eq!(
            d.section("a").unwrap(),
            entries(&[("k", "v")]),
            "two characters of indentation are deeper than one"
        );
        let d = doc("[a]\n\u{a0}# comment\n");
        assert_eq!(d.section("a").unwrap(), Some(vec![]));
        // A comment does not end a multi-line value.
        let d = doc("[a]\nx =\n# c\n  y = 2\n");
        assert_eq!(d.section("a").unwrap(), entries(&[("x", "")]));
        // An indented header right after an entry is part of its value.
        let d = doc("[a]\nx = 1\n  [b]\n");
        assert_eq!(d.section_names(), vec!["a"]);
    }

    #[test]
    fn ini_parse_errors() {
        let cases: &[(&str, IniError)] = &[
            ("# c\nkey = secret\n[a]\n", IniError::MissingSectionHeader { line: 2 }),
            ("\n  indented = x\n", IniError::MissingSectionHeader { line: 2 }),
            ("junk\n", IniError::MissingSectionHeader { line: 1 }),
            ("[a]\nk = v\nsecretjunk\n", IniError::Unparseable { line: 3 }),
            ("[a]\r\nk = v\r\n= secret\r\n", IniError::Unparseable { line: 3 }),
            ("[a]\n[]\n", IniError::Unparseable { line: 2 }),
            ("[a]\nk = v\n\njunk\n", IniError::Unparseable { line: 4 }),
            ("[x]\r[prod]\nfoo = 1\n", IniError::StrayCarriageReturn { line: 1 }),
            ("[a]\nk = v\r\r\n", IniError::StrayCarriageReturn { line: 2 }),
            ("[a]\rk = v", IniError::StrayCarriageReturn { line: 1 }),
            ("[a]\n# secret\r\n\r", IniError::StrayCarriageReturn { line: 3 }),
        ];
        for (input, expected) in cases {
            let err = IniDocument::parse(*input).unwrap_err();
            assert_eq!(&err, expected, "input {input:?}");
            assert_eq!(err.line(), expected.line());
            assert!(!err.to_string().contains("secret"), "message leaks content: {err}");
        }
    }

    #[test]
    fn ini_duplicate_section() {
        let input = "[a]\nk = 1\n[b]\n[a]\nk = 2\n";
        let mut d = doc(input);
        assert_eq!(d.section_names(), vec!["a", "b", "a"]);
        let dup = IniError::DuplicateSection { name: "a".into(), line: 4 };
        assert_eq!(d.section("a"), Err(dup.clone()));
        assert_eq!(d.get("a", "k"), None);
        assert_eq!(d.set_entries("a", &[("k", "3")]), Err(dup.clone()));
        assert_eq!(d.remove_keys("a", &["k"]), Err(dup.clone()));
        assert_eq!(d.remove_section("a"), Err(dup.clone()));
        assert_eq!(dup.line(), Some(4));
        assert_eq!(dup.to_string(), "section [a] appears more than once");
        // Other sections can still be edited.
        d.set_entries("b", &[("x", "1")]).unwrap();
        assert_eq!(text(&d), "[a]\nk = 1\n[b]\nx = 1\n[a]\nk = 2\n");
    }

    #[test]
    fn ini_duplicate_key() {
        let mut d = doc("[a]\nk = 1\nx = 2\nK = 3\n[b]\nk = 1\n");
        let dup = IniError::DuplicateKey { section: "a".into(), key: "k".into(), line: 4 };
        assert_eq!(d.section("a"), Err(dup.clone()));
        assert_eq!(d.get("a", "k"), None);
        assert_eq!(d.get("a", "x").as_deref(), Some("2"));
        assert_eq!(d.set_entries("a", &[("x", "3")]), Err(dup.clone()));
        assert_eq!(d.remove_keys("a", &["x"]), Err(dup.clone()));
        assert_eq!(dup.line(), Some(4));
        assert_eq!(d.section("b").unwrap(), entries(&[("k", "1")]));
        // Removing the whole section is still possible.
        assert_eq!(d.remove_section("a"), Ok(true));
        assert_eq!(text(&d), "[b]\nk = 1\n");
    }

    #[test]
    fn ini_injection_is_refused() {
        let section = IniError::InvalidInput { what: InputField::Section };
        let key = IniError::InvalidInput { what: InputField::Key };
        let value = IniError::InvalidInput { what: InputField::Value };
        let cases: &[(&str, &str, &str, &IniError)] = &[
            ("a]\n[default", "k", "v", &section),
            ("a]", "k", "v", &section),
            ("[a", "k", "v", &section),
            ("", "k", "v", &section),
            (" a", "k", "v", &section),
            ("a\r", "k", "v", &section),
            ("a", "x=y", "v", &key),
            ("a", "x:y", "v", &key),
            ("a", "#x", "v", &key),
            ("a", "x;", "v", &key),
            ("a", "[x", "v", &key),
            ("a", "x\ny", "v", &key),
            ("a", "", "v", &key),
            ("a", " x", "v", &key),
            ("a", "x\t", "v", &key),
            ("a", "k", "secret\n[default]", &value),
            ("a", "k", "secret\r", &value),
            ("a", "k", " secret", &value),
            ("a", "k", "secret ", &value),
            ("a", "k", "secret\u{a0}", &value),
            ("a", "k", "sec\x00ret", &value),
        ];
        let input = "[a]\nk = v\n";
        for (s, k, v, expected) in cases {
            let mut d = doc(input);
            let err = d.set_entries(s, &[(k, v)]).unwrap_err();
            assert_eq!(&err, *expected, "set {s:?} {k:?} {v:?}");
            assert_eq!(err.line(), None);
            assert!(!err.to_string().contains("secret"));
            assert_eq!(text(&d), input, "document unchanged");
        }
        let mut d = doc(input);
        assert_eq!(d.set_entries("a", &[("k", "1"), ("K", "2")]), Err(key.clone()));
        assert_eq!(d.remove_keys("a", &["x=y"]), Err(key));
        assert_eq!(d.remove_section("a]\n[b"), Err(section));
        assert_eq!(text(&d), input);
        // Values may hold the delimiters and comment characters: they cannot start a line.
        d.set_entries("a", &[("k", "x = [y] # ; z")]).unwrap();
        assert_eq!(d.get("a", "k").as_deref(), Some("x = [y] # ; z"));
    }

    #[test]
    fn ini_remove_keys() {
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "[a]\nk = 1\n# keep\nx = 2\ny = 3\n\n[b]\nx = 9\n",
                &["x", "Y", "absent"],
                "[a]\nk = 1\n# keep\n\n[b]\nx = 9\n",
            ),
            ("[a]\ns3 =\n  m = 1\n  n = 2\nk = 1\n", &["s3"], "[a]\nk = 1\n"),
            ("[a]\r\nk = 1\r\nx = 2", &["x"], "[a]\r\nk = 1"),
            ("[a]\nk = 1\nx =\n  m", &["x"], "[a]\nk = 1"),
            ("[a]\nk = 1\n", &["x"], "[a]\nk = 1\n"),
            ("[b]\nk = 1\n", &["k"], "[b]\nk = 1\n"),
        ];
        for (input, keys, expected) in cases {
            let mut d = doc(input);
            d.remove_keys("a", keys).unwrap();
            assert_eq!(text(&d), *expected, "input {input:?}");
            doc(text(&d));
        }
    }

    #[test]
    fn ini_remove_section() {
        let cases: &[(&str, bool, &str)] = &[
            (
                "[x]\nk = 1\n\n[a]\nk = 1\n\nm = 2\n# about b\n\n[b]\nk = 2\n",
                true,
                "[x]\nk = 1\n\n# about b\n\n[b]\nk = 2\n",
            ),
            ("[a]\nk = 1\n# trailing\n", true, "# trailing\n"),
            ("\u{feff}[a]\nk = 1\n[b]\n", true, "\u{feff}[b]\n"),
            ("[b]\nk = 1\n[a]\nk = 2", true, "[b]\nk = 1"),
            ("[b]\r\nk = 1\r\n[a]", true, "[b]\r\nk = 1"),
            ("[a]\ns3 =\n  m = 1\n[b]\n", true, "[b]\n"),
            ("[b]\nk = 1\n", false, "[b]\nk = 1\n"),
            ("[b]\n  k = 1\n[a]\n  [c]\n", true, "[b]\n  k = 1\n  [c]\n"),
        ];
        for (input, existed, expected) in cases {
            let mut d = doc(input);
            let names_before = d.section_names();
            assert_eq!(d.remove_section("a"), Ok(*existed), "input {input:?}");
            assert_eq!(text(&d), *expected, "input {input:?}");
            let mut names = names_before;
            names.retain(|n| n != "a");
            assert_eq!(doc(text(&d)).section_names(), names);
        }
        // The indented [c] would become a continuation of k, and no blank line or comment can
        // end k for configparser: refused, nothing changes.
        for (input, line) in [("[b]\nk = 1\n[a]\n  [c]\n", 4), ("[b]\nk = 1\n[a]\n  x = 1\n\n# c\n  [c]\n", 7)] {
            let mut d = doc(input);
            assert_eq!(d.remove_section("a"), Err(IniError::IndentedHeader { line }), "input {input:?}");
            assert_eq!(text(&d), input);
        }
    }

    #[test]
    fn ini_section_text() {
        let cases: &[(&str, Option<&str>)] = &[
            ("[x]\nk = 1\n\n[a]\nk = 1\n\nm = 2\n# about b\n\n[b]\nk = 2\n", Some("[a]\nk = 1\n\nm = 2\n")),
            ("\u{feff}[a]\r\nk: 1\r\n[b]\r\n", Some("[a]\r\nk: 1\r\n")),
            ("[b]\nk = 1\n[a] # note\nk = 2", Some("[a] # note\nk = 2")),
            ("[a]\ns3 =\n  m = 1\n; c\n[b]\n", Some("[a]\ns3 =\n  m = 1\n")),
            ("[b]\n[a]\n\n", Some("[a]\n")),
            ("[b]\nk = 1\n", None),
        ];
        for (input, expected) in cases {
            let d = doc(input);
            assert_eq!(d.section_text("a").unwrap(), expected.map(str::as_bytes), "input {input:?}");
            // What remove_section takes away is exactly that text (it also drops the line end
            // before a last section without one, so that the file keeps having none).
            if let Some(section) = expected.filter(|_| input.ends_with('\n')) {
                let mut removed = d.clone();
                removed.remove_section("a").unwrap();
                assert_eq!(text(&removed), input.replacen(section, "", 1), "input {input:?}");
            }
        }
        assert!(matches!(doc("[a]\n[a]\n").section_text("a"), Err(IniError::DuplicateSection { .. })));
    }

    #[test]
    fn ini_line_ending_detection() {
        let mut d = doc("# first\n[a]\r\nk = 1\r\n");
        d.set_entries("a", &[("x", "1")]).unwrap();
        assert_eq!(text(&d), "# first\n[a]\r\nk = 1\r\nx = 1\n");
        let mut d = doc("[a]");
        d.set_entries("a", &[("x", "1")]).unwrap();
        assert_eq!(text(&d), "[a]\nx = 1\n");
    }

    // ---- property tests ----

    /// Checks `set_entries` against a copy of the document; tolerates refusals it should make.
    fn check_set(before: &IniDocument, target: &str, set_these: &[(&str, &str)]) -> Result<(), TestCaseError> {
        let mut after = before.clone();
        let result = after.set_entries(target, set_these);
        let names = before.section_names();
        let count = names.iter().filter(|n| *n == target).count();
        let target_index = names.iter().position(|n| n == target);
        match result {
            Err(IniError::DuplicateSection { .. }) => {
                prop_assert!(count > 1);
                return Ok(());
            }
            Err(IniError::DuplicateKey { .. }) => {
                prop_assert!(before.section(target).is_err());
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error {e:?}"))),
            Ok(()) => prop_assert!(count <= 1),
        }
        let reparsed = IniDocument::parse(after.as_bytes().to_vec());
        prop_assert!(reparsed.is_ok(), "edited document does not re-parse: {:?}", reparsed);
        let old = before.as_bytes();
        let new = after.as_bytes();
        let new_names = after.section_names();
        match target_index {
            Some(si) => {
                prop_assert_eq!(&new_names, &names);
                let header = before.lines[before.sections[si].header].body;
                prop_assert_eq!(&new[..header], &old[..header]);
                if let Some(next) = before.sections.get(si + 1) {
                    let from = before.lines[next.header].start;
                    prop_assert!(new.ends_with(&old[from..]), "bytes from the next header changed");
                }
                // The section's entries: old ones with new values, then new ones in order.
                let mut expected = before.section(target).unwrap().unwrap();
                for (k, v) in set_these {
                    let k = k.to_lowercase();
                    match expected.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(e) => e.1 = v.to_string(),
                        None => expected.push((k, v.to_string())),
                    }
                }
                prop_assert_eq!(after.section(target).unwrap(), Some(expected));
            }
            None => {
                let mut expected_names = names.clone();
                expected_names.push(target.to_owned());
                prop_assert_eq!(&new_names, &expected_names);
                prop_assert!(new.starts_with(old), "appending changed earlier bytes");
                let expected: Vec<_> = set_these.iter().map(|(k, v)| (k.to_lowercase(), v.to_string())).collect();
                prop_assert_eq!(after.section(target).unwrap(), Some(expected));
            }
        }
        check_others_unchanged(before, &after, target)?;
        for (k, v) in set_these {
            prop_assert_eq!(after.get(target, k), Some(v.to_string()));
        }
        let mut again = after.clone();
        again.set_entries(target, set_these).unwrap();
        prop_assert_eq!(again.as_bytes(), after.as_bytes(), "second set is not a no-op");
        Ok(())
    }

    /// Every uniquely named section other than `target` reads the same before and after.
    fn check_others_unchanged(before: &IniDocument, after: &IniDocument, target: &str) -> Result<(), TestCaseError> {
        for name in before.section_names() {
            if name != target && name.chars().all(|c| c != '\u{fffd}') {
                // Line numbers of duplicates may move; what they are about may not.
                let without_line = |r: Result<Option<Vec<(String, String)>>, IniError>| match r {
                    Err(IniError::DuplicateSection { name, .. }) => Err(IniError::DuplicateSection { name, line: 0 }),
                    Err(IniError::DuplicateKey { section, key, .. }) => {
                        Err(IniError::DuplicateKey { section, key, line: 0 })
                    }
                    other => other,
                };
                prop_assert_eq!(
                    without_line(after.section(&name)),
                    without_line(before.section(&name)),
                    "section {:?} changed",
                    name
                );
            }
        }
        Ok(())
    }

    fn check_remove_section(before: &IniDocument, target: &str) -> Result<(), TestCaseError> {
        let mut after = before.clone();
        let names = before.section_names();
        let result = after.remove_section(target);
        if let Err(IniError::IndentedHeader { .. }) = result {
            prop_assert_eq!(after.as_bytes(), before.as_bytes());
            return Ok(());
        }
        let Some(si) = names.iter().position(|n| n == target) else {
            prop_assert_eq!(result, Ok(false));
            prop_assert_eq!(after.as_bytes(), before.as_bytes());
            return Ok(());
        };
        if names.iter().filter(|n| *n == target).count() > 1 {
            prop_assert!(
                matches!(result, Err(IniError::DuplicateSection { .. })),
                "expected a duplicate-section error"
            );
            return Ok(());
        }
        prop_assert_eq!(result, Ok(true));
        prop_assert!(IniDocument::parse(after.as_bytes().to_vec()).is_ok());
        let mut expected_names = names.clone();
        expected_names.remove(si);
        prop_assert_eq!(after.section_names(), expected_names);
        let (old, new) = (before.as_bytes(), after.as_bytes());
        let header = before.lines[before.sections[si].header].body;
        if new.len() < header {
            // Removing up to the end of a file without a final newline also drops the newline before.
            prop_assert!(!old.ends_with(b"\n"));
            let prefix = &old[..header];
            let stripped = prefix.strip_suffix(b"\r\n").or_else(|| prefix.strip_suffix(b"\n"));
            prop_assert_eq!(Some(new), stripped);
        } else {
            prop_assert_eq!(&new[..header], &old[..header]);
        }
        if let Some(next) = before.sections.get(si + 1) {
            prop_assert!(new.ends_with(&old[before.lines[next.header].start..]));
        }
        check_others_unchanged(before, &after, target)
    }

    fn check_remove_keys(before: &IniDocument, target: &str, keys: &[&str]) -> Result<(), TestCaseError> {
        let mut after = before.clone();
        let result = after.remove_keys(target, keys);
        let Ok(Some(old_entries)) = before.section(target) else {
            prop_assert!(result.is_err() || after.as_bytes() == before.as_bytes());
            return Ok(());
        };
        prop_assert_eq!(result, Ok(()));
        let lowered: Vec<String> = keys.iter().map(|k| k.to_lowercase()).collect();
        let expected: Vec<_> = old_entries.into_iter().filter(|(k, _)| !lowered.contains(k)).collect();
        prop_assert_eq!(after.section(target).unwrap(), Some(expected));
        prop_assert_eq!(after.section_names(), before.section_names());
        check_others_unchanged(before, &after, target)
    }

    /// A line of an INI-ish file: anything from well-formed to junk.
    fn arb_line() -> impl Strategy<Value = Vec<u8>> {
        let no_newline = any::<u8>().prop_filter("no newline", |b| *b != b'\n');
        prop_oneof![
            2 => "[ \t]{0,2}\\[[^\\]\r\n]{0,8}\\][ \t]{0,2}( ?# note)?".prop_map(String::into_bytes),
            4 => "[ \t]{0,2}[a-zA-Z_é]{1,6}[ \t]{0,2}[=:][ \t]{0,2}\\PC{0,10}".prop_map(String::into_bytes),
            2 => ("[ \t]{0,2}[#;]\\PC{0,6}", prop::collection::vec(no_newline, 0..8)).prop_map(|(s, raw)| {
                let mut line = s.into_bytes();
                line.extend(raw);
                line
            }),
            1 => "[ \t]{0,3}".prop_map(String::into_bytes),
            2 => "[ \t]{1,4}[a-z=:]{1,8}( = [a-z]{0,4})?".prop_map(String::into_bytes),
            1 => "\\PC{0,10}".prop_map(String::into_bytes),
        ]
    }

    fn arb_file() -> impl Strategy<Value = Vec<u8>> {
        (any::<bool>(), any::<bool>(), prop::collection::vec((arb_line(), any::<bool>()), 0..16), any::<bool>())
            .prop_map(|(bom, header, lines, final_newline)| {
                let mut out = if bom { BOM.to_vec() } else { Vec::new() };
                if header {
                    out.extend_from_slice(b"[first]\n");
                }
                let n = lines.len();
                for (i, (line, crlf)) in lines.into_iter().enumerate() {
                    out.extend(line);
                    if i + 1 < n || final_newline {
                        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                    }
                }
                out
            })
    }

    /// A generated body line of a well-formed file.
    #[derive(Debug, Clone)]
    enum Item {
        Entry {
            indent: usize,
            key: String,
            pre: String,
            delim: char,
            post: String,
            value: Vec<u8>,
            trail: String,
            conts: Vec<(usize, String)>,
        },
        Comment(String, Vec<u8>),
        Blank(String),
    }

    #[derive(Debug, Clone)]
    struct GenSection {
        indent: usize,
        name: String,
        note: bool,
        items: Vec<Item>,
    }

    #[derive(Debug, Clone)]
    struct GenDoc {
        bom: bool,
        endings: Vec<bool>,
        final_newline: bool,
        preamble: Vec<Item>,
        sections: Vec<GenSection>,
    }

    fn arb_comment() -> impl Strategy<Value = Item> {
        let no_newline = any::<u8>().prop_filter("no line break", |b| *b != b'\n' && *b != b'\r');
        (
            "[ \t]{0,2}[#;]",
            prop_oneof!["\\PC{0,10}".prop_map(String::into_bytes), prop::collection::vec(no_newline, 0..10)],
        )
            .prop_map(|(mark, text)| Item::Comment(mark, text))
    }

    fn arb_item() -> impl Strategy<Value = Item> {
        let no_break = any::<u8>().prop_filter("no line break", |b| *b != b'\n' && *b != b'\r');
        let entry = (
            (
                0..3usize,
                "[a-cA-C]{1,2}|[a-z_][a-z0-9_ ]{0,6}[a-z]|ключ",
                "[ \t]{0,2}",
                prop::sample::select(vec!['=', ':']),
            ),
            (
                "[ \t]{0,2}",
                prop_oneof!["\\PC{0,12}".prop_map(String::into_bytes), prop::collection::vec(no_break, 0..8)],
                "[ \t]{0,2}",
            ),
            prop::collection::vec((1..3usize, "[a-z0-9_]{1,6}( ?= ?[a-z0-9]{0,4})?"), 0..3),
        )
            .prop_map(|((indent, key, pre, delim), (post, value, trail), conts)| Item::Entry {
                indent,
                key,
                pre,
                delim,
                post,
                value,
                trail,
                conts,
            });
        prop_oneof![4 => entry, 1 => arb_comment(), 1 => "[ \t]{0,3}".prop_map(Item::Blank)]
    }

    fn arb_doc() -> impl Strategy<Value = GenDoc> {
        let section = (
            0..3usize,
            "(profile )?[a-zA-Zé][a-zA-Z0-9_.é -]{0,8}",
            any::<bool>(),
            prop::collection::vec(arb_item(), 0..6),
        )
            .prop_map(|(indent, name, note, items)| GenSection { indent, name, note, items });
        let preamble = prop::collection::vec(prop_oneof![arb_comment(), "[ \t]{0,3}".prop_map(Item::Blank)], 0..3);
        (
            any::<bool>(),
            prop::collection::vec(any::<bool>(), 1..8),
            any::<bool>(),
            preamble,
            prop::collection::vec(section, 0..5),
        )
            .prop_map(|(bom, endings, final_newline, preamble, sections)| GenDoc {
                bom,
                endings,
                final_newline,
                preamble,
                sections,
            })
    }

    /// Renders a generated document, adjusting indentation so every line is what it was meant to be.
    fn render(g: &GenDoc) -> Vec<u8> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut open: Option<usize> = None;
        let push_item =
            |item: &Item, lines: &mut Vec<Vec<u8>>, open: &mut Option<usize>, seen: &mut Vec<String>| match item {
                Item::Entry { indent, key, pre, delim, post, value, trail, conts } => {
                    let lower = key.to_lowercase();
                    if seen.contains(&lower) {
                        return;
                    }
                    seen.push(lower);
                    let indent = if open.is_some_and(|o| *indent > o) { 0 } else { *indent };
                    let mut line = " ".repeat(indent).into_bytes();
                    line.extend(format!("{key}{pre}{delim}{post}").into_bytes());
                    line.extend(value);
                    line.extend(trail.as_bytes());
                    lines.push(line);
                    *open = Some(indent);
                    for (extra, text) in conts {
                        lines.push(format!("{}{text}", " ".repeat(indent + extra)).into_bytes());
                    }
                }
                Item::Comment(mark, text) => {
                    let mut line = mark.clone().into_bytes();
                    line.extend(text);
                    lines.push(line);
                }
                Item::Blank(ws) => lines.push(ws.clone().into_bytes()),
            };
        for item in &g.preamble {
            push_item(item, &mut lines, &mut open, &mut Vec::new());
        }
        for (i, s) in g.sections.iter().enumerate() {
            let indent = if open.is_some_and(|o| s.indent > o) { 0 } else { s.indent };
            let note = if s.note { " ; note" } else { "" };
            lines.push(format!("{}[{}{i}]{note}", " ".repeat(indent), s.name).into_bytes());
            open = None;
            let mut seen = Vec::new();
            for item in &s.items {
                push_item(item, &mut lines, &mut open, &mut seen);
            }
        }
        let mut out = if g.bom { BOM.to_vec() } else { Vec::new() };
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            out.extend(line);
            if i + 1 < n || g.final_newline {
                out.extend_from_slice(if g.endings[i % g.endings.len()] { b"\r\n" } else { b"\n" });
            }
        }
        out
    }

    fn arb_set() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec(("[a-cA-C]{1,2}|[a-z_]{1,5}|ключ", "([a-zA-Z0-9/+=é]{1,6}( [a-z#;\\[]{1,3})?)?"), 0..4)
            .prop_map(|mut v| {
                let mut seen = Vec::new();
                v.retain(|(k, _)| {
                    let lower = k.to_lowercase();
                    let fresh = !seen.contains(&lower);
                    seen.push(lower);
                    fresh
                });
                v
            })
    }

    fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
        v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// Files of odd but mostly valid lines: indented headers, empty values, continuations, junk.
    fn odd_file() -> impl Strategy<Value = Vec<u8>> {
        let fragment = prop::sample::select(vec![
            &b"[a]"[..],
            b"[b]",
            b"[a] ; x",
            b"[ a ]",
            b"[a]]",
            b"k = v",
            b"K=",
            b"k:1",
            b"x = 1",
            b"a = b = c",
            b"s3 =",
            b"# c",
            b";",
            b"",
            b"word",
            b"\xff = \xff",
            b"k = \xff",
        ]);
        let line =
            (prop::sample::select(vec![&b""[..], b"", b"", b" ", b"  ", b"\t", b"   "]), fragment, any::<bool>());
        (any::<bool>(), prop::collection::vec(line, 0..14), any::<bool>()).prop_map(|(bom, lines, final_newline)| {
            let mut out = if bom { BOM.to_vec() } else { Vec::new() };
            let n = lines.len();
            for (i, (indent, fragment, crlf)) in lines.into_iter().enumerate() {
                out.extend_from_slice(indent);
                out.extend_from_slice(fragment);
                if i + 1 < n || final_newline {
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
    }

    /// Lines of the hostile corpus: everything real files hold and a careless parser trips on.
    /// `{LONG}` stands for a line of several KiB.
    const CORPUS_LINES: &[&[u8]] = &[
        b"[default]",
        b"[profile prod]",
        b"[prod]",
        b"[prod] ; mine",
        b"  [prod]",
        b"\t[other]",
        b"[ spaced ]",
        b"[DEFAULT]",
        b"[]",
        b"[a]]",
        b"aws_access_key_id = AKIAEXAMPLE0000001",
        b"AWS_ACCESS_KEY_ID=AKIAEXAMPLE0000002",
        b"aws_secret_access_key\t=\tsecret/+=",
        b"aws_session_token: token",
        b"x_rolecall_favourite = prod",
        b"x_security_token_expires = 2030-01-01T00:00:00Z",
        b"region = us-east-1",
        b"k = v",
        b"k = v",
        b"K = other",
        b"s3 =",
        b"    max_concurrent_requests = 20",
        b"  nested = 1",
        b"= no key",
        b"no delimiter",
        b"# comment",
        b"; comment",
        b"  # indented comment",
        b"",
        b"   ",
        b"\t",
        b"k = caf\xe9 \xff",
        b"\xff\xfe = x",
        b"# \xc3\x28 invalid utf-8",
        "\u{a0}k = nbsp-indented".as_bytes(),
        "k\u{3000}=\u{3000}ideographic".as_bytes(),
        b"\x1ck = file-separator-indented",
        b"k = v\rstray",
        b"{LONG}",
    ];

    /// Files made of corpus lines, with a BOM or not, CRLF or LF per line, a final newline or not.
    fn corpus_file() -> impl Strategy<Value = Vec<u8>> {
        let line = (prop::sample::select(CORPUS_LINES), any::<bool>());
        (any::<bool>(), prop::collection::vec(line, 0..24), any::<bool>(), 1..8usize).prop_map(
            |(bom, lines, final_newline, long)| {
                let mut out = if bom { BOM.to_vec() } else { Vec::new() };
                let n = lines.len();
                for (i, (line, crlf)) in lines.into_iter().enumerate() {
                    if line == b"{LONG}" {
                        out.extend_from_slice(b"long = ");
                        out.extend(std::iter::repeat_n(b'x', long * 1500));
                    } else {
                        out.extend_from_slice(line);
                    }
                    if i + 1 < n || final_newline {
                        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                    }
                }
                out
            },
        )
    }

    use crate::test_support::proptest_cases as cases;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(512)))]

        #[test]
        fn ini_prop_corpus_round_trips_or_is_refused(input in corpus_file()) {
            match IniDocument::parse(input.clone()) {
                Ok(d) => prop_assert_eq!(d.as_bytes(), input.as_slice()),
                Err(e) => {
                    prop_assert!(e.line().is_some(), "a parse error names its line: {:?}", e);
                    let stray = input.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n') || input.ends_with(b"\r");
                    if matches!(e, IniError::StrayCarriageReturn { .. }) {
                        prop_assert!(stray);
                    }
                }
            }
        }

        #[test]
        fn ini_prop_corpus_edits_are_safe(input in corpus_file(), set_these in arb_set()) {
            let Ok(d) = IniDocument::parse(input.clone()) else { return Ok(()) };
            let mut targets: Vec<String> =
                d.section_names().into_iter().filter(|n| validate_section(n).is_ok()).collect();
            targets.extend(["prod".to_owned(), "profile prod".to_owned(), "new".to_owned()]);
            for target in &targets {
                check_set(&d, target, &as_refs(&set_these))?;
                check_remove_section(&d, target)?;
                let keys: Vec<&str> = set_these.iter().map(|(k, _)| k.as_str()).collect();
                check_remove_keys(&d, target, &keys)?;
            }
        }

        #[test]
        fn ini_prop_parse_round_trips(input in arb_file()) {
            if let Ok(d) = IniDocument::parse(input.clone()) {
                prop_assert_eq!(d.as_bytes(), input.as_slice());
                prop_assert_eq!(d.into_bytes(), input);
            }
        }

        #[test]
        fn ini_prop_generated_files_parse(g in arb_doc()) {
            let input = render(&g);
            let d = IniDocument::parse(input.clone());
            prop_assert!(d.is_ok(), "{:?}", d);
            let d = d.unwrap();
            prop_assert_eq!(d.as_bytes(), input.as_slice());
            prop_assert_eq!(d.section_names().len(), g.sections.len());
        }

        #[test]
        fn ini_prop_set_entries(g in arb_doc(), target in 0..6usize, set_these in arb_set()) {
            let d = IniDocument::parse(render(&g)).unwrap();
            let names = d.section_names();
            let target = names.get(target).cloned().unwrap_or_else(|| "new target".to_owned());
            check_set(&d, &target, &as_refs(&set_these))?;
        }

        #[test]
        fn ini_prop_remove(g in arb_doc(), target in 0..6usize, keys in arb_set()) {
            let d = IniDocument::parse(render(&g)).unwrap();
            let names = d.section_names();
            let target = names.get(target).cloned().unwrap_or_else(|| "absent".to_owned());
            check_remove_section(&d, &target)?;
            let keys: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
            check_remove_keys(&d, &target, &keys)?;
        }

        #[test]
        fn ini_prop_arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(d) = IniDocument::parse(input.clone()) {
                prop_assert_eq!(d.as_bytes(), input.as_slice());
                let _ = d.section_names();
            }
        }

        #[test]
        fn ini_prop_odd_files_edit_safely(input in odd_file(), set_these in arb_set()) {
            let Ok(d) = IniDocument::parse(input.clone()) else { return Ok(()) };
            prop_assert_eq!(d.as_bytes(), input.as_slice());
            let mut targets: Vec<String> = d.section_names().into_iter().filter(|n| validate_section(n).is_ok()).collect();
            targets.push("a".to_owned());
            for target in &targets {
                check_set(&d, target, &as_refs(&set_these))?;
                check_remove_section(&d, target)?;
                let keys: Vec<&str> = set_these.iter().map(|(k, _)| k.as_str()).collect();
                check_remove_keys(&d, target, &keys)?;
            }
        }
    }
}
