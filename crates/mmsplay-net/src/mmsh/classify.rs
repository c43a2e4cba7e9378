//! What an HTTP answer holds, for `http://` URLs that may be MS-WMSP, a metafile or a plain
//! file: decided by the Content-Type and the first body bytes, because old servers send
//! `application/octet-stream` for everything ([MS-WMSP] 2.2.1.2) and web servers label ASX
//! files `video/x-ms-asf` like ASF files.

/// The kinds of HTTP content the player handles differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpContent {
    /// An MS-WMSP `$`-framed body: stream it with MMSH.
    Wmsp,
    /// An ASX or `[Reference]` metafile: parse it and try its entries.
    Metafile,
    /// A plain ASF file (progressive download).
    PlainAsf,
    Other,
}

/// The ASF Header Object GUID as it appears on the wire.
const ASF_HEADER_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];

/// Classifies a response by its Content-Type (may be absent) and the first bytes of its body
/// (a few dozen are enough; fewer still give an answer).
pub fn classify_http(content_type: Option<&str>, body_prefix: &[u8]) -> HttpContent {
    let ct = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    // Bytes first: they cannot lie about framing.
    if let [first, id, ..] = body_prefix
        && first & 0x7F == 0x24
        && matches!(id, b'H' | b'M' | b'P' | b'T' | b'C' | b'D' | b'E')
    {
        return HttpContent::Wmsp;
    }
    if body_prefix.starts_with(&ASF_HEADER_GUID) {
        return HttpContent::PlainAsf;
    }
    if looks_like_metafile(body_prefix) {
        return HttpContent::Metafile;
    }
    match ct.as_str() {
        "application/vnd.ms.wms-hdr.asfv1" | "application/x-mms-framed" => HttpContent::Wmsp,
        "video/x-ms-asx" | "audio/x-ms-wax" | "video/x-ms-wvx" | "video/x-ms-wmx"
        | "audio/x-ms-asx" => HttpContent::Metafile,
        _ => HttpContent::Other,
    }
}

/// `<ASX` (after a BOM, whitespace or an XML declaration) or `[Reference]`, any case.
fn looks_like_metafile(b: &[u8]) -> bool {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    let text: String = String::from_utf8_lossy(&b[..b.len().min(512)]).to_ascii_lowercase();
    let t = text.trim_start();
    if t.starts_with("[reference]") || t.starts_with("<asx") {
        return true;
    }
    // `<?xml …?>` or comments before the root element.
    t.starts_with("<?xml") && t.contains("<asx")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_classification() {
        assert_eq!(
            classify_http(Some("application/octet-stream"), b"$H\x28\x02"),
            HttpContent::Wmsp
        );
        assert_eq!(
            classify_http(Some("application/vnd.ms.wms-hdr.asfv1"), b""),
            HttpContent::Wmsp
        );
        assert_eq!(
            classify_http(Some("video/x-ms-asf"), b"<ASX version=\"3.0\">"),
            HttpContent::Metafile
        );
        assert_eq!(
            classify_http(Some("video/x-ms-asf"), b"[Reference]\r\nRef1=http://x/"),
            HttpContent::Metafile
        );
        assert_eq!(
            classify_http(Some("video/x-ms-asf"), &ASF_HEADER_GUID),
            HttpContent::PlainAsf
        );
        assert_eq!(
            classify_http(Some("text/html"), b"<html>"),
            HttpContent::Other
        );
        assert_eq!(
            classify_http(None, b"\xEF\xBB\xBF  <?xml version=\"1.0\"?><asx>"),
            HttpContent::Metafile
        );
    }
}
