//! Spreadsheets going out (CSV and XLSX): the one writer every export uses, so that no cell a
//! person typed can become a live formula in the program that opens the file.
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// By file name extension.
    pub fn of_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The characters with which a spreadsheet program starts a formula (or, for tab and carriage
/// return, hides one behind a cell break).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell that cannot start a formula: text that begins like one gets a leading apostrophe, which
/// spreadsheet programs show as text (OWASP's advice for CSV injection).
pub fn cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// The text a person meant by a cell that [`cell`] wrote: reading our own export back (member
/// import) gives the original values.
pub fn uncell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => s,
    }
}

/// Writes a sheet: a header row, then the rows, every cell as text through [`cell`]. CSV starts
/// with a byte-order mark so that spreadsheet programs open it as UTF-8; XLSX keeps ids and phone
/// numbers as text, so their digits stay exact.
pub fn write<S: AsRef<str>>(format: Format, headers: &[S], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            writer.write_record(headers.iter().map(|h| cell(h.as_ref()).into_owned())).map_err(|e| e.to_string())?;
            for row in rows {
                writer.write_record(row.iter().map(|c| cell(c).into_owned())).map_err(|e| e.to_string())?;
            }
            writer.into_inner().map_err(|e| e.to_string())
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (c, h) in headers.iter().enumerate() {
                let col = u16::try_from(c).map_err(|e| e.to_string())?;
                sheet.write_string(0, col, cell(h.as_ref())).map_err(|e| e.to_string())?;
                sheet.set_column_width(col, 16).map_err(|e| e.to_string())?;
            }
            for (r, row) in rows.iter().enumerate() {
                let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
                for (c, value) in row.iter().enumerate() {
                    if !value.is_empty() {
                        let col = u16::try_from(c).map_err(|e| e.to_string())?;
                        sheet.write_string(r, col, cell(value)).map_err(|e| e.to_string())?;
                    }
                }
            }
            book.save_to_buffer().map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_a_formula_are_neutralised_and_read_back() {
        for bad in ["=HYPERLINK(\"http://x\",\"y\")", "+86-138", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            let written = cell(bad);
            assert_eq!(written, format!("'{bad}"));
            assert_eq!(uncell(&written), bad);
        }
        for fine in ["张三", "13800138000", "a=b", "'quoted", ""] {
            assert_eq!(cell(fine), fine);
            assert_eq!(uncell(fine), fine);
        }
    }

    #[test]
    fn both_formats_write_neutralised_cells() {
        let rows = vec![vec!["=1+1".to_owned(), "+86-138".to_owned()]];
        let csv = String::from_utf8(write(Format::Csv, &["a", "b"], &rows).expect("csv")).expect("utf-8");
        assert!(csv.contains("'=1+1,'+86-138"), "{csv}");
        let xlsx = write(Format::Xlsx, &["a", "b"], &rows).expect("xlsx");
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("opens");
        let range = book.worksheet_range_at(0).expect("a sheet").expect("reads");
        assert_eq!(range.get_value((1, 0)), Some(&calamine::Data::String("'=1+1".into())));
        assert_eq!(range.get_value((1, 1)), Some(&calamine::Data::String("'+86-138".into())));
    }
}
