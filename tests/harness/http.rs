//! The one small HTTP/1.1 of the harness, for its loopback servers ([`FakeSts`](crate::FakeSts),
//! [`FakeFederation`](crate::FakeFederation), the tests' stand-in proxies) and its loopback
//! clients (moto's admin API, WebDriver): [`Request::read`] and [`Response::write_to`] on the
//! server side, [`request`] (with [`Request::write_to`] and [`Response::read`]) on the client
//! side.
//!
//! One request per connection, both ways (`Connection: close`): a server reads one request and
//! answers it; a client sends one and reads the answer, framed by `Content-Length`, chunked, or
//! up to the close. No TLS, no keep-alive, no `Expect: 100-continue`: only what the loopback
//! peers of the suite speak.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One HTTP request: what a server read, or what a client sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, `CONNECT`…
    pub method: String,
    /// The request target as sent: a path with its query, or `host:port` for `CONNECT`.
    pub target: String,
    /// The protocol of the request line (`HTTP/1.1`).
    pub version: String,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes; empty without one).
    pub body: Vec<u8>,
}

impl Request {
    /// A request for `target` with `method`, no headers and no body, as HTTP/1.1.
    pub fn new(method: &str, target: &str) -> Request {
        Request {
            method: method.to_owned(),
            target: target.to_owned(),
            version: "HTTP/1.1".to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header_line(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Reads one request: the request line, the headers up to the empty line, and a body of
    /// `Content-Length` bytes (at most `max_body`; more is an error).
    ///
    /// # Errors
    /// If the connection fails or closes before the request is whole, or the request line is
    /// not `METHOD TARGET VERSION`.
    pub fn read(reader: &mut impl BufRead, max_body: usize) -> std::io::Result<Request> {
        let line = read_line(reader)?.ok_or_else(|| closed("before the request line"))?;
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(std::io::Error::other(format!("bad request line {line:?}")));
        };
        let headers = read_headers(reader)?;
        let mut request = Request {
            method: method.to_owned(),
            target: target.to_owned(),
            version: version.to_owned(),
            headers,
            body: Vec::new(),
        };
        let length = request.content_length()?.unwrap_or(0);
        if length > max_body {
            return Err(std::io::Error::other(format!("a body of {length} bytes, more than {max_body}")));
        }
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
        Ok(request)
    }

    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(path, _)| path)
    }

    /// The raw query string of the target (empty if none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }

    /// `METHOD TARGET VERSION`, as sent.
    pub fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }

    /// Writes the request with its headers (any `Connection` and `Content-Length` of its own
    /// left out), `Content-Length` of the body and `Connection: close`.
    ///
    /// # Errors
    /// If writing fails.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let head = format!("{}\r\n{}", self.request_line(), framed(&self.headers, self.body.len()));
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }

    fn content_length(&self) -> std::io::Result<Option<usize>> {
        content_length(&self.headers)
    }
}

/// One HTTP response: what a server answers, or what a client read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase (`OK`).
    pub reason: String,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, unchunked.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with `status`, its usual reason phrase ([`reason`]) and `body`, no headers yet.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response { status, reason: reason(status).to_owned(), headers: Vec::new(), body: body.into() }
    }

    /// Adds a header.
    pub fn header_line(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Writes the status line, the headers (any `Connection`, `Content-Length` and
    /// `Transfer-Encoding` of its own left out: the body is sent whole), `Content-Length` of the
    /// body, `Connection: close`, and the body.
    ///
    /// # Errors
    /// If writing fails.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let head = format!("HTTP/1.1 {} {}\r\n{}", self.status, self.reason, framed(&self.headers, self.body.len()));
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }

    /// Reads one response: the status line, the headers, and the body (`Content-Length`
    /// bytes, chunked, or everything up to the close).
    ///
    /// # Errors
    /// If the connection fails or closes before the response is whole, or the status line or
    /// the framing is malformed.
    pub fn read(reader: &mut impl BufRead) -> std::io::Result<Response> {
        let line = read_line(reader)?.ok_or_else(|| closed("before the status line"))?;
        let mut parts = line.splitn(3, ' ');
        let status = parts
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let reason = parts.next().unwrap_or_default().to_owned();
        let headers = read_headers(reader)?;
        let chunked =
            find_header(&headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let mut body = Vec::new();
        if chunked {
            loop {
                let line = read_line(reader)?.ok_or_else(|| closed("inside a chunked body"))?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                    .map_err(|e| std::io::Error::other(format!("bad chunk size {line:?}: {e}")))?;
                if size == 0 {
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..])?;
                read_line(reader)?;
            }
        } else if let Some(length) = content_length(&headers)? {
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
        }
        Ok(Response { status, reason, headers, body })
    }
}

/// Sends `request` to 127.0.0.1:`port` (with `Host` added) on a connection of its own and reads
/// the answer; `timeout` bounds each read and write.
///
/// # Errors
/// If the connection, the write or the read fails, or the answer is malformed.
pub fn request(port: u16, request: &Request, timeout: Duration) -> std::io::Result<Response> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut with_host = request.clone();
    if with_host.header("host").is_none() {
        with_host.headers.insert(0, ("Host".to_owned(), format!("127.0.0.1:{port}")));
    }
    with_host.write_to(&mut &stream)?;
    Response::read(&mut BufReader::new(&stream))
}

/// The usual reason phrase of `status` (`Status` for one the suite does not use).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// One line without its line ending; `None` at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The header lines up to the empty one.
fn read_headers(reader: &mut impl BufRead) -> std::io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| closed("inside the headers"))?;
        if line.is_empty() {
            return Ok(headers);
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn content_length(headers: &[(String, String)]) -> std::io::Result<Option<usize>> {
    find_header(headers, "content-length")
        .map(|v| v.parse().map_err(|e| std::io::Error::other(format!("bad Content-Length {v:?}: {e}"))))
        .transpose()
}

/// `headers` without the framing ones, then `Content-Length: length`, `Connection: close` and
/// the empty line.
fn framed(headers: &[(String, String)], length: usize) -> String {
    let mut head = String::new();
    for (name, value) in headers {
        if !["connection", "content-length", "transfer-encoding"].iter().any(|h| name.eq_ignore_ascii_case(h)) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {length}\r\nConnection: close\r\n\r\n"));
    head
}

fn closed(where_: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("the connection closed {where_}"))
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::{Request, Response};

    #[test]
    fn a_request_round_trips_with_its_body_and_framing() {
        let sent = Request::new("POST", "/federation?Action=x")
            .header_line("Content-Type", "text/plain")
            .header_line("Connection", "keep-alive")
            .body("a=1&b=2");
        let mut wire = Vec::new();
        sent.write_to(&mut wire).unwrap();
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(text.starts_with("POST /federation?Action=x HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2"), "{text}");
        assert!(!text.contains("keep-alive"), "{text}");
        let read = Request::read(&mut BufReader::new(&wire[..]), 1024).unwrap();
        assert_eq!((read.path(), read.query(), read.body.as_slice()), ("/federation", "Action=x", &b"a=1&b=2"[..]));
        assert_eq!(read.header("content-type"), Some("text/plain"));
        assert!(Request::read(&mut BufReader::new(&wire[..]), 3).is_err(), "a body over the limit");
        assert!(Request::read(&mut BufReader::new(&b"GET / HTTP/1.1\r\nHost: x\r\n"[..]), 0).is_err(), "cut short");
    }

    #[test]
    fn responses_are_read_by_length_chunked_or_to_the_close() {
        let mut wire = Vec::new();
        Response::new(302, "").header_line("Location", "https://example.com/").write_to(&mut wire).unwrap();
        let r = Response::read(&mut BufReader::new(&wire[..])).unwrap();
        assert_eq!((r.status, r.reason.as_str(), r.header("location")), (302, "Found", Some("https://example.com/")));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
        assert_eq!(Response::read(&mut BufReader::new(&chunked[..])).unwrap().text(), "hello world");
        let unframed = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nto the end";
        assert_eq!(Response::read(&mut BufReader::new(&unframed[..])).unwrap().text(), "to the end");
        assert!(Response::read(&mut BufReader::new(&b"garbage\r\n\r\n"[..])).is_err());
    }
}
