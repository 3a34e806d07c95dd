//! A registration with its nomination and scholarship request, as the registrant and the
//! organizers see them.

use serde::Serialize;
use utoipa::ToSchema;

use super::{rfc3339, CommunityView};
use crate::db::models::community::Community;
use crate::db::models::nomination::Nomination;
use crate::db::models::registration::Registration;
use crate::db::models::scholarship::ScholarshipRequest;

/// A registration as its registrant and the organizers see it.
#[derive(Serialize, ToSchema)]
pub struct RegistrationView {
    pub id: String,
    /// `confirmed`, `waitlisted` or `cancelled`.
    #[schema(example = "confirmed")]
    status: String,
    /// `executive` or `young_leader`.
    #[schema(example = "executive")]
    kind: String,
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "ada@example.org")]
    email: String,
    #[schema(example = "Mayor")]
    title: String,
    #[schema(example = "City of Springfield")]
    organization: String,
    phone: Option<String>,
    dietary_requirements: Option<String>,
    accessibility_needs: Option<String>,
    community: CommunityView,
    invitation_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = DateTime)]
    confirmed_at: Option<String>,
    #[schema(format = DateTime)]
    cancelled_at: Option<String>,
}

impl RegistrationView {
    pub fn of(r: &Registration, c: &Community) -> Self {
        Self {
            id: r.id.to_string(),
            status: r.status.as_str().to_owned(),
            kind: r.kind.as_str().to_owned(),
            full_name: r.full_name.clone(),
            email: r.email.clone(),
            title: r.title.clone(),
            organization: r.organization.clone(),
            phone: r.phone.clone(),
            dietary_requirements: r.dietary_requirements.clone(),
            accessibility_needs: r.accessibility_needs.clone(),
            community: CommunityView::of(c),
            invitation_id: r.invitation_id.to_string(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            confirmed_at: r.confirmed_at.map(rfc3339),
            cancelled_at: r.cancelled_at.map(rfc3339),
        }
    }
}

/// A young leader's nomination.
#[derive(Serialize, ToSchema)]
pub struct NominationView {
    id: String,
    /// `pending`, `approved`, `declined` or `withdrawn`.
    #[schema(example = "pending")]
    status: String,
    #[schema(example = "Grace Hopper")]
    full_name: String,
    #[schema(example = "grace@example.org")]
    email: String,
    #[schema(example = "Youth Council Chair")]
    title: String,
    #[schema(example = "Springfield Youth Council")]
    organization: String,
    reason: String,
    decision_note: Option<String>,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl NominationView {
    pub fn of(n: &Nomination) -> Self {
        Self {
            id: n.id.to_string(),
            status: n.status.as_str().to_owned(),
            full_name: n.full_name.clone(),
            email: n.email.clone(),
            title: n.title.clone(),
            organization: n.organization.clone(),
            reason: n.reason.clone(),
            decision_note: n.decision_note.clone(),
            decided_at: n.decided_at.map(rfc3339),
            created_at: rfc3339(n.created_at),
        }
    }
}

/// A travel-scholarship request as its registrant sees it.
#[derive(Serialize, ToSchema)]
pub struct ScholarshipView {
    id: String,
    /// `pending`, `approved`, `declined`, `waitlisted` or `withdrawn`.
    #[schema(example = "pending")]
    status: String,
    #[schema(example = 2)]
    travelers: i32,
    #[schema(example = 120000)]
    estimated_cost_cents: i64,
    #[schema(example = 80000)]
    requested_amount_cents: i64,
    awarded_amount_cents: Option<i64>,
    justification: String,
    decision_note: Option<String>,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    /// The last moment to accept or decline an award.
    #[schema(format = DateTime)]
    reply_by: Option<String>,
    /// `offered`, `accepted`, `declined`, `lapsed` or `released`; absent until approved.
    award_status: Option<String>,
    #[schema(format = DateTime)]
    award_answered_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl ScholarshipView {
    pub fn of(s: &ScholarshipRequest) -> Self {
        Self {
            id: s.id.to_string(),
            status: s.status.as_str().to_owned(),
            travelers: s.travelers,
            estimated_cost_cents: s.estimated_cost_cents,
            requested_amount_cents: s.requested_amount_cents,
            awarded_amount_cents: s.awarded_amount_cents,
            justification: s.justification.clone(),
            decision_note: s.decision_note.clone(),
            decided_at: s.decided_at.map(rfc3339),
            reply_by: s.reply_by.map(rfc3339),
            award_status: s.award_status.map(|a| a.as_str().to_owned()),
            award_answered_at: s.award_answered_at.map(rfc3339),
            created_at: rfc3339(s.created_at),
        }
    }
}

/// A registration as a reference: its id and status.
#[derive(Serialize, Clone, ToSchema)]
pub struct RegistrationRef {
    pub id: String,
    /// `confirmed`, `waitlisted` or `cancelled`.
    #[schema(example = "confirmed")]
    pub status: String,
}
