//! Small things that tripped users (issue 29, "Minutes, reports and mail, smaller"): which
//! answer button leads, what the roster says once someone is marked, how the author of a report
//! is named, and the Chinese text's own punctuation and name.
use chrono::Duration;
use partyday::accounts::Role;

use crate::{
    attendance::{inv_of, link_tokens, move_to, scheduled, setup, tap},
    summary::tags,
};

/// The answer buttons of a page: each form's answer and its button's class (None: the primary).
fn answer_buttons(body: &str) -> Vec<(String, Option<String>)> {
    let all = tags(body);
    let mut out = Vec::new();
    for (i, t) in all.iter().enumerate() {
        if t.name == "input" && t.attr("name") == Some("answer") && t.attr("type") == Some("hidden") {
            let value = t.attr("value").unwrap_or_default().to_owned();
            let button = all[i..].iter().find(|b| b.name == "button").expect("a button after the answer");
            out.push((value, button.attr("class").map(str::to_owned)));
        }
    }
    out
}

#[tokio::test]
async fn taking_part_is_the_primary_answer_and_the_others_are_secondary() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::days(3), 120), &[]).await;
    let inv = inv_of(&app, id, member).await.id;
    let token = link_tokens(&app, id, &[inv]).await.remove(&inv).unwrap();
    let visitor = app.client();
    let secondary = Some("secondary".to_owned());

    // The email's landing page, no answer chosen: accept leads.
    let page = visitor.get(&format!("/answer/{token}")).await;
    page.assert_status(200);
    assert_eq!(
        answer_buttons(&page.body),
        [
            ("accept".to_owned(), None),
            ("decline".to_owned(), secondary.clone()),
            ("leave".to_owned(), secondary.clone())
        ]
    );
    // From the email's "decline" link: that answer alone, confirmed with the primary button.
    let page = visitor.get(&format!("/answer/{token}?a=decline")).await;
    assert_eq!(answer_buttons(&page.body), [("decline".to_owned(), None)]);

    // The event's page, for the member signed in: the same order of strength.
    let client = app.login_linked(Role::Member, member).await;
    let page = client.get(&format!("/events/{id}")).await;
    page.assert_status(200);
    assert_eq!(
        answer_buttons(&page.body),
        [("accept".to_owned(), None), ("decline".to_owned(), secondary.clone()), ("leave".to_owned(), secondary)]
    );
}

/// The roster's line of one invitation.
fn line(body: &str, inv: i64) -> &str {
    let start = body.find(&format!("id=\"p{inv}\"")).unwrap_or_else(|| panic!("no line p{inv}:\n{body}"));
    let end = body[start..].find("</li>").or_else(|| body[start..].find("</tr>")).unwrap() + start;
    &body[start..end]
}

#[tokio::test]
async fn a_member_marked_present_is_no_longer_not_answered_on_the_roster() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &[]).await;
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    move_to(&app, starts + Duration::minutes(5));
    let inv = inv_of(&app, id, member).await.id;
    let roster = format!("/events/{id}/roster");
    let before = s.client.get(&roster).await;
    assert!(line(&before.body, inv).contains("尚未回复"), "{}", line(&before.body, inv));

    assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    let after = s.client.get(&roster).await;
    let row = line(&after.body, inv);
    assert!(!row.contains("尚未回复"), "{row}");
    assert!(row.contains("出席"), "the outcome shows: {row}");
    let manage = s.client.get(&format!("/events/{id}/attendance")).await;
    let row = line(&manage.body, inv);
    assert!(!row.contains("尚未回复"), "{row}");
    assert!(row.contains("出席"), "{row}");
}

/// An invitation email as the folder transport wrote it, once written.
async fn invitation_mail(app: &crate::helpers::TestApp, event: i64, inv: i64) -> String {
    let file = app.data_dir.path().join("mail").join(format!("invitation.{inv}.e{event}.eml"));
    for _ in 0..300 {
        if let Ok(data) = std::fs::read_to_string(&file) {
            return data;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no invitation email at {}", file.display());
}

#[tokio::test]
async fn chinese_text_says_its_own_name_punctuation_and_names_a_zone_only_when_it_is_another() {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::days(3), 120), &[]).await;
    let inv = inv_of(&app, id, member).await.id;
    let data = invitation_mail(&app, id, inv).await;
    let mut parts = crate::smtp::parts(&data);
    let (text, html) = (parts.remove("text/plain").unwrap().0, parts.remove("text/html").unwrap().0);
    // (The calendar part's PRODID names the program for machines, not people.)
    for shown in [&text, &html] {
        assert!(!shown.contains("Partyday"), "the name in Chinese mail is 党建活动日:\n{shown}");
    }
    assert!(!text.contains("Asia/Shanghai"), "the association's own zone goes unsaid: {text}");
    assert!(text.contains("活动时间：") || text.contains("时间："), "full-width colons: {text}");
    assert!(!text.lines().any(|l| l.contains(": ") && !l.contains("http")), "no ASCII colon in prose: {text}");
    let token = link_tokens(&app, id, &[inv]).await.remove(&inv).unwrap();
    app.client().get(&format!("/answer/{token}")).await.assert_lacks("Asia/Shanghai");

    // A branch in another zone: its times say which, in Chinese brackets.
    let branch = partyday::branches::entity::branch::Entity::find_by_id(tree.a).one(&app.state.db).await.unwrap();
    let mut branch: partyday::branches::entity::branch::ActiveModel = branch.unwrap().into();
    branch.timezone = Set("Asia/Tokyo".to_owned());
    branch.update(&app.state.db).await.unwrap();
    let other = scheduled(&app, &s.client, tree.a, (Duration::days(4), 60), &[]).await;
    let inv = inv_of(&app, other, member).await.id;
    let text = crate::smtp::parts(&invitation_mail(&app, other, inv).await).remove("text/plain").unwrap().0;
    assert!(text.contains("（Asia/Tokyo）"), "{text}");
    let token = link_tokens(&app, other, &[inv]).await.remove(&inv).unwrap();
    app.client().get(&format!("/answer/{token}")).await.assert_contains("（Asia/Tokyo）");
    s.client.get(&format!("/events/{other}")).await.assert_contains("（Asia/Tokyo）");
}

/// The text between `before` and the next `after`.
fn between<'a>(body: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = body.find(before)? + before.len();
    Some(&body[start..start + body[start..].find(after)?])
}

#[tokio::test]
async fn a_reports_author_reads_the_same_in_the_list_the_post_and_the_feed() {
    let app = crate::helpers::TestApp::spawn_with("[reports]\npublish_by = \"secretary\"").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let id = crate::reports::reported(&app, &s, tree.a, &[], &[]).await;
    let r = crate::reports::report_of(&app, id).await;
    // Drafted with the branch's byline stored on it (no department is configured for it).
    let author = r.author_department.clone().expect("the draft names its author");
    let rev = r.revision.to_string();
    s.client
        .post(&format!("/events/{id}/report/step"), &[("step", "publish"), ("note", ""), ("revision", &rev)])
        .await
        .assert_status(303);
    let r = crate::reports::report_of(&app, id).await;
    assert_eq!(r.published_author_department.as_deref(), Some(author.as_str()));

    let visitor = app.client();
    let list = visitor.get("/activities").await;
    let post = visitor.get(&format!("/activities/{}", r.id)).await;
    let feed = visitor.get("/activities/feed.atom").await;
    let in_list = between(&list.body, "<span class=\"author\">", "</span>");
    let in_post = between(&post.body, "<span class=\"author\">", "</span>");
    let entry = between(&feed.body, "<entry>", "</entry>").expect("an entry");
    let in_feed = between(entry, "<author><name>", "</name>");
    assert_eq!([in_list, in_post, in_feed], [Some(author.as_str()); 3], "one author, one way");
    post.assert_lacks("署名：");
}
