//! Bodies compressed once, at the best brotli and gzip levels (too slow for every request,
//! right for a body that is sent many times unchanged: the widget's scripts, a site's rendered
//! configuration), and sent in the encoding the browser asks for. The compression layer leaves
//! a response that already has a `Content-Encoding` alone.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// A body that never changes once made, in each encoding a browser may ask for.
pub struct Precompressed {
    pub identity: String,
    brotli: Bytes,
    gzip: Bytes,
}

impl Precompressed {
    /// At brotli's best (11): for bodies made once per process.
    pub fn new(identity: String) -> Precompressed {
        Precompressed::with_quality(identity, 11)
    }

    /// `quality` 0–11: lower for bodies made again every few seconds, where 11's few ms of
    /// CPU per render would add up.
    pub fn with_quality(identity: String, quality: u32) -> Precompressed {
        use std::io::Write;
        let mut brotli = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut brotli, 4096, quality, 22);
            writer
                .write_all(identity.as_bytes())
                .expect("writes to memory");
        }
        let gzip = if quality == 11 {
            // Made once per process: Zopfli's gzip, a few per cent smaller than zlib's best,
            // for the browsers that take no brotli. (The loader's 3 KB budget is in gzip.)
            let mut gzip = Vec::new();
            zopfli::compress(
                zopfli::Options::default(),
                zopfli::Format::Gzip,
                identity.as_bytes(),
                &mut gzip,
            )
            .expect("writes to memory");
            gzip
        } else {
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gzip.write_all(identity.as_bytes())
                .expect("writes to memory");
            gzip.finish().expect("writes to memory")
        };
        Precompressed {
            gzip: gzip.into(),
            brotli: brotli.into(),
            identity,
        }
    }

    /// The body in the best encoding `Accept-Encoding` allows (brotli, then gzip).
    pub fn response(&self, headers: &HeaderMap) -> Response {
        let accepted = |name: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|part| {
                    let mut pieces = part.split(';').map(str::trim);
                    let named = pieces.next() == Some(name);
                    let quality = pieces
                        .find_map(|p| p.strip_prefix("q="))
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(1.0);
                    named && quality > 0.0
                })
        };
        let (body, encoding) = if accepted("br") {
            (self.brotli.clone(), Some("br"))
        } else if accepted("gzip") {
            (self.gzip.clone(), Some("gzip"))
        } else {
            (Bytes::from(self.identity.clone()), None)
        };
        let mut response = body.into_response();
        let out = response.headers_mut();
        out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Some(encoding) = encoding {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }
}
