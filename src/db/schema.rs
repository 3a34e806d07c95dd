//! The one schema for both backends. Ids are UUIDs kept as text on both, so that one
//! Rust type serves SQLite and PostgreSQL; timestamps are UTC without a zone.

diesel::table! {
    organizers (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organizer_sessions (id) {
        id -> Text,
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        venue -> Text,
        city -> Text,
        starts_on -> Date,
        ends_on -> Date,
        timezone -> Text,
        capacity -> Integer,
        scholarship_budget_cents -> BigInt,
        currency -> Text,
        status -> Text,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        event_id -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
    }
}

diesel::joinable!(organizer_sessions -> organizers (organizer_id));
diesel::joinable!(audit_log -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(organizers, organizer_sessions, events, audit_log);
