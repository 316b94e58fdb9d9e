//! Importing and exporting members: good files in both header languages and both formats, every
//! kind of bad file and bad row (nothing changes), the export → import round trip, and the CLI.
use partyday::{accounts::Role, members::entity::member};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::helpers::{Client, TestApp, Tree};

/// Every member of a branch as comparable text (all columns but timestamps).
async fn snapshot(app: &TestApp, branch: i64) -> Vec<String> {
    member::Entity::find()
        .filter(member::Column::BranchId.eq(branch))
        .order_by_asc(member::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            format!(
                "{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                m.id,
                m.name,
                m.gender,
                m.birth_date,
                m.phone,
                m.email,
                m.unit,
                m.post,
                m.group_id,
                m.political_status,
                m.joined_party_on,
                m.full_member_on,
                m.state,
                m.state_reason,
                m.locale,
                m.notes
            )
        })
        .collect()
}

async fn secretary_and_tree(app: &TestApp) -> (Tree, Client) {
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    (tree, secretary)
}

#[tokio::test]
async fn a_csv_with_chinese_headers_creates_members() {
    let app = TestApp::spawn().await;
    let (tree, secretary) = secretary_and_tree(&app).await;
    let csv = "\u{feff}姓名,性别,手机,邮箱,工作单位,职务,党小组,政治面貌,入党日期,转正日期,党籍状态,状态说明\r\n\
               陈晨,女,13700000001,chen@example.org,市第一人民医院,护士长,T-A-G,预备党员,2025/07/01,,正常,\r\n\
               林森,男,137 0000 0002,,市中医医院,医师,第一党小组,入党积极分子,,,,\r\n\
               吴桐,,,,\"市妇幼保健院, 儿科\",,,群众,,,免参加组织生活,长期外派\r\n";
    let r = secretary.upload(tree.a, "名单.csv", csv.as_bytes().to_vec()).await;
    r.assert_status(200).assert_contains("新建 3 人；").assert_contains("更新 0 人；");
    let list = secretary.get("/members").await;
    list.assert_contains("陈晨").assert_contains("林森").assert_contains("吴桐");
    let chen =
        member::Entity::find().filter(member::Column::Name.eq("陈晨")).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(chen.group_id, Some(tree.a_group));
    assert_eq!(chen.joined_party_on.map(|d| d.to_string()).as_deref(), Some("2025-07-01"));
    let lin = member::Entity::find().filter(member::Column::Name.eq("林森")).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(lin.phone.as_deref(), Some("13700000002"));
    let wu = member::Entity::find().filter(member::Column::Name.eq("吴桐")).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(wu.unit.as_deref(), Some("市妇幼保健院, 儿科"));
    assert_eq!(wu.state_reason.as_deref(), Some("长期外派"));
}

#[tokio::test]
async fn an_xlsx_with_english_headers_updates_and_creates() {
    let app = TestApp::spawn().await;
    let (tree, secretary) = secretary_and_tree(&app).await;
    secretary
        .post(
            "/members",
            &[
                ("branch_id", &tree.a.to_string()),
                ("name", "老党员"),
                ("email", "old@example.org"),
                ("political_status", "probationary"),
                ("joined_party_on", "2025-07-01"),
            ],
        )
        .await
        .assert_status(303);
    // Written by a spreadsheet program: a real date cell and a phone typed as a number.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in
        ["name", "email", "phone", "unit", "political_status", "full_member_on", "birth_date"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "老党员").unwrap();
    sheet.write_string(1, 1, "OLD@example.org").unwrap();
    sheet.write_number(1, 2, 13600000001.0).unwrap();
    sheet.write_string(1, 3, "Municipal Hospital").unwrap();
    sheet.write_string(1, 4, "Full member").unwrap();
    sheet
        .write_datetime_with_format(1, 5, rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 7, 1).unwrap(), &date_format)
        .unwrap();
    sheet.write_string(2, 0, "New Comer").unwrap();
    sheet.write_string(2, 4, "activist").unwrap();
    sheet
        .write_datetime_with_format(2, 6, rust_xlsxwriter::ExcelDateTime::from_ymd(1999, 12, 31).unwrap(), &date_format)
        .unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let r = secretary.upload(tree.a, "members.xlsx", bytes).await;
    r.assert_status(200).assert_contains("新建 1 人；").assert_contains("更新 1 人；");
    let old = member::Entity::find()
        .filter(member::Column::Email.eq("old@example.org"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.phone.as_deref(), Some("13600000001"));
    assert_eq!(old.political_status, partyday::members::rules::PoliticalStatus::Full);
    assert_eq!(old.full_member_on.map(|d| d.to_string()).as_deref(), Some("2026-07-01"));
    // The status change from the file is on record as a dated change.
    secretary.get(&format!("/members/{}", old.id)).await.assert_contains("政治面貌变更").assert_contains("正式党员");
    let new =
        member::Entity::find().filter(member::Column::Name.eq("New Comer")).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(new.birth_date.map(|d| d.to_string()).as_deref(), Some("1999-12-31"));
}

#[tokio::test]
async fn exports_import_back_unchanged_in_both_formats_and_languages() {
    let app = TestApp::spawn().await;
    let (tree, secretary) = secretary_and_tree(&app).await;
    let a = tree.a.to_string();
    let g = tree.a_group.to_string();
    for fields in [
        vec![
            ("name", "周全"),
            ("gender", "male"),
            ("birth_date", "1980-01-02"),
            ("phone", "13500000001"),
            ("email", "zhou@example.org"),
            ("unit", "医院, \"总院\""),
            ("post", "主任"),
            ("group_id", g.as_str()),
            ("political_status", "full"),
            ("joined_party_on", "2001-07-01"),
            ("full_member_on", "2002-07-01"),
            ("locale", "en"),
            ("notes", "第一行\n第二行"),
        ],
        vec![("name", "没有联系方式"), ("political_status", "non_party")],
        vec![("name", "钱多多"), ("phone", "13500000003"), ("political_status", "candidate")],
        // Text that a spreadsheet program would run as a formula.
        vec![
            ("name", "=HYPERLINK(\"http://evil.example\",\"点我\")"),
            ("unit", "+86-10-1234"),
            ("notes", "@SUM(A1)"),
            ("political_status", "non_party"),
        ],
    ] {
        let mut fields = fields.clone();
        fields.push(("branch_id", a.as_str()));
        secretary.post("/members", &fields).await.assert_status(303);
    }
    let before = snapshot(&app, tree.a).await;
    for lang in ["zh-CN", "en"] {
        secretary.post("/locale", &[("locale", lang), ("next", "/")]).await;
        for format in ["csv", "xlsx"] {
            let (status, content_type, bytes) =
                secretary.download(&format!("/members/export?format={format}&branch={a}")).await;
            assert_eq!(status, 200);
            assert!(
                content_type.contains(if format == "csv" { "text/csv" } else { "spreadsheetml" }),
                "{content_type}"
            );
            // No cell starts a formula: those that would are written as text.
            let cells: Vec<String> = if format == "csv" {
                let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
                reader.records().flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect()
            } else {
                use calamine::Reader;
                let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
                let range = book.worksheet_range_at(0).unwrap().unwrap();
                range.cells().map(|(_, _, c)| c.to_string()).collect()
            };
            assert!(cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])), "{format}: {cells:?}");
            for neutralised in ["'=HYPERLINK(\"http://evil.example\",\"点我\")", "'+86-10-1234", "'@SUM(A1)"] {
                assert!(cells.iter().any(|c| c == neutralised), "{format}: {neutralised} missing");
            }
            let r = secretary.upload(tree.a, &format!("export.{format}"), bytes).await;
            r.assert_status(200);
            let done = if lang == "en" { "unchanged 5." } else { "未变化 5 人。" };
            r.assert_contains(done);
            assert_eq!(snapshot(&app, tree.a).await, before, "{lang} {format} changed something");
        }
    }
}

#[tokio::test]
async fn bad_files_are_refused_with_a_reason_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (tree, secretary) = secretary_and_tree(&app).await;
    let before = app.member_count().await;
    let too_big = {
        let mut v = b"name\n".to_vec();
        v.resize(6 * 1024 * 1024, b'x');
        v
    };
    let cases: Vec<(i64, &str, Vec<u8>, &str)> = vec![
        (tree.a, "gbk.csv", vec![0xd0, 0xd5, 0xc3, 0xfb, b'\n', 0xcd, 0xf5], "CSV 文件不是 UTF-8 编码"),
        (tree.a, "x.csv", "姓名,爱好\n王五,钓鱼\n".as_bytes().to_vec(), "无法识别的列“爱好”"),
        (tree.a, "x.csv", "手机,邮箱\n13800000000,a@b.cn\n".as_bytes().to_vec(), "文件缺少“姓名”（name）列"),
        (tree.a, "x.csv", "姓名,name\n王五,王五\n".as_bytes().to_vec(), "列“name”出现了两次"),
        (tree.a, "x.csv", Vec::new(), "请选择文件"),
        (tree.a, "x.csv", "\n\n".as_bytes().to_vec(), "文件是空的"),
        (tree.a, "x.txt", "姓名\n王五\n".as_bytes().to_vec(), "只能导入 .csv 或 .xlsx 文件"),
        (tree.a, "x.xlsx", b"this is not a spreadsheet".to_vec(), "无法读取该文件"),
        (tree.a, "big.csv", too_big, "文件超过 5 MB"),
        (tree.b, "x.csv", "姓名,政治面貌\n王五,群众\n".as_bytes().to_vec(), "不能向该组织导入党员"),
        (tree.a_group, "x.csv", "姓名,政治面貌\n王五,群众\n".as_bytes().to_vec(), "不能向该组织导入党员"),
    ];
    for (branch, name, bytes, message) in cases {
        let r = secretary.upload(branch, name, bytes).await;
        assert_eq!(r.status, 422, "{name}: {message}");
        r.assert_contains(message);
    }
    assert_eq!(app.member_count().await, before);
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_imported() {
    let app = TestApp::spawn().await;
    let (tree, secretary) = secretary_and_tree(&app).await;
    let elsewhere = app.add_member(tree.b, "外支部").await;
    let elsewhere_email =
        member::Entity::find_by_id(elsewhere).one(&app.state.db).await.unwrap().unwrap().email.unwrap();
    let before = app.member_count().await;
    let csv = format!(
        "编号,姓名,手机,邮箱,出生日期,入党日期,转正日期,党小组,政治面貌,党籍状态\n\
         ,好人,13800000001,good@example.org,1980-01-01,2000-07-01,2001-07-01,,正式党员,\n\
         ,坏邮箱,,not-mail,,,,,群众,\n\
         ,坏电话,12ab,,,,,,群众,\n\
         ,未来人,,,2099-01-01,,,,群众,\n\
         ,先转正,,,,2010-07-01,2009-07-01,,正式党员,\n\
         ,无小组,,,,,,不存在的小组,群众,\n\
         ,重复,13800000001,,,,,,群众,\n\
         ,外人,,{elsewhere_email},,,,,群众,\n\
         99999,查无此人,,,,,,,群众,\n\
         ,乱写,,,,,,,皇帝,\n\
         ,,,,,,,,群众,\n\
         ,免除,,,,,,,群众,免参加组织生活\n"
    );
    let r = secretary.upload(tree.a, "bad.csv", csv.into_bytes()).await;
    r.assert_status(422).assert_contains("共 11 处错误，未导入任何数据");
    for expected in [
        "第 3 行：邮箱：请输入有效的电子邮箱地址",
        "第 4 行：手机：请输入有效的电话号码",
        "第 5 行：出生日期：日期不能晚于今天。",
        "第 6 行：转正日期：转正日期不能早于入党日期。",
        "第 7 行：党小组：本支部没有党小组“不存在的小组”。",
        "第 8 行：手机：与第 2 行重复。",
        "第 9 行：该党员属于其他支部",
        "第 10 行：编号：没有编号为 99999 的党员。",
        "第 11 行：政治面貌：请从列表中选择。",
        "第 12 行：姓名：此项为必填项。",
        "第 13 行：状态说明：免参加组织生活须写明原因。",
    ] {
        r.assert_contains(expected);
    }
    r.assert_lacks("第 2 行：");
    assert_eq!(app.member_count().await, before);
}

#[tokio::test]
async fn the_command_line_imports_into_a_branch_by_code() {
    use std::process::Command;
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "name,phone,political_status\nCLI One,13300000001,full\nCLI Two,13300000002,activist\n")
        .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,phone,political_status\nCLI Three,xx,full\n").unwrap();
    let run = |file: &std::path::Path, branch: &str, lang: &str| {
        Command::new(env!("CARGO_BIN_EXE_partyday"))
            .current_dir(dir.path())
            .env_remove("PARTYDAY_ENV")
            .env("PARTYDAY__DATABASE__URL", &app.db.url)
            .env("PARTYDAY__APP__DATA_DIR", app.data_dir.path())
            .env("RUST_LOG", "warn")
            .args(["import-members", &file.to_string_lossy(), "--branch", branch, "--lang", lang])
            .output()
            .unwrap()
    };
    let out = run(&good, "T-A", "en");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created 2;"));
    let out = run(&bad, "T-A", "zh-CN");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("第 2 行：手机：请输入有效的电话号码"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&good, "NOPE", "en");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No branch has the code NOPE"));
    let admin = app.login_as(Role::Admin).await;
    admin.get(&format!("/members?branch={}", tree.a)).await.assert_contains("共 2 人").assert_contains("CLI One");
}

#[tokio::test]
async fn the_template_downloads_in_the_readers_language() {
    let app = TestApp::spawn().await;
    let (_, secretary) = secretary_and_tree(&app).await;
    let (status, _, bytes) = secretary.download("/members/template?format=csv").await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}编号,姓名,性别"), "{text}");
    secretary.post("/locale", &[("locale", "en"), ("next", "/")]).await;
    let (_, _, bytes) = secretary.download("/members/template?format=xlsx").await;
    let sheet = partyday::members::rules::table::read(&bytes, partyday::members::rules::table::Format::Xlsx).unwrap();
    assert!(sheet.has(partyday::members::rules::table::Column::PoliticalStatus));
    assert_eq!(sheet.rows.len(), 1);
}

// Two worker threads: the commands run blocking on one while the server's writes go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_imports_beside_a_busy_server_every_time() {
    use std::{
        process::Command,
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
    };
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let dir = tempfile::tempdir().unwrap();
    // The server writes without pause meanwhile (members added through its own service).
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, db, branch) = (stop.clone(), app.state.db.clone(), tree.b);
        let (today, now) = (app.state.today(), app.state.now());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let new = crate::helpers::new_member(branch, &format!("服务器写入{n}"));
                let scope = partyday::branches::Scope::operator();
                partyday::members::service::create(&db, &scope, new, today, now).await.unwrap();
                n += 1;
            }
            n
        })
    };
    for run in 0..12 {
        let file = dir.path().join(format!("run{run}.csv"));
        std::fs::write(&file, format!("name,political_status\n命令行{run}甲,full\n命令行{run}乙,activist\n")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_partyday"))
            .current_dir(dir.path())
            .env_remove("PARTYDAY_ENV")
            .env("PARTYDAY__DATABASE__URL", &app.db.url)
            .env("PARTYDAY__APP__DATA_DIR", app.data_dir.path())
            .env("RUST_LOG", "warn")
            .args(["import-members", &file.to_string_lossy(), "--branch", "T-A", "--lang", "en"])
            .output()
            .unwrap();
        assert!(out.status.success(), "run {run}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Created 2;"), "run {run}");
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(written > 0, "the server wrote meanwhile");
    let admin = app.login_as(Role::Admin).await;
    admin.get(&format!("/members?branch={}", tree.a)).await.assert_contains("共 24 人");
}
