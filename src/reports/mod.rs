//! Activity reports (活动报道): the post a branch publishes on its association's Activities page
//! after a party day or a conference. This first part holds the draft's words: what Partyday
//! writes from the event, its attendance and its minutes, in the house style of our first user.
pub mod rules;
