//! Minutes as a Word document (DOCX) in the layout branches file: A4, a title in a 小标宋-style
//! face, the record's table, the body in a 仿宋-style face at 三号 with fixed 28 pt line spacing,
//! and the signature lines, with the page number in the footer ("第 1 页"). The package's parts are
//! WordprocessingML templates (askama, escaped as XML); several records make one document, a page
//! each (the year's archive).
use std::io::Write;

use askama::Template;

use super::{Header, Signature};
use crate::{
    forms::Choice,
    i18n::Locale,
    minutes::{
        rules::{Body, MinutesState, Resolution},
        service::Roll,
    },
};

/// One record as the document shows it.
pub struct DocRecord {
    pub header: Header,
    pub state: MinutesState,
    /// An amendment not signed yet (its writers' copy of it).
    pub amending: bool,
    pub roll: std::sync::Arc<Roll>,
    pub body: Body,
    pub host_signature: Option<Signature>,
    pub recorder_signature: Option<Signature>,
}

#[derive(Template)]
#[template(path = "minutes/docx/document.xml")]
struct Document<'a> {
    locale: Locale,
    records: &'a [DocRecord],
}

#[derive(Template)]
#[template(path = "minutes/docx/styles.xml")]
struct Styles;

/// The footer: the page number (a PAGE field) with the words around it in the reader's language.
#[derive(Template)]
#[template(path = "minutes/docx/footer.xml")]
struct Footer<'a> {
    before: &'a str,
    after: &'a str,
}

impl Document<'_> {
    fn tr<'k>(&self, key: &'k str) -> &'k str {
        crate::i18n::t(self.locale, key)
    }

    fn names(&self, entries: &[crate::minutes::service::Entry]) -> String {
        super::join_names(entries, |k| crate::i18n::t(self.locale, k))
    }

    /// 应到 with every part of it by political status (or the number alone).
    fn expected(&self, roll: &Roll) -> String {
        let parts = roll.expected_parts(self.locale);
        if parts.is_empty() {
            roll.expected.to_string()
        } else {
            format!("{}{}{parts}{}", roll.expected, self.tr("minutes.paren_open"), self.tr("minutes.paren_close"))
        }
    }

    fn non_voting(&self, roll: &Roll) -> String {
        super::non_voting_line(roll, self.locale)
    }

    fn votes(&self, r: &Resolution, roll: &Roll) -> Option<String> {
        let v = r.votes?;
        let outcome = if roll.carries(r) == Some(true) { "minutes.carries" } else { "minutes.fails" };
        Some(format!(
            "{} {} · {} {} · {} {} — {}",
            self.tr("minutes.votes_for"),
            v.in_favour,
            self.tr("minutes.votes_against"),
            v.against,
            self.tr("minutes.votes_abstaining"),
            v.abstaining,
            self.tr(outcome)
        ))
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/></Relationships>"#;

/// The DOCX package of one or more records.
pub fn docx(locale: Locale, records: &[DocRecord]) -> anyhow::Result<Vec<u8>> {
    let document = Document { locale, records }.render()?;
    let styles = Styles.render()?;
    let page = crate::i18n::t(locale, "minutes.docx_page");
    let (before, after) = page.split_once("{page}").unwrap_or((page, ""));
    let footer = Footer { before, after }.render()?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/document.xml", document.as_str()),
        ("word/styles.xml", styles.as_str()),
        ("word/footer1.xml", footer.as_str()),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
