//! Evidence a person records about their own work, from the evidence modal (typed, or a Slack
//! message saved with "Save as evidence"). The same rules as `/growth log`, each problem
//! attached to the field to fix.

use super::ids::UserId;
use super::kudos::{KudosRules, MAX_MESSAGE_CHARS};
use super::markup;
use chrono::NaiveDate;

const LEVELS: [&str; 5] = ["self", "team", "group", "org", "external"];

#[derive(Debug, Clone, Default)]
pub struct EvidenceForm {
    /// Plain text as typed.
    pub text: String,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    /// A canonical sphere level, if the author declared one.
    pub sphere: Option<String>,
    pub people: Vec<UserId>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceField {
    Text,
    Tags,
    Sphere,
    Date,
    Link,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceDraft {
    /// Slack wire text.
    pub text: String,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub sphere: Option<String>,
    pub people: Vec<UserId>,
    pub occurred_on: NaiveDate,
    pub link: Option<String>,
}

pub fn check_evidence(
    author: &UserId,
    form: EvidenceForm,
    rules: KudosRules,
    today: NaiveDate,
) -> Result<EvidenceDraft, Vec<(EvidenceField, String)>> {
    let mut problems = Vec::new();
    let text = markup::escape_text(form.text.trim());
    if text.is_empty() {
        problems.push((EvidenceField::Text, "Say what you did.".to_owned()));
    } else if text.chars().count() > MAX_MESSAGE_CHARS {
        problems.push((
            EvidenceField::Text,
            format!("Keep it under {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    if rules.require_competency && form.competencies.is_empty() {
        problems.push((
            EvidenceField::Tags,
            "Pick at least one competency.".to_owned(),
        ));
    }
    let sphere = form.sphere.filter(|s| !s.is_empty());
    if let Some(s) = &sphere {
        if !LEVELS.contains(&s.as_str()) {
            problems.push((
                EvidenceField::Sphere,
                format!("'{s}' is not a sphere level."),
            ));
        }
    }
    let occurred_on = match form.date.as_deref().filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date > today => {
                problems.push((
                    EvidenceField::Date,
                    "That's in the future: pick the day it happened.".to_owned(),
                ));
                today
            }
            Ok(date) => date,
            Err(_) => {
                problems.push((EvidenceField::Date, "Pick a date.".to_owned()));
                today
            }
        },
    };
    let link = form
        .link
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if let Some(l) = &link {
        if !(l.starts_with("https://") || l.starts_with("http://"))
            || l.contains(char::is_whitespace)
        {
            problems.push((
                EvidenceField::Link,
                "Use a web link starting with https://.".to_owned(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut people: Vec<UserId> = Vec::new();
    for p in form.people {
        if p != *author && !people.contains(&p) {
            people.push(p);
        }
    }
    Ok(EvidenceDraft {
        text,
        competencies: form.competencies,
        multiplier_kinds: form.multiplier_kinds,
        sphere,
        people,
        occurred_on,
        link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> UserId {
        UserId::parse("U0ME").unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    #[test]
    fn a_good_form_becomes_evidence() {
        let form = EvidenceForm {
            text: "Ran the <b>incident</b> review — 3 teams 🎉".into(),
            competencies: vec!["leadership".into()],
            sphere: Some("group".into()),
            people: vec![me(), UserId::parse("U0ANA").unwrap()],
            date: Some("2026-11-18".into()),
            link: Some("https://acme.slack.com/archives/C1/p1".into()),
            ..EvidenceForm::default()
        };
        let d = check_evidence(&me(), form, KudosRules::default(), today()).unwrap();
        assert_eq!(
            d.text,
            "Ran the &lt;b&gt;incident&lt;/b&gt; review — 3 teams 🎉"
        );
        assert_eq!(d.people, [UserId::parse("U0ANA").unwrap()]);
        assert_eq!(
            d.occurred_on,
            NaiveDate::from_ymd_opt(2026, 11, 18).unwrap()
        );
        assert_eq!(d.sphere.as_deref(), Some("group"));
    }

    #[test]
    fn each_problem_is_tied_to_its_field() {
        let form = EvidenceForm {
            text: " ".into(),
            sphere: Some("galaxy".into()),
            date: Some("2026-12-01".into()),
            link: Some("javascript:alert(1)".into()),
            ..EvidenceForm::default()
        };
        let problems = check_evidence(&me(), form, KudosRules::default(), today()).unwrap_err();
        let fields: Vec<EvidenceField> = problems.iter().map(|(f, _)| *f).collect();
        use EvidenceField::*;
        assert_eq!(fields, [Text, Tags, Sphere, Date, Link]);
    }
}
