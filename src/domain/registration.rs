//! Registrations: the invitee's answer, parsed whole, and the state machine
//! `confirmed|waitlisted -> cancelled`, `waitlisted -> confirmed`.

use serde::{Deserialize, Deserializer};

use super::community::CommunitySpec;
use super::invitation::{optional, required, CommunityFields, InvitationKind};
use super::nomination::{NominationFields, NominationForm, MAX_PARAGRAPH_CHARS};
use super::phone::Phone;
use super::refusal::Transition;
use super::scholarship::{ScholarshipFields, ScholarshipForm};
use super::{text, EmailAddress};
use crate::error::FieldErrors;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl RegistrationStatus {
    pub const ALL: [Self; 3] = [Self::Confirmed, Self::Waitlisted, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn can_become(self, next: Self) -> bool {
        use RegistrationStatus::*;
        matches!(
            (self, next),
            (Confirmed | Waitlisted, Cancelled) | (Waitlisted, Confirmed)
        )
    }

    /// The next status, or the refused transition (a 409 for the caller).
    pub fn transition(self, next: Self) -> Result<Self, Transition<Self>> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(Transition {
                from: self,
                to: next,
            })
        }
    }
}

/// The community on a registration form: a name (the state and country are the
/// invitation's), or `{name, state, country?}`; absent parts default to the invitation's.
#[derive(Deserialize, serde::Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CommunityField {
    Name(String),
    Parts(CommunityFields),
}

/// The schema of [`RegistrationFields::community`]: its name as text, or its parts.
fn community_field() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                // Read as `text::single_line`, or blank (the http layer's document names
                // the pattern of this format).
                .format(Some(SchemaFormat::Custom("optional-line".into())))
                .max_length(Some(120))
                .description(Some("The community's name; blank: the invitation's.")),
        )
        .item(utoipa::openapi::Ref::from_schema_name("CommunityFields"))
        .description(Some(
            "The invitation's community when left out; parts left out or blank are the invitation's.",
        ))
        .build()
        .into()
}

/// The registration form as sent. Every field is optional here so that each missing or
/// bad one is named in the same answer.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct RegistrationFields {
    #[schema(example = "Ada Lovelace", value_type = String, format = "line", max_length = 200, required = true)]
    pub full_name: Option<String>,
    /// May correct the address the invitation went to.
    #[schema(example = "ada@example.org", value_type = String, format = Email, max_length = 254, required = true)]
    pub email: Option<String>,
    #[schema(example = "Mayor", value_type = String, format = "line", max_length = 200, required = true)]
    pub title: Option<String>,
    #[schema(example = "City of Springfield", value_type = String, format = "line", max_length = 200, required = true)]
    pub organization: Option<String>,
    #[schema(schema_with = community_field)]
    pub community: Option<CommunityField>,
    /// 7 to 15 digits, with `+`, spaces, dots, dashes and brackets as people write them.
    #[schema(
        example = "+1 217 555 0100",
        pattern = r"^[\t\n\x0b\x0c\r ]*(?:\+?[ .()-]*(?:[0-9][ .()-]*){7,15})?[\t\n\x0b\x0c\r ]*$"
    )]
    pub phone: Option<String>,
    #[schema(format = "paragraph", max_length = 2000)]
    pub dietary_requirements: Option<String>,
    #[schema(format = "paragraph", max_length = 2000)]
    pub accessibility_needs: Option<String>,
    /// Executives only; a blank section counts as none.
    pub young_leader_nomination: Option<NominationFields>,
    /// A blank section counts as none.
    pub travel_scholarship: Option<ScholarshipFields>,
}

/// A registration form that passed every rule.
#[derive(Clone, Debug)]
pub struct RegistrationForm {
    pub full_name: String,
    /// The invitee may correct the address the invitation went to.
    pub email: EmailAddress,
    pub title: String,
    pub organization: String,
    pub community: CommunitySpec,
    pub phone: Option<Phone>,
    pub dietary_requirements: Option<String>,
    pub accessibility_needs: Option<String>,
    pub nomination: Option<NominationForm>,
    pub scholarship: Option<ScholarshipForm>,
}

fn line(raw: &str) -> Result<String, String> {
    text::single_line(raw, 200)
}

fn note(raw: &str) -> Result<String, String> {
    text::multi_line(raw, MAX_PARAGRAPH_CHARS)
}

impl RegistrationForm {
    /// Checks the whole form for an invitation of `kind` to someone of community `invited`,
    /// naming every bad field by its JSON path (`travel_scholarship.travelers`).
    pub fn parse(
        f: RegistrationFields,
        kind: InvitationKind,
        invited: &CommunitySpec,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let full_name = required(&mut errors, "full_name", f.full_name.as_deref(), line);
        let email = required(
            &mut errors,
            "email",
            f.email.as_deref(),
            EmailAddress::parse,
        );
        let title = required(&mut errors, "title", f.title.as_deref(), line);
        let organization = required(&mut errors, "organization", f.organization.as_deref(), line);
        let community = parse_community(f.community, invited)
            .map_err(|e| errors.merge_prefixed("community", e))
            .ok();
        let phone = optional(&mut errors, "phone", f.phone.as_deref(), Phone::parse);
        let dietary = optional(
            &mut errors,
            "dietary_requirements",
            f.dietary_requirements.as_deref(),
            note,
        );
        let accessibility = optional(
            &mut errors,
            "accessibility_needs",
            f.accessibility_needs.as_deref(),
            note,
        );
        // An empty section of a form counts as left out.
        let nomination_fields = f.young_leader_nomination.filter(|n| !n.is_blank());
        let scholarship_fields = f.travel_scholarship.filter(|s| !s.is_blank());
        let nomination = match (nomination_fields, kind) {
            (None, _) => Some(None),
            (Some(_), InvitationKind::YoungLeader) => {
                errors.add(
                    "young_leader_nomination",
                    "a young leader cannot nominate another young leader",
                );
                None
            }
            (Some(n), InvitationKind::Executive) => match NominationForm::parse(&n) {
                Ok(n) if email.as_ref() == Some(&n.email) => {
                    errors.add(
                        "young_leader_nomination.email",
                        "must be the young leader's own address, not yours",
                    );
                    None
                }
                Ok(n) => Some(Some(n)),
                Err(e) => {
                    errors.merge_prefixed("young_leader_nomination", e);
                    None
                }
            },
        };
        let scholarship = match scholarship_fields {
            None => Some(None),
            Some(s) => ScholarshipForm::parse(&s)
                .map(Some)
                .map_err(|e| errors.merge_prefixed("travel_scholarship", e))
                .ok(),
        };
        match (
            full_name,
            email,
            title,
            organization,
            community,
            phone,
            dietary,
            accessibility,
            nomination,
            scholarship,
        ) {
            (
                Some(full_name),
                Some(email),
                Some(title),
                Some(organization),
                Some(community),
                Some(phone),
                Some(dietary_requirements),
                Some(accessibility_needs),
                Some(nomination),
                Some(scholarship),
            ) if errors.is_empty() => Ok(Self {
                full_name,
                email,
                title,
                organization,
                community,
                phone,
                dietary_requirements: dietary_requirements.filter(|s| !s.is_empty()),
                accessibility_needs: accessibility_needs.filter(|s| !s.is_empty()),
                nomination,
                scholarship,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_community(
    field: Option<CommunityField>,
    invited: &CommunitySpec,
) -> Result<CommunitySpec, FieldErrors> {
    let given = match field {
        None => return Ok(invited.clone()),
        Some(CommunityField::Name(name)) if name.trim().is_empty() => return Ok(invited.clone()),
        Some(CommunityField::Name(name)) => CommunityFields {
            name: Some(name),
            ..Default::default()
        },
        Some(CommunityField::Parts(parts)) => parts,
    };
    let or_invited = |given: Option<String>, invited: &str| {
        given
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| invited.to_owned())
    };
    CommunitySpec::parse(
        Some(&or_invited(given.name, &invited.name)),
        Some(&or_invited(given.state, &invited.state)),
        Some(&or_invited(given.country, &invited.country)),
    )
}

/// Tells a field set to `null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A registrant's change to their own details: fields left out stay as they are;
/// `null` or `""` clears an optional one.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug, utoipa::ToSchema)]
#[serde(default)]
pub struct DetailsFields {
    #[schema(format = "line", max_length = 200)]
    pub full_name: Option<String>,
    #[schema(format = "line", max_length = 200)]
    pub title: Option<String>,
    #[schema(format = "line", max_length = 200)]
    pub organization: Option<String>,
    /// `null` or blank clears it.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^[\t\n\x0b\x0c\r ]*(?:\+?[ .()-]*(?:[0-9][ .()-]*){7,15})?[\t\n\x0b\x0c\r ]*$")]
    pub phone: Option<Option<String>>,
    /// `null` or blank clears it.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "paragraph", max_length = 2000)]
    pub dietary_requirements: Option<Option<String>>,
    /// `null` or blank clears it.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "paragraph", max_length = 2000)]
    pub accessibility_needs: Option<Option<String>>,
}

/// A checked change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct DetailsChange {
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub organization: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub dietary_requirements: Option<Option<String>>,
    pub accessibility_needs: Option<Option<String>>,
}

impl DetailsChange {
    pub fn parse(f: DetailsFields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut set = |field: &str, raw: Option<String>| {
            raw.and_then(|raw| line(&raw).map_err(|m| errors.add(field, m)).ok())
        };
        let full_name = set("full_name", f.full_name);
        let title = set("title", f.title);
        let organization = set("organization", f.organization);
        let mut clearable =
            |field: &str,
             raw: Option<Option<String>>,
             parse: fn(&str) -> Result<String, String>| {
                match raw {
                    None => None,
                    Some(v) => optional(&mut errors, field, v.as_deref(), parse)
                        .map(|v| v.filter(|s| !s.is_empty())),
                }
            };
        let dietary_requirements = clearable("dietary_requirements", f.dietary_requirements, note);
        let accessibility_needs = clearable("accessibility_needs", f.accessibility_needs, note);
        let phone = match f.phone {
            None => None,
            Some(v) => optional(&mut errors, "phone", v.as_deref(), Phone::parse),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            full_name,
            title,
            organization,
            phone,
            dietary_requirements,
            accessibility_needs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invited() -> CommunitySpec {
        CommunitySpec::parse(Some("Springfield"), Some("IL"), None).unwrap()
    }

    fn form(v: serde_json::Value) -> RegistrationFields {
        serde_json::from_value(v).unwrap()
    }

    fn valid() -> serde_json::Value {
        json!({
            "full_name": "Dana Whitfield", "email": "dana@example.org",
            "title": "City Manager", "organization": "City of Springfield"
        })
    }

    #[test]
    fn the_community_defaults_to_the_invitations() {
        let r =
            RegistrationForm::parse(form(valid()), InvitationKind::Executive, &invited()).unwrap();
        assert_eq!(r.community, invited());
        let mut v = valid();
        v["community"] = json!("Shelbyville");
        let r = RegistrationForm::parse(form(v), InvitationKind::Executive, &invited()).unwrap();
        assert_eq!(
            (r.community.name.as_str(), r.community.state.as_str()),
            ("Shelbyville", "IL")
        );
        let mut v = valid();
        v["community"] = json!({"name": "Capital City", "state": "WA"});
        let r = RegistrationForm::parse(form(v), InvitationKind::Executive, &invited()).unwrap();
        assert_eq!(r.community.state, "WA");
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let v = json!({
            "full_name": "", "email": "x", "title": "a\u{0007}b",
            "phone": "call me", "dietary_requirements": "x".repeat(2001),
            "young_leader_nomination": {"full_name": "Sam", "email": "bad", "title": "Analyst",
                                        "organization": "City", "reason": ""},
            "travel_scholarship": {"travelers": 21, "estimated_cost_cents": 100,
                                   "requested_amount_cents": 200, "justification": "x"}
        });
        let e =
            RegistrationForm::parse(form(v), InvitationKind::Executive, &invited()).unwrap_err();
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                "dietary_requirements",
                "email",
                "full_name",
                "organization",
                "phone",
                "title",
                "travel_scholarship.requested_amount_cents",
                "travel_scholarship.travelers",
                "young_leader_nomination.email",
                "young_leader_nomination.reason",
            ]
        );
    }

    #[test]
    fn empty_sections_count_as_left_out() {
        let mut v = valid();
        v["young_leader_nomination"] = json!({"full_name": "", "email": " "});
        v["travel_scholarship"] = json!({"travelers": "", "justification": ""});
        let r = RegistrationForm::parse(form(v), InvitationKind::YoungLeader, &invited()).unwrap();
        assert!(r.nomination.is_none() && r.scholarship.is_none());
    }

    #[test]
    fn a_young_leader_may_not_nominate() {
        let mut v = valid();
        v["young_leader_nomination"] = json!({"full_name": "Sam Ortiz", "email": "sam@example.org",
            "title": "Analyst", "organization": "City", "reason": "Bright."});
        let e = RegistrationForm::parse(form(v.clone()), InvitationKind::YoungLeader, &invited())
            .unwrap_err();
        assert_eq!(e.fields().collect::<Vec<_>>(), ["young_leader_nomination"]);
        assert!(
            RegistrationForm::parse(form(v), InvitationKind::Executive, &invited())
                .unwrap()
                .nomination
                .is_some()
        );
    }

    #[test]
    fn only_the_listed_transitions_are_allowed() {
        use RegistrationStatus::*;
        assert!(Confirmed.can_become(Cancelled) && Waitlisted.can_become(Cancelled));
        assert!(Waitlisted.can_become(Confirmed));
        assert!(!Cancelled.can_become(Confirmed) && !Confirmed.can_become(Waitlisted));
        assert_eq!(
            Cancelled.transition(Cancelled),
            Err(Transition {
                from: Cancelled,
                to: Cancelled
            })
        );
    }

    #[test]
    fn a_details_change_clears_with_null_and_keeps_what_is_left_out() {
        let f: DetailsFields =
            serde_json::from_value(json!({"phone": null, "title": "Chief Administrative Officer"}))
                .unwrap();
        let c = DetailsChange::parse(f).unwrap();
        assert_eq!(c.phone, Some(None));
        assert_eq!(c.dietary_requirements, None);
        assert_eq!(c.title.as_deref(), Some("Chief Administrative Officer"));
        let f: DetailsFields =
            serde_json::from_value(json!({"full_name": " ", "phone": "12"})).unwrap();
        let e = DetailsChange::parse(f).unwrap_err();
        assert_eq!(e.fields().collect::<Vec<_>>(), ["full_name", "phone"]);
    }
}
