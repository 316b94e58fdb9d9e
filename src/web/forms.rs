//! Form plumbing of the web layer: safe redirect targets and page numbers from query strings
//! (field errors, choices and pages are in the neutral `crate::forms`).

/// A local path to return to after a form, or "/" if the given one could lead off-site.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        // "//host" and "/\host" are taken by browsers as other sites.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Query parameter `page` of a list, 1-based; anything unusable means the first page.
pub fn page_number(raw: Option<&str>) -> u64 {
    raw.and_then(|s| s.trim().parse::<u64>().ok()).filter(|n| (1..=1_000_000).contains(n)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_only() {
        assert_eq!(local_path(Some("/admin/accounts?page=2")), "/admin/accounts?page=2");
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", "/a\nb"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn page_numbers() {
        assert_eq!(page_number(Some("3")), 3);
        for bad in [None, Some("0"), Some("-1"), Some("x"), Some("99999999999999999999")] {
            assert_eq!(page_number(bad), 1);
        }
    }
}
