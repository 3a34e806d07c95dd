/// What an organizer may do: admins manage organizers and events; reviewers invite and decide.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Reviewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
        }
    }

    /// The lower of two roles: what a credential may do when it acts for an organizer
    /// (an API token never outranks the organizer who made it).
    pub fn at_most(self, other: Role) -> Role {
        if self == Role::Admin && other == Role::Admin {
            Role::Admin
        } else {
            Role::Reviewer
        }
    }

    /// Whether this role may do everything `other` may.
    pub fn covers(self, other: Role) -> bool {
        self.at_most(other) == other
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(Role::Admin),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }
}

/// Whether an organizer is emailed about each new item waiting for review, each invitee
/// who declines and each registrant who cancels (`each`), or about none (`none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewNotices {
    None,
    Each,
}

impl ReviewNotices {
    /// As stored in `organizers.review_notices`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewNotices::None => "none",
            ReviewNotices::Each => "each",
        }
    }
}

/// A password an organizer chose: 12 to 256 characters (long passphrases welcome,
/// no composition rules, per NIST SP 800-63B).
pub struct Password(String);

impl Password {
    pub fn parse(raw: String) -> Result<Self, String> {
        let n = raw.chars().count();
        if n < 12 {
            return Err("must be at least 12 characters".into());
        }
        if n > 256 {
            return Err("must be at most 256 characters".into());
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The address an organizer types to sign in or to ask for a reset link, as accounts
/// store it (trimmed, lower case); `None` when it cannot be any account's. No account's
/// address holds a control character (they are parsed when made), and PostgreSQL refuses
/// a NUL in text outright: such an address is a wrong field, not a query to run.
pub fn account_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let usable = !email.is_empty() && email.len() <= 254 && !email.chars().any(char::is_control);
    usable.then_some(email)
}
