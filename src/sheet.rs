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

/// A cell of a sheet of figures: XLSX stores numbers as numbers, rates as numbers in a percent
/// format and days as dates, so that a spreadsheet sums, sorts and charts them; CSV writes each
/// as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u32),
    /// A share from 0 to 1 (None: nothing to divide by, written as a dash).
    Rate(Option<f64>),
    Date(chrono::NaiveDate),
}

impl Cell {
    /// The cell as CSV text: counts in digits, rates as "54.5%", days as 2026-11-03.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => cell(s),
            Cell::Count(n) => Cow::Owned(n.to_string()),
            Cell::Rate(Some(r)) => Cow::Owned(format!("{:.1}%", r * 100.0)),
            Cell::Rate(None) => Cow::Borrowed("—"),
            Cell::Date(d) => Cow::Owned(d.to_string()),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

/// Writes a sheet: a header row, then the rows, every cell as text through [`cell`]. CSV starts
/// with a byte-order mark so that spreadsheet programs open it as UTF-8; XLSX keeps ids and phone
/// numbers as text, so their digits stay exact.
pub fn write<S: AsRef<str>>(format: Format, headers: &[S], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let rows: Vec<Vec<Cell>> = rows.iter().map(|r| r.iter().cloned().map(Cell::Text).collect()).collect();
    write_cells(format, headers, &rows)
}

/// Writes a sheet of typed cells (see [`Cell`]): a header row (frozen in XLSX), then the rows.
pub fn write_cells<S: AsRef<str>>(format: Format, headers: &[S], rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            writer.write_record(headers.iter().map(|h| cell(h.as_ref()).into_owned())).map_err(|e| e.to_string())?;
            for row in rows {
                writer.write_record(row.iter().map(|c| c.text().into_owned())).map_err(|e| e.to_string())?;
            }
            writer.into_inner().map_err(|e| e.to_string())
        }
        Format::Xlsx => {
            use rust_xlsxwriter::{ExcelDateTime, Format as Style};
            let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
            let percent = Style::new().set_num_format("0.0%");
            let date = Style::new().set_num_format("yyyy-mm-dd");
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (c, h) in headers.iter().enumerate() {
                let col = u16::try_from(c).map_err(|e| e.to_string())?;
                sheet.write_string(0, col, cell(h.as_ref())).map_err(e)?;
                sheet.set_column_width(col, 16).map_err(e)?;
            }
            if !rows.is_empty() {
                sheet.set_freeze_panes(1, 0).map_err(e)?;
            }
            for (r, row) in rows.iter().enumerate() {
                let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
                for (c, value) in row.iter().enumerate() {
                    let col = u16::try_from(c).map_err(|e| e.to_string())?;
                    match value {
                        Cell::Text(s) if s.is_empty() => {}
                        Cell::Text(s) => {
                            sheet.write_string(r, col, cell(s)).map_err(e)?;
                        }
                        Cell::Count(n) => {
                            sheet.write_number(r, col, *n).map_err(e)?;
                        }
                        Cell::Rate(Some(x)) => {
                            sheet.write_number_with_format(r, col, *x, &percent).map_err(e)?;
                        }
                        Cell::Rate(None) => {
                            sheet.write_string(r, col, "—").map_err(e)?;
                        }
                        Cell::Date(d) => {
                            use chrono::Datelike;
                            let day = u16::try_from(d.year())
                                .ok()
                                .and_then(|y| ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8).ok());
                            match day {
                                Some(day) => sheet.write_datetime_with_format(r, col, &day, &date).map_err(e)?,
                                // Before 1900, which Excel cannot date: as text.
                                None => sheet.write_string(r, col, d.to_string()).map_err(e)?,
                            };
                        }
                    }
                }
            }
            book.save_to_buffer().map_err(e)
        }
    }
}

/// A CSV sheet written while it is sent, a thousand rows per chunk: the whole file is never in
/// memory (the every-member export of a year is 20,000 rows). Same cells and byte-order mark as
/// [`write`].
pub fn csv_stream(headers: Vec<String>, rows: impl Iterator<Item = Vec<Cell>> + Send + 'static) -> axum::body::Body {
    let mut head = Some(headers);
    let mut rows = rows.peekable();
    let chunks = std::iter::from_fn(move || {
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
        match head.take() {
            Some(h) => {
                writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
                if let Err(e) = writer.write_record(h.iter().map(|c| cell(c).into_owned())) {
                    return Some(Err(std::io::Error::other(e)));
                }
            }
            None if rows.peek().is_none() => return None,
            None => {}
        }
        for row in rows.by_ref().take(1000) {
            if let Err(e) = writer.write_record(row.iter().map(|c| c.text().into_owned())) {
                return Some(Err(std::io::Error::other(e)));
            }
        }
        Some(writer.into_inner().map(bytes::Bytes::from).map_err(|e| std::io::Error::other(e.to_string())))
    });
    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
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

    #[test]
    fn typed_cells_are_numbers_rates_and_dates_in_xlsx_and_text_in_csv() {
        use calamine::{Data, Reader};
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).expect("a day");
        let rows = vec![vec![
            Cell::Text("张三".into()),
            Cell::Count(37),
            Cell::Rate(Some(0.946)),
            Cell::Rate(None),
            Cell::Date(day),
        ]];
        let csv = String::from_utf8(write_cells(Format::Csv, &["a", "b", "c", "d", "e"], &rows).expect("csv"))
            .expect("utf-8");
        assert!(csv.ends_with("张三,37,94.6%,—,2026-11-03\n"), "{csv}");
        let xlsx = write_cells(Format::Xlsx, &["a", "b", "c", "d", "e"], &rows).expect("xlsx");
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("opens");
        let range = book.worksheet_range_at(0).expect("a sheet").expect("reads");
        assert_eq!(range.get_value((1, 1)), Some(&Data::Float(37.0)));
        assert_eq!(range.get_value((1, 2)), Some(&Data::Float(0.946)));
        assert_eq!(range.get_value((1, 3)), Some(&Data::String("—".into())));
        match range.get_value((1, 4)) {
            Some(Data::DateTime(d)) => assert_eq!(d.as_datetime().map(|t| t.date()), Some(day)),
            other => panic!("a date, not {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_streamed_csv_is_the_written_one_in_chunks() {
        let rows: Vec<Vec<String>> = (0..2500).map(|i| vec![format!("成员{i}"), format!("={i}")]).collect();
        let whole = write(Format::Csv, &["a", "b"], &rows).expect("csv");
        let cells = rows.into_iter().map(|r| r.into_iter().map(Cell::Text).collect());
        let body = csv_stream(vec!["a".into(), "b".into()], cells);
        let streamed = axum::body::to_bytes(body, usize::MAX).await.expect("the body");
        assert_eq!(streamed.as_ref(), whole.as_slice());
        let empty = axum::body::to_bytes(csv_stream(vec!["a".into()], std::iter::empty()), usize::MAX).await;
        assert_eq!(empty.expect("the body").as_ref(), b"\xEF\xBB\xBFa\n");
    }
}
