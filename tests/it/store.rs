//! The Store contract, run against SQLite and PostgreSQL alike.

use crate::common::*;
use cairn::domain::ids::{ChannelId, TeamId, UserId};
use cairn::store::{
    self, Delivery, KudosQuery, NewEvidence, NewKudos, Occurrence, OrgPerson, Outcome, Person,
    Prompt, Role, Schedule, Slot, Source, Sphere, SummaryView, Visibility,
};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashSet;
use std::time::Duration;

fn kudos(team: &str, giver: &str, to: &[&str], text: &str) -> NewKudos {
    NewKudos {
        team_id: TeamId::parse(team).unwrap(),
        team_domain: Some("acme".into()),
        giver: UserId::parse(giver).unwrap(),
        recipients: to.iter().map(|u| UserId::parse(u).unwrap()).collect(),
        competencies: vec!["technical".into()],
        multiplier_kinds: vec!["mentoring".into(), "review".into()],
        text: text.into(),
        channel_id: Some(ChannelId::parse("C1").unwrap()),
        visibility: Visibility::Public,
        framework_id: "matrix-3x3".into(),
        framework_version: "1.0.0".into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
        // The first receiver is a teammate, the others from elsewhere in the org.
        spheres: (0..to.len())
            .map(|i| if i == 0 { Sphere::Team } else { Sphere::Org })
            .collect(),
        deliveries: to
            .iter()
            .map(|u| message(&format!("dm:{u}"), u, "hi"))
            .collect(),
    }
}

/// A plain message to `channel` for the outbox, due at once.
fn message(key: &str, channel: &str, text: &str) -> Delivery {
    Delivery {
        slot: None,
        action: Default::default(),
        key: key.into(),
        channel: channel.into(),
        text: text.into(),
        blocks: serde_json::json!([]),
    }
}

fn query(team: &str) -> KudosQuery {
    KudosQuery {
        team_id: team.into(),
        user: None,
        role: None,
        from: None,
        to: None,
        limit: 50,
        before_id: None,
        include_private: false,
    }
}

both_backends! {
    async fn kudos_round_trip_with_children_and_privacy(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let id = s.record_kudos(kudos("T1", "U1", &["U2", "U3"], "thanks")).await.unwrap();
        let mut private = kudos("T1", "U2", &["U1"], "secret");
        private.visibility = Visibility::Private;
        s.record_kudos(private).await.unwrap();
        s.record_kudos(kudos("T2", "U1", &["U2"], "other team")).await.unwrap();

        let page = s.list_kudos(&query("T1")).await.unwrap();
        assert_eq!(page.items.len(), 1, "private kudos are left out");
        let k = &page.items[0];
        assert_eq!((k.id, k.giver.as_str(), k.text.as_str()), (id, "U1", "thanks"));
        assert_eq!(k.recipients, ["U2", "U3"]);
        assert_eq!(k.competencies, ["technical"]);
        assert_eq!(k.multiplier_kinds, ["mentoring", "review"]);
        assert_eq!(k.created_at, Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
        assert_eq!(k.framework_id, "matrix-3x3");

        let all = s.list_kudos(&KudosQuery { include_private: true, ..query("T1") }).await.unwrap();
        assert_eq!(all.items.len(), 2);
        let received = s.list_kudos(&KudosQuery { user: Some("U3".into()), role: Some(Role::Received), ..query("T1") }).await.unwrap();
        assert_eq!(received.items.len(), 1);
        let mut teams = s.workspaces().await.unwrap();
        teams.sort();
        assert_eq!(teams, ["T1", "T2"]);
        // One outbox row per delivery, keyed by the kudos.
        let rows = s.outbox_rows("T1").await.unwrap();
        let keys: Vec<_> = rows.iter().map(|r| r.dedupe_key.as_str()).collect();
        assert_eq!(keys[..2], [format!("kudos:{id}:dm:U2"), format!("kudos:{id}:dm:U3")]);
        s.close().await;
    }

    async fn kudos_written_together_each_keep_their_own_children(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        // Submitted together, so they share a batch; each has its own receivers, tags and DMs,
        // and the third is paced (its DM due a minute later, and put off).
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let writes = (0..12).map(|i| {
            let s = s.clone();
            let (a, b) = (format!("U{i}A"), format!("U{i}B"));
            let mut k = kudos("T1", "U9", &[&a, &b], &format!("kudos {i}"));
            k.competencies = vec![format!("skill-{i}")];
            k.multiplier_kinds = vec![];
            k.spheres = vec![Sphere::Group, Sphere::Org];
            k.deliveries = vec![message(&format!("dm:{a}"), &a, &format!("\"{i}\" ✓ to A")), message(&format!("dm:{b}"), &b, "to B")];
            if i == 2 {
                k.deliveries[0].slot = Some(at + chrono::Duration::minutes(1));
            }
            tokio::spawn(async move { (i, s.record_kudos(k).await.unwrap()) })
        });
        let ids: Vec<(usize, i64)> = futures_join(writes).await;
        let page = s.list_kudos(&query("T1")).await.unwrap();
        assert_eq!(page.items.len(), 12);
        for (i, id) in &ids {
            let k = page.items.iter().find(|k| k.id == *id).unwrap();
            assert_eq!(k.text, format!("kudos {i}"));
            assert_eq!(k.recipients, [format!("U{i}A"), format!("U{i}B")]);
            assert_eq!(k.competencies, [format!("skill-{i}")]);
            let about_b = s.items_about("T1", &format!("U{i}B"), at, at + chrono::Duration::days(1)).await.unwrap();
            assert_eq!((about_b.len(), about_b[0].id.clone(), about_b[0].sphere), (1, format!("kudos:{id}"), Sphere::Org));
        }
        let lease = std::time::Duration::from_secs(60);
        let mut sent = s.claim_outbox("w1", at, lease, 100).await.unwrap();
        assert_eq!(sent.len(), 23, "all but the paced DM are due at once");
        let paced = s.claim_outbox("w1", at + chrono::Duration::minutes(1), lease, 100).await.unwrap();
        assert_eq!(paced.len(), 1);
        assert_eq!(paced[0].dedupe_key, format!("kudos:{}:dm:U2A", ids[2].1));
        sent.extend(paced);
        for (i, id) in &ids {
            let to_a = sent.iter().find(|m| m.dedupe_key == format!("kudos:{id}:dm:U{i}A")).unwrap();
            assert_eq!((to_a.channel.clone(), to_a.text.clone()), (format!("U{i}A"), format!("\"{i}\" ✓ to A")));
            assert_eq!(to_a.put_off, *i == 2, "only the paced DM was put off");
            let to_b = sent.iter().find(|m| m.dedupe_key == format!("kudos:{id}:dm:U{i}B")).unwrap();
            assert_eq!((to_b.channel.as_str(), to_b.text.as_str()), (format!("U{i}B").as_str(), "to B"));
        }
        s.close().await;
    }

    async fn a_write_that_fails_part_way_leaves_nothing_and_the_next_is_written(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let note = |key: &str| message(key, "U1", "could not do that");
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        db.refuse_inserts("outbox").await;
        assert!(s.enqueue("T1", &[note("first")], now).await.is_err());
        db.allow_inserts("outbox").await;
        // The failed transaction was undone, not left open on the writer.
        s.enqueue("T1", &[note("second")], now).await.unwrap();
        let keys: Vec<_> = s.outbox_rows("T1").await.unwrap().into_iter().map(|r| r.dedupe_key).collect();
        assert_eq!(keys, ["second"]);
        s.close().await;
    }

    async fn a_kudos_too_big_for_one_call_is_written_whole(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        // 7,000 receivers, each with a DM: more values than SQLite binds in one call.
        let people: Vec<String> = (0..7_000).map(|i| format!("U{i:05}")).collect();
        let refs: Vec<&str> = people.iter().map(String::as_str).collect();
        let id = s.record_kudos(kudos("T1", "U1", &refs, "everyone")).await.unwrap();
        let page = s.list_kudos(&query("T1")).await.unwrap();
        assert_eq!((page.items[0].id, page.items[0].recipients.len()), (id, 7_000));
        assert_eq!(s.outbox_counts().await.unwrap().pending, 7_000);
        s.close().await;
    }

    async fn items_about_a_person_carry_the_sphere_of_the_day(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let k = s.record_kudos(kudos("T1", "U1", &["U2", "U3"], "thanks")).await.unwrap();
        let mut private = kudos("T1", "U4", &["U3"], "between us");
        private.visibility = Visibility::Private;
        s.record_kudos(private).await.unwrap();
        let e = s.record_evidence(NewEvidence {
            team_id: TeamId::parse("T1").unwrap(),
            subject: UserId::parse("U3").unwrap(),
            author: UserId::parse("U3").unwrap(),
            source: Source::SelfLogged,
            text: "ran the incident review".into(),
            permalink: None,
            source_key: None,
            visibility: Visibility::Private,
            competencies: vec!["technical".into()],
            multiplier_kinds: vec!["mentoring".into()],
            sphere: Some("group".into()),
            people: vec![UserId::parse("U5").unwrap()],
            framework_id: "matrix-3x3".into(),
            framework_version: "1.0.0".into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
            deliveries: Vec::new(),
        }).await.unwrap();
        let (from, to) = (Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap());
        let mut items = s.items_about("T1", "U3", from, to).await.unwrap();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(items.len(), 3);
        let thanks = items.iter().find(|i| i.id == format!("kudos:{k}")).unwrap();
        assert_eq!((thanks.sphere, thanks.author.as_str(), thanks.source), (Sphere::Org, "U1", Source::Kudos));
        assert_eq!((thanks.competencies.clone(), thanks.multiplier_kinds.clone()), (vec!["technical".to_owned()], vec!["mentoring".to_owned(), "review".to_owned()]));
        let logged = items.iter().find(|i| i.id == format!("evidence:{e}")).unwrap();
        assert_eq!((logged.sphere, logged.declared, logged.people.clone()), (Sphere::Group, true, vec!["U5".to_owned()]));
        assert_eq!(s.items_about("T1", "U2", from, to).await.unwrap()[0].sphere, Sphere::Team);
        // The period is half-open.
        assert!(s.items_about("T1", "U3", from, Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()).await.unwrap().is_empty());
        assert_eq!(s.kudos_given_count("T1", "U4", from, to, false).await.unwrap(), 0);
        assert_eq!(s.kudos_given_count("T1", "U4", from, to, true).await.unwrap(), 1);
        assert_eq!(s.kudos_given_count("T1", "U1", from, to, false).await.unwrap(), 1);
    }

    async fn the_org_chart_places_people_and_chains_managers(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        // A Slack profile first: the import keeps it.
        s.upsert_person(&Person { team_id: "T1".into(), user_id: "U3".into(), name: Some("cy".into()), real_name: Some("Cy Slack".into()), tz: Some("Europe/Berlin".into()), is_bot: false, deleted: false, updated_at: Utc::now() }).await.unwrap();
        let person = |u: &str, team: &str, manager: Option<&str>| OrgPerson {
            user_id: u.into(), name: Some(format!("Name {u}")), email: None,
            team: Some(team.into()), group: Some("g".into()), manager: manager.map(Into::into), ..Default::default()
        };
        let chart = vec![person("U1", "lead", None), person("U2", "lead", Some("U1")), person("U3", "pay", Some("U2"))];
        s.import_org("T1", &chart, Utc::now()).await.unwrap();
        s.import_org("T1", &chart, Utc::now()).await.unwrap();
        assert_eq!(s.org_chart("T1").await.unwrap(), chart);
        assert!(s.org_chart("T2").await.unwrap().is_empty());
        assert_eq!(s.manager_chain("T1", "U3").await.unwrap(), ["U2", "U1"]);
        assert!(s.manager_chain("T1", "U1").await.unwrap().is_empty());
        let known = s.org_people("T1", &["U3".into(), "U9".into()]).await.unwrap();
        assert_eq!(known.len(), 1);
        assert_eq!(known["U3"].team.as_deref(), Some("pay"));
        let profile = s.person("T1", "U3").await.unwrap().unwrap();
        assert_eq!(profile.tz.as_deref(), Some("Europe/Berlin"));
        // Views are kept for the person to see.
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let view = SummaryView { team_id: "T1".into(), subject: "U3".into(), viewer: "U2".into(), what: "summary".into(), via: "slack".into(), viewed_at: at };
        s.record_views(std::slice::from_ref(&view)).await.unwrap();
        assert_eq!(s.views_of("T1", "U3", at - chrono::Duration::days(1)).await.unwrap(), [view]);
        assert!(s.views_of("T1", "U3", at + chrono::Duration::days(1)).await.unwrap().is_empty());
    }

    async fn people_are_upserted(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let mut p = Person {
            team_id: "T1".into(), user_id: "U1".into(), name: Some("ana".into()), real_name: None,
            tz: Some("Europe/Lisbon".into()), is_bot: false, deleted: false,
            updated_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        };
        s.upsert_person(&p).await.unwrap();
        p.deleted = true;
        p.real_name = Some("Ana Lima".into());
        s.upsert_person(&p).await.unwrap();
        assert_eq!(s.person("T1", "U1").await.unwrap(), Some(p));
        assert_eq!(s.person("T1", "U9").await.unwrap(), None);
        s.close().await;
    }

    async fn items_about_many_people_match_items_about_each(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        s.record_kudos(kudos("T1", "U1", &["U2", "U3"], "thanks")).await.unwrap();
        s.record_kudos(kudos("T1", "U2", &["U3"], "again")).await.unwrap();
        s.record_kudos(kudos("T2", "U1", &["U3"], "other team")).await.unwrap();
        let (from, to) = (Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap());
        let people: Vec<(String, String)> = [("T1", "U2"), ("T1", "U3"), ("T2", "U3"), ("T1", "U9")]
            .iter()
            .map(|(t, u)| (t.to_string(), u.to_string()))
            .collect();
        let many = s.items_about_many(&people, from, to).await.unwrap();
        assert_eq!(many.len(), 3, "someone with no items is left out");
        for (team, user) in &people[..3] {
            let one = s.items_about(team, user, from, to).await.unwrap();
            let ids = |items: &[store::Item]| items.iter().map(|i| (i.id.clone(), i.subject.clone(), i.competencies.clone())).collect::<Vec<_>>();
            assert_eq!(ids(&many[&(team.clone(), user.clone())]), ids(&one), "{team} {user}");
        }
        assert_eq!(many[&("T1".into(), "U3".into())].len(), 2);
        s.close().await;
    }

    async fn a_finished_batch_sends_each_prompt_once(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
        let d0 = t0.date_naive();
        let minute = chrono::Duration::minutes(1);
        s.upsert_person(&Person { team_id: "T1".into(), user_id: "U1".into(), name: Some("ana".into()), real_name: None, tz: Some("UTC".into()), is_bot: false, deleted: false, updated_at: t0 }).await.unwrap();
        let due = |user: &str| Schedule { next: Some(Occurrence { at: t0, local_date: d0 }), ..Schedule::new("T1", user, Slot::DEFAULT) };
        for user in ["U1", "U2", "U3"] {
            s.save_schedule(&due(user), t0, false).await.unwrap();
        }
        let claimed = s.claim_schedules(t0, t0 + minute * 5, 10).await.unwrap();
        let profiles: Vec<_> = claimed.iter().map(|d| (d.schedule.user_id.as_str(), d.person.as_ref().map(|p| p.user_id.as_str()))).collect();
        assert_eq!(profiles.len(), 3);
        assert!(profiles.contains(&("U1", Some("U1"))) && profiles.contains(&("U2", None)), "{profiles:?}");
        assert!(s.claim_schedules(t0, t0 + minute * 5, 10).await.unwrap().is_empty(), "leased");

        let weekly = |channel: &str| Prompt {
            kind: "weekly",
            local_date: d0,
            delivery: message(&format!("prompt:{d0}"), channel, "how was the week?"),
        };
        let moved = |user: &str, next: DateTime<Utc>| Schedule {
            next: Some(Occurrence { at: next, local_date: next.date_naive() }),
            last_local_date: Some(d0),
            ..Schedule::new("T1", user, Slot::DEFAULT)
        };
        // U1's prompt twice in one batch (and U3 left leased).
        let batch = vec![
            (moved("U1", t0 + minute), vec![weekly("first"), weekly("second")]),
            (moved("U2", t0 + chrono::Duration::days(7)), vec![weekly("U2")]),
        ];
        s.finish_schedules(&batch, t0).await.unwrap();
        let rows = s.outbox_rows("T1").await.unwrap();
        let sent: Vec<_> = rows.iter().map(|r| (r.dedupe_key.as_str(), r.channel.as_str())).collect();
        let (k1, k2) = (format!("prompt:weekly:U1:{d0}"), format!("prompt:weekly:U2:{d0}"));
        assert_eq!(sent, [(k1.as_str(), "first"), (k2.as_str(), "U2")]);
        let stored = s.schedule("T1", "U1").await.unwrap().unwrap();
        assert_eq!((stored.next.map(|n| n.at), stored.last_local_date), (Some(t0 + minute), Some(d0)));
        // The leases are released: U1, due again, is claimed; U3 is still leased.
        let again = s.claim_schedules(t0 + minute, t0 + minute * 6, 10).await.unwrap();
        assert_eq!(again.iter().map(|d| d.schedule.user_id.as_str()).collect::<Vec<_>>(), ["U1"]);
        // A prompt recorded already (a restart, another replica) is not sent again, and the
        // schedule still moves on.
        let done = Schedule { next: None, ..moved("U1", t0) };
        s.finish_schedules(&[(done, vec![weekly("third")])], t0 + minute).await.unwrap();
        assert_eq!(s.outbox_rows("T1").await.unwrap().len(), 2);
        assert_eq!(s.schedule("T1", "U1").await.unwrap().unwrap().next, None);
        s.finish_schedules(&[], t0).await.unwrap();
        s.close().await;
    }

    async fn concurrent_claimers_never_share_a_row(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let people: Vec<String> = (0..40).map(|i| format!("U{i:03}")).collect();
        let refs: Vec<&str> = people.iter().map(String::as_str).collect();
        for chunk in refs.chunks(10) {
            s.record_kudos(kudos("T1", "U999", chunk, "thanks")).await.unwrap();
        }
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let claims = (0..4).map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = s.claim_outbox(&format!("w{w}"), now, Duration::from_secs(60), 3).await.unwrap();
                    if batch.is_empty() { break mine; }
                    mine.extend(batch.into_iter().map(|m| m.id));
                }
            })
        });
        let mut seen = HashSet::new();
        let mut total = 0;
        for claim in claims {
            for id in claim.await.unwrap() {
                total += 1;
                assert!(seen.insert(id), "row {id} claimed twice");
            }
        }
        assert_eq!(total, 40);
        let counts = s.outbox_counts().await.unwrap();
        assert_eq!(counts.pending, 40);
        s.close().await;
    }

    async fn outcomes_are_applied_together(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        s.record_kudos(kudos("T1", "U9", &["U1", "U2", "U3", "U4"], "thanks")).await.unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let claimed = s.claim_outbox("w", now, Duration::from_secs(60), 10).await.unwrap();
        let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
        let later = now + chrono::Duration::minutes(5);
        let outcomes = vec![
            (ids[0], Outcome::Sent { ts: "1.1".into() }),
            (ids[1], Outcome::Sent { ts: "1.2".into() }),
            (ids[2], Outcome::Retry { not_before: later, error: "Slack answered HTTP 503".into(), uncertain: false }),
            (ids[3], Outcome::Dead { error: "Slack API error: channel_not_found".into() }),
        ];
        s.outbox_finish("w", now, &outcomes).await.unwrap();
        let rows = s.outbox_rows("T1").await.unwrap();
        let summary: Vec<(&str, Option<&str>, Option<&str>)> =
            rows.iter().map(|r| (r.status.as_str(), r.slack_ts.as_deref(), r.last_error.as_deref())).collect();
        assert_eq!(summary, [
            ("sent", Some("1.1"), None),
            ("sent", Some("1.2"), None),
            ("pending", None, Some("Slack answered HTTP 503")),
            ("dead", None, Some("Slack API error: channel_not_found")),
        ]);
        // The retried row waits for its time; then it is claimed again.
        assert!(s.claim_outbox("w", now, Duration::from_secs(60), 10).await.unwrap().is_empty());
        let again = s.claim_outbox("w", later, Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[2]]);
        // Slack said no for sure: nothing to look for before sending again.
        assert_eq!(again[0].doubt_since, None);
        assert_eq!(s.outbox_counts().await.unwrap(), cairn::store::OutboxCounts { pending: 1, sent: 2, dead: 1 });
        s.close().await;
    }

    async fn an_unknown_outcome_puts_a_row_in_doubt(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        s.record_kudos(kudos("T1", "U9", &["U1", "U2", "U3"], "thanks")).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let lease = Duration::from_secs(60);
        let first = s.claim_outbox("dies", t0, lease, 10).await.unwrap();
        assert!(first.iter().all(|m| m.doubt_since.is_none()), "a fresh row is not in doubt");
        assert!(first.iter().all(|m| m.dedupe_key.starts_with("kudos:")), "{first:?}");
        // A worker that is still busy keeps its rows.
        s.outbox_extend_lease("dies", t0 + chrono::Duration::seconds(120)).await.unwrap();
        assert!(s.claim_outbox("next", t0 + chrono::Duration::seconds(90), lease, 10).await.unwrap().is_empty());
        // Then it dies: once the lease runs out, every row is in doubt since its claim.
        let t1 = t0 + chrono::Duration::seconds(121);
        let second = s.claim_outbox("next", t1, lease, 10).await.unwrap();
        assert_eq!(second.len(), 3);
        assert!(second.iter().all(|m| m.doubt_since == Some(t0)), "{second:?}");
        // A timeout keeps it in doubt from the first time, a sure refusal does not clear it,
        // and only the row sent leaves the queue.
        let t2 = t1 + chrono::Duration::seconds(10);
        let outcomes = vec![
            (second[0].id, Outcome::Retry { not_before: t2, error: "timed out".into(), uncertain: true }),
            (second[1].id, Outcome::Retry { not_before: t2, error: "HTTP 400".into(), uncertain: false }),
            (second[2].id, Outcome::Sent { ts: "1.1".into() }),
        ];
        s.outbox_finish("next", t1, &outcomes).await.unwrap();
        let third = s.claim_outbox("last", t2, lease, 10).await.unwrap();
        assert_eq!(third.iter().map(|m| (m.id, m.doubt_since)).collect::<Vec<_>>(),
                   [(second[0].id, Some(t0)), (second[1].id, Some(t0))]);
        s.close().await;
    }

    async fn a_bad_kudos_fails_alone_in_its_batch(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        // Submitted together, so they share a transaction; the bad one names a recipient twice.
        let writes = (0..8).map(|i| {
            let s = s.clone();
            let k = if i == 3 { kudos("T1", "U9", &["U1", "U1"], "bad") } else { kudos("T1", "U9", &["U1"], &format!("good {i}")) };
            tokio::spawn(async move { s.record_kudos(k).await })
        });
        let results: Vec<_> = futures_join(writes).await;
        assert!(results[3].is_err());
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 7);
        let page = s.list_kudos(&query("T1")).await.unwrap();
        assert_eq!(page.items.len(), 7);
        assert!(page.items.iter().all(|k| k.text.starts_with("good")));
        // Each good one kept its own recipients and outbox row.
        assert!(page.items.iter().all(|k| k.recipients == ["U1"]));
        assert_eq!(s.outbox_counts().await.unwrap().pending, 7);
        s.close().await;
    }

    async fn migrations_are_idempotent(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let first = store::connect(&db.url).await.unwrap();
        first.record_kudos(kudos("T1", "U1", &["U2"], "kept")).await.unwrap();
        first.close().await;
        let second = store::connect(&db.url).await.unwrap();
        assert_eq!(second.list_kudos(&query("T1")).await.unwrap().items.len(), 1);
        second.close().await;
    }
}

both_backends! {
    async fn installations_are_saved_replaced_listed_and_deleted(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        assert_eq!(s.installation("T1").await.unwrap(), None);
        let first = installation("T1", "v1.aaaaaaaa.n.c1", t0);
        s.save_installation(&first).await.unwrap();
        s.save_installation(&installation("T2", "v1.aaaaaaaa.n.c2", t0)).await.unwrap();
        assert_eq!(s.installation("T1").await.unwrap().as_ref(), Some(&first));

        // A reinstall replaces the row but keeps when it was first installed.
        let again = store::Installation {
            enterprise_id: Some("E1".into()),
            bot_token_sealed: "v1.aaaaaaaa.n.c3".into(),
            scopes: vec![],
            installer_user_id: None,
            installed_at: t1,
            updated_at: t1,
            ..first.clone()
        };
        s.save_installation(&again).await.unwrap();
        let stored = s.installation("T1").await.unwrap().unwrap();
        assert_eq!(stored, store::Installation { installed_at: t0, ..again });

        let all = s.installations().await.unwrap();
        assert_eq!(all.iter().map(|i| i.team_id.as_str()).collect::<Vec<_>>(), ["T1", "T2"]);
        assert!(s.delete_installation("T1").await.unwrap());
        assert!(!s.delete_installation("T1").await.unwrap(), "already gone");
        assert_eq!(s.installation("T1").await.unwrap(), None);
        assert_eq!(s.installations().await.unwrap().len(), 1);

        // Forgetting the installer clears them from the installation, which stays.
        s.forget_person("T2", "U1").await.unwrap();
        let kept = s.installation("T2").await.unwrap().unwrap();
        assert_eq!(kept.installer_user_id, None);
        assert_eq!(kept.bot_token_sealed, "v1.aaaaaaaa.n.c2");
        s.close().await;
    }

    async fn workspaces_are_placed_in_their_organisation_and_removed_from_it(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        assert_eq!(s.enterprise_of("T1").await.unwrap(), None);
        s.link_workspaces("E1", &["T1".into(), "T2".into()], t0).await.unwrap();
        s.link_workspaces("E1", &["T2".into()], t0).await.unwrap(); // again: no harm
        s.link_workspaces("E2", &["T3".into()], t0).await.unwrap();
        assert_eq!(s.enterprise_of("T1").await.unwrap().as_deref(), Some("E1"));
        assert_eq!(s.enterprise_workspaces("E1").await.unwrap(), ["T1", "T2"]);
        // Removing from another organisation changes nothing; from its own, it goes.
        s.unlink_workspaces("E2", &["T1".into()]).await.unwrap();
        assert_eq!(s.enterprise_of("T1").await.unwrap().as_deref(), Some("E1"));
        s.unlink_workspaces("E1", &["T1".into()]).await.unwrap();
        assert_eq!(s.enterprise_of("T1").await.unwrap(), None);
        assert_eq!(s.enterprise_workspaces("E1").await.unwrap(), ["T2"]);
        // A workspace moved to another organisation follows it.
        s.link_workspaces("E2", &["T2".into()], t0).await.unwrap();
        assert_eq!(s.enterprise_workspaces("E2").await.unwrap(), ["T2", "T3"]);
        assert!(s.enterprise_workspaces("E1").await.unwrap().is_empty());
        s.close().await;
    }

    async fn resealing_is_all_or_nothing(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap();
        for (team, sealed) in [("T1", "old:T1"), ("T2", "old:T2"), ("T3", "new:T3")] {
            s.save_installation(&installation(team, sealed, t0)).await.unwrap();
        }
        // One token cannot be opened: nothing changes, and the error names it.
        let failing = |i: &store::Installation| match i.team_id.as_str() {
            "T2" => Err("sealed with key 1a2b3c4d".to_owned()),
            _ => Ok(Some(format!("new:{}", i.team_id))),
        };
        let err = s.reseal_installations(&failing, now).await.unwrap_err();
        assert!(matches!(err, store::StoreError::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains("T2: sealed with key 1a2b3c4d"), "{err}");
        let tokens = |all: Vec<store::Installation>| {
            all.into_iter().map(|i| i.bot_token_sealed).collect::<Vec<_>>()
        };
        assert_eq!(tokens(s.installations().await.unwrap()), ["old:T1", "old:T2", "new:T3"]);

        let rotate = |i: &store::Installation| {
            Ok(i.bot_token_sealed.strip_prefix("old:").map(|t| format!("new:{t}")))
        };
        assert_eq!(s.reseal_installations(&rotate, now).await.unwrap(), 2);
        let all = s.installations().await.unwrap();
        assert_eq!(all.iter().map(|i| i.updated_at).collect::<Vec<_>>(), [now, now, t0]);
        assert_eq!(tokens(all), ["new:T1", "new:T2", "new:T3"]);
        assert_eq!(s.reseal_installations(&rotate, now).await.unwrap(), 0);
        s.close().await;
    }

    async fn an_oauth_state_is_spent_once_and_only_before_it_expires(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let s = store::connect(&db.url).await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let minutes = |m: i64| t0 + chrono::Duration::minutes(m);
        s.save_oauth_state("fresh", t0, minutes(10)).await.unwrap();
        s.save_oauth_state("stale", t0, minutes(10)).await.unwrap();
        assert!(!s.use_oauth_state("unknown", minutes(1)).await.unwrap());
        assert!(s.use_oauth_state("fresh", minutes(1)).await.unwrap());
        assert!(!s.use_oauth_state("fresh", minutes(2)).await.unwrap(), "a replay is refused");
        assert!(!s.use_oauth_state("stale", minutes(10)).await.unwrap(), "expired");
        // Pruning drops the expired ones; a live one is still spendable.
        s.save_oauth_state("later", minutes(20), minutes(30)).await.unwrap();
        s.save_oauth_state("live", minutes(20), minutes(30)).await.unwrap();
        assert_eq!(s.prune_oauth_states(minutes(20), 100).await.unwrap(), 2, "fresh and stale");
        assert!(s.use_oauth_state("live", minutes(25)).await.unwrap());
        assert!(!s.use_oauth_state("stale", minutes(5)).await.unwrap(), "dropped");
        // Concurrent spends of one state: exactly one wins.
        s.save_oauth_state("raced", minutes(20), minutes(30)).await.unwrap();
        let s: std::sync::Arc<dyn store::Store> = s;
        let at = minutes(21);
        let wins = futures_join((0..8).map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.use_oauth_state("raced", at).await.unwrap() })
        }))
        .await;
        assert_eq!(wins.iter().filter(|w| **w).count(), 1);
        s.close().await;
    }
}

#[tokio::test]
async fn an_unknown_database_scheme_is_explained() {
    let Err(err) = store::connect("mysql://x").await else {
        panic!("mysql is not supported")
    };
    assert!(
        err.to_string()
            .contains("DATABASE_URL must start with sqlite:// or postgres://"),
        "{err}"
    );
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}
