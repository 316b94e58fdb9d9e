//! The event clock: events that ended while no server was running are ended and their
//! attendance settled when a server starts, once, even when two instances start together.
use partyday::{
    accounts::Role,
    events::entity::{event, invitation},
    forms::Choice,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::{
    events::{form, id_from, post},
    helpers::TestApp,
};

async fn invitation_of(app: &TestApp, event_id: i64, member: i64) -> invitation::Model {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .filter(invitation::Column::MemberId.eq(member))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("invited")
}

#[tokio::test]
async fn events_that_ended_while_no_server_ran_are_settled_at_start_up_once() {
    let (app, tree, secretary) = crate::events::setup().await;
    let on_leave = app.add_member(tree.a, "请假者").await;
    let absent = app.add_member(tree.a, "缺席者").await;
    let came = app.add_member(tree.a, "出席者").await;
    let resp = post(&secretary, "/events", &form(tree.a)).await;
    let id = id_from(resp.assert_status(303).location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);

    let member = app.login_linked(Role::Member, on_leave).await;
    member.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);
    let inv = invitation_of(&app, id, on_leave).await;
    let path = format!("/events/{id}/attendance/{}/leave", inv.id);
    secretary.post(&path, &[("decision", "approve"), ("note", "同意")]).await.assert_status(303);

    // The server stops; meanwhile the event takes place (one member checked in) and ends.
    let (db, dir) = (app.db.clone(), app.data_dir.clone());
    let state = app.state.clone();
    app.stop().await;
    let now = chrono::Utc::now();
    let e = event::Entity::find_by_id(id).one(&state.db).await.unwrap().unwrap();
    let mut m: event::ActiveModel = e.into();
    m.starts_at = Set(now - chrono::Duration::hours(3));
    m.ends_at = Set(now - chrono::Duration::hours(1));
    m.update(&state.db).await.unwrap();
    let mut inv: invitation::ActiveModel = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(id))
        .filter(invitation::Column::MemberId.eq(came))
        .one(&state.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    inv.checked_in_at = Set(Some(now - chrono::Duration::hours(2)));
    inv.checkin_method = Set(Some("qr".to_owned()));
    inv.outcome = Set(Some(partyday::invitations::Outcome::Present));
    inv.update(&state.db).await.unwrap();

    // Two instances start together; each runs the clock at start-up.
    let clock = "[workers]\nevent_clock = true";
    let (one, two) = tokio::join!(TestApp::start(db.clone(), dir.clone(), clock), TestApp::start(db, dir, clock));
    let mut finalised_at = None;
    for _ in 0..100 {
        finalised_at = event::Entity::find_by_id(id).one(&one.state.db).await.unwrap().unwrap().finalised_at;
        if finalised_at.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let finalised_at = finalised_at.expect("the event is finalised at start-up");
    let e = event::Entity::find_by_id(id).one(&one.state.db).await.unwrap().unwrap();
    assert_eq!(e.state, partyday::events::rules::EventState::Ended);

    let leave = invitation_of(&one, id, on_leave).await;
    assert_eq!((leave.outcome.map(|o| o.key()), leave.makeup_required), (Some("excused"), true));
    let missing = invitation_of(&one, id, absent).await;
    assert_eq!((missing.outcome.map(|o| o.key()), missing.makeup_required), (Some("absent"), true));
    let present = invitation_of(&one, id, came).await;
    assert_eq!((present.outcome.map(|o| o.key()), present.makeup_required), (Some("present"), false));

    // Nothing is left to finalise, and the claim keeps its time.
    assert_eq!(partyday::attendance::service::finalise_due(&two.state.db, chrono::Utc::now()).await.unwrap(), 0);
    let again = event::Entity::find_by_id(id).one(&two.state.db).await.unwrap().unwrap();
    assert_eq!(again.finalised_at, Some(finalised_at));
    one.stop().await;
    two.stop().await;
}
