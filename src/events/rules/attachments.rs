//! Attachments of events (study materials, the notice): an allow-list of document and image
//! types checked by name and by content, and a size limit.
use crate::i18n::Msg;

/// The largest attachment accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The accepted types: extension, content type, and how the content must begin.
const ALLOWED: &[(&str, &str, Magic)] = &[
    ("pdf", "application/pdf", Magic::Prefix(b"%PDF-")),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Magic::Prefix(b"PK\x03\x04")),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Magic::Prefix(b"PK\x03\x04")),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", Magic::Prefix(b"PK\x03\x04")),
    ("doc", "application/msword", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("xls", "application/vnd.ms-excel", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("ppt", "application/vnd.ms-powerpoint", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("png", "image/png", Magic::Prefix(b"\x89PNG\r\n\x1a\n")),
    ("jpg", "image/jpeg", Magic::Prefix(b"\xFF\xD8\xFF")),
    ("jpeg", "image/jpeg", Magic::Prefix(b"\xFF\xD8\xFF")),
    ("txt", "text/plain; charset=utf-8", Magic::Utf8),
];

#[derive(Debug, Clone, Copy)]
enum Magic {
    Prefix(&'static [u8]),
    Utf8,
}

/// Why an upload is refused (each a translated message on the event page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadError {
    Missing,
    TooLarge,
    TypeNotAllowed,
    ContentMismatch,
}

impl UploadError {
    pub fn msg(self) -> Msg {
        match self {
            UploadError::Missing => Msg::new("attachment.choose_file"),
            UploadError::TooLarge => Msg::new("attachment.too_large").arg("mb", MAX_BYTES / 1024 / 1024),
            UploadError::TypeNotAllowed => Msg::new("attachment.type_not_allowed"),
            UploadError::ContentMismatch => Msg::new("attachment.content_mismatch"),
        }
    }
}

/// The name as shown and offered for download: the last path component, without control
/// characters, at most 200 characters.
fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    name.trim().to_owned()
}

/// Checks an upload; returns its clean name and content type.
pub fn check(raw_name: &str, bytes: &[u8]) -> Result<(String, &'static str), UploadError> {
    let name = clean_name(raw_name);
    if name.is_empty() || bytes.is_empty() {
        return Err(UploadError::Missing);
    }
    if bytes.len() > MAX_BYTES {
        return Err(UploadError::TooLarge);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (_, content_type, magic) = ALLOWED.iter().find(|(e, _, _)| *e == ext).ok_or(UploadError::TypeNotAllowed)?;
    let fits = match magic {
        Magic::Prefix(p) => bytes.starts_with(p),
        Magic::Utf8 => std::str::from_utf8(bytes).is_ok(),
    };
    if fits { Ok((name, content_type)) } else { Err(UploadError::ContentMismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_name_and_content() {
        assert_eq!(check("学习材料.pdf", b"%PDF-1.7 ..."), Ok(("学习材料.pdf".to_owned(), "application/pdf")));
        assert_eq!(check("C:\\Users\\a\\通知.TXT", "通知".as_bytes()).map(|(n, _)| n), Ok("通知.TXT".to_owned()));
        assert_eq!(check("x.pdf", b"<script>"), Err(UploadError::ContentMismatch));
        assert_eq!(check("x.html", b"<html>"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("x.exe", b"MZ"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("noext", b"%PDF-"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("a.txt", b"\xff\xfe"), Err(UploadError::ContentMismatch));
        assert_eq!(check("", b"%PDF-"), Err(UploadError::Missing));
        assert_eq!(check("a.pdf", b""), Err(UploadError::Missing));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(check("a.txt", &big), Err(UploadError::TooLarge));
    }
}
