//! The member file layout for import and export, as CSV (UTF-8) or XLSX. Headers may be in
//! Chinese or English; columns may come in any order, and absent optional columns are allowed.
//! Reading checks the file's shape only; the values are checked by the import.
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::i18n::{self, Locale};

/// Largest file accepted, and most data rows.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Name,
    Gender,
    BirthDate,
    Phone,
    Email,
    Unit,
    Post,
    Group,
    PoliticalStatus,
    JoinedPartyOn,
    FullMemberOn,
    State,
    StateReason,
    Locale,
    Notes,
    /// Written on export for the reader; ignored on import (the import names its branch).
    Branch,
}

impl Column {
    /// The export order, which is also the template's.
    pub const ALL: [Column; 17] = [
        Column::Id,
        Column::Name,
        Column::Gender,
        Column::BirthDate,
        Column::Phone,
        Column::Email,
        Column::Unit,
        Column::Post,
        Column::Branch,
        Column::Group,
        Column::PoliticalStatus,
        Column::JoinedPartyOn,
        Column::FullMemberOn,
        Column::State,
        Column::StateReason,
        Column::Locale,
        Column::Notes,
    ];

    /// The English header, which is also the column's key in the catalogue (`column.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Name => "name",
            Column::Gender => "gender",
            Column::BirthDate => "birth_date",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Unit => "unit",
            Column::Post => "post",
            Column::Group => "party_group",
            Column::PoliticalStatus => "political_status",
            Column::JoinedPartyOn => "joined_party_on",
            Column::FullMemberOn => "full_member_on",
            Column::State => "membership_state",
            Column::StateReason => "state_reason",
            Column::Locale => "locale",
            Column::Notes => "notes",
            Column::Branch => "branch",
        }
    }

    /// Catalogue key of the column's Chinese header and description.
    pub fn label_key(self) -> &'static str {
        match self {
            Column::Id => "column.id",
            Column::Name => "column.name",
            Column::Gender => "column.gender",
            Column::BirthDate => "column.birth_date",
            Column::Phone => "column.phone",
            Column::Email => "column.email",
            Column::Unit => "column.unit",
            Column::Post => "column.post",
            Column::Group => "column.party_group",
            Column::PoliticalStatus => "column.political_status",
            Column::JoinedPartyOn => "column.joined_party_on",
            Column::FullMemberOn => "column.full_member_on",
            Column::State => "column.membership_state",
            Column::StateReason => "column.state_reason",
            Column::Locale => "column.locale",
            Column::Notes => "column.notes",
            Column::Branch => "column.branch",
        }
    }

    /// Catalogue key of the column's explanation on the import page.
    pub fn help_key(self) -> &'static str {
        match self {
            Column::Id => "column_help.id",
            Column::Name => "column_help.name",
            Column::Gender => "column_help.gender",
            Column::BirthDate => "column_help.date",
            Column::Phone => "column_help.phone",
            Column::Email => "column_help.email",
            Column::Unit | Column::Post | Column::Notes | Column::StateReason => "column_help.text",
            Column::Group => "column_help.party_group",
            Column::PoliticalStatus => "column_help.political_status",
            Column::JoinedPartyOn | Column::FullMemberOn => "column_help.date",
            Column::State => "column_help.membership_state",
            Column::Locale => "column_help.locale",
            Column::Branch => "column_help.branch",
        }
    }

    /// The header text in a language.
    pub fn header(self, locale: Locale) -> String {
        match locale {
            Locale::En => self.key().to_owned(),
            Locale::ZhCn => i18n::t(Locale::ZhCn, self.label_key()).to_owned(),
        }
    }

    /// Other Chinese headers people write for the same column.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Id => &["ID", "序号"],
            Column::Phone => &["手机号", "手机号码", "电话", "联系电话"],
            Column::Email => &["电子邮箱", "邮件", "e-mail"],
            Column::Unit => &["单位"],
            Column::Post => &["职位", "岗位"],
            Column::Group => &["小组", "group"],
            Column::State => &["状态", "state"],
            Column::Branch => &["支部"],
            _ => &[],
        }
    }

    fn from_header(h: &str) -> Option<Column> {
        let h = h.trim().trim_start_matches('\u{feff}').trim();
        Column::ALL.into_iter().find(|c| {
            h.eq_ignore_ascii_case(c.key())
                || h == i18n::t(Locale::ZhCn, c.label_key())
                || c.aliases().iter().any(|a| h.eq_ignore_ascii_case(a))
        })
    }
}

pub use crate::sheet::Format;

/// Why a file cannot be read at all. Each has a translated message (`import.file_*`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("file too large")]
    TooLarge,
    #[error("too many rows")]
    TooManyRows,
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("not a readable CSV or XLSX file")]
    Unreadable,
    #[error("no header row")]
    Empty,
    #[error("unknown column {0}")]
    UnknownHeader(String),
    #[error("column {0} appears twice")]
    DuplicateHeader(String),
    #[error("no name column")]
    NoNameColumn,
}

impl SheetError {
    pub fn msg(&self) -> i18n::Msg {
        use i18n::Msg;
        match self {
            SheetError::TooLarge => Msg::new("import.file_too_large").arg("mb", MAX_BYTES / (1024 * 1024)),
            SheetError::TooManyRows => Msg::new("import.file_too_many_rows").arg("max", MAX_ROWS),
            SheetError::NotUtf8 => Msg::new("import.file_not_utf8"),
            SheetError::Unreadable => Msg::new("import.file_unreadable"),
            SheetError::Empty => Msg::new("import.file_empty"),
            SheetError::UnknownHeader(h) => Msg::new("import.file_unknown_header").arg("header", h),
            SheetError::DuplicateHeader(h) => Msg::new("import.file_duplicate_header").arg("header", h),
            SheetError::NoNameColumn => Msg::new("import.file_no_name"),
        }
    }
}

/// A data row and the line (CSV) or row number (XLSX) it came from, as a person counts them.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub line: usize,
    cells: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Sheet {
    columns: Vec<Column>,
    pub rows: Vec<SheetRow>,
}

impl Sheet {
    pub fn has(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }

    /// The cell of `column` in `row`, trimmed; `None` when the file has no such column.
    pub fn value<'a>(&self, row: &'a SheetRow, column: Column) -> Option<&'a str> {
        let i = self.columns.iter().position(|c| *c == column)?;
        Some(row.cells.get(i).map_or("", |s| s.trim()))
    }
}

fn from_records(records: Vec<(usize, Vec<String>)>) -> Result<Sheet, SheetError> {
    let mut records = records.into_iter();
    let (_, header) = records.next().ok_or(SheetError::Empty)?;
    let mut columns = Vec::new();
    for h in header.iter().map(|h| h.trim()) {
        let column = Column::from_header(h).ok_or_else(|| SheetError::UnknownHeader(h.to_owned()))?;
        if columns.contains(&column) {
            return Err(SheetError::DuplicateHeader(h.to_owned()));
        }
        columns.push(column);
    }
    if !columns.contains(&Column::Name) {
        return Err(SheetError::NoNameColumn);
    }
    let rows: Vec<SheetRow> = records
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(line, cells)| SheetRow { line, cells })
        .collect();
    if rows.len() > MAX_ROWS {
        return Err(SheetError::TooManyRows);
    }
    Ok(Sheet { columns, rows })
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => crate::sheet::uncell(s).to_owned(),
        Data::Int(i) => i.to_string(),
        // Phone numbers typed into Excel arrive as whole floats.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt.as_datetime().map(|d| d.date().to_string()).unwrap_or_default(),
    }
}

pub fn read(bytes: &[u8], format: Format) -> Result<Sheet, SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge);
    }
    let records: Vec<(usize, Vec<String>)> = match format {
        Format::Csv => {
            let text = std::str::from_utf8(bytes).map_err(|_| SheetError::NotUtf8)?;
            let text = text.trim_start_matches('\u{feff}');
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            let mut out = Vec::new();
            for record in reader.records() {
                let record = record.map_err(|_| SheetError::Unreadable)?;
                let line = record.position().map_or(0, |p| p.line() as usize);
                out.push((line, record.iter().map(|c| crate::sheet::uncell(c).to_owned()).collect()));
                if out.len() > MAX_ROWS + 1 {
                    return Err(SheetError::TooManyRows);
                }
            }
            out
        }
        Format::Xlsx => {
            let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Unreadable)?;
            let range = book.worksheet_range_at(0).ok_or(SheetError::Empty)?.map_err(|_| SheetError::Unreadable)?;
            let first_row = range.start().map_or(0, |(r, _)| r as usize);
            let first_col = range.start().map_or(0, |(_, c)| c as usize);
            if range.height() > MAX_ROWS + 1 {
                return Err(SheetError::TooManyRows);
            }
            range
                .rows()
                .enumerate()
                .map(|(i, row)| {
                    // Columns left of the used range are empty cells, keeping header positions.
                    let mut cells = vec![String::new(); first_col];
                    cells.extend(row.iter().map(cell_text));
                    (first_row + i + 1, cells)
                })
                .collect()
        }
    };
    from_records(records)
}

/// Writes a sheet with headers in the given language (`sheet::write`: no cell starts a formula).
pub fn write(format: Format, locale: Locale, columns: &[Column], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let headers: Vec<String> = columns.iter().map(|c| c.header(locale)).collect();
    crate::sheet::write(format, &headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_chinese_headers_any_order_and_bom() {
        let text = "\u{feff}手机,姓名,政治面貌\n13800138000,王伟,预备党员\n,,\n13900139000,\"李, 娜\",正式党员\n";
        let sheet = read(text.as_bytes(), Format::Csv).expect("reads");
        assert_eq!(sheet.rows.len(), 2, "blank rows are skipped");
        assert_eq!(sheet.value(&sheet.rows[1], Column::Name), Some("李, 娜"));
        assert_eq!(sheet.rows[1].line, 4);
        assert_eq!(sheet.value(&sheet.rows[0], Column::Email), None);
        assert!(sheet.has(Column::Phone) && !sheet.has(Column::Email));
    }

    #[test]
    fn shape_errors() {
        assert_eq!(read(b"", Format::Csv).err(), Some(SheetError::Empty));
        assert_eq!(read(b"name,colour\n", Format::Csv).err(), Some(SheetError::UnknownHeader("colour".into())));
        assert_eq!(read(b"name,Name\n", Format::Csv).err(), Some(SheetError::DuplicateHeader("Name".into())));
        assert_eq!(read(b"phone\n123\n", Format::Csv).err(), Some(SheetError::NoNameColumn));
        assert_eq!(read(&[b'n', b'a', 0xff, b'\n'], Format::Csv).err(), Some(SheetError::NotUtf8));
        assert_eq!(read(b"not a zip", Format::Xlsx).err(), Some(SheetError::Unreadable));
        assert_eq!(read(&vec![b'a'; MAX_BYTES + 1], Format::Csv).err(), Some(SheetError::TooLarge));
    }

    #[test]
    fn xlsx_round_trip_in_both_languages() {
        for locale in Locale::ALL {
            let rows = vec![vec!["张三".to_owned(), "13800138000".to_owned(), String::new()]];
            let bytes =
                write(Format::Xlsx, locale, &[Column::Name, Column::Phone, Column::Notes], &rows).expect("writes");
            let sheet = read(&bytes, Format::Xlsx).expect("reads");
            assert_eq!(sheet.rows.len(), 1);
            assert_eq!(sheet.rows[0].line, 2);
            assert_eq!(sheet.value(&sheet.rows[0], Column::Phone), Some("13800138000"));
            assert_eq!(sheet.value(&sheet.rows[0], Column::Notes), Some(""));
            let csv = write(Format::Csv, locale, &[Column::Name], &[vec!["a\"b".into()]]).expect("csv");
            let back = read(&csv, Format::Csv).expect("reads csv");
            assert_eq!(back.value(&back.rows[0], Column::Name), Some("a\"b"));
        }
    }
}
