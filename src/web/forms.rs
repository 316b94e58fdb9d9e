//! Form plumbing shared by every domain: field errors for re-rendered forms, safe redirect
//! targets, and pagination of lists.
use crate::i18n::Msg;

/// Errors of a submitted form, by field name, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Msg)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, key: &str) {
        self.add_msg(field, Msg::new(key));
    }

    pub fn add_msg(&mut self, field: &str, msg: Msg) {
        self.0.push((field.to_owned(), msg));
    }

    /// Keeps the value of a parse, or records its error against `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
        result.map_err(|key| self.add(field, key)).ok()
    }

    pub fn merge(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    pub fn get(&self, field: &str) -> Option<&Msg> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, key: &str) -> Self {
        let mut e = Self::default();
        e.add(field, key);
        e
    }
}

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

/// One page of a list and what is needed to draw its pager.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
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

    #[test]
    fn pager() {
        let p = Page::<u8> { items: vec![], total: 101, page: 2, per_page: 50 };
        assert_eq!(p.pages(), 3);
        assert!(p.has_prev() && p.has_next());
        let empty = Page::<u8> { items: vec![], total: 0, page: 1, per_page: 50 };
        assert_eq!(empty.pages(), 1);
        assert!(!empty.has_next());
    }
}
