//! Demo data for trying Partyday out (`partyday serve --demo`): a medical association's party
//! committee with four branches and party groups, about forty members of every political
//! status, officers with terms, and accounts for an administrator, two secretaries of different
//! branches and a member; the attendance of the events that took place (answers, leave, check-ins,
//! make-up study) and the first answers to the coming ones. Loading it twice changes nothing.
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};

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
    crypto::Signer,
    events::{
        entity::invitation,
        rules::{Audience, AudienceKind, EventData, EventKind, GuestData},
        service::{
            self,
            feeds::{self, FeedOwner},
        },
    },
    forms::Choice,
    members::{
        rules::{Gender, MembershipState, NewMember, PoliticalStatus, Profile},
        service as members,
    },
    outbox::entity::outbox,
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

/// What `serve --demo` found in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// The database was empty: the demo is in it now.
    Now,
    /// The demo was loaded before (a restart): nothing was added.
    Before,
}

/// `serve --demo` on a database that holds data of its own: the demo's accounts, with their
/// published password, are never added to it.
#[derive(Debug, thiserror::Error)]
#[error(
    "serve --demo loads the demo only into an empty database, and this one already holds an organisation or \
     accounts. Serve it without --demo, or point database.url (PARTYDAY__DATABASE__URL) at a new database."
)]
pub struct NotEmpty;

/// Loads the demo association into an empty database. A database that holds the demo already
/// (the demo's committee and its administrator) is left as it is; any other refuses ([`NotEmpty`]).
pub async fn load(
    db: &DatabaseConnection,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Loaded> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let scope = Scope::operator();
    let units = crate::branches::entity::branch::Entity::find().count(db).await?;
    let accounts = crate::accounts::entity::account::Entity::find().count(db).await?;
    if units > 0 || accounts > 0 {
        let demo_committee = branches::find_by_code(db, &scope, "HMA").await.is_ok();
        let demo_admin = crate::accounts::entity::account::Entity::find()
            .filter(crate::accounts::entity::account::Column::Email.eq(ACCOUNTS[0].0))
            .count(db)
            .await?
            > 0;
        return if demo_committee && demo_admin { Ok(Loaded::Before) } else { Err(NotEmpty.into()) };
    }
    {
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
                report_author: (code == "HMA-01").then(|| "党群服务与组织管理".to_owned()),
                locale: None,
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
        backdate_memberships(db, today).await?;
        for (name, unit, role, from) in OFFICERS {
            let appointment = Appointment { member_id: member_ids[name], role, from_on: date(from)?, until_on: None };
            let placed = members::placement(db, member_ids[name]).await?;
            branches::appoint(db, &scope, ids[unit], appointment, placed, now).await?;
        }
        load_series(db, timezone, today, now, &ids).await?;
        load_events(db, timezone, today, now, &ids, &member_ids).await?;
        give_hosts(db).await?;
    }
    load_accounts(db, now).await?;
    // After the accounts: leave decisions and roster marks are the secretaries'.
    let made = load_attendance(db, timezone, today, now).await?;
    tracing::info!(?made, "demo attendance recorded");
    let minutes = load_minutes(db, today, now).await?;
    tracing::info!(minutes, "demo minutes written");
    let reports = load_reports(db, today, now).await?;
    tracing::info!(reports, "demo activity reports written");
    let held = load_held(db, timezone, today, now).await?;
    tracing::info!(held, "demo activity recorded afterwards, its report published");
    Ok(Loaded::Now)
}

/// Every party day and meeting has a host and a recorder, as a branch's records do: where the
/// plan named none, the branch's secretary presides and its propaganda (or organisation,
/// discipline, deputy) committee member records, or another member where it has no committee.
async fn give_hosts(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let serving = "o.branch_id = events.branch_id AND o.until_on IS NULL";
    db.execute_unprepared(&format!(
        "UPDATE events SET host_member_id = (SELECT o.member_id FROM branch_officers o \
         WHERE {serving} AND o.role = 'secretary' ORDER BY o.id LIMIT 1) \
         WHERE host_member_id IS NULL AND host_guest_name IS NULL AND kind <> 'volunteer_service'"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "UPDATE events SET recorder_member_id = COALESCE(\
         (SELECT o.member_id FROM branch_officers o WHERE {serving} \
          AND o.role IN ('propaganda', 'organisation', 'discipline', 'deputy_secretary') \
          ORDER BY CASE o.role WHEN 'propaganda' THEN 0 WHEN 'organisation' THEN 1 ELSE 2 END, o.id LIMIT 1), \
         (SELECT m.id FROM members m WHERE m.branch_id = events.branch_id \
          AND (events.host_member_id IS NULL OR m.id <> events.host_member_id) ORDER BY m.id LIMIT 1)) \
         WHERE recorder_member_id IS NULL AND kind <> 'volunteer_service'"
    ))
    .await?;
    Ok(())
}

/// The monthly theme party day of each branch, as a series planned half a year ago: twelve
/// occurrences, six of them past (ended, their invitations sent then) and six to come.
async fn load_series<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
    units: &std::collections::HashMap<&str, i64>,
) -> anyhow::Result<()> {
    use chrono::Datelike;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::events::{
        entity::event,
        rules::{
            EventKind, SeriesData,
            series::{Nth, SeriesRule},
        },
        service::series::{self as recurring, Start},
    };
    let tz: Tz = timezone.parse().map_err(|_| anyhow::anyhow!("not a time zone: {timezone}"))?;
    let planned_on = today.checked_sub_months(chrono::Months::new(6)).unwrap_or(today).with_day(1).unwrap_or(today);
    let planned_at = tz
        .from_local_datetime(&planned_on.and_hms_opt(9, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(now, |t| t.to_utc());
    let plans = [
        ("HMA-01", SeriesRule::DayOfMonth(24), "机关党支部主题党日", "党员活动室（行政楼 3 楼）"),
        (
            "HMA-02",
            SeriesRule::Weekday { nth: Nth::Last, weekday: chrono::Weekday::Fri },
            "医院管理党支部主题党日",
            "医学会二楼会议室",
        ),
        ("HMA-03", SeriesRule::DayOfMonth(15), "医疗质控党支部主题党日", "质控中心会议室"),
        (
            "HMA-04",
            SeriesRule::Weekday { nth: Nth::Second, weekday: chrono::Weekday::Wed },
            "离退休党支部主题党日",
            "老干部活动中心",
        ),
    ];
    let scope = Scope::operator();
    let mut series_ids = Vec::new();
    for (code, rule, title, location) in plans {
        let data = SeriesData {
            rule,
            start_time: chrono::NaiveTime::from_hms_opt(14, 30, 0).unwrap_or_default(),
            minutes: 120,
            kind: EventKind::ThemePartyDay,
            title: title.to_owned(),
            topic: Some("学习贯彻党的二十届四中全会精神".to_owned()),
            description: "1. 重温入党誓词\n2. 集中学习（领学 + 交流研讨）\n3. 党员志愿服务或组织生活其他安排\n\n请携带**学习笔记本**，按时签到。".to_owned(),
            location: Some(location.to_owned()),
            statuses: EventKind::ThemePartyDay.default_statuses(),
            until: None,
        };
        let start = Start { from: planned_on, schedule: true };
        let (id, _) = recurring::create(db, &scope, units[code], &data, tz, start, planned_at)
            .await
            .map_err(|r| anyhow::anyhow!("demo series {title:?} refused: {r:?}"))?;
        series_ids.push(id);
    }
    // Invitations of the days that have passed went out when those days were planned.
    let past: Vec<i64> = event::Entity::find()
        .filter(event::Column::SeriesId.is_in(series_ids))
        .filter(event::Column::EndsAt.lte(now))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    record_as_sent(db, Some(past)).await?;
    Ok(())
}

/// A demo guest: name, organisation, title and role (no contact details).
fn guest(name: &str, organisation: &str, title: &str, role: crate::events::rules::GuestRole) -> GuestData {
    GuestData {
        name: name.to_owned(),
        organisation: Some(organisation.to_owned()),
        title: Some(title.to_owned()),
        email: None,
        phone: None,
        role,
    }
}

/// A demo event: organiser, fields, and the guests and agenda it gets before it is scheduled.
struct DemoEvent {
    branch: &'static str,
    data: EventData,
    guests: Vec<GuestData>,
    agenda: Vec<(&'static str, &'static str, i32)>,
}

/// The local wall-clock time `days` from today (moved off the weekend: back for a past day,
/// forward for a coming one) as an instant.
fn demo_time(tz: Tz, today: NaiveDate, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    use chrono::{Datelike, Weekday};
    let mut day = today + Duration::days(days);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(if days < 0 { -1 } else { 1 });
    }
    let local = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
    tz.from_local_datetime(&local).earliest().map_or(local.and_utc(), |t| t.to_utc())
}

/// The demo's events (besides the monthly theme party days of the series): a party lecture that
/// took place, a branch committee meeting and a joint conference of two branches to come, with
/// guests and agendas. Each is prepared and scheduled as its secretary would have, ten days before
/// it starts (or now, when that day is still to come).
async fn load_events<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
    units: &std::collections::HashMap<&str, i64>,
    people: &std::collections::HashMap<&str, i64>,
) -> anyhow::Result<()> {
    use crate::events::rules::{AgendaData, GuestRole};
    let tz: Tz = timezone.parse().map_err(|_| anyhow::anyhow!("not a time zone: {timezone}"))?;
    let lecture_at = demo_time(tz, today, -12, 14, 30);
    let committee_at = demo_time(tz, today, 5, 16, 0);
    let joint_at = demo_time(tz, today, 12, 9, 30);
    let events = [
        DemoEvent {
            branch: "HMA-01",
            data: EventData {
                kind: EventKind::PartyLecture,
                title: "专题党课：以高质量党建引领医学会高质量发展".to_owned(),
                topic: Some("学习贯彻党的二十届四中全会精神".to_owned()),
                description: "支部书记李建华同志结合医学会秘书处、学术部和继续教育部的工作实际，\
                    为全体党员、发展对象和入党积极分子讲授专题党课。\n\n\
                    **会前自学材料**\n\n\
                    - 《中国共产党第二十届中央委员会第四次全体会议公报》\n\
                    - 《中国共产党支部工作条例（试行）》第三章“组织生活”\n\n\
                    会后一周内，每位党员提交一篇不少于 800 字的学习心得，由宣传委员汇总。"
                    .to_owned(),
                starts_at: lecture_at,
                ends_at: lecture_at + Duration::minutes(90),
                location: Some("高新区医学会三楼会议室".to_owned()),
                host_member_id: Some(people["李建华"]),
                host_guest_name: None,
                recorder_member_id: Some(people["王晓梅"]),
                co_organisers: Vec::new(),
                audience: Audience {
                    kind: AudienceKind::Branches,
                    group_id: None,
                    picks: Vec::new(),
                    statuses: EventKind::PartyLecture.default_statuses(),
                },
                capacity: None,
                answer_deadline: Some(lecture_at - Duration::days(2)),
            },
            guests: Vec::new(),
            agenda: vec![
                ("集体学习《中国共产党章程》总纲", "陈静", 15),
                ("专题党课：以高质量党建引领医学会高质量发展", "李建华", 50),
                ("交流研讨", "张伟、刘芳", 20),
                ("小结并布置学习心得", "李建华", 5),
            ],
        },
        DemoEvent {
            branch: "HMA-01",
            data: EventData {
                kind: EventKind::BranchCommitteeMeeting,
                title: "支部委员会会议：研究发展党员和民主评议党员工作".to_owned(),
                topic: Some("发展党员、年度民主评议党员".to_owned()),
                description: "议题材料由组织委员张伟同志准备，会前两天发各位委员审阅。\n\n\
                    1. 听取发展对象杨洋同志的培养考察情况汇报，讨论是否提交支部党员大会讨论；\n\
                    2. 研究年度民主评议党员工作方案；\n\
                    3. 通报本季度党费收缴情况。"
                    .to_owned(),
                starts_at: committee_at,
                ends_at: committee_at + Duration::minutes(60),
                location: Some("高新区医学会秘书处小会议室".to_owned()),
                host_member_id: Some(people["李建华"]),
                host_guest_name: None,
                recorder_member_id: Some(people["王晓梅"]),
                co_organisers: Vec::new(),
                audience: Audience {
                    kind: AudienceKind::Members,
                    group_id: None,
                    picks: ["李建华", "陈静", "张伟", "王晓梅"].iter().map(|n| people[n]).collect(),
                    statuses: EventKind::BranchCommitteeMeeting.default_statuses(),
                },
                capacity: None,
                answer_deadline: None,
            },
            guests: Vec::new(),
            agenda: vec![
                ("发展对象杨洋同志培养考察情况汇报", "张伟", 15),
                ("讨论年度民主评议党员工作方案", "陈静", 20),
                ("本季度党费收缴情况通报", "王晓梅", 10),
                ("其他事项", "李建华", 10),
            ],
        },
        DemoEvent {
            branch: "HMA-02",
            data: EventData {
                kind: EventKind::JointConference,
                title: "“党建+医疗质量”联建共建座谈会".to_owned(),
                topic: Some("以党建联建推动医疗质量安全持续改进".to_owned()),
                description: "医院管理党支部与医疗质控党支部联合举办座谈会，围绕“党建引领医疗质量安全提升”\
                    交流经验，并签订支部联建共建协议。区卫健委领导到会指导，\
                    高新区人民医院院长作专题发言。\n\n\
                    **请两支部党员**\n\n\
                    - 结合本岗位准备 3 分钟交流发言；\n\
                    - 在答复截止前回复是否参加，不能参加的请说明原因。"
                    .to_owned(),
                starts_at: joint_at,
                ends_at: joint_at + Duration::minutes(150),
                location: Some("市第一人民医院行政楼三楼会议室".to_owned()),
                host_member_id: Some(people["周志强"]),
                host_guest_name: None,
                recorder_member_id: Some(people["谢超"]),
                co_organisers: vec![units["HMA-03"]],
                audience: Audience {
                    kind: AudienceKind::Branches,
                    group_id: None,
                    picks: Vec::new(),
                    statuses: EventKind::JointConference.default_statuses(),
                },
                capacity: None,
                answer_deadline: Some(joint_at - Duration::days(3)),
            },
            guests: vec![
                guest("陈国栋", "高新区卫生健康委员会", "党组书记、主任", GuestRole::Leader),
                guest("林海峰", "高新区人民医院", "院长、主任医师", GuestRole::GuestSpeaker),
                guest("孙悦", "高新区人民医院党委办公室", "干事", GuestRole::NonVoting),
            ],
            agenda: vec![
                ("介绍与会领导和嘉宾", "周志强", 5),
                ("专题发言：以质控数据驱动医疗质量持续改进", "林海峰", 30),
                ("两支部党员代表交流发言", "徐静、郑霞", 40),
                ("签订支部联建共建协议", "周志强、郑霞", 10),
                ("区卫健委领导讲话", "陈国栋", 20),
                ("会议总结", "郑霞", 10),
            ],
        },
    ];
    let scope = Scope::operator();
    let mut past = Vec::new();
    for e in events {
        let at = (e.data.starts_at - Duration::days(10)).min(now);
        let id = service::create(db, &scope, units[e.branch], &e.data, at)
            .await
            .map_err(|r| anyhow::anyhow!("demo event {:?} refused: {r:?}", e.data.title))?;
        for g in &e.guests {
            service::add_guest(db, &scope, id, g, at).await?;
        }
        for (title, presenter, minutes) in e.agenda {
            let item =
                AgendaData { title: title.to_owned(), presenter: Some(presenter.to_owned()), minutes: Some(minutes) };
            service::save_agenda_item(db, &scope, id, None, &item, at).await?;
        }
        service::schedule(db, &scope, id, at).await?;
        if e.data.ends_at <= now {
            past.push(id);
        }
    }
    // The lecture's invitations went out before it took place; the coming events' go out now.
    record_as_sent(db, Some(past)).await?;
    Ok(())
}

/// Why working members asked for leave.
const LEAVE_REASONS: [&str; 8] = [
    "出差：赴省卫生健康委参加医疗质量管理专题会议",
    "值班：当日急诊科 24 小时值班，无法调换",
    "病假：急性胃肠炎，已就医",
    "外出培训：参加省医学会继续医学教育项目管理培训班",
    "出差：带队赴对口帮扶县医院开展义诊",
    "值班：医院等级评审迎检值班",
    "家中老人住院，需要陪护",
    "外出培训：参加国家病案质控业务培训",
];

/// Why retired members asked for leave.
const RETIRED_REASONS: [&str; 4] =
    ["身体不适，在家休养", "病假：住院治疗，已告知支部", "赴外地探亲，月底返回", "陪护老伴住院"];

/// What secretaries wrote when they approved leave (working members; retired members).
const LEAVE_NOTES: [&str; 2] = ["同意。请会后按要求完成补学。", "同意，请自学本次学习材料并提交学习心得。"];
const RETIRED_LEAVE_NOTE: &str = "同意，请安心休养，会后由支部送学上门。";

/// The make-up study notes (working members; retired members).
const MAKEUP_NOTES: [&str; 3] =
    ["已学习会议精神并提交心得", "已自学会议材料并向支部书记汇报学习体会", "参加支部集中补学，学习笔记已交组织委员"];
const RETIRED_MAKEUP_NOTE: &str = "支部委员送学上门，已学习会议精神并交流体会";

/// What the demo's attendance holds, for the tests and the curious.
#[derive(Debug, Default)]
pub struct DemoAttendance {
    pub checked_in: usize,
    pub late: usize,
    pub left_early: usize,
    pub leave_approved: usize,
    pub leave_rejected: usize,
    pub declined: usize,
    pub unanswered: usize,
    pub makeup_done: usize,
    /// Answers to the coming events: accepted, leave requests waiting for a decision.
    pub coming_accepted: usize,
    pub coming_leave_requests: usize,
}

/// The account a demo secretary or the administrator acts with, and its scope.
async fn account_scope(db: &DatabaseConnection, email: &str, today: NaiveDate) -> anyhow::Result<Scope> {
    use sea_orm::{ColumnTrait, QueryFilter};

    use crate::accounts::{Actor, entity::account};
    let a = account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo account {email} is missing"))?;
    let actor = Actor { account_id: a.id, role: a.role, member_id: a.member_id };
    Ok(branches::scope_of(db, &actor, today).await?)
}

/// Who speaks in the demo minutes of the 机关党支部 (and so came to its meetings).
const MINUTES_SPEAKERS: [&str; 4] = ["李建华", "陈静", "张伟", "王晓梅"];

/// Minutes of the 机关党支部's past meetings, in every state, written and signed as the branch
/// would have: the older theme party days locked (one of them amended after locking and signed
/// again), the most recent locked one shaped like a real activity post of our first user (lead
/// study, two exchange speeches by members with their posts, the secretary's special lecture); the
/// party lecture submitted and signed by its recorder, waiting for the host; the latest party day
/// a draft. Returns how many records were written.
async fn load_minutes(db: &DatabaseConnection, today: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<usize> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

    use crate::{
        events::{entity::event, rules::EventState},
        i18n::Locale,
        minutes::{
            rules::{Action, Body, Item, Resolution, Speaker, Speech, SpeechRole},
            service::{self as minutes, SignAs},
        },
    };
    let secretary = account_scope(db, ACCOUNTS[1].0, today).await?;
    let recorder = account_scope(db, ACCOUNTS[3].0, today).await?;
    let Ok(branch) = branches::find_by_code(db, &Scope::operator(), "HMA-01").await else { return Ok(0) };
    let past = event::Entity::find()
        .filter(event::Column::BranchId.eq(branch.id))
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::EndsAt.lt(now))
        .order_by_asc(event::Column::StartsAt)
        .all(db)
        .await?;
    let member = |name: &'static str| async move {
        let m =
            members::find_by_name(db, name).await?.ok_or_else(|| anyhow::anyhow!("demo member {name} is missing"))?;
        anyhow::Ok(Speaker::Member { id: m.id, name: m.name })
    };
    let speech = |speaker: Speaker, post: &str, role: SpeechRole, summary: &str| Speech {
        speaker: Some(speaker),
        post: post.to_owned(),
        role,
        summary: summary.to_owned(),
    };
    let (lead, first, second, head) =
        (member("陈静").await?, member("张伟").await?, member("王晓梅").await?, member("李建华").await?);
    let party_day = |shaped: bool| Body {
        items: vec![
            Item { title: "重温入党誓词".to_owned(), ..Item::default() },
            Item {
                title: "集中学习".to_owned(),
                speeches: vec![speech(
                    lead.clone(),
                    "支部副书记、继续教育部部长",
                    SpeechRole::LeadStudy,
                    "领学党的二十届四中全会公报和习近平总书记有关重要讲话精神。",
                )],
                ..Item::default()
            },
            Item {
                title: "交流发言".to_owned(),
                speeches: if shaped {
                    vec![
                        speech(
                            first.clone(),
                            "学术部部长",
                            SpeechRole::Exchange,
                            "在今后的工作中，要充分发挥高校和专家优势，在科技创新和科技成果转化上下功夫，\
                             鼓励专家依托学会平台开展科学研究和科技创新，让政策文件落地、实际行动落实，\
                             推动科技工作取得实效。",
                        ),
                        speech(
                            second.clone(),
                            "办公室主任",
                            SpeechRole::Exchange,
                            "在今后的工作中，将把学术交流与实践紧密结合，促进不同领域、不同层次学术交流的互动，\
                             推动临床实践与学术研究相互促进。",
                        ),
                    ]
                } else {
                    vec![speech(first.clone(), "学术部部长", SpeechRole::Exchange, "结合学术部工作谈学习体会。")]
                },
                ..Item::default()
            },
            Item {
                title: if shaped { "专题党课".to_owned() } else { "总结讲话".to_owned() },
                speeches: vec![speech(
                    head.clone(),
                    "支部书记、秘书长",
                    SpeechRole::Summary,
                    if shaped {
                        "李建华强调，支部要把学习宣传贯彻全会精神作为当前和今后一个时期的重要政治任务，\
                         深刻领会其丰富内涵、核心要义和实践要求，结合学会实际工作，坚持“强基层、促转化”的工作理念，\
                         突出重点、找准定位、开拓创新、扎实工作。"
                    } else {
                        "对本次学习进行总结，要求各党小组做好会后学习心得交流。"
                    },
                )],
                resolutions: vec![Resolution {
                    text: "各党小组在一周内组织学习心得交流。".to_owned(), votes: None
                }],
                actions: vec![Action {
                    what: "汇总学习心得".to_owned(), who: "王晓梅".to_owned(), due: Some(today)
                }],
            },
        ],
    };
    let is_party_day = |e: &event::Model| e.kind == EventKind::ThemePartyDay;
    let last = past.iter().rposition(is_party_day);
    let shaped = last.and_then(|l| past[..l].iter().rposition(is_party_day));
    let amended = past.iter().position(is_party_day).filter(|f| Some(*f) != shaped);
    let mut written = 0;
    for (n, e) in past.iter().enumerate() {
        let at = |hours: i64| (e.ends_at + Duration::hours(hours)).min(now);
        let scope = &secretary;
        let opened = minutes::open(db, &Default::default(), scope, e.id, Locale::ZhCn, at(1)).await?;
        written += 1;
        let is_lecture = e.kind == EventKind::PartyLecture;
        if Some(n) == last {
            // The last party day's record: a draft, its template filled in part.
            minutes::save(db, scope, e.id, (&opened.body, opened.minutes.revision), None, at(2)).await?;
            continue;
        }
        let body = if is_lecture {
            let mut body = opened.body.clone();
            if let Some(item) = body.items.get_mut(1) {
                item.speeches = vec![speech(
                    head.clone(),
                    "支部书记、秘书长",
                    SpeechRole::Report,
                    "以高质量党建引领医学会高质量发展：一是把牢政治方向；二是夯实组织基础；三是服务会员和行业。",
                )];
            }
            body
        } else if is_party_day(e) {
            party_day(Some(n) == shaped)
        } else {
            opened.body.clone()
        };
        let revision = minutes::save(db, scope, e.id, (&body, opened.minutes.revision), None, at(2)).await?;
        minutes::submit(db, scope, e.id, revision, at(3)).await?;
        if is_lecture {
            // The recorder signed; the host has not yet.
            minutes::sign(db, &recorder, e.id, SignAs::Recorder, revision, at(4)).await?;
            continue;
        }
        // Each signs their own line: the recorder (王晓梅), then the host (the secretary).
        minutes::sign(db, &recorder, e.id, SignAs::Recorder, revision, at(4)).await?;
        minutes::sign(db, scope, e.id, SignAs::Host, revision, at(5)).await?;
        if Some(n) == amended {
            // Amended after locking (the lead reader's post was wrong), then signed again.
            let mut fixed = body.clone();
            if let Some(s) = fixed.items.get_mut(1).and_then(|i| i.speeches.first_mut()) {
                s.post = "支部副书记".to_owned();
            }
            let reason = Some("更正领学人职务".to_owned());
            let revision = minutes::save(db, scope, e.id, (&fixed, revision), reason, at(24)).await?;
            minutes::submit(db, scope, e.id, revision, at(25)).await?;
            minutes::sign(db, &recorder, e.id, SignAs::Recorder, revision, at(26)).await?;
            minutes::sign(db, scope, e.id, SignAs::Host, revision, at(27)).await?;
        }
    }
    Ok(written)
}

/// Members created today belonged to their branch long before: their membership periods start
/// three years back, so that the roster of a past event's day (and the participation records)
/// holds them.
async fn backdate_memberships(db: &impl ConnectionTrait, today: NaiveDate) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    use chrono::Datelike;

    use crate::members::entity::period;
    let start = today.with_day(1).and_then(|d| d.with_year(d.year() - 3)).unwrap_or(today);
    period::Entity::update_many()
        .col_expr(period::Column::FromOn, Expr::value(start))
        .filter(period::Column::FromOn.eq(today))
        .exec(db)
        .await?;
    Ok(())
}

/// The activity reports of the demo's past events, as the branches would have handled them:
/// drafted when each ended, the older ones submitted by their secretary and published by the
/// administrator (the 机关党支部's report shaped like our first user's post comes from its signed
/// minutes and has two photos), one withdrawn with a reason, the party lecture's waiting for
/// review, and the latest a draft. Returns how many were written.
async fn load_reports(db: &DatabaseConnection, today: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<usize> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

    use crate::{
        events::{entity::event, rules::EventState},
        i18n::Locale,
        reports::{
            photos,
            rules::{PublishBy, Step},
            service::{self as reports, PhotoChange},
        },
    };
    let admin = account_scope(db, ACCOUNTS[0].0, today).await?;
    let kinds = crate::config::Config::from_toml(&[]).map(|s| s.report_kinds).unwrap_or_default();
    // The last three months' events: about a dozen reports.
    let ended = event::Entity::find()
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::Kind.is_in(kinds))
        .filter(event::Column::EndsAt.gt(now - Duration::days(92)))
        .order_by_asc(event::Column::EndsAt)
        .all(db)
        .await?;
    let Some(latest) = ended.last().map(|e| e.id) else { return Ok(0) };
    // The 机关党支部's report with signed minutes and the most speeches: the seed's shape.
    let mut shaped = None;
    for e in &ended {
        reports::draft_for(db, e.id, Locale::ZhCn, (e.ends_at + Duration::minutes(1)).min(now), false).await?;
        let r = reports::of_event(db, e.id).await?;
        if let Some(r) = r.filter(|r| r.body.matches("学术部部长").count() > 0 && r.body.contains("办公室主任"))
        {
            shaped = Some(r.event_id);
        }
    }
    let lecture = ended.iter().rev().find(|e| e.kind == EventKind::PartyLecture).map(|e| e.id);
    let withdrawn = ended.iter().find(|e| Some(e.id) != shaped && Some(e.id) != lecture).map(|e| e.id);
    let by = PublishBy::Admin;
    let secretaries = [account_scope(db, ACCOUNTS[1].0, today).await?, account_scope(db, ACCOUNTS[2].0, today).await?];
    for e in &ended {
        if e.id == latest {
            continue;
        }
        let at = |hours: i64| (e.ends_at + Duration::hours(hours)).min(now);
        // Each report is submitted by a secretary of its branch (published directly by the
        // administrator where the demo has no secretary's account).
        let writer = secretaries.iter().find(|s| events_of_branch(s, e.branch_id)).unwrap_or(&admin);
        if Some(e.id) == shaped {
            for (n, colour) in [[196u8, 30, 58], [214, 160, 40]].into_iter().enumerate() {
                let picture = demo_photo(colour);
                let processed = photos::process(&picture).map_err(|e| anyhow::anyhow!("demo photo: {e:?}"))?;
                let caption = ["全体党员重温入党誓词", "交流发言"][n].to_owned();
                reports::change_photos(db, writer, e.id, by, PhotoChange::Add(processed, Some(caption)), at(20))
                    .await?;
            }
        }
        let r = reports::of_event(db, e.id).await?.ok_or_else(|| anyhow::anyhow!("demo report is missing"))?;
        if writer.actor().role == Role::Admin {
            reports::step(db, &admin, e.id, by, (Step::Publish, None), r.revision, at(24)).await?;
        } else {
            reports::step(db, writer, e.id, by, (Step::Submit, None), r.revision, at(22)).await?;
            if Some(e.id) == lecture {
                continue;
            }
            reports::step(db, &admin, e.id, by, (Step::Publish, None), r.revision, at(26)).await?;
        }
        if Some(e.id) == withdrawn {
            let reason = Some("活动照片涉及未公开内容，待替换后重新发布".to_owned());
            reports::step(db, &admin, e.id, by, (Step::Withdraw, reason), r.revision, at(30)).await?;
        }
    }
    Ok(ended.len())
}

/// An activity the branches held before they used Partyday, recorded afterwards (补录) from the
/// paper records: a joint study report meeting with leaders of superior bodies, a hospital's
/// party secretary speaking for the member units and some fifty Party affairs workers of member
/// units attending without a vote; its report drafted at once and published.
async fn load_held(
    db: &DatabaseConnection,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    use crate::{
        events::{
            rules::{
                AgendaData, GuestRole,
                held::{Attended, GridLine, HeldData},
                non_voting::NonVotingCount,
            },
            service::held::{self, AfterRecord},
        },
        i18n::Locale,
        reports::{
            rules::{PublishBy, Step},
            service as reports,
        },
    };
    let tz: Tz = timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let scope = Scope::operator();
    let organiser = branches::find_by_code(db, &scope, "HMA-01").await?;
    let co = branches::find_by_code(db, &scope, "HMA-02").await?;
    let person = |name: &'static str| async move {
        members::find_by_name(db, name).await?.map(|m| m.id).ok_or_else(|| anyhow::anyhow!("demo member {name}"))
    };
    let starts_at = demo_time(tz, today, -75, 9, 0);
    let event = EventData {
        kind: EventKind::StudySession,
        title: "深入贯彻中央八项规定精神学习教育专题报告会".to_owned(),
        topic: Some("深入贯彻中央八项规定精神学习教育".to_owned()),
        description: "机关党支部与医院管理党支部联合举办专题报告会（补录，据会议签到表和会议记录）。".to_owned(),
        starts_at,
        ends_at: starts_at + Duration::minutes(120),
        location: Some("医学会学术报告厅".to_owned()),
        host_member_id: Some(person("李建华").await?),
        host_guest_name: None,
        recorder_member_id: Some(person("王晓梅").await?),
        co_organisers: vec![co.id],
        audience: Audience {
            kind: AudienceKind::Branches,
            group_id: None,
            picks: Vec::new(),
            statuses: EventKind::StudySession.default_statuses(),
        },
        capacity: None,
        answer_deadline: None,
    };
    let day = starts_at.with_timezone(&tz).date_naive();
    let roster = held::roster(db, &scope, organiser.id, &event.co_organisers, day, &event.audience.statuses).await?;
    // Everyone came but one, away on duty.
    let marks = roster
        .iter()
        .enumerate()
        .map(|(n, m)| GridLine {
            member_id: m.id,
            attended: if n == 3 { Attended::Leave } else { Attended::Present },
            reason: (n == 3).then(|| "值班：当日急诊科 24 小时值班".to_owned()),
        })
        .collect();
    let data = HeldData {
        event,
        marks,
        guests: vec![
            guest("陈国栋", "高新区卫生健康委员会", "党组书记、主任", GuestRole::Leader),
            guest("刘明", "区纪委监委驻区卫生健康委员会纪检监察组", "组长", GuestRole::Leader),
            guest("王建国", "高新区人民医院", "党委书记", GuestRole::GuestSpeaker),
        ],
        agenda: [
            ("专题报告：深入贯彻中央八项规定精神", "刘明", 60),
            ("会员单位代表交流发言", "王建国", 20),
            ("区卫健委领导讲话", "陈国栋", 20),
        ]
        .into_iter()
        .map(|(title, presenter, minutes)| AgendaData {
            title: title.to_owned(),
            presenter: Some(presenter.to_owned()),
            minutes: Some(minutes),
        })
        .collect(),
        non_voting: NonVotingCount {
            count: Some(50), approx: true, note: Some("各会员单位党务工作者".to_owned())
        },
    };
    let recorded_at = (starts_at + Duration::days(60)).min(now);
    let after: AfterRecord = Box::new(move |txn, id| {
        Box::pin(async move { reports::draft_for(txn, id, Locale::ZhCn, recorded_at, false).await.map(|_| ()) })
    });
    let id = held::record(db, &scope, organiser.id, None, &data, recorded_at, Some(after))
        .await
        .map_err(|e| anyhow::anyhow!("demo held activity refused: {e:?}"))?;
    let admin = account_scope(db, ACCOUNTS[0].0, today).await?;
    let r = reports::of_event(db, id).await?.ok_or_else(|| anyhow::anyhow!("the held activity has no report"))?;
    reports::step(db, &admin, id, PublishBy::Admin, (Step::Publish, None), r.revision, recorded_at).await?;
    Ok(id)
}

/// Whether a scope holds a branch's events (a secretary's own branches).
fn events_of_branch(scope: &Scope, branch: i64) -> bool {
    scope.units().is_none_or(|u| u.contains(&branch))
}

/// A picture for the demo's report: bands of a colour on a light ground, as a PNG.
fn demo_photo(colour: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 800, |x, y| {
        if (y / 100 + x / 300) % 2 == 0 { image::Rgb(colour) } else { image::Rgb([245, 240, 230]) }
    });
    let mut out = Vec::new();
    // Encoding a picture in memory does not fail.
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

/// How the demo's people answered and came, recorded through the attendance services at the
/// moment each thing happened, so that the rules hold and the attendance log reads as in real
/// use. The events that took place: most members accepted a few days before and checked in by
/// the QR code or on the secretary's roster (some late, one or two left early), some asked for
/// leave and had it approved with a note (one was refused), a few declined, never answered or
/// did not turn up; each is finalised a minute after its end as the event clock does, and of
/// those who missed one at least two weeks ago about two in three have done their make-up study.
/// The coming events (each branch's next party day, the committee meeting, the joint
/// conference): first answers, with leave requests waiting for the secretary's decision, and the
/// guests' confirmations taken by the secretary. Leave is decided (and the roster marked) by the
/// branch's secretary account where there is one, otherwise by the administrator. Deterministic:
/// every roll is a hash of the event and the member.
async fn load_attendance(
    db: &DatabaseConnection,
    timezone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoAttendance> {
    use std::collections::{HashMap, HashSet};

    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, sea_query::Expr};

    use crate::{
        attendance::{
            rules::{Choose, Mark, Method},
            service::{self as attendance, By, Window},
        },
        branches::entity::branch,
        events::{entity::event, rules::EventState},
    };
    let tz: Tz = timezone.parse().map_err(|_| anyhow::anyhow!("not a time zone: {timezone}"))?;
    // The default configuration's check-in window.
    let window = Window { opens_before: Duration::minutes(30), late_after: Duration::minutes(10) };
    let writer = crate::db::Writer::new(db.clone());
    let admin = account_scope(db, ACCOUNTS[0].0, today).await?;
    let secretaries = [
        ("HMA-01", account_scope(db, ACCOUNTS[1].0, today).await?),
        ("HMA-02", account_scope(db, ACCOUNTS[2].0, today).await?),
    ];
    let codes: HashMap<i64, String> =
        branch::Entity::find().all(db).await?.into_iter().map(|b| (b.id, b.code)).collect();
    let events = event::Entity::find()
        .filter(event::Column::State.eq(EventState::Scheduled))
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let mut made = DemoAttendance::default();
    let mut next_of_series = HashSet::new();
    let mut speaker_ids = Vec::new();
    for name in MINUTES_SPEAKERS {
        speaker_ids.extend(members::find_by_name(db, name).await?.map(|m| m.id));
    }
    for e in &events {
        let code = codes.get(&e.branch_id).map_or("", String::as_str);
        let scope = secretaries.iter().find(|(c, _)| *c == code).map_or(&admin, |(_, s)| s);
        let retired = code == "HMA-04";
        let invitations = invitation::Entity::find()
            .filter(invitation::Column::EventId.eq(e.id))
            .order_by_asc(invitation::Column::Id)
            .all(db)
            .await?;
        if e.ends_at > now {
            // Only the next of a series' days has answers yet.
            if e.series_id.is_some_and(|s| !next_of_series.insert(s)) {
                continue;
            }
            let mut k = 0;
            for inv in &invitations {
                let target = (e.id, inv.id);
                let Some(member) = inv.member_id else {
                    attendance::answer(&writer, target, Choose::Accept, By::Staff(scope), now).await?;
                    continue;
                };
                k += 1;
                let roll = mix(((e.id as u64) << 32) | member as u64);
                let at = (now - Duration::hours(1 + (roll >> 8) as i64 % 70)).max(inv.created_at);
                let reasons: &[&str] = if retired { &RETIRED_REASONS } else { &LEAVE_REASONS };
                // The second invitee of each asks for leave, so every secretary has one to decide.
                let choice = match if k == 2 { 60 } else { roll % 100 } {
                    0..55 => Choose::Accept,
                    55..68 => Choose::Leave(reasons[(roll >> 16) as usize % reasons.len()].to_owned()),
                    68..72 => Choose::Decline,
                    _ => continue,
                };
                match choice {
                    Choose::Accept => made.coming_accepted += 1,
                    Choose::Leave(_) => made.coming_leave_requests += 1,
                    Choose::Decline => {}
                }
                attendance::answer(&writer, target, choice, By::Invitee, at).await?;
            }
            continue;
        }
        let closes = attendance::closes_at(e);
        // The 机关党支部's secretary and the members who speak in its minutes came every time.
        let speakers = if code == "HMA-01" { &speaker_ids[..] } else { &[] };
        for inv in &invitations {
            let target = (e.id, inv.id);
            let Some(member) = inv.member_id else {
                // Guests: their confirmation taken by the secretary, checked in on arrival.
                attendance::answer(&writer, target, Choose::Accept, By::Staff(scope), closes - Duration::days(1))
                    .await?;
                attendance::mark(
                    &writer,
                    scope,
                    target,
                    Mark::Present,
                    "",
                    window,
                    e.starts_at - Duration::minutes(10),
                )
                .await?;
                made.checked_in += 1;
                continue;
            };
            let roll = if speakers.contains(&member) { 100 } else { mix(((e.id as u64) << 32) | member as u64) };
            // Answered between five days and two hours before answers closed.
            let answered = (closes - Duration::hours(2 + (roll >> 8) as i64 % 118)).max(inv.created_at);
            match roll % 100 {
                0..71 => {
                    attendance::answer(&writer, target, Choose::Accept, By::Invitee, answered).await?;
                    made.checked_in += 1;
                    let late = made.checked_in % 12 == 5;
                    let minutes = if late { 12 + (roll >> 16) as i64 % 18 } else { -25 + (roll >> 16) as i64 % 27 };
                    let at = e.starts_at + Duration::minutes(minutes);
                    if (roll >> 24) % 10 < 6 {
                        attendance::check_in(&writer, target, Method::Qr, window, at).await?;
                    } else {
                        let mark = if late { Mark::Late } else { Mark::Present };
                        attendance::mark(&writer, scope, target, mark, "", window, at).await?;
                    }
                    if late {
                        made.late += 1;
                    }
                    if made.checked_in % 60 == 30 {
                        let note =
                            if retired { "身体不适，提前离场" } else { "医院临时会诊，提前离场" };
                        let at = e.ends_at - Duration::minutes(35);
                        attendance::mark(&writer, scope, target, Mark::LeftEarly, note, window, at).await?;
                        made.left_early += 1;
                    }
                }
                // Accepted, but did not come.
                71..74 => {
                    attendance::answer(&writer, target, Choose::Accept, By::Invitee, answered).await?;
                }
                74..87 => {
                    let reject = !retired && made.leave_rejected == 0 && made.leave_approved >= 3;
                    let reasons: &[&str] = if retired { &RETIRED_REASONS } else { &LEAVE_REASONS };
                    let reason =
                        if reject { "单位临时有事" } else { reasons[(roll >> 16) as usize % reasons.len()] };
                    attendance::answer(&writer, target, Choose::Leave(reason.to_owned()), By::Invitee, answered)
                        .await?;
                    let decided = (answered + Duration::hours(1 + (roll >> 32) as i64 % 20))
                        .min(e.starts_at - Duration::minutes(30))
                        .max(answered + Duration::minutes(10));
                    let note = if reject {
                        "本次集中学习并重温入党誓词，原则上不予请假，请调整工作安排按时参加。"
                    } else if retired {
                        RETIRED_LEAVE_NOTE
                    } else {
                        LEAVE_NOTES[(roll >> 40) as usize % LEAVE_NOTES.len()]
                    };
                    attendance::decide_leave(&writer, scope, target, !reject, note, decided).await?;
                    if reject {
                        made.leave_rejected += 1;
                    } else {
                        made.leave_approved += 1;
                    }
                }
                87..93 => {
                    attendance::answer(&writer, target, Choose::Decline, By::Invitee, answered).await?;
                    made.declined += 1;
                }
                _ => made.unanswered += 1,
            }
        }
        attendance::finalise(db, e.id, e.ends_at + Duration::minutes(1)).await?;
        if e.ends_at > now - Duration::days(14) {
            continue;
        }
        let missed = invitation::Entity::find()
            .filter(invitation::Column::EventId.eq(e.id))
            .filter(invitation::Column::MakeupRequired.eq(true))
            .order_by_asc(invitation::Column::Id)
            .all(db)
            .await?;
        let held_on = e.starts_at.with_timezone(&tz).date_naive();
        for inv in missed {
            let roll = mix(((inv.id as u64) << 32) ^ 0x6d61_6b65);
            if roll.is_multiple_of(3) {
                continue;
            }
            let done_on = (held_on + Duration::days(3 + (roll >> 8) as i64 % 11)).min(today);
            let at = tz
                .from_local_datetime(&done_on.and_hms_opt(17, 0, 0).unwrap_or_default())
                .earliest()
                .map_or(now, |t| t.to_utc())
                .min(now);
            let note =
                if retired { RETIRED_MAKEUP_NOTE } else { MAKEUP_NOTES[(roll >> 16) as usize % MAKEUP_NOTES.len()] };
            attendance::makeup_done(&writer, scope, (e.id, inv.id), done_on, (held_on, today), note, at).await?;
            made.makeup_done += 1;
        }
    }
    // As the event clock would (nothing should be left), and the answer copies and notices of
    // this history were mailed when they were written.
    attendance::finalise_due(db, now).await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value("sent"))
        .col_expr(outbox::Column::SentAt, Expr::col(outbox::Column::CreatedAt))
        .col_expr(outbox::Column::Attempts, Expr::value(1))
        .filter(outbox::Column::State.eq("queued"))
        .filter(outbox::Column::Kind.is_in(["answer_copy", "notice"]))
        .exec(db)
        .await?;
    Ok(made)
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

/// The generated branches (in code order: BIG-001 first) and the members of each, in order.
pub struct Association {
    pub branches: Vec<i64>,
    pub members: Vec<Vec<i64>>,
}

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
) -> anyhow::Result<Association> {
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
        report_author: None,
        locale: None,
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
    let mut by_branch: Vec<Vec<i64>> = vec![Vec::new(); ids.len()];
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
        let m = members::create(&txn, &scope, new, today, now).await?;
        by_branch[i % ids.len()].push(m.id);
    }
    backdate_memberships(&txn, today).await?;
    txn.commit().await?;
    load_accounts(db, now).await?;
    Ok(Association { branches: ids, members: by_branch })
}

/// Topics of the generated events.
const TOPICS: [&str; 8] = [
    "学习贯彻党的二十届四中全会精神",
    "深入学习习近平新时代中国特色社会主义思想",
    "弘扬伟大建党精神",
    "加强医德医风建设",
    "推进健康中国行动",
    "廉洁从业警示教育",
    "传承红色基因 践行初心使命",
    "推动公立医院高质量发展",
];

/// Kinds of the generated events and their weights out of 100: mostly theme party days and the
/// "three meetings and one lesson".
const BENCH_KINDS: [(EventKind, u32); 10] = [
    (EventKind::ThemePartyDay, 30),
    (EventKind::BranchGeneralMeeting, 8),
    (EventKind::BranchCommitteeMeeting, 15),
    (EventKind::PartyGroupMeeting, 12),
    (EventKind::PartyLecture, 8),
    (EventKind::StudySession, 10),
    (EventKind::OrganisationalLifeMeeting, 4),
    (EventKind::JointConference, 3),
    (EventKind::VolunteerService, 6),
    (EventKind::Other, 4),
];

/// A small deterministic mix (splitmix64), so that every run generates the same events.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bench_kind(n: u64) -> EventKind {
    let mut roll = (mix(n) % 100) as u32;
    for (kind, weight) in BENCH_KINDS {
        if roll < weight {
            return kind;
        }
        roll -= weight;
    }
    EventKind::Other
}

/// What `generate_events` made.
pub struct GeneratedEvents {
    pub events: usize,
    pub drafts: usize,
    pub cancelled: usize,
    pub invitations: u64,
    /// Invitation and cancellation emails the services queued, recorded as sent.
    pub messages: u64,
    /// BIG-001, the branch with the most events (for the feed benchmark).
    pub big_branch: i64,
    pub big_events: usize,
    /// Upcoming scheduled theme party days of BIG-001: `/events?branch=…&kind=theme_party_day&state=scheduled`.
    pub big_upcoming_theme_days: usize,
}

/// One event to generate: the organising branch's position, its fields, and what becomes of it.
struct Planned {
    branch: usize,
    data: EventData,
    draft: bool,
    cancelled: bool,
}

/// Adds `count` events to a generated association through the event services: `big` of them
/// (1,000 by default) organised by BIG-001 between 360 days ago and 360 days ahead, all
/// scheduled (so that its calendar feed, which reaches 366 days back, carries every one of
/// them); the rest spread evenly over the other branches from two years back to one year ahead,
/// with drafts among the upcoming ones. About 2% are cancelled. Events in the past are created
/// and scheduled as of two weeks before they start, get their attendance (answers, leave,
/// check-ins, in bulk: see `bulk_past_attendance`) and are finalised as the event clock does.
///
/// Audiences: the whole branch (every member, whatever their status: in the generated
/// association a branch's members share one status) for theme party days, general and
/// organisational life meetings, lectures and study; members picked by hand for committee
/// meetings (5), party group meetings (12), joint conferences (6 of each branch), volunteer
/// services (20) and others (10).
pub async fn generate_events<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    timezone: &str,
    association: &Association,
    count: usize,
    big: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<GeneratedEvents> {
    use sea_orm::{PaginatorTrait, TransactionSession};
    let tz: Tz = timezone.parse().map_err(|_| anyhow::anyhow!("not a time zone: {timezone}"))?;
    let branches = &association.branches;
    anyhow::ensure!(branches.len() >= 3, "generating events needs at least 3 branches");
    let big = big.min(count);
    let today = now.with_timezone(&tz).date_naive();
    let mut plans = Vec::with_capacity(count);
    let others = branches.len() - 1;
    let rest = count - big;
    for n in 0..count {
        let (branch, day, draft) = if n < big {
            (0, -360 + (n * 720 / big) as i64, false)
        } else {
            let j = n - big;
            let day = -730 + (j * 1095 / rest.max(1)) as i64;
            (1 + j % others, day, day > 0 && j % 10 == 3)
        };
        let kind = bench_kind(n as u64);
        let slot = [(9, 0), (14, 30), (19, 0)][n % 3];
        let local = (today + Duration::days(day)).and_hms_opt(slot.0, slot.1, 0).unwrap_or_default();
        let starts_at = tz.from_local_datetime(&local).earliest().map_or(local.and_utc(), |t| t.to_utc());
        let minutes = match kind {
            EventKind::VolunteerService | EventKind::Other => 180,
            EventKind::ThemePartyDay | EventKind::OrganisationalLifeMeeting => 120,
            _ => 90,
        };
        let m = &association.members[branch];
        let slice = |from: usize, len: usize| m.iter().cycle().skip(from).take(len.min(m.len())).copied();
        let topic = TOPICS[n % TOPICS.len()];
        let month = chrono::Datelike::month(&local);
        let mut co_organisers = Vec::new();
        let (audience, picks): (AudienceKind, Vec<i64>) = match kind {
            EventKind::BranchCommitteeMeeting => (AudienceKind::Members, slice(0, 5).collect()),
            EventKind::PartyGroupMeeting => (AudienceKind::Members, slice(12 * (n % 8), 12).collect()),
            EventKind::VolunteerService => (AudienceKind::Members, slice(20 * (n % 5), 20).collect()),
            EventKind::Other => (AudienceKind::Members, slice(10 * (n % 10), 10).collect()),
            EventKind::JointConference => {
                // Never BIG-001 as a co-organiser: its feed carries exactly its own events.
                let partner = 1 + (branch + n) % others;
                let partner = if partner == branch { 1 + partner % others } else { partner };
                co_organisers.push(branches[partner]);
                let theirs = &association.members[partner];
                (AudienceKind::Members, slice(0, 6).chain(theirs.iter().take(6).copied()).collect())
            }
            _ => (AudienceKind::Branches, Vec::new()),
        };
        let title = match kind {
            EventKind::ThemePartyDay => format!("{month}月主题党日：{topic}"),
            EventKind::BranchGeneralMeeting => format!("{month}月支部党员大会"),
            EventKind::BranchCommitteeMeeting => format!("{month}月支部委员会会议"),
            EventKind::PartyGroupMeeting => format!("党小组学习会：{topic}"),
            EventKind::PartyLecture => format!("专题党课：{topic}"),
            EventKind::StudySession => format!("集中学习：{topic}"),
            EventKind::OrganisationalLifeMeeting => "年度组织生活会".to_owned(),
            EventKind::JointConference => format!("支部联建座谈会：{topic}"),
            EventKind::VolunteerService => "“党员先锋岗”社区义诊".to_owned(),
            EventKind::Other => "参观红色教育基地".to_owned(),
        };
        let location = match kind {
            EventKind::VolunteerService => "高新区社区卫生服务中心".to_owned(),
            EventKind::Other => "市革命历史纪念馆".to_owned(),
            _ => format!("第{}党支部党员活动室", branch + 1),
        };
        let data = EventData {
            kind,
            title,
            topic: Some(topic.to_owned()),
            description: format!("## 议程\n\n1. 学习：{topic}\n2. 交流发言\n3. 支部书记小结\n\n请提前 10 分钟签到。"),
            starts_at,
            ends_at: starts_at + Duration::minutes(minutes),
            location: Some(location),
            host_member_id: m.first().copied(),
            host_guest_name: None,
            recorder_member_id: m.get(1).copied(),
            co_organisers,
            audience: Audience {
                kind: audience,
                group_id: None,
                picks,
                statuses: if audience == AudienceKind::Branches {
                    PoliticalStatus::ALL.to_vec()
                } else {
                    kind.default_statuses()
                },
            },
            capacity: (kind == EventKind::VolunteerService).then_some(30),
            answer_deadline: (kind == EventKind::ThemePartyDay).then(|| starts_at - Duration::days(2)),
        };
        plans.push(Planned { branch, data, draft, cancelled: !draft && n % 50 == 7 });
    }

    let scope = Scope::operator();
    let refused = |e: service::FormError| anyhow::anyhow!("a generated event was refused: {e:?}");
    let mut summary = GeneratedEvents {
        events: count,
        drafts: 0,
        cancelled: 0,
        invitations: 0,
        messages: 0,
        big_branch: branches[0],
        big_events: big,
        big_upcoming_theme_days: 0,
    };
    // Services open their own transactions (savepoints here); a commit every few hundred events.
    for chunk in plans.chunks(250) {
        let txn = db.begin().await?;
        for p in chunk {
            // As if planned two weeks ahead (or now, for the events of the next two weeks).
            let at = (p.data.starts_at - Duration::days(14)).min(now);
            let id = service::create(&txn, &scope, branches[p.branch], &p.data, at).await.map_err(refused)?;
            if p.draft {
                summary.drafts += 1;
                continue;
            }
            service::schedule(&txn, &scope, id, at).await?;
            if p.cancelled {
                service::cancel(&txn, &scope, id, "与上级党委专题会议时间冲突，另行安排", at + Duration::hours(1))
                    .await?;
                summary.cancelled += 1;
            } else if p.branch == 0 && p.data.kind == EventKind::ThemePartyDay && p.data.ends_at > now {
                summary.big_upcoming_theme_days += 1;
            }
        }
        txn.commit().await?;
    }
    bulk_past_attendance(db, now).await?;
    finalise_all(db, now).await?;
    // The reminders of the next day's events went out too (a server started on this data would
    // otherwise begin by sending them while it is measured).
    service::notices::queue_reminders(db, (24, 12), now).await?;
    summary.messages = record_as_sent(db, None).await?;
    summary.invitations = invitation::Entity::find().count(db).await?;
    Ok(summary)
}

/// `t` plus `minutes` (SQL expressions) as a timestamp expression of the backend:
/// SQLite keeps instants as RFC 3339 text (the form sqlx writes), PostgreSQL as timestamptz.
fn plus_minutes(backend: sea_orm::DbBackend, t: &str, minutes: &str) -> String {
    if backend == sea_orm::DbBackend::Postgres {
        format!("({t} + ({minutes}) * interval '1 minute')")
    } else {
        format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {t}, ({minutes}) || ' minutes')")
    }
}

/// Attendance of the generated events that have ended and are not finalised yet, written in bulk
/// (three statements, not a service call per person), in the demo's shares by a hash of the
/// invitation: 71% accepted and checked in (60% by QR code, the rest on the roster; one in
/// twelve 15 minutes late), 3% accepted but did not come, 13% on approved leave (出差, 值班,
/// 病假, 外出培训), 6% declined, 7% never answered; guests checked in too. Answers a day or more
/// after the invitation, leave decided a day later; each change gets its attendance log row.
/// Finalising afterwards makes the rest absent or excused, with make-up study.
async fn bulk_past_attendance(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::Statement;
    let backend = db.get_database_backend();
    // Numbered: the statements use it more than once.
    let now_param = crate::db::numbered(backend, 1);
    let past = format!(
        "i.event_id IN (SELECT e.id FROM events e WHERE e.state = 'scheduled' AND e.finalised_at IS NULL \
         AND e.ends_at <= {now_param})"
    );
    let b = "((i.id * 7919 + i.event_id) % 100)";
    let member = "i.role = 'member' AND i.member_id IS NOT NULL";
    let starts = "(SELECT e.starts_at FROM events e WHERE e.id = i.event_id)";
    let late = format!("({b} % 12 = 5)");
    let update = format!(
        "UPDATE invitations AS i SET \
           answer = CASE WHEN NOT ({member}) OR {b} < 74 THEN 'accepted' WHEN {b} < 87 THEN 'leave_approved' \
             WHEN {b} < 93 THEN 'declined' ELSE 'pending' END, \
           answered_at = CASE WHEN NOT ({member}) OR {b} < 93 THEN {answered} END, \
           leave_reason = CASE WHEN {member} AND {b} >= 74 AND {b} < 87 THEN \
             CASE {b} % 4 WHEN 0 THEN '出差' WHEN 1 THEN '值班' WHEN 2 THEN '病假' ELSE '外出培训' END END, \
           leave_note = CASE WHEN {member} AND {b} >= 74 AND {b} < 87 THEN '同意，请会后补学' END, \
           leave_decided_at = CASE WHEN {member} AND {b} >= 74 AND {b} < 87 THEN {decided} END, \
           checked_in_at = CASE WHEN NOT ({member}) OR {b} < 71 THEN {checked_in} END, \
           checkin_method = CASE WHEN NOT ({member}) OR {b} < 71 THEN \
             CASE WHEN {b} % 10 < 6 AND {member} THEN 'qr' ELSE 'roster' END END, \
           outcome = CASE WHEN NOT ({member}) OR {b} < 71 THEN CASE WHEN {late} THEN 'late' ELSE 'present' END END \
         WHERE i.answer = 'pending' AND {past}",
        answered = plus_minutes(backend, "i.created_at", &format!("60 * (24 + {b})")),
        decided = plus_minutes(backend, "i.created_at", &format!("60 * (48 + {b})")),
        checked_in = plus_minutes(backend, starts, &format!("CASE WHEN {late} THEN 15 ELSE -({b} % 20) END")),
    );
    let changed = db.execute_raw(Statement::from_sql_and_values(backend, update, [now.into()])).await?.rows_affected();
    let log = format!(
        "INSERT INTO attendance_log (invitation_id, what, old_value, new_value, note, at) \
         SELECT i.id, 'answer', 'pending', CASE WHEN i.answer = 'leave_approved' THEN 'leave_requested' \
           ELSE i.answer END, i.leave_reason, i.answered_at FROM invitations i \
           WHERE i.answered_at IS NOT NULL AND {past} \
         UNION ALL SELECT i.id, 'leave', 'leave_requested', 'leave_approved', i.leave_note, i.leave_decided_at \
           FROM invitations i WHERE i.leave_decided_at IS NOT NULL AND {past} \
         UNION ALL SELECT i.id, 'checkin', NULL, i.outcome, i.checkin_method, i.checked_in_at \
           FROM invitations i WHERE i.checked_in_at IS NOT NULL AND {past}"
    );
    db.execute_raw(Statement::from_sql_and_values(backend, log, [now.into()])).await?;
    Ok(changed)
}

/// Ends every generated event whose end has passed, and drafts the reports of the last week's,
/// through the event clock's own rules (so that a server started on the data has nothing left
/// to catch up on while it is measured).
async fn finalise_all(db: &impl TransactionTrait, now: DateTime<Utc>) -> Result<usize, sea_orm::DbErr> {
    let mut done = 0;
    loop {
        // At most 500 a call, as the clock does every 30 seconds.
        match crate::attendance::service::finalise_due(db, now).await? {
            0 => break,
            n => done += n,
        }
    }
    // The built-in defaults' types (generate-bench runs without a server's settings).
    let kinds = crate::config::Config::from_toml(&[]).map(|s| s.report_kinds).unwrap_or_default();
    while crate::reports::service::draft_due(db, crate::i18n::Locale::ZhCn, &kinds, now).await? > 0 {}
    Ok(done)
}

/// The events of the attendance benchmark (`generate-bench --attendance`).
pub struct AttendanceBench {
    /// A joint conference 20 days ahead held by BIG-101 with BIG-102…BIG-200: 10,000 invitees.
    pub answer_event: (i64, u64),
    /// Plain answer-link tokens, one per invitation of the answer event.
    pub tokens: Vec<String>,
    /// A joint conference of BIG-002…BIG-021 that started ten minutes ago (check-in open).
    pub roster_event: (i64, u64),
    /// A joint conference of BIG-022…BIG-041 held yesterday, attendance recorded and finalised.
    pub summary_event: (i64, u64),
}

/// Adds the attendance benchmark's events to a generated association (after `generate_events`):
/// three joint conferences of many branches (every member invited, whatever their status), one
/// to answer, one under way for the roster, one ended with its attendance recorded. Creates one
/// answer-link token per invitation of the first, as its emails would, and returns them.
pub async fn generate_attendance(
    db: &DatabaseConnection,
    timezone: &str,
    association: &Association,
    now: DateTime<Utc>,
) -> anyhow::Result<AttendanceBench> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QuerySelect};

    use crate::outbox::entity::invitation_token;
    let tz: Tz = timezone.parse().map_err(|_| anyhow::anyhow!("not a time zone: {timezone}"))?;
    let branches = &association.branches;
    anyhow::ensure!(branches.len() >= 200, "the attendance benchmark needs 200 branches");
    let today = now.with_timezone(&tz).date_naive();
    let local = |days: i64, h: u32, m: u32| {
        let t = (today + Duration::days(days)).and_hms_opt(h, m, 0).unwrap_or_default();
        tz.from_local_datetime(&t).earliest().map_or(t.and_utc(), |t| t.to_utc())
    };
    let minute = now - Duration::seconds(chrono::Timelike::second(&now).into());
    let plans = [
        ("全区党员大会：学习贯彻党的二十届四中全会精神", 100..200, local(20, 9, 0), 150),
        ("支部联建现场推进会：党建引领医疗质量提升", 1..21, minute - Duration::minutes(10), 180),
        ("支部联建专题学习会：弘扬伟大建党精神", 21..41, local(-1, 14, 30), 120),
    ];
    let scope = Scope::operator();
    let mut made = Vec::new();
    let txn = db.begin().await?;
    for (title, holding, starts_at, minutes) in plans {
        let organiser = holding.start;
        let m = &association.members[organiser];
        let data = EventData {
            kind: EventKind::JointConference,
            title: title.to_owned(),
            topic: Some(TOPICS[0].to_owned()),
            description: "## 议程\n\n1. 集中学习\n2. 交流发言\n3. 上级领导讲话\n\n请提前 15 分钟签到。".to_owned(),
            starts_at,
            ends_at: starts_at + Duration::minutes(minutes),
            location: Some("高新区会议中心一号报告厅".to_owned()),
            host_member_id: m.first().copied(),
            host_guest_name: None,
            recorder_member_id: m.get(1).copied(),
            co_organisers: branches[holding.start + 1..holding.end].to_vec(),
            audience: Audience {
                kind: AudienceKind::Branches,
                group_id: None,
                picks: Vec::new(),
                statuses: PoliticalStatus::ALL.to_vec(),
            },
            capacity: None,
            answer_deadline: Some(starts_at - Duration::days(2)).filter(|d| *d > now),
        };
        let at = (starts_at - Duration::days(14)).min(now);
        let id = service::create(&txn, &scope, branches[organiser], &data, at)
            .await
            .map_err(|e| anyhow::anyhow!("a benchmark event was refused: {e:?}"))?;
        service::schedule(&txn, &scope, id, at).await?;
        let invitees = invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).count(&txn).await?;
        made.push((id, invitees));
    }
    let answer_event = made[0].0;
    let ids: Vec<i64> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .filter(invitation::Column::EventId.eq(answer_event))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut tokens = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let rows = chunk.iter().map(|id| {
            let token = crate::crypto::random_token();
            let row = invitation_token::ActiveModel {
                token_hash: sea_orm::Set(crate::crypto::token_hash(&token)),
                invitation_id: sea_orm::Set(*id),
                created_at: sea_orm::Set(now),
            };
            tokens.push(token);
            row
        });
        invitation_token::Entity::insert_many(rows.collect::<Vec<_>>()).exec(&txn).await?;
    }
    bulk_past_attendance(&txn, now).await?;
    txn.commit().await?;
    finalise_all(db, now).await?;
    record_as_sent(db, None).await?;
    Ok(AttendanceBench { answer_event: made[0], tokens, roster_event: made[1], summary_event: made[2] })
}

/// Records queued messages (of the given events, or all) as sent when they were queued: made-up
/// history was mailed when it happened, so a server started afterwards does not send it now.
async fn record_as_sent(db: &impl ConnectionTrait, events: Option<Vec<i64>>) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value("sent"))
        .col_expr(outbox::Column::SentAt, Expr::col(outbox::Column::CreatedAt))
        .col_expr(outbox::Column::Attempts, Expr::value(1))
        .filter(outbox::Column::State.eq("queued"));
    if let Some(ids) = events {
        update = update.filter(outbox::Column::EventId.is_in(ids));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// A calendar feed address for a branch (a new one: an earlier address stops working), as the
/// path the server answers it on.
pub async fn branch_feed<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    signer: &Signer,
    branch_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, usize)> {
    let row = feeds::renew(db, signer, FeedOwner::Branch(branch_id), now).await?;
    let events = feeds::events_of(db, FeedOwner::Branch(branch_id), now).await?.len();
    Ok((format!("/feeds/{}.ics", feeds::token(signer, &row)), events))
}

/// The minutes benchmark's records (bench/minutes): the held conference's minutes with 50
/// speeches (ten items of five, by its invitees) and a resolution, locked; and up to 50 of
/// `branch`'s past events of one year with locked minutes of the demo's party-day shape. Returns
/// the speeches written, the year and how many records it holds.
/// Published activity reports for the `n` most recent generated events that ended, each with a
/// lead and five paragraphs of the length a real post has, a third with a cover photo; published
/// a day after each event. Returns how many were made and the id of the newest.
pub async fn generate_reports(db: &DatabaseConnection, n: usize, now: DateTime<Utc>) -> anyhow::Result<(usize, i64)> {
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Query,
    };

    use crate::{
        events::{entity::event, rules::EventState},
        reports::{
            entity::{photo, report},
            photos,
            rules::ReportState,
        },
    };
    let has_report = Query::select().column(report::Column::EventId).from(report::Entity).to_owned();
    let ended: Vec<(i64, i64, String, DateTime<Utc>)> = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::BranchId, event::Column::Title, event::Column::StartsAt])
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::Id.not_in_subquery(has_report))
        .order_by_desc(event::Column::EndsAt)
        .limit(n as u64)
        .into_tuple()
        .all(db)
        .await?;
    let picture = photos::process(&demo_photo([196, 30, 58])).map_err(|e| anyhow::anyhow!("demo photo: {e:?}"))?;
    let speech = "在今后的工作中，要充分发挥专家优势，在科技创新和科技成果转化上下功夫，\
                  鼓励专家依托学会平台开展科学研究，让政策文件落地、实际行动落实，推动工作取得实效。";
    let mut newest = 0;
    let txn = crate::db::write_txn(db).await?;
    for chunk in ended.chunks(200) {
        let rows = chunk.iter().map(|(event, branch, title, starts)| {
            let at = (*starts + Duration::days(1)).min(now);
            let lead =
                format!("{}下午，{title}在学会会议室举行。支部全体党员参加活动。", starts.format("%Y年%-m月%-d日"));
            // The lead is stored once: the body follows it.
            let body = (1..=5).map(|i| format!("第{i}位发言的同志表示：{speech}")).collect::<Vec<_>>().join("\n\n");
            let title = format!("{title}顺利举行");
            let author = Some("党群服务与组织管理".to_owned());
            report::ActiveModel {
                event_id: Set(*event),
                branch_id: Set(*branch),
                state: Set(ReportState::Published),
                published_title: Set(Some(title.clone())),
                published_author_department: Set(author.clone()),
                published_shown_on: Set(Some(starts.date_naive())),
                published_summary: Set(Some(lead.clone())),
                published_body: Set(Some(body.clone())),
                title: Set(title),
                author_department: Set(author),
                shown_on: Set(starts.date_naive()),
                summary: Set(lead),
                body: Set(body),
                generated: Set("{}".to_owned()),
                created_at: Set(at),
                updated_at: Set(at),
                published_at: Set(Some(at)),
                revision: Set(1),
                cover_photo_id: Set(None),
                ..Default::default()
            }
        });
        report::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    // Every third report gets a cover photo (the same picture: the list shows only its address).
    let ids: Vec<i64> = report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .filter(report::Column::EventId.is_in(ended.iter().map(|e| e.0)))
        .order_by_asc(report::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    for id in ids.iter().step_by(3) {
        let p = photo::ActiveModel {
            report_id: Set(*id),
            caption: Set(Some("活动现场".to_owned())),
            width: Set(picture.width as i32),
            height: Set(picture.height as i32),
            image: Set(picture.image.clone()),
            thumb: Set(picture.thumb.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        report::Entity::update_many()
            .col_expr(report::Column::CoverPhotoId, sea_orm::sea_query::Expr::value(p.id))
            .filter(report::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    if let Some(first) = ended.first() {
        newest = report::Entity::find()
            .select_only()
            .column(report::Column::Id)
            .filter(report::Column::EventId.eq(first.0))
            .into_tuple()
            .one(&txn)
            .await?
            .unwrap_or(0);
    }
    txn.commit().await?;
    Ok((ids.len(), newest))
}

pub async fn generate_minutes(
    db: &DatabaseConnection,
    conference: i64,
    branch: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<(usize, i32, usize)> {
    use chrono::Datelike;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use crate::{
        events::{entity::event, rules::EventState},
        i18n::Locale,
        minutes::{
            rules::{Body, Item, Resolution, Speaker, Speech, SpeechRole, Votes},
            service::{self as minutes, SignAs},
        },
    };
    let scope = Scope::operator();
    let lock = |id: i64, body: Body, at: DateTime<Utc>| {
        let scope = scope.clone();
        async move {
            let opened = minutes::open(db, &Default::default(), &scope, id, Locale::ZhCn, at).await?;
            let revision = minutes::save(db, &scope, id, (&body, opened.minutes.revision), None, at).await?;
            minutes::submit(db, &scope, id, revision, at).await?;
            // Generated hosts and recorders have no accounts: the operator signs for them, marked.
            minutes::sign_for(db, &scope, id, SignAs::Recorder, revision, at).await?;
            minutes::sign_for(db, &scope, id, SignAs::Host, revision, at).await?;
            anyhow::Ok(())
        }
    };
    let people = crate::attendance::service::history::people(db, conference).await?;
    let speakers: Vec<Speaker> = people
        .iter()
        .filter(|p| p.attended())
        .filter_map(|p| Some(Speaker::Member { id: p.member_id?, name: p.name.clone() }))
        .take(50)
        .collect();
    let summary = "结合本单位实际，围绕**学习贯彻全会精神**谈体会：一是提高政治站位；二是立足岗位职责；\
                   三是推动医疗质量持续改进。下一步将把学习成果转化为服务会员和患者的具体举措。";
    let items = (0..10)
        .map(|i| Item {
            title: format!("第{}项议程", i + 1),
            speeches: speakers
                .iter()
                .skip(i * 5)
                .take(5)
                .map(|s| Speech {
                    speaker: Some(s.clone()),
                    post: "科室主任".to_owned(),
                    role: SpeechRole::Exchange,
                    summary: summary.to_owned(),
                })
                .collect(),
            resolutions: if i == 9 {
                vec![Resolution {
                    text: "通过本次会议形成的工作安排。".to_owned(),
                    votes: Some(Votes { in_favour: 10, against: 0, abstaining: 0 }),
                }]
            } else {
                Vec::new()
            },
            actions: Vec::new(),
        })
        .collect();
    let held = event::Entity::find_by_id(conference).one(db).await?.ok_or_else(|| anyhow::anyhow!("no conference"))?;
    lock(conference, Body { items }, held.ends_at.min(now)).await?;

    let past = event::Entity::find()
        .filter(event::Column::BranchId.eq(branch))
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::EndsAt.lt(now))
        .order_by_desc(event::Column::StartsAt)
        .limit(200)
        .all(db)
        .await?;
    let tz: Tz = crate::branches::service::zone_of(db, branch).await?;
    let Some(year) = past.first().map(|e| e.starts_at.with_timezone(&tz).year()) else { return Ok((50, 0, 0)) };
    let shaped = Body {
        items: vec![
            Item { title: "重温入党誓词".to_owned(), ..Item::default() },
            Item {
                title: "交流发言".to_owned(),
                speeches: speakers
                    .iter()
                    .take(3)
                    .map(|s| Speech {
                        speaker: Some(s.clone()),
                        post: "党员".to_owned(),
                        role: SpeechRole::Exchange,
                        summary: summary.to_owned(),
                    })
                    .collect(),
                ..Item::default()
            },
        ],
    };
    let mut records = 0;
    for e in past.iter().filter(|e| e.starts_at.with_timezone(&tz).year() == year).take(50) {
        lock(e.id, shaped.clone(), e.ends_at.min(now)).await?;
        records += 1;
    }
    Ok((speakers.len(), year, records))
}
