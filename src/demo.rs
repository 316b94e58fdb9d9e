//! Demo data for trying Partyday out (`partyday serve --demo`): a medical association's party
//! committee with four branches and party groups, about forty members of every political
//! status, officers with terms, and accounts for an administrator, two secretaries of different
//! branches and a member. Loading it twice changes nothing.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::{
    accounts::{
        AccountError, Role,
        rules::{DisplayName, Email, NewAccount, Password},
        service as accounts,
    },
    branches::{
        BranchKind, OfficerRole, Scope,
        rules::{Appointment, BranchData},
        service as branches,
    },
    members::{
        rules::{Gender, MembershipState, NewMember, PoliticalStatus, Profile},
        service as members,
    },
};

/// The password of every demo account.
pub const PASSWORD: &str = "partyday-demo";

/// Email, name and role of each demo account.
pub const ACCOUNTS: [(&str, &str, Role); 4] = [
    ("admin@demo.partyday.org", "系统管理员", Role::Admin),
    ("secretary@demo.partyday.org", "李建华", Role::Secretary),
    ("secretary2@demo.partyday.org", "周志强", Role::Secretary),
    ("member@demo.partyday.org", "王晓梅", Role::Member),
];

/// Code, name, kind and parent code of each unit.
const UNITS: [(&str, &str, BranchKind, Option<&str>); 8] = [
    ("HMA", "高新区医学会党委", BranchKind::Committee, None),
    ("HMA-01", "机关党支部", BranchKind::Branch, Some("HMA")),
    ("HMA-01-G1", "机关第一党小组", BranchKind::Group, Some("HMA-01")),
    ("HMA-01-G2", "机关第二党小组", BranchKind::Group, Some("HMA-01")),
    ("HMA-02", "医院管理党支部", BranchKind::Branch, Some("HMA")),
    ("HMA-02-G1", "医院管理党小组", BranchKind::Group, Some("HMA-02")),
    ("HMA-03", "医疗质控党支部", BranchKind::Branch, Some("HMA")),
    ("HMA-04", "离退休党支部", BranchKind::Branch, Some("HMA")),
];

/// Name, gender, branch code, group code, status, unit, post, birth year, joining year.
type DemoMember = (
    &'static str,
    Gender,
    &'static str,
    Option<&'static str>,
    PoliticalStatus,
    &'static str,
    &'static str,
    i32,
    Option<i32>,
);

const MEMBERS: [DemoMember; 40] = {
    use Gender::{Female as F, Male as M};
    use PoliticalStatus::*;
    [
        ("李建华", M, "HMA-01", Some("HMA-01-G1"), Full, "高新区医学会秘书处", "秘书长", 1972, Some(1996)),
        ("王晓梅", F, "HMA-01", Some("HMA-01-G1"), Full, "高新区医学会秘书处", "办公室主任", 1985, Some(2008)),
        ("张伟", M, "HMA-01", Some("HMA-01-G1"), Full, "高新区医学会学术部", "部长", 1979, Some(2003)),
        ("刘芳", F, "HMA-01", Some("HMA-01-G1"), Probationary, "高新区医学会学术部", "干事", 1996, Some(2025)),
        ("陈静", F, "HMA-01", Some("HMA-01-G2"), Full, "高新区医学会继续教育部", "部长", 1981, Some(2005)),
        ("杨洋", M, "HMA-01", Some("HMA-01-G2"), Candidate, "高新区医学会继续教育部", "干事", 1997, None),
        ("赵磊", M, "HMA-01", Some("HMA-01-G2"), Activist, "高新区医学会财务部", "会计", 1998, None),
        ("黄丽", F, "HMA-01", None, Applicant, "高新区医学会财务部", "出纳", 1999, None),
        ("吴敏", F, "HMA-01", None, NonParty, "高新区医学会秘书处", "文员", 1994, None),
        ("周志强", M, "HMA-02", Some("HMA-02-G1"), Full, "市第一人民医院", "党委副书记", 1970, Some(1993)),
        ("徐静", F, "HMA-02", Some("HMA-02-G1"), Full, "市第一人民医院", "医务科科长", 1978, Some(2001)),
        ("孙强", M, "HMA-02", Some("HMA-02-G1"), Full, "市中医医院", "院长办公室主任", 1975, Some(1999)),
        ("马丽娟", F, "HMA-02", None, Full, "市妇幼保健院", "护理部主任", 1980, Some(2004)),
        ("朱军", M, "HMA-02", None, Probationary, "市第二人民医院", "信息科工程师", 1993, Some(2025)),
        ("胡艳", F, "HMA-02", None, Candidate, "市第二人民医院", "药剂科药师", 1995, None),
        ("郭涛", M, "HMA-02", None, Activist, "高新区人民医院", "外科医师", 1996, None),
        ("何娜", F, "HMA-02", None, Full, "高新区人民医院", "院办主任", 1983, Some(2007)),
        ("高明", M, "HMA-02", None, NonParty, "市中医医院", "针灸科主任", 1976, None),
        ("林婷", F, "HMA-02", None, Applicant, "市妇幼保健院", "儿科医师", 1997, None),
        ("罗勇", M, "HMA-02", None, Full, "市第一人民医院", "心内科主任", 1971, Some(1995)),
        ("郑霞", F, "HMA-03", None, Full, "市第一人民医院", "医疗质量控制科主任", 1977, Some(2000)),
        ("谢超", M, "HMA-03", None, Full, "市医疗质量控制中心", "副主任", 1982, Some(2006)),
        ("宋佳", F, "HMA-03", None, Probationary, "市医疗质量控制中心", "质控专员", 1994, Some(2025)),
        ("唐磊", M, "HMA-03", None, Candidate, "市第二人民医院", "病案科科长", 1990, None),
        ("韩雪", F, "HMA-03", None, Activist, "高新区人民医院", "院感科护士长", 1992, None),
        ("冯刚", M, "HMA-03", None, Full, "市中医医院", "医务科科长", 1980, Some(2004)),
        ("邓丽", F, "HMA-03", None, Full, "市妇幼保健院", "质控办主任", 1984, Some(2009)),
        ("曹阳", M, "HMA-03", None, Applicant, "市医疗质量控制中心", "数据分析员", 1998, None),
        ("彭静", F, "HMA-03", None, NonParty, "市第一人民医院", "质控护士", 1995, None),
        ("曾强", M, "HMA-03", None, Full, "市第二人民医院", "医务部主任", 1974, Some(1998)),
        ("萧国庆", M, "HMA-04", None, Full, "市第一人民医院（退休）", "原院长", 1950, Some(1975)),
        ("田秀英", F, "HMA-04", None, Full, "市中医医院（退休）", "原护理部主任", 1953, Some(1978)),
        ("董建国", M, "HMA-04", None, Full, "市卫生健康委（退休）", "原处长", 1952, Some(1976)),
        ("袁桂兰", F, "HMA-04", None, Full, "市妇幼保健院（退休）", "原副院长", 1955, Some(1980)),
        ("潘志明", M, "HMA-04", None, Full, "市第二人民医院（退休）", "原党委书记", 1949, Some(1972)),
        ("蒋玉珍", F, "HMA-04", None, Full, "高新区医学会（退休）", "原秘书长", 1954, Some(1979)),
        ("蔡文华", M, "HMA-04", None, Full, "市医疗质量控制中心（退休）", "原主任", 1951, Some(1974)),
        ("余淑芬", F, "HMA-04", None, Full, "市第一人民医院（退休）", "原内科主任", 1956, Some(1982)),
        ("杜海", M, "HMA-04", None, Full, "市中医医院（退休）", "原院办主任", 1957, Some(1983)),
        ("叶红梅", F, "HMA-04", None, Full, "市第二人民医院（退休）", "原总护士长", 1958, Some(1984)),
    ]
};

/// Officers: member name, unit code, role, term start.
const OFFICERS: [(&str, &str, OfficerRole, &str); 12] = [
    ("李建华", "HMA-01", OfficerRole::Secretary, "2024-03-01"),
    ("陈静", "HMA-01", OfficerRole::DeputySecretary, "2024-03-01"),
    ("张伟", "HMA-01", OfficerRole::Organisation, "2024-03-01"),
    ("王晓梅", "HMA-01", OfficerRole::Propaganda, "2024-03-01"),
    ("张伟", "HMA-01-G1", OfficerRole::GroupLeader, "2024-03-01"),
    ("陈静", "HMA-01-G2", OfficerRole::GroupLeader, "2024-03-01"),
    ("周志强", "HMA-02", OfficerRole::Secretary, "2023-07-01"),
    ("徐静", "HMA-02", OfficerRole::Organisation, "2023-07-01"),
    ("徐静", "HMA-02-G1", OfficerRole::GroupLeader, "2023-07-01"),
    ("郑霞", "HMA-03", OfficerRole::Secretary, "2025-01-01"),
    ("谢超", "HMA-03", OfficerRole::Discipline, "2025-01-01"),
    ("萧国庆", "HMA-04", OfficerRole::Secretary, "2022-06-01"),
];

fn date(s: &str) -> anyhow::Result<NaiveDate> {
    Ok(NaiveDate::parse_from_str(s, "%Y-%m-%d")?)
}

/// Pinyin-free ASCII handle for demo emails and phones: the member's position in the list.
fn contact(i: usize) -> (String, String) {
    (format!("m{:02}@demo.partyday.org", i + 1), format!("1380000{:04}", i + 1))
}

pub async fn load<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let scope = Scope::operator();
    let loaded = branches::find_by_code(db, &scope, "HMA").await.is_ok();
    if !loaded {
        let mut ids = std::collections::HashMap::new();
        for (code, name, kind, parent) in UNITS {
            let data = BranchData {
                name: name.to_owned(),
                code: code.to_owned(),
                timezone: timezone.to_owned(),
                contact_person: None,
                contact_phone: None,
                contact_email: None,
                address: (kind == BranchKind::Committee).then(|| "高新区科技大道 1 号".to_owned()),
            };
            let b = branches::create(db, &scope, kind, parent.map(|p| ids[p]), data, now).await?;
            ids.insert(code, b.id);
        }
        let mut member_ids = std::collections::HashMap::new();
        for (i, (name, gender, branch, group, status, unit, post, born, joined)) in MEMBERS.into_iter().enumerate() {
            let (email, phone) = contact(i);
            let joined_on = joined.map(|y| NaiveDate::from_ymd_opt(y, 7, 1)).unwrap_or_default();
            let full_on = match status {
                PoliticalStatus::Full => joined.and_then(|y| NaiveDate::from_ymd_opt(y + 1, 7, 1)),
                _ => None,
            };
            let new = NewMember {
                branch_id: ids[branch],
                profile: Profile {
                    name: name.to_owned(),
                    gender: Some(gender),
                    birth_date: NaiveDate::from_ymd_opt(born, 1 + (i % 12) as u32, 1 + (i % 28) as u32),
                    phone: Some(phone),
                    email: Some(email),
                    unit: Some(unit.to_owned()),
                    post: Some(post.to_owned()),
                    group_id: group.map(|g| ids[g]),
                    joined_party_on: joined_on,
                    full_member_on: full_on,
                    locale: None,
                    notes: None,
                },
                political_status: status,
                state: if name == "田秀英" { MembershipState::Exempt } else { MembershipState::Active },
                state_reason: (name == "田秀英").then(|| "长期患病，经支部同意".to_owned()),
            };
            let m = members::create(db, &scope, new, today, now).await?;
            member_ids.insert(name, m.id);
        }
        for (name, unit, role, from) in OFFICERS {
            let appointment = Appointment { member_id: member_ids[name], role, from_on: date(from)?, until_on: None };
            branches::appoint(db, &scope, ids[unit], appointment, now).await?;
        }
    }
    load_accounts(db, now).await
}

/// The demo accounts, linked to the demo members of the same name where those exist.
async fn load_accounts(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<()> {
    for (email, name, role) in ACCOUNTS {
        let new = NewAccount {
            email: Email::parse(email).map_err(anyhow::Error::msg)?,
            display_name: DisplayName::parse(name).map_err(anyhow::Error::msg)?,
            role,
            password: Password::parse(PASSWORD, None).map_err(anyhow::Error::msg)?,
        };
        let account = match accounts::create_unchecked(db, new, false, now).await {
            Ok(a) => a,
            Err(AccountError::EmailTaken) => continue,
            Err(e) => return Err(e.into()),
        };
        if role != Role::Admin {
            let member = members::find_by_name(db, name).await?;
            accounts::set_member_unchecked(db, account.id, member.map(|m| m.id)).await?;
        }
    }
    Ok(())
}

/// Surnames and given-name characters of the generated association (as the reference server's).
const FAMILY: [&str; 16] =
    ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"];
const GIVEN: [&str; 18] =
    ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"];

/// Generates a large association for benchmarks: one committee, `branches` branches and
/// `members` members spread over them, plus the demo accounts. Refuses a database that already
/// holds units. Goes through the services (same rules as the web), in one transaction.
pub async fn generate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    timezone: &str,
    branches: u32,
    members: u32,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use sea_orm::TransactionSession;
    let scope = Scope::operator();
    anyhow::ensure!(
        branches::tree(db, &scope).await?.is_empty(),
        "the database already holds an organisation: generate into an empty database"
    );
    let txn = db.begin().await?;
    let data = |name: String, code: String| BranchData {
        name,
        code,
        timezone: timezone.to_owned(),
        contact_person: None,
        contact_phone: None,
        contact_email: None,
        address: None,
    };
    let root =
        branches::create(&txn, &scope, BranchKind::Committee, None, data("大型医学会党委".into(), "BIG".into()), now)
            .await?;
    let mut ids = Vec::new();
    for b in 1..=branches {
        let unit = data(format!("第{b}党支部"), format!("BIG-{b:03}"));
        ids.push(branches::create(&txn, &scope, BranchKind::Branch, Some(root.id), unit, now).await?.id);
    }
    let statuses = [
        PoliticalStatus::Full,
        PoliticalStatus::Probationary,
        PoliticalStatus::Candidate,
        PoliticalStatus::Activist,
        PoliticalStatus::NonParty,
    ];
    for i in 0..members as usize {
        let name = format!("{}{}{}", FAMILY[i % 16], GIVEN[i / 16 % 18], GIVEN[i / 288 % 18]);
        let new = NewMember {
            branch_id: ids[i % ids.len()],
            profile: Profile {
                name,
                gender: None,
                birth_date: None,
                phone: Some(format!("1{:010}", i)),
                email: Some(format!("m{i}@example.org")),
                unit: Some(format!("医院{}科室{}", i % 37, i % 11)),
                post: None,
                group_id: None,
                joined_party_on: None,
                full_member_on: None,
                locale: None,
                notes: None,
            },
            political_status: statuses[i % 5],
            state: MembershipState::Active,
            state_reason: None,
        };
        members::create(&txn, &scope, new, today, now).await?;
    }
    txn.commit().await?;
    load_accounts(db, now).await
}
